"""Read a data directory's files into tables of text, exactly as exported.

Each contract table is found in the folder (by the contract's file name, or
the mapping file's) and read as a CSV file (:mod:`dossier.data.csv_file`) or a
workbook's sheet (:mod:`dossier.data.xlsx`): a contract file as it is, any other
through the mapping layer. Header names are matched without regard to case or
surrounding spaces; unknown columns are ignored. Every value stays text here:
checking and typing is :mod:`dossier.data.validate`'s job. Also here: the list of cases a
batch reads (``--cases-file``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..errors import DataError, Fault
from .checks import of_the_folder
from .contract import EXTRACT_NOTES, EXTRACT_SOURCES, MAPPING_FILE, ROW, TABLES, Table
from .csv_file import contract_frame, csv_columns, no_header, open_csv
from .extract import is_case_extract, source_files
from .mapping import Translation, check_translated, to_contract
from .mapping_file import Mapping, TableMapping, load_mapping
from .mapping_plan import TablePlan, plan_table
from .model import SourceFile
from .xlsx import Sheet, is_excel, read_sheet


@dataclass(frozen=True, slots=True)
class Sources:
    """The raw tables of a data directory, one DataFrame of text per contract table.

    Optional tables that are absent are empty DataFrames with the contract's columns.
    """

    data_dir: Path
    tables: dict[str, pd.DataFrame]
    files: tuple[SourceFile, ...]
    #: The tables read through a mapping file, whose rows reading has checked already.
    mapped: frozenset[str] = frozenset()
    #: Faults reading found in rows of the mapped tables, each confined to its row
    #: (:func:`~dossier.data.faults.confined`), in the export's terms.
    faults: tuple[Fault, ...] = ()


def described_sources(path: Path) -> tuple[SourceFile, ...]:
    """The source files a case extract was cut from, as its ``sources.json`` describes them."""
    try:
        return source_files(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, RecursionError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else exc
        raise DataError([Fault(str(path), expected=(
            f"is not a case extract's list of source files ({problem}); {path.parent} holds "
            f"{EXTRACT_SOURCES} and {EXTRACT_NOTES} as a case extract does: if it is an export "
            "folder, move those two files out of it"))]) from None  # fmt: skip


def read_table(
    path: Path, table: Table, section: TableMapping | None = None, mapping: Mapping | None = None
) -> tuple[pd.DataFrame, SourceFile]:
    """Read one contract table from ``path``, through ``section`` of a mapping file if given.

    Returns the rows as text (empty strings for empty cells) with the row
    number a spreadsheet would show in column ``_row``, and a description of
    the file. Raises DataError naming the file and row for anything unreadable.
    """
    read = read_source(path, table, section, mapping)
    if read.translation is not None and read.translation.faults:
        raise DataError(read.translation.faults)
    return read.frame, read.source


@dataclass(frozen=True, slots=True)
class ReadTable:
    """One table as read: its contract frame, its file, and how it was mapped (None: as it is)."""

    frame: pd.DataFrame
    source: SourceFile
    plan: TablePlan | None = None
    translation: Translation | None = None


def read_source(
    path: Path, table: Table, section: TableMapping | None = None, mapping: Mapping | None = None
) -> ReadTable:
    """Read ``path`` as ``table``: a contract file as it is, anything else through the mapping layer.

    Faults in the header or the file raise DataError; faults in translated
    values (labels, dates) are returned in the translation, for the caller to
    raise or to explain.
    """
    if is_excel(path):
        return _read_excel(path, table, section, mapping)
    if section is not None and section.sheet is not None:
        where = mapping.where(section.sheet.line) if mapping else path.name
        raise DataError([Fault(where, value=str(section.sheet.value),
                               expected=f"names a sheet, but {path.name} is a CSV file: remove the line")])  # fmt: skip
    file = table.file if path.name == table.file else path.name
    source = open_csv(path, file)
    plan = plan_table(table, source.names, section, file=file, mapping=mapping)
    if plan.plain:
        wanted = {o.source: o.column for o in plan.origins.values() if o.position is not None}
        frame = contract_frame(source, table, wanted)
        described = SourceFile(table.name, path, source.sha256, len(frame), source.encoding,
                               source.delimiter)  # fmt: skip
        return ReadTable(frame, described)
    raw = csv_columns(source, plan.positions, file)
    return _translate(raw, plan, path, source.sha256, source.encoding, source.delimiter)


def _read_excel(
    path: Path, table: Table, section: TableMapping | None, mapping: Mapping | None
) -> ReadTable:
    choice, where = _sheet_choice(section, mapping)
    sheet = read_sheet(path, choice, where=where)
    if not any(name.strip() for name in sheet.header):
        raise DataError([no_header(path.name)])
    plan = plan_table(table, sheet.header, section, file=path.name, mapping=mapping)
    raw = sheet_columns(sheet, plan.positions)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return _translate(raw, plan, path, digest, "xlsx", sheet.name)


def _sheet_choice(
    section: TableMapping | None, mapping: Mapping | None
) -> tuple[str | int | None, str]:
    if section is None or section.sheet is None:
        return None, ""
    return section.sheet.value, mapping.where(section.sheet.line) if mapping else ""


def _translate(
    raw: pd.DataFrame, plan: TablePlan, path: Path, digest: str, encoding: str, delimiter: str
) -> ReadTable:
    frame, translation = to_contract(raw, plan)
    source = SourceFile(plan.table.name, path, digest, len(frame), encoding, delimiter)
    return ReadTable(frame, source, plan, translation)


def sheet_columns(sheet: Sheet, positions: list[int]) -> pd.DataFrame:
    """The sheet's columns at ``positions`` as text, named by position, with ``_row``."""
    frame = pd.DataFrame(
        {str(p): pd.array([row[p] for row in sheet.rows], dtype="str") for p in positions}
    )
    frame.insert(0, ROW, pd.RangeIndex(2, len(sheet.rows) + 2))
    return frame


