"""Reading an Excel workbook: the limits that keep a small hostile file from taking the machine.

A workbook is a zip file: a few kilobytes can unpack to gigabytes (a part that
unpacks far), or to billions of cells (rows that reach column XFD). Both are
refused, naming the file and the fix, before they are read.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from dossier.cli import main
from dossier.data.xlsx import CELL_LIMIT, PART_LIMIT, read_sheet
from dossier.errors import DataError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
#: The last column Excel has (XFD).
LAST_COLUMN = 16_384


def data_with_events_workbook(tmp_path: Path, workbook: Path) -> Path:
    """The sample data folder with its events as ``events.xlsx`` (the workbook given)."""
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    (folder / "events.csv").unlink()
    shutil.move(workbook, folder / "events.xlsx")
    return folder


def check(folder: Path, capsys) -> tuple[int, str]:
    status = main(["check", "--data", str(folder)])
    out, err = capsys.readouterr()
    assert out == ""
    return status, err


def test_a_part_that_unpacks_over_the_limit_is_refused_before_it_is_read(tmp_path, capsys):
    small = tmp_path / "small.xlsx"
    workbook = Workbook()
    workbook.active.append(["case_id", "date", "kind", "title"])
    workbook.save(small)
    # The shared strings, 16 MiB over the limit: it packs to well under a megabyte.
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for part in source.infolist():
            out.writestr(part, source.read(part))
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            chunk = b"<si><t>" + b"x" * (1 << 20) + b"</t></si>"
            for _ in range(PART_LIMIT // len(chunk) + 16):
                strings.write(chunk)
            strings.write(b"</sst>")
    assert bomb.stat().st_size < 2 * 1024 * 1024
    size = zipfile.ZipFile(bomb).getinfo("xl/sharedStrings.xml").file_size
    status, err = check(data_with_events_workbook(tmp_path, bomb), capsys)
    assert status == 2
    assert err == (
        "dossier: 1 fault in the source data:\n"
        f"  events.xlsx: 'xl/sharedStrings.xml' unpacks to {size:,} bytes, more than the "
        f"{PART_LIMIT:,} a part of a workbook may hold: save the sheet as CSV UTF-8 and read "
        "that instead\n"
    )


def wide_workbook(path: Path, rows: int) -> Path:
    """A sheet whose header and every row reach Excel's last column: a few kilobytes on disk."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Händelser")
    sheet.append(["case_id", *[None] * (LAST_COLUMN - 2), "end"])
    for number in range(rows):
        sheet.append([f"RUN/{number}/2020", *[None] * (LAST_COLUMN - 2), "x"])
    workbook.save(path)
    return path


def test_a_sheet_over_the_cell_limit_is_refused_naming_the_row_that_goes_over(tmp_path, capsys):
    rows = CELL_LIMIT // LAST_COLUMN + 10
    workbook = wide_workbook(tmp_path / "wide.xlsx", rows)
    assert workbook.stat().st_size < 64 * 1024
    status, err = check(data_with_events_workbook(tmp_path, workbook), capsys)
    assert status == 2
    over = CELL_LIMIT // LAST_COLUMN + 2  # the first row that does not fit, as a spreadsheet counts
    assert err == (
        "dossier: 1 fault in the source data:\n"
        f"  events.xlsx has more than {CELL_LIMIT:,} cells in sheet 'Händelser' (16,384 columns; "
        f"row {over:,} goes over), the most a sheet may hold: save the sheet as CSV UTF-8 and "
        "read that instead\n"
    )


def test_cells_right_of_the_header_are_not_read_and_do_not_count(tmp_path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("S")
    sheet.append(["case_id", "title"])
    for number in range(50):
        sheet.append([f"A/{number}", "T", *[None] * (LAST_COLUMN - 3), "stray"])
    workbook.save(tmp_path / "stray.xlsx")
    read = read_sheet(tmp_path / "stray.xlsx", cell_limit=100)
    assert read.header == ["case_id", "title"]
    assert read.rows[-1] == ("A/49", "T") and len(read.rows) == 50
    with pytest.raises(DataError) as exc:
        read_sheet(tmp_path / "stray.xlsx", cell_limit=99)
    assert "row 51 goes over" in str(exc.value)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ('<c r="B2" t="inlineStr"><is><t>a&#0;b</t></is></c>', "reference to invalid character"),
        ('<c r="B2" t="s"><v>999</v></c>', "list index out of range"),  # no such shared string
    ],
    ids=["nul-in-xml", "shared-string-not-there"],
)
def test_a_damaged_sheet_is_refused_not_a_traceback(tmp_path, capsys, cell, problem):
    plain = tmp_path / "plain.xlsx"
    workbook = Workbook()
    workbook.active.append(["case_id", "title"])
    workbook.active.append(["RUN/168/2020", "PLACE"])
    workbook.save(plain)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(damaged, "w") as out:
        for name in source.namelist():
            part = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = re.sub(rb'<c r="B2"[^>]*>.*?</c>', cell.encode(), part)
                assert cell.encode() in part
            out.writestr(name, part)
    status, err = check(data_with_events_workbook(tmp_path, damaged), capsys)
    assert status == 2
    assert err.startswith(
        "dossier: 1 fault in the source data:\n"
        "  events.xlsx cannot be read as an Excel workbook (.xlsx): "
    )
    assert problem in err and err.count("\n") == 2


def test_what_openpyxl_leaves_out_of_a_workbook_is_not_said_on_the_terminal(tmp_path):
    """A defined name of a sheet that is not there: openpyxl warns, and drops the name, which
    is no data; the analyst's terminal shows the check's report only."""
    plain = tmp_path / "plain.xlsx"
    workbook = Workbook()
    with open(SAMPLE / "events.csv", encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            workbook.active.append(row)
    workbook.save(plain)
    named = tmp_path / "named.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(named, "w") as out:
        for name in source.namelist():
            part = source.read(name)
            if name == "xl/workbook.xml":
                part = part.replace(b"<definedNames/>", b'<definedNames><definedName name="Urval"'
                                    b' localSheetId="7">Sheet!$A$1</definedName></definedNames>')  # fmt: skip
                assert b"Urval" in part
            out.writestr(name, part)
    folder = data_with_events_workbook(tmp_path, named)
    done = subprocess.run([sys.executable, "-W", "default", "-m", "dossier.cli", "check",
                           "--data", folder], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "openpyxl" not in done.stderr
