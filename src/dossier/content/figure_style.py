"""How the timeline looks: palette, a marker shape per event kind, sizes, and drawing helpers.

Kept apart from :mod:`dossier.content.figures`, which lays the case out, so the
look can be read (and changed) in one place: what prints apart in black and
white, how big a lane is, how labels wrap and how the date axis is ticked.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
from babel.dates import format_date
from matplotlib.axes import Axes
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import Formatter, FuncFormatter, Locator, NullLocator

from ..catalogue import LOCALES
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
#: Widest lane label in inches; longer forum names wrap, onto at most MAX_LABEL_LINES lines.
MAX_LABEL_WIDTH = 1.75
#: The most lines a lane's label takes: a longer name keeps its start and its end (see wrap_label).
MAX_LABEL_LINES = 6
TOP = 0.32
RIGHT = 0.18
EDGE = 0.08
MARKER_SIZE = 6.5
#: Vertical offsets (in lanes) for markers that would sit on top of each other.
ROW_OFFSETS = (0.0, -0.24, 0.24)
#: Distance (in lanes) between the sub-lanes of periods that overlap in one forum; a forum's
#: sub-lanes take at most TRACKS_HEIGHT lanes, closer together (and their bars thinner) if need be.
TRACK = 0.3
TRACKS_HEIGHT = 3.0
#: A stretch without events this long (days), and this share of the case's span, is cut out
#: of the axis and drawn as a break.
QUIET_DAYS = 365
QUIET_SHARE = 0.25
#: How wide a break is drawn, and how narrow a stretch of time may get, as shares of the axis.
BREAK_SHARE = 0.05
MIN_STRETCH_SHARE = 0.08
#: Grey of the boxes that count the events of a crowded lane per month, quarter or year.
COUNT_FILL = "#DCDCDC"
COUNT_EDGE = "#6E6E6E"
COUNT_SIZE = 6.0
#: Height (in lanes) of the row of counts a crowded lane gets under its markers.
COUNT_ROW = 0.6

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


class KeyHandler(HandlerBase):
    """A legend key drawn as the lanes draw its notation, styled like the legend's handle.

    Subclasses give :meth:`shape`, the key in the legend box ``(x, y, width, height)``;
    its first artist takes the handle's colours and lines.
    """

    def create_artists(
        self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans
    ):
        artists = self.shape(-xdescent, -ydescent, width, height)
        artists[0].update_from(orig_handle)
        for artist in artists:
            artist.set_transform(trans)
        return artists

    def shape(self, x: float, y: float, width: float, height: float) -> list:
        raise NotImplementedError


class BracketHandler(KeyHandler):
    """An imprecise date: flat and wide, as in the lanes (the Beredning square is as tall as wide)."""

    def shape(self, x, y, width, height):
        low, high = y + 0.3 * height, y + 0.5 * height
        return [Line2D([x, x, x + width, x + width], [high, low, low, high])]


class BarHandler(KeyHandler):
    """A period: a thin bar, as the lanes draw it (not a block)."""

    def shape(self, x, y, width, height):
        return [Rectangle((x, y + 0.25 * height), width, 0.5 * height)]


class CountHandler(KeyHandler):
    """A count: the grey box with a number in it, as in a crowded lane."""

    def shape(self, x, y, width, height):
        box = Rectangle((x, y - 0.15 * height), width, 1.3 * height)
        number = Text(x + width / 2, y + height / 2, "3", ha="center", va="center",
                      fontsize=COUNT_SIZE)  # fmt: skip
        return [box, number]


class Shown(Locator):
    """The ticks of another locator inside the stretches of time the axis shows.

    Each stretch is asked for its own ticks, so a locator of months never walks
    the years a break leaves out. With ``one_each``, a stretch that gets no tick
    gets one at its middle, so every stretch of a broken axis says when it is.
    """

    def __init__(
        self, inner: Locator, stretches: Sequence[tuple[float, float]], one_each: bool = False
    ) -> None:
        self.inner = inner
        self.stretches = list(stretches)
        self.one_each = one_each

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self) -> list[float]:
        return self.tick_values(*self.axis.get_view_interval()) if self.axis else []

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        ticks: list[float] = []
        for low, high in self.stretches:
            low, high = max(low, vmin), min(high, vmax)
            if low > high:
                continue
            # Date locators take the range as datetimes (as their own __call__ gives it).
            ends = (low, high)
            if isinstance(self.inner, mdates.DateLocator):
                ends = (mdates.num2date(low), mdates.num2date(high))
            inside = [t for t in self.inner.tick_values(*ends) if low <= t <= high]
            if not inside and self.one_each and len(self.stretches) > 1:
                inside = [(low + high) / 2]
            ticks += inside
        return ticks


class TimeScale:
    """Date numbers to positions on an axis that leaves out long stretches without events.

    ``stretches`` are the spans shown, in order; each keeps its length (a short
    one is widened to ``MIN_STRETCH_SHARE`` of the whole), and the time between
    two is squeezed into a break ``BREAK_SHARE`` wide. With one stretch the
    scale is the identity.
    """

    def __init__(self, stretches: Sequence[tuple[float, float]]) -> None:
        self.stretches = list(stretches)
        lengths = [high - low for low, high in self.stretches]
        total = sum(lengths)
        real: list[float] = []
        shown: list[float] = []
        at = self.stretches[0][0]
        for (low, high), length in zip(self.stretches, lengths, strict=True):
            width = max(length, MIN_STRETCH_SHARE * total) if len(lengths) > 1 else length
            real += [low, high]
            shown += [at, at + width]
            at += width + BREAK_SHARE * total
        self.real = real
        self.shown = shown

    @property
    def breaks(self) -> list[tuple[float, float]]:
        """The time each break leaves out, as (last shown, next shown) date numbers."""
        return [(a[1], b[0]) for a, b in zip(self.stretches, self.stretches[1:], strict=False)]

    def forward(self, x):
        return self._through(x, self.real, self.shown)

    def inverse(self, x):
        return self._through(x, self.shown, self.real)

    def _through(self, x, knots, values):
        if len(self.stretches) == 1:
            return x
        if isinstance(x, float | int):
            # One position at a time while laying out: no array for a single number.
            i = min(max(bisect.bisect_right(knots, x) - 1, 0), len(knots) - 2)
            k0, k1, v0, v1 = knots[i], knots[i + 1], values[i], values[i + 1]
            return float(v0 + (x - k0) * (v1 - v0) / (k1 - k0))
        return _through(x, np.asarray(knots), np.asarray(values))


def _through(x, knots, values):
    """Piecewise linear through (knots, values), and on along the end pieces beyond them."""
    x = np.asarray(x, dtype=float)
    y = np.interp(x, knots, values)
    first = (values[1] - values[0]) / (knots[1] - knots[0])
    last = (values[-1] - values[-2]) / (knots[-1] - knots[-2])
    y = np.where(x < knots[0], values[0] + (x - knots[0]) * first, y)
    return np.where(x > knots[-1], values[-1] + (x - knots[-1]) * last, y)


def period_tracks(spans: Sequence[tuple[float, float]]) -> list[int]:
    """A sub-lane per period (sorted by start): the first whose last period has ended."""
    ends: list[float] = []
    tracks = []
    for start, end in spans:
        free = [t for t, last in enumerate(ends) if last <= start]
        track = free[0] if free else len(ends)
        if track == len(ends):
            ends.append(end)
        else:
            ends[track] = end
        tracks.append(track)
    return tracks


def crowded(xs: Sequence[float], gap: float) -> int:
    """How many markers (sorted by x) find no free row among ``ROW_OFFSETS``."""
    last: dict[int, float] = {}
    over = 0
    for x in xs:
        free = [row for row in range(len(ROW_OFFSETS)) if x - last.get(row, -math.inf) >= gap]
        if free:
            last[free[0]] = x
        else:
            over += 1
    return over


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


def wrap_label(
    name: str, width: float, measure: Callable[[str], float], max_lines: int = MAX_LABEL_LINES
) -> str:
    """``name`` wrapped at words to ``width`` inches, on at most ``max_lines`` lines.

    A single word wider than ``width`` is broken after a hyphen. A name that needs
    more lines keeps its first lines and, on the last, ``…`` and its end: two forums
    whose names share a long beginning stay apart, and the lane keeps its size
    whatever the name's length (the dossier's tables give it whole).
    """
    lines = list(itertools.islice(_wrapped(name, width, measure), max_lines + 1))
    if len(lines) > max_lines:
        ellipsis = "…"
        lines[max_lines - 1 :] = [ellipsis + _tail(name, width - measure(ellipsis), measure)]
    return "\n".join(lines)


def _wrapped(name: str, width: float, measure: Callable[[str], float]) -> Iterator[str]:
    """The lines of ``name`` wrapped to ``width``, one by one (a caller takes only the first few)."""
    line = ""
    for word in name.split():
        if line and measure(f"{line} {word}") <= width:
            line = f"{line} {word}"
            continue
        if line:
            yield line
        while len(word) > 1 and _longest(lambda n, w=word: w[:n], len(word), width, measure) < len(
            word
        ):
            cut = _longest(lambda n, w=word: w[:n] + "-", len(word) - 1, width, measure)
            yield word[:cut] + "-"
            word = word[cut:]
        line = word
    if line:
        yield line


def _tail(name: str, width: float, measure: Callable[[str], float]) -> str:
    """The end of ``name`` that fits in ``width``; from a word's start where one begins in it."""
    name = " ".join(name.split())
    tail = name[len(name) - _longest(lambda n: name[len(name) - n :], len(name), width, measure) :]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < len(tail) - 1 else tail


