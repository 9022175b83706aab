"""What a dossier says about a case: on the sample case and on small hand-built case files."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from dossier.content import analysis
from dossier.data.calendar import Calendar
from dossier.data.contract import EVENT_KINDS
from dossier.data.dates import PartialDate
from dossier.data.model import AgendaItem, Case, CaseFile, Event, Forum, Meeting
from dossier.data.validate import load
from dossier.resources import sample_data_dir

D = dt.date


@pytest.fixture(scope="module")
def sample():
    return load(sample_data_dir())


def event(date: str, kind: str = "other", *, forum: str = "", end: str = "", **more) -> Event:
    return Event(
        "T/1", PartialDate.parse(date), kind, more.pop("title", f"{kind} {date}"),
        PartialDate.parse(end) if end else None, forum, **more,
    )  # fmt: skip


def case_file(
    *events: Event,
    opened: str = "2020-01",
    status: str = "open",
    closed: str = "",
    agenda: tuple[AgendaItem, ...] = (),
    forums: dict[str, Forum] | None = None,
    as_of: dt.date | None = None,
) -> CaseFile:
    """A hand-built case file; cut to ``as_of`` when given, as every dossier is."""
    case = Case(
        "T/1", "Testärende", PartialDate.parse(opened), status,
        PartialDate.parse(closed) if closed else None,
    )  # fmt: skip
    found = CaseFile(case, tuple(events), forums or {}, (), (), agenda, ())
    return found.as_of(as_of) if as_of else found


#: A publication day before every meeting of these tests.
EARLY = D(2023, 1, 2)
DEFAULT_CALENDAR = Calendar()


def item(meeting_id: str, day: dt.date, state: str = "planned", number: str = "1",
         published: dt.date | None = EARLY) -> AgendaItem:  # fmt: skip
    return AgendaItem(Meeting(meeting_id, "N", day, state=state), number, "T/1", published=published)


# The sample case


def test_pending_proposal_of_the_sample_case_and_its_two_points(sample):
    pending = analysis.pending_proposal(sample.case_file("RUN/168/2020").as_of(D(2023, 6, 1)))
    assert pending is not None
    assert pending.event.event_id == "168-18"
    assert pending.points == (
        ("1", "Arbetet med att ta fram en länsgemensam påverkansagenda i dess nuvarande form "
              "avslutas."),
        ("2", "Arbetet med för länet strategiskt viktiga påverkansfrågor hanteras framöver "
              "samlat i Länspartnerskapet."),
    )  # fmt: skip


def test_no_proposal_was_pending_before_2023(sample):
    # The memo: the proposal to end the work came in 2023; in June 2022 the case had been referred back.
    assert analysis.pending_proposal(sample.case_file("RUN/168/2020").as_of(D(2022, 6, 1))) is None


def test_decisions_of_the_related_case(sample):
    case_file = sample.case_file("RUN/136/2022").as_of(D(2023, 6, 1))
    made = analysis.decisions(case_file)
    assert [(d.forum, d.paragraph, d.event.date) for d in made] == [
        ("Regionala utvecklingsnämnden", "§ 224", PartialDate(2022, 12)),
        ("Länspartnerskapet", "", PartialDate(2023, 3)),
    ]
    assert analysis.pending_proposal(case_file) is None
    earlier = analysis.decisions(sample.case_file("RUN/136/2022").as_of(D(2023, 1, 31)))
    assert [d.paragraph for d in earlier] == ["§ 224"]


def test_summary_of_the_sample_case(sample):
    summary = analysis.summarise(sample.case_file("RUN/168/2020").as_of(D(2023, 6, 1)))
    assert summary.status == "open"
    assert [d.event.kind for d in summary.decisions] == ["referred_back", "deferred"]
    assert summary.decisions[0].forum == "Regionala utvecklingsnämnden"
    assert {k: summary.counts[k] for k in analysis.COUNTED_KINDS} == {
        "discussed": 7, "referred_back": 1, "tabled": 0, "deferred": 1,
    }  # fmt: skip
    # Registered "2020": between end of 2020 and 1 June 2023 (2 yr 5 mo) and its start (3 yr 5 mo).
    assert summary.time_open == analysis.Months(29, 41)
    assert summary.next_meeting is not None
    assert summary.next_meeting.meeting.meeting_id == "EXEMPEL-RUN-2023-06"
    assert summary.next_meeting.item == "7"
    assert not summary.inactivity.inactive
    # The year-only 2023 events may lie on 1 June or in January: up to 5 whole months ago.
    assert summary.inactivity.since == analysis.Months(0, 5)


def test_the_sample_as_of_june_2022_counts_only_what_had_happened(sample):
    summary = analysis.summarise(sample.case_file("RUN/168/2020").as_of(D(2022, 6, 1)))
    assert [d.event.kind for d in summary.decisions] == ["referred_back"]
    assert summary.counts["discussed"] == 5
    assert summary.counts["deferred"] == 0
    # The party groups' discussions ran on past the day: the case was active on it.
    assert summary.inactivity.since == analysis.Months(0, 0)
    assert summary.quiet is None


def test_forums_of_the_sample_case_in_order_of_first_involvement(sample):
    uses = analysis.forums_involved(sample.case_file("RUN/168/2020").as_of(D(2023, 6, 1)))
    assert [u.forum_id for u in uses][:3] == ["RUN", "FV", "SAMR"]
    run = uses[0]
    assert run.forum is not None and run.forum.name == "Regionala utvecklingsnämnden"
    assert (run.count, run.first, run.last) == (6, PartialDate(2019), PartialDate(2023, 1))
    # The council's dialogues ran from May 2020 to May 2022: May 2022 is its last time.
    council = uses[2]
    assert (council.count, council.first, council.last) == (
        2, PartialDate(2020, 5), PartialDate(2022, 5),
    )  # fmt: skip


def test_a_period_running_on_the_day_is_the_forums_latest_and_ongoing(sample):
    uses = analysis.forums_involved(sample.case_file("RUN/168/2020").as_of(D(2022, 6, 1)))
    party_groups = next(u for u in uses if u.forum_id == "PG")
    assert (party_groups.first, party_groups.last) == (PartialDate(2022, 5), None)


# Proposals and their points


@pytest.mark.parametrize(
    ("description", "points"),
    [
        ("1. Ett.\n2) Två.", (("1", "Ett."), ("2", "Två."))),
        ("a. Första\nb) Andra", (("a", "Första"), ("b", "Andra"))),
        ("Inledning.\n  1.  Ett\n10. Tio", (("1", "Ett"), ("10", "Tio"))),
        ("1. Ett som\nfortsätter här\n   och här\n2. Två", (("1", "Ett som fortsätter här och här"), ("2", "Två"))),
        ("1. Ett\nSkäl: inte en punkt.\nfortsätter inte", (("1", "Ett"),)),
        ("1. Ett\n\nfortsätter inte efter en tom rad", (("1", "Ett"),)),
        ("100. inte en punkt\n1.inte heller\n2020. Årtal", ()),
        ("", ()),
    ],
)  # fmt: skip
def test_proposal_points(description, points):
    assert analysis.proposal_points(description) == points


def test_a_proposal_followed_by_a_decision_is_not_pending():
    cf = case_file(event("2021-01", "proposal"), event("2021-03", "decided", forum="N"))
    assert analysis.pending_proposal(cf) is None


@pytest.mark.parametrize("settling", ["decided", "referred_back", "withdrawn", "closed"])
def test_settling_kinds_settle_a_proposal(settling):
    cf = case_file(event("2021-01", "proposal"), event("2021-03", settling))
    assert analysis.pending_proposal(cf) is None


@pytest.mark.parametrize("postponing", ["tabled", "deferred", "discussed", "other"])
def test_tabling_and_deferral_do_not_settle_a_proposal(postponing):
    proposal = event("2021-01", "proposal", description="1. Gör så.\n2. Och så.")
    cf = case_file(proposal, event("2021-03", postponing))
    pending = analysis.pending_proposal(cf)
    assert pending is not None
    assert pending.event is proposal
    assert pending.points == (("1", "Gör så."), ("2", "Och så."))


def test_the_latest_proposal_after_a_decision_is_pending():
    second = event("2022-01", "proposal", title="Nytt förslag")
    cf = case_file(event("2021-01", "proposal"), event("2021-03", "decided"), second)
    assert analysis.pending_proposal(cf).event is second


def test_decisions_use_the_forum_name_or_its_id():
    cf = case_file(
        event("2021-01", "referred_back", forum="N", decision_ref="§ 3"),
        event("2021-02", "discussed", forum="N"),
        event("2021-03", "decided", forum="X"),
        forums={"N": Forum("N", "Nämnden", "committee")},
    )
    assert [(d.event.kind, d.forum, d.paragraph) for d in analysis.decisions(cf)] == [
        ("referred_back", "Nämnden", "§ 3"),
        ("decided", "X", ""),
    ]


# Counting and time


def test_counts_by_kind_has_every_kind():
    cf = case_file(
        event("2021-01", "discussed"), event("2021-02", "discussed"), event("2021-03", "tabled")
    )
    counts = analysis.counts_by_kind(cf)
    assert list(counts) == list(EVENT_KINDS)
    assert counts["discussed"] == 2
    assert counts["tabled"] == 1
    assert sum(counts.values()) == 3


def test_time_open_runs_to_the_day_or_to_the_closing():
    assert analysis.time_open(case_file(opened="2020-05", as_of=D(2022, 5, 1))) == (
        analysis.Months(23, 24)
    )
    assert analysis.time_open(case_file(opened="2020-05-01", as_of=D(2022, 4, 30))) == (
        analysis.Months(23, 23)
    )
    closed = case_file(opened="2020-05", status="closed", closed="2021-02", as_of=D(2030, 1, 1))
    assert analysis.time_open(closed) == analysis.Months(8, 9)


def test_a_case_closed_after_the_day_is_open_on_it_and_its_time_runs_to_the_day():
    # Closed 20 March 2024; as of 1 June 2023 it is open, 41 months and no more.
    cf = case_file(opened="2020-01-15", status="closed", closed="2024-03-20", as_of=D(2023, 6, 1))
    assert cf.case.status == "open" and cf.case.closed is None
    assert analysis.time_open(cf) == analysis.Months(40, 40)
    assert analysis.inactivity(cf).inactive


def test_a_closing_date_of_9999_never_counts_thousands_of_years():
    cf = case_file(opened="2020", status="closed", closed="9999-12-31", as_of=D(2023, 6, 1))
    assert analysis.time_open(cf) == analysis.Months(29, 41)


def test_measures_need_a_day():
    with pytest.raises(ValueError, match=r"case_file.as_of\(day\)"):
        analysis.summarise(case_file())


def test_longest_quiet_spell_between_events():
    cf = case_file(
        event("2020-01-15"), event("2020-02-10"), event("2021-06-01"), event("2021-07-20"),
        as_of=D(2021, 8, 1),
    )  # fmt: skip
    quiet = analysis.longest_quiet_spell(cf)
    assert (quiet.after, quiet.before) == (PartialDate(2020, 2, 10), PartialDate(2021, 6, 1))
    assert quiet.months == analysis.Months(15, 15)


def test_the_quiet_spell_runs_to_the_day_while_still_quiet():
    cf = case_file(event("2020-01-15"), event("2020-03-01"), as_of=D(2021, 1, 1))
    quiet = analysis.longest_quiet_spell(cf)
    assert (quiet.after, quiet.before) == (PartialDate(2020, 3, 1), PartialDate(2021, 1, 1))
    assert quiet.months == analysis.Months(10, 10)


def test_the_quiet_spell_of_a_closed_case_stops_at_its_closing():
    cf = case_file(
        event("2020-01-15"), event("2020-03-01"), status="closed", closed="2020-05",
        as_of=D(2025, 1, 1),
    )  # fmt: skip
    quiet = analysis.longest_quiet_spell(cf)
    assert (quiet.after, quiet.before) == (PartialDate(2020, 3, 1), PartialDate(2020, 5))
    assert quiet.months == analysis.Months(2, 2)


def test_periods_and_partial_dates_keep_a_case_active():
    cf = case_file(
        event("2020-01-15"),
        event("2020-02", end="2021-05"),  # a period covers Feb 2020 to the end of May 2021
        event("2021-06"),  # a month covers all its days
        event("2021-09-01"),
        as_of=D(2021, 9, 1),
    )
    quiet = analysis.longest_quiet_spell(cf)
    assert (quiet.after, quiet.before) == (PartialDate(2021, 6), PartialDate(2021, 9, 1))
    # Certainly quiet from 1 July to 31 August; at most from 1 June to 1 September.
    assert (quiet.days, quiet.months) == (62, analysis.Months(2, 3))


def test_quiet_spells_name_their_ends_as_the_data_gives_them():
    # Year-only events never give "31 december 2023".
    cf = case_file(event("2020"), event("2023"), opened="2020", as_of=D(2026, 11, 29))
    quiet = analysis.longest_quiet_spell(cf)
    assert (quiet.after, quiet.before) == (PartialDate(2023), PartialDate(2026, 11, 29))
    assert quiet.months == analysis.Months(34, 46)


def test_events_after_the_day_do_not_count():
    cf = case_file(event("2020-01-15"), event("2023-01-01"), as_of=D(2020, 6, 15))
    quiet = analysis.longest_quiet_spell(cf)
    assert (quiet.after, quiet.before) == (PartialDate(2020, 1, 15), PartialDate(2020, 6, 15))


def test_no_quiet_spell_without_events_or_gaps():
    assert analysis.longest_quiet_spell(case_file(as_of=D(2021, 1, 1))) is None
    busy = case_file(event("2020", end="2021"), as_of=D(2021, 6, 1))
    assert analysis.longest_quiet_spell(busy) is None
    # A year-only event in the day's year may lie on the day itself: no certain quiet.
    assert analysis.longest_quiet_spell(case_file(event("2023"), as_of=D(2023, 6, 1))) is None


@pytest.mark.parametrize(
    ("as_of", "inactive"),
    [
        (D(2023, 7, 9), False),
        (D(2023, 7, 10), False),
        (D(2023, 7, 11), True),
        (D(2024, 1, 1), True),
    ],
)
def test_inactivity_flag_on_both_sides_of_the_threshold(as_of, inactive):
    cf = case_file(event("2022-05-01"), event("2023-01-10"), as_of=as_of)
    result = analysis.inactivity(cf, threshold_months=6)
    assert result.inactive is inactive
    assert result.since.exact
    assert result.threshold == 6


def test_inactivity_counts_from_the_end_of_a_partial_date():
    cf = case_file(event("2023-01"), as_of=D(2023, 7, 31))
    result = analysis.inactivity(cf, threshold_months=6)
    assert result.since == analysis.Months(6, 6)
    assert not result.inactive
    later = case_file(event("2023-01"), as_of=D(2023, 8, 1))
    assert analysis.inactivity(later, threshold_months=6).inactive


def test_an_event_whose_span_holds_the_day_proves_no_recent_activity():
    # "2023" as of 1 June 2023: it may have been on the day, or in January.
    result = analysis.inactivity(case_file(event("2023"), as_of=D(2023, 6, 1)))
    assert result.since == analysis.Months(0, 5)
    assert not result.inactive


def test_inactivity_without_events_counts_from_the_opening():
    result = analysis.inactivity(case_file(opened="2022-01", as_of=D(2022, 12, 1)), 6)
    assert not result.has_events
    assert result.since == analysis.Months(10, 11)
    assert result.inactive
    assert not analysis.inactivity(case_file(opened="2022-01", as_of=D(2022, 3, 1)), 6).inactive


def test_a_closed_case_is_never_inactive():
    cf = case_file(event("2020-01-10"), status="closed", closed="2020-02", as_of=D(2025, 1, 1))
    assert not analysis.inactivity(cf).inactive


def test_next_meeting_skips_past_and_cancelled_meetings():
    agenda = (
        item("past", D(2023, 5, 1)),
        item("cancelled", D(2023, 6, 13), state="cancelled"),
        item("next", D(2023, 9, 5)),
        item("later", D(2023, 10, 3)),
    )

    def next_on(day: dt.date, items=agenda) -> str | None:
        found = analysis.next_meeting(case_file(agenda=items, as_of=day))
        return found.meeting.meeting_id if found else None

    assert next_on(D(2023, 6, 1)) == "next"
    assert next_on(D(2023, 9, 5)) == "next"
    assert next_on(D(2023, 9, 6)) == "later"
    assert next_on(D(2023, 10, 4)) is None
    assert next_on(D(2023, 6, 1), agenda[:2]) is None


def test_forums_are_ordered_by_first_involvement_and_take_in_a_periods_end():
    cf = case_file(
        event("2020-03", forum="R"),
        event("2020-06", forum="N", end="2021-09"),
        event("2020-09"),
        event("2021", forum="R"),
        event("2022-01-05", forum="S"),
        event("2022-02", forum="S", end="2030"),
        forums={"N": Forum("N", "Nämnden", "committee")},
        as_of=D(2022, 6, 1),
    )
    uses = analysis.forums_involved(cf)
    assert [(u.forum_id, u.count, u.first, u.last) for u in uses] == [
        ("R", 2, PartialDate(2020, 3), PartialDate(2021)),
        ("N", 1, PartialDate(2020, 6), PartialDate(2021, 9)),
        ("S", 2, PartialDate(2022, 1, 5), None),
    ]
    assert uses[1].forum.name == "Nämnden"
    assert uses[0].forum is None


def test_is_new_looks_at_any_part_of_the_span():
    assert analysis.is_new(event("2023"), D(2023, 12, 31))
    assert not analysis.is_new(event("2023-05"), D(2023, 6, 1))
    assert analysis.is_new(event("2023-06-01"), D(2023, 6, 1))
    assert not analysis.is_new(event("2023-06-01"), None)


def test_an_agenda_item_is_named_only_once_its_agenda_was_published():
    def next_on(day: dt.date, *items: AgendaItem, calendar: Calendar = DEFAULT_CALENDAR) -> str | None:
        found = analysis.next_meeting(replace(case_file(agenda=items), calendar=calendar).as_of(day))
        return found.meeting.meeting_id if found else None

    meeting = D(2023, 6, 13)
    published = item("m", meeting, published=D(2023, 5, 20))
    assert next_on(D(2023, 5, 19), published) is None
    assert next_on(D(2023, 5, 20), published) == "m"
    unpublished = item("m", meeting, published=None)  # known within the notice period only
    assert next_on(D(2023, 5, 29), unpublished) is None
    assert next_on(D(2023, 5, 30), unpublished) == "m"
    assert next_on(D(2023, 5, 13), unpublished, calendar=Calendar(notice_days=31)) == "m"
    # Never before the case was registered, whatever the agenda says.
    late_case = replace(case_file(agenda=(published,), opened="2023-06"), calendar=Calendar())
    assert analysis.next_meeting(late_case.as_of(D(2023, 5, 31))) is None


def test_the_forums_coming_meeting_is_named_within_the_calendars_horizon():
    sittings = (Meeting("held", "N", D(2022, 3, 1)), Meeting("off", "N", D(2023, 6, 1), state="cancelled"),
                Meeting("june", "N", D(2023, 6, 13)))  # fmt: skip

    def sitting_on(day: dt.date, status: str = "open", horizon: int = 6, agenda=()) -> str | None:
        found = replace(case_file(status=status, closed="2020-02" if status == "closed" else "",
                                  agenda=agenda), sittings=sittings,
                        calendar=Calendar(horizon_months=horizon)).as_of(day)  # fmt: skip
        meeting = analysis.summarise(found).next_sitting
        return meeting.meeting_id if meeting else None

    assert sitting_on(D(2019, 1, 1)) is None
    assert sitting_on(D(2022, 12, 12)) is None
    assert sitting_on(D(2022, 12, 13)) == "june"
    assert sitting_on(D(2022, 6, 1), horizon=13) == "june"
    assert sitting_on(D(2023, 6, 1)) == "june"  # the cancelled meeting is no meeting
    assert sitting_on(D(2023, 6, 14)) is None
    assert sitting_on(D(2023, 6, 1), status="closed") is None
    # A known agenda item says more than the calendar: the calendar then says nothing.
    assert sitting_on(D(2023, 6, 1), agenda=(item("june", D(2023, 6, 13)),)) is None
