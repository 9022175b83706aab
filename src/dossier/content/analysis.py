"""What a dossier measures about a case: pure functions over a :class:`CaseFile` as of its day.

Every function takes a case file cut to its day (:meth:`CaseFile.as_of`) and
returns plain values, so each is tested without a kernel. Nothing here claims
more than the records hold: a measure resting on a date known only to the
month or year is a range of whole months (:class:`Months`), and an event whose
span holds the day proves nothing about the days after its start.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from ..data.contract import EVENT_KINDS
from ..data.dates import PartialDate, add_months, months_between
from ..data.model import AgendaItem, CaseFile, Event, Forum, Meeting

#: Kinds that record a forum's decision on the case.
DECISION_KINDS = ("decided", "referred_back", "tabled", "deferred")
#: Kinds after which a proposal no longer waits for a decision (tabling and deferral only postpone it).
SETTLING_KINDS = ("decided", "referred_back", "withdrawn", "closed")
#: The kinds the summary counts, in the order it shows them.
COUNTED_KINDS = ("discussed", "referred_back", "tabled", "deferred")

POINT = re.compile(r"^\s*(\d{1,2}|[a-zA-Z])[.)]\s+(\S.*)$")


@dataclass(frozen=True, slots=True)
class Proposal:
    """The latest proposal that no decision has followed, with its numbered points."""

    event: Event
    points: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Decision:
    event: Event
    forum: str
    paragraph: str


@dataclass(frozen=True, slots=True)
class Months:
    """A length of time in whole months, known to lie between ``low`` and ``high``.

    Whole months as :func:`~dossier.data.dates.months_between` counts them;
    ``low == high`` when the dates are known to the day.
    """

    low: int
    high: int

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @classmethod
    def between(cls, first: PartialDate | dt.date, last: PartialDate | dt.date) -> Months:
        """From ``first`` to ``last``, each a day or a span: shortest and longest possible."""
        first_start, first_end = _span(first)
        last_start, last_end = _span(last)
        return cls(months_between(first_end, last_start), months_between(first_start, last_end))


def _span(date: PartialDate | dt.date) -> tuple[dt.date, dt.date]:
    return date.span if isinstance(date, PartialDate) else (date, date)


@dataclass(frozen=True, slots=True)
class QuietSpell:
    """A stretch in which no event can have happened, named by its ends as the data gives them.

    ``after`` is the date the last event before it ends on, ``before`` the date
    of the first event after it, or of the closing, or the dossier's day.
    ``months`` is how long the quiet may have lasted; ``days`` how long it
    certainly lasted.
    """

    after: PartialDate
    before: PartialDate
    months: Months
    days: int


@dataclass(frozen=True, slots=True)
class Inactivity:
    """How long since the case's last event, and whether that is longer than ``threshold`` months.

    ``since`` runs from the last event (or, with none, from the registration);
    ``inactive`` only when it is certainly longer than the threshold.
    """

    since: Months
    threshold: int
    inactive: bool
    has_events: bool


@dataclass(frozen=True, slots=True)
class ForumUse:
    """How a forum handled the case: how often, first and last time (None: still going on)."""

    forum_id: str
    forum: Forum | None
    count: int
    first: PartialDate
    last: PartialDate | None


@dataclass(frozen=True, slots=True)
class DecisionSummary:
    """Everything the decision summary measures, as of the case file's day."""

    status: str
    pending: Proposal | None
    decisions: tuple[Decision, ...]
    counts: dict[str, int]
    time_open: Months
    quiet: QuietSpell | None
    inactivity: Inactivity
    next_meeting: AgendaItem | None
    #: The owner forum's coming meeting, when no known agenda has the case (:func:`next_sitting`).
    next_sitting: Meeting | None = None


def _day(case_file: CaseFile) -> dt.date:
    if case_file.day is None:
        raise ValueError("measure a case file as of a day: case_file.as_of(day)")
    return case_file.day


def proposal_points(description: str) -> tuple[tuple[str, str], ...]:
    """Split numbered or lettered points ("1. …", "a) …") out of a description.

    A point runs to the end of its line; a following line that starts in lower
    case or is indented continues it, anything else ends it.
    """
    points: list[list[str]] = []
    open_point = False
    for line in description.splitlines():
        match = POINT.match(line)
        if match:
            points.append([match.group(1), match.group(2).strip()])
            open_point = True
        elif open_point and line.strip() and (line[:1].isspace() or line.strip()[0].islower()):
            points[-1][1] += " " + line.strip()
        else:
            open_point = False
    return tuple((number, body) for number, body in points)


def pending_proposal(case_file: CaseFile) -> Proposal | None:
    """The latest proposal not followed by a decision, or None."""
    pending = None
    for event in case_file.events:
        if event.kind == "proposal":
            pending = event
        elif event.kind in SETTLING_KINDS:
            pending = None
    return Proposal(pending, proposal_points(pending.description)) if pending else None


def decisions(case_file: CaseFile) -> tuple[Decision, ...]:
    """Every decision in order, with its forum's name and protocol paragraph."""
    return tuple(
        Decision(e, case_file.forum_name(e.forum_id), e.decision_ref)
        for e in case_file.events
        if e.kind in DECISION_KINDS
    )


def counts_by_kind(case_file: CaseFile) -> dict[str, int]:
    """Events per kind, every kind of the contract present (zero where none)."""
    found = Counter(e.kind for e in case_file.events)
    return {kind: found[kind] for kind in EVENT_KINDS}


