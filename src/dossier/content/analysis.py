"""What a dossier says about a case: pure functions over a :class:`CaseFile`.

Nothing here reads files or draws; every function takes the case file (and an
"as of" date where time matters) and returns plain values, so each is tested
without a kernel.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from ..catalogue import label, text
from ..data.contract import EVENT_KINDS
from ..data.dates import PartialDate, add_months, months_between
from ..data.model import AgendaItem, CaseFile, Event, Forum

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
class QuietSpell:
    """The longest stretch without recorded activity; ``end`` is the as-of date if still quiet."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> int:
        return months_between(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Inactivity:
    last_activity: dt.date | None
    months: int
    threshold: int
    inactive: bool


@dataclass(frozen=True, slots=True)
class ForumUse:
    """How a forum handled the case: how often, first and last time."""

    forum_id: str
    forum: Forum | None
    count: int
    first: PartialDate
    last: PartialDate


@dataclass(frozen=True, slots=True)
class DecisionSummary:
    """Everything the decision summary section shows."""

    status: str
    sentence: str
    pending: Proposal | None
    decisions: tuple[Decision, ...]
    counts: dict[str, int]
    months_open: int
    quiet: QuietSpell | None
    inactivity: Inactivity
    next_meeting: AgendaItem | None


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


def months_open(case_file: CaseFile, as_of: dt.date) -> int:
    """Whole months from the case's opening to its closing, or to ``as_of`` while open."""
    case = case_file.case
    end = case.closed.end if case.status == "closed" and case.closed else as_of
    return months_between(case.opened.start, end)


def _active_spans(case_file: CaseFile, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    spans = sorted((e.start, min(e.end, as_of)) for e in case_file.events if e.start <= as_of)
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def longest_quiet_spell(case_file: CaseFile, as_of: dt.date) -> QuietSpell | None:
    """The longest time with no event, up to ``as_of`` (or the closing) for the last stretch.

    Events cover their whole span, so a period or an event known only to the
    month keeps the case active for all of it.
    """
    spans = _active_spans(case_file, as_of)
    if not spans:
        return None
    case = case_file.case
    stop = case.closed.end if case.status == "closed" and case.closed else as_of
    gaps = [(a[1], b[0]) for a, b in itertools.pairwise(spans)]
    if stop > spans[-1][1]:
        gaps.append((spans[-1][1], stop))
    if not gaps:
        return None
    start, end = max(gaps, key=lambda gap: gap[1] - gap[0])
    return QuietSpell(start, end) if end > start else None


def inactivity(case_file: CaseFile, as_of: dt.date, threshold_months: int = 6) -> Inactivity:
    """Whether an open case has had no event for longer than ``threshold_months`` before ``as_of``."""
    spans = _active_spans(case_file, as_of)
    last = spans[-1][1] if spans else None
    months = (
        months_between(last, as_of) if last else months_between(case_file.case.opened.start, as_of)
    )
    since = last or case_file.case.opened.start
    quiet_too_long = add_months(since, threshold_months) < as_of
    return Inactivity(
        last, months, threshold_months, case_file.case.status == "open" and quiet_too_long
    )


def forums_involved(case_file: CaseFile) -> tuple[ForumUse, ...]:
    """Each forum that handled the case, in order of first involvement."""
    uses: dict[str, list[Event]] = {}
    for event in case_file.events:
        if event.forum_id:
            uses.setdefault(event.forum_id, []).append(event)
    return tuple(
        ForumUse(fid, case_file.forums.get(fid), len(evs), evs[0].date, max(e.date for e in evs))
        for fid, evs in uses.items()
    )


def next_meeting(case_file: CaseFile, as_of: dt.date) -> AgendaItem | None:
    """The first meeting on or after ``as_of`` with the case on its agenda (not cancelled)."""
    coming = [
        a for a in case_file.agenda if a.meeting.day >= as_of and a.meeting.state != "cancelled"
    ]
    return coming[0] if coming else None


def is_new(event: Event, since: dt.date | None) -> bool:
    """True if the event may have happened on or after ``since`` (any part of its date's span)."""
    return since is not None and event.date.end >= since


def status_sentence(case_file: CaseFile, lang: str = "sv") -> str:
    """One sentence on where the case stands, e.g. "Pågående sedan maj 2020. Senaste beslut: …"."""
    case = case_file.case
    if case.status == "closed":
        parts = [
            text("status_sentence.closed", lang, closed=case.closed.format(lang))
            if case.closed
            else text("status_sentence.closed_undated", lang)
        ]
    else:
        parts = [text("status_sentence.open", lang, opened=case.opened.format(lang))]
    made = decisions(case_file)
    if made:
        last = made[-1]
        key = (
            "status_sentence.last_decision"
            if last.forum
            else "status_sentence.last_decision_no_forum"
        )
        fields = {
            "kind": label("kind", last.event.kind, lang),
            "date": last.event.date.format(lang),
        }
        parts.append(text(key, lang, forum=last.forum, **fields))
    else:
        parts.append(text("status_sentence.no_decision", lang))
    pending = pending_proposal(case_file)
    if pending:
        n = len(pending.points)
        if n:
            points = text("phrase.point", lang) if n == 1 else text("phrase.points", lang, n=n)
            parts.append(
                text("status_sentence.pending", lang, title=pending.event.title, points=points)
            )
        else:
            parts.append(text("status_sentence.pending_no_points", lang, title=pending.event.title))
    return " ".join(parts)


def summarise(
    case_file: CaseFile, as_of: dt.date, inactive_months: int = 6, lang: str = "sv"
) -> DecisionSummary:
    """The whole decision summary of a case as of a date."""
    return DecisionSummary(
        status=label("status", case_file.case.status, lang),
        sentence=status_sentence(case_file, lang),
        pending=pending_proposal(case_file),
        decisions=decisions(case_file),
        counts=counts_by_kind(case_file),
        months_open=months_open(case_file, as_of),
        quiet=longest_quiet_spell(case_file, as_of),
        inactivity=inactivity(case_file, as_of, inactive_months),
        next_meeting=next_meeting(case_file, as_of),
    )
