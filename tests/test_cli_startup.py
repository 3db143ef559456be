"""Starting the command line and a no-op `externalize run` load no heavy library.

`import externalize.cli` (what `externalize --help` runs) and a run whose steps are all fresh decide
everything from the stamps, the study file's bytes and the registry read with tomllib: pandas, numpy,
statsmodels, plotnine, pandera and the rest are imported only by a step that has to run. These tests check
`sys.modules` in a fresh interpreter (not a timing: a module that comes back on that path fails them).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import externalize
from externalize.artefacts import outputs_of
from externalize.errors import ConfigError
from externalize.paths import DEFAULT_STUDY, OutputPaths
from externalize.pipeline import STEP_ORDER, Step, default_steps, run_pipeline

#: libraries the command line and a no-op run must not import (each costs 0.03-0.5 s to import)
HEAVY = ("pandas", "numpy", "pyarrow", "pandera", "scipy", "statsmodels", "plotnine", "matplotlib", "weasyprint",
         "jinja2", "externalize.models", "externalize.build", "externalize.estimates")
SRC = Path(externalize.__file__).resolve().parents[1]


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter that imports this checkout's package; the code's last stdout line is
    a JSON list of the heavy modules it ended up importing."""
    env = {k: v for k, v in os.environ.items() if k not in ("EXTERNALIZE_DATA", "EXTERNALIZE_OUT")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    tail = (f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
            f"or any(m == h or m.startswith(h + '.') for h in {HEAVY!r}))))")
    return subprocess.run([sys.executable, "-c", f"import json, sys\n{code}\n{tail}"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _heavy(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_heavy_library(tmp_path: Path) -> None:
    proc = _python("import externalize.cli, externalize.pipeline, externalize.config, externalize.registry, "
                   "externalize.locate, externalize.artefacts, externalize.vocab, externalize.paths", tmp_path)
    assert _heavy(proc) == []


def test_help_loads_no_heavy_library(tmp_path: Path) -> None:
    proc = _python("from externalize.cli import app\n"
                   "try:\n    app(['run', '--help'])\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code",
                   tmp_path)
    assert "--out-dir" in proc.stdout
    assert _heavy(proc) == []


def _fake_full_run(root: Path, data: Path) -> list[str]:
    """Every real step (real inputs, outputs and code fingerprints) with its work replaced by writing its
    declared outputs: stamps exactly as a real run leaves them, in a second."""
    def fake(name: str):
        def run(ctx) -> None:
            for p in [a.path(ctx.paths) for a in outputs_of(name)] or [ctx.figures_dir / "f.png"]:  # type: ignore[arg-type]
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(f"{name}:{p.name}")
        return run

    steps = [Step(s.name, fake(s.name), s.inputs, s.outputs, s.code_excludes, s.optional_outputs)
             for s in default_steps().values()]
    paths = OutputPaths.under(root)
    done = run_pipeline(study_path=DEFAULT_STUDY, data_dir=data, steps=steps, processed_dir=paths.processed,
                        output_dir=paths.output, console=Console(file=io.StringIO()))
    return [o.status for o in done]


def test_a_no_op_run_decides_from_the_stamps_without_heavy_libraries(tmp_path: Path) -> None:
    data, root = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    assert _fake_full_run(root, data) == ["ran"] * len(STEP_ORDER)
    argv = ["run", "--study", str(DEFAULT_STUDY), "--data-dir", str(data), "--out-dir", str(root)]
    proc = _python("from externalize.cli import app\n"
                   f"try:\n    app({argv!r})\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code", tmp_path)
    heavy = _heavy(proc)
    for step in STEP_ORDER:   # the real steps found every fake-run stamp fresh
        assert f"{step}: skipped (inputs unchanged)" in proc.stderr, proc.stderr[-2000:]
    assert heavy == []


def test_a_changed_study_is_validated_again_before_any_step(tmp_path: Path) -> None:
    """The no-op path skips loading the study only when this output folder saw the same study, registry and
    code validated; an edited study is loaded and its error named before any step starts."""
    data, root = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    _fake_full_run(root, data)
    study = tmp_path / "study.toml"
    study.write_text(DEFAULT_STUDY.read_text().replace("bootstrap_draws = 999", "bootstrap_draw = 999", 1))
    calls: list[str] = []
    step = Step("probe", lambda ctx: calls.append("probe"), lambda c: [], lambda c: [])
    with pytest.raises(ConfigError, match="did you mean 'bootstrap_draws'"):
        run_pipeline(study_path=study, steps=[step], out_dir=root, console=Console(file=io.StringIO()))
    assert calls == []


def test_a_no_op_run_reads_no_raw_file_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw files (a registered one and a researcher-supplied release) are hashed once, then taken from the
    hash cache by size and mtime: a warm run reads the study file and the registry, not the releases."""
    from externalize import locate, pipeline
    from externalize.registry import release_files

    data, root = tmp_path / "data", tmp_path / "out"
    releases = release_files()
    registered = next(f.path for r in releases.values() if r.is_read and not r.researcher_supplied for f in r.files)
    supplied = next(r for r in releases.values() if r.researcher_supplied and r.is_read)
    pattern = supplied.match[0]
    for path in (data / registered, data / pattern.replace("*", "x").replace("?", "x")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"raw release bytes")
    assert len(locate.raw_files(releases, data)) == 2
    _fake_full_run(root, data)
    hashed: list[str] = []
    real = pipeline._sha256
    monkeypatch.setattr(pipeline, "_sha256", lambda p: hashed.append(Path(p).name) or real(p))
    monkeypatch.setattr(locate, "sha256_of", lambda *a, **k: pytest.fail("a raw file was read to list the inputs"))
    done = run_pipeline(study_path=DEFAULT_STUDY, data_dir=data, out_dir=root, console=Console(file=io.StringIO()))
    assert [o.status for o in done] == ["skipped"] * len(STEP_ORDER)
    assert set(hashed) == {DEFAULT_STUDY.name, "sources.toml"}


def test_the_validation_memo_follows_study_registry_and_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from externalize import pipeline

    study, registry = tmp_path / "study.toml", tmp_path / "sources.toml"
    study.write_text("a")
    registry.write_text("b")
    monkeypatch.setattr(pipeline, "REGISTRY_FILE", registry)
    ctx = pipeline.Context(study=None, study_path=study, data_dir=None, paths=OutputPaths.under(tmp_path),
                           console=Console(file=io.StringIO()))
    first = pipeline._validation_key(ctx)
    registry.write_text("b2")
    second = pipeline._validation_key(ctx)
    study.write_text("a2")
    third = pipeline._validation_key(ctx)
    ctx.extra["package_sources"] = [*pipeline.package_sources(), ("new_module.py", b"x = 1\n")]
    fourth = pipeline._validation_key(ctx)
    assert len({first, second, third, fourth}) == 4
