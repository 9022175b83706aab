"""What changed in a case's records between an earlier dossier and now.

Every dossier keeps the *case extract* it was made from beside its manifest
(:data:`EXTRACT_FILE`: the case's slice of each contract table as CSV text, in
one JSON file, byte-identical for identical data). :func:`compare` sets two
cuts of a case's records side by side and lists every difference as a typed
:class:`Change`: events added, removed or changed field by field, the case's own
fields changed, related cases and documents added or removed.

Which event is which
--------------------
An event with an ``event_id`` is that id: it is matched to the event with the
same id and nothing else; an id that is gone was removed, a new one added.
Events without an id are matched by what they say, in passes, each pass on the
events still unmatched:

1. all fields equal;
2. the same title, kind and forum (a corrected date or text);
3. the same date and title (a corrected kind or forum);
4. the same date, kind and forum (a new title or text).

Within a pass, of several candidates the one with the fewest differing fields
pairs first, then file order. An id-less event changed in two of date, title,
kind and forum matches none of the passes: it is listed as removed and added,
which is what the records alone can say of it.

Documents are known by all their fields and related cases by the other case,
the link and its direction: they are added or removed, never changed.

Each side is what its dossier shows: the records cut to its day by the one cut every
dossier goes through (:meth:`~dossier.data.model.CaseFile.as_of`), status, closing,
periods and related cases included (:func:`comparison`). Nothing dated after the
dossier's day is ever listed; what came after the earlier dossier's day is new, and
what the records now say of that day otherwise is a correction.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DossierError
from .contract import ROW, TABLE, TABLES
from .dates import PartialDate
from .text import read_regular

if TYPE_CHECKING:  # pandas, with the model: only where an extract is read into a case file
    from .model import CaseFile

#: The case extract's file in each dossier's folder.
EXTRACT_FILE = "case-extract.json"
#: The extract's layout; a reader refuses another.
EXTRACT_FORMAT = 1

#: The event fields a change lists, in the contract's order (the case ID and row are no news).
EVENT_FIELDS = tuple(c for c in TABLE["events"].column_names if c != "case_id")
CASE_FIELDS = tuple(c for c in TABLE["cases"].column_names if c != "case_id")
DOCUMENT_FIELDS = tuple(c for c in TABLE["documents"].column_names if c != "case_id")

#: The passes that match events without an id (see the module's docstring).
EVENT_PASSES: tuple[tuple[str, ...], ...] = (
    EVENT_FIELDS,
    ("title", "kind", "forum_id"),
    ("date", "title"),
    ("date", "kind", "forum_id"),
)

#: The kinds of change, in the order a dossier lists them.
CHANGE_KINDS = (
    "case_changed",
    "event_added",
    "event_changed",
    "event_removed",
    "related_added",
    "related_removed",
    "document_added",
    "document_removed",
)

Row = Mapping[str, str]


@dataclass(frozen=True)
class Change:
    """One difference between two cuts of a case's records.

    Attributes
    ----------
    kind
        One of :data:`CHANGE_KINDS`.
    record
        The row as it is now (added, changed) or as it was (removed).
    fields
        For a change: (field, old value, new value) for each field that differs,
        in the contract's column order.
    """

    kind: str
    record: Row
    fields: tuple[tuple[str, str, str], ...] = ()

    @property
    def is_event(self) -> bool:
        return self.kind.startswith("event_")


@dataclass(frozen=True)
class CaseRecords:
    """One case's own records as contract rows of text: what a comparison looks at."""

    case_id: str
    case: Row | None
    events: tuple[Row, ...] = ()
    #: (other case, relation, read from the other side) for each link.
    related: tuple[tuple[str, str, bool], ...] = ()
    documents: tuple[Row, ...] = ()

    @classmethod
    def from_tables(cls, case_id: str, tables: Mapping[str, Iterable[Row]]) -> CaseRecords:
        """The case's records from its slice of each table (``{"events": rows, …}``)."""
        cases = [r for r in tables.get("cases", ()) if r["case_id"] == case_id]
        related = []
        for r in tables.get("relations", ()):
            if r["case_id"] == case_id and r["related_case_id"] != case_id:
                related.append((r["related_case_id"], r["relation"], False))
            elif r["related_case_id"] == case_id and r["case_id"] != case_id:
                related.append((r["case_id"], r["relation"], True))
        return cls(
            case_id,
            dict(cases[0]) if cases else None,
            tuple(dict(r) for r in tables.get("events", ()) if r["case_id"] == case_id),
            tuple(dict.fromkeys(related)),
            tuple(dict(r) for r in tables.get("documents", ()) if r["case_id"] == case_id),
        )

    @classmethod
    def from_case_file(cls, case_file: CaseFile) -> CaseRecords:
        """The records a dossier shows: its case file (cut to its day) as contract rows of text.

        A period still running on the day has no end date, a case closed after it is open:
        the rows say what the dossier says, not what the registry holds beyond its day.
        """
        case = case_file.case
        row = {"case_id": case.case_id, "title": case.title, "opened": case.opened.isoformat(),
               "status": case.status, "closed": _iso(case.closed),
               "owner_forum_id": case.owner_forum_id, "responsible": case.responsible,
               "summary": case.summary}  # fmt: skip
        events = tuple(
            {"event_id": e.event_id, "case_id": e.case_id, "date": e.date.isoformat(),
             "end_date": "" if e.running else _iso(e.end_date), "kind": e.kind,
             "forum_id": e.forum_id, "title": e.title, "description": e.description,
             "decision_ref": e.decision_ref, "document": e.document,
             "seq": "" if e.seq is None else str(e.seq)}
            for e in case_file.events
        )  # fmt: skip
        documents = tuple(
            {"case_id": d.case_id, "date": d.date.isoformat(), "title": d.title,
             "doc_type": d.doc_type, "link": d.link}
            for d in case_file.documents
        )  # fmt: skip
        related = tuple(dict.fromkeys((r.case_id, r.relation, r.inverse) for r in case_file.related))
        return cls(case.case_id, row, events, related, documents)


