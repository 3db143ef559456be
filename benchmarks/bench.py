"""`make bench`: how fast each part of the study is, each next to the floor it could reach, in one run.

    python benchmarks/bench.py [--label before] [--skip pipeline,synthetic] [--scales 1,2,4] [--quick]

Sections (each row: package seconds, floor seconds, ratio = package / floor, peak memory where measured):

  adapters   every registered source present on disk, read by its adapter (`module.read`, no cache) next to
             the floor: decompressing the raw files and parsing them with the fastest reader we know
             (pyarrow.csv for CSV, python-calamine for XLSX, pyreadr for .rds, pyreadstat for .sav). For
             .rds / .xlsx the fallback engine (rdata / openpyxl) is timed too. Best of --repeats runs.
  build      the real-data build (`build_study`, every present source) as a child process: cold (empty
             parquet cache) and warm (cache filled), wall seconds and the child's own peak RSS (VmHWM).
  pipeline   `run --force` on the real releases (seconds per step, from the pipeline's own timer), then a
             no-op `externalize run` through the command line in a fresh process (wall seconds from process
             start, imports included; the note says whether every step was skipped), next to a bare
             `python -c pass` start.
  refits     2,000 segmented-ITS refits (placebo schedules x series, 120 months): the package's one-at-a-time
             path (models.fit_its) and batched path (robustness.fastfit), next to a plain statsmodels loop
             doing the same fits; the batched coefficients are checked against the loop's. Then the refits
             the study itself runs (`robustness.countinf`, the findings' primaries and the simulation grid):
             2,000 NB-AR(1) bootstrap refits and 2,000 NB2 + HAC fits, each next to a statsmodels loop.
  synthetic  SYNTHETIC full-size GTD (200,000 rows at 1x) + GED (300,000 at 1x) releases, written to a temporary
             folder and built as a whole (`build_study` on those two sources) in a child process, cold and
             warm, at each --scales factor: wall seconds, peak RSS of the build process, and seconds per
             100,000 rows (constant when the build is linear in size).

It prints the table and writes benchmarks/results/<date>-<label>.csv plus a .json with the machine state
(CPU count, load average before and after: absolute seconds on a busy shared machine are inflated; the
ratios compare pairs measured in the same run). Synthetic rows say nothing about the world; they say how
fast the code is.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"  # --results-dir overrides
ROWS_1X = {"gtd": 200_000, "ged": 300_000}

# targets from issue 17 (seconds unless stated); printed next to the measured value, never used to tune
TARGETS = {
    ("build", "real build cold"): 10.0,
    ("pipeline", "no-op run"): 1.0,
    ("pipeline", "robustness"): 20.0,
    ("pipeline", "figures"): 8.0,
    ("pipeline", "report"): 5.0,
    ("synthetic", "1x cold"): 5.0,
    ("synthetic", "1x warm"): 1.0,
}
MEMORY_TARGETS_MB = {("synthetic", "2x cold"): 1024.0}


@dataclass
class Row:
    section: str
    item: str
    package_s: float | None
    floor_s: float | None = None
    floor: str = ""
    peak_rss_mb: float | None = None
    rows: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.package_s is None or not self.floor_s:
            return None
        return self.package_s / self.floor_s

    @property
    def target(self) -> str:
        t = TARGETS.get((self.section, self.item))
        m = MEMORY_TARGETS_MB.get((self.section, self.item))
        parts = []
        if t is not None:
            parts.append(f"<= {t:g} s: {'met' if self.package_s is not None and self.package_s <= t else 'MISSED'}")
        if m is not None:
            ok = self.peak_rss_mb is not None and self.peak_rss_mb <= m
            parts.append(f"<= {m:g} MB: {'met' if ok else 'MISSED'}")
        return "; ".join(parts)


# ---------------------------------------------------------------------------------------------- helpers
def best_of(fn: Callable[[], object], repeats: int, stop_after: float = 5.0) -> float:
    """Smallest wall time of up to `repeats` calls (one call only when it takes more than stop_after s)."""
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if best > stop_after:
            break
    return best


def own_peak_rss_mb() -> float:
    """This process's own peak resident set size in MB: VmHWM of /proc/self/status on Linux.

    Not ru_maxrss: Linux carries the parent's high-water mark into a child's ru_maxrss at exec (and wait4
    reports that), so a child started by a large parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run `python <args>` as a child; (wall seconds, the child's own peak RSS in MB, its stdout).

    The peak comes from the child itself: a child of this script prints {"peak_rss_mb": own_peak_rss_mb()}
    in its JSON line; for any other command wait4's ru_maxrss is used, which on Linux is the larger of the
    child's peak and this process's peak when it started the child (an upper bound).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"child {' '.join(args)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    rss_mb = usage.ru_maxrss / 1024 / 1024 if sys.platform == "darwin" else usage.ru_maxrss / 1024
    try:
        rss_mb = float(child_json(stdout)["peak_rss_mb"])
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    return wall, rss_mb, stdout


def child_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- floors
def floor_csv(data: bytes) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first = data[: data.find(b"\n")]
    delim = ";" if first.count(b";") > first.count(b",") else ","
    try:
        table = pacsv.read_csv(pa.BufferReader(data), parse_options=pacsv.ParseOptions(delimiter=delim,
                               newlines_in_values=True))
    except pa.ArrowInvalid:  # Latin-1 files (START's older CSVs)
        table = pacsv.read_csv(pa.BufferReader(data), read_options=pacsv.ReadOptions(encoding="latin1"),
                               parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True))
    return table.num_rows


