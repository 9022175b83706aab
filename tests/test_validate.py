"""Checking a data folder against the contract: every fault kind, all faults at once, data notes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from processes import dossier, refused

from dossier.cli import main
from dossier.data.contract import CASE_STATUSES, DOC_TYPES, EVENT_KINDS, FORUM_KINDS, MEETING_STATES
from dossier.data.contract import RELATIONS as RELATION_CODES
from dossier.data.dates import PartialDate
from dossier.data.validate import load
from dossier.errors import DataError, UnusableCaseError

EXPORT = Path(__file__).resolve().parent / "fixtures" / "registry_export"
NOT_A_DATE = "is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)"
NOT_A_DATETIME = "is not a date and time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)"
EMPTY = "is empty; this column is required"
YEARS = (
    "is outside the years dossier reads, 1000 to 9999: correct it, or leave the cell empty "
    "if the date is not known"
)


def codes(name: str, values: tuple[str, ...]) -> str:
    return f"is not a known {name} (use one of: {', '.join(values)})"


def not_in(column: str, file: str) -> str:
    return f"is not a {column} in {file} (add it there or correct the reference)"


# (table, row appended to the valid file, row number, column, value, what the message expects)
FAULTS = {
    "empty-event-title": ("events", "e4,A/1/2020,2021,,other,,,,,,", 5, "title", "", EMPTY),
    "empty-event-case": ("events", "e4,,2021,,other,,T,,,,", 5, "case_id", "", EMPTY),
    "empty-case-title": ("cases", "A/3/2022,,2022,open,,,,", 4, "title", "", EMPTY),
    "empty-forum-kind": ("forums", "X,Namn,,,,", 4, "kind", "", EMPTY),
    "impossible-day": ("events", "e4,A/1/2020,2023-02-30,,other,,T,,,,", 5, "date", "2023-02-30", NOT_A_DATE),
    "month-13": ("events", "e4,A/1/2020,2022-13,,other,,T,,,,", 5, "date", "2022-13", NOT_A_DATE),
    "day-first": ("events", "e4,A/1/2020,30/05/2022,,other,,T,,,,", 5, "date", "30/05/2022", NOT_A_DATE),
    "bad-end-date": ("events", "e4,A/1/2020,2021,2021-02-29,other,,T,,,,", 5, "end_date", "2021-02-29", NOT_A_DATE),
    "words-for-opened": ("cases", "A/3/2022,T,maj 2020,open,,,,", 4, "opened", "maj 2020", NOT_A_DATE),
    "bad-closed": ("cases", "A/3/2022,T,2022,closed,2022-13,,,", 4, "closed", "2022-13", NOT_A_DATE),
    "bad-document-date": ("documents", "A/1/2020,2020-00,T,report,", 3, "date", "2020-00", NOT_A_DATE),
    "other-digits": ("events", "e4,A/1/2020,2٠٢١,,other,,T,,,,", 5, "date", "2٠٢١", NOT_A_DATE),
    "year-before-1000": ("events", "e4,A/1/2020,0999-05,,other,,T,,,,", 5, "date", "0999-05", YEARS),
    "meeting-day": ("meetings", "M2,N,2024-06-31,,,", 3, "date", "2024-06-31", NOT_A_DATETIME),
    "meeting-hour": ("meetings", "M2,N,2024-06-13 24:00,,,", 3, "date", "2024-06-13 24:00", NOT_A_DATETIME),
    "meeting-month-only": ("meetings", "M2,N,2024-06,,,", 3, "date", "2024-06", NOT_A_DATETIME),
    "year-1": ("events", "e4,A/1/2020,0001-01-01,,other,,T,,,,", 5, "date", "0001-01-01", YEARS),
    "year-999": ("cases", "A/3/2022,T,0999,open,,,,", 4, "opened", "0999", YEARS),
    "year-10000": ("documents", "A/1/2020,10000-05,T,report,", 3, "date", "10000-05", YEARS),
    "meeting-year-1": ("meetings", "M2,N,0001-06-13 09:00,,,", 3, "date", "0001-06-13 09:00", YEARS),
    "event-ends-before-it-starts": (
        "events", "e4,A/1/2020,2021-05,2021-04,discussed,,T,,,,", 5, "end_date", "2021-04",
        "is before date '2021-05'; a period cannot end before it starts",
    ),
    "case-closed-before-opened": (
        "cases", "A/3/2022,T,2022-05,closed,2022-04-30,,,", 4, "closed", "2022-04-30",
        "is before opened '2022-05'; a period cannot end before it starts",
    ),
    "unknown-kind": ("events", "e4,A/1/2020,2021,,meeting,,T,,,,", 5, "kind", "meeting", codes("kind", EVENT_KINDS)),
    "kind-in-other-case": ("events", "e4,A/1/2020,2021,,Decided,,T,,,,", 5, "kind", "Decided", codes("kind", EVENT_KINDS)),
    "unknown-status": ("cases", "A/3/2022,T,2022,pending,,,,", 4, "status", "pending", codes("status", CASE_STATUSES)),
    "unknown-forum-kind": ("forums", "X,Namn,board,,,", 4, "kind", "board", codes("kind", FORUM_KINDS)),
    "unknown-doc-type": ("documents", "A/1/2020,2020,T,memo,", 3, "doc_type", "memo", codes("doc_type", DOC_TYPES)),
    "unknown-relation": ("relations", "A/1/2020,A/2/2021,sibling", 3, "relation", "sibling", codes("relation", RELATION_CODES)),
    "unknown-meeting-state": ("meetings", "M2,N,2024-07-01,,,postponed", 3, "state", "postponed", codes("state", MEETING_STATES)),
    "duplicate-case-id": ("cases", "A/1/2020,Dubblett,2021,open,,,,", 4, "case_id", "A/1/2020", "repeats row 2; case_id must be unique"),
    "duplicate-event-id": ("events", "e2,A/1/2020,2021,,other,,T,,,,", 5, "event_id", "e2", "repeats row 3; event_id must be unique"),
    "duplicate-forum-id": ("forums", "R,Rådet igen,council,,,", 4, "forum_id", "R", "repeats row 3; forum_id must be unique"),
    "duplicate-meeting-id": ("meetings", "M1,N,2024-07-01,,,", 3, "meeting_id", "M1", "repeats row 2; meeting_id must be unique"),
    "event-of-unknown-case": ("events", "e4,A/9/2020,2021,,other,,T,,,,", 5, "case_id", "A/9/2020", not_in("case_id", "cases.csv")),
    "event-in-unknown-forum": ("events", "e4,A/1/2020,2021,,other,X,T,,,,", 5, "forum_id", "X", not_in("forum_id", "forums.csv")),
    "case-of-unknown-forum": ("cases", "A/3/2022,T,2022,open,,X,,", 4, "owner_forum_id", "X", not_in("forum_id", "forums.csv")),
    "meeting-of-unknown-forum": ("meetings", "M2,X,2024-07-01,,,", 3, "forum_id", "X", not_in("forum_id", "forums.csv")),
    "agenda-of-unknown-meeting": ("agenda", "M9,8,A/1/2020,,", 3, "meeting_id", "M9", not_in("meeting_id", "meetings.csv")),
    "agenda-of-unknown-case": ("agenda", "M1,8,A/9/2020,,", 3, "case_id", "A/9/2020", not_in("case_id", "cases.csv")),
    "relation-to-unknown-case": ("relations", "A/1/2020,A/9/2020,related", 3, "related_case_id", "A/9/2020", not_in("case_id", "cases.csv")),
    "document-of-unknown-case": ("documents", "A/9/2020,2020,T,report,", 3, "case_id", "A/9/2020", not_in("case_id", "cases.csv")),
    "decimal-seq": ("events", "e4,A/1/2020,2021,,other,,T,,,,1.5", 5, "seq", "1.5", "is not a whole number"),
    "word-seq": ("events", "e4,A/1/2020,2021,,other,,T,,,,två", 5, "seq", "två", "is not a whole number"),
    "other-digit-seq": ("events", "e4,A/1/2020,2021,,other,,T,,,,٣", 5, "seq", "٣", "is not a whole number"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("table", "line", "row", "column", "value", "expected"), FAULTS.values(), ids=FAULTS.keys()
)
def test_each_fault_names_file_row_column_and_value(
    tmp_path, write_data, valid_csv, table, line, row, column, value, expected
):
    folder = write_data(tmp_path, **{table: valid_csv[table] + line + "\n"})
    with pytest.raises(DataError) as exc:
        load(folder, strict=True)
    assert len(exc.value.faults) == 1, str(exc.value)
    fault = exc.value.faults[0]
    assert (fault.file, fault.row, fault.column, fault.value) == (
        f"{table}.csv", row, column, value,
    )  # fmt: skip
    line = f"{table}.csv row {row}, column {column}: {value!r} {expected}"
    assert str(fault) == line
    assert str(exc.value) == f"1 fault in the source data:\n  {line}"


#: Faults that cost a value of the case's row, not the case: the case renders without it.
VALUE_FAULTS = {("cases", "closed"), ("cases", "owner_forum_id")}


@pytest.mark.parametrize(
    ("table", "line", "row", "column", "value", "expected"), FAULTS.values(), ids=FAULTS.keys()
)
def test_each_fault_costs_its_row_its_case_or_the_folder(
    tmp_path, write_data, valid_csv, table, line, row, column, value, expected
):
    """A fault in forums.csv or meetings.csv stops the folder; one in a case's row costs that
    case; one in its closing date or owner forum, that value; any other, its row only, named
    in its case's data notes."""
    folder = write_data(tmp_path, **{table: valid_csv[table] + line + "\n"})
    if table in ("forums", "meetings"):
        with pytest.raises(DataError, match=f"{table}.csv row {row}, column {column}"):
            load(folder)
        return
    registry = load(folder)
    assert [(f.file, f.row, f.column, f.value) for f in registry.faults] == [
        (f"{table}.csv", row, column, value)
    ]
    case_id = line.split(",")[{"events": 1, "agenda": 2}.get(table, 0)]
    kept = getattr(registry, table)
    if table == "cases" and (table, column) not in VALUE_FAULTS:
        assert list(registry.unusable) == [case_id]
        with pytest.raises(UnusableCaseError, match=f"cases.csv row {row}, column {column}"):
            registry.case_file(case_id)
        assert case_id not in set(kept["case_id"])
    elif table == "cases":
        assert registry.case_file(case_id).case.closed is None
        assert kept.loc[kept["_row"] == row, column].tolist() == [""]
        (note,) = [n for n in registry.notes[case_id] if n.code == "value_left_out"]
        assert (note.file, note.row) == ("cases.csv", row)
    else:
        assert row not in set(kept["_row"])
        noted = {c: [n.where("en") for n in notes] for c, notes in registry.notes.items()}
        # A relation shows in both its cases' dossiers: both are told.
        told = set(line.split(",")[:2]) if table == "relations" else {case_id}
        told &= set(registry.case_ids)
        assert noted == {key: [f"{table}.csv, row {row}"] for key in told}
    # The other cases keep all their rows; one related to a case that is gone is told why.
    faulty = set(line.split(",")[:2]) if table == "relations" else {case_id}
    for other in set(registry.case_ids) - faulty:
        assert {n.code for n in registry.case_file(other).notes} <= {"related_unusable"}


