"""The study config (TOML) read into frozen dataclasses and validated before any work starts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from externalize.errors import ConfigError
from externalize.paths import default_study_path
from externalize.vocab import FAMILIES, FREQUENCIES, OUTCOME_CLASSES, REGISTRY_ARMS, check_choice, nearest

if TYPE_CHECKING:  # pandas is imported where a month is made: `import externalize.config` stays light
    import pandas as pd

#: the keys each table of the study config may hold; anything else is a typo, reported with the nearest key
KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"study", "interventions", "placebo", "robustness", "taxonomy", "models", "outcomes",
                   "comparisons", "designs", "variants", "primary", "rival_dates", "inference"}),
    "study": frozenset({"name", "window_start", "window_end", "yearly_start", "yearly_end", "main_intervention"}),
    "interventions": frozenset({"name", "date", "source"}),
    "placebo": frozenset({"dates", "min_pre", "min_post", "exclude_months_around_real"}),
    "robustness": frozenset({"bootstrap_draws"}),
    "taxonomy": frozenset({"nusra_counts_as_aq_until", "include_uncertain_attributions",
                           "include_doubtful_terrorism", "aq_is_split", "contested_groups",
                           "include_unnamed_jihadists", "location_only_rules", "plot_status",
                           "split_period_clashes"}),
    "variants": frozenset({"name", "description", "taxonomy"}),
    "models": frozenset({"monthly_models", "main_model", "secondary_interventions", "min_pre_months",
                         "seasonality_pairs", "hac_maxlags", "washout_months"}),
    "inference": frozenset({"min_pre_years", "arm_defined_from", "arm_defined_source", "bootstrap_draws",
                            "simulation_cache", "seed"}),
    "rival_dates": frozenset({"candidates", "profile_window", "confidence", "min_months_apart",
                              "min_events_between"}),
    "rival_candidates": frozenset({"name", "date", "source"}),
    "primary": frozenset({"arm", "outcome", "reference", "model", "date", "window", "direction", "note"}),
    "outcomes": frozenset({"name", "frequency", "source", "sources", "arm", "event_class", "family", "label",
                           "lower_bound", "first_year"}),
}


def check_keys(table: object, section: str, where: str | None = None) -> dict:
    """`table` as a dict whose keys are all allowed in `section` (see KEYS); else ConfigError naming the
    unknown key and the nearest valid one."""
    where = where or (section or "study config")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, got {type(table).__name__}")
    allowed = KEYS[section]
    for key in table:
        if key not in allowed:
            hint = nearest(key, allowed)
            raise ConfigError(f"{where}: unknown key {key!r}" + (f"; did you mean {hint!r}?" if hint else
                                                                  f"; valid keys: {sorted(allowed)}"))
    return table


@dataclass(frozen=True)
class Intervention:
    name: str
    date: date
    source: str

    @property
    def month(self) -> pd.Period:
        """First treated month: the month the intervention date falls in."""
        import pandas as pd

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
    #: AQ-IS fighting known only to a year or month containing the split date: "clash" (the rupture itself;
    #: most of 2014's fighting followed the split) or "unverified" (class clash_unverified, as joint rows are)
    split_period_clashes: str = "clash"


@dataclass(frozen=True)
class Outcome:
    """One outcome series: which arm, class and family, at which frequency, from which source.

    `sources` is the ORDERED list of acceptable sources, best first (study.toml `sources = [...]`, or a single
    `source = "..."`): a full GTD or GED the researcher supplies first, the partial copy shipped with the
    package last. `source` is the source used: the last-resort (last listed) one as parsed, set to the best
    source present by `externalize.build.resolve_study(study, built)`. `arm` is the arm the outcome measures
    (clash, joint, external, volume, dose, context; default the event class when it is one of them); every
    listed source must measure it (checked against data/sources.toml when the build resolves the outcome).
    """

    name: str
    frequency: str  # "month" | "year"
    source: str
    event_class: str
    family: str
    label: str
    lower_bound: bool = False
    first_year: int | None = None  # yearly outcomes: first year the quantity can exist
    sources: tuple[str, ...] = ()  # acceptable sources, best first; () means (source,)
    arm: str = ""

    def __post_init__(self) -> None:
        if not self.sources:
            object.__setattr__(self, "sources", (self.source,))


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
class DesignSettings:
    """The [designs] table: spans and settings of the staggered-participation, dose-response and non-state
    designs (externalize.designs). Every key has a default; months are "YYYY-MM"."""

    did_start: str = "2011-01"          # first month of the participation panels
    did_end: str = "2017-12"            # last month (Crenshaw stops in 2016-12 by itself)
    placebo_first_year: int = 2008      # right-wing attacks placebo, country-years
    placebo_last_year: int = 2019
    ri_draws: int = 999                 # randomization-inference permutations (0 = none)
    seed: int = 20140808
    strikes_start: str = "2012-01"      # first month of tables/strikes_monthly.csv (0 by construction)
    strikes_end: str = "2016-12"
    splice_seam: str = "2015-06"        # first month taken from the CENTCOM scrape
    centcom_lag_days: int = 1           # release date -> strike date
    dose_start: str = "2013-01"         # dose-response sample (with pre-campaign zeros)
    dose_end: str = "2016-09"           # last complete month of the strike series
    dose_max_lag: int = 6
    nonstate_start: str = "2011-01"
    nonstate_end: str = "2019-12"

    def month(self, name: str) -> pd.Period:
        import pandas as pd

        return pd.Period(getattr(self, name), freq="M")


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
    robustness_boot_draws: int = 999
    comparisons: tuple[tuple[str, str, str], ...] = ()  # (name, outcome, reference outcome)
    designs: DesignSettings = DesignSettings()
    #: [[primary]]: the registered primary estimands, one per arm (see PrimaryEstimand)
    primaries: tuple[PrimaryEstimand, ...] = ()
    #: [rival_dates]: candidate break dates with sources (None when the section is absent)
    rival_dates: RivalDatesConfig | None = None
    #: [inference]: yearly minimum, arm definition date, bootstrap draws, simulation cache
    inference: InferenceConfig = field(default_factory=lambda: InferenceConfig())

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
        import pandas as pd

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
    contested = check_choice(str(tx.get("contested_groups", "out")), ("in", "out"), "taxonomy.contested_groups")
    status = check_choice(str(tx.get("plot_status", "all")), ("launched", "foiled", "all"), "taxonomy.plot_status")
    return TaxonomyChoices(
        nusra_counts_as_aq_until=None if cut == "never" else _date(cut, "taxonomy.nusra_counts_as_aq_until"),
        include_uncertain_attributions=bool(_get(tx, "include_uncertain_attributions", "taxonomy")),
        include_doubtful_terrorism=bool(_get(tx, "include_doubtful_terrorism", "taxonomy")),
        aq_is_split=_date(tx.get("aq_is_split", "2014-02-03"), "taxonomy.aq_is_split"),
        contested_groups=contested,
        include_unnamed_jihadists=bool(tx.get("include_unnamed_jihadists", True)),
        location_only_rules=bool(tx.get("location_only_rules", True)),
        plot_status=status,
        split_period_clashes=check_choice(str(tx.get("split_period_clashes", "clash")), ("clash", "unverified"),
                                          "taxonomy.split_period_clashes"),
    )


def _month(value: object, where: str) -> pd.Period:
    import pandas as pd

    try:
        return pd.Period(str(value), freq="M")
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a month (YYYY-MM)") from exc


def _dated(item: dict, where: str) -> Intervention:
    """A named, dated event with its source (an intervention or a rival date)."""
    return Intervention(str(_get(item, "name", where)), _date(_get(item, "date", where), where),
                        str(_get(item, "source", where)))


def _get(table: dict, key: str, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing key {key!r}")
    return table[key]


def study_file(path: str | Path | None = None) -> Path:
    """The study config file `load_study(path)` reads: `path`, else analysis/study.toml of the project
    containing the current folder (`paths.default_study_path`). ConfigError when it is not a file. Needs
    neither pandas nor the model registry (the pipeline decides freshness from this path alone)."""
    file = Path(path) if path else default_study_path()
    if not file.is_file():
        raise ConfigError(f"study config not found: {file}")
    return file


def _read_toml(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_study(path: str | Path | None = None) -> StudyConfig:
    """Read and validate the study config; every problem is a ConfigError naming the key."""
    import pandas as pd

    path = study_file(path)
    raw = _read_toml(path)
    check_keys(raw, "", str(path))
    study = check_keys(_get(raw, "study", str(path)), "study")
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
        check_keys(item, "interventions", where)
        iv = _dated(item, where)
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

    pl = check_keys(_get(raw, "placebo", str(path)), "placebo")
    placebo = PlaceboConfig(
        dates=tuple(_date(d, "placebo.dates") for d in _get(pl, "dates", "placebo")),
        min_pre=int(_get(pl, "min_pre", "placebo")), min_post=int(_get(pl, "min_post", "placebo")),
        exclude_months_around_real=int(_get(pl, "exclude_months_around_real", "placebo")),
    )
    real_months = {i.month for i in ivs}
    for d in placebo.dates:
        if pd.Period(d, freq="M") in real_months:
            raise ConfigError(f"placebo date {d} falls in the month of a real intervention")
        if not (start < pd.Period(d, freq="M") <= end):
            raise ConfigError(f"placebo date {d} lies outside the window {start}..{end} or in its first month")

    tx = check_keys(_get(raw, "taxonomy", str(path)), "taxonomy")
    taxonomy = taxonomy_choices(tx)
    md = check_keys(_get(raw, "models", str(path)), "models")
    lags = _get(md, "hac_maxlags", "models")
    if lags == "nw1994":
        lags_value: int | None = None
    elif isinstance(lags, int) and lags >= 0:
        lags_value = lags
    else:
        raise ConfigError(f"models.hac_maxlags must be 'nw1994' or a non-negative integer, got {lags!r}")
    from externalize.models.registry import MODELS as known_models  # the model registry is the one list
    monthly_models = tuple(str(m) for m in _get(md, "monthly_models", "models"))
    if not monthly_models:
        raise ConfigError("models.monthly_models must name at least one model")
    for m in monthly_models:
        check_choice(m, known_models, "models.monthly_models")
    main_model = check_choice(str(_get(md, "main_model", "models")), monthly_models, "models.main_model")
    secondary = tuple(str(x) for x in md.get("secondary_interventions", names))
    for x in secondary:
        check_choice(x, names, "models.secondary_interventions")
    models = ModelConfig(
        monthly_models=monthly_models, main_model=main_model, secondary_interventions=secondary,
        min_pre_months=int(_get(md, "min_pre_months", "models")),
        seasonality_pairs=int(_get(md, "seasonality_pairs", "models")),
        hac_maxlags=lags_value, washout_months=int(_get(md, "washout_months", "models")),
    )
    outcomes = _outcomes(raw.get("outcomes", []))
    _check_sources(outcomes)
    comparisons = _comparisons(raw.get("comparisons", {}), {o.name: o for o in outcomes})
    rob = check_keys(raw.get("robustness", {}), "robustness")
    cfg = StudyConfig(name=str(_get(study, "name", "study")), window_start=start, window_end=end,
                       yearly_start=ys, yearly_end=ye, main_intervention=main, interventions=tuple(ivs),
                       placebo=placebo, taxonomy=taxonomy, models=models, path=path, outcomes=outcomes,
                       comparisons=comparisons,
                       robustness_boot_draws=int(rob.get("bootstrap_draws", 999)),
                       designs=design_settings(raw.get("designs", {}), f"{path} [designs]"))
    cfg = replace(cfg, inference=_inference(raw.get("inference", {})))
    cfg = replace(cfg, primaries=_primaries(raw.get("primary", []), cfg))
    if "rival_dates" in raw:
        table = raw["rival_dates"]
        if not isinstance(table, dict):
            raise ConfigError("rival_dates must be a table")
        cfg = replace(cfg, rival_dates=_rival_dates(table, cfg))
    return cfg


def design_settings(table: dict, where: str = "[designs]") -> DesignSettings:
    """The [designs] table read into `DesignSettings` (defaults for absent keys); an unknown key, a value of the
    wrong kind, a month that is not YYYY-MM or a negative count is a ConfigError."""
    known = {f.name for f in fields(DesignSettings)}
    for key in table:
        if key not in known:
            hint = nearest(key, known)
            raise ConfigError(f"{where}: unknown key {key!r}" + (f"; did you mean {hint!r}?" if hint else ""))
    for key, value in table.items():
        kind = type(getattr(DesignSettings, key))
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    s = DesignSettings(**table)
    for f in fields(s):
        if f.name.endswith(("_start", "_end", "_seam")):
            try:
                s.month(f.name)
            except ValueError as exc:
                raise ConfigError(f"{where}.{f.name}: not a YYYY-MM month ({exc})") from exc
    if s.dose_max_lag < 0 or s.ri_draws < 0 or s.centcom_lag_days < 0:
        raise ConfigError(f"{where}: dose_max_lag, ri_draws and centcom_lag_days must be >= 0")
    return s


def _check_sources(outcomes: tuple[Outcome, ...]) -> None:
    """Every source an outcome lists is a key of the source registry (data/sources.toml)."""
    from externalize.registry import load_registry

    keys = sorted(load_registry())
    for o in outcomes:
        for key in o.sources or (o.source,):
            check_choice(key, keys, f"outcome {o.name}: source")


def _outcomes(items: list[dict]) -> tuple[Outcome, ...]:
    out = []
    for k, item in enumerate(items):
        where = f"outcomes[{k}]"
        check_keys(item, "outcomes", where)
        if ("source" in item) == ("sources" in item):
            raise ConfigError(f"{where}: give either source = \"key\" or sources = [\"best\", ..., \"last resort\"]")
        listed = item["sources"] if "sources" in item else [item["source"]]
        if (not isinstance(listed, list) or not listed or not all(isinstance(k, str) and k for k in listed)
                or len(set(listed)) != len(listed)):
            raise ConfigError(f"{where}: sources must be a non-empty list of distinct source keys, got {listed!r}")
        event_class = str(_get(item, "event_class", where))
        arm = str(item.get("arm", event_class if event_class in REGISTRY_ARMS else ""))
        if arm:
            check_choice(arm, REGISTRY_ARMS, f"{where}: arm")
        o = Outcome(name=str(_get(item, "name", where)), frequency=str(_get(item, "frequency", where)),
                    source=str(listed[-1]), event_class=event_class,
                    family=str(item.get("family", "all")), label=str(_get(item, "label", where)),
                    lower_bound=bool(item.get("lower_bound", False)),
                    first_year=int(item["first_year"]) if "first_year" in item else None,
                    sources=tuple(str(k) for k in listed), arm=arm)
        if not o.name.isidentifier():
            raise ConfigError(f"{where}: name {o.name!r} must be an identifier")
        check_choice(o.frequency, FREQUENCIES, f"{where}: frequency")
        check_choice(o.event_class, OUTCOME_CLASSES, f"{where}: event_class")
        check_choice(o.family, FAMILIES, f"{where}: family")
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


#: a candidate date for the break other than (or including) the main intervention: a name, a date and its public
#: source, exactly like an intervention (the same dataclass, so both are read and dated one way)
RivalDate = Intervention


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


def load_inference(path: str | Path | None = None) -> InferenceConfig:
    """The [inference] table of a study config alone (defaults for absent keys), read with tomllib: what the
    pipeline needs of the study to list a step's inputs (the simulation cache) without loading pandas or the
    model registry. The full validation is `load_study`'s; ConfigError as there for a bad table."""
    path = study_file(path)
    raw = _read_toml(path)
    return _inference(raw.get("inference", {}))


def _inference(t: dict) -> InferenceConfig:
    """The [inference] table (defaults for absent keys)."""
    check_keys(t, "inference")
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


def _primaries(items: list[dict], study: StudyConfig) -> tuple[PrimaryEstimand, ...]:
    from externalize.models.registry import MODELS as monthly_models
    outcomes = {o.name: o for o in study.outcomes}
    ivs = {i.name for i in study.interventions}
    out = []
    for k, item in enumerate(items):
        where = f"primary[{k}]"
        check_keys(item, "primary", where)
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
        check_choice(model, (*monthly_models, "exact_2x2"), f"{where}: model")
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
    check_keys(t, "rival_dates")
    cands = []
    items = _get(t, "candidates", "rival_dates")
    if not isinstance(items, list):
        raise ConfigError("rival_dates.candidates must be a list of tables ([[rival_dates.candidates]])")
    for k, item in enumerate(items):
        where = f"rival_dates.candidates[{k}]"
        check_keys(item, "rival_candidates", where)
        rd = _dated(item, where)
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