def floor_xlsx(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()) - 1


def floor_rds(data: bytes) -> int:
    import pyreadr

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "x.rds"
        f.write_bytes(data)
        return sum(len(v) for v in pyreadr.read_r(str(f)).values())


def floor_sav(data: bytes) -> int:
    import pyreadstat

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "x.sav"
        f.write_bytes(data)
        return len(pyreadstat.read_sav(str(f))[0])


FLOORS: dict[str, tuple[str, Callable[[bytes], int]]] = {
    ".csv": ("pyarrow.csv", floor_csv), ".txt": ("read", lambda data: data.count(b"\n")),
    ".xlsx": ("calamine", floor_xlsx),
    ".rds": ("pyreadr", floor_rds), ".sav": ("pyreadstat", floor_sav)}


def _ext(path: Path) -> str:
    from externalize.locate import inner_name

    return Path(inner_name(path)).suffix.lower()


# ---------------------------------------------------------------------------------------------- sections
def bench_adapters(data_dir: Path, repeats: int) -> list[Row]:
    from externalize.locate import locate_source
    from externalize.registry import load_registry

    rows: list[Row] = []
    for spec in load_registry().values():
        if not spec.is_read:
            continue
        try:
            located = locate_source(spec, data_dir)
        except Exception as exc:  # noqa: BLE001 - absent file: say so and go on
            rows.append(Row("adapters", spec.key, None, note=f"not measured: {exc}"))
            continue
        if located is None:
            continue
        files = {r: lf.path for r, lf in located.items()}
        try:
            rows.extend(_adapter_rows(spec, files, repeats))
        except Exception as exc:  # noqa: BLE001 - one source failing must not hide the others
            rows.append(Row("adapters", spec.key, None, note=f"not measured: {type(exc).__name__}: {exc}"[:300]))
    return rows


def _adapter_rows(spec, files: dict[str, Path], repeats: int) -> list[Row]:
    from externalize.locate import read_bytes
    from externalize.sources import adapter_for

    module = adapter_for(spec.adapter)
    out = module.read(spec, files)  # warm-up (imports), and the row count
    seconds = best_of(lambda: module.read(spec, files), repeats)
    exts = {_ext(p) for p in files.values()}
    names = sorted({FLOORS[e][0] for e in exts if e in FLOORS})

    def floor() -> None:
        for p in files.values():
            e = _ext(p)
            if e in FLOORS:
                FLOORS[e][1](read_bytes(p))

    floor_s = best_of(floor, repeats) if names else None
    rows = [Row("adapters", spec.key, seconds, floor_s, "decompress + " + "/".join(names),
                rows=out.rows_read, note=", ".join(sorted(p.name for p in files.values())))]
    for e in sorted(exts & {".rds", ".xlsx"}):  # the fallback engine, side by side
        rows.extend(_fallback_rows(spec, files, e, floor_s, repeats))
    return rows