def _iso(date: PartialDate | None) -> str:
    return date.isoformat() if date else ""


# -- the extract ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseExtract:
    """A dossier's case extract: the contract CSV files of its case's slice, and what it was for.

    Attributes
    ----------
    case_id
        The case.
    as_of
        The dossier's day, ``YYYY-MM-DD``.
    key
        The dossier's key (see :func:`dossier.run.job.dossier_key`).
    tables
        The slice of each contract table as CSV bytes, by file name (``events.csv``).
    """

    case_id: str
    as_of: str
    key: str
    tables: Mapping[str, bytes] = field(repr=False)

    def to_bytes(self) -> bytes:
        """The extract file: sorted JSON, so identical data gives identical bytes."""
        data = {
            "format": EXTRACT_FORMAT,
            "case_id": self.case_id,
            "as_of": self.as_of,
            "key": self.key,
            "tables": {name: data.decode("utf-8") for name, data in self.tables.items()},
        }
        return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> CaseExtract:
        """Read an extract file; ValueError (saying what is wrong) if it is not one.

        Everything a comparison reads of it is checked here: its day, each table's columns,
        each row's fields and dates.
        """
        loaded = json_document(data, "case extract", EXTRACT_FORMAT)
        try:
            tables = {str(n): str(t).encode("utf-8") for n, t in loaded["tables"].items()}
            extract = cls(str(loaded["case_id"]), str(loaded["as_of"]), str(loaded["key"]), tables)
        except (KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"it lacks {exc}") from None
        _check_extract(extract)
        return extract

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of)

    def records(self) -> CaseRecords:
        """The case's records as the extract holds them (every date, not only up to its day)."""
        return self._records

    @functools.cached_property
    def _records(self) -> CaseRecords:
        tables = {file.removesuffix(".csv"): rows for file, (_, rows) in self._rows.items()}
        return CaseRecords.from_tables(self.case_id, tables)

    @functools.cached_property
    def _rows(self) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
        """Each table's header and rows, read once (ValueError saying what cannot be read)."""
        read = {}
        for name, data in self.tables.items():
            try:
                reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
                rows = list(reader)
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ValueError(f"{name} cannot be read ({exc})") from None
            if any(None in row or None in row.values() for row in rows):
                raise ValueError(f"{name} has a line with other fields than its header")
            read[name] = (list(reader.fieldnames or ()), rows)
        return read

    def case_file(self) -> CaseFile:
        """The case's file as the extract's records make it (every date: cut it with ``as_of``).

        The records were checked when the dossier was made: they are read, not checked again,
        and once: a second call returns the same case file.
        Raises ValueError (or KeyError) when they are not what a dossier writes.
        """
        return self._case_file

    @functools.cached_property
    def _case_file(self) -> CaseFile:
        import pandas as pd

        from .model import Registry

        tables = {}
        for table in TABLES:
            header, rows = self._rows.get(table.file, ([], []))
            frame = pd.DataFrame(rows, columns=header or list(table.column_names), dtype=str)
            # An extract of an earlier contract lacks the columns added since: they are empty.
            frame = frame.reindex(columns=list(table.column_names), fill_value="")
            frame.insert(0, ROW, range(2, len(frame) + 2))
            tables[table.name] = frame
        return Registry(**tables, notes={}, sources=()).case_file(self.case_id)


