"""The synthetic data generator: reproducible, within the contract, and varied."""

from __future__ import annotations

import re

import pytest

from dossier.cli import main
from dossier.data.contract import EVENT_KINDS, FORUM_KINDS, TABLES
from dossier.data.synthetic import EXPORT_DAY, generate
from dossier.data.validate import load
from dossier.errors import ParameterError

CONTRACT_FILES = [table.file for table in TABLES]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A folder big enough for every kind of variety the generator promises."""
    out = tmp_path_factory.mktemp("demo")
    generate(out, cases=80, events_per_case=20, seed=3)
    return out


@pytest.fixture(scope="module")
def registry(demo):
    return load(demo)


def test_writes_every_contract_file_and_returns_their_paths(tmp_path):
    paths = generate(tmp_path / "new", cases=3, events_per_case=4)

    assert [path.name for path in paths] == CONTRACT_FILES
    assert all(path.parent == tmp_path / "new" and path.stat().st_size > 0 for path in paths)


def test_same_seed_gives_identical_bytes(tmp_path):
    first = generate(tmp_path / "a", cases=30, events_per_case=12, seed=5)
    second = generate(tmp_path / "b", cases=30, events_per_case=12, seed=5)

    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_other_seed_gives_other_data(tmp_path):
    first = generate(tmp_path / "a", cases=30, events_per_case=12, seed=5)
    second = generate(tmp_path / "b", cases=30, events_per_case=12, seed=6)

    for name in ("cases.csv", "events.csv", "meetings.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()
    assert len(first) == len(second)


def test_output_loads_without_faults_or_notes(registry):
    assert len(registry.cases) == 80
    assert len(registry.events) == 80 * 20
    # Events stay within each case's open span, so the data carries no notes.
    assert registry.notes == {}
    for name in ("meetings", "agenda", "relations", "documents"):
        assert len(getattr(registry, name)) > 0, name


def test_text_is_utf8_swedish(demo):
    text = (demo / "cases.csv").read_bytes().decode("utf-8")

    assert not text.startswith("\ufeff")
    assert re.search("[åäöÅÄÖ]", text)
    assert text.splitlines()[0] == ",".join(TABLES[0].column_names)


def test_every_event_kind_and_date_precision_appears(registry):
    events = registry.events

    assert set(events["kind"]) == set(EVENT_KINDS)
    assert set(events["date"].str.len()) == {4, 7, 10}
    assert (events["date"].str.len() == 10).mean() > 0.8  # mostly full dates
    periods = events[events["end_date"] != ""]
    assert len(periods) > 0
    assert (periods["end_date"].str.len() == periods["date"].str.len()).all()


def test_events_have_unique_ids_seq_decisions_and_numbered_proposals(registry):
    events = registry.events

    assert events["event_id"].is_unique and (events["event_id"] != "").all()
    assert (events["seq"] != "").any() and (events["seq"] == "").any()
    decided = events[events["kind"] == "decided"]
    assert decided["decision_ref"].str.fullmatch(r"§ \d+").all()
    proposals = events.loc[events["kind"] == "proposal", "description"]
    assert proposals.str.match(r"1\. .+\n2\. ").all()


def test_case_ids_statuses_and_endings(registry):
    cases = registry.cases

    assert cases["case_id"].str.fullmatch(r"[A-Z]+/\d+/\d{4}").any()
    assert cases["case_id"].str.fullmatch(r"KS \d{4}/\d{4}").any()
    assert set(cases["status"]) == {"open", "closed"}
    closed = cases[cases["status"] == "closed"]
    assert (closed["closed"] != "").all()
    assert (cases.loc[cases["status"] == "open", "closed"] == "").all()
    for case_id in closed["case_id"]:
        last = registry.case_events(case_id)[-1]
        assert last.kind in ("closed", "decided", "communicated"), case_id
    for case_id in cases["case_id"]:
        assert registry.case_events(case_id)[0].kind == "registered", case_id


def test_forums_meetings_agenda_and_relations_fit_together(registry):
    assert len(registry.forums) >= 12
    assert set(registry.forums["kind"]) == set(FORUM_KINDS)

    meetings = registry.meetings
    assert meetings["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").any()
    planned = meetings[meetings["state"] == "planned"]
    last_event = registry.events["date"].max()
    assert len(planned) > 0
    assert (planned["date"].str.slice(0, 10) > max(last_event, EXPORT_DAY.isoformat())).all()

    agenda = registry.agenda
    assert agenda["item"].str.fullmatch(r"\d+[a-d]?").all()
    assert agenda["item"].str.fullmatch(r"\d+[a-d]").any()
    assert agenda["meeting_id"].isin(planned["meeting_id"]).any()
    held = meetings.loc[meetings["state"] != "planned", "meeting_id"]
    assert agenda["meeting_id"].isin(held).any()
    assert not agenda.duplicated(["meeting_id", "item"]).any()

    relations = registry.relations
    assert (relations["case_id"] != relations["related_case_id"]).all()
    assert set(registry.documents["doc_type"]) >= {"proposal", "minutes_extract", "report"}


def test_single_event_cases_still_follow_the_contract(tmp_path):
    generate(tmp_path, cases=40, events_per_case=1, seed=2)

    registry = load(tmp_path)
    closed = registry.cases.loc[registry.cases["status"] == "closed", "case_id"]
    assert len(closed) > 0
    kinds = registry.events.set_index("case_id")["kind"]
    assert kinds[closed].isin(["closed", "decided", "communicated"]).all()


@pytest.mark.parametrize(("cases", "events"), [(0, 5), (5, 0)])
def test_rejects_empty_sizes(tmp_path, cases, events):
    with pytest.raises(ParameterError, match="at least 1"):
        generate(tmp_path, cases=cases, events_per_case=events)


def test_cli_demo_data_writes_the_folder(tmp_path, capsys):
    out = tmp_path / "demo"

    status = main(["demo-data", "--cases", "5", "--events-per-case", "10", "--out", str(out)])

    assert status == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / name) for name in CONTRACT_FILES]
    assert all((out / name).is_file() for name in CONTRACT_FILES)
    assert len(load(out).events) == 50
