"""The timeline's drawing: one case's lanes, markers, labels and legends on one figure.

:class:`_Timeline` measures the lanes with real font metrics, finds the crowded
ones and draws spans, markers, counts, decision labels, the "as of" line and
the legends on a :class:`matplotlib.figure.Figure`. What goes where is in
``timeline_layout``; :func:`dossier.content.figures.timeline` is the way in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import replace

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..catalogue import text
from ..data.contract import EVENT_KINDS
from ..data.dates import format_day
from ..data.model import CaseFile, Event
from .analysis import is_new
from .figure_style import (
    BLACK,
    COUNT_EDGE,
    COUNT_FILL,
    COUNT_ROW,
    COUNT_SIZE,
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
    BarHandler,
    BracketHandler,
    CountHandler,
    Shown,
    TimeScale,
    crowded,
    date_axis,
    halo_style,
    kind_of,
    marker_rows,
    marker_style,
    period_tracks,
    tint,
    wrap_label,
)
from .timeline_layout import (
    Box,
    ChangeMarks,
    _bucket_end,
    _bucket_start,
    _capital,
    _Count,
    _day_number,
    _Lane,
    _Mark,
    _stretches,
    change_mark_style,
    draw_change_marks,
    kind_label,
    lanes,
)


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
        self.figure = Figure(figsize=(WIDTH, 4))
        # Agg measures text, so wrapping and label thinning use real font metrics.
        self.renderer = FigureCanvasAgg(self.figure).get_renderer()
        self.measured: dict[tuple[str, float], tuple[float, float]] = {}
        self.scale = TimeScale(_stretches(case_file, as_of))
        self.low, self.high = self.scale.real[0], self.scale.real[-1]
        named = lanes(case_file, lang)
        lane_of = {fid: index for index, (fid, _) in enumerate(named)}
        self.placed = [self._place(event, lane_of[event.forum_id]) for event in case_file.events]
        self.lanes = self._lanes(named)

    # Measuring ---------------------------------------------------------------

    def _width(self, words: str, size: float) -> float:
        """Width of ``words`` in inches at font ``size``."""
        return self._text_box(words, size)[0]

    def _x(self, x: float) -> float:
        """Inches from the lanes' left edge to date number ``x``."""
        return (float(self.scale.forward(x)) - self.shown_low) / self.per_inch

    # Placing -----------------------------------------------------------------

    def _place(self, event: Event, lane: int) -> _Mark:
        start = _day_number(event.start)
        end = _day_number(event.end) + 1
        if event.is_period:
            x, span = start, (start, end)
        elif event.date.precision == "day":
            x, span = start, None
        else:
            # Month or year known only: the marker sits mid-span, the bracket shows the span.
            x, span = (start + end) / 2, (start, end)
        return _Mark(event, lane, x, span, float(lane), 0)

    def _lanes(self, named: list[tuple[str, str]]) -> list[_Lane]:
        """Each forum's lane with the sub-lanes its overlapping periods need."""
        result = []
        for index, (fid, name) in enumerate(named):
            periods = sorted(
                (m for m in self.placed if m.lane == index and m.event.is_period),
                key=lambda m: m.span,
            )
            tracks = period_tracks([m.span for m in periods])
            result.append(
                _Lane(fid, name, tracks=max(tracks, default=0) + 1,
                      track_of={id(m): t for m, t in zip(periods, tracks, strict=True)})
            )  # fmt: skip
        return result

    def _wrap_names(self) -> None:
        """Each lane's name wrapped (never cut) at the lanes' font size."""
        count = max(len(self.lanes), 1)
        self.label_size = 8 if count <= 16 else 7 if count <= 30 else 6
        measure = lambda words: self._width(words, self.label_size)  # noqa: E731
        for lane in self.lanes:
            lane.label = wrap_label(lane.name, MAX_LABEL_WIDTH, measure)

    def _inches_per_lane(self) -> float:
        units = sum(lane.units for lane in self.lanes) or 1.0
        return max(MIN_LANE, min(LANE, MAX_LANES_HEIGHT / units))

    def _size_lanes(self) -> None:
        """Lane heights (in lanes) for their parts and their wrapped names; inches per lane."""
        self.lane_inches = self._inches_per_lane()
        line = self._text_box("Åg", self.label_size)[1] * 1.2
        for lane in self.lanes:
            lines = lane.label.count("\n") + 1
            # A name of many lines makes its lane taller rather than being cut.
            lane.height = max(lane.units, (lines * line + 0.06) / self.lane_inches)
        self.lanes_height = max(
            MIN_LANES_HEIGHT, self.lane_inches * sum(lane.height for lane in self.lanes)
        )
        if self.lanes:
            self.lane_inches = self.lanes_height / sum(lane.height for lane in self.lanes)
        top = -0.5
        for lane in self.lanes:
            lane.top = top
            top += lane.height

    # Drawing -----------------------------------------------------------------

    def draw(self) -> Figure:
        self._wrap_names()
        widest = max(
            (self._width(line, self.label_size) for lane in self.lanes
             for line in lane.label.split("\n")),
            default=0.0,
        )  # fmt: skip
        self.left = EDGE + widest + 0.12
        self.axes_width = WIDTH - self.left - RIGHT
        self.shown_low = float(self.scale.forward(self.low))
        self.per_inch = (float(self.scale.forward(self.high)) - self.shown_low) / self.axes_width
        self.lane_inches = self._inches_per_lane()
        self.marker_size = self._marker_size()
        self._find_crowded()
        self._size_lanes()

        ax = self.figure.add_axes((0, 0, 1, 1))
        if self.scale.breaks:
            ax.set_xscale("function", functions=(self.scale.forward, self.scale.inverse))
        self._frame(ax)
        marks, self.counts = self._marks()
        self._draw_spans(ax, marks)
        self._draw_markers(ax, marks)
        draw_change_marks(ax, marks, self.changed, self.marker_size)
        self.label_boxes: list[Box] = []
        self._draw_counts(ax)
        self._draw_as_of(ax)
        self._draw_decision_labels(ax, marks)
        tick_height = date_axis(ax, self.shown_low, self.shown_low + self.per_inch * self.axes_width,
                                self.lang)  # fmt: skip
        # Ticks only where time is shown, and none right of the as-of line: the dossier
        # knows nothing after it.
        last = _day_number(self.as_of)
        shown = [(low, min(high, last)) for low, high in self.scale.stretches if low <= last]
        ax.xaxis.set_major_locator(Shown(ax.xaxis.get_major_locator(), shown, one_each=True))
        ax.xaxis.set_minor_locator(Shown(ax.xaxis.get_minor_locator(), shown))
        self._draw_breaks(ax)
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

    def _frame(self, ax: Axes) -> None:
        ax.set_xlim(self.low, self.high)
        bottom = self.lanes[-1].top + self.lanes[-1].height if self.lanes else 0.5
        ax.set_ylim(bottom, -0.5)
        ax.set_yticks(
            [lane.centre for lane in self.lanes],
            [lane.label for lane in self.lanes],
            fontsize=self.label_size,
            parse_math=False,
        )
        ax.tick_params(axis="y", length=0, pad=6)
        ax.tick_params(axis="x", which="both", direction="out", labelsize=7.5)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        # Alternate bands let the eye follow a lane across the page, also in greyscale.
        for lane in self.lanes[::2]:
            ax.axhspan(lane.top, lane.top + lane.height, color="#EFEFEF", lw=0, zorder=0)
        ax.grid(axis="x", which="major", color="#C8C8C8", lw=0.5, zorder=0.5)
        ax.set_axisbelow(True)
        if self.since is not None and self.since <= self.as_of:
            # New since --since, up to the day: the band ends on the as-of line.
            start = max(_day_number(self.since), self.low)
            end = _day_number(self.as_of)
            ax.axvspan(start, end, color=YELLOW, alpha=0.14, lw=0, zorder=0.2, gid="since")
            ax.axvline(start, color=GREY, lw=0.6, ls=(0, (1, 1.5)), zorder=0.6)

    def _draw_breaks(self, ax: Axes) -> None:
        """Each left-out stretch: a white band across the lanes and a break in the axis."""
        for after, before in self.scale.breaks:
            ax.axvspan(after, before, color="white", lw=0, zorder=0.55, gid="axis-break")
            for x in (after, before):
                ax.plot([x, x], [0, 1], transform=ax.get_xaxis_transform(), color=GREY,
                        lw=0.6, ls=(0, (2, 2)), zorder=0.56)  # fmt: skip
                # The break mark on the axis: a short slanted stroke at each edge.
                ax.annotate("", (x, 0), xycoords=ax.get_xaxis_transform(), xytext=(-2, -3),
                            textcoords="offset points", annotation_clip=False,
                            arrowprops={"arrowstyle": "-", "lw": 0.8, "shrinkA": 0, "shrinkB": 0,
                                        "relpos": (0, 0)})  # fmt: skip
            # The axis line itself pauses over the break.
            ax.plot([after, before], [0, 0], transform=ax.get_xaxis_transform(), color="white",
                    lw=1.6, clip_on=False, zorder=3)  # fmt: skip

    def _points(self, index: int) -> list[_Mark]:
        """A lane's events drawn as markers in its rows, left to right: all but stacked periods."""
        lane = self.lanes[index]
        return sorted(
            (m for m in self.placed
             if m.lane == index and not (lane.tracks > 1 and m.event.is_period)),
            key=lambda m: float(self.scale.forward(m.x)),
        )  # fmt: skip

    def _gap(self) -> float:
        # Wide enough for a decision's star, which is the largest marker.
        return self.marker_size / 72 * 1.35 * self.per_inch

    def _crowded(self, points: Sequence[_Mark]) -> bool:
        """Whether more than a few of these markers (sorted) find no room in a lane's rows."""
        xs = [float(self.scale.forward(m.x)) for m in points]
        return crowded(xs, self._gap()) > max(2, len(points) // 10)

    def _find_crowded(self) -> None:
        """Lanes whose markers find no room in their rows count their events instead.

        Decisions keep their stars unless they too are crowded; then they are
        counted with the rest (the history lists every paragraph).
        """
        for index, lane in enumerate(self.lanes):
            points = self._points(index)
            if self._crowded(points):
                lane.bucket = self._bucket()
                left = [m for m in points if not self._groups(m, lane.bucket)]
                lane.decisions_counted = self._crowded(left)

    def _marks(self) -> tuple[list[_Mark], list[_Count]]:
        """Where each event is drawn, and the counts that stand for a crowded lane's events."""
        marks: list[_Mark] = []
        counts: list[_Count] = []
        for index, lane in enumerate(self.lanes):
            points = self._points(index)
            if lane.bucket:
                counted = [m for m in points if self._groups(m, lane.bucket, lane.decisions_counted)]
                counts += self._counts(index, lane.count_y, counted, lane.bucket)
                points = [m for m in points if m not in counted]
            rows = marker_rows([float(self.scale.forward(m.x)) for m in points], self._gap())
            # Single markers keep the lane's first row; counts and stacked periods go
            # under it, each in its own row, so no bar or box runs through a marker.
            marks += [
                replace(m, y=lane.middle + ROW_OFFSETS[row], row=row)
                for m, row in zip(points, rows, strict=True)
            ]
            marks += [
                replace(m, y=lane.track_y(lane.track_of[id(m)]))
                for m in self.placed
                if m.lane == index and lane.tracks > 1 and m.event.is_period
            ]
        return marks, counts

    def _bucket(self) -> str:
        """The shortest of month, quarter and year in which a count of two digits fits."""
        need = self._width("88", COUNT_SIZE) + 4 / 72
        for bucket, days in (("month", 30.4), ("quarter", 91.3)):
            if days / self.per_inch >= need:
                return bucket
        return "year"

    @staticmethod
    def _groups(mark: _Mark, bucket: str, decisions: bool = False) -> bool:
        """Whether a crowded lane counts this event rather than drawing it.

        Periods keep their bars, and decisions their stars unless ``decisions``;
        a date is counted only in a bucket that holds its whole span, so no day,
        month or quarter is made up for it.
        """
        event = mark.event
        if event.is_period or (event.kind == "decided" and not decisions):
            return False
        precision = event.date.precision
        return precision == "day" or (precision == "month" and bucket != "month") or bucket == "year"

    def _counts(self, index: int, y: float, grouped: list[_Mark], bucket: str) -> list[_Count]:
        found: dict[dt.date, int] = {}
        for m in grouped:
            found[_bucket_start(m.event.start, bucket)] = found.get(
                _bucket_start(m.event.start, bucket), 0) + 1  # fmt: skip
        return [
            _Count(index, y, start, _bucket_end(start, bucket), n, bucket)
            for start, n in sorted(found.items())
        ]

    def _marker_size(self) -> float:
        # Crowded lanes get smaller markers so neighbours still read as separate.
        per_lane = max(
            (sum(1 for m in self.placed if m.lane == index) for index in range(len(self.lanes))),
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
                bar = 0.2 * size / MARKER_SIZE
                ax.barh(
                    [m.y for m in periods],
                    [m.span[1] - m.span[0] for m in periods],
                    left=[m.span[0] for m in periods],
                    # Sub-lanes packed closer get thinner bars, so each stays apart.
                    height=[min(bar, 0.7 * self.lanes[m.lane].track_step) for m in periods],
                    color=tint(style.colour),
                    edgecolor="#4D4D4D",
                    linewidth=0.5,
                    zorder=2,
                    gid="period",
                )
        # The bracket sits under its marker, flat with short caps: even a month, narrower
        # than the marker at a scale of years, reads as a line under it, never as a box.
        drop = (size / 2 + 1.5) / 72 / self.lane_inches
        cap = 1.2 / 72 / self.lane_inches
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

    def _draw_counts(self, ax: Axes) -> None:
        """A grey box per month, quarter or year of a crowded lane, with its count in it."""
        half = COUNT_ROW * 0.4
        last = _day_number(self.as_of) + 1
        for count in self.counts:
            start, end = _day_number(count.start), _day_number(count.end)
            # A quarter may begin before the axis or run past the day or into a break:
            # its box covers only the time the axis shows up to the as-of line.
            low, high = next((a, b) for a, b in self.scale.stretches if start < b)
            start, end = max(start, low), min(end, high, last)
            ax.add_patch(Rectangle(
                (start, count.y - half), end - start, 2 * half, fc=COUNT_FILL, ec=COUNT_EDGE,
                lw=0.4, zorder=1.8, gid="event-count",
            ))  # fmt: skip
            left, right = self._x(start), self._x(end)
            top, bottom = ((count.y + 0.5 + side) * self.lane_inches for side in (-half, half))
            # The whole box keeps paragraph labels off, not only its number.
            self.label_boxes.append((left, right, top, bottom))
            words = str(count.n)
            if right - left - 2 / 72 < self._width(words, COUNT_SIZE):
                continue  # (_bucket chose buckets that hold two digits; three may not fit)
            ax.text((start + end) / 2, count.y, words, ha="center", va="center",
                    fontsize=COUNT_SIZE, color="#1A1A1A", zorder=2, gid="event-count-label")  # fmt: skip

    def _text_box(self, words: str, size: float) -> tuple[float, float]:
        """Width and height of ``words`` in inches."""
        key = (words, size)
        if key not in self.measured:
            prop = FontProperties(family=RC["font.family"], size=size)
            width, height, _ = self.renderer.get_text_width_height_descent(
                words, prop, ismath=False
            )
            self.measured[key] = (width / self.figure.dpi, height / self.figure.dpi)
        return self.measured[key]

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
        x = self._x(mark.x)
        y = (mark.y + 0.5) * self.lane_inches
        return (x - half, x + half, y - half, y + half)

    def _draw_as_of(self, ax: Axes) -> None:
        x = _day_number(self.as_of)
        ax.axvline(x, color=BLACK, lw=1.0, ls=(0, (4, 2)), zorder=3.5, gid="as-of")
        words = text("phrase.as_of_line", self.lang, date=format_day(self.as_of, self.lang))
        # The label sits above the lanes, on whichever side of the line has more room.
        right_half = self._x(x) > self.axes_width / 2
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
        at = self._x(x) + (-3 if right_half else 3) / 72
        left = at - width if right_half else at
        self.label_boxes.append((left, left + width, -height - 3 / 72, -3 / 72))

    def _draw_decision_labels(self, ax: Axes, marks: Sequence[_Mark]) -> None:
        size = 7 if len(self.lanes) <= 16 else 6.5
        offset = self.marker_size * KIND_STYLES["decided"].scale / 2 + 1.0
        pad = 1.0 / 72
        # The forum names end 6 points left of the lanes: a label may not reach them.
        names = (-WIDTH, -4 / 72, -WIDTH, 2 * self.lanes_height)
        markers = [self._marker_box(m) for m in marks] + [names]
        # Lane by lane, left to right; a label that would touch another label or a
        # marker is left out (the history table lists every paragraph).
        for index in sorted(range(len(marks)), key=lambda i: (marks[i].lane, marks[i].x)):
            m = marks[index]
            if m.event.kind != "decided" or not m.event.decision_ref.strip():
                continue
            others = markers[:index] + markers[index + 1 :]
            words = m.event.decision_ref.strip()
            width, height = self._text_box(words, size)
            x = self._x(m.x)
            y = (m.y + 0.5) * self.lane_inches
            # Stacked markers only have room on their outer side.
            for up in {0: (True, False), 1: (True,), 2: (False,)}[m.row]:
                near = y - offset / 72 if up else y + offset / 72
                top, bottom = (near - height, near) if up else (near, near + height)
                # Wider apart side by side than above: "§ 243§ 74" would read as one label.
                box = (x - width / 2 - 2.5 * pad, x + width / 2 + 2.5 * pad, top - pad, bottom + pad)
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
            handler_map[bar] = BarHandler()
            notation.append((bar, text("legend.period", self.lang)))
        if any(m.span is not None and not m.event.is_period for m in marks):
            bracket = Line2D([], [], color="#333333", lw=0.8)
            handler_map[bracket] = BracketHandler()
            notation.append((bracket, text("legend.imprecise", self.lang)))
        buckets = dict.fromkeys(count.bucket for count in self.counts)
        for bucket in buckets:
            box = Patch(fc=COUNT_FILL, ec=COUNT_EDGE, lw=0.4)
            handler_map[box] = CountHandler()
            notation.append((box, text(f"legend.count_{bucket}", self.lang)))
        if self.scale.breaks:
            pause = Line2D([], [], color=GREY, lw=0.6, ls=(0, (2, 2)))
            notation.append((pause, text("legend.break", self.lang)))
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
