"""The case model: one validated registry, and per case the file of everything about it.

:class:`Registry` keeps the validated tables as DataFrames (a million events fit
easily); :meth:`Registry.case_file` turns one case's slice into small typed
objects that the analysis, the figures and the notebook work with, and
:meth:`CaseFile.as_of` cuts that file to what was so on the dossier's day.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..catalogue import text
from ..errors import Fault, UnknownCaseError, UnusableCaseError, shown
from .calendar import Calendar
from .contract import ROW
from .dates import PartialDate

if TYPE_CHECKING:
    import pandas as pd

NOTHING = np.array([], dtype=np.intp)
#: A meeting title that says the meeting is made up (the sample's is "EXEMPEL (påhittat …)").
EXAMPLE_TITLE = re.compile(r"\b(exempel|example|påhittad|påhittat|fictitious)\b", re.IGNORECASE)


def _date(value: str) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def _day(value: str | None) -> dt.date | None:
    """The day of a ``YYYY-MM-DD [HH:MM]`` value; None for an empty one (or a missing column)."""
    return dt.date.fromisoformat(value.replace("T", " ")[:10]) if value else None


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A source file as read: where it is, what it holds, how it was decoded."""

    table: str
    path: Path
    sha256: str
    rows: int
    encoding: str
    delimiter: str


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    title: str
    opened: PartialDate
    status: str
    closed: PartialDate | None = None
    owner_forum_id: str = ""
    responsible: str = ""
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """A dated step in a case's history; a period when it has an end date."""

    case_id: str
    date: PartialDate
    kind: str
    title: str
    end_date: PartialDate | None = None
    forum_id: str = ""
    description: str = ""
    decision_ref: str = ""
    document: str = ""
    event_id: str = ""
    seq: int | None = None
    row: int = 0
    #: The dossier's day, set by :meth:`CaseFile.as_of` when the event's span runs past it.
    until: dt.date | None = None
    #: A period that had not ended on the dossier's day: its end date is withheld.
    running: bool = False

    @property
    def is_period(self) -> bool:
        return self.end_date is not None or self.running

    @property
    def start(self) -> dt.date:
        return self.date.start

    @property
    def end(self) -> dt.date:
        """The last day the event may cover: a period's end, or its date's span's end; at most ``until``."""
        last = self.until if self.running else (self.end_date or self.date).end
        return min(last, self.until) if self.until else last

    @property
    def latest_start(self) -> dt.date:
        """The last day on which the event (or the period) may have begun, at most ``until``."""
        return min(self.date.end, self.until) if self.until else self.date.end

    @property
    def earliest_end(self) -> dt.date:
        """The first day on which the event may have been over (a running period: ``until``)."""
        if self.running:
            return self.until
        first = (self.end_date or self.date).start
        return min(first, self.until) if self.until else first

    @property
    def last_date(self) -> PartialDate | None:
        """The event's last date as the data gives it; None for a running period."""
        return None if self.running else self.end_date or self.date

    def on(self, day: dt.date) -> Event:
        """The event as it stood on ``day`` (which must not be before its start)."""
        if self.end_date is not None and self.end_date.start > day:
            return replace(self, end_date=None, until=day, running=True)
        if (self.end_date or self.date).end > day:
            return replace(self, until=day)
        return self


@dataclass(frozen=True, slots=True)
class Forum:
    forum_id: str
    name: str
    kind: str
    organisation: str = ""
    chair: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Meeting:
    meeting_id: str
    forum_id: str
    day: dt.date
    time: str = ""
    title: str = ""
    location: str = ""
    state: str = ""
    #: The day its agenda was published; None when the data does not say.
    published: dt.date | None = None

    @property
    def is_example(self) -> bool:
        """Whether the title says the meeting is an example, made up (the sample's is)."""
        return bool(EXAMPLE_TITLE.search(self.title))


@dataclass(frozen=True, slots=True)
class AgendaItem:
    meeting: Meeting
    item: str
    case_id: str
    title: str = ""
    proposal: str = ""
    #: The day the item's agenda was published: its own, else its meeting's; None if unknown.
    published: dt.date | None = None

    def known_on(self, day: dt.date, calendar: Calendar) -> bool:
        """Whether the item's agenda was known on ``day`` (:meth:`Calendar.agenda_known`)."""
        return calendar.agenda_known(self.meeting.day, self.published, day)