def _stop(case_file: CaseFile) -> PartialDate:
    """Where the case's time ends: its closing, or the day the file speaks for."""
    case = case_file.case
    if case.status == "closed" and case.closed:
        return case.closed
    return PartialDate.from_date(_day(case_file))


def time_open(case_file: CaseFile) -> Months:
    """From the registration to the closing, or to the day while open, as a range of months."""
    opened, stop = case_file.case.opened, _stop(case_file)
    # A closing "2023" on a day in 2023 ends no later than the day itself.
    last = min(stop.end, _day(case_file))
    return Months(months_between(opened.end, stop.start), months_between(opened.start, last))


def longest_quiet_spell(case_file: CaseFile) -> QuietSpell | None:
    """The longest stretch in which no event can have happened, up to the closing or the day.

    Events cover their whole span up to the day (a period all of it, an event
    known to the month the whole month), so only a stretch that no event's
    span reaches is certainly quiet; its length runs from that (``days``,
    ``months.low``) to what the events' spans allow at most (``months.high``).
    The time before the first event is not a quiet spell.
    """
    events = sorted(case_file.events, key=lambda e: e.start)
    if not events:
        return None
    stop, day = _stop(case_file), _day(case_file)
    # The quiet before events[i] ends, at the latest, when the first of events[i:] may begin.
    latest = [min(stop.end, day)]
    for event in reversed(events):
        latest.append(min(latest[-1], event.latest_start))
    latest.reverse()
    spells: list[QuietSpell] = []
    reach = events[0]  # the event whose span reaches furthest so far
    surely_over = events[0].earliest_end
    for index, event in enumerate([*events[1:], None], start=1):
        begins = event.start if event else stop.start
        if begins > reach.end + dt.timedelta(days=1):
            after = reach.last_date or PartialDate.from_date(day)
            months = Months(
                months_between(reach.end, begins), months_between(surely_over, latest[index])
            )
            days = (begins - reach.end).days - 1
            spells.append(QuietSpell(after, event.date if event else stop, months, days))
        if event is None:
            break
        # On a tie the event whose end is known more closely names the spell's start.
        if (event.end, event.earliest_end) > (reach.end, reach.earliest_end):
            reach = event
        surely_over = max(surely_over, event.earliest_end)
    return max(spells, key=lambda s: (s.days, s.months.high), default=None)


def inactivity(case_file: CaseFile, threshold_months: int = 6) -> Inactivity:
    """How long since the last event, and whether an open case has been quiet too long.

    The time since runs from the last day any event may cover (``since.low``)
    to the last day on which the latest event may have been over
    (``since.high``): a year-only event in the day's year may have been on the
    day itself or in January. Inactive only when even the shortest of these is
    over ``threshold_months``; with no events, counted from the registration.
    """
    day = _day(case_file)
    events = case_file.events
    if events:
        last_possible = max(e.end for e in events)
        surely_over = max(e.earliest_end for e in events)
        since = Months(months_between(last_possible, day), months_between(surely_over, day))
    else:
        last_possible = case_file.case.opened.end
        since = Months.between(case_file.case.opened, day)
    quiet_too_long = add_months(min(last_possible, day), threshold_months) < day
    is_open = case_file.case.status == "open"
    return Inactivity(since, threshold_months, is_open and quiet_too_long, bool(events))


def forums_involved(case_file: CaseFile) -> tuple[ForumUse, ...]:
    """Each forum that handled the case, in order of first involvement.

    First and last take in a period's start and end: dialogues from May 2020 to
    May 2022 make May 2022 the last time; a period still running on the day
    makes the last time None (ongoing).
    """
    uses: dict[str, list[Event]] = {}
    for event in case_file.events:
        if event.forum_id:
            uses.setdefault(event.forum_id, []).append(event)
    found = []
    for forum_id, events in uses.items():
        first = min(events, key=lambda e: (e.start, e.date.end)).date
        latest = max(events, key=lambda e: (e.end, e.earliest_end))
        found.append(
            ForumUse(forum_id, case_file.forums.get(forum_id), len(events), first, latest.last_date)
        )
    return tuple(found)


def next_meeting(case_file: CaseFile) -> AgendaItem | None:
    """The first meeting on or after the day with the case on its agenda (not cancelled)."""
    day = _day(case_file)
    coming = [
        a for a in case_file.agenda if a.meeting.day >= day and a.meeting.state != "cancelled"
    ]
    return coming[0] if coming else None


def next_sitting(case_file: CaseFile) -> Meeting | None:
    """The owner forum's first meeting on or after the day, within the calendar's horizon.

    Only for an open case that no known agenda has yet: the meeting is a date in the
    forum's calendar, not a step in the case.
    """
    if case_file.case.status != "open" or next_meeting(case_file) is not None:
        return None
    day = _day(case_file)
    return next((m for m in case_file.sittings if m.day >= day), None)


def is_new(event: Event, since: dt.date | None) -> bool:
    """True if the event may have happened on or after ``since`` (any part of its date's span)."""
    return since is not None and event.date.end >= since


def summarise(case_file: CaseFile, inactive_months: int = 6) -> DecisionSummary:
    """The whole decision summary of a case file as of its day."""
    return DecisionSummary(
        status=case_file.case.status,
        pending=pending_proposal(case_file),
        decisions=decisions(case_file),
        counts=counts_by_kind(case_file),
        time_open=time_open(case_file),
        quiet=longest_quiet_spell(case_file),
        inactivity=inactivity(case_file, inactive_months),
        next_meeting=next_meeting(case_file),
        next_sitting=next_sitting(case_file),
    )