def _fallback_rows(spec, files, ext: str, floor_s: float | None, repeats: int) -> list[Row]:
    try:
        from externalize.sources import base
    except ImportError:
        return []
    engines = {".rds": ("rdata", getattr(base, "rds_engine", None)), ".xlsx": ("openpyxl", getattr(base, "xlsx_engine", None))}
    engine, current = engines[ext]
    if current is None or current() == engine:
        return []  # this version of the package has no engine switch, or already uses the fallback
    from externalize.sources import gtd, pirus, ucdp_ged

    path = files["main"]
    if spec.adapter == "gtd" and ext == ".rds":
        fn = lambda: gtd.read_gtd_rds(path, engine=engine)  # noqa: E731
    elif spec.adapter == "ucdp_ged" and ext == ".rds":
        fn = lambda: ucdp_ged.read_ged_rds(path, engine=engine)  # noqa: E731
    elif spec.adapter == "pirus":
        fn = lambda: pirus.read_pirus_xlsx(path, engine=engine)  # noqa: E731
    else:
        return []
    seconds = best_of(fn, min(repeats, 1 if ext == ".rds" else repeats))
    return [Row("adapters", f"{spec.key} read with {engine}", seconds, floor_s, "same floor",
                note=f"fallback reader when the faster optional one is not installed (raw table only)")]


FALLBACK_READERS = {"EXTERNALIZE_RDS_ENGINE": "rdata", "EXTERNALIZE_XLSX_ENGINE": "openpyxl"}


def run_root(work: Path) -> Path:
    """The output root of the real build and pipeline runs: `externalize run --out-dir ROOT` writes
    ROOT/data/processed and ROOT/reports/output, so the no-op row can run the command line itself."""
    return work / "run"


def cli_child(args: list[str]) -> list[str]:
    """`python` arguments that run `externalize <args>` as the console script does (`externalize.cli` as
    __main__, in a fresh process, every import included), then print the process's own peak RSS in the JSON
    line bench.py's children print. A non-zero exit of the command fails the child."""
    code = ("import json, runpy, sys\n"
            f"sys.argv = ['externalize', *{args!r}]\n"
            "try:\n    runpy.run_module('externalize.cli', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as exc:\n    if exc.code:\n        raise\n"
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')] "
            "if sys.platform.startswith('linux') else []\n"
            "print(json.dumps({'peak_rss_mb': int(hwm[0].split()[1]) / 1024 if hwm else None}))")
    return ["-c", code]


def _stamps(output: Path) -> dict[str, str]:
    """Each step's stamp (its digest and finishing time): unchanged by a run that skipped every step."""
    out = {}
    for p in sorted((output / ".stamps").glob("*.json")):
        try:
            stamp = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if "step" in stamp:
            out[stamp["step"]] = f"{stamp.get('digest')} {stamp.get('finished')}"
    return out


def bench_build(data_dir: Path, work: Path) -> list[Row]:
    out = run_root(work) / "data" / "processed"
    rows = []
    runs = [("real build cold", out, None), ("real build warm", out, None)]
    try:
        from externalize.sources import base

        if hasattr(base, "rds_engine") and base.rds_engine() != "rdata":
            runs.append(("real build cold, fallback readers", work / "real-build-fallback", FALLBACK_READERS))
    except ImportError:
        pass
    for item, folder, env in runs:
        wall, rss, stdout = run_child([__file__, "--child", "build", "--data-dir", str(data_dir), "--out",
                                       str(folder)], env=env)
        info = child_json(stdout)
        note = f"process wall {wall:.1f} s (imports included)"
        if env:
            note += "; " + ", ".join(f"{k}={v}" for k, v in env.items())
        rows.append(Row("build", item, info["seconds"], peak_rss_mb=rss, rows=info["events"], note=note))
    return rows


def bench_pipeline(data_dir: Path, work: Path) -> list[Row]:
    root = run_root(work)
    processed, output = root / "data" / "processed", root / "reports" / "output"
    rows = []
    _, _, stdout = run_child([__file__, "--child", "pipeline", "--data-dir", str(data_dir), "--out", str(processed),
                              "--output", str(output), "--force"])
    for name, seconds in child_json(stdout)["steps"].items():
        rows.append(Row("pipeline", name, seconds, note="run --force (build on a warm cache)" if name == "build"
                        else "run --force"))
    bare, _, _ = run_child(["-c", "pass"])
    before = _stamps(output)
    wall, rss, _ = run_child(cli_child(["run", "--data-dir", str(data_dir), "--out-dir", str(root)]))
    after = _stamps(output)
    ran = sorted(k for k in after if after[k] != before.get(k))
    rows.append(Row("pipeline", "no-op run", wall, bare, "python -c pass", peak_rss_mb=rss,
                    note="`externalize run` in a fresh process, imports included; "
                         + (f"all {len(after)} steps skipped" if not ran else "steps that ran: " + ", ".join(ran))))
    return rows


