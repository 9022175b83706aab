"""Faults confined to one case's rows: which rows they cost, and the data notes that name them.

A real export holds rows no contract allows: an event dated 2022-13, an agenda item
without a number, one event ID used twice, an event in a forum forums.csv does not
know. Such a fault costs only the rows it is in (:func:`contain`): the row is left out
of its case's dossier and named in the case's data notes. A fault in a case's own row
(cases.csv) costs that case, which fails alone (:class:`UnusableCase`); a faulty closing
date or owner forum costs only that value. A fault in forums.csv or meetings.csv, which
many cases share, is a fault of the folder, as is one that most rows of a file share (a
column in another format), and every fault of reading (a missing file, an unreadable
header, a wrong encoding, a missing required column): those stop the folder
(:func:`~dossier.data.checks.of_the_folder`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from ..errors import Fault
from .checks import CASE_ROWS, confined
from .contract import ROW, TABLE, TABLES
from .model import DataNote

#: Faults that cost a value, not its row: the case still renders without its closing date or
#: owner forum, and an agenda item without a number is still on its meeting's agenda.
VALUE_ONLY = {("cases", "closed"), ("cases", "owner_forum_id"), ("agenda", "item")}
#: The codes of the data notes that name what a fault cost a case.
LEFT_OUT = ("row_left_out", "value_left_out", "agenda_item_empty", "related_unusable")


@dataclass(frozen=True, slots=True)
class UnusableCase:
    """A case whose own row in cases.csv is faulty (or whose ID two rows hold): it fails alone.

    ``status`` is what its row says, and ``meetings`` the meetings whose agenda names it,
    so that a batch of open cases or of a meeting still lists it (as failed).
    """

    case_id: str
    faults: tuple[Fault, ...]
    status: str = ""
    meetings: tuple[str, ...] = ()
    #: Its title as its row gives it (perhaps empty), for the lists that name it.
    title: str = ""

    def message(self) -> str:
        """Why the case cannot be rendered, and the fix."""
        faults = "; ".join(str(fault) for fault in self.faults)
        return (f"case {self.case_id!r} cannot be rendered: its own row in cases.csv is faulty "
                f"({faults}); correct that row (the other cases render)")  # fmt: skip


@dataclass(frozen=True)
class Contained:
    """The tables without the rows their faults cost, and what each case is told of them."""

    tables: dict[str, pd.DataFrame]
    #: Data notes by case ID, one per fault in a row of the case that was left out (or a value).
    notes: dict[str, list[DataNote]]
    unusable: dict[str, UnusableCase]


def contain(
    tables: dict[str, pd.DataFrame], faults: list[Fault], files: dict[str, str] | None = None
) -> Contained:
    """Leave out the rows (or values) that ``faults``, each :func:`confined`, are in.

    Every fault in a row of a case that renders becomes one of its data notes; the rows of
    a case that cannot be rendered (:class:`UnusableCase`) go with it, and a relation to it
    is left out of the other case with a note that says why. ``files`` names the file each
    table was read from (an export's own, when mapped), for the notes.
    """
    files = {table.name: table.file for table in TABLES} | (files or {})
    rows: dict[str, dict[int, list[Fault]]] = defaultdict(lambda: defaultdict(list))
    for fault in faults:
        rows[fault.table][fault.row].append(fault)
    tables = dict(tables)
    notes: dict[str, list[DataNote]] = defaultdict(list)
    tables["cases"], unusable = _cases(tables, rows["cases"], notes, files)
    known = set(tables["cases"]["case_id"])
    for name in CASE_ROWS:
        tables[name] = _case_rows(name, tables[name], rows[name], set(unusable), known,
                                  notes, files)  # fmt: skip
    return Contained(tables, dict(notes), unusable)


def _cases(tables: dict[str, pd.DataFrame], faulted: dict[int, list[Fault]],
           notes: dict[str, list[DataNote]], files: dict[str, str],
           ) -> tuple[pd.DataFrame, dict[str, UnusableCase]]:  # fmt: skip
    cases = tables["cases"]
    if not faulted:
        return cases, {}
    value_only = {row for row, found in faulted.items() if all(map(costs_a_value, found))}
    bad = cases[ROW].isin([row for row in faulted if row not in value_only])
    ids = set(cases.loc[bad, "case_id"]) - {""}
    # Every row of such an ID goes: of two rows with one ID, neither is surely the case.
    gone = bad | cases["case_id"].isin(ids)
    agenda = tables["agenda"]
    on_agenda = agenda[agenda["case_id"].isin(ids)].groupby("case_id")["meeting_id"].unique()
    unusable = {}
    for case_id, group in cases.loc[gone & (cases["case_id"] != "")].groupby("case_id", sort=False):
        found = tuple(f for row in group[ROW] for f in faulted.get(int(row), ()))
        meetings = tuple(on_agenda.get(case_id, ()))
        first = group.iloc[0]
        unusable[case_id] = UnusableCase(case_id, found, first["status"], meetings, first["title"])
    kept = cases.loc[~gone].copy()
    at = kept[ROW].isin(list(value_only))
    case_of = dict(zip(kept.loc[at, ROW], kept.loc[at, "case_id"], strict=True))
    for column in ("closed", "owner_forum_id"):
        blank = [row for row in case_of for f in faulted[row] if f.contract_column == column]
        kept.loc[kept[ROW].isin(blank), column] = ""
    for row, case_id in case_of.items():
        notes[case_id].extend(_note("value_left_out", fault, files) for fault in faulted[row])
    return kept, unusable


def _case_rows(name: str, frame: pd.DataFrame, faulted: dict[int, list[Fault]], gone: set[str],
               known: set[str], notes: dict[str, list[DataNote]], files: dict[str, str],
               ) -> pd.DataFrame:  # fmt: skip
    """``frame`` without its faulty rows and those of the cases ``gone``; a note for each
    fault to the ``known`` cases it was in."""
    owners = ["case_id", "related_case_id"] if name == "relations" else ["case_id"]
    of_gone = frame[owners].isin(gone).any(axis=1)
    keep_values = {row for row, found in faulted.items() if all(map(costs_a_value, found))}
    bad = frame[ROW].isin([row for row in faulted if row not in keep_values])
    told = frame.loc[frame[ROW].isin(list(faulted)), [ROW, *owners]]
    for row, *cases in told.itertuples(index=False):
        code = "value_left_out" if row in keep_values else "row_left_out"
        for case_id in dict.fromkeys(cases):
            if case_id in known:
                notes[case_id].extend(_note(code, fault, files) for fault in faulted[row])
    if name == "relations":
        # A relation to a case that cannot be rendered is left out of the other case, said so.
        for owner, other in (("case_id", "related_case_id"), ("related_case_id", "case_id")):
            lost = frame[~bad & frame[other].isin(gone) & frame[owner].isin(known)]
            for row, case_id, related in lost[[ROW, owner, other]].itertuples(index=False):
                notes[case_id].append(DataNote("related_unusable", (("case", related),),
                                               files[name], int(row)))  # fmt: skip
    return frame.loc[~(bad | of_gone)]


def costs_a_value(fault: Fault) -> bool:
    """Whether ``fault`` costs only a value, its row kept (:data:`VALUE_ONLY`)."""
    return confined(fault) and (fault.table, fault.contract_column) in VALUE_ONLY


def _note(code: str, fault: Fault, files: dict[str, str]) -> DataNote:
    """The data note of ``fault``: its file and row, and why in the reader's words."""
    if (fault.table, fault.contract_column) == ("agenda", "item"):
        return DataNote("agenda_item_empty", (), fault.file, fault.row)
    target = ""
    if fault.code == "reference":
        references = TABLE[fault.table].column(fault.contract_column).references
        target = files[references[0]] if references else ""
    fields = (("reason", fault.code), ("column", fault.column or ""), ("value", fault.value or ""),
              ("target", target))  # fmt: skip
    return DataNote(code, fields, fault.file, fault.row)
