"""The pipeline's skipping logic with injected fake steps: a step runs when its inputs (files, study config,
code) changed or its outputs are missing, is skipped otherwise, and a failed step leaves no stamp."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from externalize.config import load_study
from externalize.errors import PipelineError
from externalize.pipeline import STEP_ORDER, Step, default_steps, project_lock, run_pipeline


@pytest.fixture
def env(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(load_study().path.read_text())
    raw = tmp_path / "raw.txt"
    raw.write_text("raw v1")
    calls: list[str] = []

    def upstream(ctx) -> None:
        calls.append("up")
        (ctx.output_dir / "mid.txt").write_text(raw.read_text().upper())

    def downstream(ctx) -> None:
        calls.append("down")
        (ctx.output_dir / "final.txt").write_text((ctx.output_dir / "mid.txt").read_text() + "!")

    steps = [Step("up", upstream, lambda c: [raw], lambda c: [c.output_dir / "mid.txt"]),
             Step("down", downstream, lambda c: [c.output_dir / "mid.txt"], lambda c: [c.output_dir / "final.txt"])]
    out = tmp_path / "out"
    out.mkdir()

    def run(**kw):
        return run_pipeline(study_path=study, steps=steps, output_dir=out, processed_dir=tmp_path / "proc",
                            console=Console(file=io.StringIO()), **kw)

    return {"run": run, "calls": calls, "raw": raw, "out": out, "study": study, "steps": steps}


def _status(outcomes) -> dict[str, str]:
    return {o.name: o.status for o in outcomes}


def test_second_run_skips_everything(env):
    first = env["run"]()
    assert _status(first) == {"up": "ran", "down": "ran"} and first[0].reason == "no previous run"
    assert _status(env["run"]()) == {"up": "skipped", "down": "skipped"}
    assert env["calls"] == ["up", "down"]
    stamp = json.loads((env["out"] / ".stamps" / "up.json").read_text())
    assert len(stamp["digest"]) == 64 and any(k.endswith("raw.txt") for k in stamp["inputs"])


def test_changed_input_reruns_the_step_and_its_dependants(env):
    env["run"]()
    env["raw"].write_text("raw v2")
    outcomes = env["run"]()
    assert _status(outcomes) == {"up": "ran", "down": "ran"}
    # the run says what changed: the raw file for `up`, its output (mid.txt) for `down`
    assert outcomes[0].reason.startswith("changed: 1 input file(s)") and "raw.txt" in outcomes[0].reason
    assert "mid.txt" in outcomes[1].reason
    assert (env["out"] / "final.txt").read_text() == "RAW V2!"


def test_identical_upstream_output_lets_downstream_skip(env):
    env["run"]()
    env["raw"].write_text("RAW V1")          # different input, same upper-cased output
    assert _status(env["run"]()) == {"up": "ran", "down": "skipped"}


def test_study_config_change_and_force_and_missing_output(env):
    env["run"]()
    env["study"].write_text(env["study"].read_text() + "\n# a comment changes the file\n")
    outcomes = env["run"]()
    assert _status(outcomes) == {"up": "ran", "down": "ran"}
    assert all(o.reason == "changed: study config" for o in outcomes)
    assert _status(env["run"](force=True)) == {"up": "ran", "down": "ran"}
    (env["out"] / "final.txt").unlink()
    outcomes = env["run"]()
    assert _status(outcomes) == {"up": "skipped", "down": "ran"}
    assert outcomes[1].reason.startswith("output missing") and "final.txt" in outcomes[1].reason


def test_failed_step_writes_no_stamp(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(load_study().path.read_text())

    def boom(ctx) -> None:
        raise RuntimeError("step failed")

    step = Step("boom", boom, lambda c: [], lambda c: [])
    with pytest.raises(RuntimeError):
        run_pipeline(study_path=study, steps=[step], output_dir=tmp_path / "out",
                     console=Console(file=io.StringIO()))
    assert not (tmp_path / "out" / ".stamps" / "boom.json").exists()


def test_default_steps_are_the_study_order(tmp_path):
    assert tuple(default_steps()) == STEP_ORDER == ("build", "fit", "robustness", "designs", "findings", "figures",
                                                    "report")
    with pytest.raises(PipelineError, match="did you mean 'fit'"):
        run_pipeline(steps=["fitt"], output_dir=tmp_path, console=Console(file=io.StringIO()))


def test_a_step_killed_half_way_is_redone(env):
    """A crash inside a step (here: an exception after a half-written output) leaves no stamp, so the next
    run redoes the step instead of taking the partial file as valid."""
    env["run"]()
    (env["out"] / "mid.txt").write_text("")          # what a SIGKILL during the write could leave behind
    (env["out"] / ".stamps" / "up.json").unlink()    # the stamp is removed before a step starts
    outcomes = env["run"]()
    assert _status(outcomes) == {"up": "ran", "down": "skipped"}
    assert (env["out"] / "mid.txt").read_text() == "RAW V1"


def test_an_output_edited_after_the_step_reruns_it(env):
    env["run"]()
    (env["out"] / "final.txt").write_text("tampered")
    outcomes = env["run"]()
    assert _status(outcomes) == {"up": "skipped", "down": "ran"}
    assert "output changed" in outcomes[1].reason


def test_stamps_do_not_depend_on_how_a_folder_is_spelled(env, tmp_path, monkeypatch):
    """The same files reached through another spelling of the output folder: nothing reruns."""
    env["run"]()
    monkeypatch.chdir(tmp_path)
    outcomes = run_pipeline(study_path=env["study"], steps=env["steps"],
                            output_dir=Path("out/../out"), processed_dir=Path("proc"),
                            console=Console(file=io.StringIO()))
    assert _status(outcomes) == {"up": "skipped", "down": "skipped"}


def test_a_second_run_in_the_same_folder_is_refused_while_the_first_holds_the_lock(tmp_path):
    from externalize.paths import OutputPaths

    paths = OutputPaths(tmp_path / "proc", tmp_path / "out")
    with project_lock(paths):
        with pytest.raises(PipelineError, match="another externalize run"):
            with project_lock(paths):
                pass
    with project_lock(paths):   # released: the next run takes it
        pass


def test_code_fingerprint_per_step():
    from externalize.pipeline import code_fingerprint

    steps = default_steps()
    # a step's fingerprint leaves out the modules of later steps, so drawing code edits do not refit models
    assert {"figures/", "report.py", "tables.py"} <= set(steps["build"].code_excludes)
    assert "figures/" not in steps["figures"].code_excludes
    assert "report.py" not in steps["report"].code_excludes and "tables.py" not in steps["report"].code_excludes
    assert code_fingerprint(("figures/",)) != code_fingerprint()
    assert code_fingerprint(("no_such_module.py",)) == code_fingerprint()
    # a trailing slash excludes a folder: the model steps do not hash the source adapters
    assert "sources/" in steps["fit"].code_excludes and "sources/" not in steps["build"].code_excludes
    assert code_fingerprint(("sources/",)) != code_fingerprint(("sources",))


@pytest.mark.slow
@pytest.mark.parametrize("script", ["01_build.py", "02_models.py", "03_robustness.py", "04_designs.py",
                                    "05_findings.py", "06_figures.py", "07_report.py"])
def test_analysis_scripts_take_the_study_options(script):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, str(root / "analysis" / script), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "--data-dir" in proc.stdout and "--study" in proc.stdout and "--jobs" in proc.stdout
    # worker processes (--jobs; forkserver / spawn) import the script as __mp_main__: it must not run the step
    # again there (it would wait on the parent's lock and the pool would break)
    import runpy

    runpy.run_path(str(root / "analysis" / script), run_name="__mp_main__")


@pytest.mark.parametrize("step, needs", [("report", "build and fit and robustness and designs and findings and "
                                                    "figures"),
                                         ("findings", "build and fit and robustness"), ("fit", "build")])
def test_a_step_run_alone_where_earlier_steps_never_ran_is_refused(tmp_path, step, needs):
    """`--step report` (or analysis/07_report.py) into a folder where the findings never ran would render a
    report from nothing; the step is refused, naming the steps whose outputs it reads, before it runs."""
    with pytest.raises(PipelineError, match=f"step {step} reads what the {needs} step") as err:
        run_pipeline(steps=[step], out_dir=tmp_path, console=Console(file=io.StringIO()))
    assert "is missing" in str(err.value) and not (tmp_path / "reports" / "output" / "report.html").exists()
