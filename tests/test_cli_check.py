"""`dossier check`: a report and exit 0 for good data, one clear message and exit 2 for bad."""

from __future__ import annotations

import re
import subprocess
import sys

from dossier.cli import main
from dossier.resources import sample_data_dir


def test_check_on_the_sample(capsys):
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"Data folder OK: {sample_data_dir()}")
    rows = dict(re.findall(r"^  (\w+\.csv) +(\d+) ", out, flags=re.MULTILINE))
    assert rows == {
        "cases.csv": "2", "events.csv": "21", "forums.csv": "15", "meetings.csv": "1",
        "agenda.csv": "2", "relations.csv": "1", "documents.csv": "2",
    }  # fmt: skip
    assert "Cases by status: open 2" in out
    assert "Data notes: 1" in out
    assert (
        "RUN/168/2020: The event “Arbete med en länsgemensam påverkansagenda tillsammans med "
        "länets kommuner” (2019) lies before the case was registered (2020). [events.csv row 2]"
    ) in out


def test_check_names_encoding_and_delimiter(tmp_path, write_data, valid_csv, capsys):
    folder = write_data(tmp_path, forums=valid_csv["forums"].replace(",", ";").encode("cp1252"))
    assert main(["check", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  forums\.csv +2  \(cp1252, ';'\)$", out, flags=re.MULTILINE)
    assert "Cases by status: closed 1, open 1" in out
    assert "Data notes: 0" in out


def test_check_strict_on_a_faulty_folder_exits_2_with_the_fault_on_stderr(
    tmp_path, write_data, valid_csv, capsys
):
    folder = write_data(
        tmp_path, events=valid_csv["events"] + "e4,A/1/2020,2022-13,,other,,T,,,,\n"
    )
    assert main(["check", "--strict", "--data", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "dossier: 1 fault in the source data:\n"
        "  events.csv row 5, column date: '2022-13' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)\n"
    )


def test_check_lists_faults_confined_to_cases_and_exits_1(tmp_path, write_data, valid_csv, capsys):
    """Each fault costs its rows (named in the case's data notes); a faulty case row, its case."""
    folder = write_data(
        tmp_path,
        events=valid_csv["events"] + "e4,A/1/2020,2022-13,,other,,T,,,,\ne2,A/2/2021,2022,,other,,T,,,,\n",
        cases=valid_csv["cases"] + "A/3/2022,T,maj 2022,open,,,,\n",
        agenda=valid_csv["agenda"] + "M1,,A/2/2021,,\n",
    )  # fmt: skip
    assert main(["check", "--data", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(
        "dossier: 4 faults in the source data:\n"
        "  cases.csv row 4, column opened: 'maj 2022' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)\n"
        "  events.csv row 5, column date: '2022-13' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)\n"
        "  events.csv row 6, column event_id: 'e2' repeats row 3; event_id must be unique\n"
        "  agenda.csv row 3, column item: '' is empty; this column is required\n"
    )
    assert "1 case(s) cannot be rendered until their own row in cases.csv is corrected: A/3/2022." in err
    assert "--strict refuses the folder" in err
    assert out.startswith("Data folder usable, faulty rows left out: ")
    assert "Cases by status: closed 1, open 1; 1 more whose own row is faulty\n" in out
    assert "A/1/2020: The row is left out of the dossier: date “2022-13” is not a date. [events.csv row 5]" in out
    assert ("A/2/2021: The row is left out of the dossier: event_id “e2” is already used by an "
            "earlier row. [events.csv row 6]") in out  # fmt: skip
    assert "A/2/2021: The agenda item has no number. [agenda.csv row 3]" in out


def test_check_on_a_fault_of_the_folder_exits_2_listing_every_fault(
    tmp_path, write_data, valid_csv, capsys
):
    """A forum's row is shared by many cases: its fault stops the folder, with the others listed."""
    folder = write_data(
        tmp_path,
        forums=valid_csv["forums"] + "X,Namn,board,,,\n",
        events=valid_csv["events"] + "e4,A/1/2020,2022-13,,other,,T,,,,\n",
    )
    assert main(["check", "--data", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("dossier: 2 faults in the source data:\n  events.csv row 5, column date")
    assert "forums.csv row 4, column kind: 'board' is not a known kind" in err


def test_check_with_a_missing_folder_exits_2(tmp_path, capsys):
    assert main(["check", "--data", str(tmp_path / "nowhere")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("dossier: --data ")
    assert "no such folder" in err


def test_the_installed_command_exits_2_without_a_traceback(tmp_path, write_data):
    folder = write_data(tmp_path, forums=None)
    done = subprocess.run(
        [sys.executable, "-m", "dossier.cli", "check", "--data", str(folder)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "forums.csv is missing from" in done.stderr
    assert done.stdout == ""
