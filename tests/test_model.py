"""The registry and its case files: typed values, event order, related cases, unknown cases."""

from __future__ import annotations

import datetime as dt

import pytest

from dossier.data.dates import PartialDate
from dossier.data.model import Case, RelatedCase, meeting_from_row
from dossier.data.validate import load
from dossier.errors import DossierError, UnknownCaseError
from dossier.resources import sample_data_dir


@pytest.fixture(scope="module")
def sample():
    return load(sample_data_dir())


@pytest.fixture
def registry(tmp_path, write_data):
    return load(write_data(tmp_path))


def test_case_is_typed(registry):
    case_file = registry.case_file("A/2/2021")
    assert case_file.case == Case(
        "A/2/2021", "Andra ärendet", PartialDate(2021), "closed", PartialDate(2022, 3, 1), "N"
    )
    assert registry.case("A/1/2020").closed is None


def test_event_is_typed_with_its_row(registry):
    first, second = registry.case_file("A/1/2020").events
    assert first.date == PartialDate(2020, 5, 30)
    assert first.end_date is None
    assert not first.is_period
    assert (first.event_id, first.row, first.seq) == ("e1", 2, None)
    assert second.is_period
    assert (second.start, second.end) == (dt.date(2021, 2, 1), dt.date(2021, 6, 30))
    assert registry.case_file("A/2/2021").events[0].decision_ref == "§ 12"


def test_events_are_ordered_by_date_start_then_seq_then_file_order(tmp_path, write_data):
    events = (
        "event_id,case_id,date,kind,title,seq\n"
        "r2,A/1/2020,2021-03,other,T,2\n"
        "r3,A/1/2020,2021,other,T,\n"
        "r4,A/1/2020,2021-03,other,T,1\n"
        "r5,A/1/2020,2020-12-31,other,T,9\n"
        "r6,A/1/2020,2021-03,other,T,\n"
        "r7,A/1/2020,2021-03-01,other,T,\n"
        "r8,A/1/2020,2021-03,other,T,\n"
        "r9,A/1/2020,2021-01,other,T,0\n"
    )
    registry = load(write_data(tmp_path, events=events))
    order = [e.event_id for e in registry.case_file("A/1/2020").events]
    # 2021-01 and 2021 both start on 1 January 2021: seq 0 comes before no seq.
    assert order == ["r5", "r9", "r3", "r4", "r2", "r6", "r7", "r8"]
    assert registry.case_file("A/2/2021").events == ()


def test_seq_orders_numerically_not_as_text(tmp_path, write_data):
    events = "event_id,case_id,date,kind,title,seq\na,A/1/2020,2021,other,T,10\nb,A/1/2020,2021,other,T,9\n"
    registry = load(write_data(tmp_path, events=events))
    assert [e.event_id for e in registry.case_file("A/1/2020").events] == ["b", "a"]


def test_related_cases_are_found_from_both_sides(registry):
    assert registry.case_file("A/2/2021").related == (
        RelatedCase("A/1/2020", "Första ärendet", "open", "continues", inverse=False),
    )
    assert registry.case_file("A/1/2020").related == (
        RelatedCase("A/2/2021", "Andra ärendet", "closed", "continues", inverse=True),
    )


def test_a_link_given_twice_is_shown_once(tmp_path, write_data):
    relations = (
        "case_id,related_case_id,relation\n"
        "A/1/2020,A/2/2021,related\nA/2/2021,A/1/2020,related\nA/1/2020,A/1/2020,related\n"
    )
    registry = load(write_data(tmp_path, relations=relations))
    assert [(r.case_id, r.relation) for r in registry.case_file("A/1/2020").related] == [
        ("A/2/2021", "related")
    ]


def test_case_file_holds_the_forums_it_mentions(registry):
    forums = registry.case_file("A/1/2020").forums
    assert list(forums) == ["N", "R"]
    assert forums["R"].kind == "council"
    assert registry.case_file("A/1/2020").forum_name("R") == "Rådet"
    assert registry.case_file("A/1/2020").forum_name("ZZ") == "ZZ"


