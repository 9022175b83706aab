"""Read a data directory's CSV files into tables of text, exactly as exported.

Encoding (UTF-8 with or without a byte order mark, or Windows-1252) and
delimiter (``,`` or ``;``) are detected per file; header names are matched
without regard to case or surrounding spaces; unknown columns are ignored.
Every value stays text here: checking and typing is :mod:`dossier.data.validate`'s job.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import DataError, Fault, ParameterError
from .contract import EXTRACT_NOTES, EXTRACT_SOURCES, MAPPING_FILE, ROW, TABLES, Table
from .mapping import Translation, check_translated, to_contract
from .mapping_file import Mapping, TableMapping, load_mapping
from .mapping_plan import TablePlan, plan_table
from .xlsx import Sheet, is_excel, read_sheet

BOM = codecs.BOM_UTF8
CHUNK = 1 << 20


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
class Sources:
    """The raw tables of a data directory, one DataFrame of text per contract table.

    Optional tables that are absent are empty DataFrames with the contract's columns.
    """

    data_dir: Path
    tables: dict[str, pd.DataFrame]
    files: tuple[SourceFile, ...]


def is_case_extract(data_dir: Path) -> bool:
    """True for a case extract (a data folder cut down to one case by dossier.run.job).

    An extract holds ``sources.json`` and ``notes.json`` beside its contract
    files. An export folder may hold a ``sources.json`` of its own: alone, it is
    just another file there, and takes nothing over.
    """
    return (data_dir / EXTRACT_SOURCES).is_file() and (data_dir / EXTRACT_NOTES).is_file()


def described_sources(path: Path) -> tuple[SourceFile, ...]:
    """The source files a case extract was cut from, as its ``sources.json`` describes them."""
    try:
        described = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(described, list):
            raise TypeError("not a list")
        return tuple(
            SourceFile(
                Path(d["file"]).stem,
                Path(d["file"]),
                str(d["sha256"]),
                int(d["rows"]),
                str(d.get("encoding", "")),
                "",
            )
            for d in described
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else exc
        raise DataError([Fault(str(path), expected=(
            f"is not a case extract's list of source files ({problem}); {path.parent} holds "
            f"{EXTRACT_SOURCES} and {EXTRACT_NOTES} as a case extract does: if it is an export "
            "folder, move those two files out of it"))]) from None  # fmt: skip


def detect_encoding(raw: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``cp1252``; raise ValueError for anything else."""
    if raw.startswith(BOM):
        return "utf-8-sig"
    if raw.startswith(_WIDE_BOMS) or _looks_utf16(raw[:4096]):
        # Without this, UTF-16 decodes as Windows-1252 (with a BOM) or as UTF-8 full of NULs.
        raise ValueError(UTF16)
    for encoding in ("utf-8", "cp1252"):
        # Decoding in chunks checks the whole file without holding a copy of it as str.
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            view = memoryview(raw)
            for start in range(0, len(raw), CHUNK):
                decoder.decode(view[start : start + CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValueError("is neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8)")


#: What a file in UTF-16 (Excel's "Unicode text", Windows' "Unicode") is told.
UTF16 = "is UTF-16 text, which dossier does not read: save it as UTF-8 (in Excel: CSV UTF-8)"
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-32's begin with these too


def _looks_utf16(sample: bytes) -> bool:
    """True when every other byte is NUL: Latin and Swedish text in UTF-16 without a BOM."""
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return any(
        zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.1 * len(others)
        for zeros, others in ((odd, even), (even, odd))
    )


def read_header(head: str) -> tuple[list[str], str]:
    """The header's names and the delimiter that splits it into the most names.

    Raises ValueError when no delimiter splits it into fields of at most
    :data:`FIELD_LIMIT` characters.
    """
    best: tuple[list[str], str] | None = None
    for delimiter in (",", ";"):
        try:
            names = next(csv.reader(io.StringIO(head), delimiter=delimiter), [])
        except csv.Error:
            continue  # a field over the csv module's limit, FIELD_LIMIT, when split this way
        if best is None or len(names) > len(best[0]):
            best = (names, delimiter)
    if best is None:
        raise ValueError(head)
    return best


#: The most characters one field of a CSV file may hold, header and rows alike: the csv
#: module's own limit. Excel holds at most 32,767 in a cell; a longer field is almost always
#: a quote that is never closed, which makes the rest of the file one field.
FIELD_LIMIT = 128 * 1024


def _too_long(length: int) -> str:
    return (f"holds {length:,} characters, more than the {FIELD_LIMIT:,} a field may hold: if a "
            'quote (") opens this field and is never closed, close it; otherwise shorten the text')  # fmt: skip


#: What a field with a NUL character is told.
NUL = r"holds a NUL character (\x00), which text may not hold: remove it from the export"


def _header_faults(head: str, file: str) -> list[Fault]:
    """The header's field over :data:`FIELD_LIMIT`, by column where a plain split finds it."""
    pieces = max((head.split(d) for d in (",", ";")), key=len)
    for number, piece in enumerate(pieces, start=1):
        if len(piece) > FIELD_LIMIT:
            return [Fault(file, 1, str(number), _shorten(piece), _too_long(len(piece)))]
    return [Fault(file, 1, value=_shorten(head), expected=_too_long(len(head)))]


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A CSV file decoded to UTF-8, with its header read; the rows are parsed on demand."""

    path: Path
    sha256: str
    encoding: str
    delimiter: str
    names: list[str]
    body: bytes


def open_csv(path: Path, file: str | None = None) -> CsvFile:
    """Read ``path``'s bytes, detect its encoding and delimiter and read its header.

    ``file`` is the name faults give the file (default: its own name). Raises
    DataError for a file that is not text or has no header.
    """
    file = file or path.name
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        encoding = detect_encoding(raw)
    except ValueError as exc:
        raise DataError([Fault(file, expected=str(exc))]) from None
    body = raw[len(BOM) :] if encoding == "utf-8-sig" else raw
    if encoding == "cp1252":
        body = body.decode("cp1252").encode("utf-8")
    del raw
    # The header ends at the first line break of any style (\n, \r\n or a lone \r).
    head = re.match(rb"[^\r\n]*", body).group().decode("utf-8", errors="replace")
    try:
        names, delimiter = read_header(head)
    except ValueError:
        raise DataError(_header_faults(head, file)) from None
    if not any(name.strip() for name in names):
        raise DataError([_no_header(file)])
    nul = [
        Fault(file, 1, str(n), _shorten(name), NUL)
        for n, name in enumerate(names, 1)
        if "\0" in name
    ]
    if nul:
        raise DataError(nul)
    return CsvFile(path, digest, encoding, delimiter, names, body)


def _no_header(file: str) -> Fault:
    return Fault(file, row=1, expected="has no header row (the first row names the columns)")


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
        frame = _parse(source.body, table, source.names, wanted, source.delimiter)
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
        raise DataError([_no_header(path.name)])
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


def csv_columns(source: CsvFile, positions: list[int], file: str) -> pd.DataFrame:
    """The CSV file's columns at ``positions`` as text, named by position, with ``_row``."""
    # Named by position: an export may repeat a header, and only the positions are sure.
    names = [str(position) for position in range(len(source.names))]
    include = [names[p] for p in positions]
    arrow = _read_arrow(source.body, names, include, source.delimiter, file, source.names)
    frame = arrow.to_pandas()
    frame.insert(0, ROW, pd.RangeIndex(2, len(frame) + 2))
    return frame


def sheet_columns(sheet: Sheet, positions: list[int]) -> pd.DataFrame:
    """The sheet's columns at ``positions`` as text, named by position, with ``_row``."""
    frame = pd.DataFrame(
        {str(p): pd.array([row[p] for row in sheet.rows], dtype="str") for p in positions}
    )
    frame.insert(0, ROW, pd.RangeIndex(2, len(sheet.rows) + 2))
    return frame


def _read_arrow(
    body: bytes,
    names: list[str],
    include: list[str],
    delimiter: str,
    file: str,
    headers: list[str] | None = None,
) -> pa.Table:
    """The columns ``include`` of the CSV ``body`` (header line first) as text.

    ``names`` names the columns by position, ``headers`` (default: ``names``)
    as the export does, for faults. Raises DataError for rows with too many
    fields, fields over :data:`FIELD_LIMIT` and NUL characters.
    """
    bad_rows: list[pacsv.InvalidRow] = []
    block = 1 << 20  # Arrow's own default

    def keep_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=threads, block_size=block
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=keep_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                include_columns=include,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    if b"\n" not in body and b"\r" not in body:
        # A header without a line break has no rows, but Arrow cannot skip it.
        body += b"\n"
    try:
        try:
            arrow = read(threads=True)
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc):
                raise
            # A row longer than a block: read the file as one block, and check its fields below.
            block = len(body) + 1
            arrow = read(threads=False)
        if bad_rows:
            # Only a single-threaded read knows the row numbers of the bad rows.
            bad_rows.clear()
            read(threads=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError([Fault(file, expected=f"cannot be read as CSV: {exc}")]) from None
    if bad_rows:
        raise DataError(
            [
                Fault(
                    file,
                    row=row.number,
                    value=_shorten(row.text),
                    expected=f"has {row.actual_columns} fields where the header has "
                    f"{row.expected_columns} (quote values that hold '{delimiter}')",
                )
                for row in bad_rows
            ]
        )
    header = dict(zip(names, headers or names, strict=True))
    faults = _field_faults(arrow, header, file, nul=b"\0" in body)
    if faults:
        raise DataError(faults)
    return arrow


def _field_faults(arrow: pa.Table, headers: dict[str, str], file: str, *, nul: bool) -> list[Fault]:
    """Every field over :data:`FIELD_LIMIT` characters, and with a NUL if ``nul``, by row."""
    faults = []
    for name, column in zip(arrow.column_names, arrow.columns, strict=True):
        # A value has no more characters than bytes: only one long in bytes is counted in characters.
        long = pc.indices_nonzero(pc.greater(pc.binary_length(column), FIELD_LIMIT)).to_pylist()
        found = [(i, _too_long(n)) for i in long if (n := len(column[i].as_py())) > FIELD_LIMIT]
        if nul:
            found += [
                (i, NUL) for i in pc.indices_nonzero(pc.match_substring(column, "\0")).to_pylist()
            ]
        faults += [Fault(file, index + 2, headers[name], _shorten(column[index].as_py()), expected)
                   for index, expected in found]  # fmt: skip
    return sorted(faults, key=lambda fault: fault.row)


def _parse(
    body: bytes, table: Table, names: list[str], wanted: dict[str, str], delimiter: str
) -> pd.DataFrame:
    arrow = _read_arrow(body, names, list(wanted), delimiter, table.file)
    arrow = arrow.rename_columns([wanted[name] for name in arrow.column_names])
    frame = arrow.to_pandas()
    del arrow
    for column in table.column_names:
        if column not in frame:
            frame[column] = ""
    frame = frame[list(table.column_names)]
    frame.insert(0, ROW, pd.RangeIndex(2, len(frame) + 2))
    for column in table.column_names:
        frame[column] = frame[column].str.strip()
    # Blank lines (every cell empty) are not rows of data, but they keep their numbers.
    blank = (frame[list(table.column_names)] == "").all(axis=1)
    if blank.any():
        frame = frame[~blank]
    return frame.reset_index(drop=True)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def empty_table(table: Table) -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series([], dtype="str") for column in table.column_names})
    frame.insert(0, ROW, pd.Series([], dtype="int64"))
    return frame


