"""Read one sheet of an Excel workbook (``.xlsx``) as rows of text.

Cells come back as the text the data contract expects: an Excel date as
``YYYY-MM-DD`` (with `` HH:MM`` when it holds a time of day), a whole number
stored as a float (``168.0``) as ``168``, an empty cell as ``""``. Formulas
give their last computed value, as Excel saved it.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, Fault

#: File name endings read as Excel workbooks; anything else is read as CSV.
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

#: The most one part of a workbook (a sheet, its shared strings) may hold unpacked, in bytes. A
#: workbook is a zip file: a few megabytes can unpack to gigabytes, which would all be read.
PART_LIMIT = 256 * 1024 * 1024
#: The most cells (rows below the header times the header's width) one sheet may hold.
CELL_LIMIT = 5_000_000
#: The fix for a workbook over a limit: CSV has none, and reads far faster.
OVER_LIMIT_FIX = "save the sheet as CSV UTF-8 and read that instead"


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet as read: its name, its header row and the rows below it.

    ``rows[i]`` is the sheet's row ``i + 2`` (the header is row 1); every row
    has as many cells as the header, each as text.
    """

    name: str
    header: list[str]
    rows: list[tuple[str, ...]]


def is_excel(path: Path) -> bool:
    return path.suffix.lower() in EXCEL_SUFFIXES


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names in order; DataError if it is not a workbook."""
    workbook = _open(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _unreadable_errors() -> tuple[type[Exception], ...]:
    """What openpyxl and zipfile raise for a damaged or hostile workbook.

    A broken zip (BadZipFile, zlib.error, EOFError; RuntimeError for an
    encrypted part or NotImplementedError for an unknown zip version), XML that
    does not parse (ParseError, a SyntaxError), references to strings or styles
    that are not there (IndexError, KeyError), values of the wrong kind
    (TypeError, ValueError).
    """
    from openpyxl.utils.exceptions import InvalidFileException  # here: openpyxl is slow to import

    return (
        InvalidFileException, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, OSError,
        SyntaxError, IndexError, KeyError, TypeError, ValueError,
    )  # fmt: skip


def read_sheet(
    path: Path, sheet: str | int | None = None, *, where: str = "", cell_limit: int = CELL_LIMIT
) -> Sheet:
    """Read ``sheet`` of the workbook at ``path``: by name, by position (1 = first) or the first.

    ``where`` names the setting that chose the sheet (a line of the mapping
    file), so that a missing sheet is reported there. Raises DataError for a
    file that is not a workbook, a sheet that is not in it, and a sheet of
    more than ``cell_limit`` cells or a part over :data:`PART_LIMIT`.

    openpyxl's warnings about what it leaves out of a workbook (defined names, drawings,
    extensions: none of them data) are not passed on to the user's terminal.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        return _read_sheet(path, sheet, where, cell_limit)


def _read_sheet(path: Path, sheet: str | int | None, where: str, cell_limit: int) -> Sheet:
    workbook = _open(path)
    try:
        worksheet = _choose(workbook, path, sheet, where)
        # A workbook may state a wrong size; read every row that is there instead.
        worksheet.reset_dimensions()
        first = next(worksheet.iter_rows(max_row=1, values_only=True), ())
        header = [cell_text(value) for value in first]
        while header and not header[-1]:
            header.pop()
        width = len(header)
        body = _read_rows(worksheet, path, width, cell_limit)
        # Trailing empty rows are formatting, not data.
        while body and not any(body[-1]):
            body.pop()
        return Sheet(worksheet.title, header, body)
    except _unreadable_errors() as exc:
        raise _unreadable(path, exc) from None
    finally:
        workbook.close()


def _read_rows(worksheet, path: Path, width: int, cell_limit: int) -> list[tuple[str, ...]]:
    # Only the header's width is read below it: cells further right are not data.
    rows = worksheet.iter_rows(min_row=2, max_col=max(width, 1), values_only=True)
    body = []
    for values in rows:
        if (len(body) + 1) * width > cell_limit:
            raise DataError([Fault(path.name, expected=(
                f"has more than {cell_limit:,} cells in sheet {worksheet.title!r} ({width:,} "
                f"columns; row {len(body) + 2:,} goes over), the most a sheet may hold: "
                + OVER_LIMIT_FIX))])  # fmt: skip
        cells = tuple(cell_text(value) for value in values[:width])
        body.append(cells + ("",) * (width - len(cells)))
    return body


def _unreadable(path: Path, exc: Exception) -> DataError:
    return DataError(
        [Fault(path.name, expected=f"cannot be read as an Excel workbook (.xlsx): {exc}")]
    )


def _open(path: Path):
    from openpyxl import load_workbook

    try:
        _check_parts(path)
        return load_workbook(path, read_only=True, data_only=True)
    except _unreadable_errors() as exc:
        raise _unreadable(path, exc) from None


def _check_parts(path: Path) -> None:
    """Raise DataError for a part that unpacks to more than :data:`PART_LIMIT` bytes.

    The sizes are those the zip file states; a part that unpacks to more than
    it states fails its check as it is read (zipfile reads no further).
    """
    with zipfile.ZipFile(path) as archive:
        for part in archive.infolist():
            if part.file_size > PART_LIMIT:
                raise DataError([Fault(path.name, value=part.filename, expected=(
                    f"unpacks to {part.file_size:,} bytes, more than the {PART_LIMIT:,} a part "
                    f"of a workbook may hold: {OVER_LIMIT_FIX}"))])  # fmt: skip


def _choose(workbook, path: Path, sheet: str | int | None, where: str):
    names = workbook.sheetnames
    if sheet is None:
        return workbook.worksheets[0]
    if isinstance(sheet, int):
        if 1 <= sheet <= len(names):
            return workbook.worksheets[sheet - 1]
        problem = f"{path.name} has {len(names)} sheet{'s' if len(names) != 1 else ''}"
    else:
        folded = {name.casefold(): name for name in names}
        if sheet.strip().casefold() in folded:
            return workbook[folded[sheet.strip().casefold()]]
        problem = f"{path.name} has no sheet {sheet!r}"
    listed = ", ".join(repr(name) for name in names)
    raise DataError(
        [
            Fault(
                where or path.name,
                value=str(sheet),
                expected=f"is not a sheet: {problem} (its sheets: {listed})",
            )
        ]
    )


def cell_text(value: object) -> str:
    """A cell's value as the contract's text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)