def test_a_missing_required_file(tmp_path, write_data):
    folder = write_data(tmp_path, forums=None)
    with pytest.raises(DataError) as exc:
        load(folder, strict=True)
    assert [str(f) for f in exc.value.faults] == [
        f"forums.csv is missing from {folder} (it is required)"
    ]


def test_missing_optional_files_are_fine(tmp_path, write_data):
    folder = write_data(tmp_path, meetings=None, agenda=None, relations=None, documents=None)
    registry = load(folder)
    assert registry.case_ids == ["A/1/2020", "A/2/2021"]
    assert registry.case_file("A/1/2020").agenda == ()


def test_a_missing_required_column(tmp_path, write_data):
    folder = write_data(tmp_path, events="event_id,case_id,date,title\ne1,A/1/2020,2020,T\n")
    with pytest.raises(DataError) as exc:
        load(folder, strict=True)
    assert [str(f) for f in exc.value.faults] == [
        "events.csv row 1, column kind is a required column and is missing from the header"
    ]


def test_a_row_with_too_many_fields(tmp_path, write_data, valid_csv):
    folder = write_data(
        tmp_path, events=valid_csv["events"] + "\ne4,A/1/2020,2021,,other,,T,,,,,x\n"
    )
    with pytest.raises(DataError) as exc:
        load(folder, strict=True)
    (fault,) = exc.value.faults
    assert (fault.file, fault.row) == ("events.csv", 6)
    assert str(fault).startswith(
        "events.csv row 6: 'e4,A/1/2020,2021,,other,,T,,,,,x' has 12 fields"
    )


