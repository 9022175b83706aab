"""The dossier's HTML in a real headless Chromium: what a reader sees, and that nothing runs.

The dossiers come from the session fixtures in conftest.py (rendered once); these tests share
their xdist group "render" so they run on the worker that rendered them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import IN_CI

#: Debian's Chromium; another path only to show what happens when it is missing.
CHROMIUM = Path(os.environ.get("DOSSIER_TEST_CHROMIUM", "/usr/bin/chromium"))
MISSING = f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
if not CHROMIUM.exists() and IN_CI:
    # CI must show the dossier in a real browser: a skip would let it pass without one.
    pytest.fail(f"{MISSING}; CI runs the browser tests", pytrace=False)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.kernel,
    pytest.mark.xdist_group("render"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING),
]


@dataclass
class OpenedPage:
    """A dossier opened in Chromium, with everything the page tried to do while it loaded."""

    page: object
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests for anything but the dossier itself and its embedded data: URLs."""
        return [url for url in self.requests if url != self.url and not url.startswith("data:")]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_dossier(browser) -> Iterator:
    contexts = []

    def open_(html: Path) -> OpenedPage:
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(page, html.resolve().as_uri())
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on(
            "console",
            lambda message: message.type == "error" and opened.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: opened.page_errors.append(str(error)))

        def on_dialog(dialog) -> None:
            opened.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(opened.url, wait_until="load")
        page.wait_for_load_state("networkidle")
        return opened

    yield open_
    for context in contexts:
        context.close()


def images_decoded(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.images].map(img => ({
            alt: img.alt, complete: img.complete, width: img.naturalWidth,
            shown: img.getBoundingClientRect().width}))"""
    )


def test_sample_dossier_opens_offline_and_shows_title_and_timeline(sample_dossier_sv, open_dossier):
    opened = open_dossier(sample_dossier_sv.files.html)
    page = opened.page

    assert opened.requests[0] == opened.url
    assert opened.foreign_requests() == []
    assert opened.console_errors == [] and opened.page_errors == []

    title = page.locator("h1")
    assert title.is_visible()
    assert title.inner_text() == "Länsgemensam påverkansagenda"
    assert page.title() == "RUN/168/2020 – Länsgemensam påverkansagenda"
    headings = page.locator("section > h2").all_inner_texts()
    assert headings == [
        "Beslutssammanfattning", "Tidslinje", "Ärendets historik", "Forum",
        "Relaterade ärenden", "Handlingar", "Anmärkningar om underlaget", "Ursprung",
    ]  # fmt: skip

    timeline = page.locator("#timeline img")
    assert timeline.count() == 1
    assert timeline.is_visible()
    images = images_decoded(page)
    assert len(images) == 1
    assert images[0]["complete"] and images[0]["width"] > 0 and images[0]["shown"] > 300
    assert images[0]["alt"].startswith("Tidslinje för RUN/168/2020")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sample-sv.png"), full_page=True)


def test_hostile_text_is_shown_as_text_and_nothing_runs(
    hostile_dossier, hostile_fields, hostile_tokens, open_dossier
):
    opened = open_dossier(hostile_dossier.files.html)  # loaded: an image's onerror has fired
    page = opened.page

    assert opened.dialogs == []
    assert opened.foreign_requests() == []
    assert opened.console_errors == [] and opened.page_errors == []
    assert page.evaluate("document.querySelectorAll('script, [onerror], iframe, object').length") == 0  # fmt: skip
    assert page.evaluate("document.querySelectorAll('a[href^=\"javascript:\" i]').length") == 0

    body = " ".join(page.inner_text("body").split())
    for name, value in hostile_fields.items():
        assert value in body, f"the {name} is not shown as written"
    for token in hostile_tokens:
        assert token in body
    assert "javascript:alert(5)" in body
    assert page.locator("h1").inner_text() == hostile_fields["title"]
    assert page.locator("p.case-id").inner_text() == "EVIL/<b>1</b>/2023"
    assert page.title() == f"EVIL/<b>1</b>/2023 – {hostile_fields['title']}"

    # The timeline carries the hostile forum name too; the picture still decodes.
    images = images_decoded(page)
    assert len(images) == 1 and images[0]["width"] > 0

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-sv.png"), full_page=True)


def test_hostile_html_source_holds_markup_only_escaped(hostile_dossier, hostile_tokens):
    html = hostile_dossier.html
    assert re.search(r"<script", html, re.IGNORECASE) is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&amp;amp; &amp; ampersands" in html
    assert "<b>" not in html


def test_hostile_pdf_shows_the_text_as_written(hostile_dossier, hostile_fields, hostile_tokens):
    text = hostile_dossier.pdf_text  # whitespace dropped: table cells break lines anywhere
    for name, value in hostile_fields.items():
        assert "".join(value.split()) in text, f"the {name} is not in the PDF as written"
    for token in hostile_tokens:
        assert "".join(token.split()) in text


# --- Every reader: WCAG 2.1 AA by axe-core, a phone's width, links between dossiers ---------

#: axe-core, installed by `make test` and .ci/run (npm install --prefix .cache/axe axe-core@4).
AXE = Path(os.environ.get("DOSSIER_TEST_AXE", Path(__file__).resolve().parents[1]
                          / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))  # fmt: skip
AXE_MISSING = f"needs axe-core at {AXE} (make test installs it: npm install --prefix .cache/axe axe-core@4)"
#: The rules of WCAG 2.0 and 2.1, levels A and AA, and headings that go down one level at a time.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MEETING = "EXEMPEL-RUN-2023-06"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def meeting_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample meeting rendered as a batch, with its pack: both dossiers, in Swedish."""
    from conftest import AS_OF, SAMPLE_DATA

    from dossier.cli import main

    out = tmp_path_factory.mktemp("meeting") / "out"
    argv = ["batch", "--meeting", MEETING, "--data", str(SAMPLE_DATA), "--out", str(out),
            "--as-of", AS_OF, "--workers", "2"]  # fmt: skip
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        if IN_CI:
            pytest.fail(f"{AXE_MISSING}; CI runs the accessibility tests", pytrace=False)
        pytest.skip(AXE_MISSING)
    return AXE.read_text(encoding="utf-8")