@dataclass(frozen=True, slots=True)
class RelatedCase:
    """Another case linked to this one, with the link read from this case's side."""

    case_id: str
    title: str
    status: str
    relation: str
    inverse: bool
    opened: PartialDate | None = None
    closed: PartialDate | None = None


@dataclass(frozen=True, slots=True)
class Document:
    case_id: str
    date: PartialDate
    title: str
    doc_type: str
    link: str = ""


@dataclass(frozen=True, slots=True)
class DataNote:
    """Something legal but odd about a case's data, shown in its dossier."""

    code: str
    fields: tuple[tuple[str, str | PartialDate], ...] = ()
    file: str = ""
    row: int | None = None

    def text(self, lang: str = "sv") -> str:
        values = {k: v.format(lang) if isinstance(v, PartialDate) else v for k, v in self.fields}
        if "reason" in values:  # a fault in a row left out: why, in the reader's words
            values["reason"] = text(f"note.reason_{values['reason']}", lang, **values)
        return text(f"note.{self.code}", lang, **values)

    def where(self, lang: str = "sv") -> str:
        """The file and row the note is about: "events.csv, rad 2"."""
        if self.row is None:
            return self.file
        return text("phrase.file_row", lang, file=self.file, row=self.row)

    def names_a_date_after(self, day: dt.date) -> bool:
        return any(isinstance(v, PartialDate) and v.start > day for _, v in self.fields)


@dataclass(frozen=True)
class CaseFile:
    """Everything the data says about one case, typed and ordered."""

    case: Case
    events: tuple[Event, ...]
    forums: dict[str, Forum]
    related: tuple[RelatedCase, ...]
    documents: tuple[Document, ...]
    agenda: tuple[AgendaItem, ...]
    notes: tuple[DataNote, ...]
    sources: tuple[SourceFile, ...] = field(default=())
    #: The day the file speaks for (see :meth:`as_of`); None for everything the data holds.
    day: dt.date | None = None
    #: Events and documents dated after ``day``, left out.
    later_events: int = 0
    later_documents: int = 0
    #: The language of the data's own text (BCP 47; "" unknown), as the registry says it.
    source_lang: str = ""
    #: The owner forum's meetings (its calendar); as of a day, those named within its horizon.
    sittings: tuple[Meeting, ...] = ()
    #: When meetings and agendas are known (the data folder's ``[calendar]``).
    calendar: Calendar = field(default_factory=Calendar)

    def forum_name(self, forum_id: str) -> str:
        forum = self.forums.get(forum_id)
        return forum.name if forum else forum_id

    @property
    def unregistered(self) -> bool:
        """Whether the case was registered only after the day the file speaks for."""
        return self.day is not None and self.case.opened.start > self.day

    def as_of(self, day: dt.date) -> CaseFile:
        """The case as it stood on ``day``: the one filter every part of a dossier goes through.

        - Events and documents whose earliest possible day is after ``day`` are left
          out (and counted); a period still running on ``day`` ends there, its end
          date withheld; an event whose span holds ``day`` is kept at its precision
          and measured and drawn up to ``day`` (:meth:`Event.on`).
        - The status is the status on ``day``: a case closed later is open, and a
          data note says so; an open case's closing date is no fact (the data
          note ``closed_on_open_case`` says it is there).
        - Related cases opened later are left out; their status is the one on ``day``.
        - Data notes that name a date after ``day`` are left out.
        - Agenda items whose agenda was not yet known on ``day`` are left out
          (:meth:`AgendaItem.known_on`), and so are the owner forum's meetings that are
          past, cancelled or beyond the calendar's horizon (:attr:`sittings`).
        - A case registered after ``day`` keeps nothing dated (:attr:`unregistered`).
        """
        case = self.case
        notes = [n for n in self.notes if not n.names_a_date_after(day)]
        status, closed = _status_on(case.status, case.closed, day)
        if case.status == "closed" and status == "open":
            # Named where the sources say which file holds the cases (a case extract of a
            # mapped export knows its files only by name).
            cases_file = next((s.path.name for s in self.sources if s.table == "cases"), "")
            date = PartialDate.from_date(day)
            notes.append(DataNote("closed_after_as_of", (("as_of", date),), cases_file))
        if status == "open":
            notes = [n for n in notes if n.code != "event_after_closed"]
        events = tuple(e.on(day) for e in self.events if e.start <= day)
        documents = tuple(d for d in self.documents if d.date.start <= day)
        related = tuple(
            replace(r, status=_status_on(r.status, r.closed, day)[0])
            for r in self.related
            if r.opened is None or r.opened.start <= day
        )
        agenda = tuple(a for a in self.agenda if a.known_on(day, self.calendar))
        sittings = tuple(m for m in self.sittings
                         if m.state != "cancelled" and self.calendar.within_horizon(m.day, day))  # fmt: skip
        if case.opened.start > day:
            # Before its registration the case had no history, links, notes or agenda of its own.
            events, documents, related, notes, agenda, sittings = (), (), (), [], (), ()
        return replace(
            self,
            case=replace(case, status=status, closed=closed),
            events=events,
            documents=documents,
            related=related,
            notes=tuple(notes),
            agenda=agenda,
            sittings=sittings,
            day=day,
            later_events=len(self.events) - len(events),
            later_documents=len(self.documents) - len(documents),
        )