def empty_table(table: Table) -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series([], dtype="str") for column in table.column_names})
    frame.insert(0, ROW, pd.Series([], dtype="int64"))
    return frame


# -- the data folder, with or without a mapping file ------------------------------------------

def find_mapping(data_dir: Path, mapping: str | Path | None = None) -> Path | None:
    """The mapping file for ``data_dir``: ``mapping`` (``--mapping FILE``), else its ``dossier.toml``.

    A case extract (see :func:`is_case_extract`) is contract files already: no mapping.
    """
    if is_case_extract(data_dir):
        return None
    chosen = Path(mapping).expanduser() if mapping else None
    if chosen is not None:
        if not chosen.is_file():
            raise DataError(
                [
                    Fault(
                        str(chosen),
                        expected="is not a file (give --mapping the mapping file's path)",
                    )
                ]
            )
        return chosen
    own = data_dir / MAPPING_FILE
    return own if own.is_file() else None


@dataclass
class Reading:
    """Everything reading a data folder found: the tables, their files, faults, mappings."""

    sources: Sources
    faults: list[Fault]
    #: how each translated table was read, by table name (plain contract files are not here)
    plans: dict[str, TablePlan]
    translations: dict[str, Translation]
    mapping: Path | None
    #: tables whose file is there but could not be read (their faults say why)
    unread: set[str]


def read_sources(
    data_dir: str | Path, mapping: str | Path | None = None, *, strict: bool = True
) -> Sources:
    """Read every contract table in ``data_dir``; optional tables may be absent.

    Contract files are read as they are. A folder with a mapping file
    (``dossier.toml``, or ``mapping``) or with files that use other headers
    is read through :mod:`dossier.data.mapping`. Raises DataError listing every
    missing file, unreadable table and untranslatable value at once; unless ``strict``,
    only when one of them is more than a fault in a row (a label the mapping file does not
    translate, say): faults in rows are then kept in :attr:`Sources.faults`, for
    :func:`~dossier.data.validate.validate` to contain.
    """
    reading = read_folder(data_dir, mapping)
    if reading.faults and (strict or of_the_folder(reading.faults, reading.sources.tables)):
        raise DataError(reading.faults)
    return replace(reading.sources, faults=tuple(reading.faults))


