"""The mapping layer: translate a registry's own export into the data contract (DATA.md).

Real exports name their columns ``Diarienummer`` or ``Händelsedatum``, label
kinds ``Återremitterad`` and write dates ``30.05.2022``. This module meets
them where they are, without bending the contract: it turns a source file's
columns into the contract's columns of text, and everything after it
(checking, the model, dossiers) sees contract tables only.

Three layers, each overriding the one before:

1. The contract itself: a file ``events.csv`` whose headers are the
   contract's names is read as it is, at no extra cost.
2. Built-in aliases: common Swedish and English header names and labels
   are recognised without configuration (:mod:`dossier.data.aliases`). Two
   source columns for one contract column is a fault.
3. The mapping file, ``dossier.toml`` in the data folder (or ``--mapping
   FILE``): per table the source file (CSV or ``.xlsx`` and its sheet), the
   column map, label maps, date formats, defaults and built columns
   (:mod:`dossier.data.mapping_file`). See the README, "Bring your own export".

Per source file, :mod:`dossier.data.mapping_plan` decides from the header where
each contract column comes from; this module then translates the rows
(:func:`to_contract`) and checks the result in the export's terms
(:func:`check_translated`). A fault in mapped data names the source file, row
and the column as the export calls it: ``händelser.xlsx row 7, column
Händelsedatum (date)``. What the analyst is told about a mapping (``check
--explain``, ``init-mapping``) is :mod:`dossier.data.mapping_guide`'s.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import Fault
from .aliases import guess_label, label_key
from .checks import (
    BEYOND_YEARS,
    DATE_SHAPE,
    DATETIME_SHAPE,
    check_periods,
    check_references,
    check_table,
    valid_dates,
)
from .contract import ROW, TABLE, Column
from .dates import OUTSIDE_YEARS, years_inside
from .mapping_file import VALUE_SECTIONS
from .mapping_plan import Code, HowFound, Origin, TablePlan

#: Date formats that ``dossier init-mapping`` tries, in this order (Swedish first).
CANDIDATE_FORMATS = (
    "%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%m/%d/%Y",
    "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M", "%Y%m%d %H:%M",
    "%m.%Y", "%m/%Y", "%Y%m",
)  # fmt: skip


@dataclass
class Translation:
    """What translating one file did: the labels and dates it met, for ``check --explain``."""

    #: coded column -> [(label, rows, the code it means or None)]
    labels: dict[str, list[tuple[str, int, Code | None]]] = field(default_factory=dict)
    #: date column -> {"already contract dates" or a format: rows}; None for values none read
    dates: dict[str, Counter] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)


def to_contract(raw: pd.DataFrame, plan: TablePlan) -> tuple[pd.DataFrame, Translation]:
    """Turn a source file's columns into the contract table's columns of text.

    ``raw`` holds the source columns by position (column names ``"0"``,
    ``"1"`` …) as text, and ``_row``; its columns are stripped in place. Returns the contract frame (with
    ``_row``) and what was translated; faults (a label without a mapping, a
    date in none of the formats) are in the translation, not raised, so that
    ``check --explain`` can show them all.
    """
    report = Translation()
    positions = [str(p) for p in plan.positions]
    for name in positions:
        # In place: ``raw`` is the reader's scratch frame, and a million rows need no second copy.
        raw[name] = raw[name].str.strip()
    if positions:
        # Blank lines (every cell that feeds the table empty) are not rows, but keep their numbers.
        blank = (raw[positions] == "").all(axis=1)
        if blank.any():
            raw = raw[~blank]
    raw = raw.reset_index(drop=True)
    rows = raw[ROW]
    columns: dict[str, pd.Series] = {ROW: rows}
    for column in plan.table.columns:
        origin = plan.origins[column.name]
        if origin.position is not None:
            values = raw[str(origin.position)]
        elif origin.how is HowFound.BUILD:
            values = _build(raw, origin)
        else:
            values = pd.Series("", index=raw.index, dtype="str")
        default = plan.defaults.get(column.name)
        if default is not None:
            values = values.where(values != "", str(default.value))
        if column.type == "code":
            values = _translate_labels(values, rows, column.name, plan, report)
        elif column.type in ("date", "datetime"):
            values = _translate_dates(values, rows, column.name, column.type, plan, report)
        columns[column.name] = values
    return pd.DataFrame(columns, copy=False), report


def _build(raw: pd.DataFrame, origin: Origin) -> pd.Series:
    result = pd.Series("", index=raw.index, dtype="str")
    missing = pd.Series(False, index=raw.index)
    for literal, position, width in origin.parts:
        result = result + literal
        if position is not None:
            part = raw[str(position)]
            missing |= part == ""
            result = result + (part.str.zfill(width) if width else part)
    # A part that is empty makes no ID: the result is empty, and a required column says so.
    return result.where(~missing, "")


def _spread(distinct: list[str] | pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Values given once per distinct value, spread back over the rows (``codes`` from factorize)."""
    return pd.Series(pd.array(list(distinct), dtype="str").take(codes), index=index)


