"""The shared vocabulary, the artefact registry, the strict study config and the command line: each bad input is
one clear line and a non-zero exit; each declared output, deleted, is remade by the step that owns it."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from externalize.artefacts import ARTEFACTS, outputs_of, read_table, write_table
from externalize.cli import app
from externalize.config import load_study
from externalize.errors import ConfigError, ExternalizeError, LedgerError, PipelineError, TaxonomyError
from externalize.paths import OutputPaths, output_paths
from externalize.pipeline import Step, default_steps, run_pipeline
from externalize.vocab import STEPS, as_bool, check_choice, parse_term, term

runner = CliRunner()
STUDY_TEXT = load_study().path.read_text()


def _study(tmp_path: Path, old: str = "", new: str = "") -> Path:
    assert old in STUDY_TEXT, old
    p = tmp_path / "study.toml"
    p.write_text(STUDY_TEXT.replace(old, new, 1) if old else STUDY_TEXT)
    return p


# ---------------------------------------------------------------- vocabulary
def test_term_names_are_built_and_parsed_in_one_place():
    assert term("iraq_strikes", "level") == "level_iraq_strikes"
    assert parse_term(term("syria_strikes", "slope")) == ("slope", "syria_strikes")
    assert parse_term("const") is None and parse_term("level_iraq_strikes:outcome") is None
    with pytest.raises(ExternalizeError, match="did you mean 'level'"):
        term("iraq_strikes", "levle")  # type: ignore[arg-type]


def test_check_choice_names_the_nearest_value():
    assert check_choice("fit", STEPS, "step") == "fit"
    with pytest.raises(ConfigError, match=r"'robustnes' is not one of .* did you mean 'robustness'\?"):
        check_choice("robustnes", STEPS, "step")


@pytest.mark.parametrize("cell,expected", [("True", True), ("false", False), (1, True), (0, False), ("", False),
                                           (float("nan"), False), (True, True)])
def test_booleans_read_back_from_csv(cell, expected):
    assert as_bool(cell) is expected


def test_as_bool_refuses_a_non_boolean_cell():
    with pytest.raises(ExternalizeError, match="not a boolean"):
        as_bool("maybe")


def test_every_package_error_shares_the_base_class():
    assert issubclass(TaxonomyError, ExternalizeError) and issubclass(LedgerError, ExternalizeError)
    from externalize import ledger, taxonomy
    assert taxonomy.TaxonomyError is TaxonomyError and ledger.LedgerError is LedgerError


# ---------------------------------------------------------------- strict config
@pytest.mark.parametrize("old,new,message", [
    ("bootstrap_draws = 999", "bootstrap_draw = 5", "unknown key 'bootstrap_draw'; did you mean 'bootstrap_draws'"),
    ('source = "nesser_cym"', 'source = "nesser_cymm"', "'nesser_cymm' is not one of .*did you mean 'nesser_cym'"),
    ('main_model = "quasipoisson"', 'main_model = "quasipoison"', "did you mean 'quasipoisson'"),
    ('monthly_models = ["ols_hac",', 'monthly_models = ["ols_hax",', "did you mean 'ols_hac'"),
    ('date = "2015-09-30"', 'date = "2019-09-30"', "outside the window"),
    ('dates = ["2012-08-01",', 'dates = ["2010-08-01",', "placebo date 2010-08-01 lies outside the window"),
    ('family = "all"', 'family = "ISIS"', "family: 'ISIS' is not one of"),
    ("[robustness]", "[robustnes]", "unknown key 'robustnes'; did you mean 'robustness'"),
])
def test_config_errors_name_the_key_and_the_nearest_valid_value(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_study(_study(tmp_path, old, new))


# ---------------------------------------------------------------- command line
def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("old,new,needle", [
    ("bootstrap_draws = 999", "bootstrap_draw = 5", "did you mean 'bootstrap_draws'"),
    ('source = "nesser_cym"', 'source = "nesser_cymm"', "did you mean 'nesser_cym'"),
    ('main_model = "quasipoisson"', 'main_model = "poissonx"', "models.main_model"),
    ('date = "2015-09-30"', 'date = "2019-09-30"', "outside the window"),
])
def test_cli_reports_a_bad_config_in_one_line_and_exits_non_zero(tmp_path, old, new, needle):
    code, out = _cli("run", "--study", str(_study(tmp_path, old, new)), "--out-dir", str(tmp_path / "o"))
    assert code == 2
    assert needle in out and "Traceback" not in out
    assert out.strip().startswith("error:")
    code, out = _cli("check", "--study", str(_study(tmp_path, old, new)))
    assert code == 2 and needle in out


def test_cli_refuses_a_data_dir_that_does_not_exist(tmp_path):
    missing = tmp_path / "does" / "not" / "exist"
    for cmd in ("build", "run", "check", "verify"):
        extra = ["--out-dir", str(tmp_path / "o")] if cmd in ("build", "run") else []
        code, out = _cli(cmd, "--data-dir", str(missing), *extra)
        assert code == 2, (cmd, out)
        assert str(missing) in out.replace("\n", "") and "does not exist" in out
    assert not (tmp_path / "o").exists()


def test_debug_shows_the_traceback_with_the_same_exit_code(tmp_path):
    result = runner.invoke(app, ["--debug", "run", "--data-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "Traceback" in result.output and "DataNotFoundError" in result.output


def test_outputs_go_where_the_user_says(tmp_path, monkeypatch):
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)            # not inside any project
    monkeypatch.delenv("EXTERNALIZE_OUT", raising=False)
    assert output_paths().processed == elsewhere / "data" / "processed"
    assert output_paths(tmp_path / "mine").output == (tmp_path / "mine" / "reports" / "output").resolve()
    monkeypatch.setenv("EXTERNALIZE_OUT", str(tmp_path / "env"))
    assert output_paths().tables == (tmp_path / "env" / "reports" / "output" / "tables").resolve()


# ---------------------------------------------------------------- artefact registry
def test_tables_round_trip_and_a_lost_column_is_an_error(tmp_path):
    import pandas as pd

    paths = OutputPaths.under(tmp_path)
    write_table("placebo_summary", pd.DataFrame({"outcome": ["a"], "model": ["ols_hac"], "p": [0.5]}), paths)
    assert read_table("placebo_summary", paths)["p"].item() == 0.5
    write_table("placebo_summary", pd.DataFrame({"outcome": ["a"], "p": [0.5]}), paths)
    with pytest.raises(PipelineError, match="lacks columns \\['model'\\]"):
        read_table("placebo_summary", paths)
    assert read_table("bootstrap", paths) is None
    with pytest.raises(PipelineError, match="run the 'robustness' step"):
        read_table("bootstrap", paths, required=True)
    with pytest.raises(PipelineError, match="did you mean 'estimates'"):
        read_table("estimate", paths)


def test_every_step_declares_its_outputs_once():
    assert {a.step for a in ARTEFACTS.values()} == set(STEPS) - {"figures"}
    paths = OutputPaths.under(Path("/x"))
    where = [a.path(paths) for a in ARTEFACTS.values()]
    assert len(set(where)) == len(where)


@pytest.fixture
def fake_pipeline(tmp_path):
    """The real steps with their real declared inputs and outputs; only the work is replaced by writing
    each declared output (figures: one PNG), so that the skipping logic is tested against the registry."""
    calls: list[str] = []

    def fake(name: str):
        def run(ctx) -> None:
            calls.append(name)
            outs = [a.path(ctx.paths) for a in outputs_of(name)] or [ctx.figures_dir / "f.png"]  # type: ignore[arg-type]
            for p in outs:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(f"{name}:{p.name}")
        return run

    real = default_steps()
    steps = [Step(s.name, fake(s.name), (lambda c: []) if s.name == "build" else s.inputs, s.outputs,
                  s.code_excludes, s.optional_outputs) for s in real.values()]
    paths = OutputPaths.under(tmp_path)

    def run():
        return run_pipeline(steps=steps, processed_dir=paths.processed, output_dir=paths.output,
                            console=Console(file=io.StringIO()))

    return run, calls, paths


def test_deleting_any_declared_output_reruns_the_step_that_makes_it(fake_pipeline):
    run, calls, paths = fake_pipeline
    assert [o.status for o in run()] == ["ran"] * len(STEPS)
    for art in ARTEFACTS.values():
        calls.clear()
        os.unlink(art.path(paths))
        outcomes = {o.name: o for o in run()}
        # the owner reruns and writes identical bytes, so every later step is skipped
        assert calls == [art.step], (art.name, calls)
        assert outcomes[art.step].reason.startswith("output missing"), art.name
    calls.clear()
    (paths.figures / "f.png").unlink()
    run()
    assert calls == ["figures"]


@pytest.mark.slow
def test_build_writes_where_the_user_said_and_nowhere_else(tmp_path, fixtures_dir, monkeypatch):
    """A data folder holding one release (a hand-made fixture, so its checksum is overridden), run from an
    unrelated folder: the outputs land in --out-dir, and nothing is written into the project checkout."""
    import shutil

    from externalize.paths import PROJECT_ROOT

    data = tmp_path / "data"
    (data / "hegghammer_plots").mkdir(parents=True)
    shutil.copy(fixtures_dir / "plots" / "nesser_cym_sample.csv.xz", data / "hegghammer_plots" / "nesser_cym.csv.xz")
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted((PROJECT_ROOT / "data").rglob("*"))
    code, out = _cli("build", "--data-dir", str(data), "--out-dir", str(tmp_path / "out"),
                     "--allow-checksum-mismatch", "--no-cache")
    assert code == 0, out
    assert (tmp_path / "out" / "data" / "processed" / "events.parquet").is_file()
    assert sorted((PROJECT_ROOT / "data").rglob("*")) == before
    assert list(work.iterdir()) == []


def test_ledger_table_fits_80_columns_without_cutting_source_names(monkeypatch):
    import pandas as pd

    from externalize import cli

    names = ["ucdp_ged_syria_iraq", "mapping_militants_relationships", "gtd_0718_degraded", "csis_us"]
    summary = pd.DataFrame({"source": names, "rows_read": [14132, 923, 181691, 893],
                            "rows_kept": [14132, 900, 181691, 890], "rows_excluded": [0, 23, 0, 3],
                            "class_clash": [503, 12, 4, 0], "class_joint": [141, 30, 2, 0],
                            "class_external": [0, 0, 1234, 120], "balances": [True] * 4})
    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=80))
    cli.print_ledger(summary)
    lines = buf.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in names:
        assert any(name in line for line in lines), name
