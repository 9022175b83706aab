"""Bring your own export: aliases, the mapping file, Excel sources, --explain and init-mapping.

The fixture ``fixtures/registry_export/`` is the sample data as a registry would export it:
Swedish headers and labels, dates as ``30.05.2022`` and ``05.2022``, the case ID split over
three columns, cases in Windows-1252 with ``;``, the events as an Excel workbook. Read through
its ``dossier.toml`` it must be, to the toolkit, the same data as ``data/sample/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO
from openpyxl import Workbook, load_workbook

from dossier.cli import main
from dossier.content.parameters import DossierParameters
from dossier.data.aliases import ALIAS_INDEX, HEADER_ALIASES, LABEL_ALIASES, header_key
from dossier.data.contract import TABLE, TABLES
from dossier.data.mapping_file import key_lines, load_mapping
from dossier.data.mapping_guide import explain, starter_mapping
from dossier.data.mapping_plan import HowFound, plan_table
from dossier.data.sources import read_sources, read_table
from dossier.data.validate import load
from dossier.data.xlsx import cell_text, read_sheet
from dossier.errors import DataError
from dossier.run.job import prepare_job
from dossier.run.render import RenderOptions, build_dossier

SAMPLE = REPO / "data" / "sample"
EXPORT = Path(__file__).resolve().parent / "fixtures" / "registry_export"
CASES = ("RUN/168/2020", "RUN/136/2022")
EVENTS_XLSX = "händelser.xlsx"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A copy of the registry export that a test may change."""
    return Path(shutil.copytree(EXPORT, tmp_path / "export"))


def edit_toml(folder: Path, old: str, new: str) -> None:
    path = folder / "dossier.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def toml_line(folder: Path, text: str) -> int:
    lines = (folder / "dossier.toml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def edit_events(folder: Path, cells: dict[tuple[int, str], object]) -> None:
    """Set cells of the events sheet, each given by (row, header)."""
    path = folder / EVENTS_XLSX
    workbook = load_workbook(path)
    sheet = workbook["Händelser"]
    column = {cell.value: cell.column for cell in sheet[1]}
    for (row, header), value in cells.items():
        sheet.cell(row, column[header]).value = value
    workbook.save(path)


def faults(folder: Path, mapping: Path | None = None) -> list[str]:
    with pytest.raises(DataError) as exc:
        read_sources(folder, mapping)
    return [str(fault) for fault in exc.value.faults]


def check_exit(folder: Path, capsys, *extra: str) -> tuple[int, str, str]:
    status = main(["check", "--data", str(folder), *extra])
    out, err = capsys.readouterr()
    return status, out, err


# --- The same model as the sample ------------------------------------------------------------


def in_contract_terms(registry, case_id: str):
    """The case file without its sources, and its data notes naming the contract's files.

    A data note names the file its row is in: the export's own, as a fault does.
    """
    contract_name = {s.path.name: f"{s.table}.csv" for s in registry.sources}
    case_file = registry.case_file(case_id)
    notes = tuple(replace(n, file=contract_name[n.file]) for n in case_file.notes)
    return replace(case_file, sources=(), notes=notes)


def test_the_mapped_export_is_the_sample_to_the_toolkit():
    sample, mapped = load(SAMPLE), load(EXPORT)
    for table in TABLES:
        columns = list(table.column_names)
        ours = getattr(mapped, table.name)[columns].reset_index(drop=True)
        theirs = getattr(sample, table.name)[columns].reset_index(drop=True)
        assert ours.equals(theirs), table.name
    for case_id in CASES:
        assert in_contract_terms(mapped, case_id) == replace(sample.case_file(case_id), sources=())
    (note,) = mapped.case_file(CASES[0]).notes
    assert (note.file, note.row) == (EVENTS_XLSX, 2)


def test_sources_describe_the_files_read_xlsx_included():
    registry = load(EXPORT)
    by_table = {source.table: source for source in registry.sources}
    events = by_table["events"]
    assert events.path == EXPORT / EVENTS_XLSX
    assert events.sha256 == hashlib.sha256((EXPORT / EVENTS_XLSX).read_bytes()).hexdigest()
    assert (events.rows, events.encoding, events.delimiter) == (21, "xlsx", "Händelser")
    assert (by_table["cases"].path.name, by_table["cases"].encoding) == ("ärenden.csv", "cp1252")


def test_the_incremental_key_is_the_samples_and_the_manifest_names_the_export():
    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)))
    ours = prepare_job(load(EXPORT), CASES[1], EXPORT, options)
    theirs = prepare_job(load(SAMPLE), CASES[1], SAMPLE, options)
    # The key is made of the case's slice of the data: the same data, the same key.
    assert ours.key == theirs.key
    files = {source["file"] for source in ours.manifest["sources"]}
    assert EVENTS_XLSX in files and "events.csv" not in files
    # The other case has a data note, which names the export's file: a dossier of its own.
    ours = prepare_job(load(EXPORT), CASES[0], EXPORT, options)
    theirs = prepare_job(load(SAMPLE), CASES[0], SAMPLE, options)
    assert ours.key != theirs.key
    assert EVENTS_XLSX in ours.extract["notes.json"].decode("utf-8")


