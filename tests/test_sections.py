"""The dossier's sections as HTML, without a kernel: wording, language, escaping."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from dossier import sections as show

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def visible(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, white space folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture(scope="module")
def recent():
    return show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2023-06-01")


def test_activity_within_the_last_month_is_said_in_words(recent):
    text = visible(show.summary(recent))
    assert "Senaste händelse inom den senaste månaden (gräns 6 månader)." in text
    assert "0 mån" not in text


def test_a_quiet_case_is_flagged_inactive_with_how_long():
    late = show.open_case("RUN/136/2022", data_dir=SAMPLE, as_of="2024-06-01", lang="en")
    text = visible(show.summary(late))
    assert "Inactive: no event for 1 yr 2 mo (threshold 6 months)." in text


def test_the_summary_shows_the_pending_points_and_every_decision(recent):
    text = visible(show.summary(recent))
    assert "1. Arbetet med att ta fram en länsgemensam påverkansagenda" in text
    assert "Nämnden återremitterade ärendet" in text
    assert "Nästa sammanträde Regionala utvecklingsnämnden, 13 juni 2023 09:00, punkt 7" in text


def test_every_section_has_its_heading_in_the_language(recent):
    english = show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2023-06-01", lang="en")
    parts = [show.summary, show.history, show.forums, show.related, show.documents, show.notes,
             show.provenance]  # fmt: skip
    headings = [re.search(r"<h2>(.*?)</h2>", part(english)).group(1) for part in parts]
    assert headings == ["Decision summary", "Case history", "Forums", "Related cases", "Documents",
                        "Notes on the data", "Provenance"]  # fmt: skip
    assert "<h2>Tidslinje</h2>" in show.figure(recent)


def test_text_from_the_data_is_escaped(tmp_path, write_data, valid_csv):
    hostile = '<script>alert(1)</script> & "quoted"'
    cases = valid_csv["cases"].replace("Första ärendet", '"' + hostile.replace('"', '""') + '"')
    assert cases != valid_csv["cases"], "the fixture's title changed; update this test"
    data = write_data(tmp_path / "data", cases=cases)
    header = show.header(show.open_case("A/1/2020", data_dir=data, as_of="2023-06-01"))
    assert "<script>" not in header
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quoted&#34;" in header
    assert hostile in visible(header)