def _translate_labels(
    values: pd.Series, rows: pd.Series, column: str, plan: TablePlan, report: Translation
) -> pd.Series:
    # Labels repeat: each distinct label is looked up once.
    codes, uniques = pd.factorize(values)
    known = plan.labels[column]
    counts = np.bincount(codes, minlength=len(uniques))
    translated: list[str] = []
    seen = []
    for number, label in enumerate(uniques):
        if label == "":
            translated.append("")
            continue
        found = known.get(label_key(label))
        seen.append((label, int(counts[number]), found))
        if found is None:
            first = int(rows.iloc[int(np.argmax(codes == number))])
            report.faults.append(_label_fault(plan, column, label, int(counts[number]), first))
        # Without a code the label is left as it is; the fault says what to add.
        translated.append(label if found is None else found.code)
    report.labels[column] = seen
    return _spread(translated, codes, values.index)


def _label_fault(plan: TablePlan, column: str, label: str, count: int, first: int) -> Fault:
    codes = plan.table.column(column).codes
    guess = guess_label(plan.table.name, column, label)
    line = f'"{label}" = "{guess or codes[0]}"'
    rows = f"{count:,} row{'s' if count != 1 else ''}"
    expected = (
        f"is a {column} label with no mapping ({rows}; this is the first): "
        f"{plan.fix(VALUE_SECTIONS[column], line)}"
        + (" (a guess: check it;" if guess else " (choose the right one;")
        + f" {column} is one of: {', '.join(codes)})"
    )
    return Fault(plan.file, first, plan.column_label(column), label, expected)


def output_format(fmt: str, column_type: str) -> str:
    """The contract's text for a date read with ``fmt``: as precise as the format is."""
    if column_type == "datetime" and re.search(r"%[HI]", fmt):
        return "%Y-%m-%d %H:%M"
    if column_type == "datetime" or re.search(r"%[dj]", fmt):
        return "%Y-%m-%d"
    if re.search(r"%[mbB]", fmt):
        return "%Y-%m"
    return "%Y"


#: How Translation.dates counts values that needed no format.
AS_CONTRACT = "already contract dates"


def _translate_dates(
    values: pd.Series,
    rows: pd.Series,
    column: str,
    column_type: str,
    plan: TablePlan,
    report: Translation,
) -> pd.Series:
    # Dates repeat: a million events hold a few thousand distinct days, so each is parsed once.
    codes, uniques = pd.factorize(values)
    distinct = pd.Series(uniques, dtype="str")
    counts = np.bincount(codes, minlength=len(uniques))
    shape = DATETIME_SHAPE if column_type == "datetime" else DATE_SHAPE
    result = distinct.where(distinct.str.fullmatch(shape) | (distinct == ""))
    how = pd.Series(AS_CONTRACT, index=distinct.index, dtype="object")
    if column_type == "date":
        # An Excel date that carries a time of day: the contract's date keeps the day.
        timed = result.isna() & distinct.str.fullmatch(DATETIME_SHAPE)
        result = result.where(~timed, distinct.str.slice(0, 10))
    # In the contract's shape is not yet a date: 2023-02-30 is none (checked here, once per value).
    shaped = result.notna() & (result != "")
    real = valid_dates(result[shaped].str.slice(0, 10))
    result[real.index[~real]] = None
    for fmt in plan.date_formats:
        todo = result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(distinct[todo], format=fmt, errors="coerce")
        # A year the contract cannot hold ("0001-01-01") stays unread: its fault says why.
        parsed = parsed[years_inside(parsed)]
        read = parsed.dt.strftime(output_format(fmt, column_type))
        result.loc[read.index] = read
        how.loc[read.index] = fmt
    bad = result.isna().to_numpy()
    read = ~bad & (distinct != "").to_numpy()
    sums = pd.Series(counts[read]).groupby(how.to_numpy()[read]).sum()
    used: Counter = Counter(
        {h: int(sums[h]) for h in (AS_CONTRACT, *plan.date_formats) if h in sums}
    )
    if bad.any():
        used[None] = int(counts[bad].sum())
        numbers = np.flatnonzero(bad)
        expected = dict(zip(numbers, _date_messages(plan, column_type, distinct[bad]), strict=True))
        mask = np.isin(codes, numbers)
        label = plan.column_label(column)
        report.faults += [
            Fault(plan.file, int(row), label, value, expected[number], "date", plan.table.name, column)
            for row, value, number in zip(rows[mask], values[mask], codes[mask], strict=True)
        ]
        result = result.where(~bad, distinct)  # left as they are; the faults say what to add
    report.dates[column] = used
    return _spread(result, codes, values.index)