def test_check_reports_the_export_files(capsys):
    status, out, err = check_exit(EXPORT, capsys)
    assert (status, err) == (0, "")
    assert re.search(r"^  händelser\.xlsx +21  \(xlsx, 'Händelser'\)$", out, flags=re.M)
    assert re.search(r"^  ärenden\.csv +2  \(cp1252, ';'\)$", out, flags=re.M)


def test_mapping_option_reads_a_mapping_file_kept_elsewhere(export, tmp_path, capsys):
    kept = tmp_path / "elsewhere.toml"
    shutil.move(export / "dossier.toml", kept)
    assert main(["check", "--data", str(export)]) == 2
    capsys.readouterr()
    status, _, err = check_exit(export, capsys, "--mapping", str(kept))
    assert (status, err) == (0, "")
    assert len(load(export, mapping=kept).events) == 21


def test_a_mapping_option_that_names_no_file(capsys):
    status, _, err = check_exit(EXPORT, capsys, "--mapping", "/nonexistent/dossier.toml")
    assert status == 2
    assert "/nonexistent/dossier.toml is not a file (give --mapping the mapping file's path)" in err


# --- Built-in aliases: no configuration --------------------------------------------------------


def swedish_folder(folder: Path, write_data, **overrides: str) -> Path:
    """The small valid folder of conftest with cases.csv in Swedish headers and labels."""
    cases = (
        "Diarienummer;Ärendemening;Registreringsdatum;Status;Avslutad;Ansvarig nämnd\n"
        "A/1/2020;Första ärendet;2020-05;Pågående;;N\n"
        "A/2/2021;Andra ärendet;2021;Avslutad;2022-03-01;N\n"
    )
    return write_data(folder, **({"cases": cases} | overrides))


def test_swedish_headers_and_labels_need_no_configuration(tmp_path, write_data):
    registry = load(swedish_folder(tmp_path, write_data))
    cases = registry.cases
    assert cases["case_id"].tolist() == ["A/1/2020", "A/2/2021"]
    assert cases["status"].tolist() == ["open", "closed"]
    assert cases["owner_forum_id"].tolist() == ["N", "N"]
    assert cases["_row"].tolist() == [2, 3]


def test_every_alias_means_one_column_of_its_table():
    for table, columns in HEADER_ALIASES.items():
        seen: dict[str, str] = {}
        for column, aliases in columns.items():
            assert column in TABLE[table].column_names
            for alias in aliases:
                key = header_key(alias)
                assert seen.setdefault(key, column) == column, (table, alias)
                assert ALIAS_INDEX[table][key] == column
    for (table, column), labels in LABEL_ALIASES.items():
        assert set(labels.values()) <= set(TABLE[table].column(column).codes)


def test_an_ambiguous_alias_is_a_fault_with_the_fix(tmp_path, write_data, capsys):
    cases = (
        "Diarienummer;Ärendemening;Rubrik;Registreringsdatum;Status\n"
        "A/1/2020;Första;Första igen;2020-05;open\n"
        "A/2/2021;Andra;Andra igen;2021;open\n"
    )
    folder = swedish_folder(tmp_path, write_data, cases=cases)
    status, out, err = check_exit(folder, capsys)
    assert (status, out) == (2, "")
    assert (
        "cases.csv row 1, column title: 'Ärendemening, Rubrik' is ambiguous: 'Ärendemening' "
        "(column 2) and 'Rubrik' (column 3) could each be title; say which: "
        'add `"Rubrik" = "title"` under `[cases.columns]` in dossier.toml'
    ) in err