def _status_on(
    status: str, closed: PartialDate | None, day: dt.date
) -> tuple[str, PartialDate | None]:
    """A case's status and closing date on ``day``: closed only from its closing on."""
    if status == "closed" and (closed is None or closed.start <= day):
        return status, closed
    return "open", None


def meeting_from_row(row: dict) -> Meeting:
    day, _, time = row["date"].replace("T", " ").partition(" ")
    return Meeting(
        row["meeting_id"], row["forum_id"], dt.date.fromisoformat(day), time.strip(),
        row["title"], row["location"], row["state"], _day(row.get("published")),
    )  # fmt: skip


def _records(frame: pd.DataFrame) -> list[dict]:
    # Column by column: several times faster than to_dict("records") on Arrow-backed text.
    columns = [frame[name].tolist() for name in frame.columns]
    return [dict(zip(frame.columns, row, strict=True)) for row in zip(*columns, strict=True)]


@dataclass(frozen=True)
class Registry:
    """The validated contents of a data directory.

    Attributes are DataFrames of text with the contract's columns plus ``_row``
    (the row number a spreadsheet shows). ``notes`` holds the data notes of all
    cases; ``sources`` describes the files read. ``faults`` lists the faults confined to
    one case's rows, whose rows are left out (see :mod:`dossier.data.faults`), and
    ``unusable`` the cases whose own row is faulty, by case ID.
    """

    cases: pd.DataFrame
    events: pd.DataFrame
    forums: pd.DataFrame
    meetings: pd.DataFrame
    agenda: pd.DataFrame
    relations: pd.DataFrame
    documents: pd.DataFrame
    notes: dict[str, list[DataNote]]
    sources: tuple[SourceFile, ...]
    faults: tuple[Fault, ...] = ()
    #: :class:`~dossier.data.faults.UnusableCase` by case ID.
    unusable: dict = field(default_factory=dict)
    #: The language of the data's own text (BCP 47; "" unknown): dossier.data.language.
    source_lang: str = ""
    #: When meetings and agendas are known (the data folder's ``[calendar]``).
    calendar: Calendar = field(default_factory=Calendar)

    @cached_property
    def _case_rows(self) -> dict[str, int]:
        return dict(zip(self.cases["case_id"], range(len(self.cases)), strict=True))

    def positions(self, table: str, column: str, value: str) -> np.ndarray:
        """Positions of the rows of ``table`` whose ``column`` equals ``value``, in file order.

        Each (table, column) is grouped once, so picking one case's rows costs the
        same for a hundred cases as for one, whatever the size of the export.
        """
        index = self._groups.get((table, column))
        if index is None:
            index = self._groups[(table, column)] = (
                getattr(self, table).groupby(column, sort=False).indices
            )
        return index.get(value, NOTHING)

    def rows_of(self, table: str, column: str, value: str) -> pd.DataFrame:
        """The rows of ``table`` whose ``column`` equals ``value``, in file order."""
        return getattr(self, table).iloc[self.positions(table, column, value)]

    @cached_property
    def _groups(self) -> dict[tuple[str, str], dict]:
        return {}

    @property
    def case_ids(self) -> list[str]:
        return list(self.cases["case_id"])

    def has_case(self, case_id: str) -> bool:
        return case_id in self._case_rows

    def case(self, case_id: str) -> Case:
        """The case ``case_id``; raise UnknownCaseError naming the closest IDs, or
        UnusableCaseError for a case whose own row is faulty."""
        position = self._case_rows.get(case_id)
        if position is None and case_id in self.unusable:
            raise UnusableCaseError(self.unusable[case_id].message())
        if position is None:
            raise UnknownCaseError(unknown_case_message(case_id, self.case_ids))
        row = self.cases.iloc[position]
        return Case(
            row["case_id"], row["title"], PartialDate.parse(row["opened"]), row["status"],
            _date(row["closed"]), row["owner_forum_id"], row["responsible"], row["summary"],
        )  # fmt: skip

    def case_events(self, case_id: str) -> tuple[Event, ...]:
        """The case's events in order: by date (a partial date at its span's start), seq, file order."""
        events = [
            Event(
                r["case_id"],
                PartialDate.parse(r["date"]),
                r["kind"],
                r["title"],
                _date(r["end_date"]),
                r["forum_id"],
                r["description"],
                r["decision_ref"],
                r["document"],
                r["event_id"],
                int(r["seq"]) if r["seq"] else None,
                r[ROW],
            )
            for r in _records(self.rows_of("events", "case_id", case_id))
        ]
        return tuple(sorted(events, key=event_order))

    # Forums and meetings are few beside events: each is typed once, and looked up per case.
    @cached_property
    def _forums(self) -> dict[str, Forum]:
        columns = ("forum_id", "name", "kind", "organisation", "chair", "description")
        rows = self.forums[list(columns)].itertuples(index=False, name=None)
        return {row[0]: Forum(*row) for row in reversed(list(rows))}  # the first row wins

    @cached_property
    def _meetings(self) -> dict[str, Meeting]:
        meetings = (meeting_from_row(r) for r in reversed(_records(self.meetings)))
        return {m.meeting_id: m for m in meetings}

    def forum(self, forum_id: str) -> Forum | None:
        return self._forums.get(forum_id)

    def meeting(self, meeting_id: str) -> Meeting | None:
        return self._meetings.get(meeting_id)

    def previous_meeting(self, meeting_id: str) -> Meeting | None:
        """The same forum's meeting before ``meeting_id``'s day, the latest; cancelled ones do not count."""
        meeting = self.meeting(meeting_id)
        earlier = [
            m for m in self._meetings.values()
            if m.forum_id == meeting.forum_id and m.day < meeting.day and m.state != "cancelled"
        ]  # fmt: skip
        return max(earlier, key=lambda m: (m.day, m.time), default=None)

    def agenda_items(self, *, case_id: str | None = None, meeting_id: str | None = None):
        """Agenda items of a case or a meeting, each with its meeting, by date and item."""
        if case_id is not None:
            agenda = self.rows_of("agenda", "case_id", case_id)
            if meeting_id is not None:
                agenda = agenda[agenda["meeting_id"] == meeting_id]
        elif meeting_id is not None:
            agenda = self.rows_of("agenda", "meeting_id", meeting_id)
        else:
            agenda = self.agenda
        meetings = {m: self.meeting(m) for m in agenda["meeting_id"].unique()}
        items = [
            AgendaItem(
                meetings[r["meeting_id"]], r["item"], r["case_id"], r["title"], r["proposal"],
                _day(r.get("published")) or meetings[r["meeting_id"]].published,
            )
            for r in _records(agenda)
        ]
        return tuple(
            sorted(items, key=lambda a: (a.meeting.day, a.meeting.time, item_order(a.item)))
        )

    def related_cases(self, case_id: str) -> tuple[RelatedCase, ...]:
        """Cases linked to ``case_id`` in either direction, each link read from its side."""
        found = []
        for r in _records(self.rows_of("relations", "case_id", case_id)):
            found.append((r["related_case_id"], r["relation"], False))
        for r in _records(self.rows_of("relations", "related_case_id", case_id)):
            found.append((r["case_id"], r["relation"], True))
        related = []
        seen = set()
        for other, relation, inverse in found:
            if (other, relation) in seen or other == case_id:
                continue
            seen.add((other, relation))
            case = self.case(other)
            related.append(RelatedCase(
                other, case.title, case.status, relation, inverse, case.opened, case.closed
            ))  # fmt: skip
        return tuple(related)

    def case_documents(self, case_id: str) -> tuple[Document, ...]:
        docs = self.rows_of("documents", "case_id", case_id)
        found = [
            Document(
                r["case_id"], PartialDate.parse(r["date"]), r["title"], r["doc_type"], r["link"]
            )
            for r in _records(docs)
        ]
        return tuple(sorted(found, key=lambda d: d.date))

    def case_notes(self, case_id: str) -> tuple[DataNote, ...]:
        return tuple(self.notes.get(case_id, ()))

    def case_file(self, case_id: str) -> CaseFile:
        """Everything about one case, typed and ordered; UnknownCaseError if it is not there."""
        case = self.case(case_id)
        events = self.case_events(case_id)
        forum_ids = [case.owner_forum_id, *(e.forum_id for e in events)]
        agenda = self.agenda_items(case_id=case_id)
        forum_ids += [a.meeting.forum_id for a in agenda]
        forums = {f: forum for f in dict.fromkeys(forum_ids) if f and (forum := self.forum(f))}
        return CaseFile(
            case, events, forums, self.related_cases(case_id), self.case_documents(case_id),
            agenda, self.case_notes(case_id), self.sources, source_lang=self.source_lang,
            sittings=self.sittings(case.owner_forum_id), calendar=self.calendar,
        )  # fmt: skip

    def sittings(self, forum_id: str) -> tuple[Meeting, ...]:
        """The meetings of ``forum_id`` by date and time: its calendar (none without a forum)."""
        found = [m for m in self._meetings.values() if forum_id and m.forum_id == forum_id]
        return tuple(sorted(found, key=lambda m: (m.day, m.time)))