def guess_formats(values, column_type: str = "date") -> list[str]:
    """Formats from :data:`CANDIDATE_FORMATS` that read ``values``, most values first."""
    left = pd.Series(list(values), dtype="str")
    shape = DATETIME_SHAPE if column_type == "datetime" else DATE_SHAPE
    left = left[~left.str.fullmatch(shape) & (left != "")]
    chosen = []
    while len(left):
        best, best_read = None, None
        for fmt in CANDIDATE_FORMATS:
            if fmt in chosen:
                continue
            read = pd.to_datetime(left, format=fmt, errors="coerce").notna()
            if read.any() and (best_read is None or read.sum() > best_read.sum()):
                best, best_read = fmt, read
        if best is None:
            break
        chosen.append(best)
        left = left[~best_read]
    return chosen


def _date_messages(plan: TablePlan, column_type: str, values: pd.Series) -> list[str]:
    """What each value that no format reads is, and its fix: a format that reads it, if one does."""
    formats = plan.date_formats
    contract = (
        "YYYY-MM-DD or YYYY-MM-DD HH:MM"
        if column_type == "datetime"
        else "YYYY-MM-DD, YYYY-MM or YYYY"
    )
    head = f"is not a date in the contract's form ({contract})"
    if formats:
        head += f" nor in {'the format' if len(formats) == 1 else 'any of the formats'} {', '.join(formats)}"
    where = f"[{plan.table.name}] in {plan.mapping_name}"
    readers = pd.Series("", index=values.index, dtype="object")
    for fmt in CANDIDATE_FORMATS:
        todo = readers == ""
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        read = parsed.notna().to_numpy()
        inside = years_inside(parsed).to_numpy()
        readers[parsed.index[read & inside]] = fmt
        readers[parsed.index[read & ~inside]] = OUTSIDE_YEARS
    readers[values.str.fullmatch(BEYOND_YEARS).to_numpy()] = OUTSIDE_YEARS
    messages = []
    for fmt in readers:
        if fmt == OUTSIDE_YEARS:
            messages.append(OUTSIDE_YEARS)
        elif fmt:
            listed = ", ".join(f'"{f}"' for f in [*formats, fmt])
            messages.append(f'{head}; the format "{fmt}" reads it: if the export writes dates this '
                            f"way, write `date_formats = [{listed}]` under {where}")  # fmt: skip
        elif formats:
            messages.append(f"{head}: correct the value")
        else:
            messages.append(f"{head}: correct the value, or give the export's date format as "
                            f"date_formats under {where}")  # fmt: skip
    return messages


# -- faults in the contract's terms, named in the export's -----------------------------------


def check_translated(tables: dict[str, pd.DataFrame], plans: dict[str, TablePlan]) -> list[Fault]:
    """Check translated tables against the contract; name each fault in the export's terms.

    The contract's checks (dossier.data.validate) name contract files and columns;
    a user who brought her own export needs her file and her header, so the
    checks that can fault a translated table run here first, on the same
    frames, and with the same messages. What translation already guarantees
    (every label and date is a contract value, or a fault already) is not
    checked again, and the costly checks run in full only when a cheap test
    on distinct values finds something: with nothing wrong, this costs a
    fraction of dossier.data.validate's own pass.
    """
    faults: list[Fault] = []
    for name in plans:
        table, frame = TABLE[name], tables[name]
        lean = tuple(_lean_column(column, frame) for column in table.columns)
        faults += check_table(replace(table, columns=lean), frame)
    if not _references_hold(tables, plans):
        faults += check_references(tables)
    for name, start, end in (("events", "date", "end_date"), ("cases", "opened", "closed")):
        if name in plans:
            frame = tables[name]
            periods = frame[(frame[start] != "") & (frame[end] != "")]
            faults += check_periods(TABLE[name], periods, start, end)
    return [name_fault(fault, plans) for fault in faults]


def _lean_column(column: Column, frame: pd.DataFrame) -> Column:
    if column.type in ("code", "date", "datetime"):
        # Translated: a contract value, or a fault reported where it was translated.
        column = replace(column, type="text")
    if column.unique:
        values = frame[column.name]
        given = values[values != ""]
        if len(given.unique()) == len(given):
            column = replace(column, unique=False)
    return column


def _references_hold(tables: dict[str, pd.DataFrame], plans: dict[str, TablePlan]) -> bool:
    """True if every reference in a translated table is found (checked on distinct values)."""
    for name in plans:
        for column in TABLE[name].columns:
            if column.references is None:
                continue
            target, key = column.references
            values = pd.Series(tables[name][column.name].unique(), dtype="str")
            if (~values.isin(tables[target][key]) & (values != "")).any():
                return False
    return True


def name_fault(fault: Fault, plans: dict[str, TablePlan]) -> Fault:
    """``fault`` (in contract terms) as the export's file and header name it."""
    plan = next((p for p in plans.values() if p.table.file == fault.file), None)
    expected = fault.expected
    for other in plans.values():
        expected = expected.replace(f" in {other.table.file} ", f" in {other.file} ")
    if plan is None:
        return replace(fault, expected=expected)
    column = plan.column_label(fault.column) if fault.column in plan.origins else fault.column
    return replace(fault, file=plan.file, column=column, expected=expected)
