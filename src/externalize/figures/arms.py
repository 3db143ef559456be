"""Monthly counts, one figure per arm (clash, joint, external), with the catalogue's cases of that arm only:
readable at page width, and a case is drawn only on the panels of its own class (statements never).

    arm_counts_data(monthly, arm, start, end)      tidy frame: source, period, date, count (inside coverage)
    arm_cases_data(registry, registered, counts, arm)
                                                   the cases of this arm, with, per source panel, whether that
                                                   source registers the case (solid line) or not (dotted)
    plot_arm(counts, ivs, cases, arm)              one panel per source, free y, interventions dashed
"""

from __future__ import annotations

import textwrap

import pandas as pd
import plotnine as p9

from externalize.figures.base import CLASS_COLOURS, theme_externalize
from externalize.figures.study import monthly_counts_data

PANEL_HEIGHT = 1.3    # inches per row of source panels
MAX_ONE_COLUMN = 5    # more sources than this: two columns, so that the figure fits an A4 page
TWO_COLUMN_PANEL_HEIGHT = 1.5   # inches per row of two-column panels (a half-width panel needs the height more)
PAGE_HEIGHT = 8.7     # inches: the tallest figure the print CSS shows at full width (max-height 225 mm)
WIDTH = 7.0           # inches: the A4 text width at the report's margins


def arm_counts_data(monthly: pd.DataFrame, arm: str, start: str, end: str) -> pd.DataFrame:
    """Monthly counts of one arm per source inside each source's coverage and the study window [start, end]
    (YYYY-MM); sources with no event of the arm in the window are dropped."""
    f = monthly_counts_data(monthly, classes=(arm,))
    if f.empty:
        return f
    per = pd.PeriodIndex(f["period"], freq="M")
    f = f[(per >= pd.Period(start, "M")) & (per <= pd.Period(end, "M"))]
    keep = f.groupby("source")["count"].transform("sum") > 0
    return f[keep].reset_index(drop=True)


def arm_cases_data(registry: pd.DataFrame, registered: set[tuple[str, str]], counts: pd.DataFrame,
                   arm: str) -> pd.DataFrame:
    """One row per (case of this arm, source panel): date, case id, whether that source registers the case as
    an event of this arm (`registered`: cases.registered_pairs), and the label height (labels only on the
    first panel, staggered over three heights)."""
    cols = ["case_id", "date", "source", "linked", "y", "label"]
    c = registry[(registry["class"] == arm)].sort_values("date").reset_index(drop=True)
    if c.empty or counts.empty:
        return pd.DataFrame(columns=cols)
    sources = sorted(counts["source"].unique())
    lo, hi = counts["date"].min(), counts["date"].max()
    c = c[(pd.to_datetime(c["date"]) >= lo) & (pd.to_datetime(c["date"]) <= hi + pd.offsets.MonthEnd(0))]
    tops = counts.groupby("source")["count"].max()
    levels = (1.0, 0.8, 0.6)
    rows = []
    for k, r in enumerate(c.itertuples()):
        for s in sources:
            rows.append({"case_id": r.case_id, "date": pd.Timestamp(r.date), "source": s,
                         "linked": (r.case_id, s) in registered, "y": float(tops[s]) * levels[k % 3],
                         "label": s == sources[0]})
    return pd.DataFrame(rows, columns=cols)


def arm_height(counts: pd.DataFrame) -> float:
    """Inches: one row of panels per source up to MAX_ONE_COLUMN sources; then two columns of taller panels,
    up to the height an A4 page shows at full width (PAGE_HEIGHT)."""
    n = counts["source"].nunique()
    if n <= MAX_ONE_COLUMN:
        return 1.4 + PANEL_HEIGHT * n
    return min(PAGE_HEIGHT, 1.4 + TWO_COLUMN_PANEL_HEIGHT * -(-n // 2))


def plot_arm(counts: pd.DataFrame, ivs: pd.DataFrame, cases: pd.DataFrame | None, arm: str) -> p9.ggplot:
    ncol = 1 if counts["source"].nunique() <= MAX_ONE_COLUMN else 2
    cases = cases if cases is not None else pd.DataFrame(columns=["case_id", "linked", "label"])
    n_cases = cases["case_id"].nunique() if len(cases) else 0
    caption = ("Dashed grey lines: " + "; ".join(f"{r.intervention} {r.date:%Y-%m-%d}" for r in ivs.itertuples())
               + ". Counts inside each source's coverage only.")
    if n_cases:
        caption += (f" Orange: the catalogue's {arm} cases in this window ({n_cases}); solid where that panel's "
                    f"source registers the case as {'an' if arm[0] in 'aeiou' else 'a'} {arm} event (an explicit link), dotted where it does not.")
    p = (p9.ggplot(counts, p9.aes("date", "count"))
         + p9.geom_vline(p9.aes(xintercept="date"), data=ivs, linetype="dashed", colour="#777777", size=0.4)
         + p9.geom_line(colour=CLASS_COLOURS.get(arm, "#333333"), size=0.5)
         + p9.facet_wrap("~source", ncol=ncol, scales="free_y")
         + p9.scale_x_datetime(date_labels="%Y", date_breaks="1 year")
         + p9.labs(x="", y="events per month", title=f"Monthly counts: {arm} arm",
                   caption="\n".join(_lines(caption, 120)))
         + theme_externalize())
    if n_cases:
        solid, dotted = cases[cases["linked"]], cases[~cases["linked"]]
        for part, lt, alpha in ((solid, "solid", 1.0), (dotted, "dotted", 0.55)):
            if len(part):
                p += p9.geom_segment(p9.aes(x="date", xend="date", y=0, yend="y"), data=part, inherit_aes=False,
                                     colour="#d95f02", linetype=lt, size=0.35, alpha=alpha)
        lab = cases[cases["label"]]
        p += p9.geom_label(p9.aes("date", "y", label="case_id"), data=lab, inherit_aes=False, size=5.5,
                           colour="#d95f02", label_size=0.2, label_padding=0.1)
    return p


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width)