def json_document(data: bytes, what: str, version: int) -> dict:
    """One of the tool's own JSON files (a case extract, a baseline): an object whose
    ``format`` is ``version``; ValueError saying what is wrong with anything else."""
    try:
        loaded = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"it is not JSON ({exc})") from None
    except RecursionError:
        raise ValueError("it is nested too deeply to be read") from None
    found = loaded.get("format") if isinstance(loaded, dict) else None
    if not isinstance(found, int) or isinstance(found, bool) or found != version:
        raise ValueError(f"it is no {what} of format {version}")
    return loaded


#: The largest case extract read: one case's records, a few hundred KiB even for a long case.
EXTRACT_LIMIT = 64 * 2**20


def read_extract_file(path: Path) -> bytes | None:
    """The bytes of the case extract at ``path``; None when there is none.

    Only a regular file of at most :data:`EXTRACT_LIMIT` is read: a pipe or a device in
    an earlier output folder neither hangs nor floods a run. Raises OSError, and
    ValueError saying what is wrong with a file that cannot be taken.
    """
    try:
        return read_regular(path, EXTRACT_LIMIT)
    except FileNotFoundError:
        return None


def _check_extract(extract: CaseExtract) -> None:
    """Raise ValueError saying what a comparison could not read in ``extract``."""
    try:
        extract.day  # noqa: B018 (read to be checked)
    except ValueError:
        raise ValueError(f"its as_of {extract.as_of!r} is not a day (YYYY-MM-DD)") from None
    for name in extract.tables:
        table = TABLE.get(name.removesuffix(".csv"))
        if table is None or name != table.file:
            raise ValueError(f"it holds {name!r}, which is not a contract table")
    for name, (header, _) in extract._rows.items():
        # Only the required columns: an extract of an earlier contract lacks those added since.
        missing = {c.name for c in TABLE[name.removesuffix(".csv")].columns if c.required} - set(header)
        if missing:
            raise ValueError(f"{name} lacks the column {sorted(missing)[0]!r}")
    try:
        records = extract.records()
        for row in (*records.events, *records.documents):
            PartialDate.parse(row["date"])
        for event in records.events:
            if event.get("end_date"):
                PartialDate.parse(event["end_date"])
    except ValueError as exc:
        raise ValueError(f"a date in it cannot be read ({exc})") from None
    try:  # what the comparison reads of it: the case's file, cut to the extract's day
        extract.case_file().as_of(extract.day)
    except (ValueError, KeyError, DossierError) as exc:
        raise ValueError(f"its records make no case file ({str(exc).splitlines()[0]})") from None