def axe_violations(browser, page_path: Path, axe_source: str, viewport: dict) -> list[str]:
    """What axe-core finds against WCAG 2.1 AA (and heading order) on the page: rule, element."""
    # The pages forbid every script (Content-Security-Policy); the checker alone may run.
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.evaluate(axe_source)
        found = page.evaluate(
            """async (tags) => (await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                rules: {"heading-order": {enabled: true}},
            })).violations.map(v => v.nodes.map(n => `${v.id}: ${n.target.join(" ")}`)).flat()""",
            AXE_TAGS,
        )
    finally:
        context.close()
    return found


def pages_to_check(sample_dossier_sv, sample_dossier_en, sample_dossier_de,
                   meeting_out: Path) -> dict[str, Path]:  # fmt: skip
    return {
        "dossier in Swedish": sample_dossier_sv.files.html,
        "dossier in English": sample_dossier_en.files.html,
        "dossier in German": sample_dossier_de.files.html,
        "dossier with a link to its related case": meeting_out / "RUN-168-2020" / "RUN-168-2020.html",
        "batch index": meeting_out / "index.html",
        "meeting pack index": meeting_out / f"meeting-{MEETING}" / "index.html",
    }


def test_every_page_meets_wcag_2_1_aa_by_axe(
    browser, axe_source, sample_dossier_sv, sample_dossier_en, sample_dossier_de, meeting_out
):
    found = {
        (name, viewport["width"]): axe_violations(browser, path, axe_source, viewport)
        for name, path in pages_to_check(sample_dossier_sv, sample_dossier_en, sample_dossier_de,
                                           meeting_out).items()
        for viewport in ({"width": 1000, "height": 800}, PHONE)  # a laptop, a phone
    }
    assert found == {name: [] for name in found}


def test_every_page_fits_a_phone_without_scrolling_sideways(
    browser, sample_dossier_sv, sample_dossier_en, sample_dossier_de, meeting_out
):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        widths = {}
        for name, path in pages_to_check(sample_dossier_sv, sample_dossier_en, sample_dossier_de,
                                           meeting_out).items():
            page.goto(path.resolve().as_uri(), wait_until="load")
            widths[name] = page.evaluate("document.documentElement.scrollWidth")
        # The history's event column, the widest thing on the page at 1000 px, is read in full.
        page.goto(sample_dossier_sv.files.html.resolve().as_uri(), wait_until="load")
        event = page.locator("#history td.event").first
        box = event.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # Each cell says its column's name before it.
        assert event.get_attribute("data-label") == "Händelse"
        assert event.evaluate("e => getComputedStyle(e, '::before').content") != "none"
        image = page.locator("#timeline img").bounding_box()
        assert image is not None and image["width"] <= PHONE["width"]
    finally:
        context.close()
    assert widths == {name: PHONE["width"] for name in widths}


def test_swedish_source_text_in_an_english_dossier_is_marked_swedish(sample_dossier_en, open_dossier):
    page = open_dossier(sample_dossier_en.files.html).page
    assert page.evaluate("document.documentElement.lang") == "en"
    swedish = page.evaluate(
        "[...document.querySelectorAll('[lang=sv]')].map(e => e.innerText.trim())"
    )
    for source in ("Länsgemensam påverkansagenda", "Regionala utvecklingsnämnden",
                   "Nämnden återremitterade ärendet", "Samverkansrådet"):  # fmt: skip
        assert source in swedish, source
    # The catalogue's English is not marked Swedish.
    headings = page.evaluate(
        "[...document.querySelectorAll('h2')].map(h => h.closest('[lang]').lang)"
    )
    assert set(headings) == {"en"}


