# One command each: `make report` (install, verify data, build, fit, draw, render) and `make test`.
# Both first install or check the system packages they need (scripts/system_deps.sh): the report needs
# WeasyPrint's libraries and a font; the tests need nothing more (tests that need Chromium or poppler skip
# with the reason when they are missing). Python packages are installed at the versions in requirements.lock
# (pass LOCK= to install without it, e.g. on a Python the lock was not made with).
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
LOCK ?= requirements.lock
CONSTRAINTS = $(if $(LOCK),-c $(LOCK),)
DATA_FLAG = $(if $(EXTERNALIZE_DATA),--data-dir $(EXTERNALIZE_DATA),)
# `make test` leaves out the tests marked slow (about two minutes on two cores); CI (CI=true, as CI services and
# .ci/run set it) and `make test-all` run every test
SLOW_FLAG = $(if $(filter true 1 yes,$(CI)),,-m "not slow")

.PHONY: install system-deps-report system-deps-test report test test-all bench lock clean

# pip runs only when needed: no stamp for this Python environment, pyproject.toml or the lock newer than the
# stamp, or `externalize` not importable from this checkout (another checkout's install, an uninstall)
ENV_ID := $(shell $(PYTHON) -c "import hashlib, sys; print(hashlib.sha256(sys.prefix.encode()).hexdigest()[:12])")
INSTALL_STAMP = .make/install-$(ENV_ID)

install:
	@if [ -f $(INSTALL_STAMP) ] && [ $(INSTALL_STAMP) -nt pyproject.toml ] \
	    && { [ -z "$(LOCK)" ] || [ $(INSTALL_STAMP) -nt "$(LOCK)" ]; } \
	    && $(PYTHON) -c "import sys, externalize; sys.exit(not externalize.__file__.startswith('$(CURDIR)/'))" \
	       2>/dev/null; then echo "installed (pyproject.toml and $(or $(LOCK),no lock) unchanged)"; \
	else $(PIP) install --quiet $(CONSTRAINTS) -e '.[dev]' && mkdir -p .make && touch $(INSTALL_STAMP); fi

system-deps-report:
	@bash scripts/system_deps.sh report

system-deps-test:
	@bash scripts/system_deps.sh test

report: install system-deps-report
	$(PYTHON) -m externalize.cli run $(DATA_FLAG)

test: install system-deps-test
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest -q $(SLOW_FLAG)

test-all:
	$(MAKE) test CI=true

# times every step and adapter next to its floor; writes benchmarks/results/<date>-<BENCH_LABEL>.csv
BENCH_LABEL ?= run
bench: install
	$(PYTHON) benchmarks/bench.py --label $(BENCH_LABEL) $(DATA_FLAG)

lock:
	bash scripts/make_lock.sh

clean:
	rm -rf data/processed reports/output .make
