"""Read one CSV file exactly as exported: its encoding, delimiter, header and rows, as text.

Encoding (UTF-8 with or without a byte order mark, or Windows-1252) and
delimiter (``,`` or ``;``) are detected per file. What no export holds is
refused with its row and column: a field over :data:`FIELD_LIMIT` characters, a
NUL character, a file in UTF-16. The rows are parsed by Arrow, only the columns
asked for. Which file is which table is :mod:`dossier.data.sources`' job.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import DataError, Fault
from .contract import ROW, Table
from .text import BOM, detect_encoding


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
        raise DataError([no_header(file)])
    nul = [
        Fault(file, 1, str(n), _shorten(name), NUL)
        for n, name in enumerate(names, 1)
        if "\0" in name
    ]
    if nul:
        raise DataError(nul)
    return CsvFile(path, digest, encoding, delimiter, names, body)


def no_header(file: str) -> Fault:
    """The fault of a file whose first row names no column."""
    return Fault(file, row=1, expected="has no header row (the first row names the columns)")


def csv_columns(source: CsvFile, positions: list[int], file: str) -> pd.DataFrame:
    """The CSV file's columns at ``positions`` as text, named by position, with ``_row``."""
    # Named by position: an export may repeat a header, and only the positions are sure.
    names = [str(position) for position in range(len(source.names))]
    include = [names[p] for p in positions]
    arrow = _read_arrow(source.body, names, include, source.delimiter, file, source.names)
    frame = arrow.to_pandas()
    frame.insert(0, ROW, pd.RangeIndex(2, len(frame) + 2))
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


def contract_frame(source: CsvFile, table: Table, wanted: dict[str, str]) -> pd.DataFrame:
    """A contract file's rows as ``table``'s columns of text, stripped; ``wanted``: header -> column.

    Columns the file does not have are empty; blank lines are left out, and
    keep their numbers in ``_row``.
    """
    arrow = _read_arrow(source.body, source.names, list(wanted), source.delimiter, table.file)
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