def bench_refits(n_fits: int, loop_fits: int) -> list[Row]:
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    rows: list[Row] = []
    try:
        from externalize.robustness.fastfit import batch_ols, batch_poisson, segmented_designs
    except ImportError as exc:
        return [Row("refits", "batched", None, note=f"not measured: {exc}")]
    rng = np.random.default_rng(0)
    idx = pd.period_range("2008-01", periods=120, freq="M")
    n_sched = 100
    X, terms = segmented_designs(idx, np.arange(12, 12 + n_sched)[:, None], ["x"], seasonality=1)
    reps = -(-n_fits // n_sched)
    t = np.arange(120)
    Y = rng.poisson(np.exp(1.5 + 0.4 * (t >= 80)), size=(reps, 120)).astype(float)
    Xb, Yb = np.repeat(X, reps, axis=0)[:n_fits], np.tile(Y, (n_sched, 1))[:n_fits]
    m = min(loop_fits, n_fits)

    def loop(kind: str) -> tuple[float, np.ndarray]:
        params = []
        t0 = time.perf_counter()
        for b in range(m):
            if kind == "ols":
                r = sm.OLS(Yb[b], Xb[b]).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": True},
                                             use_t=True)
            else:
                r = sm.GLM(Yb[b], Xb[b], family=sm.families.Poisson()).fit()
            params.append(r.params)
        return (time.perf_counter() - t0) / m, np.array(params)

    for kind, label, fast in (("ols", "OLS + Newey-West HAC", lambda: batch_ols(Xb, Yb, hac_maxlags=4, terms=terms)),
                              ("poisson", "Poisson GLM", lambda: batch_poisson(Xb, Yb, terms=terms))):
        fast()  # warm-up
        t0 = time.perf_counter()
        fit = fast()
        per_fit_fast = (time.perf_counter() - t0) / n_fits
        per_fit_loop, loop_params = loop(kind)
        diff = float(np.max(np.abs(fit.params[:m] - loop_params)))
        rows.append(Row("refits", f"{n_fits} fits {label}, batched", per_fit_fast * n_fits, per_fit_loop * n_fits,
                        f"plain statsmodels loop ({m} fits timed, rate x {n_fits})", rows=n_fits,
                        note=f"max |coef diff| vs loop {diff:.1e}"))
    try:
        from externalize.models import fit_its

        y = pd.Series(Yb[0], index=idx)
        k = min(m, 100)
        t0 = time.perf_counter()
        for b in range(k):
            fit_its(y, {"x": idx[12 + b]}, "ols_hac", seasonality=1, hac_maxlags=4)
        per_fit = (time.perf_counter() - t0) / k
        t0 = time.perf_counter()
        for b in range(k):
            sm.OLS(Yb[b * reps], Xb[b * reps]).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": True},
                                                   use_t=True)
        per_loop = (time.perf_counter() - t0) / k
        rows.append(Row("refits", f"{n_fits} fits OLS + HAC, one at a time (fit_its)", per_fit * n_fits,
                        per_loop * n_fits, f"plain statsmodels loop ({k} fits timed, rate x {n_fits})", rows=n_fits,
                        note="the specification curve's path (one fit_its per specification); the simulation "
                        "grid and the primaries go through countinf (rows below)"))
    except Exception as exc:  # noqa: BLE001 - the models API may change: report, do not fail the benchmark
        rows.append(Row("refits", "fit_its one at a time", None, note=f"not measured: {type(exc).__name__}: {exc}"))
    rows.extend(bench_study_refits(n_fits, loop_fits))
    return rows