def test_a_dossier_links_its_related_cases_dossier_beside_it(browser, meeting_out):
    context = browser.new_context()
    try:
        page = context.new_page()
        dossier = meeting_out / "RUN-168-2020" / "RUN-168-2020.html"
        page.goto(dossier.resolve().as_uri(), wait_until="load")
        link = page.locator("#related a")
        assert link.count() == 1 and link.inner_text() == "RUN/136/2022"
        href = link.get_attribute("href")
        assert href == "../RUN-136-2022/RUN-136-2022.html"  # relative: the folder can move
        assert (dossier.parent / href).resolve() == (meeting_out / "RUN-136-2022" / "RUN-136-2022.html")
        link.click()
        page.wait_for_url("**/RUN-136-2022/RUN-136-2022.html")
        assert page.locator("h1").inner_text().startswith("Översyn av samverkansformer")
        # And back: the other dossier links to this one.
        page.locator("#related a").click()
        page.wait_for_url("**/RUN-168-2020/RUN-168-2020.html")
        # The meeting pack's agenda links to both, from its own folder.
        page.goto((meeting_out / f"meeting-{MEETING}" / "index.html").resolve().as_uri())
        page.get_by_role("link", name="Läs ärendesammanställningen").first.click()
        page.wait_for_url("**/RUN-168-2020/RUN-168-2020.html")
    finally:
        context.close()


def test_a_dossier_rendered_alone_links_no_related_case(sample_dossier_sv):
    # RUN/136/2022 has no dossier in the folder of this one: its case ID is plain text.
    related = re.search(r'<section class="related".*?</section>', sample_dossier_sv.html, re.S)
    assert related and "RUN/136/2022" in related.group(0) and "<a " not in related.group(0)


def test_a_dossier_has_a_table_of_contents_that_leads_to_each_section(
    sample_dossier_sv, open_dossier
):
    page = open_dossier(sample_dossier_sv.files.html).page
    nav = page.get_by_role("navigation", name="Innehåll")
    links = nav.get_by_role("link")
    sections = page.locator("section > h2").all_inner_texts()
    assert links.all_inner_texts() == sections and len(sections) == 8
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        assert page.locator(f"section{target} > h2").inner_text() == sections[i]


def test_the_header_facts_stay_on_a_line_or_two_on_a_laptop(sample_dossier_sv, open_dossier):
    page = open_dossier(sample_dossier_sv.files.html).page  # 1000 px wide
    lines = page.evaluate(
        """() => [...document.querySelectorAll('dl.facts dt, dl.facts dd')].map(e =>
            [e.innerText, Math.round(e.getBoundingClientRect().height
                                     / parseFloat(getComputedStyle(e).lineHeight))])"""
    )
    assert len(lines) > 10
    assert [(text, n) for text, n in lines if n > 2] == []


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
def test_the_mail_body_reads_on_a_phone_without_scrolling_sideways(request, browser, tmp_path, lang):
    """A politician opens the summary on a phone: the decisions are blocks, nothing is cut off."""
    import datetime as dt

    from conftest import AS_OF

    from dossier.content.context import case_dossier
    from dossier.content.parameters import DossierParameters
    from dossier.data.validate import load
    from dossier.share.letter import case_letter

    rendered = request.getfixturevalue(f"sample_dossier_{lang}")
    files = {"pdf": str(rendered.files.pdf), "manifest": str(rendered.files.manifest)}
    registry = load(rendered.data)
    chosen = DossierParameters(lang=lang, as_of=dt.date.fromisoformat(AS_OF))
    view = case_dossier(registry, rendered.case_id, chosen).view
    letter = case_letter(registry, [view], {rendered.case_id: files}, attach="pdf", subject=None)
    assert widest_on_a_phone(browser, tmp_path, letter.html, "li") <= PHONE["width"]
    # The plain text reads as lines a person writes: no run of placeholders.
    assert not re.search(r"–, –|, –:", letter.text), letter.text


def widest_on_a_phone(browser, folder: Path, html: str, holds: str) -> float:
    """How far right anything on ``html`` reaches at 390 px (the page's scroll width at least);
    the page must hold a ``holds`` element with the sample's committee in it."""
    body = folder / "body.html"
    body.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(body.resolve().as_uri(), wait_until="load")
        assert page.locator(holds, has_text="Regionala utvecklingsnämnden").count() >= 1
        return max(page.evaluate("document.documentElement.scrollWidth"), page.evaluate(
            "Math.max(...[...document.body.querySelectorAll('*')].map(e => e.getBoundingClientRect().right))"
        ))  # fmt: skip
    finally:
        context.close()
