"""Page 1 of a dossier's PDF answers four questions, read with pdftotext:
what the case is, where it stands, what is proposed (once), what happens next.

Golden for the sample case on three days of its history (2019, before it was registered;
June 2022, referred back; June 2023, the director's proposal and the meeting's item 7),
in Swedish, English and German, and for a case of 500 events.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import SAMPLE_CASE, RenderedDossier, joined, render_dossier

from dossier.content.context import case_dossier
from dossier.content.parameters import DossierParameters
from dossier.data.validate import load

pytestmark = pytest.mark.kernel

NO_FURTHER = "Ingen vidare behandling är känd: ärendet är inte på någon känd dagordning."
POINT_1 = "Arbetet med att ta fram en länsgemensam påverkansagenda i dess nuvarande form avslutas."
POINT_2 = ("Arbetet med för länet strategiskt viktiga påverkansfrågor hanteras framöver samlat i "
           "Länspartnerskapet.")  # fmt: skip


def page_one(dossier: RenderedDossier) -> str:
    return joined(dossier.pdf_pages[0])


def said(*texts: str) -> list[str]:
    return [joined(t) for t in texts]


@pytest.fixture(scope="module")
def earlier_days(tmp_path_factory) -> dict[str, RenderedDossier]:
    return {day: render_dossier(tmp_path_factory, SAMPLE_CASE, as_of=day)
            for day in ("2019-01-01", "2022-06-01")}  # fmt: skip


def test_golden_june_2023_swedish(sample_dossier_sv):
    page = page_one(sample_dossier_sv)
    for part in said(
        "RUN/168/2020", "Länsgemensam påverkansagenda", "den 1 juni 2023",  # what the case is
        "Pågående sedan 2020. Senaste beslut: Ärendet hänsköts ytterligare till sommaren 2023",
        "Liggande förslag", "Regiondirektörens förslag", f"1. {POINT_1}", f"2. {POINT_2}",
        "Nästa sammanträde", "EXEMPEL (påhittat för demonstration): Regionala "
        "utvecklingsnämndens sammanträde, 13 juni 2023 kl. 09:00, punkt 7",
    ):  # fmt: skip
        assert part in page, part
    # The proposal once: its points are not also in the sentence above them.
    assert page.count(joined(POINT_1)) == 1 and page.count(joined(POINT_2)) == 1


def test_golden_june_2023_english(sample_dossier_en):
    page = page_one(sample_dossier_en)
    for part in said(
        "RUN/168/2020", "Länsgemensam påverkansagenda", "1 June 2023",
        "Open since 2020. Latest decision: Ärendet hänsköts ytterligare till sommaren 2023",
        "Pending proposal", "Regiondirektörens förslag", f"1. {POINT_1}",
        "Next meeting", "13 June 2023 at 09:00, item 7",
    ):  # fmt: skip
        assert part in page, part
    assert page.count(joined(POINT_1)) == 1


def test_golden_june_2023_german(sample_dossier_de):
    page = page_one(sample_dossier_de)
    for part in said(
        "RUN/168/2020", "Länsgemensam påverkansagenda", "1. Juni 2023",
        "In Bearbeitung seit 2020. Letzter Beschluss: Ärendet hänsköts ytterligare till sommaren 2023",
        "Offener Beschlussvorschlag", "Regiondirektörens förslag", f"1. {POINT_1}",
        "Nächste Sitzung", "13. Juni 2023, 09:00 Uhr, TOP 7",
    ):  # fmt: skip
        assert part in page, part
    assert page.count(joined(POINT_1)) == 1


def test_golden_june_2022_referred_back_no_later_agenda(earlier_days):
    dossier = earlier_days["2022-06-01"]
    page = page_one(dossier)
    for part in said(
        "RUN/168/2020", "den 1 juni 2022",
        "Pågående sedan 2020. Senaste beslut: Nämnden återremitterade ärendet "
        "(återremiss, Regionala utvecklingsnämnden, maj 2022).",
        "Inget liggande förslag.", "Nästa sammanträde", NO_FURTHER,
    ):  # fmt: skip
        assert part in page, part
    # The meeting of June 2023 is a year ahead: no page names it or its agenda.
    assert joined("13 juni 2023") not in dossier.pdf_text and "punkt 7" not in dossier.html


def test_golden_2019_not_yet_registered_no_later_agenda(earlier_days):
    dossier = earlier_days["2019-01-01"]
    page = page_one(dossier)
    for part in said("RUN/168/2020", "Ärendet var ännu inte registrerat den 1 januari 2019.",
                     "Inget liggande förslag.", "Nästa sammanträde", NO_FURTHER):  # fmt: skip
        assert part in page, part
    assert "2023" not in dossier.pdf_text and "punkt" not in dossier.html


def test_a_case_of_500_events_answers_the_four_questions_on_page_1(big_dossier):
    view = case_dossier(load(big_dossier.data), big_dossier.case_id, DossierParameters(as_of=dt.date(2023, 6, 1))).view  # fmt: skip
    page = page_one(big_dossier)
    assert joined(big_dossier.case_id) in page and joined(str(view.title)) in page
    assert joined(str(view.standing)) in page
    assert joined("Liggande förslag") in page
    assert joined("Nästa sammanträde") + joined(str(view.next_meeting)) in page
    assert len(big_dossier.pdf_pages) > 5  # a long dossier, whose page 1 still says it all