def bench_study_refits(n_fits: int, loop_fits: int) -> list[Row]:
    """The refits the study itself runs (findings' primaries and the cached simulation grid, through
    `robustness.countinf`), on an 84-month series shaped like the study window: the NB-AR(1) bootstrap's
    n_fits floored quasi-Poisson refits of its own draws, and n_fits NB2 + Newey-West HAC fits (negbin_hac,
    one NB2 fit per series at the Cameron-Trivedi alpha), each next to a plain statsmodels loop doing the same
    fits; coefficients and standard errors are compared with the loop's."""
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    try:
        from externalize.models.design import hac_lag_rule
        from externalize.robustness import countinf
        from externalize.robustness.fastfit import batch_poisson, segmented_designs
    except ImportError as exc:
        return [Row("refits", "study refits (countinf)", None, note=f"not measured: {exc}")]
    rows: list[Row] = []
    idx = pd.period_range("2011-01", periods=84, freq="M")
    X3, terms = segmented_designs(idx, np.array([[43]]), ["x"], seasonality=1)
    X, j = X3[0], terms.index("level_x")
    rng = np.random.default_rng(20140808)
    t = np.arange(84)
    y = rng.poisson(np.exp(np.log(10.0) + 0.3 * (t >= 43) + 0.2 * np.sin(2 * np.pi * t / 12))).astype(float)
    m = min(loop_fits, n_fits)
    # bootstrap: the draws the package refits (its own generator, seeded), then the refits alone, side by side
    pois = batch_poisson(X[None], y[None], terms=terms)
    mu = np.exp(X @ pois.params[0])
    a = countinf.ct_alpha(y[None], mu[None])
    draws = countinf.nb_ar1_draws(mu[None], a, np.array([0.3]), n_fits, np.random.default_rng(1))[0]
    draws = draws[draws.sum(axis=1) > 0]
    Xb = np.broadcast_to(X, (len(draws), *X.shape))
    countinf.quasi_poisson(Xb[:10], draws[:10], j)   # warm-up
    t0 = time.perf_counter()
    fast = countinf.quasi_poisson(Xb, draws, j, floor=True)
    per_fast = (time.perf_counter() - t0) / len(draws)
    t0 = time.perf_counter()
    est, se = [], []
    for b in range(m):
        r = sm.GLM(draws[b], X, family=sm.families.Poisson()).fit(scale="X2")
        phi = max(float(r.pearson_chi2) / float(r.df_resid), 1.0)
        est.append(r.params[j])
        se.append(float(np.sqrt(r.cov_params()[j, j] / r.scale * phi)))
    per_loop = (time.perf_counter() - t0) / m
    diff = max(float(np.max(np.abs(fast.estimate[:m] - est))), float(np.max(np.abs(fast.std_error[:m] - se))))
    t0 = time.perf_counter()
    countinf.nb_ar1_bootstrap(X, y, j, n_boot=n_fits, rng=np.random.default_rng(1))
    whole = time.perf_counter() - t0
    rows.append(Row("refits", f"{n_fits} fits NB-AR(1) bootstrap refits (floored quasi-Poisson), batched",
                    per_fast * n_fits, per_loop * n_fits, f"plain statsmodels loop ({m} fits timed, rate x {n_fits})",
                    rows=n_fits, note=f"the primaries' and simulation grid's path (countinf); max |coef or se diff| "
                    f"vs loop {diff:.1e}; whole nb_ar1_bootstrap with its draws {whole:.3f} s",
                    extra={"max_diff": diff, "fits_timed_loop": m}))
    # NB2 + HAC: one NB2 fit per series at the moment alpha (no profile over alpha)
    Y = rng.poisson(np.broadcast_to(mu, (n_fits, 84)) * rng.gamma(5.0, 0.2, size=(n_fits, 84))).astype(float)
    Y = Y[Y.sum(axis=1) > 0]
    countinf.negbin_hac(X, Y[:10], j)   # warm-up
    t0 = time.perf_counter()
    nb = countinf.negbin_hac(X, Y, j)
    per_fast = (time.perf_counter() - t0) / len(Y)
    lag = hac_lag_rule(84)
    t0 = time.perf_counter()
    est, se = [], []
    for b in range(m):
        p0 = sm.GLM(Y[b], X, family=sm.families.Poisson()).fit()
        alpha = float(countinf.ct_alpha(Y[b][None], np.asarray(p0.fittedvalues)[None])[0])
        r = sm.GLM(Y[b], X, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
            cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": True})
        est.append(r.params[j])
        se.append(r.bse[j])
    per_loop = (time.perf_counter() - t0) / m
    diff_e = float(np.max(np.abs(nb.estimate[:m] - est)))
    diff_s = float(np.max(np.abs(nb.std_error[:m] / np.asarray(se) - 1)))
    rows.append(Row("refits", f"{n_fits} fits NB2 + HAC (negbin_hac), batched", per_fast * n_fits,
                    per_loop * n_fits, f"plain statsmodels loop ({m} fits timed, rate x {n_fits})", rows=n_fits,
                    note=f"max |coef diff| vs loop {diff_e:.1e}, max relative se diff {diff_s:.1e}",
                    extra={"max_diff": diff_e, "max_rel_se_diff": diff_s, "fits_timed_loop": m}))
    return rows


def bench_synthetic(work: Path, scales: list[int], seed: int) -> list[Row]:
    rows: list[Row] = []
    for scale in scales:
        folder = work / f"synthetic-{scale}x"
        data, out = folder / "data", folder / "out"
        n_gtd, n_ged = ROWS_1X["gtd"] * scale, ROWS_1X["ged"] * scale
        t0 = time.perf_counter()
        run_child([__file__, "--child", "write", "--data-dir", str(data), "--gtd-rows", str(n_gtd),
                   "--ged-rows", str(n_ged), "--seed", str(seed)])
        write_s = time.perf_counter() - t0
        rows.append(Row("synthetic", f"{scale}x write releases", write_s, rows=n_gtd + n_ged,
                        note="synthetic writers (GTD CSV 135 columns + GED CSV 49 columns), process wall"))
        for phase in ("cold", "warm"):
            wall, rss, stdout = run_child([__file__, "--child", "synthetic-build", "--data-dir", str(data),
                                           "--out", str(out)])
            info = child_json(stdout)
            n = n_gtd + n_ged
            rows.append(Row("synthetic", f"{scale}x {phase}", info["seconds"], peak_rss_mb=rss, rows=n,
                            note=f"{info['seconds'] / n * 1e5:.2f} s per 100k rows; process wall {wall:.1f} s; "
                                 f"{info['events']:,} events kept"))
        if os.environ.get("EXTERNALIZE_BENCH_KEEP") != "1":
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    return rows


# ---------------------------------------------------------------------------------------------- children
def _quiet_console():
    from rich.console import Console

    return Console(stderr=True, quiet=True)


def child_main(args: argparse.Namespace) -> int:
    if args.child == "build":
        from externalize.build import build_study
        from externalize.config import load_study

        t0 = time.perf_counter()
        res = build_study(load_study(), args.data_dir, args.out, console=_quiet_console())
        print(json.dumps({"seconds": time.perf_counter() - t0, "events": len(res.events),
                          "peak_rss_mb": own_peak_rss_mb()}))
    elif args.child == "synthetic-build":
        import functools

        import externalize.build as build
        from externalize.config import load_study
        from externalize.registry import load_registry

        # build_study has no switch for synthetic files (the locator skips them unless told): pass it through
        build.read_sources = functools.partial(build.read_sources, allow_synthetic=True)
        registry = {k: v for k, v in load_registry().items() if k in ("gtd_full", "ucdp_ged_global")}
        t0 = time.perf_counter()
        res = build.build_study(load_study(), args.data_dir, args.out, console=_quiet_console(), registry=registry)
        missing = [k for k in registry if k not in res.ledger.entries]
        if missing:
            raise SystemExit(f"synthetic sources not read: {missing} ({res.ledger.skipped})")
        print(json.dumps({"seconds": time.perf_counter() - t0, "events": len(res.events),
                          "peak_rss_mb": own_peak_rss_mb()}))
    elif args.child == "write":
        from externalize.synthetic.ged import write_ged_release
        from externalize.synthetic.gtd import write_gtd_release

        write_gtd_release(args.data_dir, n_rows=args.gtd_rows, seed=args.seed)
        write_ged_release(args.data_dir, n_rows=args.ged_rows, seed=args.seed)
        print(json.dumps({"peak_rss_mb": own_peak_rss_mb()}))
    elif args.child == "pipeline":
        import externalize.cli  # noqa: F401 - what `externalize run` imports before it starts
        from externalize.pipeline import run_pipeline

        outcomes = run_pipeline(data_dir=args.data_dir, force=args.force, console=_quiet_console(),
                                output_dir=args.output, processed_dir=args.out)
        print(json.dumps({"steps": {o.name: o.seconds for o in outcomes},
                          "status": {o.name: o.status for o in outcomes}, "peak_rss_mb": own_peak_rss_mb()}))
    return 0


# ---------------------------------------------------------------------------------------------- main
def _machine() -> dict:
    import externalize

    return {"package": str(Path(externalize.__file__).parent), "python": platform.python_version(), "cpus": os.cpu_count(), "load_average": os.getloadavg(),
            "time_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "git_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True,
                                         text=True).stdout.strip()}


