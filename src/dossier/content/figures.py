"""The dossier's timeline: one lane per forum, one marker shape per event kind.

The figure is made for an A4 page that is often printed in black and white:
shapes carry the event kind (colour only repeats it), periods are bars,
dates known only to the month or year are drawn as bracketed spans, decisions
carry their protocol paragraph, and the "as of" date is a labelled line.
Nothing is drawn after that line: the case file comes cut to its day
(:meth:`~dossier.data.model.CaseFile.as_of`), so a period still running ends
on it, a year-only event in its year reaches no further, and the date axis
has no tick beyond it.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas,
never through pyplot, so no GUI backend is touched and nothing is shared
between calls. :func:`timeline_svg` gives byte-identical SVG for the same input.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..catalogue import check_language, label, text
from ..data.contract import EVENT_KINDS
from ..data.dates import format_day
from ..data.model import CaseFile, Event
from .analysis import is_new
from .figure_style import (
    BLACK,
    EDGE,
    GREY,
    KIND_STYLES,
    LANE,
    MARKER_SIZE,
    MAX_LABEL_WIDTH,
    MAX_LANES_HEIGHT,
    MIN_LANE,
    MIN_LANES_HEIGHT,
    RC,
    RIGHT,
    ROW_OFFSETS,
    TOP,
    WIDTH,
    YELLOW,
    BracketHandler,
    UpTo,
    date_axis,
    figure_style,
    fit_label,
    halo_style,
    kind_of,
    marker_rows,
    marker_style,
    tint,
)


def timeline(
    case_file: CaseFile, *, as_of: dt.date, since: dt.date | None = None, lang: str = "sv",
    changed: ChangeMarks | None = None,
) -> Figure:
    """Draw the case's timeline: one lane per forum, one marker per event.

    Parameters
    ----------
    case_file
        The case and its ordered events, as of ``as_of`` (:meth:`CaseFile.as_of`;
        a file not yet cut to that day is cut here).
    as_of
        The dossier's "as of" date, drawn as a labelled vertical line.
    since
        Events that may have happened on or after this date (any part of their
        date's span, as :func:`dossier.content.analysis.is_new` says) get a halo; None
        highlights nothing.
    lang
        ``"sv"`` or ``"en"``: the language of labels, legend and month names.
    changed
        Events added or changed since an earlier dossier, marked with a square
        (:func:`draw_change_marks`); None marks none.

    Returns
    -------
    matplotlib.figure.Figure
        A figure 7 inches wide, as tall as its lanes need, on an Agg canvas.
        Lanes run top to bottom in order of first involvement, events without
        a forum last; the y tick labels are the (wrapped) forum names.

    Raises
    ------
    dossier.errors.ParameterError
        If ``lang`` is not a dossier language.
    """
    check_language(lang)
    with figure_style():
        timeline = _Timeline(_on(case_file, as_of), as_of, since, lang)
        timeline.changed = changed
        return timeline.draw()


def _on(case_file: CaseFile, as_of: dt.date) -> CaseFile:
    # A dossier's case file comes cut to its day; a file cut to no day (or another) is cut here.
    return case_file if case_file.day == as_of else case_file.as_of(as_of)


def timeline_svg(
    case_file: CaseFile, *, as_of: dt.date, since: dt.date | None = None, lang: str = "sv",
    changed: ChangeMarks | None = None,
) -> str:
    """The timeline as SVG text, byte-identical for the same input.

    Parameters
    ----------
    case_file, as_of, since, lang, changed
        As for :func:`timeline`.

    Returns
    -------
    str
        A standalone SVG document; text stays text (font DejaVu Sans), no
        creation date is written and element ids do not vary between runs.
    """
    with figure_style():
        figure = timeline(case_file, as_of=as_of, since=since, lang=lang, changed=changed)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def timeline_alt(case_file: CaseFile, *, as_of: dt.date, lang: str = "sv") -> str:
    """Alternative text for the timeline, e.g. "Tidslinje för RUN/168/2020: 18 händelser i 12 forum, 2019 – 2023.".

    Parameters
    ----------
    case_file
        The case and its events.
    as_of
        The dossier's "as of" date; named in a second sentence when it lies
        after the last event, since the figure then reaches beyond the events.
    lang
        ``"sv"`` or ``"en"``.

    Returns
    -------
    str
        One or two sentences; dates at the precision the source gives.
    """
    case_file = _on(case_file, as_of)
    case_id = case_file.case.case_id
    events = case_file.events
    if not events:
        return text("phrase.timeline_alt_empty", lang, case_id=case_id)
    first = min(events, key=lambda e: e.start)
    last = max(events, key=lambda e: e.end)
    start = first.date.format(lang)
    # A period still running on the day ends there.
    end = last.last_date.format(lang) if last.last_date else format_day(as_of, lang)
    forums = len({e.forum_id for e in events if e.forum_id})
    if len(events) == 1:
        span = f"{start} – {end}" if first.is_period else start
        sentence = text("phrase.timeline_alt_one", lang, case_id=case_id, date=span)
    else:
        key = {0: "phrase.timeline_alt_no_forum", 1: "phrase.timeline_alt_one_forum"}.get(
            forums, "phrase.timeline_alt"
        )
        sentence = text(
            key, lang, case_id=case_id, n=len(events), forums=forums, start=start, end=end
        )
    if as_of > last.end:
        sentence += " " + text("phrase.timeline_alt_as_of", lang, date=format_day(as_of, lang))
    return sentence


#: A rectangle in inches from the lanes' top left corner: left, right, top, bottom.
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class _Lane:
    forum_id: str
    name: str


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where one event is drawn: its marker, its span and its lane row."""

    event: Event
    lane: int
    x: float
    span: tuple[float, float] | None
    y: float
    row: int


def lanes(case_file: CaseFile, lang: str = "sv") -> list[tuple[str, str]]:
    """The timeline's lanes, top first.

    Parameters
    ----------
    case_file
        The case and its ordered events.
    lang
        ``"sv"`` or ``"en"``, for the name of the lane without a forum.

    Returns
    -------
    list of (str, str)
        ``(forum_id, name)`` per lane: forums in order of first involvement,
        then, if any event has no forum, ``("", "(inget forum)")``, since that
        lane is a catch-all rather than a forum the case passed through.
    """
    ids = dict.fromkeys(e.forum_id for e in case_file.events)
    named = [(fid, case_file.forum_name(fid)) for fid in ids if fid]
    if "" in ids:
        named.append(("", text("phrase.no_forum", lang)))
    return named


def kind_label(kind: str, lang: str = "sv") -> str:
    """The legend entry of an event kind.

    Parameters
    ----------
    kind
        An event kind of the data contract, e.g. ``"referred_back"``.
    lang
        ``"sv"`` or ``"en"``.

    Returns
    -------
    str
        The catalogue's label with a capital initial, e.g. ``"Återremiss"``.
    """
    return _capital(label("kind", kind, lang))


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class ChangeMarks:
    """The events to mark as added or changed since an earlier dossier, and the legend's words."""

    #: Each event as (event_id, date, kind, forum_id, title), as the records give them.
    events: frozenset[tuple[str, str, str, str, str]]
    legend: str

    def marks(self, event: Event) -> bool:
        key = (event.event_id, event.date.isoformat(), event.kind, event.forum_id, event.title)
        return key in self.events


def change_mark_style(size: float) -> dict:
    # A square outline round the marker: a shape, so it reads in greyscale and beside the halo.
    return {"marker": "s", "ms": size * 2.2, "mfc": "none", "mec": BLACK, "mew": 1.0}


def draw_change_marks(ax: Axes, marks: Sequence, changed: ChangeMarks | None, size: float) -> None:
    """Square the markers of the events added or changed since the earlier dossier."""
    chosen = [m for m in marks if changed is not None and changed.marks(m.event)]
    if chosen:
        ax.plot([m.x for m in chosen], [m.y for m in chosen], ls="none",
                **change_mark_style(size), zorder=4.6, gid="changed")  # fmt: skip


class _Timeline:
    """One drawing of one case; a class only to share the measurements between steps."""

    changed: ChangeMarks | None = None

    def __init__(
        self, case_file: CaseFile, as_of: dt.date, since: dt.date | None, lang: str
    ) -> None:
        self.case_file = case_file
        self.as_of = as_of
        self.since = since
        self.lang = lang
        self.lanes = [_Lane(fid, name) for fid, name in lanes(case_file, lang)]
        self.figure = Figure(figsize=(WIDTH, 4))
        # Agg measures text, so wrapping and label thinning use real font metrics.
        self.renderer = FigureCanvasAgg(self.figure).get_renderer()
        count = max(len(self.lanes), 1)
        self.lane_inches = max(MIN_LANE, min(LANE, MAX_LANES_HEIGHT / count))
        self.lanes_height = max(MIN_LANES_HEIGHT, self.lane_inches * count)
        self.lane_inches = self.lanes_height / count
        self.label_size = 8 if count <= 16 else 7 if count <= 30 else 6
        self.low, self.high = self._x_range()

    # Measuring ---------------------------------------------------------------

    def _width(self, words: str, size: float) -> float:
        """Width of ``words`` in inches at font ``size``."""
        return self._text_box(words, size)[0]

    def _x_range(self) -> tuple[float, float]:
        events = self.case_file.events
        starts = [e.start for e in events] or [self.as_of]
        ends = [e.end for e in events] + [self.as_of]
        low = mdates.date2num(min(starts))
        high = mdates.date2num(max(ends)) + 1
        # A single day would give an axis without ticks; show at least four months.
        if high - low < 120:
            middle = (low + high) / 2
            low, high = middle - 60, middle + 60
        margin = max(12.0, (high - low) * 0.03)
        return low - margin, high + margin

    # Drawing -----------------------------------------------------------------

    def draw(self) -> Figure:
        # Two lines of a name only fit a lane that is at least a quarter inch high.
        lines = 2 if self.lane_inches >= 0.25 else 1
        labels = [
            fit_label(lane.name, MAX_LABEL_WIDTH, lambda s: self._width(s, self.label_size), lines)
            for lane in self.lanes
        ]
        widest = max(
            (self._width(line, self.label_size) for lab in labels for line in lab.split("\n")),
            default=0.0,
        )
        self.left = EDGE + widest + 0.12
        self.axes_width = WIDTH - self.left - RIGHT
        self.days_per_inch = (self.high - self.low) / self.axes_width
        self.marker_size = self._marker_size()

        ax = self.figure.add_axes((0, 0, 1, 1))
        self._frame(ax, labels)
        marks = self._marks()
        self._draw_spans(ax, marks)
        self._draw_markers(ax, marks)
        draw_change_marks(ax, marks, self.changed, self.marker_size)
        self.label_boxes: list[Box] = []
        self._draw_as_of(ax)
        self._draw_decision_labels(ax, marks)
        tick_height = date_axis(ax, self.low, self.high, self.lang)
        # The margin right of the as-of line carries no date: the dossier knows nothing after it.
        last = mdates.date2num(self.as_of)
        ax.xaxis.set_major_locator(UpTo(ax.xaxis.get_major_locator(), last))
        ax.xaxis.set_minor_locator(UpTo(ax.xaxis.get_minor_locator(), last))
        if not self.case_file.events:
            ax.text(
                0.5,
                0.5,
                text("phrase.no_events", self.lang),
                transform=ax.transAxes,
                ha="center",
                va="center",
                color=GREY,
            )
        self._layout(ax, tick_height, marks)
        return self.figure

    def _frame(self, ax: Axes, labels: list[str]) -> None:
        count = max(len(self.lanes), 1)
        ax.set_xlim(self.low, self.high)
        ax.set_ylim(count - 0.5, -0.5)
        ax.set_yticks(range(len(labels)), labels, fontsize=self.label_size, parse_math=False)
        ax.tick_params(axis="y", length=0, pad=6)
        ax.tick_params(axis="x", which="both", direction="out", labelsize=7.5)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        # Alternate bands let the eye follow a lane across the page, also in greyscale.
        for lane in range(0, count, 2):
            ax.axhspan(lane - 0.5, lane + 0.5, color="#EFEFEF", lw=0, zorder=0)
        ax.grid(axis="x", which="major", color="#C8C8C8", lw=0.5, zorder=0.5)
        ax.set_axisbelow(True)
        if self.since is not None and self.since <= self.as_of:
            # New since --since, up to the day: the band stops at the as-of line.
            start = max(mdates.date2num(self.since), self.low)
            end = mdates.date2num(self.as_of) + 1
            ax.axvspan(start, end, color=YELLOW, alpha=0.14, lw=0, zorder=0.2)
            ax.axvline(start, color=GREY, lw=0.6, ls=(0, (1, 1.5)), zorder=0.6)

    def _marks(self) -> list[_Mark]:
        lane_of = {lane.forum_id: index for index, lane in enumerate(self.lanes)}
        placed: list[tuple[Event, int, float, tuple[float, float] | None]] = []
        for event in self.case_file.events:
            start = mdates.date2num(event.start)
            end = mdates.date2num(event.end) + 1
            if event.is_period:
                x, span = start, (start, end)
            elif event.date.precision == "day":
                x, span = start, None
            else:
                # Month or year known only: the marker sits mid-span, the bracket shows the span.
                x, span = (start + end) / 2, (start, end)
            placed.append((event, lane_of[event.forum_id], x, span))

        # Wide enough for a decision's star, which is the largest marker.
        gap = self.marker_size / 72 * 1.35 * self.days_per_inch
        marks = []
        by_lane: dict[int, list[int]] = {}
        for index, (_, lane, _, _) in enumerate(placed):
            by_lane.setdefault(lane, []).append(index)
        rows = [0] * len(placed)
        for indices in by_lane.values():
            order = sorted(indices, key=lambda i: placed[i][2])
            for i, row in zip(order, marker_rows([placed[i][2] for i in order], gap), strict=True):
                rows[i] = row
        for (event, lane, x, span), row in zip(placed, rows, strict=True):
            marks.append(_Mark(event, lane, x, span, lane + ROW_OFFSETS[row], row))
        return marks

    def _marker_size(self) -> float:
        # Crowded lanes get smaller markers so neighbours still read as separate.
        per_lane = max(
            (
                sum(1 for e in self.case_file.events if e.forum_id == lane.forum_id)
                for lane in self.lanes
            ),
            default=0,
        )
        density = per_lane / max(self.axes_width, 1.0)
        scale = 1.0 if density <= 6 else max(0.6, math.sqrt(6 / density))
        lane_scale = min(1.0, self.lane_inches / LANE)
        return MARKER_SIZE * scale * max(lane_scale, 0.7)

    def _draw_spans(self, ax: Axes, marks: Sequence[_Mark]) -> None:
        size = self.marker_size
        for kind in EVENT_KINDS:
            periods = [m for m in marks if m.event.is_period and kind_of(m.event) == kind]
            if periods:
                style = KIND_STYLES[kind]
                ax.barh(
                    [m.y for m in periods],
                    [m.span[1] - m.span[0] for m in periods],
                    left=[m.span[0] for m in periods],
                    height=0.2 * size / MARKER_SIZE,
                    color=tint(style.colour),
                    edgecolor="#4D4D4D",
                    linewidth=0.5,
                    zorder=2,
                )
        # The bracket sits under its marker, caps up: even a month, narrower than the
        # marker at a scale of years, still shows as a small bracket.
        drop = (size / 2 + 1.5) / 72 / self.lane_inches
        cap = 2.2 / 72 / self.lane_inches
        segments = []
        for m in marks:
            if m.span is not None and not m.event.is_period:
                x0, x1 = m.span
                y = m.y + drop
                segments += [[(x0, y - cap), (x0, y), (x1, y), (x1, y - cap)]]
        if segments:
            ax.add_collection(
                LineCollection(segments, colors="#333333", linewidths=0.8, zorder=2.5),
                autolim=False,
            )

    def _draw_markers(self, ax: Axes, marks: Sequence[_Mark]) -> None:
        size = self.marker_size
        new = [m for m in marks if is_new(m.event, self.since)]
        if new:
            ax.plot(
                [m.x for m in new], [m.y for m in new], ls="none", **halo_style(size), zorder=3
            )
        for kind in EVENT_KINDS:
            chosen = [m for m in marks if kind_of(m.event) == kind]
            if chosen:
                ax.plot(
                    [m.x for m in chosen],
                    [m.y for m in chosen],
                    ls="none",
                    **marker_style(kind, size),
                    zorder=4.5 if kind == "decided" else 4,
                )

    def _text_box(self, words: str, size: float) -> tuple[float, float]:
        """Width and height of ``words`` in inches."""
        prop = FontProperties(family=RC["font.family"], size=size)
        width, height, _ = self.renderer.get_text_width_height_descent(words, prop, ismath=False)
        return width / self.figure.dpi, height / self.figure.dpi

    def _free(self, box: Box, others: Sequence[Box] = ()) -> bool:
        """Whether a label box clears every placed label and ``others``."""
        left, right, top, bottom = box
        return all(
            right <= l2 or left >= r2 or bottom <= t2 or top >= b2
            for l2, r2, t2, b2 in (*self.label_boxes, *others)
        )

    def _marker_box(self, mark: _Mark) -> Box:
        """The square a mark's marker (or its halo) covers, in inches from the lanes' top left."""
        size = self.marker_size
        scale = 1.9 if is_new(mark.event, self.since) else KIND_STYLES[kind_of(mark.event)].scale
        half = size * scale / 2 / 72
        x = (mark.x - self.low) / self.days_per_inch
        y = (mark.y + 0.5) * self.lane_inches
        return (x - half, x + half, y - half, y + half)

    def _draw_as_of(self, ax: Axes) -> None:
        x = mdates.date2num(self.as_of)
        ax.axvline(x, color=BLACK, lw=1.0, ls=(0, (4, 2)), zorder=3.5, gid="as-of")
        words = text("phrase.as_of_line", self.lang, date=format_day(self.as_of, self.lang))
        # The label sits above the lanes, on whichever side of the line has more room.
        right_half = x > (self.low + self.high) / 2
        ax.annotate(
            words,
            (x, 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(-3 if right_half else 3, 3),
            textcoords="offset points",
            ha="right" if right_half else "left",
            va="bottom",
            fontsize=7.5,
            annotation_clip=False,
            gid="as-of-label",
        )
        width, height = self._text_box(words, 7.5)
        at = (x - self.low) / self.days_per_inch + (-3 if right_half else 3) / 72
        left = at - width if right_half else at
        self.label_boxes.append((left, left + width, -height - 3 / 72, -3 / 72))

    def _draw_decision_labels(self, ax: Axes, marks: Sequence[_Mark]) -> None:
        size = 7 if len(self.lanes) <= 16 else 6.5
        offset = self.marker_size * KIND_STYLES["decided"].scale / 2 + 1.0
        pad = 1.0 / 72
        markers = [self._marker_box(m) for m in marks]
        # Lane by lane, left to right; a label that would touch another label or a
        # marker is left out (the history table lists every paragraph).
        for index in sorted(range(len(marks)), key=lambda i: (marks[i].lane, marks[i].x)):
            m = marks[index]
            if m.event.kind != "decided" or not m.event.decision_ref.strip():
                continue
            others = markers[:index] + markers[index + 1 :]
            words = m.event.decision_ref.strip()
            width, height = self._text_box(words, size)
            x = (m.x - self.low) / self.days_per_inch
            y = (m.y + 0.5) * self.lane_inches
            # Stacked markers only have room on their outer side.
            for up in {0: (True, False), 1: (True,), 2: (False,)}[m.row]:
                near = y - offset / 72 if up else y + offset / 72
                top, bottom = (near - height, near) if up else (near, near + height)
                box = (x - width / 2 - pad, x + width / 2 + pad, top - pad, bottom + pad)
                if not self._free(box, others):
                    continue
                self.label_boxes.append(box)
                ax.annotate(
                    words,
                    (m.x, m.y),
                    xytext=(0, offset if up else -offset),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if up else "top",
                    fontsize=size,
                    color="#1A1A1A",
                    parse_math=False,
                    annotation_clip=False,
                    zorder=5,
                    gid="decision-label",
                    bbox={"boxstyle": "square,pad=0.08", "fc": "white", "ec": "none", "alpha": 0.8},
                )
                break

    def _legends(self, marks: Sequence[_Mark]) -> list[Legend]:
        """The kinds present, then the notation in use (periods, imprecise dates, new)."""
        kinds = [k for k in EVENT_KINDS if any(kind_of(m.event) == k for m in marks)]
        legends = []
        if kinds:
            handles = [Line2D([], [], ls="none", **marker_style(k, MARKER_SIZE)) for k in kinds]
            labels = [kind_label(k, self.lang) for k in kinds]
            legends.append(self._legend(handles, labels, "legend-kinds"))
        notation: list[tuple[Artist, str]] = []
        handler_map: dict[Artist, HandlerBase] = {}
        if any(m.event.is_period for m in marks):
            bar = Patch(fc=tint(GREY), ec="#4D4D4D", lw=0.5)
            notation.append((bar, text("legend.period", self.lang)))
        if any(m.span is not None and not m.event.is_period for m in marks):
            bracket = Line2D([], [], color="#333333", lw=0.8)
            handler_map[bracket] = BracketHandler()
            notation.append((bracket, text("legend.imprecise", self.lang)))
        if self.since is not None:
            halo = Line2D([], [], ls="none", **halo_style(MARKER_SIZE))
            new = text("phrase.new_since", self.lang, date=format_day(self.since, self.lang))
            notation.append((halo, new))
        if self.changed is not None and any(self.changed.marks(m.event) for m in marks):
            square = Line2D([], [], ls="none", **change_mark_style(MARKER_SIZE * 0.6))
            notation.append((square, self.changed.legend))
        if notation:
            handles, labels = zip(*notation, strict=True)
            labels = [_capital(words) for words in labels]
            legends.append(
                self._legend(list(handles), labels, "legend-notation", handler_map=handler_map)
            )
        return legends

    def _legend(self, handles: list, labels: list[str], gid: str, **options) -> Legend:
        widest = max(self._width(words, RC["legend.fontsize"]) for words in labels)
        column = widest + 0.42
        columns = max(1, min(len(labels), int((WIDTH - 2 * EDGE) // column)))
        # Fill row by row: the kinds then read in their workflow order left to right.
        rows = math.ceil(len(labels) / columns)
        order = [r * columns + c for c in range(columns) for r in range(rows)]
        order = [i for i in order if i < len(labels)]
        legend = self.figure.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="lower left",
            ncols=columns,
            frameon=False,
            borderaxespad=0,
            borderpad=0.2,
            handlelength=1.8,
            handletextpad=0.5,
            columnspacing=1.2,
            labelspacing=0.45,
            numpoints=1,
            bbox_transform=self.figure.dpi_scale_trans,
            bbox_to_anchor=(EDGE, 0),
            **options,
        )
        legend.set_gid(gid)
        return legend

    def _layout(self, ax: Axes, tick_height: float, marks: Sequence[_Mark]) -> None:
        legends = self._legends(marks)
        heights = [lg.get_window_extent(self.renderer).height / self.figure.dpi for lg in legends]
        # The lowest legend sits at the bottom edge; each one above it in turn.
        y = EDGE
        for legend, height in reversed(list(zip(legends, heights, strict=True))):
            legend.set_bbox_to_anchor((EDGE, y), transform=self.figure.dpi_scale_trans)
            y += height + 0.06
        bottom = y + tick_height + 0.05
        total = TOP + self.lanes_height + bottom
        self.figure.set_size_inches(WIDTH, total)
        ax.set_position(
            (self.left / WIDTH, bottom / total, self.axes_width / WIDTH, self.lanes_height / total)
        )