def _longest(
    part: Callable[[int], str], most: int, width: float, measure: Callable[[str], float]
) -> int:
    """The largest ``n`` from 1 to ``most`` whose ``part(n)`` fits in ``width`` (1 if none).

    A few measurements whatever the length, none of a text much longer than what fits:
    ``n`` doubles until ``part(n)`` no longer fits, then a binary search between.
    """
    low, high = 1, 1
    while high < most and measure(part(high)) <= width:
        low, high = high, min(2 * high, most)
    if high == most and measure(part(most)) <= width:
        return most
    high -= 1
    while low < high:
        middle = (low + high + 1) // 2
        if measure(part(middle)) <= width:
            low = middle
        else:
            high = middle - 1
    return low


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

    ax.xaxis.set_major_formatter(MonthNames(locale))
    return 0.38


class MonthNames(Formatter):
    """Month names in the dossier's language, with the year under a tick that starts one.

    The first tick, each January and the first tick after a break (whose
    neighbour to the left lies in another year) carry the year.
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.ticks: list[float] = []

    def format_ticks(self, values) -> list[str]:
        # Kept here: each label looks at its neighbour to the left.
        self.ticks = list(values)
        return [self(value, pos) for pos, value in enumerate(self.ticks)]

    def __call__(self, x: float, pos: int | None = None) -> str:
        day = mdates.num2date(x).date()
        name = format_date(day, "LLL", locale=self.locale)
        before = self.ticks[pos - 1] if pos and pos <= len(self.ticks) else None
        new_year = before is None or mdates.num2date(before).year != day.year
        return f"{name}\n{day.year}" if new_year or day.month == 1 else name
