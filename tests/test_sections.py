"""The dossier's sections as HTML, without a kernel: wording, language, escaping."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from dossier import sections as show
from dossier.errors import ParameterError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def visible(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, white space folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture(scope="module")
def recent():
    return show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2023-06-01")


@pytest.fixture(scope="module")
def english():
    return show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2023-06-01", lang="en")


def test_activity_within_the_last_month_is_said_in_words():
    # On 1 June 2022 the party groups' discussions (May to August 2022) were going on.
    june_2022 = show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2022-06-01")
    text = visible(show.summary(june_2022))
    assert "Senaste händelse för mindre än en månad sedan." in text
    assert "0 månader" not in text


def test_year_only_events_do_not_prove_recent_activity(recent):
    # The latest events are dated "2023": as of 1 June 2023 they may be from January.
    text = visible(show.summary(recent))
    assert "Senaste händelse för mindre än 6 månader sedan." in text
    assert "för mindre än en månad sedan" not in text


def test_a_quiet_case_is_flagged_inactive_with_how_long():
    late = show.open_case("RUN/136/2022", data_dir=SAMPLE, as_of="2024-06-01", lang="en")
    text = visible(show.summary(late))
    assert "No event for at least 1 year 2 months, longer than the limit of 6 months." in text


def test_the_summary_shows_the_pending_points_and_every_decision(recent):
    text = visible(show.summary(recent))
    assert "1. Arbetet med att ta fram en länsgemensam påverkansagenda" in text
    assert "Nämnden återremitterade ärendet" in text
    assert (
        "Nästa sammanträde EXEMPEL (påhittat för demonstration): Regionala utvecklingsnämndens "
        "sammanträde, 13 juni 2023 kl. 09:00, punkt 7"
    ) in text


def test_every_section_has_its_heading_in_the_language(recent, english):
    parts = [show.summary, show.history, show.forums, show.related, show.documents, show.notes,
             show.provenance]  # fmt: skip
    headings = [re.search(r"<h2>(.*?)</h2>", part(english)).group(1) for part in parts]
    assert headings == ["Decision summary", "Case history", "Forums", "Related cases", "Documents",
                        "Notes on the records", "Provenance"]  # fmt: skip
    assert "<h2>Tidslinje</h2>" in show.figure(recent)


def test_source_text_in_an_english_dossier_is_marked_swedish(english, recent):
    summary = show.summary(english)
    assert '<span lang="sv">Regiondirektörens förslag</span>' in summary
    assert '<span lang="sv">Arbetet med att ta fram en länsgemensam påverkansagenda' in summary
    assert '<h1 class="case-title"><span lang="sv">Länsgemensam påverkansagenda</span></h1>' in (
        show.header(english)
    )
    assert (
        '<strong><span lang="sv">Första diskussion i regionens samverkansråd</span></strong>'
        in (show.history(english))
    )
    assert '<span lang="sv">Samverkansrådet</span>' in show.forums(english)
    # The catalogue's own words are not marked, and a Swedish dossier marks nothing.
    assert '<span lang="sv">Decision' not in summary
    assert all('lang="sv"' not in part(recent) for part in (show.summary, show.history))


def test_notes_name_the_file_and_the_row(recent, english):
    assert "events.csv, rad 2" in visible(show.notes(recent))
    assert "events.csv, row 2" in visible(show.notes(english))


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_provenance_names_each_setting_in_a_readers_words(lang):
    """Never a notebook's parameter name (case_id, as_of, inactive_months) before a reader."""
    d = show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2023-06-01", since="2023-01-01",
                       lang=lang, compare_with=None)  # fmt: skip
    text = visible(show.provenance(d))
    for name in ("case_id", "as_of", "inactive_months", "since", "lang"):
        assert not re.search(rf"\b{name}\b", text), name
    expected = {"sv": ("Diarienummer RUN/168/2020", "Språk svenska", "Gäller per 2023-06-01",
                       "Inaktivt efter, månader utan händelse 6"),
                "en": ("Registration number RUN/168/2020", "Language English", "As of 2023-06-01",
                       "Inactive after, months without an event 6")}[lang]  # fmt: skip
    for words in expected:
        assert words in text
    # Its one line (no key outside a render), then the tables on a page of their own in print.
    line = {"sv": "Underlaget per den 1 juni 2023: data ", "en": "Records as of 1 June 2023: data "}
    assert text.startswith(f"{'Ursprung' if lang == 'sv' else 'Provenance'} {line[lang]}")
    assert '<div class="full" id="provenance-full">' in show.provenance(d)


def test_provenance_says_what_later_records_it_leaves_out():
    june_2022 = show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2022-06-01")
    text = visible(show.provenance(june_2022))
    assert (
        "Daterat efter sammanställningens dag Visas inte: 9 händelser och 1 handling. Inte heller ärendets "
        "sammanfattning i diariet, som kan beskriva ett senare läge."
    ) in text
    # The registry's summary tells of the 2023 proposal: it is not shown as of June 2022.
    assert "föreslås avslutas" not in visible(show.header(june_2022))


