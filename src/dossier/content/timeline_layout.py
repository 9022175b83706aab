"""The timeline's layout: what is drawn where, before anything is drawn.

The axis's stretches of time (quiet years cut out as breaks), a lane and its
sub-lanes (:class:`_Lane`), where one event's marker goes (:class:`_Mark`) and a
crowded lane's counts (:class:`_Count`), the lanes in order (:func:`lanes`), the
legend's names of event kinds (:func:`kind_label`) and the events marked as
changed since an earlier dossier (:class:`ChangeMarks`). The drawing is in
``timeline_drawing``, the public figure in ``figures``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.dates as mdates
from matplotlib.axes import Axes

from ..catalogue import label, text
from ..data.dates import add_months
from ..data.model import CaseFile, Event
from .figure_style import (
    BLACK,
    COUNT_ROW,
    QUIET_DAYS,
    QUIET_SHARE,
    TRACK,
    TRACKS_HEIGHT,
)


def _day_number(day: dt.date) -> float:
    """``matplotlib.dates.date2num`` of a date, without its datetime round trip (500 events)."""
    return day.toordinal() + _EPOCH


#: date2num(day) - day.toordinal(): matplotlib's epoch, read once.
_EPOCH = float(mdates.date2num(dt.date(2000, 1, 1))) - dt.date(2000, 1, 1).toordinal()


def _stretches(case_file: CaseFile, as_of: dt.date) -> list[tuple[float, float]]:
    """The spans of time the axis shows: the case's activity and the as-of day.

    A stretch without events (nor a period running through it) longer than
    ``QUIET_DAYS`` and ``QUIET_SHARE`` of the whole is left out, to be drawn
    as a break, so a case quiet for years before its day is not drawn as
    empty years.
    """
    day = _day_number(as_of)
    spans = sorted(
        (_day_number(e.start), _day_number(e.end) + 1) for e in case_file.events
    )
    first = spans[0][0] if spans else day
    whole = max([day + 1] + [end for _, end in spans]) - first
    quiet = max(QUIET_DAYS, QUIET_SHARE * whole)
    groups: list[list[float]] = []
    for start, end in [*spans, (day, day + 1)]:
        if groups and start - groups[-1][1] <= quiet:
            groups[-1][1] = max(groups[-1][1], end)
        else:
            groups.append([start, end])
    alone = len(groups) > 1 and groups[-1][0] == day
    stretches = []
    for index, (low, high) in enumerate(groups):
        if alone and index == len(groups) - 1:
            # The day alone after a break: a little before it, so its line stands clear.
            low = high - 60
        elif high - low < 120:
            # A single day would give an axis without ticks; show at least four months.
            middle = (low + high) / 2
            low, high = middle - 60, middle + 60
        stretches.append((low, high))
    margin = max(12.0, sum(high - low for low, high in stretches) * 0.03)
    return [(low - margin, high + margin) for low, high in stretches]


#: A rectangle in inches from the lanes' top left corner: left, right, top, bottom.
Box = tuple[float, float, float, float]


@dataclass(slots=True)
class _Lane:
    """One forum's lane: its name as wrapped, its sub-lanes and its place, in lanes from the top."""

    forum_id: str
    name: str
    tracks: int = 1
    track_of: dict[int, int] = field(default_factory=dict)
    label: str = ""
    height: float = 1.0
    top: float = -0.5
    #: "month", "quarter" or "year" when the lane is too crowded to draw each event.
    bucket: str | None = None
    #: Whether its decisions, too crowded for their stars, are counted with the rest.
    decisions_counted: bool = False

    @property
    def centre(self) -> float:
        return self.top + self.height / 2

    @property
    def parts(self) -> bool:
        """Whether the lane has more than its row of markers (counts, sub-lanes)."""
        return self.tracks > 1 or self.bucket is not None

    @property
    def middle(self) -> float:
        """The row of single markers: the lane's first lane-height when it has more below."""
        return self.top + 0.5 if self.parts else self.centre

    @property
    def count_y(self) -> float:
        return self.top + 1 + COUNT_ROW / 2

    def track_y(self, track: int) -> float:
        below = self.top + 1 + (COUNT_ROW if self.bucket else 0)
        return below + (track - 0.25) * self.track_step

    @property
    def track_step(self) -> float:
        """Distance between its sub-lanes, in lanes: closer when there are many."""
        return min(TRACK, TRACKS_HEIGHT / self.tracks)

    @property
    def units(self) -> float:
        """Height in lanes for its parts, before its name is measured."""
        return (
            1 + (COUNT_ROW if self.bucket else 0)
            + (self.track_step * self.tracks if self.tracks > 1 else 0)
        )


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where one event is drawn: its marker, its span and its lane row."""

    event: Event
    lane: int
    x: float
    span: tuple[float, float] | None
    y: float
    row: int


@dataclass(frozen=True, slots=True)
class _Count:
    """How many of a crowded lane's events fall in one month, quarter or year."""

    lane: int
    y: float
    start: dt.date
    end: dt.date
    n: int
    bucket: str


def _bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def _bucket_end(start: dt.date, bucket: str) -> dt.date:
    """The first day after the bucket that begins on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    return add_months(start, months)


def lanes(case_file: CaseFile, lang: str = "sv") -> list[tuple[str, str]]:
    """The timeline's lanes, top first.

    Parameters
    ----------
    case_file
        The case and its ordered events.
    lang
        ``"sv"``, ``"en"`` or ``"de"``, for the name of the lane without a forum.

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
        ``"sv"``, ``"en"`` or ``"de"``.

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
