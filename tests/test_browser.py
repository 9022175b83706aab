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

#: Debian's Chromium; another path only to show what happens when it is missing.
CHROMIUM = Path(os.environ.get("DOSSIER_TEST_CHROMIUM", "/usr/bin/chromium"))
MISSING = f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
if not CHROMIUM.exists() and os.environ.get("CI", "").lower() not in ("", "0", "false"):
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