# -- the comparison -------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What differs between an earlier dossier and this one, and why.

    Attributes
    ----------
    changes
        Every difference between what the earlier dossier showed and what this one shows.
    new_events
        Events this dossier shows that came after the earlier dossier's day.
    other_news
        Other differences that came with time: a document filed, a period ended, the case
        closed, a related case opened.
    corrections
        Differences in what the records say of the earlier dossier's day: the records
        corrected (or completed) since.
    """

    changes: tuple[Change, ...] = ()
    new_events: int = 0
    other_news: int = 0
    corrections: int = 0


def comparison(earlier: CaseFile, earlier_day: dt.date, now: CaseFile, day: dt.date) -> Comparison:
    """Compare the earlier dossier's records (as of ``earlier_day``) with the registry's as of ``day``.

    Both sides go through :meth:`CaseFile.as_of`, the dossier's own cut: the earlier
    side to its day (at most ``day``: nothing after the dossier's day is listed), this
    side to ``day``. What the registry now says of the earlier day, set beside what the
    earlier dossier said, are the corrections; what it says of the days after, the news.
    """
    then = min(earlier_day, day)
    old = CaseRecords.from_case_file(earlier.as_of(then))
    known_then = CaseRecords.from_case_file(now.as_of(then))
    new = CaseRecords.from_case_file(now.as_of(day))
    news = compare(known_then, new)
    added = sum(1 for c in news if c.kind == "event_added")
    return Comparison(compare(old, new), added, len(news) - added, len(compare(old, known_then)))


def compare(old: CaseRecords, new: CaseRecords) -> tuple[Change, ...]:
    """Every difference between ``old`` and ``new``, in :data:`CHANGE_KINDS` order, events by date.

    Each is what a dossier shows (:meth:`CaseRecords.from_case_file`).
    """
    changes: list[Change] = []
    if old.case is not None and new.case is not None:
        fields = _differences(old.case, new.case, CASE_FIELDS)
        if fields:
            changes.append(Change("case_changed", new.case, fields))
    pairs, removed, added = match_events(old.events, new.events)
    for before, after in pairs:
        fields = _differences(before, after, EVENT_FIELDS)
        if fields:
            changes.append(Change("event_changed", after, fields))
    changes += [Change("event_added", r) for r in added]
    changes += [Change("event_removed", r) for r in removed]
    for name, mine, theirs in (("added", new, old), ("removed", old, new)):
        changes += [
            Change(f"related_{name}", {"case_id": other, "relation": relation,
                                       "inverse": "yes" if inverse else ""})
            for other, relation, inverse in mine.related
            if (other, relation, inverse) not in set(theirs.related)
        ]  # fmt: skip
        changes += [
            Change(f"document_{name}", r)
            for r in _unmatched(mine.documents, theirs.documents, DOCUMENT_FIELDS)
        ]
    return tuple(sorted(changes, key=_change_order))


def _change_order(change: Change) -> tuple:
    date = change.record.get("date") if change.kind != "case_changed" else None
    start = PartialDate.parse(date).start if date else dt.date.min
    return (CHANGE_KINDS.index(change.kind), start, change.record.get("title", ""),
            change.record.get("case_id", ""))  # fmt: skip


def _differences(old: Row, new: Row, names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((n, old.get(n, ""), new.get(n, "")) for n in names if old.get(n, "") != new.get(n, ""))


def _unmatched(mine: Iterable[Row], theirs: Iterable[Row], names: tuple[str, ...]) -> list[Row]:
    """The rows of ``mine`` left over when each row of ``theirs`` takes one equal to it."""
    left: dict[tuple, int] = {}
    for r in theirs:
        key = tuple(r.get(n, "") for n in names)
        left[key] = left.get(key, 0) + 1
    found = []
    for r in mine:
        key = tuple(r.get(n, "") for n in names)
        if left.get(key):
            left[key] -= 1
        else:
            found.append(r)
    return found


def match_events(
    old: Iterable[Row], new: Iterable[Row]
) -> tuple[list[tuple[Row, Row]], list[Row], list[Row]]:
    """Pair the events of ``old`` and ``new`` (see the module's docstring for the rule).

    Returns the pairs (old, new), the events of ``old`` left unpaired (removed)
    and those of ``new`` (added), each in file order.
    """
    old, new = list(old), list(new)
    pairs: list[tuple[int, int]] = []
    new_ids = {r["event_id"]: j for j, r in enumerate(new) if r.get("event_id")}
    for i, r in enumerate(old):
        if r.get("event_id") and r["event_id"] in new_ids:
            pairs.append((i, new_ids[r["event_id"]]))
    # An event with an id is that id; the passes pair only events of which one has none.
    old_left = [i for i, r in enumerate(old) if not r.get("event_id")
                or r["event_id"] not in new_ids]  # fmt: skip
    taken = {j for _, j in pairs}
    new_left = [j for j, r in enumerate(new) if j not in taken]
    for names in EVENT_PASSES:
        found = _pass(old, new, old_left, new_left, names)
        pairs += found
        done_old, done_new = {i for i, _ in found}, {j for _, j in found}
        old_left = [i for i in old_left if i not in done_old]
        new_left = [j for j in new_left if j not in done_new]
    pairs.sort()
    return ([(old[i], new[j]) for i, j in pairs], [old[i] for i in old_left],
            [new[j] for j in new_left])  # fmt: skip


def _pass(old, new, old_left, new_left, names) -> list[tuple[int, int]]:
    """One pass: pair events equal in ``names``, the closest first, then in file order."""
    candidates = []
    by_key: dict[tuple, list[int]] = {}
    for j in new_left:
        by_key.setdefault(tuple(new[j].get(n, "") for n in names), []).append(j)
    for i in old_left:
        for j in by_key.get(tuple(old[i].get(n, "") for n in names), ()):
            if old[i].get("event_id") and new[j].get("event_id"):
                continue  # two ids that differ are two events
            candidates.append((len(_differences(old[i], new[j], EVENT_FIELDS)), i, j))
    pairs, used_old, used_new = [], set(), set()
    for _, i, j in sorted(candidates):
        if i not in used_old and j not in used_new:
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return pairs