def add_build_floor(rows: list[Row]) -> None:
    """The real build's floor: the sum of every adapter's decompress-and-parse floor measured in this run."""
    floors = [r.floor_s for r in rows if r.section == "adapters" and r.floor_s and " read with " not in r.item]
    if not floors:
        return
    for r in rows:
        if r.section == "build" and r.item.startswith("real build"):
            r.floor_s, r.floor = sum(floors), f"sum of {len(floors)} adapter floors (same run)"


def print_table(rows: list[Row]) -> None:
    print(f"\n{'section':<10} {'item':<52} {'package s':>10} {'floor s':>9} {'ratio':>8} {'peak MB':>8}  "
          f"floor / target / note")
    for r in rows:
        fmt = lambda v, f: (format(v, f) if v is not None else "-")  # noqa: E731
        tail = " | ".join(x for x in (r.floor, r.target, r.note) if x)
        print(f"{r.section:<10} {r.item[:52]:<52} {fmt(r.package_s, '10.3f'):>10} {fmt(r.floor_s, '9.3f'):>9} "
              f"{fmt(r.ratio, '8.2f'):>8} {fmt(r.peak_rss_mb, '8.0f'):>8}  {tail}")


def write_results(rows: list[Row], label: str, machine: dict, folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{dt.date.today().isoformat()}-{label}"
    with open(f"{stem}.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["section", "item", "package_s", "floor_s", "ratio", "floor", "peak_rss_mb", "rows", "target",
                    "note"])
        for r in rows:
            w.writerow([r.section, r.item, _num(r.package_s), _num(r.floor_s), _num(r.ratio), r.floor,
                        _num(r.peak_rss_mb, 0), r.rows if r.rows is not None else "", r.target, r.note])
    Path(f"{stem}.json").write_text(json.dumps({"label": label, "machine": machine,
                                                "rows": [asdict(r) for r in rows]}, indent=2, default=str))
    return Path(f"{stem}.csv")


