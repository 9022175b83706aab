"""One voice: the dossier, its notebook, the mail, the batch and pack index pages say a case alike.

One meeting batch and one mail, as a user runs them, on the sample as of 1 June 2023
in English; the sentences are read from what each reader gets: the dossier's HTML,
the executed notebook, the draft message's HTML and plain text, the index pages.
"""

from __future__ import annotations

import html
import json
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from conftest import AS_OF

from dossier.cli import main
from dossier.resources import sample_data_dir

pytestmark = [pytest.mark.kernel, pytest.mark.xdist_group("one-voice")]

CASES = ("RUN/168/2020", "RUN/136/2022")
MEETING = "EXEMPEL-RUN-2023-06"


def fold(markup: str) -> str:
    """The words of ``markup`` as a reader sees them: tags out, entities decoded, spaces folded.

    A span sits inside a line of text (it marks the data's language): it parts no words.
    """
    inline = re.sub(r"</?span\b[^>]*>", "", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def first(pattern: str, markup: str) -> str:
    match = re.search(pattern, markup, re.S)
    assert match, pattern
    return fold(match.group(1))


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, EmailMessage]:
    out = tmp_path_factory.mktemp("one-voice") / "dossiers"
    data = str(sample_data_dir())
    common = ["--data", data, "--out", str(out), "--as-of", AS_OF, "--lang", "en"]
    assert main(["batch", "--meeting", MEETING, *common, "--workers", "2"]) == 0
    assert main(["mail", CASES[0], "--to", "anna@example.se", *common]) == 0
    (draft,) = (out / "outbox").glob("*.eml")
    return out, BytesParser(policy=policy.default).parsebytes(draft.read_bytes())


def dossier_summary(out: Path, case_id: str) -> str:
    slug = case_id.replace("/", "-")
    page = (out / slug / f"{slug}.html").read_text(encoding="utf-8")
    return re.search(r'<section class="summary".*?</section>', page, re.S).group(0)


def test_the_mail_says_what_the_dossier_says(spoken):
    out, message = spoken
    summary = dossier_summary(out, CASES[0])
    said = {
        "sentence": first(r'<p class="status-sentence">(.*?)</p>', summary),
        "activity": first(r'<p class="(?:activity|flag inactive)"[^>]*>(.*?)</p>', summary),
        "pending": first(r'<p class="pending-title">(.*?)</p>', summary),
        "next meeting": first(r'<p class="next-meeting">(.*?)</p>', summary),
    }
    points = [fold(p) for p in re.findall(r"<li[^>]*>(.*?)</li>", summary, re.S)]
    rows = [
        [fold(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr><td[^>]*>.*?</tr>", summary, re.S)
    ]
    assert "Regiondirektörens förslag" in said["pending"] and len(points) == 2 and len(rows) == 2
    # The proposal is said once, in its own block, in the dossier and in the mail alike.
    assert said["sentence"].startswith("Open since 2020. Latest decision")
    mail_html = fold(message.get_body(preferencelist=("html",)).get_content())
    mail_text = fold(message.get_body(preferencelist=("plain",)).get_content())
    for name, words in [*said.items(), *(("point", p) for p in points)]:
        assert words in mail_html, (name, words, mail_html)
        assert words in mail_text, (name, words, mail_text)
    for date, kind, forum, paragraph, title in rows:
        # A decision a block: its day, its title, then what the records say of kind, forum, §.
        details = " · ".join(part for part in (kind, forum, paragraph) if part != "–")
        assert f"{date} {title} {details}" in mail_html
        assert f"- {date}: {title} {details}" in mail_text
    # The data's own words are marked Swedish in the English message too.
    assert '<span lang="sv">Regiondirektörens förslag</span>' in (
        message.get_body(preferencelist=("html",)).get_content()
    )


def test_the_notebook_shows_the_dossiers_sentence(spoken):
    out, _ = spoken
    notebook = json.loads((out / "RUN-168-2020" / "RUN-168-2020.ipynb").read_text("utf-8"))
    shown = [
        "".join(output["data"]["text/html"])
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]
    summary = dossier_summary(out, CASES[0])
    sentence = first(r'<p class="status-sentence">(.*?)</p>', summary)
    assert any(sentence == first(r'<p class="status-sentence">(.*?)</p>', s) for s in shown
               if "status-sentence" in s)  # fmt: skip


@pytest.mark.parametrize("page", ["index.html", f"meeting-{MEETING}/index.html"])
def test_the_index_pages_say_each_case_as_its_dossier_does(spoken, page):
    out, _ = spoken
    index = fold((out / page).read_text(encoding="utf-8"))
    shown = [case for case in CASES if case in index]
    assert shown and (page == "index.html" or shown == list(CASES))
    for case_id in shown:
        # The index gives the proposal in short inside the sentence; the dossier, whole below it.
        sentence = first(r'<p class="status-sentence">(.*?)</p>', dossier_summary(out, case_id))
        status, latest, decision = sentence.partition(" Latest decision")
        assert status in index and latest + decision in index, (case_id, sentence)
