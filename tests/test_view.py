"""The case view: the sentences and figures a reader sees, golden for the sample, exact in wording.

The golden tests follow the memo behind the sample (seed/000_e2f8f762bef4f514.txt):
- May 2020: first discussion in the council; dialogues with it, the committee and
  its presidium until the committee meeting in May 2022, which referred the case
  back (the timetable needed review).
- Then party groups; the committee discussed it again in August 2022 and January
  2023; in 2023 it was deferred to summer 2023 (no date, no body given).
- 2023, after March: the regional director proposes to END the work in its
  current form and to handle the questions in Länspartnerskapet.
- The related review (RUN/136/2022) from spring 2022: RUN decided § 224 in
  December 2022, Länspartnerskapet decided on its presidium in March (2023).
- The only meeting in the sample (13 June 2023) is made up, and says so.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dossier.catalogue import Source
from dossier.content import analysis
from dossier.content.context import case_dossier
from dossier.content.parameters import DossierParameters
from dossier.content.view import case_view, duration
from dossier.data.dates import PartialDate
from dossier.data.model import AgendaItem, Case, CaseFile, Event, Forum, Meeting
from dossier.data.validate import load
from dossier.resources import sample_data_dir

D = dt.date
EXAMPLE_MEETING = "EXEMPEL (påhittat för demonstration): Regionala utvecklingsnämndens sammanträde"
NO_FURTHER = "Ingen vidare behandling är känd: ärendet är inte på någon känd dagordning."
IN_THE_CALENDAR = (
    f"{EXAMPLE_MEETING}: Regionala utvecklingsnämnden sammanträder nästa gång 13 juni 2023 "
    "kl. 09:00; ärendet är inte på någon publicerad dagordning."
)
POINTS_SV = (
    "1. Arbetet med att ta fram en länsgemensam påverkansagenda i dess nuvarande form avslutas. "
    "2. Arbetet med för länet strategiskt viktiga påverkansfrågor hanteras framöver samlat i "
    "Länspartnerskapet."
)


@pytest.fixture(scope="module")
def sample():
    return load(sample_data_dir())


def view_of(sample, case_id: str, day: str, lang: str = "sv"):
    return case_dossier(sample, case_id, DossierParameters(as_of=D.fromisoformat(day), lang=lang)).view


def figure(view, name: str) -> str:
    return str(dict(view.figures)[name])


# Golden: RUN/168/2020 on three days of its history


def test_golden_june_2022_referred_back_nothing_pending(sample):
    view = view_of(sample, "RUN/168/2020", "2022-06-01")
    assert str(view.sentence) == (
        "Pågående sedan 2020. Senaste beslut: Nämnden återremitterade ärendet "
        "(återremiss, Regionala utvecklingsnämnden, maj 2022)."
    )
    assert view.pending is None
    assert str(view.activity) == "Senaste händelse för mindre än en månad sedan."
    assert figure(view, "Längsta uppehåll") == "inget uppehåll mellan händelserna"
    # The meeting of June 2023 is a year away: no agenda names it, no calendar that far ahead.
    assert str(view.next_meeting) == NO_FURTHER
    assert figure(view, "Handläggningstid") == "1–2 år"
    assert [str(value) for _, value in view.facts][:2] == [
        "pågående",
        "Regionala utvecklingsnämnden",
    ]


def test_golden_january_2023_what_2023_holds_may_come_later(sample):
    # The deferral and the proposal are dated only "2023": on 31 January they may not have
    # happened yet (the memo places the proposal after March), and the sentence says so.
    view = view_of(sample, "RUN/168/2020", "2023-01-31")
    assert str(view.sentence) == (
        "Pågående sedan 2020. Liggande förslag (Regiondirektörens förslag, 2023, möjligen efter "
        f"den 31 januari 2023): {POINTS_SV} Senaste beslut: Ärendet hänsköts ytterligare till "
        "sommaren 2023 (uppskov, 2023, möjligen efter den 31 januari 2023)."
    )
    # Discussed in the committee in January 2023: certainly within the month.
    assert str(view.activity) == "Senaste händelse för mindre än en månad sedan."
    assert figure(view, "Längsta uppehåll") == "inget uppehåll mellan händelserna"
    # The forum's calendar names the meeting (within six months); its agenda is not out yet.
    assert str(view.next_meeting) == IN_THE_CALENDAR


def test_golden_june_2023_the_director_proposes_to_end_the_work(sample):
    view = view_of(sample, "RUN/168/2020", "2023-06-01")
    assert str(view.sentence) == (
        "Pågående sedan 2020. Liggande förslag (Regiondirektörens förslag, 2023, möjligen efter "
        f"den 1 juni 2023): {POINTS_SV} Senaste beslut: Ärendet hänsköts ytterligare till "
        "sommaren 2023 (uppskov, 2023, möjligen efter den 1 juni 2023)."
    )
    assert "avslutas" in str(view.sentence)  # the one thing a politician must not miss
    assert str(view.pending.about) == "Regiondirektören, 2023, möjligen efter den 1 juni 2023"
    assert str(view.activity) == "Senaste händelse för mindre än 6 månader sedan."
    assert not view.inactive
    assert figure(view, "Längsta uppehåll") == "inget uppehåll mellan händelserna"
    assert figure(view, "Handläggningstid") == "2–3 år"
    assert [(d.date, d.kind, str(d.forum)) for d in view.decisions] == [
        ("maj 2022", "återremiss", "Regionala utvecklingsnämnden"), ("2023", "uppskov", "–"),
    ]  # fmt: skip


def test_golden_june_2023_in_english(sample):
    view = view_of(sample, "RUN/168/2020", "2023-06-01", "en")
    assert str(view.sentence) == (
        "Open since 2020. Pending proposal (Regiondirektörens förslag, 2023, possibly after "
        f"1 June 2023): {POINTS_SV} Latest decision: Ärendet hänsköts ytterligare till sommaren "
        "2023 (deferred, 2023, possibly after 1 June 2023)."
    )
    assert str(view.activity) == "Latest event less than 6 months ago."
    assert figure(view, "Longest time without events") == "no gap between events"
    assert str(view.next_meeting) == f"{EXAMPLE_MEETING}, 13 June 2023 at 09:00, item 7"
    assert figure(view, "Processing time") == "2–3 years"
    assert dict(view.figures)["Times adjourned"] == ("0",)


def test_golden_june_2023_in_german(sample):
    view = view_of(sample, "RUN/168/2020", "2023-06-01", "de")
    assert str(view.sentence) == (
        "In Bearbeitung seit 2020. Offener Beschlussvorschlag (Regiondirektörens förslag, 2023, "
        f"möglicherweise nach dem 1. Juni 2023): {POINTS_SV} Letzter Beschluss: Ärendet hänsköts "
        "ytterligare till sommaren 2023 (Zurückstellung, 2023, möglicherweise nach dem 1. Juni 2023)."
    )
    assert str(view.activity) == "Das letzte Ereignis liegt weniger als 6 Monate zurück."
    assert figure(view, "Längste Zeit ohne Ereignis") == "keine Pause zwischen den Ereignissen"
    assert str(view.next_meeting) == f"{EXAMPLE_MEETING}, 13. Juni 2023, 09:00 Uhr, TOP 7"
    assert figure(view, "Bearbeitungsdauer") == "2–3 Jahre"
    assert dict(view.figures)["Wie oft vertagt"] == ("0",)
    assert [(d.date, d.kind) for d in view.decisions] == [
        ("Mai 2022", "Zurückverweisung"), ("2023", "Zurückstellung"),
    ]  # fmt: skip


# Golden: the related review, RUN/136/2022


@pytest.mark.parametrize(
    ("day", "sentence", "quiet", "next_meeting"),
    [
        ("2022-06-01", "Pågående sedan 2022. Inget beslut ännu.", "inget uppehåll mellan händelserna",
         NO_FURTHER),
        (
            "2023-01-31",
            "Pågående sedan 2022. Senaste beslut: Beslut om Länspartnerskapets roll och ägarskap "
            "(Regionala utvecklingsnämnden, december 2022, § 224).",
            "1 månad (december 2022 – 31 januari 2023)",
            IN_THE_CALENDAR,
        ),
        (
            "2023-06-01",
            "Pågående sedan 2022. Senaste beslut: Beslut om Länspartnerskapets presidium "
            "(Länspartnerskapet, mars 2023).",
            "2–3 månader (mars 2023 – 1 juni 2023)",
            f"{EXAMPLE_MEETING}, 13 juni 2023 kl. 09:00, punkt 8",
        ),
    ],
)  # fmt: skip
def test_golden_the_review_of_collaboration_forms(sample, day, sentence, quiet, next_meeting):
    view = view_of(sample, "RUN/136/2022", day)
    assert str(view.sentence) == sentence
    assert view.pending is None
    assert figure(view, "Längsta uppehåll") == quiet
    assert str(view.next_meeting) == next_meeting


def test_golden_the_review_in_german(sample):
    view = view_of(sample, "RUN/136/2022", "2023-06-01", "de")
    assert str(view.sentence) == (
        "In Bearbeitung seit 2022. Letzter Beschluss: Beslut om Länspartnerskapets presidium "
        "(Länspartnerskapet, März 2023)."
    )
    assert str(view.activity) == "Das letzte Ereignis liegt 2–3 Monate zurück."
    assert figure(view, "Längste Zeit ohne Ereignis") == "2–3 Monate (März 2023 bis 1. Juni 2023)"


def test_golden_the_review_in_english(sample):
    view = view_of(sample, "RUN/136/2022", "2023-06-01", "en")
    assert str(view.sentence) == (
        "Open since 2022. Latest decision: Beslut om Länspartnerskapets presidium "
        "(Länspartnerskapet, March 2023)."
    )
    assert str(view.activity) == "Latest event 2–3 months ago."
    assert figure(view, "Longest time without events") == "2–3 months (March 2023 to 1 June 2023)"


def test_the_sentence_keeps_the_datas_own_text_apart(sample):
    view = view_of(sample, "RUN/168/2020", "2023-06-01", "en")
    sources = [part for part in view.sentence if isinstance(part, Source)]
    assert sources[0] == "Regiondirektörens förslag"
    assert "Ärendet hänsköts ytterligare till sommaren 2023" in sources
    assert not any("Pending" in part for part in sources)


# Durations, at the precision the dates allow


@pytest.mark.parametrize(
    ("low", "high", "sv", "en", "de"),
    [
        (0, 0, "mindre än en månad", "less than a month", "weniger als ein Monat"),
        (1, 1, "1 månad", "1 month", "1 Monat"),
        (41, 41, "3 år 5 månader", "3 years 5 months", "3 Jahre 5 Monate"),
        (12, 12, "1 år", "1 year", "1 Jahr"),
        (2, 3, "2–3 månader", "2–3 months", "2–3 Monate"),
        (0, 5, "mindre än 6 månader", "less than 6 months", "weniger als 6 Monate"),
        (0, 11, "mindre än 1 år", "less than 1 year", "weniger als 1 Jahr"),
        (36, 37, "3 år – 3 år 1 månad", "3 years to 3 years 1 month", "3 Jahre bis 3 Jahre 1 Monat"),
        (29, 41, "2–3 år", "2–3 years", "2–3 Jahre"),
        (41, 53, "3–4 år", "3–4 years", "3–4 Jahre"),
        (5, 17, "mindre än 2 år", "less than 2 years", "weniger als 2 Jahre"),
        (12, 23, "1 år", "1 year", "1 Jahr"),
    ],
)
def test_duration_says_what_the_dates_allow(low, high, sv, en, de):
    months = analysis.Months(low, high)
    assert [duration(months, lang) for lang in ("sv", "en", "de")] == [sv, en, de]


# The sentence in its variants, on hand-built case files


def event(date: str, kind: str = "other", *, forum: str = "", **more) -> Event:
    return Event("T/1", PartialDate.parse(date), kind, more.pop("title", kind), forum_id=forum,
                 **more)  # fmt: skip


def sentence(*events: Event, day: dt.date, lang: str = "sv", **case) -> str:
    opened = case.pop("opened", "2020-05")
    found = CaseFile(
        Case("T/1", "Ärende", PartialDate.parse(opened), case.pop("status", "open"),
             PartialDate.parse(case["closed"]) if case.get("closed") else None),
        tuple(events), {"N": Forum("N", "Nämnden", "committee")}, (), (), (), (),
    ).as_of(day)  # fmt: skip
    return str(case_view(found, analysis.summarise(found), lang).sentence)


def test_sentence_with_forum_paragraph_and_a_single_point():
    said = sentence(
        event("2021-03-04", "tabled", forum="N", title="Bordlagt", decision_ref="§ 12"),
        event("2021-05", "proposal", title="Förslag", description="1. Bara en punkt"),
        day=D(2021, 9, 1),
    )
    assert said == (
        "Pågående sedan maj 2020. Liggande förslag (Förslag, maj 2021): 1. Bara en punkt. "
        "Senaste beslut: Bordlagt (bordläggning, Nämnden, 4 mars 2021, § 12)."
    )


def test_sentence_in_english_says_adjourned_not_tabled():
    said = sentence(event("2021-03-04", "tabled", forum="N", title="Bordlagt"), day=D(2021, 9, 1),
                    lang="en", opened="2020-05-04")  # fmt: skip
    assert said == (
        "Open since 4 May 2020. Latest decision: Bordlagt (adjourned, Nämnden, 4 March 2021)."
    )


def test_sentence_without_decision_and_a_proposal_without_points():
    said = sentence(event("2021-05", "proposal", title="Förslag utan punkter"), day=D(2021, 9, 1),
                    lang="en", opened="2021")  # fmt: skip
    assert (
        said
        == "Open since 2021. Pending proposal: Förslag utan punkter (May 2021). No decision yet."
    )


def test_sentence_gives_three_points_and_counts_the_rest():
    points = "\n".join(f"{n}. Punkt {n}." for n in range(1, 6))
    said = sentence(event("2021-05", "proposal", title="F", description=points), day=D(2021, 9, 1))
    assert said.endswith(
        "1. Punkt 1. 2. Punkt 2. 3. Punkt 3. Ytterligare 2 punkter. Inget beslut ännu."
    )


def test_sentence_of_closed_cases_says_when_at_the_precision_known():
    decided = event("2021-03", "decided", title="Beslutat")
    assert sentence(decided, day=D(2022, 1, 1), status="closed", closed="2021-06-30") == (
        "Avslutat den 30 juni 2021. Senaste beslut: Beslutat (mars 2021)."
    )
    assert sentence(decided, day=D(2022, 1, 1), status="closed", closed="2021-06") == (
        "Avslutat i juni 2021. Senaste beslut: Beslutat (mars 2021)."
    )
    assert sentence(day=D(2022, 1, 1), status="closed", lang="en") == "Closed. No decision yet."
    # Closed after the day: open on it, and the closing is not told.
    assert sentence(decided, day=D(2021, 6, 1), status="closed", closed="2021-06-30") == (
        "Pågående sedan maj 2020. Senaste beslut: Beslutat (mars 2021)."
    )


def test_next_meeting_is_told_plainly_unless_made_up():
    meeting = Meeting("M", "N", D(2023, 9, 5), "13:30", title="Sammanträde")
    example = Meeting("X", "N", D(2023, 9, 5), title="Exempel på möte")
    for found, expected in (
        (meeting, "Nämnden, 5 september 2023 kl. 13:30, punkt 3.1"),
        (example, "Exempel på möte (Nämnden), 5 september 2023, punkt 3.1"),
    ):
        case_file = CaseFile(
            Case("T/1", "Ärende", PartialDate(2020), "open"), (),
            {"N": Forum("N", "Nämnden", "committee")}, (), (), (AgendaItem(found, "3.1", "T/1", published=D(2023, 5, 2)),), (),
        ).as_of(D(2023, 6, 1))  # fmt: skip
        view = case_view(case_file, analysis.summarise(case_file), "sv")
        assert str(view.next_meeting) == expected


def test_a_case_registered_after_the_day_says_so_and_nothing_more(sample):
    view = view_of(sample, "RUN/136/2022", "2021-12-31", "en")
    assert str(view.sentence) == "The case had not yet been registered on 31 December 2021."
    assert str(dict(view.facts)["Status"]) == "not yet registered"
    assert "Registered" not in dict(view.facts)
    assert "Processing time" not in dict(view.figures)
    assert str(view.later) == (
        "Not shown: 3 events. Nor is the case's summary in the registry, which may describe a "
        "later state."
    )
    assert view.summary == ""


def view_of_events(*events: Event, day: dt.date, lang: str = "sv"):
    found = CaseFile(
        Case("T/1", "Ärende", PartialDate(2020), "open"), tuple(events),
        {"N": Forum("N", "Nämnden", "committee")}, (), (), (), (),
    ).as_of(day)  # fmt: skip
    return case_view(found, analysis.summarise(found), lang)


def test_the_summary_lists_the_latest_five_decisions_and_counts_the_earlier_ones():
    decided = [
        event(f"2021-{month:02d}-10", "decided", forum="N", title=f"Beslut {month}",
              decision_ref=f"§ {month}")
        for month in range(1, 13)
    ]  # fmt: skip
    view = view_of_events(*decided, day=D(2022, 1, 1))
    assert [d.paragraph for d in view.decisions] == ["§ 8", "§ 9", "§ 10", "§ 11", "§ 12"]
    assert str(view.earlier_decisions) == "7 tidigare beslut finns i ”Ärendets historik”."
    english = view_of_events(*decided[-6:], day=D(2022, 1, 1), lang="en")
    assert str(english.earlier_decisions) == "1 earlier decision is listed in “Case history”."
    # Five or fewer: all of them, and nothing said about earlier ones.
    assert view_of_events(*decided[:5], day=D(2022, 1, 1)).earlier_decisions is None
