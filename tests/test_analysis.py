"""What a dossier says about a case: on the sample case and on small hand-built case files."""

from __future__ import annotations

import datetime as dt

import pytest

from dossier.content import analysis
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
) -> CaseFile:
    case = Case(
        "T/1", "Testärende", PartialDate.parse(opened), status,
        PartialDate.parse(closed) if closed else None,
    )  # fmt: skip
    return CaseFile(case, tuple(events), forums or {}, (), (), agenda, ())


def item(meeting_id: str, day: dt.date, state: str = "planned", number: str = "1") -> AgendaItem:
    return AgendaItem(Meeting(meeting_id, "N", day, state=state), number, "T/1")


# The sample case


def test_status_sentence_of_the_sample_case(sample):
    case_file = sample.case_file("RUN/168/2020")
    assert analysis.status_sentence(case_file, "sv") == (
        "Pågående sedan 2020. Senaste beslut: uppskjutet, 2023. "
        "Liggande förslag: Regiondirektörens förslag (2 punkter)."
    )
    assert analysis.status_sentence(case_file, "en") == (
        "Open since 2020. Latest decision: deferral, 2023. "
        "Pending proposal: Regiondirektörens förslag (2 points)."
    )


def test_pending_proposal_of_the_sample_case_and_its_two_points(sample):
    pending = analysis.pending_proposal(sample.case_file("RUN/168/2020"))
    assert pending is not None
    assert pending.event.event_id == "168-18"
    assert pending.points == (
        ("1", "Arbetet med att ta fram en länsgemensam påverkansagenda i dess nuvarande form "
              "avslutas."),
        ("2", "Arbetet med för länet strategiskt viktiga påverkansfrågor hanteras framöver "
              "samlat i Länspartnerskapet."),
    )  # fmt: skip


def test_decisions_of_the_related_case(sample):
    case_file = sample.case_file("RUN/136/2022")
    made = analysis.decisions(case_file)
    assert [(d.forum, d.paragraph, d.event.date) for d in made] == [
        ("Regionala utvecklingsnämnden", "§ 224", PartialDate(2022, 12)),
        ("Länspartnerskapet", "", PartialDate(2023, 3)),
    ]
    assert analysis.pending_proposal(case_file) is None
    assert analysis.status_sentence(case_file, "sv") == (
        "Pågående sedan 2022. Senaste beslut: beslut i Länspartnerskapet, mars 2023."
    )
    assert analysis.status_sentence(case_file, "en") == (
        "Open since 2022. Latest decision: decision in Länspartnerskapet, March 2023."
    )


def test_summary_of_the_sample_case(sample):
    summary = analysis.summarise(sample.case_file("RUN/168/2020"), D(2023, 6, 1))
    assert summary.status == "pågående"
    assert [d.event.kind for d in summary.decisions] == ["referred_back", "deferred"]
    assert summary.decisions[0].forum == "Regionala utvecklingsnämnden"
    assert {k: summary.counts[k] for k in analysis.COUNTED_KINDS} == {
        "discussed": 7, "referred_back": 1, "tabled": 0, "deferred": 1,
    }  # fmt: skip
    assert summary.months_open == 41
    assert summary.next_meeting is not None
    assert summary.next_meeting.meeting.meeting_id == "EXEMPEL-RUN-2023-06"
    assert summary.next_meeting.item == "7"
    assert not summary.inactivity.inactive
    english = analysis.summarise(sample.case_file("RUN/168/2020"), D(2023, 6, 1), lang="en")
    assert english.status == "open"
    assert english.sentence.startswith("Open since 2020.")


def test_forums_of_the_sample_case_in_order_of_first_involvement(sample):
    uses = analysis.forums_involved(sample.case_file("RUN/168/2020"))
    assert [u.forum_id for u in uses][:3] == ["RUN", "FV", "SAMR"]
    run = uses[0]
    assert run.forum is not None and run.forum.name == "Regionala utvecklingsnämnden"
    assert (run.count, run.first, run.last) == (6, PartialDate(2019), PartialDate(2023, 1))


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


# The status sentence in its variants


def test_status_sentence_with_forum_and_single_point():
    cf = case_file(
        event("2021-03-04", "tabled", forum="N"),
        event("2021-05", "proposal", title="Förslag", description="1. Bara en punkt."),
        opened="2020-05",
        forums={"N": Forum("N", "Nämnden", "committee")},
    )
    assert analysis.status_sentence(cf, "sv") == (
        "Pågående sedan maj 2020. Senaste beslut: bordläggning i Nämnden, 4 mars 2021. "
        "Liggande förslag: Förslag (1 punkt)."
    )
    assert analysis.status_sentence(cf, "en") == (
        "Open since May 2020. Latest decision: tabled in Nämnden, 4 March 2021. "
        "Pending proposal: Förslag (1 point)."
    )


def test_status_sentence_without_decision_and_proposal_without_points():
    cf = case_file(event("2021-05", "proposal", title="Förslag utan punkter"), opened="2021")
    assert analysis.status_sentence(cf, "en") == (
        "Open since 2021. No decision yet. Pending proposal: Förslag utan punkter."
    )


def test_status_sentence_of_closed_cases():
    dated = case_file(event("2021-03", "decided"), status="closed", closed="2021-06-30")
    assert analysis.status_sentence(dated, "sv") == (
        "Avslutat 30 juni 2021. Senaste beslut: beslut, mars 2021."
    )
    undated = case_file(status="closed")
    assert analysis.status_sentence(undated, "en") == "Closed. No decision yet."


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