def test_a_file_that_is_neither_utf8_nor_windows_1252(tmp_path, write_data, valid_csv):
    folder = write_data(tmp_path, cases=valid_csv["cases"].encode() + b"A/3/2022,\x81,2022,open\n")
    with pytest.raises(DataError) as exc:
        load(folder, strict=True)
    assert [str(f) for f in exc.value.faults] == [
        "cases.csv is neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8)"
    ]


def test_every_fault_is_reported_at_once_in_file_then_row_order(tmp_path, write_data, valid_csv):
    folder = write_data(
        tmp_path,
        documents=valid_csv["documents"] + "A/1/2020,2020,T,memo,\n",
        events=valid_csv["events"]
        + "e4,A/1/2020,2023-02-30,,other,,T,,,,\n"
        + "e1,A/9/2020,2021,,meeting,,,,,,x\n",
        cases=valid_csv["cases"] + "A/3/2022,T,2022-05,closed,2022-04,,,\n",
    )
    with pytest.raises(DataError) as exc:
        load(folder, strict=True)
    where = [(f.file, f.row, f.column) for f in exc.value.faults]
    assert where == [
        ("cases.csv", 4, "closed"),
        ("events.csv", 5, "date"),
        ("events.csv", 6, "event_id"),
        ("events.csv", 6, "kind"),
        ("events.csv", 6, "title"),
        ("events.csv", 6, "seq"),
        ("events.csv", 6, "case_id"),
        ("documents.csv", 3, "doc_type"),
    ]
    message = str(exc.value)
    assert message.startswith("8 faults in the source data:\n")
    assert (
        "events.csv row 6, column event_id: 'e1' repeats row 2; event_id must be unique" in message
    )