def test_agenda_items_come_with_their_meeting_in_date_and_item_order(tmp_path, write_data):
    meetings = (
        "meeting_id,forum_id,date,title,location,state\n"
        "M1,N,2024-06-13 09:00,Juni,,planned\nM2,N,2024-02-01T13:30,Februari,Sal 1,held\n"
    )
    agenda = (
        "meeting_id,item,case_id,title,proposal\n"
        "M1,10,A/1/2020,,\nM1,7a,A/1/2020,,\nM2,3,A/1/2020,,\nM1,7,A/1/2020,,\nM1,8,A/2/2021,,\n"
    )
    registry = load(write_data(tmp_path, meetings=meetings, agenda=agenda))
    items = registry.case_file("A/1/2020").agenda
    assert [(a.meeting.meeting_id, a.item) for a in items] == [
        ("M2", "3"), ("M1", "7"), ("M1", "7a"), ("M1", "10"),
    ]  # fmt: skip
    assert items[0].meeting.day == dt.date(2024, 2, 1)
    assert items[0].meeting.time == "13:30"
    assert items[0].meeting.location == "Sal 1"
    assert [a.case_id for a in registry.agenda_items(meeting_id="M1")] == [
        "A/1/2020", "A/1/2020", "A/2/2021", "A/1/2020",
    ]  # fmt: skip


def test_meeting_from_row_splits_day_and_time():
    row = {"meeting_id": "M", "forum_id": "N", "date": "2023-06-13", "title": "", "location": "",
           "state": ""}  # fmt: skip
    meeting = meeting_from_row(row)
    assert (meeting.day, meeting.time) == (dt.date(2023, 6, 13), "")


def test_documents_are_ordered_by_date(tmp_path, write_data):
    documents = (
        "case_id,date,title,doc_type,link\n"
        "A/1/2020,2021,Senare,report,\nA/1/2020,2020-05-30,Tidig,proposal,x.pdf\n"
    )
    registry = load(write_data(tmp_path, documents=documents))
    docs = registry.case_file("A/1/2020").documents
    assert [(d.title, d.date) for d in docs] == [
        ("Tidig", PartialDate(2020, 5, 30)), ("Senare", PartialDate(2021)),
    ]  # fmt: skip
    assert docs[0].link == "x.pdf"


def test_an_unknown_case_names_the_closest_ids(registry):
    with pytest.raises(UnknownCaseError) as exc:
        registry.case_file("a/1/2020")
    assert isinstance(exc.value, DossierError)
    assert str(exc.value) == "case 'a/1/2020' is not in cases.csv; did you mean A/1/2020, A/2/2021?"
    assert not registry.has_case("a/1/2020")
    assert registry.has_case("A/1/2020")


def test_an_unknown_case_with_nothing_close_points_at_check(registry):
    with pytest.raises(UnknownCaseError, match="`dossier check` lists the data's cases"):
        registry.case("XYZ 2099/0001")


def test_sample_case_file(sample):
    case_file = sample.case_file("RUN/168/2020")
    assert case_file.case.title == "Länsgemensam påverkansagenda"
    assert case_file.case.opened == PartialDate(2020)
    assert len(case_file.events) == 18
    assert case_file.events[0].event_id == "168-01"
    assert case_file.events[-1].event_id == "168-18"
    assert [r.case_id for r in case_file.related] == ["RUN/136/2022"]
    assert [r.inverse for r in sample.case_file("RUN/136/2022").related] == [True]
    assert [n.code for n in case_file.notes] == ["event_before_opened"]
    assert [a.item for a in case_file.agenda] == ["7"]
    assert case_file.sources == sample.sources


def test_sample_events_of_one_year_follow_seq(sample):
    events = sample.case_file("RUN/168/2020").events
    of_2023 = [e.event_id for e in events if e.date.year == 2023]
    assert of_2023 == [f"168-{n}" for n in (11, 12, 13, 14, 15, 16, 17, 18)]