def read_folder(data_dir: str | Path, mapping: str | Path | None = None) -> Reading:
    """Read ``data_dir`` and collect its faults instead of raising them.

    Raises DataError only when the folder or its mapping file cannot be read at all.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(
            [
                Fault(
                    str(data_dir),
                    expected="is not a folder (give --data the folder that holds cases.csv)",
                )
            ]
        )
    mapping_path = find_mapping(data_dir, mapping)
    spec = None
    if mapping_path is not None:
        spec = load_mapping(mapping_path)
    tables: dict[str, pd.DataFrame] = {}
    files: list[SourceFile] = []
    faults: list[Fault] = []
    plans: dict[str, TablePlan] = {}
    translations: dict[str, Translation] = {}
    unread: set[str] = set()
    for table in TABLES:
        section = spec.tables.get(table.name) if spec else None
        path = _table_path(data_dir, table, section)
        if path is not None and (outside := _outside(data_dir, path, section, spec)):
            faults.append(outside)
            unread.add(table.name)
            tables[table.name] = empty_table(table)
            continue
        if path is None:
            if section is not None and section.file is not None:
                faults.append(Fault(spec.where(section.file.line), value=str(section.file.value),
                                    expected=f"is not a file in {data_dir} (name the export's file for {table.name})"))  # fmt: skip
            elif table.required:
                expected = f"is missing from {data_dir} (it is required)"
                if spec is None and _other_data_files(data_dir):
                    expected += (f"; if the export names its files otherwise, `dossier init-mapping "
                                 f"--data {data_dir}` writes a {MAPPING_FILE} that says which is which")  # fmt: skip
                faults.append(Fault(table.file, expected=expected))
            tables[table.name] = empty_table(table)
            continue
        try:
            read = read_source(path, table, section, spec)
        except DataError as exc:
            faults += exc.faults
            unread.add(table.name)
            continue
        tables[table.name] = read.frame
        files.append(read.source)
        if read.plan is not None:
            plans[table.name] = read.plan
            translations[table.name] = read.translation
            faults += read.translation.faults
    if plans and len(tables) == len(TABLES):
        # Faults already reported where a value was translated are not reported twice.
        told = {(f.file, f.row, f.column) for f in faults}
        told |= {(f.file, f.column, f.value) for f in faults}
        faults += [
            f for f in check_translated(tables, plans)
            if (f.file, f.row, f.column) not in told and (f.file, f.column, f.value) not in told
        ]  # fmt: skip
    sources = Sources(data_dir, tables, tuple(files), frozenset(plans))
    return Reading(sources, faults, plans, translations, mapping_path, unread)


def _other_data_files(data_dir: Path) -> bool:
    contract = {table.file for table in TABLES}
    return any(
        path.suffix.lower() in (".csv", ".xlsx") and path.name not in contract
        for path in data_dir.iterdir()
    )


def _outside(
    data_dir: Path, path: Path, section: TableMapping | None, spec: Mapping | None
) -> Fault | None:
    """A fault when ``path`` lies outside ``data_dir`` once resolved (``..``, absolute, a link).

    A dossier is mailed: what the data folder's files name must not bring any other file on
    the machine into it.
    """
    folder = data_dir.resolve()
    if path.resolve().is_relative_to(folder):
        return None
    fix = f"copy the file itself into {data_dir} and name it by its name there"
    outside = "outside the data folder"
    if section is not None and section.file is not None and spec is not None:
        return Fault(spec.where(section.file.line), value=str(section.file.value),
                     expected=f"lies {outside}: {fix}")  # fmt: skip
    return Fault(path.name, value=str(path.resolve()),
                 expected=f"is a link to a file {outside}: {fix}")  # fmt: skip


def _table_path(data_dir: Path, table: Table, section: TableMapping | None) -> Path | None:
    if section is not None and section.file is not None:
        path = data_dir / str(section.file.value)
        return path if path.is_file() else None
    for name in (table.file, f"{table.name}.xlsx"):
        if (data_dir / name).is_file():
            return data_dir / name
    return None