def test_valid_folder_loads(tmp_path, write_data):
    registry = load(write_data(tmp_path))
    assert registry.case_ids == ["A/1/2020", "A/2/2021"]
    assert len(registry.events) == 3
    assert registry.notes == {}
    assert {s.table for s in registry.sources} == {
        "cases", "events", "forums", "meetings", "agenda", "relations", "documents",
    }  # fmt: skip


def test_a_notes_json_in_an_export_folder_is_just_another_file(tmp_path, write_data, valid_csv):
    """Only a case extract (with its sources.json) carries its notes in notes.json."""
    folder = write_data(
        tmp_path, events=valid_csv["events"] + "e4,A/1/2020,2019-12,,other,,Tidigt möte,,,,\n"
    )
    (folder / "notes.json").write_text('{"meeting": "anteckningar"}', encoding="utf-8")
    (note,) = load(folder).case_file("A/1/2020").notes
    assert (note.file, note.row) == ("events.csv", 5)


def test_a_sources_json_in_an_export_folder_is_just_another_file(tmp_path, write_data, capsys):
    """A sources.json alone takes nothing over: the export's own files are its sources."""
    folder = write_data(tmp_path)
    (folder / "sources.json").write_text('["someone else\'s list"]', encoding="utf-8")
    assert main(["check", "--data", str(folder)]) == 0
    assert "cases.csv" in capsys.readouterr().out
    assert {s.path.name for s in load(folder).sources} >= {"cases.csv", "events.csv", "forums.csv"}


def test_a_sources_json_does_not_switch_off_the_mapping_file(tmp_path, capsys):
    export = Path(shutil.copytree(EXPORT, tmp_path / "export"))
    (export / "sources.json").write_text('{"files": "a description of something else"}')
    assert main(["check", "--data", str(export)]) == 0
    assert "ärenden.csv" in capsys.readouterr().out


def test_a_folder_that_looks_like_a_case_extract_but_is_not_one_is_refused(
    tmp_path, write_data, capsys
):
    folder = write_data(tmp_path)
    (folder / "sources.json").write_text('{"name": "x"}', encoding="utf-8")
    (folder / "notes.json").write_text("[]", encoding="utf-8")
    assert main(["check", "--data", str(folder)]) == 2
    assert capsys.readouterr().err == (
        "dossier: 1 fault in the source data:\n"
        f"  {folder / 'sources.json'} is not a case extract's list of source files (not a list); "
        f"{folder} holds sources.json and notes.json as a case extract does: if it is an export "
        "folder, move those two files out of it\n"
    )