def test_text_from_the_data_is_escaped(tmp_path, write_data, valid_csv):
    hostile = '<script>alert(1)</script> & "quoted"'
    cases = valid_csv["cases"].replace("Första ärendet", '"' + hostile.replace('"', '""') + '"')
    assert cases != valid_csv["cases"], "the fixture's title changed; update this test"
    data = write_data(tmp_path / "data", cases=cases)
    header = show.header(show.open_case("A/1/2020", data_dir=data, as_of="2023-06-01"))
    assert "<script>" not in header
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quoted&#34;" in header
    assert hostile in visible(header)


@pytest.mark.parametrize(
    ("parameters", "said"),
    [
        ({"as_of": "2023-06-01", "since": "2023-07-01"}, "since = '2023-07-01' is after as_of"),
        ({"as_of": "0999-01-01"}, "as_of = '0999-01-01' is outside the years dossier reads, 1000 to 9999"),
    ],
)
def test_a_day_the_dossier_cannot_speak_for_is_refused(parameters, said):
    with pytest.raises(ParameterError, match=re.escape(said)):
        show.open_case("RUN/168/2020", data_dir=SAMPLE, **parameters)


# -- the standard sections by block, as case notebooks call them, and their look in JupyterLab --


def test_each_block_is_its_sections_in_order_after_one_lab_style(recent):
    for name, block in (("opening", show.opening), ("record", show.record), ("closing", show.closing)):
        markup = block(recent)
        sections = "\n".join(section(recent) for section in show.STANDARD_SECTIONS[name])
        assert markup == show.lab_style() + sections
        assert "&lt;" not in markup.split("</style>", 1)[1][:200]  # the sections are markup, not text


def test_the_lab_style_undoes_labs_table_and_list_rules_inside_the_sections_only(recent):
    style = re.fullmatch(r"<style>\n(.*)\n</style>", show.lab_style(), re.S).group(1)
    rules = dict(re.findall(r"^(.+?) \{ (.+) \}$", style, re.M))
    assert len(rules) == len(style.splitlines())  # one rule a line, each read here
    # Scoped to JupyterLab's rendered HTML: no element of the dossier's page or PDF has these classes.
    assert all(selector.startswith(".jp-RenderedHTMLCommon.jp-RenderedHTML ") for selector in rules)
    assert all(re.search(r"\b(section|\.dossier-header)\b", selector) for selector in rules)
    declarations = {s.split(" ", 1)[1]: dict(d.split(": ") for d in body.rstrip(";").split("; "))
                    for s, body in rules.items()}  # fmt: skip
    cells = declarations[":is(.dossier-header, section) :is(th, td, tr)"]
    assert cells["text-align"] == "left"  # Lab right-aligns table cells
    assert declarations["section ol.points"]["list-style"] == "none"  # the points carry their numbers
    assert declarations["section.timeline figure img"]["width"] == "100%"
    # The points do carry their own numbers, once each.
    summary = show.summary(recent)
    assert re.findall(r'<span class="point-number">(\d+)\.</span>', summary) == ["1", "2"]
    assert 'class="dossier-header"' in show.header(recent) and '<section class="timeline"' in show.figure(recent)


def history_columns(markup: str) -> list[str]:
    head = re.search(r"<thead>(.*?)</thead>", markup, re.S)
    assert head
    return [visible(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", head.group(1), re.S)]


def test_the_history_leaves_out_a_column_that_is_empty_in_every_row(
    recent, tmp_path, write_data, valid_csv
):
    # The sample's events name no paragraph: no "Paragraf" column, the event's text has its room.
    history = show.history(recent)
    assert history_columns(history) == ["Datum", "Typ", "Forum", "Händelse"]
    assert all(len(re.findall(r"<td\b", row)) == 4 for row in re.findall(r"<tr.*?</tr>", history, re.S)[1:])
    # An export that gives one event's paragraph has the column, empty in the other rows.
    events = valid_csv["events"] + "e4,A/2/2021,2021-04-01,,discussed,N,Diskussion,,,,\n"
    data = write_data(tmp_path / "data", events=events)
    with_paragraph = show.history(show.open_case("A/2/2021", data_dir=data, as_of="2023-06-01"))
    assert history_columns(with_paragraph) == ["Datum", "Typ", "Forum", "Händelse", "Paragraf"]
    assert "§ 12" in visible(with_paragraph)


def test_a_related_case_links_to_its_dossier_only_when_given_one(tmp_path, write_data):
    data = write_data(tmp_path / "data")
    plain = show.related(show.open_case("A/2/2021", data_dir=data, as_of="2023-06-01"))
    assert "A/1/2020" in visible(plain) and "<a " not in plain
    link = "../A-1-2020/A-1-2020.html"
    linked = show.related(show.open_case("A/2/2021", data_dir=data, as_of="2023-06-01",
                                         related_dossiers={"A/1/2020": link}))  # fmt: skip
    assert f'<a href="{link}">A/1/2020</a>' in linked


@pytest.mark.parametrize("link", ["javascript:alert(1)", "https://example.se/x.html", "/etc/x.html", "", 7])
def test_a_link_to_a_related_dossier_must_be_relative(tmp_path, write_data, link):
    data = write_data(tmp_path / "data")
    with pytest.raises(ParameterError, match=r"related_dossiers\['A/1/2020'\] = .*: give a relative link"):
        show.open_case("A/2/2021", data_dir=data, as_of="2023-06-01",
                       related_dossiers={"A/1/2020": link})  # fmt: skip