def test_an_ambiguous_required_column_is_one_fault_not_also_a_missing_one(
    tmp_path, write_data, capsys
):
    cases = (
        "Diarienummer;Ärendemening;Rubrik;Registreringsdatum;Status\n"
        "A/1/2020;Första;Första igen;2020-05;open\n"
    )
    status, _, err = check_exit(swedish_folder(tmp_path, write_data, cases=cases), capsys)
    assert status == 2 and "is ambiguous" in err
    assert "column title is a required column" not in err


def test_contract_names_and_aliases_are_matched_through_one_case_folding():
    # casefold, not lower: the long s folds to s, so "ſtatus" is the contract's "status".
    plan = plan_table(TABLE["cases"], [" CASE_ID ", "Ärendemening", "ſtatus", "OPENED"])
    how = {column: origin.how for column, origin in plan.origins.items()}
    assert how == {"case_id": HowFound.CONTRACT, "title": HowFound.ALIAS, "status": HowFound.CONTRACT,
                   "opened": HowFound.CONTRACT, "closed": HowFound.NONE, "owner_forum_id": HowFound.NONE,
                   "responsible": HowFound.NONE, "summary": HowFound.NONE}  # fmt: skip
    # Origins are text where they are written out: the enum is its old string.
    assert str(how["title"]) == "alias" and f"{how['case_id']}" == "contract"
    with pytest.raises(DataError) as exc:
        plan_table(TABLE["cases"], ["case_id", "title", "CASE_ID", "opened", "status"])
    assert [(f.column, f.value, f.expected) for f in exc.value.faults] == [
        ("case_id", "CASE_ID", "appears twice in the header (column 3); keep one")
    ]


def test_a_contract_name_wins_over_an_alias(tmp_path, write_data):
    forums = "forum_id,name,kind,Namn\nN,Nämnden,committee,Annat namn\nR,Rådet,council,x\n"
    frame, _ = read_table(write_data(tmp_path, forums=forums) / "forums.csv", TABLE["forums"])
    assert frame["name"].tolist() == ["Nämnden", "Rådet"]


def test_contract_files_are_read_as_they_are(tmp_path, write_data, valid_csv):
    header = valid_csv["events"].splitlines()[0]
    plan = plan_table(TABLE["events"], header.split(","))
    assert plan.plain
    # A contract file keeps the contract's codes: a Swedish label there is a fault, as ever.
    events = valid_csv["events"].replace("decided", "Beslutad")
    with pytest.raises(DataError) as exc:
        load(write_data(tmp_path, events=events), strict=True)
    assert [(f.file, f.row, f.column, f.value) for f in exc.value.faults] == [
        ("events.csv", 4, "kind", "Beslutad")
    ]


# --- Faults in the mapping file: its line, and the fix -----------------------------------------


def test_an_unknown_key_names_its_line_and_the_nearest_key(export, capsys):
    edit_toml(export, "[events.columns]", "[events.colums]")
    edit_toml(export, 'file = "dagordning.csv"', 'file = "dagordning.csv"\nsheets = 2')
    status, out, err = check_exit(export, capsys)
    assert (status, out) == (2, "")
    assert (
        f"dossier.toml line {toml_line(export, '[events.colums]')}: 'colums' is not a key of "
        "[events]; did you mean 'columns'?"
    ) in err
    assert (
        f"dossier.toml line {toml_line(export, 'sheets = 2')}: 'sheets' is not a key of "
        "[agenda]; did you mean 'sheet'?"
    ) in err


def test_an_unknown_top_level_key(export):
    path = export / "dossier.toml"
    path.write_text("[event]\nfile = 'x.csv'\n" + path.read_text(encoding="utf-8"), "utf-8")
    assert faults(export)[0].startswith(
        "dossier.toml line 1: 'event' is not a key at the top of the mapping file; "
        "did you mean 'events'?"
    )


def test_an_unknown_target_column(export):
    edit_toml(export, '"Åtgärd" = "kind"', '"Åtgärd" = "kinds"')
    line = toml_line(export, '"Åtgärd" = "kinds"')
    assert faults(export) == [
        f"dossier.toml line {line}: 'kinds' is not a column of events; did you mean 'kind'? "
        f"(columns: {', '.join(TABLE['events'].column_names)})"
    ]


def test_a_label_mapped_to_a_kind_that_does_not_exist(export):
    edit_toml(export, '"Påverkansarbete" = "other"', '"Påverkansarbete" = "influence"')
    line = toml_line(export, '"Påverkansarbete" = "influence"')
    (fault,) = faults(export)
    assert fault.startswith(f"dossier.toml line {line}: 'influence' is not a kind (use one of: ")