def event_order(event: Event) -> tuple:
    # seq orders events of one date; without it, file order (the row) holds.
    seq = event.seq if event.seq is not None else float("inf")
    return (event.date.start, seq, event.row)


def item_order(item: str) -> tuple:
    """Agenda items in the order people number them: 2, 3.1, 7, 7a, 10; one without a number last."""
    # Each run of digits is a number and each run of letters a word; dots and spaces only part them.
    parts = re.findall(r"[0-9]+|[^\W\d_]+", item)
    # An item without a number (a fault the data notes name) comes after the numbered ones.
    numbered = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts)
    return not item, numbered, item


def unknown_case_message(case_id: str, known: list[str]) -> str:
    close = difflib.get_close_matches(case_id, known, n=3, cutoff=0.5)
    hint = (
        f"; did you mean {', '.join(c if shown(c) == repr(c) else shown(c) for c in close)}?"
        if close
        else "; `dossier check` lists the data's cases"
    )
    return f"case {shown(case_id)} is not in cases.csv{hint}"


def case_slice(registry: Registry, case_id: str) -> dict[str, pd.DataFrame]:
    """The rows of every table that one case's dossier shows, in the contract's columns.

    The case, its events, documents, relations and agenda items, the forums and
    meetings they name, and the rows of the cases it is related to.
    """
    relations = registry.relations.iloc[np.union1d(
        registry.positions("relations", "case_id", case_id),
        registry.positions("relations", "related_case_id", case_id),
    )]  # fmt: skip
    related = set(relations["case_id"]) | set(relations["related_case_id"]) | {case_id}
    agenda = registry.rows_of("agenda", "case_id", case_id)
    # The meetings of the case's agenda items, and its owner forum's calendar.
    owner = registry.case(case_id).owner_forum_id
    meetings = registry.meetings[registry.meetings["meeting_id"].isin(agenda["meeting_id"])
                                 | (registry.meetings["forum_id"] == owner)]  # fmt: skip
    events = registry.rows_of("events", "case_id", case_id)
    cases = registry.cases.iloc[sorted(registry._case_rows[c] for c in related)]
    forum_ids = set(events["forum_id"]) | set(meetings["forum_id"]) | set(cases["owner_forum_id"])
    tables = {
        "cases": cases,
        "events": events,
        "forums": registry.forums[registry.forums["forum_id"].isin(forum_ids)],
        "meetings": meetings,
        "agenda": agenda,
        "relations": relations,
        "documents": registry.rows_of("documents", "case_id", case_id),
    }
    return {name: frame.drop(columns=[ROW]) for name, frame in tables.items()}
