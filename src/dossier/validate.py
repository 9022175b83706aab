"""Check the raw tables against the data contract and build the :class:`Registry`.

Every fault is collected before anything is raised, so a user fixes her export
once, not once per fault. Checks are vectorised: a million events are checked
in seconds. Legal but odd data becomes :class:`DataNote` s, not faults.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import EXTRACT_NOTES, EXTRACT_SOURCES, TABLE, TABLES, Column, Table
from .dates import PartialDate
from .errors import DataError, Fault
from .model import DataNote, Registry
from .sources import ROW, Sources, described_sources, read_sources

# [0-9], not \d: \d also takes other scripts' digits, which dates and ints cannot read.
DATE_SHAPE = r"[1-9][0-9]{3}(?:-(?:0[1-9]|1[0-2])(?:-[0-9]{2})?)?"
DATETIME_SHAPE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
INT_SHAPE = r"-?[0-9]+"


def load(data_dir: str | Path) -> Registry:
    """Read and check a data directory; raise DataError listing every fault.

    A case extract (a folder with ``sources.json``) reports the files it was cut from as its
    sources, and the data notes the whole export gave (``notes.json``).
    """
    registry = validate(read_sources(data_dir))
    described = Path(data_dir) / EXTRACT_SOURCES
    if described.is_file():
        registry = replace(registry, sources=described_sources(described))
        noted = Path(data_dir) / EXTRACT_NOTES
        if noted.is_file():
            registry = replace(registry, notes=read_notes(noted))
    return registry


def validate(sources: Sources) -> Registry:
    """Check ``sources`` against the contract; return the registry or raise DataError."""
    tables = sources.tables
    faults: list[Fault] = []
    for table in TABLES:
        faults += check_table(table, tables[table.name])
    faults += check_references(tables)
    faults += check_periods(TABLE["events"], tables["events"], "date", "end_date")
    faults += check_periods(TABLE["cases"], tables["cases"], "opened", "closed")
    if faults:
        faults.sort(key=lambda f: ([t.file for t in TABLES].index(f.file), f.row or 0))
        raise DataError(faults)
    files = {source.table: source.path.name for source in sources.files}
    return Registry(
        **tables, notes=data_notes(tables["cases"], tables["events"], files), sources=sources.files
    )


def _faults(table: Table, frame: pd.DataFrame, mask, column: str, expected: str) -> list[Fault]:
    bad = frame.loc[mask, [ROW, column]]
    return [
        Fault(table.file, int(row), column, value, expected)
        for row, value in bad.itertuples(index=False)
    ]


def check_table(table: Table, frame: pd.DataFrame) -> list[Fault]:
    faults: list[Fault] = []
    for column in table.columns:
        values = frame[column.name]
        empty = values == ""
        if column.required:
            faults += _faults(table, frame, empty, column.name, "is empty; this column is required")
        faults += check_values(table, frame, column, values, empty)
        if column.unique:
            repeated = values.duplicated(keep="first") & ~empty
            if repeated.any():
                first = frame.loc[~empty].drop_duplicates(column.name).set_index(column.name)[ROW]
                for row, value in frame.loc[repeated, [ROW, column.name]].itertuples(index=False):
                    faults.append(Fault(table.file, int(row), column.name, value,
                                        f"repeats row {int(first[value])}; {column.name} must be unique"))  # fmt: skip
    return faults


def check_values(
    table: Table, frame: pd.DataFrame, column: Column, values: pd.Series, empty
) -> list[Fault]:
    name = column.name
    if column.type == "date":
        return _faults(table, frame, ~empty & ~valid_dates(values), name,
                       "is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")  # fmt: skip
    if column.type == "datetime":
        shaped = values.str.fullmatch(DATETIME_SHAPE)
        days = pd.to_datetime(
            values.str.slice(0, 10).where(shaped), format="%Y-%m-%d", errors="coerce"
        )
        return _faults(table, frame, ~empty & ~(shaped & days.notna()), name,
                       "is not a date and time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)")  # fmt: skip
    if column.type == "int":
        return _faults(
            table, frame, ~empty & ~values.str.fullmatch(INT_SHAPE), name, "is not a whole number"
        )
    if column.type == "code":
        return _faults(table, frame, ~empty & ~values.isin(column.codes), name,
                       f"is not a known {name} (use one of: {', '.join(column.codes)})")  # fmt: skip
    return []


def valid_dates(values: pd.Series) -> pd.Series:
    """True where ``values`` is a real partial date (2023-02-30 is not)."""
    shaped = values.str.fullmatch(DATE_SHAPE)
    day_precise = shaped & (values.str.len() == 10)
    days = pd.to_datetime(values.where(day_precise), format="%Y-%m-%d", errors="coerce")
    return shaped & (~day_precise | days.notna())


def span_start(values: pd.Series) -> pd.Series:
    """ISO text of each partial date's first day (comparable as text)."""
    length = values.str.len()
    return values + np.select([length == 4, length == 7], ["-01-01", "-01"], "")


def span_end(values: pd.Series) -> pd.Series:
    """ISO text that sorts with each partial date's last day ("-31" sorts right in any month)."""
    length = values.str.len()
    return values + np.select([length == 4, length == 7], ["-12-31", "-31"], "")


def check_periods(table: Table, frame: pd.DataFrame, start: str, end: str) -> list[Fault]:
    both = (
        (frame[start] != "")
        & (frame[end] != "")
        & valid_dates(frame[start])
        & valid_dates(frame[end])
    )
    before = both & (span_end(frame[end]) < span_start(frame[start]))
    rows = frame.loc[before, [ROW, start, end]]
    return [
        Fault(
            table.file,
            int(row),
            end,
            to,
            f"is before {start} {since!r}; a period cannot end before it starts",
        )
        for row, since, to in rows.itertuples(index=False)
    ]


def check_references(tables: dict[str, pd.DataFrame]) -> list[Fault]:
    faults: list[Fault] = []
    for table in TABLES:
        frame = tables[table.name]
        for column in table.columns:
            if column.references is None:
                continue
            target_table, target_column = column.references
            values = frame[column.name]
            known = tables[target_table][target_column]
            missing = (values != "") & ~values.isin(known)
            target = TABLE[target_table].file
            faults += _faults(table, frame, missing, column.name,
                              f"is not a {target_column} in {target} (add it there or correct the reference)")  # fmt: skip
    return faults


def data_notes(
    cases: pd.DataFrame, events: pd.DataFrame, files: dict[str, str] | None = None
) -> dict[str, list[DataNote]]:
    """Legal but odd facts per case: events outside the case's open span, an undated closing.

    ``files`` names the file each table was read from (an export's own, when mapped).
    """
    files = files or {}
    cases_file, events_file = files.get("cases", "cases.csv"), files.get("events", "events.csv")
    notes: dict[str, list[DataNote]] = defaultdict(list)
    undated = cases[(cases["status"] == "closed") & (cases["closed"] == "")]
    for case_id, row in undated[["case_id", ROW]].itertuples(index=False):
        notes[case_id].append(DataNote("closed_without_date", file=cases_file, row=int(row)))
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
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise DataError(
            [Fault(path.name, expected="is not a valid list of data notes (render the case anew)")]
        ) from None