def test_a_mapped_column_that_is_not_in_the_header(export):
    edit_toml(export, '"Åtgärd" = "kind"', '"Atgärd" = "kind"')
    line = toml_line(export, '"Atgärd" = "kind"')
    (fault,) = faults(export)
    assert fault.startswith(
        f"dossier.toml line {line}: 'Atgärd' mapped in [columns] is not a column of "
        f"{EVENTS_XLSX}; did you mean 'Åtgärd'?"
    )


def test_a_build_from_a_column_that_is_not_there(export):
    edit_toml(export, 'case_id = "{Diarieprefix}/{Löpnummer}/{Årtal}"\n\n[cases.defaults]',
              'case_id = "{Diarieprefix}/{Lopnummer}/{Årtal}"\n\n[cases.defaults]')  # fmt: skip
    (fault,) = faults(export)
    line = toml_line(export, "{Lopnummer}")
    assert fault.startswith(
        f"dossier.toml line {line}: 'Lopnummer' in build.case_id is not a column of ärenden.csv"
    )
    assert "did you mean 'Löpnummer'?" in fault


def test_a_file_that_is_not_there(export):
    edit_toml(export, 'file = "handlingar.csv"', 'file = "dokument.csv"')
    line = toml_line(export, 'file = "dokument.csv"')
    assert faults(export) == [
        f"dossier.toml line {line}: 'dokument.csv' is not a file in {export} "
        "(name the export's file for documents)"
    ]


def test_a_sheet_that_is_not_there(export):
    edit_toml(export, 'sheet = "Händelser"', 'sheet = "Handelser"')
    line = toml_line(export, 'sheet = "Handelser"')
    assert faults(export) == [
        f"dossier.toml line {line}: 'Handelser' is not a sheet: {EVENTS_XLSX} has no sheet "
        "'Handelser' (its sheets: 'Händelser', 'Förklaringar')"
    ]


def test_a_sheet_for_a_csv_file(export):
    edit_toml(export, 'file = "instanser.csv"', 'file = "instanser.csv"\nsheet = "Blad1"')
    line = toml_line(export, 'sheet = "Blad1"')
    assert faults(export) == [
        f"dossier.toml line {line}: 'Blad1' names a sheet, but instanser.csv is a CSV file: "
        "remove the line"
    ]


def test_a_file_that_is_not_toml(export):
    (export / "dossier.toml").write_text("[events\nfile = 1\n", encoding="utf-8")
    (fault,) = faults(export)
    assert fault.startswith("dossier.toml is not valid TOML: ")
    assert "line 1" in fault


