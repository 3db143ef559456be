"""The study config (TOML) read into frozen dataclasses and validated before any work starts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from externalize.errors import ConfigError
from externalize.registry import PROJECT_ROOT
from externalize.vocab import EVENT_CLASSES

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
    """The coding choices of `[taxonomy]` in the study config (each contested one is also a named variant,
    see `externalize.variants`). Defaults are the study's primary coding (data/taxonomy/rules.md)."""

    nusra_counts_as_aq_until: date | None  # None ("never"): the Nusra lineage counts as AQ at every date
    include_uncertain_attributions: bool
    include_doubtful_terrorism: bool
    aq_is_split: date = date(2014, 2, 3)       # AQ's general command disowns ISIS; 2013-04-09 as a variant
    contested_groups: str = "out"              # "in": groups with a contested membership count in their family
    include_unnamed_jihadists: bool = True     # unnamed jihadists (JIH) in the external class
    location_only_rules: bool = True           # EXT-WEST-1 (an attack located in the West) applies
    plot_status: str = "all"                   # plot sources: "launched", "foiled" or "all"


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


def taxonomy_choices(tx: dict) -> TaxonomyChoices:
    """Validate a `[taxonomy]` table (also used for the overrides of a named variant)."""
    cut = _get(tx, "nusra_counts_as_aq_until", "taxonomy")
    contested = str(tx.get("contested_groups", "out"))
    if contested not in ("in", "out"):
        raise ConfigError(f"taxonomy.contested_groups must be 'in' or 'out', got {contested!r}")
    status = str(tx.get("plot_status", "all"))
    if status not in ("launched", "foiled", "all"):
        raise ConfigError(f"taxonomy.plot_status must be 'launched', 'foiled' or 'all', got {status!r}")
    return TaxonomyChoices(
        nusra_counts_as_aq_until=None if cut == "never" else _date(cut, "taxonomy.nusra_counts_as_aq_until"),
        include_uncertain_attributions=bool(_get(tx, "include_uncertain_attributions", "taxonomy")),
        include_doubtful_terrorism=bool(_get(tx, "include_doubtful_terrorism", "taxonomy")),
        aq_is_split=_date(tx.get("aq_is_split", "2014-02-03"), "taxonomy.aq_is_split"),
        contested_groups=contested,
        include_unnamed_jihadists=bool(tx.get("include_unnamed_jihadists", True)),
        location_only_rules=bool(tx.get("location_only_rules", True)),
        plot_status=status,
    )


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
    taxonomy = taxonomy_choices(tx)
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


_CLASSES = {*EVENT_CLASSES, "all"}


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
