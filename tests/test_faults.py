"""A fault confined to one case's rows costs those rows: named in the case's data notes, never
the folder; a case whose own row is faulty fails alone."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from batch_runs import read_table, write_table
from conftest import REPO, SAMPLE_DATA

from dossier.cli import main
from dossier.content.parameters import DossierParameters
from dossier.data.synthetic import generate
from dossier.data.validate import load
from dossier.errors import DataError
from dossier.run.job import RenderOptions, prepare_job

#: Seconds a batch may take in these tests before it counts as hung.
LIMIT = 300


def spoil(folder: Path, case_ids: list[str]) -> None:
    """Give each case of ``case_ids`` one fault of its own, in turn of every kind a real
    export holds: a bad date, a period that ends before it starts, an event ID used twice in
    the case, an unknown forum, an agenda item without a number, a bad row of its own."""
    tables = {name: read_table(folder / f"{name}.csv") for name in ("cases", "events", "agenda")}
    events = tables["events"][1]
    for number, case_id in enumerate(case_ids):
        own = [e for e in events if e["case_id"] == case_id]
        kind = number % 6
        if kind == 0:
            own[0]["date"] = "2022-13"
        elif kind == 1:
            own[0]["end_date"], own[0]["date"] = "2018-01", "2019-05"
        elif kind == 2:
            own[1]["event_id"] = own[0]["event_id"]
        elif kind == 3:
            own[0]["forum_id"] = "NO-SUCH-FORUM"
        elif kind == 4:
            tables["agenda"][1].append({"meeting_id": tables["agenda"][1][0]["meeting_id"],
                                        "item": "", "case_id": case_id, "title": "", "proposal": ""})  # fmt: skip
        else:
            case = next(c for c in tables["cases"][1] if c["case_id"] == case_id)
            case["opened"] = "maj 2020"
    for name, (columns, table) in tables.items():
        write_table(folder / f"{name}.csv", columns, table)


def fault_cases(folder: Path, err: str) -> set[str]:
    """The cases whose rows the fault lines of ``err`` name."""
    by_row = {}
    for name in ("cases", "events", "agenda"):
        for number, row in enumerate(read_table(folder / f"{name}.csv")[1], start=2):
            by_row[(f"{name}.csv", number)] = row["case_id"]
    found = re.findall(r"^  (\w+\.csv) row (\d+), column", err, flags=re.MULTILINE)
    return {by_row[(file, int(row))] for file, row in found}


def test_a_thousand_cases_with_faults_in_twenty_cost_those_twenty_only(tmp_path, capsys):
    folder = tmp_path / "data"
    generate(folder, cases=1000, events_per_case=4, seed=3)
    all_cases = [row["case_id"] for row in read_table(folder / "cases.csv")[1]]
    spoiled = all_cases[::50]
    assert len(spoiled) == 20
    spoil(folder, spoiled)

    assert main(["check", "--data", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert fault_cases(folder, err) == set(spoiled)
    assert err.startswith("dossier: 20 faults in the source data:\n")
    unusable = spoiled[5::6]
    assert f"{len(unusable)} case(s) cannot be rendered" in err
    assert out.startswith("Data folder usable, faulty rows left out: ")

    registry = load(folder)
    assert sorted(registry.unusable) == sorted(unusable)
    noted = {case_id for case_id, notes in registry.notes.items()
             if any(n.code in ("row_left_out", "agenda_item_empty") for n in notes)}  # fmt: skip
    assert noted == set(spoiled) - set(unusable)
    # Each case but the spoiled ones has every row the export gives it.
    for case_id in all_cases[1:50]:
        assert not {n.code for n in registry.case_notes(case_id)} & {"row_left_out", "related_unusable"}

    assert main(["check", "--strict", "--data", str(folder)]) == 2
    assert fault_cases(folder, capsys.readouterr().err) == set(spoiled)


def test_a_row_put_right_makes_its_dossier_stale(tmp_path, write_data, valid_csv):
    """The key holds which rows were left out and why: the dossier is rendered again when a
    faulty row is put right, or is wrong in another way."""
    options = RenderOptions(DossierParameters(as_of=dt.date(2024, 6, 1)), formats=("html",))

    def key(event: str) -> str:
        data = write_data(tmp_path / event, events=valid_csv["events"] + event + "\n")
        return prepare_job(load(data), "A/1/2020", data, options).key

    wrong = key("e4,A/1/2020,2022-13,,other,,T,,,,")
    wrong_otherwise = key("e4,A/1/2020,2022-14,,other,,T,,,,")
    right = key("e4,A/1/2020,2022-12,,other,,T,,,,")
    assert len({wrong, wrong_otherwise, right}) == 3


# -- as a user meets it: a batch, a render ----------------------------------------------------


def dossier(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dossier.cli", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=LIMIT)  # fmt: skip


@pytest.fixture
def faulty_meeting(tmp_path, write_data, valid_csv) -> Path:
    """Meeting M1's agenda: A/1/2020 with an event dated 2022-13, A/2/2021 without an item
    number, and A/3/2022 whose own row gives no date it was opened."""
    return write_data(
        tmp_path / "data",
        events=valid_csv["events"] + "e4,A/1/2020,2022-13,,other,,Felskrivet datum,,,,\n",
        agenda=valid_csv["agenda"] + "M1,,A/2/2021,,\nM1,9,A/3/2022,,\n",
        cases=valid_csv["cases"] + "A/3/2022,Trasigt ärende,maj 2022,open,,,,\n",
    )


def test_a_meeting_batch_over_faulty_data_renders_every_case_it_can(tmp_path, faulty_meeting):
    out = tmp_path / "out"
    done = dossier("batch", "--meeting", "M1", "--data", faulty_meeting, "--out", out,
                   "--as-of", "2024-06-01", "--format", "html", "--workers", "2")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "dossier: 3 faults in the data cost only their rows, in 3 cases: each dossier's data notes "
        "name its own; `dossier check` lists them all"
    )
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    statuses = {d["case_id"]: d["status"] for d in report["dossiers"]}
    assert statuses == {"A/1/2020": "done", "A/2/2021": "done", "A/3/2022": "failed"}
    failed = next(d for d in report["dossiers"] if d["case_id"] == "A/3/2022")
    assert failed["title"] == "Trasigt ärende"
    assert failed["error"].startswith(
        "case 'A/3/2022' cannot be rendered: its own row in cases.csv is faulty (cases.csv row 4, "
        "column opened: 'maj 2022' is not a date"
    )
    first = (out / "A-1-2020" / "A-1-2020.html").read_text(encoding="utf-8")
    assert "Raden är utelämnad ur underlaget: date ”2022-13” är inget datum." in first
    assert "events.csv, rad 5" in first
    assert "Felskrivet datum" not in first  # the row itself is left out
    second = (out / "A-2-2021" / "A-2-2021.html").read_text(encoding="utf-8")
    assert "Dagordningspunkten saknar nummer." in second and "agenda.csv, rad 3" in second
    # The faulty case has nothing written; the pack's page lists the others.
    assert not (out / "A-3-2022").exists()
    pack = (out / report["meeting_pack"]["index"]).read_text(encoding="utf-8")
    assert "A/1/2020" in pack and "A/2/2021" in pack

    # --strict: today's all or nothing.
    strict = dossier("batch", "--meeting", "M1", "--data", faulty_meeting, "--out", tmp_path / "strict",
                     "--as-of", "2024-06-01", "--format", "html", "--strict")  # fmt: skip
    assert strict.returncode == 2
    assert strict.stderr.startswith("dossier: 3 faults in the source data:\n")
    assert not (tmp_path / "strict").exists()


def test_rendering_a_case_whose_own_row_is_faulty_fails_alone_with_exit_1(
    tmp_path, faulty_meeting, capsys
):
    out = tmp_path / "out"
    status = main(["render", "A/3/2022", "--data", str(faulty_meeting), "--out", str(out),
                   "--quiet", "--format", "html"])  # fmt: skip
    assert status == 1
    assert capsys.readouterr().err == (
        "dossier: case 'A/3/2022' cannot be rendered: its own row in cases.csv is faulty "
        "(cases.csv row 4, column opened: 'maj 2022' is not a date (use YYYY-MM-DD, YYYY-MM or "
        "YYYY)); correct that row (the other cases render)\n"
    )
    assert not (out / "A-3-2022").exists()


def test_an_agenda_item_without_a_number_stays_on_the_agenda_unnumbered(tmp_path, write_data, valid_csv):
    from dossier.content.context import case_dossier

    registry = load(write_data(tmp_path, agenda=valid_csv["agenda"] + "M1,,A/2/2021,,\n"))
    assert [(a.item, a.case_id) for a in registry.agenda_items(meeting_id="M1")] == [
        ("7", "A/1/2020"), ("", "A/2/2021"),
    ]  # fmt: skip
    view = case_dossier(registry, "A/2/2021", DossierParameters(as_of=dt.date(2024, 6, 1), lang="sv")).view
    assert str(view.next_meeting) == "Nämnden, 13 juni 2024 kl. 09:00"
    assert [n.text("sv") for n in registry.case_notes("A/2/2021")] == [
        "Dagordningspunkten saknar nummer."
    ]


@pytest.mark.parametrize("command", [["render", "A/1/2020", "--quiet"], ["mail", "A/1/2020", "--to", "a@example.se"]])
def test_strict_refuses_any_fault_before_anything_renders(tmp_path, faulty_meeting, capsys, command):
    out = tmp_path / "out"
    assert main([*command, "--data", str(faulty_meeting), "--out", str(out), "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dossier: 3 faults in the source data:\n  cases.csv row 4, column opened")
    assert not (out / "A-1-2020").exists()


def test_a_fault_most_rows_of_a_file_share_is_a_fault_of_the_folder(tmp_path, write_data, valid_csv):
    """Dates written day first all through events.csv are the export's fault: exit 2, as any
    fault of the folder, not every event left out."""
    events = valid_csv["events"].replace(",2021-03-01,", ",01.03.2021,").replace(",2020-05-30,", ",30.05.2020,")
    folder = write_data(tmp_path, events=events + "e4,A/1/2020,30.05.2022,,other,,T,,,,\n")
    with pytest.raises(DataError) as exc:
        load(folder)
    assert [(f.row, f.column) for f in exc.value.faults] == [(2, "date"), (4, "date"), (5, "date")]
    # Half the rows or fewer: each costs its row.
    folder = write_data(tmp_path / "two", events=valid_csv["events"] + "e4,A/1/2020,30.05.2022,,other,,T,,,,\n")
    assert [f.row for f in load(folder).faults] == [5]


def test_a_strict_batch_refuses_the_data_a_lenient_batch_rendered(tmp_path, faulty_meeting):
    """Nothing changed but --strict: the batch reads the data again, and refuses it."""
    out = tmp_path / "out"
    args = ("batch", "A/1/2020", "--data", faulty_meeting, "--out", out, "--as-of", "2024-06-01",
            "--format", "html")  # fmt: skip
    assert dossier(*args).returncode == 0
    again = dossier(*args)
    assert again.returncode == 0 and "0 done, 1 skipped" in again.stdout
    strict = dossier(*args, "--strict")
    assert strict.returncode == 2
    assert strict.stderr.startswith("dossier: 3 faults in the source data:\n")


def test_rendering_a_case_with_rows_left_out_says_so_as_it_goes(tmp_path, faulty_meeting, capsys):
    out = tmp_path / "out"
    status = main(["render", "A/2/2021", "--data", str(faulty_meeting), "--out", str(out),
                   "--format", "html"])  # fmt: skip
    assert status == 0
    err = capsys.readouterr().err
    assert (
        "One row or value of the data is left out for a fault; the dossier names it under "
        "Anmärkningar om underlaget.\n"
    ) in err
    assert "Dagordningspunkten saknar nummer." in (out / "A-2-2021" / "A-2-2021.html").read_text(encoding="utf-8")


def test_a_row_left_out_is_named_in_the_readers_language(tmp_path, write_data, valid_csv):
    registry = load(write_data(tmp_path, events=valid_csv["events"] + "e4,A/1/2020,2022-13,,other,,T,,,,\n"))
    (note,) = registry.case_notes("A/1/2020")
    assert [(note.text(lang), note.where(lang)) for lang in ("sv", "en", "de")] == [
        ("Raden är utelämnad ur underlaget: date ”2022-13” är inget datum.", "events.csv, rad 5"),
        ("The row is left out of the dossier: date “2022-13” is not a date.", "events.csv, row 5"),
        ("Die Zeile ist im Dossier ausgelassen: date „2022-13“ ist kein Datum.", "events.csv, Zeile 5"),
    ]  # fmt: skip


def test_a_case_extract_cut_from_a_checked_registry_is_not_checked_again(tmp_path, monkeypatch):
    """The notebook loads the case extract a render cut from the checked registry: its tables,
    byte for byte those ``checked.json`` records, skip the contract's checks; a table changed
    since is checked again, and its fault found."""
    from dossier.data import validate

    job = prepare_job(load(SAMPLE_DATA), "RUN/168/2020", SAMPLE_DATA,
                      RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1))))  # fmt: skip
    extract = tmp_path / "extract"
    extract.mkdir()
    for name, data in job.extract.items():
        (extract / name).write_bytes(data)
    events_of_the_case = len(load(SAMPLE_DATA).case_events("RUN/168/2020"))
    checking, check = [], validate._faults
    monkeypatch.setattr(validate, "_faults", lambda sources: checking.append(1) or check(sources))
    taken = load(extract)
    assert checking == [] and len(taken.events) == events_of_the_case
    events = extract / "events.csv"
    events.write_bytes(events.read_bytes().replace(b",2022-05,", b",2022-13,", 1))
    with pytest.raises(DataError, match="2022-13"):
        load(extract)
    assert checking == [1]