def test_a_mapping_file_nested_too_deeply_is_refused(export, capsys):
    # tomllib reads nesting by recursion: this used to end in a RecursionError's traceback.
    (export / "dossier.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    status, out, err = check_exit(export, capsys)
    assert (status, out) == (2, "")
    assert err == (
        "dossier: 1 fault in the source data:\n  dossier.toml is nested too deeply to be read (arrays "
        "or inline tables within each other hundreds of times); a mapping file needs two levels "
        "at most, e.g. [events.kinds]\n"
    )


def test_a_build_pads_to_twenty_digits_at_most(export, capsys):
    # "{Löpnummer:0999999999}" used to pad every ID to a billion digits (gigabytes per row).
    edit_toml(
        export,
        '"{Diarieprefix}/{Löpnummer}/{Årtal}"',
        '"{Diarieprefix}/{Löpnummer:0999999999}/{Årtal}"',
    )
    status, out, err = check_exit(export, capsys)
    assert (status, out) == (2, "")
    line = toml_line(export, "0999999999")
    assert err == (
        f"dossier: 1 fault in the source data:\n  dossier.toml line {line}: "
        "'{Diarieprefix}/{Löpnummer:0999999999}/{Årtal}' pads {Löpnummer} to 999,999,999 digits; "
        'a build pads to 20 at most, e.g. "{Löpnummer:04}"\n'
    )
    edit_toml(export, "0999999999", "020")
    assert "pads" not in check_exit(export, capsys)[2]  # 20 digits are read


def test_a_mapped_date_outside_the_years_read_says_so(export, capsys):
    documents = export / "handlingar.csv"
    documents.write_text(documents.read_text(encoding="utf-8").replace("30.05.2022", "01.01.0001"),
                         encoding="utf-8")  # fmt: skip
    edit_events(export, {(4, "Händelsedatum"): "0001-01-01"})
    status, out, err = check_exit(export, capsys, "--strict")
    assert (status, out) == (2, "")
    years = "is outside the years dossier reads, 1000 to 9999: correct it, or leave the cell empty"
    assert f"handlingar.csv row 2, column Datum (date): '01.01.0001' {years}" in err
    assert f"{EVENTS_XLSX} row 4, column Händelsedatum (date): '0001-01-01' {years}" in err
    assert err.count("\n") == 3


def test_key_lines_follow_tables_quotes_and_dotted_keys():
    text = (
        "# comment\n"
        'date_formats = ["%d.%m.%Y",\n  "%Y%m%d"]\n'
        "[events]\n"
        "file = 'x.xlsx'\n"
        "columns.Dnr = 'case_id'\n"
        '[events.kinds]\n"Återremitterad" = "referred_back"\n'
    )
    assert key_lines(text) == {
        ("date_formats",): 2,
        ("events",): 4,
        ("events", "file"): 5,
        ("events", "columns", "Dnr"): 6,
        ("events", "kinds"): 7,
        ("events", "kinds", "Återremitterad"): 8,
    }


def test_an_unknown_date_format_key_value(export):
    edit_toml(export, 'date_formats = ["%d.%m.%Y", "%m.%Y"]', 'date_formats = ["dd.mm.yyyy"]')
    line = toml_line(export, "dd.mm.yyyy")
    (fault,) = faults(export)
    assert fault.startswith(f"dossier.toml line {line}: 'dd.mm.yyyy' is not a date format")


# --- Faults in mapped data: the export's file, row and header ---------------------------------


def test_a_date_in_none_of_the_formats(export, capsys):
    edit_events(export, {(4, "Händelsedatum"): "2022/05/30", (5, "Händelsedatum"): "31.02.2022"})
    status, out, err = check_exit(export, capsys, "--strict")
    assert (status, out) == (2, "")
    head = (
        "is not a date in the contract's form (YYYY-MM-DD, YYYY-MM or YYYY) "
        "nor in any of the formats %d.%m.%Y, %m.%Y"
    )
    assert (
        f"{EVENTS_XLSX} row 4, column Händelsedatum (date): '2022/05/30' {head}; the format "
        '"%Y/%m/%d" reads it: if the export writes dates this way, write '
        '`date_formats = ["%d.%m.%Y", "%m.%Y", "%Y/%m/%d"]` under [events] in dossier.toml'
    ) in err
    assert f"{EVENTS_XLSX} row 5, column Händelsedatum (date): '31.02.2022' {head}: correct the value" in err  # fmt: skip


def test_a_contract_shaped_date_that_is_no_day(export):
    edit_events(export, {(3, "Slutdatum"): "2023-02-30"})
    (fault,) = faults(export)
    assert fault.startswith(f"{EVENTS_XLSX} row 3, column Slutdatum (end_date): '2023-02-30' is not a date")  # fmt: skip


def test_a_label_without_mapping_says_what_to_add(export, capsys):
    edit_events(export, {(5, "Åtgärd"): "Återremitterat till förvaltningen", (9, "Åtgärd"): "Återremitterat till förvaltningen"})  # fmt: skip
    status, _, err = check_exit(export, capsys)
    assert status == 2
    assert (
        f"{EVENTS_XLSX} row 5, column Åtgärd (kind): 'Återremitterat till förvaltningen' is a "
        "kind label with no mapping (2 rows; this is the first): add "
        '`"Återremitterat till förvaltningen" = "referred_back"` under `[events.kinds]` '
        "in dossier.toml (a guess: check it;"
    ) in err
    # Reported once per label, not again by the contract's check of every row.
    assert err.count("Återremitterat till förvaltningen") == 2


def test_contract_faults_in_mapped_data_name_the_export(export):
    edit_events(export, {(7, "Rubrik"): None, (8, "Instans"): "XYZ", (10, "Händelse-ID"): "168-01"})
    found = faults(export)
    assert f"{EVENTS_XLSX} row 7, column Rubrik (title): '' is empty; this column is required" in found  # fmt: skip
    assert (
        f"{EVENTS_XLSX} row 8, column Instans (forum_id): 'XYZ' is not a forum_id in "
        "instanser.csv (add it there or correct the reference)"
    ) in found
    assert (
        f"{EVENTS_XLSX} row 10, column Händelse-ID (event_id): '168-01' repeats row 2; "
        "event_id must be unique"
    ) in found
    assert len(found) == 3


def test_a_built_column_with_a_missing_part_names_its_parts(export):
    edit_events(export, {(6, "Löpnummer"): None})
    (fault,) = faults(export)
    assert fault == (
        f"{EVENTS_XLSX} row 6, column case_id (built from Diarieprefix, Löpnummer, Årtal): '' "
        "is empty; this column is required"
    )


def test_a_period_that_ends_before_it_starts(export):
    edit_events(export, {(3, "Slutdatum"): "04.2020"})
    (fault,) = faults(export)
    assert fault == (
        f"{EVENTS_XLSX} row 3, column Slutdatum (end_date): '2020-04' is before date '2020-05'; "
        "a period cannot end before it starts"
    )


# --- Building, defaults, zero padding ---------------------------------------------------------


def test_defaults_fill_empty_cells_and_builds_pad_with_zeros(tmp_path, write_data):
    events = "event_id,case_id,date,kind,title\ne1,A 2020/0001,2020-06,registered,R\n"
    folder = write_data(tmp_path, events=events, agenda=None, relations=None, documents=None)
    (folder / "cases.csv").write_text(
        "Serie;Nr;År;Rubrik;Datum;Status;Nämnd\n"
        "A;1;2020;Första;30.05.2020;Pågående;\n"
        "A;2;2021;Andra;2021;Avslutad;R\n",
        encoding="utf-8",
    )
    (folder / "dossier.toml").write_text(
        '[cases]\ndate_formats = ["%d.%m.%Y"]\n[cases.columns]\n"Datum" = "opened"\n'
        '"Nämnd" = "owner_forum_id"\n[cases.build]\ncase_id = "{Serie} {År}/{Nr:04}"\n'
        '[cases.defaults]\nowner_forum_id = "N"\n',
        encoding="utf-8",
    )
    cases = load(folder).cases
    assert cases["case_id"].tolist() == ["A 2020/0001", "A 2021/0002"]
    assert cases["opened"].tolist() == ["2020-05-30", "2021"]
    assert cases["owner_forum_id"].tolist() == ["N", "R"]


# --- Excel -----------------------------------------------------------------------------------


def test_excel_cells_become_contract_text(tmp_path):
    workbook = Workbook()
    first = workbook.active
    first.title = "Först"
    first.append(["Kod", "Datum", "Tal", "Tid", "Tom"])
    first.append(["A", dt.datetime(2022, 5, 30), 168.0, dt.datetime(2023, 6, 13, 9, 0), None])
    first.append([])
    first.append(["B", dt.date(2021, 1, 2), 1.5, True, 7])
    first.append([])
    workbook.create_sheet("Andra").append(["x"])
    path = tmp_path / "bok.xlsx"
    workbook.save(path)
    sheet = read_sheet(path)
    assert sheet.name == "Först"
    assert sheet.header == ["Kod", "Datum", "Tal", "Tid", "Tom"]
    assert sheet.rows == [
        ("A", "2022-05-30", "168", "2023-06-13 09:00", ""),
        ("", "", "", "", ""),
        ("B", "2021-01-02", "1.5", "TRUE", "7"),
    ]
    assert read_sheet(path, "andra").header == ["x"]
    assert read_sheet(path, 2).name == "Andra"
    assert cell_text(dt.time(9, 5)) == "09:05"


def test_an_xlsx_named_for_its_table_is_read_without_configuration(tmp_path, write_data, valid_csv):
    folder = write_data(tmp_path, forums=None)
    workbook = Workbook()
    for line in valid_csv["forums"].splitlines():
        workbook.active.append(line.split(","))
    workbook.active.append([])
    workbook.active.append(["X", "Externa", "Extern aktör"])
    workbook.save(folder / "forums.xlsx")
    registry = load(folder)
    assert registry.forums["kind"].tolist() == ["committee", "council", "external"]
    # The blank row keeps its number: the row after it is row 5, as Excel shows it.
    assert registry.forums["_row"].tolist() == [2, 3, 5]


def test_a_file_that_is_not_a_workbook(tmp_path, write_data):
    folder = write_data(tmp_path, forums=None)
    (folder / "forums.xlsx").write_bytes(b"not a zip")
    assert faults(folder)[0].startswith("forums.xlsx cannot be read as an Excel workbook (.xlsx)")


# --- dossier check --explain ---------------------------------------------------------------


def test_explain_shows_every_column_and_label_and_nothing_unmapped(capsys):
    status, out, err = check_exit(EXPORT, capsys, "--explain")
    assert (status, err) == (0, "")
    explained, _ = out.split("\n\nData folder OK:")
    assert f"events ← {EVENTS_XLSX} (sheet 'Händelser'), 21 rows" in explained
    line = toml_line(EXPORT, '"Åtgärd" = "kind"')
    assert re.search(rf"^    Åtgärd +→ kind +dossier\.toml line {line}$", explained, re.M)
    assert re.search(r"^    Händelsedatum +→ date +built-in alias$", explained, re.M)
    assert re.search(r"^    Diarieprefix, Löpnummer, Årtal → case_id +built as ", explained, re.M)
    assert re.search(r"^    'Återremitterad' +1 row → referred_back +built-in label$", explained, re.M)  # fmt: skip
    assert "dates in Händelsedatum (date): 10 already contract dates, 11 in %m.%Y" in explained
    assert explained.endswith("Unmapped: nothing")


def test_explain_lists_what_is_unmapped_with_rows_and_the_line_to_add(export, capsys):
    edit_events(export, {(row, "Åtgärd"): "Återremitterat ärende" for row in (3, 4, 5)})
    status, out, err = check_exit(export, capsys, "--explain")
    assert status == 2
    assert (
        "kind label 'Återremitterat ärende' (3 rows) has no mapping: add "
        '`"Återremitterat ärende" = "referred_back"` under `[events.kinds]` in dossier.toml '
        "(a guess: check it)"
    ) in out
    assert "Unmapped: 1" in out
    assert "row 3, column Åtgärd (kind)" in err


def test_explain_without_a_mapping_file(tmp_path, write_data):
    text = explain(swedish_folder(tmp_path, write_data))
    assert text.startswith("Mapping file: none (no dossier.toml; built-in aliases only)")
    assert "events ← events.csv: a contract file, read as it is (3 rows)" in text
    assert re.search(r"^    Diarienummer +→ case_id +built-in alias$", text, re.M)


# --- dossier init-mapping ------------------------------------------------------------------


def test_init_mapping_writes_a_starter_that_reads_the_export(export, capsys):
    (export / "dossier.toml").unlink()
    assert main(["init-mapping", "--data", str(export)]) == 0
    written = export / "dossier.toml"
    assert capsys.readouterr().out.strip() == str(written)
    text = written.read_text(encoding="utf-8")
    assert f'file = "{EVENTS_XLSX}"  # guess' in text
    assert 'case_id = "{Diarieprefix}/{Löpnummer}/{Årtal}"  # guess' in text
    assert '"Påverkansarbete" = "other"  # guess (5 rows)' in text
    assert '"Återremitterad" = "referred_back"  # built-in (1 row)' in text
    assert '"Händelsedatum" = "date"  # built-in' in text
    assert "# no source for owner_forum_id: map a column to each, or give one value" in text
    load_mapping(written)  # no unknown key, no unknown column or code
    # It reads the export as its own mapping does, but for what it cannot know: the owner.
    ours, theirs = load(export).case_file(CASES[0]), load(SAMPLE).case_file(CASES[0])
    assert ours.events == theirs.events
    assert ours.case == replace(theirs.case, owner_forum_id="")


def test_init_mapping_does_not_overwrite(capsys):
    assert main(["init-mapping", "--data", str(EXPORT)]) == 2
    assert "dossier.toml exists; use --force" in capsys.readouterr().err


def test_a_starter_marks_what_it_cannot_place(tmp_path):
    (tmp_path / "lista.csv").write_text("Dnr;Kolumn X;Status\nA/1;x;Vilande\n", encoding="utf-8")
    text = starter_mapping(tmp_path)
    assert '"Kolumn X" = ""  # guess: no contract column; left out' in text
    assert '"Vilande" = "open"  # guess (1 row); use one of: open, closed' in text
    assert "# required column title has no source yet" in text
    assert "# [events]: no file here looks like events (required)" in text


def test_a_starter_never_reads_a_file_a_link_leads_out_of_the_folder_to(tmp_path):
    """A file linked in from elsewhere is not the export's: its values stay out of dossier.toml."""
    private = tmp_path / "privat.csv"
    private.write_text("Dnr;Hemlig kolumn;Status\nA/1;x;Hemligt läge\n", encoding="utf-8")
    export = tmp_path / "export"
    export.mkdir()
    (export / "lista.csv").symlink_to(private)
    text = starter_mapping(export)
    assert "Hemlig" not in text and "lista.csv" not in text


def test_a_missing_contract_file_points_at_init_mapping(export):
    (export / "dossier.toml").unlink()
    assert f"`dossier init-mapping --data {export}`" in faults(export)[0]


# --- The dossier itself --------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils (CI's .ci/run does)")
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)  # fmt: skip
    return done.stdout.decode("utf-8")


