"""The study config (TOML) read into frozen dataclasses and validated before any work starts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from externalize.errors import ConfigError
from externalize.registry import PROJECT_ROOT

DEFAULT_STUDY = PROJECT_ROOT / "analysis" / "study.toml"


@dataclass(frozen=True)
class Intervention:
    name: str
    date: date
    source: str

    @property
    def month(self) -> pd.Period:
        """First treated month: the month the intervention date falls in."""
        return pd.Period(self.date, freq="M")


@dataclass(frozen=True)
class PlaceboConfig:
    dates: tuple[date, ...]
    min_pre: int
    min_post: int
    exclude_months_around_real: int


@dataclass(frozen=True)
class TaxonomyChoices:
    nusra_counts_as_aq_until: date
    include_uncertain_attributions: bool
    include_doubtful_terrorism: bool


@dataclass(frozen=True)
class Outcome:
    """One outcome series: which source, class and family, at which frequency."""

    name: str
    frequency: str  # "month" | "year"
    source: str
    event_class: str
    family: str
    label: str
    lower_bound: bool = False
    first_year: int | None = None  # yearly outcomes: first year the quantity can exist


@dataclass(frozen=True)
class ModelConfig:
    monthly_models: tuple[str, ...]
    main_model: str
    secondary_interventions: tuple[str, ...]
    min_pre_months: int
    seasonality_pairs: int
    hac_maxlags: int | None  # None = Newey-West 1994 rule
    washout_months: int


@dataclass(frozen=True)
class StudyConfig:
    name: str
    window_start: pd.Period
    window_end: pd.Period
    yearly_start: int
    yearly_end: int
    main_intervention: str
    interventions: tuple[Intervention, ...]
    placebo: PlaceboConfig
    taxonomy: TaxonomyChoices
    models: ModelConfig
    path: Path
    outcomes: tuple[Outcome, ...] = ()
    robustness_sim_reps: int = 100
    robustness_boot_draws: int = 999
    comparisons: tuple[tuple[str, str, str], ...] = ()  # (name, outcome, reference outcome)

    def outcome(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(f"no outcome {name!r} in the study config")

    @property
    def main(self) -> Intervention:
        return next(i for i in self.interventions if i.name == self.main_intervention)

    def intervention_months(self) -> dict[str, pd.Period]:
        return {i.name: i.month for i in self.interventions}

    def months(self) -> pd.PeriodIndex:
        return pd.period_range(self.window_start, self.window_end, freq="M")


def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def _month(value: object, where: str) -> pd.Period:
    try:
        return pd.Period(str(value), freq="M")
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a month (YYYY-MM)") from exc


def _get(table: dict, key: str, where: str) -> object:
    if key not in table:
        raise ConfigError(f"{where}: missing key {key!r}")
    return table[key]


def load_study(path: str | Path | None = None) -> StudyConfig:
    """Read and validate the study config; every problem is a ConfigError naming the key."""
    path = Path(path) if path else DEFAULT_STUDY
    if not path.is_file():
        raise ConfigError(f"study config not found: {path}")
    with open(path, "rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    study = _get(raw, "study", str(path))
    start = _month(_get(study, "window_start", "study"), "study.window_start")
    end = _month(_get(study, "window_end", "study"), "study.window_end")
    if end <= start:
        raise ConfigError(f"study: window_end {end} must be after window_start {start}")
    ys, ye = int(_get(study, "yearly_start", "study")), int(_get(study, "yearly_end", "study"))
    if ye <= ys:
        raise ConfigError("study: yearly_end must be after yearly_start")

    ivs = []
    for k, item in enumerate(_get(raw, "interventions", str(path))):
        where = f"interventions[{k}]"
        iv = Intervention(str(_get(item, "name", where)), _date(_get(item, "date", where), where),
                          str(_get(item, "source", where)))
        if not iv.name.isidentifier():
            raise ConfigError(f"{where}: name {iv.name!r} must be an identifier (letters, digits, _)")
        if not (start < iv.month <= end):
            raise ConfigError(f"{where}: {iv.name} ({iv.month}) lies outside the window {start}..{end} "
                              "or in its first month (no pre-period)")
        ivs.append(iv)
    names = [i.name for i in ivs]
    if len(set(names)) != len(names):
        raise ConfigError(f"interventions: duplicate names {names}")
    main = str(_get(study, "main_intervention", "study"))
    if main not in names:
        raise ConfigError(f"study.main_intervention {main!r} is not one of {names}")

    pl = _get(raw, "placebo", str(path))
    placebo = PlaceboConfig(
        dates=tuple(_date(d, "placebo.dates") for d in _get(pl, "dates", "placebo")),
        min_pre=int(_get(pl, "min_pre", "placebo")), min_post=int(_get(pl, "min_post", "placebo")),
        exclude_months_around_real=int(_get(pl, "exclude_months_around_real", "placebo")),
    )
    real_months = {i.month for i in ivs}
    for d in placebo.dates:
        if pd.Period(d, freq="M") in real_months:
            raise ConfigError(f"placebo date {d} falls in the month of a real intervention")

    tx = _get(raw, "taxonomy", str(path))
    taxonomy = TaxonomyChoices(
        nusra_counts_as_aq_until=_date(_get(tx, "nusra_counts_as_aq_until", "taxonomy"), "taxonomy"),
        include_uncertain_attributions=bool(_get(tx, "include_uncertain_attributions", "taxonomy")),
        include_doubtful_terrorism=bool(_get(tx, "include_doubtful_terrorism", "taxonomy")),
    )
    md = _get(raw, "models", str(path))
    lags = _get(md, "hac_maxlags", "models")
    if lags == "nw1994":
        lags_value: int | None = None
    elif isinstance(lags, int) and lags >= 0:
        lags_value = lags
    else:
        raise ConfigError(f"models.hac_maxlags must be 'nw1994' or a non-negative integer, got {lags!r}")
    known_models = {"ols_hac", "gls_ar", "arima", "poisson", "quasipoisson", "negbin"}
    monthly_models = tuple(str(m) for m in _get(md, "monthly_models", "models"))
    if not monthly_models or set(monthly_models) - known_models:
        raise ConfigError(f"models.monthly_models must be a non-empty subset of {sorted(known_models)}")
    main_model = str(_get(md, "main_model", "models"))
    if main_model not in monthly_models:
        raise ConfigError(f"models.main_model {main_model!r} must be one of models.monthly_models")
    secondary = tuple(str(x) for x in md.get("secondary_interventions", names))
    if set(secondary) - set(names):
        raise ConfigError(f"models.secondary_interventions: unknown {sorted(set(secondary) - set(names))}")
    models = ModelConfig(
        monthly_models=monthly_models, main_model=main_model, secondary_interventions=secondary,
        min_pre_months=int(_get(md, "min_pre_months", "models")),
        seasonality_pairs=int(_get(md, "seasonality_pairs", "models")),
        hac_maxlags=lags_value, washout_months=int(_get(md, "washout_months", "models")),
    )
    outcomes = _outcomes(raw.get("outcomes", []))
    comparisons = _comparisons(raw.get("comparisons", {}), {o.name: o for o in outcomes})
    return StudyConfig(name=str(_get(study, "name", "study")), window_start=start, window_end=end,
                       yearly_start=ys, yearly_end=ye, main_intervention=main, interventions=tuple(ivs),
                       placebo=placebo, taxonomy=taxonomy, models=models, path=path, outcomes=outcomes,
                       comparisons=comparisons,
                       robustness_sim_reps=int(raw.get("robustness", {}).get("simulation_reps", 100)),
                       robustness_boot_draws=int(raw.get("robustness", {}).get("bootstrap_draws", 999)))


_CLASSES = {"clash", "joint", "external", "other", "none", "all"}


def _outcomes(items: list[dict]) -> tuple[Outcome, ...]:
    out = []
    for k, item in enumerate(items):
        where = f"outcomes[{k}]"
        o = Outcome(name=str(_get(item, "name", where)), frequency=str(_get(item, "frequency", where)),
                    source=str(_get(item, "source", where)), event_class=str(_get(item, "event_class", where)),
                    family=str(item.get("family", "all")), label=str(_get(item, "label", where)),
                    lower_bound=bool(item.get("lower_bound", False)),
                    first_year=int(item["first_year"]) if "first_year" in item else None)
        if not o.name.isidentifier():
            raise ConfigError(f"{where}: name {o.name!r} must be an identifier")
        if o.frequency not in ("month", "year"):
            raise ConfigError(f"{where}: frequency must be 'month' or 'year', got {o.frequency!r}")
        if o.event_class not in _CLASSES:
            raise ConfigError(f"{where}: event_class must be one of {sorted(_CLASSES)}")
        out.append(o)
    names = [o.name for o in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"outcomes: duplicate names {names}")
    return tuple(out)


def _comparisons(table: dict, outcomes: dict[str, Outcome]) -> tuple[tuple[str, str, str], ...]:
    out = []
    for name, pair in table.items():
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ConfigError(f"comparisons.{name}: give [outcome, reference outcome]")
        for o in pair:
            if o not in outcomes:
                raise ConfigError(f"comparisons.{name}: unknown outcome {o!r}")
        if outcomes[pair[0]].frequency != outcomes[pair[1]].frequency:
            raise ConfigError(f"comparisons.{name}: both outcomes must have the same frequency")
        out.append((str(name), str(pair[0]), str(pair[1])))
    return tuple(out)


# --- inference: registered primary estimands, rival dates, yearly minimum (issue "Inference v2") -----------

ARMS = ("external", "clash", "joint", "direct")
DIRECTIONS = ("increase", "decrease")
PRIMARY_METHODS = ("exact_2x2", "monthly")


@dataclass(frozen=True)
class PrimaryEstimand:
    """One registered primary estimand (one per arm), fixed in the study config before any fit.

    arm: "external" | "clash" | "joint" | "direct"; outcome: an [[outcomes]] name (for "direct", the clash
    outcome) and reference: the comparison outcome of a "direct" arm (external attacks), else None;
    model: a monthly model id ("quasipoisson", ...) or "exact_2x2" (yearly exact conditional test);
    date: the name of an [[interventions]] entry; window: (first, last) month of the fit; direction: the sign
    the externalization hypothesis predicts for the rate ratio ("increase" = ratio > 1).
    """

    arm: str
    outcome: str
    model: str
    date: str
    window: tuple[pd.Period, pd.Period]
    direction: str
    reference: str | None = None
    note: str = ""


@dataclass(frozen=True)
class RivalDate:
    """A candidate date for the break other than (or including) the main intervention, with its public source."""

    name: str
    date: date
    source: str

    @property
    def month(self) -> pd.Period:
        return pd.Period(self.date, freq="M")


@dataclass(frozen=True)
class RivalDatesConfig:
    """[rival_dates]: the candidates; the break-date profile window (first, last candidate month); the
    confidence level of the break-date set; when two candidates count as separable (months apart and events
    between them)."""

    candidates: tuple[RivalDate, ...]
    profile_window: tuple[pd.Period, pd.Period]
    confidence: float = 0.95
    min_months_apart: int = 3
    min_events_between: int = 10


@dataclass(frozen=True)
class InferenceConfig:
    """[inference]: yearly minimum pre-years, the date from which the clash / joint arms exist (the AQ-IS
    split), bootstrap draws for the primaries, the simulation-study cache and the seed."""

    min_pre_years: int = 3
    arm_defined_from: date = date(2014, 2, 3)
    arm_defined_source: str = ""
    bootstrap_draws: int = 999
    simulation_cache: str = "analysis/cache/simulation_study.csv"
    seed: int = 20140808


def load_primaries(path: str | Path | None = None, study: StudyConfig | None = None) -> tuple[PrimaryEstimand, ...]:
    """The [[primary]] estimands of the study config, validated against its outcomes and interventions."""
    raw = _read_raw(path)
    study = study or load_study(path)
    return _primaries(raw.get("primary", []), study)


def load_rival_dates(path: str | Path | None = None, study: StudyConfig | None = None) -> RivalDatesConfig:
    """The [rival_dates] section of the study config (ConfigError when missing or invalid)."""
    raw = _read_raw(path)
    study = study or load_study(path)
    table = _get(raw, "rival_dates", "study config")
    if not isinstance(table, dict):
        raise ConfigError("rival_dates must be a table")
    return _rival_dates(table, study)


def load_inference(path: str | Path | None = None) -> InferenceConfig:
    """The [inference] section (defaults when absent)."""
    raw = _read_raw(path)
    t = raw.get("inference", {})
    known = {"min_pre_years", "arm_defined_from", "arm_defined_source", "bootstrap_draws", "simulation_cache",
             "seed"}
    if set(t) - known:
        raise ConfigError(f"inference: unknown keys {sorted(set(t) - known)}; valid: {sorted(known)}")
    cfg = InferenceConfig(
        min_pre_years=int(t.get("min_pre_years", 3)),
        arm_defined_from=_date(t.get("arm_defined_from", "2014-02-03"), "inference.arm_defined_from"),
        arm_defined_source=str(t.get("arm_defined_source", "")),
        bootstrap_draws=int(t.get("bootstrap_draws", 999)),
        simulation_cache=str(t.get("simulation_cache", "analysis/cache/simulation_study.csv")),
        seed=int(t.get("seed", 20140808)))
    if cfg.min_pre_years < 1:
        raise ConfigError("inference.min_pre_years must be >= 1")
    if cfg.bootstrap_draws < 99:
        raise ConfigError("inference.bootstrap_draws must be >= 99")
    return cfg


def _read_raw(path: str | Path | None) -> dict:
    p = Path(path) if path else DEFAULT_STUDY
    if not p.is_file():
        raise ConfigError(f"study config not found: {p}")
    with open(p, "rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML ({exc})") from exc


def _primaries(items: list[dict], study: StudyConfig) -> tuple[PrimaryEstimand, ...]:
    known = {"arm", "outcome", "reference", "model", "date", "window", "direction", "note"}
    monthly_models = {"ols_hac", "gls_ar", "arima", "poisson", "quasipoisson", "negbin"}
    outcomes = {o.name: o for o in study.outcomes}
    ivs = {i.name for i in study.interventions}
    out = []
    for k, item in enumerate(items):
        where = f"primary[{k}]"
        if set(item) - known:
            raise ConfigError(f"{where}: unknown keys {sorted(set(item) - known)}; valid: {sorted(known)}")
        arm = str(_get(item, "arm", where))
        if arm not in ARMS:
            raise ConfigError(f"{where}: arm must be one of {ARMS}, got {arm!r}")
        outcome = str(_get(item, "outcome", where))
        if outcome not in outcomes:
            raise ConfigError(f"{where}: unknown outcome {outcome!r}")
        reference = item.get("reference")
        if arm == "direct" and reference is None:
            raise ConfigError(f"{where}: the direct arm needs a reference outcome (external attacks)")
        if reference is not None and str(reference) not in outcomes:
            raise ConfigError(f"{where}: unknown reference outcome {reference!r}")
        model = str(_get(item, "model", where))
        if model not in monthly_models | {"exact_2x2"}:
            raise ConfigError(f"{where}: model must be 'exact_2x2' or one of {sorted(monthly_models)}")
        freq = outcomes[outcome].frequency
        if (model == "exact_2x2") != (freq == "year"):
            raise ConfigError(f"{where}: yearly outcomes take model 'exact_2x2', monthly outcomes a monthly model")
        when = str(_get(item, "date", where))
        if when not in ivs:
            raise ConfigError(f"{where}: date {when!r} is not an [[interventions]] name ({sorted(ivs)})")
        win = item.get("window", [str(study.window_start), str(study.window_end)])
        if not (isinstance(win, list) and len(win) == 2):
            raise ConfigError(f"{where}: window must be [first month, last month]")
        w0, w1 = _month(win[0], f"{where}.window"), _month(win[1], f"{where}.window")
        if not (study.window_start <= w0 < w1 <= study.window_end):
            raise ConfigError(f"{where}: window {w0}..{w1} must lie inside the study window "
                              f"{study.window_start}..{study.window_end}")
        direction = str(_get(item, "direction", where))
        if direction not in DIRECTIONS:
            raise ConfigError(f"{where}: direction must be one of {DIRECTIONS}")
        out.append(PrimaryEstimand(arm=arm, outcome=outcome, model=model, date=when, window=(w0, w1),
                                   direction=direction, reference=None if reference is None else str(reference),
                                   note=str(item.get("note", ""))))
    arms = [p.arm for p in out]
    if len(set(arms)) != len(arms):
        raise ConfigError(f"primary: one estimand per arm, got arms {arms}")
    return tuple(out)


def _rival_dates(t: dict, study: StudyConfig) -> RivalDatesConfig:
    known = {"candidates", "profile_window", "confidence", "min_months_apart", "min_events_between"}
    if set(t) - known:
        raise ConfigError(f"rival_dates: unknown keys {sorted(set(t) - known)}; valid: {sorted(known)}")
    cands = []
    items = _get(t, "candidates", "rival_dates")
    if not isinstance(items, list):
        raise ConfigError("rival_dates.candidates must be a list of tables ([[rival_dates.candidates]])")
    for k, item in enumerate(items):
        where = f"rival_dates.candidates[{k}]"
        if set(item) - {"name", "date", "source"}:
            raise ConfigError(f"{where}: unknown keys {sorted(set(item) - {'name', 'date', 'source'})}")
        rd = RivalDate(str(_get(item, "name", where)), _date(_get(item, "date", where), where),
                       str(_get(item, "source", where)))
        if not rd.source.strip():
            raise ConfigError(f"{where}: every rival date needs a source")
        if not (study.window_start < rd.month <= study.window_end):
            raise ConfigError(f"{where}: {rd.name} ({rd.month}) lies outside the study window")
        cands.append(rd)
    names = [c.name for c in cands]
    if len(set(names)) != len(names) or not names:
        raise ConfigError(f"rival_dates.candidates: give unique names, got {names}")
    win = _get(t, "profile_window", "rival_dates")
    if not (isinstance(win, list) and len(win) == 2):
        raise ConfigError("rival_dates.profile_window must be [first month, last month]")
    w0, w1 = _month(win[0], "rival_dates.profile_window"), _month(win[1], "rival_dates.profile_window")
    if not (study.window_start < w0 < w1 <= study.window_end):
        raise ConfigError(f"rival_dates.profile_window {w0}..{w1} must lie inside the study window")
    for c in cands:
        if not (w0 <= c.month <= w1):
            raise ConfigError(f"rival_dates: {c.name} ({c.month}) lies outside the profile window {w0}..{w1}")
    conf = float(t.get("confidence", 0.95))
    if not 0.5 < conf < 1:
        raise ConfigError("rival_dates.confidence must be in (0.5, 1)")
    return RivalDatesConfig(candidates=tuple(cands), profile_window=(w0, w1), confidence=conf,
                            min_months_apart=int(t.get("min_months_apart", 3)),
                            min_events_between=int(t.get("min_events_between", 10)))