def test_a_date_outside_the_years_read_is_refused_by_the_command(
    tmp_path, write_data, valid_csv, capsys
):
    folder = write_data(tmp_path, events=valid_csv["events"].replace("2021-03-01", "0001-01-01"))
    assert main(["check", "--strict", "--data", str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"dossier: 1 fault in the source data:\n  events.csv row 4, column date: '0001-01-01' {YEARS}\n"
    )


def test_the_years_read_end_at_9999(tmp_path, write_data, valid_csv):
    events = valid_csv["events"].replace("2021-03-01", "9999-12-31")
    cases = valid_csv["cases"].replace("2020-05", "1000-01")
    registry = load(write_data(tmp_path, events=events, cases=cases))
    assert registry.case_file("A/2/2021").events[-1].date == PartialDate(9999, 12, 31)
    assert registry.case("A/1/2020").opened == PartialDate(1000, 1)


def test_sample_data_loads_with_its_one_note(sample_registry):
    assert sample_registry.case_ids == ["RUN/168/2020", "RUN/136/2022"]
    assert {case: [n.code for n in notes] for case, notes in sample_registry.notes.items()} == {
        "RUN/168/2020": ["event_before_opened"]
    }


# Data notes: legal but odd data goes into the dossier, not into a fault.


def test_an_event_before_the_case_was_opened_is_a_note(tmp_path, write_data, valid_csv):
    folder = write_data(
        tmp_path, events=valid_csv["events"] + "e4,A/1/2020,2019-12,,other,,Tidigt möte,,,,\n"
    )
    registry = load(folder)
    (note,) = registry.case_file("A/1/2020").notes
    assert (note.code, note.file, note.row) == ("event_before_opened", "events.csv", 5)
    assert dict(note.fields) == {
        "title": "Tidigt möte", "date": PartialDate(2019, 12), "opened": PartialDate(2020, 5),
    }  # fmt: skip
    assert note.text("sv") == (
        "Händelsen ”Tidigt möte” (december 2019) ligger före ärendets registrering (maj 2020)."
    )
    assert note.text("en") == (
        "The event “Tidigt möte” (December 2019) lies before the case was registered (May 2020)."
    )
    assert registry.case_file("A/2/2021").notes == ()


def test_an_event_after_a_closed_cases_closing_is_a_note(tmp_path, write_data, valid_csv):
    folder = write_data(
        tmp_path, events=valid_csv["events"] + "e4,A/2/2021,2022-04,,communicated,,Sent,,,,\n"
    )
    (note,) = load(folder).case_file("A/2/2021").notes
    assert (note.code, note.file, note.row) == ("event_after_closed", "events.csv", 5)
    assert note.text("en") == (
        "The event “Sent” (April 2022) lies after the case was closed (1 March 2022)."
    )


@pytest.mark.parametrize(
    ("case_id", "date"),
    [
        ("A/1/2020", "2020"),  # the year 2020 may well be May 2020 or later
        ("A/1/2020", "2020-05-01"),
        ("A/2/2021", "2022-03"),  # March 2022 includes the closing day
        ("A/2/2021", "2022-03-01"),
        ("A/2/2021", "2021"),
    ],
)
def test_only_certain_oddities_become_notes(tmp_path, write_data, valid_csv, case_id, date):
    folder = write_data(
        tmp_path, events=valid_csv["events"] + f"e4,{case_id},{date},,other,,T,,,,\n"
    )
    assert load(folder).notes == {}


def test_a_closed_case_without_closing_date_is_a_note(tmp_path, write_data, valid_csv):
    folder = write_data(tmp_path, cases=valid_csv["cases"] + "A/3/2022,Tredje,2022,closed,,,,\n")
    registry = load(folder)
    (note,) = registry.case_file("A/3/2022").notes
    assert (note.code, note.file, note.row) == ("closed_without_date", "cases.csv", 4)
    assert note.text("sv") == "Ärendet är avslutat men saknar avslutsdatum."
    assert registry.case_file("A/1/2020").notes == ()


@pytest.fixture(scope="module")
def sample_registry():
    from dossier.resources import sample_data_dir

    return load(sample_data_dir())


@pytest.mark.parametrize(
    ("case_id", "hidden"),
    [
        ("RUN/\u202e0202/861", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("RUN/168/\u200b2020", "U+200B ZERO WIDTH SPACE"),
        ("RUN/168\n/2020", "U+000A control character"),
        ("RUN/168\u2028/2020", "U+2028 LINE SEPARATOR"),
    ],
    ids=["bidi", "zero-width", "line-break", "line-separator"],
)
def test_an_id_with_a_character_no_one_sees_is_refused_naming_the_row(
    tmp_path, write_data, valid_csv, case_id, hidden
):
    """``RUN/\u202e0202/861`` prints as "RUN/168/2020": a dossier would speak for another case."""
    cases = valid_csv["cases"] + f'"{case_id}",Titel,2020,open,,N,,\n'
    data = write_data(tmp_path / "data", cases=cases)
    stderr = refused(dossier("check", "--data", data), "cases.csv row 4, column case_id", hidden)
    assert repr(case_id) in stderr  # shown escaped, as it is