def test_months_open_runs_to_as_of_or_to_the_closing():
    assert analysis.months_open(case_file(opened="2020-05"), D(2022, 5, 1)) == 24
    assert analysis.months_open(case_file(opened="2020-05"), D(2022, 4, 30)) == 23
    closed = case_file(opened="2020-05", status="closed", closed="2021-02")
    assert analysis.months_open(closed, D(2030, 1, 1)) == 9


def test_longest_quiet_spell_between_events():
    cf = case_file(
        event("2020-01-15"), event("2020-02-10"), event("2021-06-01"), event("2021-07-20")
    )
    quiet = analysis.longest_quiet_spell(cf, D(2021, 8, 1))
    assert (quiet.start, quiet.end) == (D(2020, 2, 10), D(2021, 6, 1))
    assert quiet.months == 15


def test_the_quiet_spell_runs_to_as_of_while_still_quiet():
    cf = case_file(event("2020-01-15"), event("2020-03-01"))
    quiet = analysis.longest_quiet_spell(cf, D(2021, 1, 1))
    assert (quiet.start, quiet.end) == (D(2020, 3, 1), D(2021, 1, 1))
    assert quiet.months == 10


def test_the_quiet_spell_of_a_closed_case_stops_at_its_closing():
    cf = case_file(event("2020-01-15"), event("2020-03-01"), status="closed", closed="2020-05")
    quiet = analysis.longest_quiet_spell(cf, D(2025, 1, 1))
    assert (quiet.start, quiet.end) == (D(2020, 3, 1), D(2020, 5, 31))


def test_periods_and_partial_dates_keep_a_case_active():
    cf = case_file(
        event("2020-01-15"),
        event("2020-02", end="2021-05"),  # a period covers Feb 2020 to the end of May 2021
        event("2021-06"),  # a month covers all its days
        event("2021-09-01"),
    )
    quiet = analysis.longest_quiet_spell(cf, D(2021, 9, 1))
    assert (quiet.start, quiet.end) == (D(2021, 6, 30), D(2021, 9, 1))


def test_events_after_as_of_do_not_count():
    cf = case_file(event("2020-01-15"), event("2023-01-01"))
    quiet = analysis.longest_quiet_spell(cf, D(2020, 6, 15))
    assert (quiet.start, quiet.end) == (D(2020, 1, 15), D(2020, 6, 15))


def test_no_quiet_spell_without_events_or_gaps():
    assert analysis.longest_quiet_spell(case_file(), D(2021, 1, 1)) is None
    busy = case_file(event("2020", end="2021"))
    assert analysis.longest_quiet_spell(busy, D(2021, 6, 1)) is None


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
    cf = case_file(event("2022-05-01"), event("2023-01-10"))
    result = analysis.inactivity(cf, as_of, threshold_months=6)
    assert result.inactive is inactive
    assert result.last_activity == D(2023, 1, 10)
    assert result.threshold == 6


def test_inactivity_counts_from_the_end_of_a_partial_date():
    cf = case_file(event("2023-01"))
    result = analysis.inactivity(cf, D(2023, 7, 31), threshold_months=6)
    assert result.last_activity == D(2023, 1, 31)
    assert result.months == 6
    assert not result.inactive
    assert analysis.inactivity(cf, D(2023, 8, 1), threshold_months=6).inactive


def test_inactivity_without_events_counts_from_the_opening():
    cf = case_file(opened="2022-01")
    result = analysis.inactivity(cf, D(2022, 12, 1), threshold_months=6)
    assert result.last_activity is None
    assert result.months == 11
    assert result.inactive
    assert not analysis.inactivity(cf, D(2022, 3, 1), threshold_months=6).inactive


def test_a_closed_case_is_never_inactive():
    cf = case_file(event("2020-01-10"), status="closed", closed="2020-02")
    assert not analysis.inactivity(cf, D(2025, 1, 1)).inactive


def test_next_meeting_skips_past_and_cancelled_meetings():
    agenda = (
        item("past", D(2023, 5, 1)),
        item("cancelled", D(2023, 6, 13), state="cancelled"),
        item("next", D(2023, 9, 5)),
        item("later", D(2023, 10, 3)),
    )
    cf = case_file(agenda=agenda)
    assert analysis.next_meeting(cf, D(2023, 6, 1)).meeting.meeting_id == "next"
    assert analysis.next_meeting(cf, D(2023, 9, 5)).meeting.meeting_id == "next"
    assert analysis.next_meeting(cf, D(2023, 9, 6)).meeting.meeting_id == "later"
    assert analysis.next_meeting(cf, D(2023, 10, 4)) is None
    only_cancelled = case_file(agenda=agenda[:2])
    assert analysis.next_meeting(only_cancelled, D(2023, 6, 1)) is None


def test_forums_are_ordered_by_first_involvement():
    cf = case_file(
        event("2020-03", forum="R"),
        event("2020-06", forum="N"),
        event("2020-09"),
        event("2021", forum="R"),
        event("2022-01-05", forum="S"),
        forums={"N": Forum("N", "Nämnden", "committee")},
    )
    uses = analysis.forums_involved(cf)
    assert [(u.forum_id, u.count, u.first, u.last) for u in uses] == [
        ("R", 2, PartialDate(2020, 3), PartialDate(2021)),
        ("N", 1, PartialDate(2020, 6), PartialDate(2020, 6)),
        ("S", 1, PartialDate(2022, 1, 5), PartialDate(2022, 1, 5)),
    ]
    assert uses[1].forum.name == "Nämnden"
    assert uses[0].forum is None


def test_is_new_looks_at_any_part_of_the_span():
    assert analysis.is_new(event("2023"), D(2023, 12, 31))
    assert not analysis.is_new(event("2023-05"), D(2023, 6, 1))
    assert analysis.is_new(event("2023-06-01"), D(2023, 6, 1))
    assert not analysis.is_new(event("2023-06-01"), None)
