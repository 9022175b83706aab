"""The data contract's rules over raw tables: shapes, coded values, keys, periods, references.

Each check returns every fault it finds (file, row, column, the fix), so a user
fixes a file in one pass. :mod:`dossier.data.validate` runs them over a data
folder; :mod:`dossier.data.mapping` runs them over a translated export.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..errors import Fault
from .contract import ROW, TABLE, TABLES, Column, Table
from .dates import EXPECTED, OUTSIDE_YEARS
from .text import PLAIN_ASCII, hidden_character

# [0-9], not \d: \d also takes other scripts' digits, which dates and ints cannot read.
DATE_SHAPE = r"[1-9][0-9]{3}(?:-(?:0[1-9]|1[0-2])(?:-[0-9]{2})?)?"
DATETIME_SHAPE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
INT_SHAPE = r"-?[0-9]+"
#: A date or date and time in the contract's form but for its year ("0001-01-01", "12024-05").
BEYOND_YEARS = r"(?:0[0-9]{3}|[0-9]{5,})(?:-[0-9]{2}(?:-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2})?)?)?"
#: The tables whose rows belong to a case (by ``case_id``), besides cases.csv itself.
CASE_ROWS = ("events", "agenda", "relations", "documents")


def confined(fault: Fault) -> bool:
    """Whether ``fault`` lies in one row of a case's: not in forums.csv or meetings.csv, which
    many cases share, and not in a file as a whole (see :mod:`dossier.data.faults`)."""
    return bool(fault.code) and fault.row is not None and fault.table in ("cases", *CASE_ROWS)


def of_the_folder(
    faults: list[Fault], tables: dict[str, pd.DataFrame] | None = None
) -> list[Fault]:
    """The faults that stop the whole folder: those not confined to one case's rows, and
    those that more than half the rows of their table in ``tables`` share, two or more: a
    column in another format is the export's fault, not each row's."""
    shared = Counter((f.table, f.contract_column, f.code) for f in faults if confined(f))
    rows = {name: len(frame) for name, frame in (tables or {}).items()}
    wide = {kind for kind, n in shared.items() if n >= 2 and 2 * n > rows.get(kind[0], n)}
    return [f for f in faults
            if not confined(f) or (f.table, f.contract_column, f.code) in wide]  # fmt: skip


def _faults(
    table: Table, frame: pd.DataFrame, mask, column: str, expected: str, code: str
) -> list[Fault]:
    if not mask.any():  # most columns of most exports: no row to pick out (a tenth of a load)
        return []
    bad = frame.loc[mask, [ROW, column]]
    return [
        Fault(table.file, int(row), column, value, expected, code, table.name, column)
        for row, value in bad.itertuples(index=False)
    ]


def check_table(table: Table, frame: pd.DataFrame) -> list[Fault]:
    faults: list[Fault] = []
    for column in table.columns:
        values = frame[column.name]
        empty = values == ""
        if column.required:
            faults += _faults(table, frame, empty, column.name, "is empty; this column is required",
                              "empty")  # fmt: skip
        faults += check_values(table, frame, column, values, empty)
        if column.unique:
            faults += check_visible(table, frame, column.name)
            repeated = values.duplicated(keep="first") & ~empty
            if repeated.any():
                first = frame.loc[~empty].drop_duplicates(column.name).set_index(column.name)[ROW]
                for row, value in frame.loc[repeated, [ROW, column.name]].itertuples(index=False):
                    faults.append(Fault(table.file, int(row), column.name, value,
                                        f"repeats row {int(first[value])}; {column.name} must be unique",
                                        "unique", table.name, column.name))  # fmt: skip
    return faults


def check_values(
    table: Table, frame: pd.DataFrame, column: Column, values: pd.Series, empty
) -> list[Fault]:
    name = column.name
    if column.type in ("date", "datetime"):
        beyond = ~empty & values.str.fullmatch(BEYOND_YEARS)
        if column.type == "date":
            bad = ~empty & ~valid_dates(values) & ~beyond
            expected = EXPECTED
        else:
            shaped = values.str.fullmatch(DATETIME_SHAPE)
            days = pd.to_datetime(
                values.str.slice(0, 10).where(shaped), format="%Y-%m-%d", errors="coerce"
            )
            bad = ~empty & ~(shaped & days.notna()) & ~beyond
            expected = "is not a date and time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)"
        return _faults(table, frame, bad, name, expected, "date") + _faults(
            table, frame, beyond, name, OUTSIDE_YEARS, "years"
        )
    if column.type == "int":
        return _faults(
            table, frame, ~empty & ~values.str.fullmatch(INT_SHAPE), name, "is not a whole number",
            "int",
        )
    if column.type == "code":
        return _faults(table, frame, ~empty & ~values.isin(column.codes), name,
                       f"is not a known {name} (use one of: {', '.join(column.codes)})", "code")  # fmt: skip
    return []


def check_visible(table: Table, frame: pd.DataFrame, column: str) -> list[Fault]:
    """An ID with a character a reader does not see (``RUN/\u202e0202/861`` prints as
    "RUN/168/2020"): a fault naming its row and the character."""
    faults = []
    unusual = ~frame[column].str.fullmatch(PLAIN_ASCII)
    if not unusual.any():
        return faults
    suspect = frame.loc[unusual, [ROW, column]]
    for row, value in suspect.itertuples(index=False):
        hidden = hidden_character(value)
        if hidden is not None:
            faults.append(Fault(table.file, int(row), column, value,
                                f"holds {hidden}, which no one sees but which makes the {column} "
                                "print as another or on two lines: remove it"))  # fmt: skip
    return faults


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
    if not before.any():
        return []
    rows = frame.loc[before, [ROW, start, end]]
    return [
        Fault(
            table.file,
            int(row),
            end,
            to,
            f"is before {start} {since!r}; a period cannot end before it starts",
            "period",
            table.name,
            end,
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
                              f"is not a {target_column} in {target} (add it there or correct the reference)",
                              "reference")  # fmt: skip
    return faults