# -- a list of cases ---------------------------------------------------------------------------

#: The largest list of case IDs read (``--cases-file``): a million IDs fit well within it.
CASE_LIST_LIMIT = 16 * 1024 * 1024


def read_case_list(path: str | Path) -> list[str]:
    """The case IDs in the text file at ``path`` (``--cases-file``), one per line.

    Blank lines and lines that begin with ``#`` are skipped. The file is read
    as the data folder's CSV files are (UTF-8 or Windows-1252, detected).
    Raises ParameterError naming the file for one that cannot be read, is
    larger than :data:`CASE_LIST_LIMIT`, is UTF-16 or is not text at all.
    """

    def refuse(problem: str) -> ParameterError:
        return ParameterError(f"--cases-file {path}: {problem}")

    try:
        with open(path, "rb") as file:
            raw = file.read(CASE_LIST_LIMIT + 1)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if len(raw) > CASE_LIST_LIMIT:
        raise refuse(f"is larger than {CASE_LIST_LIMIT // 2**20} MiB; a list of case IDs, one per "
                     "line, is far smaller: is it the right file?")  # fmt: skip
    try:
        encoding = detect_encoding(raw)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    text = raw.decode(encoding)
    if "\0" in text:
        raise refuse(
            "is not a text file (it holds NUL bytes): give a text file with one case ID per line"
        )
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# -- the data folder, with or without a mapping file ------------------------------------------

