"""What every figure shares: the theme, the colours, saving (PNG + the CSV drawn), caption wrapping and the
intervention frame the plot functions mark."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import plotnine as p9

from externalize.artefacts import atomic_path, write_frame
from externalize.config import StudyConfig
from externalize.errors import PipelineError
from externalize.vocab import as_bool

#: PNG resolution (dots per inch). The figures are drawn 7 in wide and shown at most ~7 in wide on an A4 page, so
#: 200 dpi gives ~200 dpi in the PDF (sharp in print and on screen) at 44% of the pixels of 300 dpi: less to
#: rasterise, to compress and for WeasyPrint to re-encode, and a smaller HTML (the PNGs are embedded there).
DPI = 200
#: zlib level of the PNGs (PIL's default, 6)
PNG_COMPRESS_LEVEL = 6
CLASS_COLOURS = {"clash": "#b2182b", "joint": "#7b3294", "external": "#2166ac", "strikes": "#4d4d4d",
                 "other": "#8c8c8c"}
FREQ_COLOURS = {"monthly or finer": "#2166ac", "yearly only": "#f4a582", "registered, not present": "#d9d9d9"}
ARM_LABELS = {"clash": "clash", "joint": "joint", "external": "external", "dose": "strikes"}
CLIP_BAND = 1.5
COUNT_MODELS = ("quasipoisson", "negbin", "poisson", "binomial_share", "quasipoisson_yearly")


def theme_externalize(base_size: float = 9) -> p9.theme:
    """The one theme every figure uses: light background, horizontal grid, legend at the bottom."""
    return p9.theme_bw(base_size=base_size) + p9.theme(
        panel_grid_minor=p9.element_blank(),
        panel_grid_major_x=p9.element_line(colour="#eeeeee"),
        strip_background=p9.element_rect(fill="#f0f0f0", colour="#bbbbbb"),
        strip_text=p9.element_text(size=base_size - 0.5),
        legend_position="bottom",
        legend_title=p9.element_blank(),
        plot_title=p9.element_text(size=base_size + 2, weight="bold"),
        plot_caption=p9.element_text(size=base_size - 1.5, ha="left"),
        plot_caption_position="plot",
        plot_title_position="plot",
        axis_text=p9.element_text(size=base_size - 1),
    )


def save_figure(plot: p9.ggplot, frame: pd.DataFrame, name: str, out_dir: str | Path,
                width: float = 7.0, height: float = 5.0) -> dict[str, Path]:
    """Write <name>.png (DPI dots per inch, RGB, no metadata) and <name>.csv (the plotted frame) into out_dir,
    atomically; returns {"png": path, "csv": path}. `plot` is consumed (its figure size is set in place).

    The plot is drawn once: plotnine builds the matplotlib figure and one Agg pass lays it out and rasterises it
    (matplotlib's savefig would run a layout pass and then a second full pass). The pixels equal those of
    `plot.save(..., dpi=DPI)`; the PNG is written without the alpha channel, which the opaque figures never use
    and which WeasyPrint would otherwise split out and re-encode as a mask. The PNG carries no date, so an
    unchanged figure is byte-identical on a re-run."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if hasattr(plot, "figure"):
        raise PipelineError(f"figure {name!r}: this ggplot was drawn before (drawing trains its scales in place); "
                            "build a new one to save it")
    out = Path(out_dir)
    paths = {"png": out / f"{name}.png", "csv": out / f"{name}.csv"}
    write_frame(frame, paths["csv"])
    plot += p9.theme(figure_size=(width, height), dpi=DPI)   # in place: `+` would deep-copy the plot and its data
    figure = plot.draw(show=False)
    try:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3]
        image = Image.fromarray(np.ascontiguousarray(rgb))   # uint8 (h, w, 3): RGB
    finally:
        plt.close(figure)
    with atomic_path(paths["png"]) as tmp:
        image.save(tmp, format="PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=(DPI, DPI))
    return paths


def _blank(s: pd.Series) -> pd.Series:
    """True where a text column (read back from CSV, so maybe all-NaN float) is empty."""
    return s.isna() | s.astype(str).str.strip().eq("")


def _truth(s: pd.Series) -> pd.Series:
    """Booleans written to CSV come back as bool or as text; read both (`vocab.as_bool`)."""
    return s.map(as_bool).astype(bool)


def _month_start(period: pd.Series) -> pd.Series:
    return pd.PeriodIndex(period.astype(str), freq="M").to_timestamp().to_series().reset_index(drop=True)


def intervention_frame(study: StudyConfig) -> pd.DataFrame:
    """The interventions the figures mark: one row each (intervention label, date, main: bool, month start)."""
    return pd.DataFrame({"intervention": [i.name.replace("_", " ") for i in study.interventions],
                         "date": [pd.Timestamp(i.date) for i in study.interventions],
                         "main": [i.name == study.main_intervention for i in study.interventions],
                         "month_start": [i.month.start_time for i in study.interventions]})


def _main(ivs: pd.DataFrame) -> pd.Series:
    """The main intervention's row of an intervention frame."""
    return ivs[ivs["main"].astype(bool)].iloc[0]


def _caption(text: str, width: int = 100) -> str:
    return "\n".join(textwrap.wrap(text, width))


def _wrap(width: int):
    return lambda s: "\n".join(textwrap.wrap(str(s), width))


