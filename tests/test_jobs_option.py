"""`externalize run --jobs N`: checked before any step runs, carried to the steps in the pipeline Context,
and it does not enter a step's input digest (results do not depend on it, so changing it re-runs nothing)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from externalize.config import load_study
from externalize.parallel import ParallelError
from externalize.pipeline import Step, run_pipeline


def _run(tmp_path: Path, seen: list[int], **kw):
    study = tmp_path / "study.toml"
    study.write_text(load_study().path.read_text())

    def record(ctx) -> None:
        seen.append(ctx.jobs)
        (ctx.output_dir / "out.txt").write_text("done")

    step = Step("record", record, lambda c: [], lambda c: [c.output_dir / "out.txt"])
    return run_pipeline(study_path=study, steps=[step], output_dir=tmp_path / "out",
                        processed_dir=tmp_path / "proc", console=Console(file=io.StringIO()), **kw)


def test_jobs_reach_the_steps_and_do_not_rerun_them(tmp_path: Path) -> None:
    seen: list[int] = []
    assert [o.status for o in _run(tmp_path, seen, jobs=2)] == ["ran"]
    assert [o.status for o in _run(tmp_path, seen, jobs=1)] == ["skipped"]   # same inputs, other jobs
    assert [o.status for o in _run(tmp_path, seen, jobs=1, force=True)] == ["ran"]
    assert seen == [2, 1]


def test_a_bad_jobs_value_stops_the_run_before_any_step(tmp_path: Path) -> None:
    seen: list[int] = []
    with pytest.raises(ParallelError, match="jobs must be a positive integer or -1"):
        _run(tmp_path, seen, jobs=0)
    assert seen == []


def test_the_cli_passes_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    from externalize import pipeline
    from externalize.cli import app

    got: dict = {}
    monkeypatch.setattr(pipeline, "run_pipeline", lambda **kw: got.update(kw) or [])
    result = CliRunner().invoke(app, ["run", "--jobs", "3", "--step", "fit"])
    assert result.exit_code == 0, result.output
    assert got["jobs"] == 3 and got["steps"] == ["fit"]
    got.clear()
    assert CliRunner().invoke(app, ["run", "--step", "fit"]).exit_code == 0
    assert got["jobs"] == -1
