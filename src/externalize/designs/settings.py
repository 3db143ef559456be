"""The optional [designs] table of the study config (analysis/study.toml), read into frozen settings.

Every key has a default (below); a key not listed here, or a value of the wrong kind, is refused with a
ConfigError before any work starts.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from externalize.errors import ConfigError


@dataclass(frozen=True)
class DesignSettings:
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
        return pd.Period(getattr(self, name), freq="M")


def design_settings(path: str | Path) -> DesignSettings:
    """Settings from the [designs] table of the study config at `path` (defaults when there is none)."""
    with open(path, "rb") as fh:
        table = tomllib.load(fh).get("designs", {})
    known = {f.name: f for f in fields(DesignSettings)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{path} [designs]: unknown keys {unknown}; known: {sorted(known)}")
    values = {}
    for key, value in table.items():
        kind = type(getattr(DesignSettings, key))
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{path} [designs].{key}: expected {kind.__name__}, got {value!r}")
        values[key] = value
    s = DesignSettings(**values)
    for f in fields(s):
        if f.name.endswith(("_start", "_end", "_seam")):
            try:
                s.month(f.name)
            except ValueError as exc:
                raise ConfigError(f"{path} [designs].{f.name}: not a YYYY-MM month ({exc})") from exc
    if s.dose_max_lag < 0 or s.ri_draws < 0 or s.centcom_lag_days < 0:
        raise ConfigError(f"{path} [designs]: dose_max_lag, ri_draws and centcom_lag_days must be >= 0")
    return s
