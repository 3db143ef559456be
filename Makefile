# One command each: `make report` (install, verify data, build, fit, draw, render) and `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
DATA_FLAG = $(if $(EXTERNALIZE_DATA),--data-dir $(EXTERNALIZE_DATA),)

.PHONY: install report test test-fast bench clean

install:
	$(PIP) install --quiet -e '.[dev]'

report: install
	$(PYTHON) -m externalize.cli run $(DATA_FLAG)

test: install
	$(PYTHON) -m pytest -q

test-fast: install
	$(PYTHON) -m pytest -q -m "not slow"

# times every step and adapter next to its floor; writes benchmarks/results/<date>-<BENCH_LABEL>.csv
BENCH_LABEL ?= run
bench: install
	$(PYTHON) benchmarks/bench.py --label $(BENCH_LABEL) $(DATA_FLAG)

clean:
	rm -rf data/processed reports/output
