"""What the machine provides: system tools, WeasyPrint's libraries, and the pinned Python packages.

The package needs, beyond Python packages:
  - WeasyPrint's system libraries (Pango, PangoFT2, HarfBuzz, fontconfig) and at least one font, to write
    report.pdf (`make report`). HarfBuzz-Subset is optional (WeasyPrint falls back to fontTools and warns).
  - poppler's pdftoppm / pdfinfo and a headless Chromium, only for some report tests.
`scripts/system_deps.sh` installs or checks them (used by the Makefile and .ci/run); this module answers the
same questions from Python, so tests can skip with the reason (`needs_tool` marker, see
`externalize._pytest_machine`) and the report can state what it was made with.

requirements.lock holds the exact versions of a fresh `pip install '.[dev]'` (`pip freeze` of a new virtual
environment; regenerate with `scripts/make_lock.sh`). `read_lock()` reads it for the report's reproducibility
section; `lock_differences()` compares it with what is installed.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import warnings
from importlib import metadata
from pathlib import Path

import pandas as pd

from externalize.errors import ExternalizeError
from externalize.paths import PROJECT_ROOT

LOCK_FILE = PROJECT_ROOT / "requirements.lock"

# tool -> (executable names tried in order, Debian/Ubuntu package that provides it)
SYSTEM_TOOLS: dict[str, tuple[tuple[str, ...], str]] = {
    "pdftoppm": (("pdftoppm",), "poppler-utils"),
    "pdfinfo": (("pdfinfo",), "poppler-utils"),
    "chromium": (("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"), "chromium"),
}
WEASYPRINT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1 fonts-dejavu-core"


class LockFileError(ExternalizeError):
    """requirements.lock is missing or has a line that is not `name==version`."""


def find_tool(tool: str) -> str | None:
    """Path of a system tool (looked up on PATH under each of its names), or None."""
    names = SYSTEM_TOOLS[tool][0] if tool in SYSTEM_TOOLS else (tool,)
    return next((p for p in (shutil.which(n) for n in names) if p), None)


def weasyprint_problem() -> str | None:
    """None when WeasyPrint can load its system libraries; otherwise why not and what to install.

    Importing WeasyPrint on a machine without HarfBuzz-Subset emits a DeprecationWarning; that is the
    machine's state, not a fault of this package, and is not an error here (nor in the test suite: see
    pyproject filterwarnings)."""
    try:
        # WeasyPrint prints a banner of its own when a library is missing: this function's answer replaces it
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
            import weasyprint  # noqa: F401
    except ImportError as exc:
        return f"WeasyPrint is not installed ({exc}); pip install weasyprint"
    except OSError as exc:  # a system library (Pango, HarfBuzz, fontconfig) cannot be loaded
        return (f"WeasyPrint cannot load its system libraries ({exc}); install {WEASYPRINT_PACKAGES} "
                "(scripts/system_deps.sh report does it on Debian/Ubuntu)")
    return None


def skip_reason(tool: str) -> str | None:
    """Why a test needing `tool` ("weasyprint", "pdftoppm", "pdfinfo", "chromium") cannot run here, or None."""
    if tool == "weasyprint":
        return weasyprint_problem()
    if tool not in SYSTEM_TOOLS:
        raise ValueError(f"unknown system tool {tool!r}; known: weasyprint, {', '.join(SYSTEM_TOOLS)}")
    if find_tool(tool):
        return None
    names, package = SYSTEM_TOOLS[tool]
    return (f"{tool} is not installed ({' / '.join(names)} not on PATH); install the {package!r} package "
            "(scripts/system_deps.sh does it on Debian/Ubuntu)")


_LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*$")


def read_lock(path: str | Path | None = None) -> pd.DataFrame:
    """The pinned Python packages: columns package, version (file order), from requirements.lock.

    Lines are `name==version` as `pip freeze` writes them; blank lines and # comments are skipped; the
    editable install of this package itself (`-e ...`) is left out. Any other line is a LockFileError naming
    the line, as is a missing file."""
    p = Path(path) if path else LOCK_FILE
    if not p.is_file():
        raise LockFileError(f"{p} not found: regenerate it with scripts/make_lock.sh")
    rows = []
    for k, line in enumerate(p.read_text().splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("-e "):
            continue
        m = _LOCK_LINE.match(s)
        if not m:
            raise LockFileError(f"{p} line {k}: {line!r} is not name==version")
        rows.append({"package": m.group(1), "version": m.group(2)})
    return pd.DataFrame(rows, columns=["package", "version"])


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_differences(path: str | Path | None = None) -> pd.DataFrame:
    """Packages whose installed version differs from the lock: package, locked, installed ("not installed")."""
    lock = read_lock(path)
    rows = []
    for r in lock.itertuples(index=False):
        try:
            have = metadata.version(r.package)
        except metadata.PackageNotFoundError:
            have = "not installed"
        if _normal(have) != _normal(r.version):
            rows.append({"package": r.package, "locked": r.version, "installed": have})
    return pd.DataFrame(rows, columns=["package", "locked", "installed"])


def machine_table(lock_path: str | Path | None = None) -> pd.DataFrame:
    """For the report's reproducibility section: item, value rows on the machine the report was made on.

    Python and platform; each system tool (path or "not installed"); WeasyPrint's libraries ("usable" or
    why not); and the lock: how many packages it pins and which installed versions differ from it."""
    import platform

    rows = [{"item": "python", "value": platform.python_version()},
            {"item": "platform", "value": platform.platform()}]
    rows += [{"item": tool, "value": find_tool(tool) or "not installed"} for tool in SYSTEM_TOOLS]
    rows.append({"item": "WeasyPrint libraries", "value": weasyprint_problem() or "usable"})
    try:
        n = len(read_lock(lock_path))
        diff = lock_differences(lock_path)
        rows.append({"item": "requirements.lock", "value": f"{n} packages pinned"})
        rows.append({"item": "installed versions differing from the lock",
                     "value": "none" if diff.empty else "; ".join(f"{r.package} {r.installed} (lock {r.locked})"
                                                                 for r in diff.itertuples())})
    except LockFileError as exc:
        rows.append({"item": "requirements.lock", "value": str(exc)})
    return pd.DataFrame(rows, columns=["item", "value"])
