"""Check the raw tables against the data contract and build the :class:`Registry`.

Every fault is collected before anything is raised, so a user fixes her export
once, not once per fault. Checks are vectorised: a million events are checked
in seconds. Legal but odd data becomes :class:`DataNote` s, not faults. A fault
confined to one case's rows costs only those rows (:mod:`dossier.data.faults`),
unless the load is ``strict``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import DataError, Fault
from .calendar import read_calendar
from .checks import (
    check_periods,
    check_references,
    check_table,
    of_the_folder,
    span_end,
    span_start,
)
from .contract import (
    EXTRACT_CHECKED,
    EXTRACT_NOTES,
    EXTRACT_SOURCES,
    MAPPING_FILE,
    ROW,
    TABLE,
    TABLES,
)
from .dates import PartialDate
from .extract import is_case_extract
from .faults import contain, costs_a_value
from .language import data_language
from .model import DataNote, Registry
from .sources import Sources, described_sources, find_mapping, read_sources
from .text import read_regular


def load(data_dir: str | Path, *, strict: bool = False, mapping: str | Path | None = None) -> Registry:
    """Read and check a data directory; raise DataError listing every fault of the folder.

    ``mapping`` is the mapping file to read it through (``--mapping FILE``); None for the
    folder's own ``dossier.toml``, if it has one.

    Faults confined to one case's rows cost only those rows (see :func:`validate`);
    ``strict`` refuses the folder for any fault. A case extract (see
    :func:`~dossier.data.extract.is_case_extract`) holds no faulty row; it reports the files
    it was cut from as its sources (``sources.json``), and the data notes the whole export
    gave (``notes.json``).
    """
    sources = read_sources(data_dir, mapping, strict=strict)
    extract = is_case_extract(Path(data_dir))
    checked = extract and cut_from_checked(Path(data_dir), sources)
    registry = replace(validate(sources, strict=strict, checked=checked),
                       source_lang=data_language(data_dir, mapping))  # fmt: skip
    # The export's [calendar] is in its mapping file; an extract's in a dossier.toml of its own.
    settings = find_mapping(Path(data_dir), mapping) or Path(data_dir) / MAPPING_FILE
    registry = replace(registry, calendar=read_calendar(settings))
    if extract:
        # Cut from a checked registry, it holds no faulty row: only values kept as they were
        # (an agenda item without a number), which its notes name already. Any other fault is
        # damage, and fails the render.
        damage = [fault for fault in registry.faults if not costs_a_value(fault)]
        if damage:
            raise DataError(damage)
        described = described_sources(Path(data_dir) / EXTRACT_SOURCES)
        notes = read_notes(Path(data_dir) / EXTRACT_NOTES)
        registry = replace(registry, sources=described, notes=notes)
    return registry


def cut_from_checked(extract: Path, sources: Sources) -> bool:
    """Whether the case extract's tables, as read (``sources``, each with its file's SHA-256),
    are byte for byte those its ``checked.json`` records: cut from a registry whose checks
    they passed, and not changed since."""
    try:
        recorded = json.loads(read_regular(extract / EXTRACT_CHECKED, 2**20))
    except (OSError, ValueError, RecursionError):
        return False
    return recorded == {source.path.name: source.sha256 for source in sources.files}


def validate(sources: Sources, *, strict: bool = False, checked: bool = False) -> Registry:
    """Check ``sources`` against the contract; return the registry or raise DataError.

    DataError lists every fault when one of them is a fault of the folder (in forums.csv or
    meetings.csv, which many cases share), or any at all when ``strict``. Otherwise the
    faulty rows are left out (:func:`~dossier.data.faults.contain`): the registry lists
    the faults (:attr:`Registry.faults`), names each in its case's data notes, and knows
    the cases whose own row is faulty (:attr:`Registry.unusable`). ``checked``: the tables
    were checked already (a case extract cut from a checked registry, :func:`cut_from_checked`);
    only the faults met reading them count.
    """
    tables = sources.tables
    faults = list(sources.faults) if checked else _faults(sources)
    if faults and (strict or of_the_folder(faults, tables)):
        raise DataError(faults)
    files = {source.table: source.path.name for source in sources.files}
    contained = contain(tables, faults, files) if faults else None
    if contained is not None:
        tables = contained.tables
    notes = data_notes(tables["cases"], tables["events"], files)
    for case_id, left_out in (contained.notes if contained else {}).items():
        notes[case_id] = notes.get(case_id, []) + left_out
    return Registry(
        **tables, notes=notes, sources=sources.files, faults=tuple(faults),
        unusable=contained.unusable if contained else {},
    )  # fmt: skip


def _faults(sources: Sources) -> list[Fault]:
    """Every fault of the tables, in the contract's file order, then by row.

    The tables read through a mapping file were checked as they were read, and their faults
    named in the export's terms (:attr:`Sources.faults`): their own rows are not checked
    again, and a fault found both ways is told once, as the export names it.
    """
    tables = sources.tables
    faults: list[Fault] = list(sources.faults)
    for table in TABLES:
        if table.name not in sources.mapped:
            faults += check_table(table, tables[table.name])
    faults += check_references(tables)
    for name, start, end in (("events", "date", "end_date"), ("cases", "opened", "closed")):
        if name not in sources.mapped:
            faults += check_periods(TABLE[name], tables[name], start, end)
    told = set()
    once = []
    for fault in faults:
        place = (fault.table, fault.row, fault.contract_column, fault.code)
        if place not in told:
            told.add(place)
            once.append(fault)
    order = {table.name: number for number, table in enumerate(TABLES)}
    order |= {table.file: number for number, table in enumerate(TABLES)}  # a fault of no row's kind
    return sorted(once, key=lambda f: (order[f.table] if f.table else order.get(f.file, 0), f.row or 0))


def data_notes(
    cases: pd.DataFrame, events: pd.DataFrame, files: dict[str, str] | None = None
) -> dict[str, list[DataNote]]:
    """Legal but odd facts per case: events outside the case's open span, an undated closing,
    a closing date on an open case.

    ``files`` names the file each table was read from (an export's own, when mapped).
    """
    files = files or {}
    cases_file, events_file = files.get("cases", "cases.csv"), files.get("events", "events.csv")
    notes: dict[str, list[DataNote]] = defaultdict(list)
    undated = cases[(cases["status"] == "closed") & (cases["closed"] == "")]
    for case_id, row in undated[["case_id", ROW]].itertuples(index=False):
        notes[case_id].append(DataNote("closed_without_date", file=cases_file, row=int(row)))
    # An open case's closing date is no fact; the note names no date, which may lie after any day.
    closing = cases[(cases["status"] == "open") & (cases["closed"] != "")]
    for case_id, row in closing[["case_id", ROW]].itertuples(index=False):
        notes[case_id].append(DataNote("closed_on_open_case", file=cases_file, row=int(row)))
    span = cases[["case_id", "opened", "closed"]]
    joined = events[["case_id", "date", "end_date", "title", ROW]].merge(
        span, on="case_id", how="left"
    )
    # Only what is certain counts: an event "2020" is not before a case opened "2020-05".
    early = span_end(joined["date"]) < span_start(joined["opened"])
    event_start = span_start(joined["date"])
    late = (joined["closed"] != "") & (event_start > span_end(joined["closed"]))
    for code, mask, anchor in (
        ("event_before_opened", early, "opened"),
        ("event_after_closed", late, "closed"),
    ):
        for r in joined.loc[mask].to_dict("records"):
            fields = (("title", r["title"]), ("date", PartialDate.parse(r["date"])),
                      (anchor, PartialDate.parse(r[anchor])))  # fmt: skip
            notes[r["case_id"]].append(DataNote(code, fields, events_file, int(r[ROW])))
    return dict(notes)


def notes_json(notes: list[DataNote], case_id: str) -> bytes:
    """One case's data notes for its extract (see :func:`read_notes`)."""
    described = [
        {
            "case_id": case_id,
            "code": note.code,
            "fields": [
                [name, str(value), isinstance(value, PartialDate)] for name, value in note.fields
            ],
            "file": note.file,
            "row": note.row,
        }
        for note in notes
    ]
    return json.dumps(described, ensure_ascii=False, indent=1).encode("utf-8")


def read_notes(path: Path) -> dict[str, list[DataNote]]:
    """The data notes an extract carries, as the whole export gave them."""
    try:
        described = json.loads(path.read_text(encoding="utf-8"))
        notes: dict[str, list[DataNote]] = defaultdict(list)
        for d in described:
            fields = tuple(
                (name, PartialDate.parse(value) if is_date else value)
                for name, value, is_date in d["fields"]
            )
            notes[d["case_id"]].append(DataNote(d["code"], fields, d["file"], d["row"]))
        return dict(notes)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise DataError(
            [Fault(path.name, expected="is not a valid list of data notes (render the case anew)")]
        ) from None
