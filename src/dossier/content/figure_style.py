"""How the timeline looks: palette, a marker shape per event kind, sizes, and drawing helpers.

Kept apart from :mod:`dossier.content.figures`, which lays the case out, so the
look can be read (and changed) in one place: what prints apart in black and
white, how big a lane is, how labels wrap and how the date axis is ticked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.dates as mdates
from babel.dates import format_date
from matplotlib.axes import Axes
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, Locator, NullLocator

from ..data.dates import LOCALES
from ..data.model import Event

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7A7A7A"


@dataclass(frozen=True, slots=True)
class KindStyle:
    """How one event kind is drawn: a marker shape, filled or hollow, and a colour."""

    marker: str
    colour: str
    filled: bool = True
    scale: float = 1.0


#: Shape per event kind. Every (marker, filled) pair is unique, so the kinds stay
#: apart in greyscale; colours group related kinds (talk, setbacks, decisions).
KIND_STYLES: dict[str, KindStyle] = {
    "registered": KindStyle("o", BLACK, filled=False),
    "prepared": KindStyle("s", BLUE, filled=False),
    "discussed": KindStyle("o", SKY_BLUE),
    "presented": KindStyle("s", BLUE),
    "consultation": KindStyle("h", GREEN, scale=1.1),
    "proposal": KindStyle("^", GREEN, scale=1.1),
    # Pointing back for a referral, forward for a deferral, down for laid on the table.
    "referred_back": KindStyle("<", ORANGE, scale=1.1),
    "tabled": KindStyle("v", ORANGE, scale=1.1),
    "deferred": KindStyle(">", ORANGE, scale=1.1),
    "decided": KindStyle("*", VERMILLION, scale=1.6),
    "communicated": KindStyle("p", PURPLE, scale=1.05),
    "closed": KindStyle("D", BLACK, scale=0.85),
    "withdrawn": KindStyle("X", PURPLE),
    "other": KindStyle("d", GREY, filled=False),
}

#: Figure width in inches: the text width of an A4 portrait page.
WIDTH = 7.0
#: Height of one forum lane in inches, shrinking with many lanes down to MIN_LANE.
LANE = 0.36
MIN_LANE = 0.2
#: The lanes never take more than this many inches, so the figure fits on a page.
MAX_LANES_HEIGHT = 8.0
MIN_LANES_HEIGHT = 0.55
#: Widest lane label in inches; longer forum names wrap onto two lines, then shorten.
MAX_LABEL_WIDTH = 1.75
TOP = 0.32
RIGHT = 0.18
EDGE = 0.08
MARKER_SIZE = 6.5
#: Vertical offsets (in lanes) for markers that would sit on top of each other.
ROW_OFFSETS = (0.0, -0.24, 0.24)

#: Style for every figure; svg.* only matter when saving, and are set here so the
#: SVG keeps its text as text (searchable, extractable from the PDF) and its ids stable.
RC = {
    # DejaVu Sans has å, ä, ö and ships with matplotlib; a viewer of the SVG that lacks
    # it falls back to Verdana, the nearest in widths, then to any sans-serif.
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial", "Helvetica"],
    "font.size": 8,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "svg.fonttype": "none",
    "svg.hashsalt": "dossier-timeline",
    "pdf.fonttype": 42,
}


@contextmanager
def figure_style() -> Iterator[None]:
    with mpl.rc_context(RC):
        yield


def kind_of(event: Event) -> str:
    return event.kind if event.kind in KIND_STYLES else "other"


def marker_style(kind: str, size: float) -> dict:
    style = KIND_STYLES[kind]
    if style.filled:
        return {
            "marker": style.marker,
            "ms": size * style.scale,
            "mfc": style.colour,
            "mec": "#1A1A1A",
            "mew": 0.55,
        }
    return {
        "marker": style.marker,
        "ms": size * style.scale * 0.95,
        "mfc": "white",
        "mec": style.colour,
        "mew": 1.3,
    }


def tint(colour: str, share: float = 0.55) -> tuple[float, float, float]:
    """``colour`` mixed with white: an opaque pale fill that prints as a light grey."""
    red, green, blue = mpl.colors.to_rgb(colour)
    return tuple(1 - share * (1 - c) for c in (red, green, blue))


def halo_style(size: float) -> dict:
    # A black ring round a pale disc: yellow on screen, still a ring in greyscale.
    return {"marker": "o", "ms": size * 1.9, "mfc": YELLOW, "mec": BLACK, "mew": 0.6}


class BracketHandler(HandlerBase):
    """Draws the legend key of an imprecise date as the bracket the lanes show."""

    def create_artists(
        self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans
    ):
        x0, x1 = -xdescent + 0.15 * width, -xdescent + 0.85 * width
        low, high = -ydescent + 0.2 * height, -ydescent + 0.6 * height
        bracket = Line2D([x0, x0, x1, x1], [high, low, low, high], transform=trans)
        bracket.update_from(orig_handle)
        bracket.set_transform(trans)
        return [bracket]


class UpTo(Locator):
    """The ticks of another locator up to ``last`` only."""

    def __init__(self, inner: Locator, last: float) -> None:
        self.inner = inner
        self.last = last

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self) -> list[float]:
        return [tick for tick in self.inner() if tick <= self.last]

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        return [tick for tick in self.inner.tick_values(vmin, vmax) if tick <= self.last]


def marker_rows(xs: Sequence[float], gap: float) -> list[int]:
    """A row per marker (sorted by x): the first row whose last marker is ``gap`` away."""
    last: dict[int, float] = {}
    rows = []
    for x in xs:
        free = [row for row in range(len(ROW_OFFSETS)) if x - last.get(row, -math.inf) >= gap]
        row = free[0] if free else min(last, key=last.get)
        last[row] = x
        rows.append(row)
    return rows


def fit_label(name: str, width: float, measure: Callable[[str], float], lines: int = 2) -> str:
    """``name`` wrapped at words to ``width`` inches on at most ``lines`` lines, cut with "…"."""
    wrapped: list[str] = []
    for word in name.split():
        if wrapped and measure(f"{wrapped[-1]} {word}") <= width:
            wrapped[-1] = f"{wrapped[-1]} {word}"
        else:
            wrapped.append(word)
    fitted = [shorten(line, width, measure) for line in wrapped[:lines]] or [""]
    if len(wrapped) > lines and not fitted[-1].endswith("…"):
        # Words were left out, so the last line says so even where it fits.
        fitted[-1] = shorten(fitted[-1], width, measure, cut=True)
    return "\n".join(fitted)


def shorten(line: str, width: float, measure: Callable[[str], float], cut: bool = False) -> str:
    """``line`` if it fits ``width``, else as much of it as fits with "…" after it."""
    if not cut and measure(line) <= width:
        return line
    while line and measure(line.rstrip() + "…") > width:
        line = line[:-1]
    return line.rstrip() + "…"


def date_axis(ax: Axes, low: float, high: float, lang: str) -> float:
    """Put year or month ticks on the x axis; return the tick labels' height in inches."""
    years = (high - low) / 365.25
    locale = LOCALES[lang]
    if years > 2.5:
        # Steps grow 1-2-5 per decade, so even a typo like 1020 for 2020 gets a readable axis.
        step = next(s * 10**k for k in range(5) for s in (1, 2, 5) if years / (s * 10**k) <= 10)
        ax.xaxis.set_major_locator(mdates.YearLocator(step))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: str(mdates.num2date(x).year)))
        if years <= 7:
            ax.xaxis.set_minor_locator(mdates.MonthLocator((1, 4, 7, 10)))
        elif step > 1:
            ax.xaxis.set_minor_locator(mdates.YearLocator(1))
        else:
            ax.xaxis.set_minor_locator(NullLocator())
        return 0.25

    months = (
        (1, 4, 7, 10) if years > 1.25 else (1, 3, 5, 7, 9, 11) if years > 0.75 else range(1, 13)
    )
    ax.xaxis.set_major_locator(mdates.MonthLocator(months))
    ax.xaxis.set_minor_locator(mdates.MonthLocator() if years > 0.75 else NullLocator())

    def month(x: float, pos: int | None) -> str:
        # Month names in the dossier's language; the year under the first tick and each January.
        day = mdates.num2date(x).date()
        name = format_date(day, "LLL", locale=locale)
        return f"{name}\n{day.year}" if pos == 0 or day.month == 1 else name

    ax.xaxis.set_major_formatter(FuncFormatter(month))
    return 0.38
