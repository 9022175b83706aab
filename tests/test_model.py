"""The registry and its case files: typed values, event order, related cases, unknown cases."""

from __future__ import annotations

import datetime as dt

import pytest

from dossier.data.dates import PartialDate
from dossier.data.model import Case, Meeting, RelatedCase, item_order, meeting_from_row
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
        RelatedCase(
            "A/1/2020",
            "Första ärendet",
            "open",
            "continues",
            inverse=False,
            opened=PartialDate(2020, 5),
        ),
    )
    assert registry.case_file("A/1/2020").related == (
        RelatedCase(
            "A/2/2021",
            "Andra ärendet",
            "closed",
            "continues",
            inverse=True,
            opened=PartialDate(2021),
            closed=PartialDate(2022, 3, 1),
        ),
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
        "M1,3.1,A/1/2020,,\nM1,2,A/1/2020,,\n"
    )
    registry = load(write_data(tmp_path, meetings=meetings, agenda=agenda))
    items = registry.case_file("A/1/2020").agenda
    assert [(a.meeting.meeting_id, a.item) for a in items] == [
        ("M2", "3"), ("M1", "2"), ("M1", "3.1"), ("M1", "7"), ("M1", "7a"), ("M1", "10"),
    ]  # fmt: skip
    assert items[0].meeting.day == dt.date(2024, 2, 1)
    assert items[0].meeting.time == "13:30"
    assert items[0].meeting.location == "Sal 1"
    assert [a.item for a in registry.agenda_items(meeting_id="M1")] == [
        "2", "3.1", "7", "7a", "8", "10",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "items",
    [
        ["2", "3.1", "7", "7a", "10"],
        ["1", "1.2", "1.10", "2", "2b", "2c", "11"],
        ["§ 3", "§ 12", "§ 112"],
        ["A", "B", "b1"],
    ],
)
def test_agenda_items_sort_as_people_number_them(items):
    assert sorted(reversed(items), key=item_order) == items


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


# The case as it stood on a day


D = dt.date


def test_as_of_leaves_out_what_had_not_happened_and_counts_it(sample):
    on = sample.case_file("RUN/168/2020").as_of(D(2022, 6, 1))
    assert sorted(e.event_id for e in on.events) == [f"168-0{n}" for n in range(1, 10)]
    assert (on.day, on.later_events, on.later_documents) == (D(2022, 6, 1), 9, 1)
    assert [d.date for d in on.documents] == [PartialDate(2022, 5, 30)]


def test_as_of_ends_a_running_period_on_the_day_and_withholds_its_end(sample):
    events = {e.event_id: e for e in sample.case_file("RUN/168/2020").as_of(D(2022, 6, 1)).events}
    party_groups = events["168-09"]  # May 2022 to August 2022
    assert party_groups.running and party_groups.end_date is None and party_groups.is_period
    assert (party_groups.end, party_groups.last_date) == (D(2022, 6, 1), None)
    mandate = events["168-01"]  # 2019 to 2022: the end's year holds the day
    assert not mandate.running and mandate.end_date == PartialDate(2022)
    assert mandate.end == D(2022, 6, 1)
    assert events["168-08"].until is None  # May 2022 is wholly before 1 June


def test_an_event_whose_span_holds_the_day_is_kept_at_its_precision(sample):
    events = sample.case_file("RUN/168/2020").as_of(D(2023, 1, 31)).events
    proposal = next(e for e in events if e.event_id == "168-18")
    assert proposal.date == PartialDate(2023)
    assert (proposal.start, proposal.end, proposal.latest_start) == (
        D(2023, 1, 1), D(2023, 1, 31), D(2023, 1, 31),
    )  # fmt: skip


def test_status_on_the_day(tmp_path, write_data, valid_csv):
    registry = load(write_data(tmp_path))  # A/2/2021 closed 2022-03-01
    before = registry.case_file("A/2/2021").as_of(D(2022, 2, 28))
    assert (before.case.status, before.case.closed) == ("open", None)
    assert [n.code for n in before.notes] == ["closed_after_as_of"]
    assert "2022-03" not in before.notes[0].text("sv")
    assert before.notes[0].text("sv") == (
        "Ärendet avslutades efter den 28 februari 2022; den dagen var det pågående."
    )
    on = registry.case_file("A/2/2021").as_of(D(2022, 3, 1))
    assert (on.case.status, on.case.closed, on.notes) == ("closed", PartialDate(2022, 3, 1), ())
    # The related case's status is its status on the day; a case opened later is not related yet.
    assert [r.status for r in registry.case_file("A/1/2020").as_of(D(2022, 2, 28)).related] == [
        "open"
    ]
    assert registry.case_file("A/1/2020").as_of(D(2020, 12, 31)).related == ()


def test_an_open_case_with_a_closing_date_is_a_data_note_not_a_fact(tmp_path, write_data):
    cases = (
        "case_id,title,opened,status,closed,owner_forum_id,responsible,summary\n"
        "A/1/2020,Första ärendet,2020-05,open,9999-12-31,N,,\n"
        "A/2/2021,Andra ärendet,2021,closed,2022-03-01,N,,\n"
    )
    case_file = load(write_data(tmp_path, cases=cases)).case_file("A/1/2020")
    assert [(n.code, n.where("sv")) for n in case_file.notes] == [
        ("closed_on_open_case", "cases.csv, rad 2")
    ]
    on = case_file.as_of(D(2023, 6, 1))
    assert (on.case.status, on.case.closed) == ("open", None)
    assert [n.code for n in on.notes] == ["closed_on_open_case"]
    assert (
        on.notes[0].text("en") == "The case is open but has a closing date; the date is not shown."
    )


def test_notes_that_name_a_later_date_are_left_out(sample):
    # The mandate period 2019–2022 begins before the case was registered (2020).
    assert [n.code for n in sample.case_file("RUN/168/2020").as_of(D(2020, 1, 1)).notes] == [
        "event_before_opened"
    ]
    assert sample.case_file("RUN/136/2022").as_of(D(2022, 1, 1)).notes == ()


def test_a_case_registered_after_the_day_had_nothing_on_it(sample):
    before = sample.case_file("RUN/168/2020").as_of(D(2019, 12, 31))
    assert before.unregistered
    assert (before.events, before.documents, before.related, before.notes) == ((), (), (), ())
    assert (before.later_events, before.later_documents) == (18, 2)
    assert not sample.case_file("RUN/168/2020").as_of(D(2020, 1, 1)).unregistered


def test_a_meeting_whose_title_says_it_is_made_up_is_an_example(sample):
    assert sample.meeting("EXEMPEL-RUN-2023-06").is_example
    assert Meeting("M", "N", D(2023, 6, 13), title="Example meeting").is_example
    assert not Meeting(
        "M", "N", D(2023, 6, 13), title="Sammanträde med exemplarisk ordning"
    ).is_example
    assert not Meeting("M", "N", D(2023, 6, 13)).is_example