def normalised(text: str, files: dict[str, str]) -> str:
    """``text`` with the source files' hashes (and the one line's short ones: the data's, the
    dossier's key) blanked and their names as the contract's."""
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = re.sub(r"\b(data|nyckel) [0-9a-f]{12}\b", r"\1 <hash>", text)
    for name, contract in files.items():
        for after in ("\n", " ", ","):  # alone on a line, or a data note's "file, rad 2"
            text = text.replace(f"\n{name}{after}", f"\n{contract}{after}")
    return text


@pytest.mark.kernel
@pytest.mark.xdist_group("mapping")
def test_the_dossier_from_the_export_reads_as_the_samples(tmp_path):
    options = RenderOptions(DossierParameters(lang="sv", as_of=dt.date(2023, 6, 1)), formats=("pdf",))
    texts = {}
    for name, data in (("sample", SAMPLE), ("export", EXPORT)):
        files = build_dossier(CASES[0], data_dir=data, out_dir=tmp_path / name, options=options)
        texts[name] = pdf_text(files.pdf)
    provenance = texts["export"].partition("\nUrsprung\n")[2]
    assert f"\n{EVENTS_XLSX}\n\n21\n" in provenance
    files = {s.path.name: f"{s.table}.csv" for s in load(EXPORT).sources}
    assert normalised(texts["export"], files) == normalised(texts["sample"], {})


