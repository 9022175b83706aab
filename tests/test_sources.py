"""Reading a data folder: encodings, delimiters, headers, row numbers, unreadable files."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from processes import dossier, refused

from dossier.cli import main
from dossier.data.contract import TABLE
from dossier.data.sources import ROW, read_sources, read_table
from dossier.data.validate import load
from dossier.errors import DataError, DossierError

FORUMS = TABLE["forums"]
EXPORT = Path(__file__).resolve().parent / "fixtures" / "registry_export"
EVENTS = TABLE["events"]


def read(tmp_path: Path, content: bytes, table=FORUMS):
    path = tmp_path / table.file
    path.write_bytes(content)
    return read_table(path, table)


def only_fault(exc: pytest.ExceptionInfo[DataError]):
    assert len(exc.value.faults) == 1, exc.value.faults
    return exc.value.faults[0]


def test_utf8_without_bom(tmp_path):
    frame, source = read(tmp_path, "forum_id,name,kind\nN,Nämnden för ÅÄÖ,committee\n".encode())
    assert frame["name"].tolist() == ["Nämnden för ÅÄÖ"]
    assert source.encoding == "utf-8"
    assert source.delimiter == ","


def test_utf8_with_bom_does_not_spoil_the_first_header(tmp_path):
    content = b"\xef\xbb\xbf" + "forum_id,name,kind\nN,Nämnden,committee\n".encode()
    frame, source = read(tmp_path, content)
    assert frame["forum_id"].tolist() == ["N"]
    assert frame["name"].tolist() == ["Nämnden"]
    assert source.encoding == "utf-8-sig"


def test_windows_1252_comes_back_right(tmp_path):
    content = "forum_id;name;kind\nN;Länsstyrelsen i Jämtlands län, Östersund;external\n"
    frame, source = read(tmp_path, content.encode("cp1252"))
    assert frame["name"].tolist() == ["Länsstyrelsen i Jämtlands län, Östersund"]
    assert source.encoding == "cp1252"
    assert source.delimiter == ";"


def test_semicolon_delimiter_keeps_commas_in_values(tmp_path):
    content = b"forum_id;name;kind;description\nN;Namn, med komma;committee;a, b, c\n"
    frame, source = read(tmp_path, content)
    assert source.delimiter == ";"
    assert frame.loc[0, "name"] == "Namn, med komma"
    assert frame.loc[0, "description"] == "a, b, c"


def test_headers_match_in_any_case_and_with_spaces_and_unknown_columns_are_ignored(tmp_path):
    content = " Forum_ID ,NAME, Extra column ,  kind\nN,Nämnden,ignored,committee\n".encode()
    frame, _ = read(tmp_path, content)
    assert list(frame.columns) == [ROW, *FORUMS.column_names]
    assert frame.loc[0, "forum_id"] == "N"
    assert frame.loc[0, "kind"] == "committee"
    assert "ignored" not in frame.to_numpy().ravel().tolist()


def test_absent_optional_columns_are_empty_text_and_values_are_stripped(tmp_path):
    frame, _ = read(tmp_path, "forum_id,name,kind\n  N  , Nämnden ,committee\n".encode())
    assert frame.loc[0, "forum_id"] == "N"
    assert frame.loc[0, "name"] == "Nämnden"
    assert frame.loc[0, "chair"] == ""


def test_blank_lines_are_skipped_but_keep_their_row_numbers(tmp_path):
    content = b"forum_id,name,kind\nA,a,other\n\n,,\nB,b,other\n"
    frame, source = read(tmp_path, content)
    assert frame["forum_id"].tolist() == ["A", "B"]
    assert frame[ROW].tolist() == [2, 5]
    assert source.rows == 2


def test_crlf_line_endings(tmp_path):
    frame, _ = read(tmp_path, b"forum_id,name,kind\r\nA,a,other\r\n\r\nB,b,other\r\n")
    assert frame["kind"].tolist() == ["other", "other"]
    assert frame[ROW].tolist() == [2, 4]


def test_old_mac_line_endings(tmp_path):
    frame, _ = read(tmp_path, b"forum_id;name;kind\rA;a;other\rB;b;other")
    assert frame["forum_id"].tolist() == ["A", "B"]
    assert frame[ROW].tolist() == [2, 3]


def test_quoted_multi_line_value_is_one_row(tmp_path):
    content = (
        b'forum_id,name,kind,description\nA,a,other,"1. first point\n2. second point\n\nend"\n'
        b"B,b,other,plain\n"
    )
    frame, _ = read(tmp_path, content)
    assert frame.loc[0, "description"] == "1. first point\n2. second point\n\nend"
    assert frame["forum_id"].tolist() == ["A", "B"]
    # The spreadsheet shows the multi-line value in one row: B is row 3, not row 6.
    assert frame[ROW].tolist() == [2, 3]


@pytest.mark.parametrize(
    ("content", "row"),
    [
        (b"forum_id,name,kind\nA,a,other\nB,b,other,extra\nC,c,other\n", 3),
        (b"forum_id,name,kind\nA,a,other\n\nB,b,other,extra\n", 4),
        (b'forum_id,name,kind,description\nA,a,other,"x\n\ny"\nB,b,other,x,extra\n', 3),
    ],
    ids=["plain", "after-a-blank-line", "after-a-multi-line-value"],
)
def test_a_row_with_too_many_fields_names_its_row(tmp_path, content, row):
    with pytest.raises(DataError) as exc:
        read(tmp_path, content)
    fault = only_fault(exc)
    assert fault.file == "forums.csv"
    assert fault.row == row
    assert f"forums.csv row {row}: 'B,b,other," in str(exc.value)
    assert "fields where the header has" in str(exc.value)


def test_every_bad_row_is_reported(tmp_path):
    with pytest.raises(DataError) as exc:
        read(tmp_path, b"forum_id,name,kind\nA,a,other,x\nB,b,other\nC,c\n")
    assert [f.row for f in exc.value.faults] == [2, 4]
    assert "has 4 fields where the header has 3" in str(exc.value.faults[0])
    assert "has 2 fields where the header has 3" in str(exc.value.faults[1])


def test_a_file_that_is_neither_utf8_nor_windows_1252(tmp_path):
    # 0x81 and 0x8d are undefined in Windows-1252 and not valid UTF-8.
    with pytest.raises(DataError) as exc:
        read(tmp_path, b"forum_id,name,kind\nN,\x81\x8d,committee\n")
    fault = only_fault(exc)
    assert fault.file == "forums.csv"
    assert str(fault) == (
        "forums.csv is neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8)"
    )


def test_missing_required_column(tmp_path):
    with pytest.raises(DataError) as exc:
        read(tmp_path, b"forum_id,name\nN,Namnd\n")
    fault = only_fault(exc)
    assert (fault.file, fault.row, fault.column) == ("forums.csv", 1, "kind")
    assert str(fault) == (
        "forums.csv row 1, column kind is a required column and is missing from the header"
    )


def test_a_column_named_twice(tmp_path):
    with pytest.raises(DataError) as exc:
        read(tmp_path, b"forum_id,name,kind,Name\nN,a,committee,b\n")
    fault = only_fault(exc)
    assert (fault.file, fault.row, fault.column) == ("forums.csv", 1, "name")
    assert "appears twice in the header (column 4)" in str(fault)


def test_an_empty_file_has_no_header(tmp_path):
    with pytest.raises(DataError) as exc:
        read(tmp_path, b"")
    assert str(only_fault(exc)) == (
        "forums.csv row 1 has no header row (the first row names the columns)"
    )


@pytest.mark.parametrize("content", [b"forum_id,name,kind", b"forum_id,name,kind\n"])
def test_a_header_without_rows_is_an_empty_table(tmp_path, content):
    frame, source = read(tmp_path, content)
    assert frame.empty
    assert list(frame.columns) == [ROW, *FORUMS.column_names]
    assert source.rows == 0


def test_read_sources_describes_each_file(tmp_path, write_data):
    folder = write_data(tmp_path, agenda=None)
    sources = read_sources(folder)
    described = {f.table: f for f in sources.files}
    assert "agenda" not in described
    events = described["events"]
    assert events.rows == 3
    assert events.sha256 == hashlib.sha256((folder / "events.csv").read_bytes()).hexdigest()
    assert events.path == folder / "events.csv"
    # An absent optional table is an empty table with the contract's columns.
    assert sources.tables["agenda"].empty
    assert list(sources.tables["agenda"].columns) == [ROW, *TABLE["agenda"].column_names]


def test_read_sources_reports_every_unreadable_file_at_once(tmp_path, write_data):
    folder = write_data(
        tmp_path,
        forums=None,
        cases=b"case_id,title\n",
        events="event_id,case_id,date,kind,title\nx,A/1/2020,2020,other,t,extra\n",
    )
    with pytest.raises(DataError) as exc:
        read_sources(folder)
    where = [(f.file, f.row, f.column) for f in exc.value.faults]
    assert where == [
        ("cases.csv", 1, "opened"),
        ("cases.csv", 1, "status"),
        ("events.csv", 2, None),
        ("forums.csv", None, None),
    ]
    message = str(exc.value)
    assert message.startswith("4 faults in the source data:")
    assert f"forums.csv is missing from {folder} (it is required)" in message


def test_read_sources_wants_a_folder(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        read_sources(tmp_path / "nowhere")


# Property-based: whatever the files hold, reading them loads or raises a DossierError.


def _load_or_dossier_error(folder: Path) -> None:
    try:
        registry = load(folder)
    except DossierError:
        return
    for case_id in registry.case_ids:
        registry.case_file(case_id)


# write_data and valid_csv are session fixtures, so each example can use its own folder.
@settings(max_examples=80, deadline=None)
@given(
    table=st.sampled_from(["cases", "events"]),
    data=st.binary(max_size=400),
    after_header=st.booleans(),
)
@example(table="events", data=b"\r\x00", after_header=False)  # a lone CR in the header line
def test_arbitrary_bytes_load_or_raise_a_dossier_error(
    write_data, valid_csv, table, data, after_header
):
    if after_header:
        data = valid_csv[table].encode() + data
    with tempfile.TemporaryDirectory() as folder:
        _load_or_dossier_error(write_data(Path(folder), **{table: data}))


CELL = st.one_of(
    st.sampled_from(["A/1/2020", "A/2/2021", "N", "R", "M1", "e1", "2020-05", "2021",
                     "2023-02-30", "2022-13", "2024-06-13 09:00", "decided", "proposal",
                     "open", "closed", "committee", "1", "1.5", "", " ", "2٠٢١", "٣"]),
    st.text(max_size=10),
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    table=st.sampled_from(["cases", "events", "forums", "meetings", "agenda"]),
    rows=st.lists(st.lists(CELL, max_size=12), max_size=5),
    delimiter=st.sampled_from([",", ";"]),
    keep_valid_rows=st.booleans(),
)
# Arabic-Indic digits in the meeting that A/1/2020's agenda refers to.
@example(table="meetings", rows=[["M1", "N", "2٠24-06-13", "", "", ""]], delimiter=",",
         keep_valid_rows=False)  # fmt: skip
def test_arbitrary_rows_load_or_raise_a_dossier_error(
    write_data, valid_csv, table, rows, delimiter, keep_valid_rows
):
    lines = list(csv.reader(io.StringIO(valid_csv[table])))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows(lines if keep_valid_rows else lines[:1])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        _load_or_dossier_error(write_data(Path(folder), **{table: out.getvalue()}))


# --- Input no export holds: exit 2 with the file, row and column, and the fix ----------------


def check(folder: Path, capsys) -> tuple[int, str]:
    status = main(["check", "--data", str(folder)])
    out, err = capsys.readouterr()
    assert out == "" or status == 0
    return status, err


def events_with(valid_csv, row: int, column: str, value: str, extra: int = 0) -> str:
    """The valid events.csv with one cell set (row as a spreadsheet shows it) and extra columns."""
    rows = list(csv.reader(io.StringIO(valid_csv["events"])))
    rows[row - 1][rows[0].index(column)] = value
    for number, cells in enumerate(rows):
        cells += [f"extra {n}" if number == 0 else "z" * 120_000 for n in range(extra)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_a_header_field_over_the_field_limit_is_refused_naming_its_column(
    tmp_path, write_data, valid_csv, capsys
):
    header, rest = valid_csv["forums"].split("\n", 1)
    forums = f"{header},{'x' * 140_000}\n" + rest.replace("\n", ",\n")
    status, err = check(write_data(tmp_path, forums=forums), capsys)
    assert status == 2
    assert err == (
        "dossier: 1 fault in the source data:\n"
        f"  forums.csv row 1, column 7: '{'x' * 59}…' holds 140,000 characters, more than the "
        '131,072 a field may hold: if a quote (") opens this field and is never closed, close '
        "it; otherwise shorten the text\n"
    )


@pytest.mark.parametrize("length", [200_000, 3_000_000])  # within one of Arrow's blocks, and not
def test_a_value_over_the_field_limit_is_refused_naming_row_and_column(
    tmp_path, write_data, valid_csv, capsys, length
):
    events = events_with(valid_csv, 3, "description", "y" * length)
    status, err = check(write_data(tmp_path, events=events), capsys)
    assert status == 2
    assert f"events.csv row 3, column description: '{'y' * 59}…' holds {length:,} characters" in err
    assert err.count("\n") == 2


def test_a_row_longer_than_a_read_block_but_with_fields_in_the_limit_is_read(
    tmp_path, write_data, valid_csv, capsys
):
    # Ten unknown columns of 120,000 characters each: a row of 1.2 MB, over Arrow's 1 MiB block.
    events = events_with(valid_csv, 3, "description", "Lång rad", extra=10)
    status, err = check(write_data(tmp_path, events=events), capsys)
    assert (status, err) == (0, "")
    assert load(tmp_path).events["description"].tolist() == ["", "Lång rad", ""]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_is_refused_with_save_as_utf8(tmp_path, write_data, valid_csv, capsys, encoding):
    # "utf-16" writes a byte order mark (read as Windows-1252 before); "-le"/"-be" write none.
    status, err = check(write_data(tmp_path, forums=valid_csv["forums"].encode(encoding)), capsys)
    assert status == 2
    assert err == (
        "dossier: 1 fault in the source data:\n"
        "  forums.csv is UTF-16 text, which dossier does not read: save it as UTF-8 "
        "(in Excel: CSV UTF-8)\n"
    )


def test_a_nul_in_a_field_is_refused_naming_row_and_column(tmp_path, write_data, valid_csv, capsys):
    events = valid_csv["events"].replace("Dialog i rådet", "Dialog\x00 i rådet")
    status, err = check(write_data(tmp_path, events=events), capsys)
    assert status == 2
    assert err == (
        "dossier: 1 fault in the source data:\n"
        "  events.csv row 3, column title: 'Dialog\\x00 i rådet' holds a NUL character (\\x00), "
        "which text may not hold: remove it from the export\n"
    )


def test_a_nul_in_a_header_is_refused_naming_its_column(tmp_path, write_data, valid_csv, capsys):
    status, err = check(
        write_data(tmp_path, forums=valid_csv["forums"].replace("chair", "ch\x00air")), capsys
    )
    assert status == 2
    assert "forums.csv row 1, column 5: 'ch\\x00air' holds a NUL character" in err


def test_a_nul_in_a_mapped_export_names_the_exports_header(tmp_path, capsys):
    export = Path(shutil.copytree(EXPORT, tmp_path / "export"))
    cases = export / "ärenden.csv"
    cases.write_bytes(
        cases.read_bytes().replace("Länsgemensam".encode("cp1252"), b"L\x00nsgemensam", 1)
    )
    status, err = check(export, capsys)
    assert status == 2
    assert (
        "ärenden.csv row 2, column Ärendemening: 'L\\x00nsgemensam påverkansagenda' holds a NUL"
        in err
    )


# --- The list of cases a batch renders (--cases-file) -----------------------------------------


def batch_with_cases_file(tmp_path: Path, folder: Path, content: bytes | None, capsys, path=None):
    cases_file = path or tmp_path / "cases.txt"
    if content is not None:
        cases_file.write_bytes(content)
    out = tmp_path / "out"
    status = main(
        ["batch", "--data", str(folder), "--cases-file", str(cases_file), "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert not out.exists(), "nothing is written for a list that cannot be read"
    return status, captured.err


def test_a_windows_1252_cases_file_is_read_as_such(tmp_path, write_data, capsys):
    folder = write_data(tmp_path / "data")
    content = "# a list saved by Notepad\nÄrende Ö/1\n".encode("cp1252")
    status, err = batch_with_cases_file(tmp_path, folder, content, capsys)
    # The ID comes through whole: it is unknown to the data, and named as the file holds it.
    assert status == 2
    assert err.startswith("dossier: ") and "'Ärende Ö/1'" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "A/1/2020\n".encode("utf-16"),
            "is UTF-16 text, which dossier does not read: save it as UTF-8",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is not a text file (it holds NUL bytes)"),
        (b"A/1/2020\n\x81\x8d\n", "is neither UTF-8 nor Windows-1252 text"),
    ],
    ids=["utf-16", "binary", "neither"],
)
def test_a_cases_file_that_is_not_text_is_refused(tmp_path, write_data, capsys, content, problem):
    status, err = batch_with_cases_file(tmp_path, write_data(tmp_path / "data"), content, capsys)
    assert status == 2
    assert err.startswith(f"dossier: --cases-file {tmp_path / 'cases.txt'}: {problem}")


def test_dev_zero_as_cases_file_is_refused_by_its_size(tmp_path, write_data, capsys):
    status, err = batch_with_cases_file(
        tmp_path, write_data(tmp_path / "data"), None, capsys, path=Path("/dev/zero")
    )
    assert status == 2
    assert err == (
        "dossier: --cases-file /dev/zero: is larger than 16 MiB; a list of case IDs, one per "
        "line, is far smaller: is it the right file?\n"
    )


def test_a_missing_cases_file_is_refused(tmp_path, write_data, capsys):
    status, err = batch_with_cases_file(tmp_path, write_data(tmp_path / "data"), None, capsys)
    assert status == 2
    assert err == f"dossier: --cases-file {tmp_path / 'cases.txt'}: No such file or directory\n"


@pytest.mark.parametrize("where", ["parent", "absolute", "link"])
def test_a_data_file_outside_the_data_folder_is_refused_naming_the_entry(
    tmp_path, write_data, valid_csv, where
):
    """A mapped file (``..``, an absolute path, a link) may not bring another file into a dossier."""
    secret = tmp_path / "private" / "p.csv"
    secret.parent.mkdir()
    secret.write_text(valid_csv["documents"].replace("Tjänsteskrivelse", "HEMLIGT"), "utf-8")
    data = write_data(tmp_path / "data", documents=None)
    if where == "link":
        (data / "documents.csv").symlink_to(secret)
        named = ["documents.csv", str(secret), "outside the data folder"]
    else:
        entry = "../private/p.csv" if where == "parent" else str(secret)
        (data / "dossier.toml").write_text(f'[documents]\nfile = "{entry}"\n', "utf-8")
        named = ["dossier.toml line 2", entry, "outside the data folder"]
    refused(dossier("check", "--data", data), *named)
    refused(dossier("render", "A/1/2020", "--data", data, "--out", tmp_path / "out"), *named)
    assert not (tmp_path / "out").exists()


def test_a_data_file_linked_within_the_data_folder_is_read(tmp_path, write_data, valid_csv):
    data = write_data(tmp_path / "data", documents=None)
    (data / "exports").mkdir()
    (data / "exports" / "handlingar.csv").write_text(valid_csv["documents"], "utf-8")
    (data / "documents.csv").symlink_to(data / "exports" / "handlingar.csv")
    finished = dossier("check", "--data", data)
    assert finished.returncode == 0, finished.stderr
