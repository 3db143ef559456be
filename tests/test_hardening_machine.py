"""A fresh machine (issue 16): system packages checked with one clear message, tests that need a missing tool
skip with the reason, the machine's own warnings do not fail the suite, and the lock file is readable.

Machines without the packages are simulated: PATH holding only the few commands the script itself uses, and
SYSTEM_DEPS_ROOT pointing at an empty folder in place of / for libraries and fonts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from externalize.machine import LockFileError, find_tool, lock_differences, read_lock, skip_reason

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system_deps.sh"
BASH = shutil.which("bash")


def _bare_path(tmp_path: Path, commands: tuple[str, ...] = ("awk", "sort", "tr", "grep", "head", "id", "env",
                                                              "bash")) -> str:
    """A PATH with only the given commands (symlinks), standing for a machine without the tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for c in commands:
        real = shutil.which(c)
        if real and not (bin_dir / c).exists():
            (bin_dir / c).symlink_to(real)
    return str(bin_dir)


# ------------------------------------------------------------------------------------------ system_deps.sh
@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_system_deps_on_a_machine_without_the_packages(tmp_path):
    empty_root = tmp_path / "root"
    empty_root.mkdir()
    env = {"PATH": _bare_path(tmp_path), "SYSTEM_DEPS_ROOT": str(empty_root), "EXTERNALIZE_NO_SYSTEM_INSTALL": "1"}
    report = subprocess.run([BASH, str(SCRIPT), "report"], env=env, capture_output=True, text=True)
    assert report.returncode == 1
    assert "report.pdf needs WeasyPrint's system libraries and a font" in report.stderr
    for pkg in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b", "libfontconfig1", "fonts-dejavu-core"):
        assert pkg in report.stderr
    test = subprocess.run([BASH, str(SCRIPT), "test"], env=env, capture_output=True, text=True)
    assert test.returncode == 0       # tests only skip: `make test` goes on
    assert "chromium" in test.stderr and "poppler-utils" in test.stderr and "skip with the reason" in test.stderr
    assert test.stderr.count("system_deps:") == 1   # one message


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_system_deps_with_the_libraries_present_passes_report(tmp_path):
    """The same bare machine with the libraries and a font put in place: `report` passes, the optional tools
    are still named."""
    root = tmp_path / "root"
    libs = root / "usr" / "lib"
    libs.mkdir(parents=True)
    for lib in ("libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz.so.0", "libfontconfig.so.1"):
        (libs / lib).write_bytes(b"")
    fonts = root / "usr" / "share" / "fonts" / "truetype"
    fonts.mkdir(parents=True)
    (fonts / "DejaVuSans.ttf").write_bytes(b"")
    env = {"PATH": _bare_path(tmp_path), "SYSTEM_DEPS_ROOT": str(root), "EXTERNALIZE_NO_SYSTEM_INSTALL": "1"}
    report = subprocess.run([BASH, str(SCRIPT), "report"], env=env, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert "libpango" not in report.stderr and "libharfbuzz-subset0" in report.stderr


def test_makefile_and_ci_use_the_system_deps_script():
    make = (ROOT / "Makefile").read_text()
    assert "scripts/system_deps.sh report" in make and "scripts/system_deps.sh test" in make
    assert "report: install system-deps-report" in make and "test: install system-deps-test" in make
    assert "scripts/system_deps.sh report" in (ROOT / ".ci" / "run").read_text()


# ------------------------------------------------------------------------------------------ skips with a reason
def test_skip_reason_names_the_missing_tool_and_its_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # nothing on PATH
    assert find_tool("chromium") is None
    assert "chromium is not installed" in skip_reason("chromium") and "'chromium' package" in skip_reason("chromium")
    assert "'poppler-utils' package" in skip_reason("pdftoppm")
    fake = tmp_path / "pdftoppm"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert skip_reason("pdftoppm") is None and find_tool("pdftoppm") == str(fake)
    with pytest.raises(ValueError, match="unknown system tool"):
        skip_reason("latex")


def _run_pytest(tmp_path: Path, body: str, path_env: str, *args: str) -> subprocess.CompletedProcess:
    test_file = tmp_path / "test_probe.py"
    test_file.write_text(body)
    env = {**os.environ, "PATH": path_env, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *args,
                           str(test_file)], cwd=tmp_path, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_tests_needing_missing_tools_skip_with_the_reason(tmp_path):
    body = ("import pytest\n\n"
            "@pytest.mark.needs_tool('pdftoppm')\ndef test_pages():\n    raise AssertionError('ran without pdftoppm')\n\n"
            "@pytest.mark.needs_tool('chromium')\ndef test_console():\n    raise AssertionError('ran without chromium')\n\n"
            "def test_plain():\n    assert True\n")
    res = _run_pytest(tmp_path, body, _bare_path(tmp_path, ()), "-p", "externalize._pytest_machine",
                      "-W", "error")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed, 2 skipped" in res.stdout
    assert "pdftoppm is not installed" in res.stdout and "chromium is not installed" in res.stdout


def test_the_suite_loads_the_skip_plugin():
    assert '"externalize._pytest_machine"' in (ROOT / "tests" / "conftest.py").read_text()


# ------------------------------------------------------------------------------------------ machine warnings
HARFBUZZ = ("HarfBuzz-Subset will be required by future versions of WeasyPrint. "
            "Please install this library with your package manager.")


@pytest.mark.slow
def test_weasyprints_harfbuzz_warning_does_not_fail_the_suite_but_others_still_do(tmp_path):
    """The project's own pytest settings (strict: warnings are errors) on a test that emits WeasyPrint's
    warning exactly as WeasyPrint does on a machine without HarfBuzz-Subset, and on one that emits another
    DeprecationWarning: the first passes, the second still fails."""
    body = ("import warnings\n\n"
            f"def test_machine_warning():\n    warnings.warn({HARFBUZZ!r}, DeprecationWarning)\n\n"
            "def test_code_warning():\n    warnings.warn('old API', DeprecationWarning)\n")
    res = _run_pytest(tmp_path, body, os.environ.get("PATH", ""), "-c", str(ROOT / "pyproject.toml"),
                      "--rootdir", str(tmp_path))
    assert "1 failed, 1 passed" in res.stdout, res.stdout + res.stderr
    assert "test_code_warning" in res.stdout.split("short test summary")[-1]


# ------------------------------------------------------------------------------------------ lock file
def test_read_lock_parses_pip_freeze_and_refuses_other_lines(tmp_path):
    p = tmp_path / "requirements.lock"
    p.write_text("# made by make_lock.sh\n\npandas==2.2.3\nscikit_learn==1.5.0\n-e git+https://x#egg=externalize\n")
    lock = read_lock(p)
    assert lock.to_dict(orient="records") == [{"package": "pandas", "version": "2.2.3"},
                                              {"package": "scikit_learn", "version": "1.5.0"}]
    p.write_text("pandas==2.2.3\nnumpy>=1.26\n")
    with pytest.raises(LockFileError, match=r"line 2: 'numpy>=1.26' is not name==version"):
        read_lock(p)
    with pytest.raises(LockFileError, match="make_lock.sh"):
        read_lock(tmp_path / "absent.lock")


def test_shipped_lock_pins_every_direct_dependency():
    import tomllib
    lock = read_lock()
    pinned = {p.lower().replace("_", "-") for p in lock["package"]}
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = [d for d in deps["dependencies"] + deps["optional-dependencies"]["dev"]]
    names = {d.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("_", "-") for d in direct}
    assert names - pinned == set()
    assert lock["version"].str.match(r"^\d").all()


def test_lock_differences_reports_a_version_that_differs(tmp_path):
    p = tmp_path / "requirements.lock"
    p.write_text("pandas==0.0.1\nno-such-package-xyz==1.0\n")
    diff = lock_differences(p).set_index("package")
    assert diff.loc["pandas", "locked"] == "0.0.1" and diff.loc["pandas", "installed"] != "0.0.1"
    assert diff.loc["no-such-package-xyz", "installed"] == "not installed"


def test_machine_table_states_tools_and_lock(tmp_path, monkeypatch):
    from externalize.machine import machine_table
    lock = tmp_path / "requirements.lock"
    lock.write_text("pandas==0.0.1\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    t = machine_table(lock).set_index("item")["value"]
    assert t["chromium"] == "not installed" and t["pdftoppm"] == "not installed"
    assert t["requirements.lock"] == "1 packages pinned"
    assert t["installed versions differing from the lock"].startswith("pandas ") and "(lock 0.0.1)" in t[
        "installed versions differing from the lock"]
    assert "not found" in machine_table(tmp_path / "none.lock").set_index("item").loc["requirements.lock", "value"]