#: A mapping file named on the command line (``--mapping FILE``), for the data folders it reads.
_MAPPING: ContextVar[Path | None] = ContextVar("dossier_mapping", default=None)


@contextlib.contextmanager
def using_mapping(path: str | Path | None) -> Iterator[None]:
    """Read data folders through the mapping file at ``path`` (None: each folder's own).

    The command line's ``--mapping FILE`` sets it around a command, so that
    every stage that loads the data folder reads it the same way.
    """
    token = _MAPPING.set(Path(path).expanduser() if path else None)
    try:
        yield
    finally:
        _MAPPING.reset(token)


def find_mapping(data_dir: Path, mapping: str | Path | None = None) -> Path | None:
    """The mapping file for ``data_dir``: ``mapping``, else ``--mapping``, else its ``dossier.toml``.

    A case extract (see :func:`is_case_extract`) is contract files already: no mapping.
    """
    if is_case_extract(data_dir):
        return None
    chosen = Path(mapping).expanduser() if mapping else _MAPPING.get()
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


def read_sources(data_dir: str | Path, mapping: str | Path | None = None) -> Sources:
    """Read every contract table in ``data_dir``; optional tables may be absent.

    Contract files are read as they are. A folder with a mapping file
    (``dossier.toml``, or ``mapping``) or with files that use other headers
    is read through :mod:`dossier.data.mapping`. Raises DataError listing every
    missing file, unreadable table and untranslatable value at once.
    """
    reading = read_folder(data_dir, mapping)
    if reading.faults:
        raise DataError(reading.faults)
    return reading.sources


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
    sources = Sources(data_dir, tables, tuple(files))
    return Reading(sources, faults, plans, translations, mapping_path, unread)


def _other_data_files(data_dir: Path) -> bool:
    contract = {table.file for table in TABLES}
    return any(
        path.suffix.lower() in (".csv", ".xlsx") and path.name not in contract
        for path in data_dir.iterdir()
    )


def _table_path(data_dir: Path, table: Table, section: TableMapping | None) -> Path | None:
    if section is not None and section.file is not None:
        path = data_dir / str(section.file.value)
        return path if path.is_file() else None
    for name in (table.file, f"{table.name}.xlsx"):
        if (data_dir / name).is_file():
            return data_dir / name
    return None