def _num(v: float | None, digits: int = 4) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="run", help="name of the results file (e.g. before, after)")
    ap.add_argument("--data-dir", type=Path, default=None, help="real releases (default: the package's search)")
    ap.add_argument("--skip", default="", help="comma list of sections to leave out")
    ap.add_argument("--scales", default="1,2,4", help="synthetic sizes, multiples of 1x")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--fits", type=int, default=2000)
    ap.add_argument("--loop-fits", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("--rows-1x", default=None, help="GTD,GED rows at 1x (default 200000,300000; smaller for a "
                    "smoke test of the benchmark itself)")
    ap.add_argument("--quick", action="store_true", help="skip the full pipeline and the 4x synthetic build")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--gtd-rows", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ged-rows", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child_main(args)

    from externalize.locate import resolve_data_dir

    if args.rows_1x:
        ROWS_1X["gtd"], ROWS_1X["ged"] = (int(x) for x in args.rows_1x.split(","))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    if args.quick:
        skip.add("pipeline")
        scales = [s for s in scales if s <= 2]
    machine = _machine()
    print(f"machine: {machine['cpus']} CPUs, load average {machine['load_average']}, Python {machine['python']}")
    data_dir = resolve_data_dir(args.data_dir)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="externalize-bench-") as tmp:
        work = Path(tmp)
        sections: list[tuple[str, Callable[[], list[Row]]]] = [
            ("adapters", lambda: bench_adapters(data_dir, args.repeats)),
            ("build", lambda: bench_build(data_dir, work)),
            ("pipeline", lambda: bench_pipeline(data_dir, work)),
            ("refits", lambda: bench_refits(args.fits, args.loop_fits)),
            ("synthetic", lambda: bench_synthetic(work, scales, args.seed)),
        ]
        for name, fn in sections:
            if name in skip:
                continue
            if data_dir is None and name in ("adapters", "build", "pipeline"):
                rows.append(Row(name, "-", None, note="not measured: no real data folder found"))
                continue
            print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
            got = fn()
            print_table(got)
            rows.extend(got)
            write_results(rows, args.label, machine, args.results_dir)  # a partial run keeps what it measured
    add_build_floor(rows)
    machine["load_average_after"] = os.getloadavg()
    print("\nall rows:")
    print_table(rows)
    path = write_results(rows, args.label, machine, args.results_dir)
    print(f"\nwritten {path} (+ .json); load average before {machine['load_average']}, "
          f"after {machine['load_average_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
