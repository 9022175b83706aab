"""The case record a render hands its notebook: the case as the render opened it, as data.

No kernel: the record is written where a job is prepared, and read where the notebook opens
the case (``open_case`` on the case extract), here in a fresh interpreter of its own.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import AS_OF, REPO, SAMPLE_CASE, SAMPLE_DATA, write_hostile_data
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.content.context import open_case
from dossier.content.parameters import DossierParameters
from dossier.data import extract
from dossier.data.contract import EXTRACT_CASE, EXTRACT_NOTES, EXTRACT_SOURCES
from dossier.data.dates import PartialDate
from dossier.data.extract import case_record, opened_case
from dossier.data.model import Case, CaseFile, DataNote, Event, Forum
from dossier.data.synthetic import generate
from dossier.data.validate import load
from dossier.errors import ParameterError
from dossier.run.job import RenderOptions, prepare_job, with_case_record

OPTIONS = RenderOptions(DossierParameters.given(as_of=AS_OF))


def _folders(tmp_path: Path) -> list[Path]:
    """Data folders of every kind the tests hold: the sample, an export read through a
    mapping file, a case whose text is all markup, and a synthetic registry."""
    synthetic = tmp_path / "synthetic"
    generate(synthetic, cases=30, events_per_case=10)
    return [SAMPLE_DATA, REPO / "tests" / "fixtures" / "registry_export",
            write_hostile_data(tmp_path / "hostile"), synthetic]  # fmt: skip


def _extract_folder(job, folder: Path) -> Path:
    folder.mkdir()
    for name, data in job.extract.items():
        (folder / name).write_bytes(data)
    return folder


def _read_back(case_file: CaseFile, folder: Path) -> CaseFile | None:
    """``case_file`` through its record, in an extract of no tables."""
    folder.mkdir()
    (folder / EXTRACT_SOURCES).write_text("[]")
    (folder / EXTRACT_NOTES).write_text("[]")
    (folder / EXTRACT_CASE).write_bytes(case_record(case_file, {}))
    return opened_case(folder, case_file.case.case_id)


def _sample_extract(tmp_path: Path) -> tuple[object, Path]:
    registry = load(SAMPLE_DATA)
    job = with_case_record(prepare_job(registry, SAMPLE_CASE, SAMPLE_DATA, OPTIONS), registry)
    return job, _extract_folder(job, tmp_path / "extract")


def test_a_case_record_reads_back_as_the_case_file(tmp_path):
    checked = 0
    for n, folder in enumerate(_folders(tmp_path)):
        registry = load(folder)
        for i, case_id in enumerate(registry.case_ids):
            whole = registry.case_file(case_id)
            for j, case_file in enumerate((whole, whole.as_of(OPTIONS.day))):
                assert _read_back(case_file, tmp_path / f"{n}-{i}-{j}") == case_file, case_id
            checked += 1
    assert checked > 30


def test_the_record_holds_what_the_extract_s_tables_say(tmp_path):
    """The notebook that opens the record sees the case it would have read from the tables.

    The one difference: an event keeps its row in the export (which orders the events of
    one day), where the extract's own table numbers its rows anew; the order is the same.
    """
    for n, folder in enumerate(_folders(tmp_path)):
        registry = load(folder)
        for case_id in registry.case_ids:
            job = with_case_record(prepare_job(registry, case_id, folder, OPTIONS), registry)
            cut = _extract_folder(job, tmp_path / f"extract-{n}-{job.slug}")
            recorded = opened_case(cut, case_id)
            tables = load(cut).case_file(case_id)
            assert [replace(e, row=0) for e in recorded.events] == [
                replace(e, row=0) for e in tables.events
            ], case_id
            assert replace(recorded, events=()) == replace(tables, events=()), case_id
            assert recorded.events == registry.case_file(case_id).events


def test_a_notebook_opens_a_render_s_case_without_pandas_or_arrow(tmp_path):
    _, folder = _sample_extract(tmp_path)
    script = (
        "import sys\n"
        "from dossier.content.sections import open_case\n"
        f"case = open_case({SAMPLE_CASE!r}, data_dir={str(folder)!r}, as_of={AS_OF!r})\n"
        "print(case.case.title)\n"
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    title, imported = shown.stdout.splitlines()
    assert title == load(SAMPLE_DATA).case(SAMPLE_CASE).title
    assert imported == "[]"


def test_an_edited_table_another_version_or_case_is_read_from_the_tables(tmp_path):
    """The record stands for the tables it was opened from: where they were edited since, or
    the record is another version's or another case's, the notebook reads the tables."""
    _, folder = _sample_extract(tmp_path)
    assert opened_case(folder, SAMPLE_CASE) is not None
    assert opened_case(folder, "RUN/136/2022") is None  # the related case: its rows are there
    record = json.loads((folder / EXTRACT_CASE).read_bytes())
    (folder / EXTRACT_CASE).write_text(json.dumps({**record, "record": 2}))
    assert opened_case(folder, SAMPLE_CASE) is None
    (folder / EXTRACT_CASE).write_text(json.dumps(record))
    cases = folder / "cases.csv"
    title = load(SAMPLE_DATA).case(SAMPLE_CASE).title
    cases.write_text(cases.read_text(encoding="utf-8").replace(title, "Ändrad titel"), encoding="utf-8")
    assert opened_case(folder, SAMPLE_CASE) is None
    assert open_case(SAMPLE_CASE, data_dir=str(folder), as_of=AS_OF).case.title == "Ändrad titel"


def test_a_case_beyond_the_record_s_limit_opens_from_its_tables(monkeypatch):
    registry = load(SAMPLE_DATA)
    job = prepare_job(registry, SAMPLE_CASE, SAMPLE_DATA, OPTIONS)
    assert EXTRACT_CASE in with_case_record(job, registry).extract
    monkeypatch.setattr(extract, "RECORD_LIMIT", 1000)
    assert EXTRACT_CASE not in with_case_record(job, registry).extract


def _damage(record: dict, damage: str) -> bytes:
    """The case record with one kind of damage done to it."""
    record = copy.deepcopy(record)
    fields = record["case_file"]["fields"]
    event = fields["events"][0]["fields"]
    if damage == "not-json":
        return b"{"
    if damage == "not-a-case-file":
        record["case_file"] = fields["case"]
    elif damage == "unknown-kind":
        record["case_file"] = {"kind": "Popen", "fields": {"args": "rm"}}
    elif damage == "missing-field":
        del fields["events"]
    elif damage == "number-for-text":
        fields["case"]["fields"]["title"] = 7
    elif damage == "bad-date":
        fields["day"] = {"date": "2023-02-30"}
    elif damage == "day-for-partial-date":
        event["date"] = {"date": "2023-02-03"}
    elif damage == "text-for-events":
        fields["events"] = "abc"
    elif damage == "list-for-forums":
        fields["forums"] = []
    elif damage == "calendar-beyond-limits":
        fields["calendar"]["fields"]["notice_days"] = 10**12
    elif damage == "another-case-s-event":
        event["case_id"] = "RUN/1/1999"
    return json.dumps(record).encode()


DAMAGE = ["not-json", "not-a-case-file", "unknown-kind", "missing-field", "number-for-text",
          "bad-date", "day-for-partial-date", "text-for-events", "list-for-forums",
          "calendar-beyond-limits", "another-case-s-event"]  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_case_record_is_refused_by_name(tmp_path, damage):
    job, folder = _sample_extract(tmp_path)
    (folder / EXTRACT_CASE).write_bytes(_damage(json.loads(job.extract[EXTRACT_CASE]), damage))
    with pytest.raises(ParameterError) as raised:
        open_case(SAMPLE_CASE, data_dir=str(folder), as_of=AS_OF)
    assert str(folder / EXTRACT_CASE) in str(raised.value)
    assert "render the dossier again" in str(raised.value)


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=60, deadline=None)
@given(title=ANY_TEXT, description=ANY_TEXT, forum=ANY_TEXT, note=ANY_TEXT,
       date=st.sampled_from(["2020", "2021-02", "2022-03-04"]))  # fmt: skip
def test_any_text_and_date_read_back_unchanged(title, description, forum, note, date):
    """Text is data: any character, a lone surrogate or a line separator among them."""
    day = PartialDate.parse(date)
    case = Case("A/1/2020", title, day, "open", owner_forum_id=forum)
    events = (Event("A/1/2020", day, "other", title, description=description, forum_id=forum),)
    notes = (DataNote("code", (("name", note), ("when", day)), "events.csv", 3),)
    case_file = CaseFile(case, events, {forum: Forum(forum, note, "committee")}, (), (), (), notes)
    with tempfile.TemporaryDirectory() as folder:
        assert _read_back(case_file, Path(folder) / "extract") == case_file
