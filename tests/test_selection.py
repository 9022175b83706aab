"""Which cases a batch renders: unknown IDs named with where they were given, the rest render."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from dossier.data.text import read_case_lines
from dossier.data.validate import load
from dossier.errors import UnknownCaseError
from dossier.run.selection import choose_cases, named_cases


@pytest.fixture
def registry(tmp_path, write_data):
    return load(write_data(tmp_path / "data"))


def test_unknown_ids_are_named_with_file_and_line_and_the_rest_are_chosen(tmp_path, registry):
    listing = tmp_path / "cases.txt"
    listing.write_text("# före mötet\nA/1/2020\n\nA/9/2020\nA/2/2021\n", encoding="utf-8")
    named = named_cases(["B/1/2020"], listing, read_case_lines(listing))
    chosen = choose_cases(registry, named)
    assert chosen.case_ids == ["A/1/2020", "A/2/2021"]
    assert chosen.unknown == [
        "case 'B/1/2020' is not in cases.csv; did you mean A/1/2020, A/2/2021?",
        f"{listing} line 4: case 'A/9/2020' is not in cases.csv; did you mean A/1/2020, A/2/2021?",
    ]
    assert chosen.notes == []


def test_strict_refuses_every_unknown_id_at_once(tmp_path, registry):
    listing = tmp_path / "cases.txt"
    listing.write_text("A/9/2020\nA/1/2020\nA/8/2020\n", encoding="utf-8")
    named = named_cases([], listing, read_case_lines(listing))
    with pytest.raises(UnknownCaseError) as exc:
        choose_cases(registry, named, strict=True)
    lines = str(exc.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [f"{listing} line 1", f"{listing} line 3"]


def test_nothing_known_is_refused(registry):
    with pytest.raises(UnknownCaseError, match=r"'A/9/2020' is not in cases\.csv"):
        choose_cases(registry, named_cases(["A/9/2020"]))


def test_an_id_that_differs_only_in_letter_case_is_taken_with_a_note(tmp_path, write_data, valid_csv):
    registry = load(write_data(tmp_path, cases=valid_csv["cases"] + "KS 2021/0345,T,2021,open,,,,\n"))
    chosen = choose_cases(registry, named_cases(["a/1/2020", "ks 2021/0345", "A/1/2020"]))
    assert chosen.case_ids == ["A/1/2020", "KS 2021/0345"]
    assert chosen.notes == [
        "'a/1/2020' is taken as 'A/1/2020' (the same case ID but for letter case)",
        "'ks 2021/0345' is taken as 'KS 2021/0345' (the same case ID but for "
        "letter case)",
    ]


def test_an_id_that_matches_two_cases_but_for_letter_case_is_unknown(tmp_path, write_data, valid_csv):
    cases = valid_csv["cases"] + "Ab/1/2020,T,2021,open,,,,\nAB/1/2020,T,2021,open,,,,\n"
    registry = load(write_data(tmp_path, cases=cases))
    chosen = choose_cases(registry, named_cases(["ab/1/2020", "AB/1/2020"]))
    assert chosen.case_ids == ["AB/1/2020"]
    assert chosen.unknown == [
        "case 'ab/1/2020' is not in cases.csv; but for letter case it is each of Ab/1/2020, "
        "AB/1/2020: give the one meant as cases.csv writes it"
    ]
    assert chosen.notes == []


def test_a_batch_with_an_unknown_line_in_its_cases_file_renders_the_rest(tmp_path, write_data):
    data = write_data(tmp_path / "data")
    listing = tmp_path / "cases.txt"
    listing.write_text("a/1/2020\nA/9/2020\n", encoding="utf-8")
    out = tmp_path / "out"

    def batch(*args: str | Path) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "dossier.cli", "batch", "--cases-file", str(listing),
                   "--data", str(data), "--as-of", "2024-06-01", "--format", "html", *map(str, args)]  # fmt: skip
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, encoding="utf-8",
                              timeout=300)  # fmt: skip

    done = batch("--out", out)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-2:] == [
        f"dossier: {listing} line 1: 'a/1/2020' is taken as 'A/1/2020' (the same case ID but for "
        "letter case)",
        f"dossier: {listing} line 2: case 'A/9/2020' is not in cases.csv; did you mean A/1/2020, A/2/2021?",
    ]
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert [(d["case_id"], d["status"]) for d in report["dossiers"]] == [("A/1/2020", "done")]
    assert (out / "A-1-2020" / "A-1-2020.html").is_file()

    # Again: the dossier is current, and the unknown line is told again, with the same status.
    again = batch("--out", out)
    assert again.returncode == 1
    assert again.stderr.splitlines()[-2:] == done.stderr.splitlines()[-2:]

    strict = batch("--out", tmp_path / "strict", "--strict")
    assert strict.returncode == 2
    assert strict.stderr == (
        f"dossier: {listing} line 2: case 'A/9/2020' is not in cases.csv; did you mean A/1/2020, "
        "A/2/2021?\n"
    )
    assert not (tmp_path / "strict").exists()


def test_a_case_whose_own_row_is_faulty_is_chosen_to_fail_alone(tmp_path, write_data, valid_csv):
    """As an open case, as an item of its meeting, or by its ID: the batch lists it as failed."""
    registry = load(write_data(
        tmp_path, cases=valid_csv["cases"] + "A/3/2022,Trasigt,maj 2022,open,,,,\n",
        agenda=valid_csv["agenda"] + "M1,9,A/3/2022,,\n",
    ))  # fmt: skip
    assert list(registry.unusable) == ["A/3/2022"]
    assert choose_cases(registry, all_open=True).case_ids == ["A/1/2020", "A/3/2022"]
    assert choose_cases(registry, meeting="M1").case_ids == ["A/1/2020", "A/3/2022"]
    chosen = choose_cases(registry, named_cases(["a/3/2022"]))
    assert (chosen.case_ids, chosen.unknown) == (["A/3/2022"], [])


def test_a_long_list_of_unknown_ids_is_told_quickly(tmp_path, registry):
    """The first unknown IDs are told the IDs nearest them; the rest only that they are unknown."""
    from dossier.run.selection import NEAR_LIMIT

    named = named_cases([f"A/1/19{n:02d}" for n in range(NEAR_LIMIT + 2)] + ["A/1/2020"])
    chosen = choose_cases(registry, named)
    assert chosen.case_ids == ["A/1/2020"]
    assert all("did you mean" in line for line in chosen.unknown[:NEAR_LIMIT])
    assert chosen.unknown[NEAR_LIMIT:] == [
        f"case 'A/1/19{n:02d}' is not in cases.csv; `dossier check` lists the data's cases"
        for n in (NEAR_LIMIT, NEAR_LIMIT + 1)
    ]
