"""Read a data directory's CSV files into tables of text, exactly as exported.

Encoding (UTF-8 with or without a byte order mark, or Windows-1252) and
delimiter (``,`` or ``;``) are detected per file; header names are matched
without regard to case or surrounding spaces; unknown columns are ignored.
Every value stays text here: checking and typing is :mod:`dossier.validate`'s job.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .contract import TABLES, Table
from .errors import DataError, Fault

#: Name of the column that carries each row's number as a spreadsheet shows it.
ROW = "_row"
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


#: In a case extract (a slice of an export, see dossier.job), the description of the export.
EXTRACT_SOURCES = "sources.json"


def described_sources(path: Path) -> tuple[SourceFile, ...]:
    """The source files a case extract was cut from, as its ``sources.json`` describes them."""
    try:
        described = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            SourceFile(
                Path(d["file"]).stem,
                Path(d["file"]),
                d["sha256"],
                int(d["rows"]),
                d.get("encoding", ""),
                "",
            )
            for d in described
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            [Fault(path.name, expected=f"is not a valid description of source files: {exc}")]
        ) from None


def normalise_header(name: str) -> str:
    return name.strip().lower()


def detect_encoding(raw: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``cp1252``; raise ValueError for anything else."""
    if raw.startswith(BOM):
        return "utf-8-sig"
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


def read_header(head: str) -> tuple[list[str], str]:
    """The header's names and the delimiter that splits it into the most names."""
    best: tuple[list[str], str] = ([], ",")
    for delimiter in (",", ";"):
        names = next(csv.reader(io.StringIO(head), delimiter=delimiter), [])
        if len(names) > len(best[0]):
            best = (names, delimiter)
    return best


def read_table(path: Path, table: Table) -> tuple[pd.DataFrame, SourceFile]:
    """Read one contract table from ``path``.

    Returns the rows as text (empty strings for empty cells) with the row
    number a spreadsheet would show in column ``_row``, and a description of
    the file. Raises DataError naming the file and row for anything unreadable.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        encoding = detect_encoding(raw)
    except ValueError as exc:
        raise DataError([Fault(table.file, expected=str(exc))]) from None
    body = raw[len(BOM) :] if encoding == "utf-8-sig" else raw
    if encoding == "cp1252":
        body = body.decode("cp1252").encode("utf-8")
    del raw
    # The header ends at the first line break of any style (\n, \r\n or a lone \r).
    first_line = re.match(rb"[^\r\n]*", body).group()
    names, delimiter = read_header(first_line.decode("utf-8", errors="replace"))
    if not any(name.strip() for name in names):
        raise DataError(
            [
                Fault(
                    table.file,
                    row=1,
                    expected="has no header row (the first row names the columns)",
                )
            ]
        )
    faults = []
    wanted: dict[str, str] = {}  # source name -> contract name
    for position, name in enumerate(names, start=1):
        key = normalise_header(name)
        if key in table.column_names:
            if key in wanted.values():
                faults.append(
                    Fault(
                        table.file,
                        row=1,
                        column=key,
                        value=name,
                        expected=f"appears twice in the header (column {position}); keep one",
                    )
                )
            wanted[name] = key
    missing = [c.name for c in table.columns if c.required and c.name not in wanted.values()]
    faults += [
        Fault(
            table.file,
            row=1,
            column=name,
            expected="is a required column and is missing from the header",
        )
        for name in missing
    ]
    if faults:
        raise DataError(faults)
    frame = _parse(body, table, names, wanted, delimiter)
    source = SourceFile(table.name, path, digest, len(frame), encoding, delimiter)
    return frame, source


def _parse(
    body: bytes, table: Table, names: list[str], wanted: dict[str, str], delimiter: str
) -> pd.DataFrame:
    bad_rows: list[pacsv.InvalidRow] = []

    def keep_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=keep_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                include_columns=list(wanted),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    if b"\n" not in body and b"\r" not in body:
        # A header without a line break has no rows, but Arrow cannot skip it.
        body += b"\n"
    try:
        arrow = read(threads=True)
        if bad_rows:
            # Only a single-threaded read knows the row numbers of the bad rows.
            bad_rows.clear()
            read(threads=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError([Fault(table.file, expected=f"cannot be read as CSV: {exc}")]) from None
    if bad_rows:
        raise DataError(
            [
                Fault(
                    table.file,
                    row=row.number,
                    value=_shorten(row.text),
                    expected=f"has {row.actual_columns} fields where the header has "
                    f"{row.expected_columns} (quote values that hold '{delimiter}')",
                )
                for row in bad_rows
            ]
        )
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


def read_sources(data_dir: str | Path) -> Sources:
    """Read every contract table in ``data_dir``; optional tables may be absent.

    Raises DataError listing every missing file and unreadable table at once.
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
    tables: dict[str, pd.DataFrame] = {}
    files: list[SourceFile] = []
    faults: list[Fault] = []
    for table in TABLES:
        path = data_dir / table.file
        if not path.is_file():
            if table.required:
                faults.append(
                    Fault(table.file, expected=f"is missing from {data_dir} (it is required)")
                )
            tables[table.name] = empty_table(table)
            continue
        try:
            tables[table.name], source = read_table(path, table)
        except DataError as exc:
            faults += exc.faults
            continue
        files.append(source)
    if faults:
        raise DataError(faults)
    return Sources(data_dir, tables, tuple(files))