def test_the_readmes_example_maps_the_export(export, tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bring your own export", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    (export / "dossier.toml").write_text(example, encoding="utf-8")
    mapped, sample = load(export), load(SAMPLE)
    for case_id in CASES:
        assert in_contract_terms(mapped, case_id) == replace(sample.case_file(case_id), sources=())


def test_a_mail_table_in_the_same_file_is_not_a_mapping_fault(export):
    path = export / "dossier.toml"
    mail = '\n[mail]\nhost = "smtp.example.org"\nfrom = "analys@example.org"\n'
    path.write_text(path.read_text(encoding="utf-8") + mail, "utf-8")
    assert load(export).case("RUN/168/2020").title == "Länsgemensam påverkansagenda"


def test_an_export_read_through_a_mapping_file_has_its_faults_contained_in_its_own_terms(
    tmp_path, capsys
):
    """A bad date or an unknown reference in a mapped export costs its row, named as the export
    names file and column; a label the mapping does not translate still stops the folder."""
    export = Path(shutil.copytree(EXPORT, tmp_path / "export"))
    edit_events(export, {(4, "Händelsedatum"): "31.02.2022"})
    documents = export / "handlingar.csv"
    documents.write_text(documents.read_text(encoding="utf-8") + "RUN/999/2020;2023;X;Rapport;\n",
                         encoding="utf-8")  # fmt: skip
    assert main(["check", "--data", str(export)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dossier: 2 faults in the source data:\n")
    assert f"  {EVENTS_XLSX} row 4, column Händelsedatum (date): '31.02.2022' is not a date" in err
    assert "  handlingar.csv row 4, column Dnr (case_id): 'RUN/999/2020' is not a case_id in ärenden.csv" in err

    registry = load(export)
    (note,) = [n for notes in registry.notes.values() for n in notes if n.code == "row_left_out"]
    assert note.where("sv") == f"{EVENTS_XLSX}, rad 4"
    assert note.text("sv") == (
        "Raden är utelämnad ur underlaget: Händelsedatum (date) ”31.02.2022” är inget datum."
    )
    assert len(registry.events) == len(load(EXPORT).events) - 1

    edit_events(export, {(5, "Åtgärd"): "Konstig"})
    assert main(["check", "--data", str(export)]) == 2
    assert "'Konstig' is a kind label with no mapping" in capsys.readouterr().err
