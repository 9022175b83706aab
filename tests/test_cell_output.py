"""What the cells show in a dossier: her print (and nothing else printed), outputs kept to a
size while they arrive, and her HTML without scripts, frames, handlers or unsafe links."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import psutil
import pytest
from conftest import AS_OF, SAMPLE_CASE, SAMPLE_DATA, joined, pdftotext
from conftest import SAMPLE_SLUG as SLUG
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dossier.cli import main
from dossier.run.cell_output import (
    OutputCounter,
    OutputLimits,
    clean_html,
    cut_at,
    link_allowed,
    shown_outputs,
)
from dossier.run.export import html_document, write_pdf

HER_PRINT = "Antal händelser utan känd dag: <b>7</b> & fler"
STANDARD_PRINT = "the standard cell printed this"
STDERR_TEXT, WARNING_TEXT = "written to standard error", "a warning of hers"
#: Her Markdown: every way a remark could carry a script, a frame or a link a reader should not follow.
HOSTILE_MARKDOWN = (
    "Se [remissen](https://www.regionjh.se/remiss) och [mejla](mailto:anna@example.se).\n\n"
    "[klicka](javascript:alert(1)) [fil](file:///etc/passwd) <script>alert(2)</script>\n\n"
    '<iframe src="https://example.com/"></iframe> <a href=" JaVaScript:alert(3)" onclick="alert(4)">a</a>'
    ' <img src="x" onerror="alert(5)"> <form action="https://example.com"><input name="q"></form>'
    ' <style>main { display: none }</style> <p onmouseover="alert(6)">Hovra</p>'
)
HOSTILE_HTML = (
    '<p onclick="alert(7)">Rik utdata</p><script>alert(8)</script><iframe srcdoc="x"></iframe>'
    '<a href="javascript:alert(9)">j</a><a href="file:///home/anna/hemligt.txt">f</a>'
    '<object data="x.swf"></object><embed src="x.swf"><svg onload="alert(10)"></svg>'
)


def her_cell(source: str, *outputs) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


def standard(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell.metadata["tags"] = ["dossier"]
    return cell


def stream(name: str, text: str) -> nbformat.NotebookNode:
    return new_output("stream", name=name, text=text)


class Page(HTMLParser):
    """What a browser would build from the dossier's HTML: its tags, attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self._pre = False
        self.pre: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._pre = self._pre or tag == "pre"

    def handle_endtag(self, tag):
        if tag == "pre":
            self._pre = False

    def handle_data(self, data):
        self.text.append(data)
        if self._pre:
            self.pre.append(data)


def assert_safe(page: Page) -> None:
    """No script, frame, object, form or style of hers, no handler, no link but to the web,
    mail or a place in the page."""
    assert not {"script", "iframe", "object", "embed", "form", "input"} & set(page.tags)
    assert [a for a in page.attributes if a[1].startswith("on")] == []
    links = [value for tag, name, value in page.attributes if name in ("href", "src") and tag != "img"]
    assert all(link_allowed(link) for link in links), links
    assert not any("javascript" in value.lower() or "file:" in value for _, _, value in page.attributes)


def pdf_links(path: Path) -> list[str]:
    """Every URI a link of the PDF opens."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        return [
            str(annotation.A.URI)
            for page in pdf.pages
            for annotation in page.get("/Annots", [])
            if "/A" in annotation and "/URI" in annotation.A
        ]


# -- Outputs counted as they arrive: no kernel ----------------------------------------------------


def test_a_cells_print_is_cut_at_its_limit_and_the_cell_marked():
    counter, cell = OutputCounter(OutputLimits(stream=10, cell=100, notebook=1000)), new_code_cell()
    assert counter.admit(cell, 0, "stream", {"name": "stdout", "text": "12345"})["text"] == "12345"
    assert counter.admit(cell, 0, "stream", {"name": "stdout", "text": "åäöxyz"})["text"] == "åä"  # never half a letter
    assert counter.admit(cell, 0, "stream", {"name": "stdout", "text": "more"}) is None
    assert cut_at(cell) == [{"after": 10, "stream": "stdout"}]
    # Another cell has its own room.
    assert counter.admit(new_code_cell(), 1, "stream", {"name": "stdout", "text": "0123456789"}) is not None


def test_outputs_past_a_cells_limit_or_the_notebooks_are_left_out():
    counter = OutputCounter(OutputLimits(stream=10, cell=100, notebook=150))
    first, second = new_code_cell(), new_code_cell()
    html = {"data": {"text/html": "x" * 60}, "metadata": {}}
    assert counter.admit(first, 0, "display_data", html) is html
    assert counter.admit(first, 0, "display_data", html) is None  # 120 > the cell's 100
    assert cut_at(first) == [{"after": 100, "stream": None}]
    assert counter.admit(second, 1, "display_data", html) is html
    assert counter.admit(second, 1, "display_data", {"data": {"text/plain": "y" * 40}}) is None
    assert cut_at(second) == [{"after": 150, "stream": None}]  # 160 > the notebook's 150


def test_a_cleared_output_no_longer_counts():
    counter, cell = OutputCounter(OutputLimits(stream=10, cell=100, notebook=1000)), new_code_cell()
    for _ in range(5):  # a progress line redrawn: clear_output, then print
        assert counter.admit(cell, 0, "stream", {"name": "stdout", "text": "12345678"}) is not None
        counter.cleared(0)
    assert cut_at(cell) == []


def test_limits_are_checked():
    with pytest.raises(ValueError, match="stream"):
        OutputLimits(stream=0)


# -- What the dossier shows: the real exporter, no kernel -----------------------------------------


def test_her_print_shows_and_stderr_warnings_and_the_standard_cells_print_do_not():
    hers = her_cell("print(...)", stream("stdout", "one\n"), stream("stderr", STDERR_TEXT))
    theirs = standard(her_cell("show.record(case)", stream("stdout", STANDARD_PRINT),
                               new_output("display_data", data={"text/html": "<p>record</p>"})))  # fmt: skip
    assert [o.get("text") for o in shown_outputs(hers, "sv")] == ["one\n"]
    assert [o.output_type for o in shown_outputs(theirs, "sv")] == ["display_data"]
    nb = new_notebook(cells=[hers, theirs])
    page = Page(html_document(nb, lang="sv", case_id="A/1", title="T"))
    assert page.pre == ["one\n"]
    assert STDERR_TEXT not in "".join(page.text) and STANDARD_PRINT not in "".join(page.text)


def test_her_print_around_a_warning_is_one_text_and_a_progress_line_shows_its_end():
    printed = her_cell("for …: print(…)", stream("stdout", "Start\n"), stream("stderr", WARNING_TEXT),
                       stream("stdout", "10 %\r50 %\r100 %\nKlart\n"))  # fmt: skip
    page = Page(html_document(new_notebook(cells=[printed]), lang="sv", case_id="A/1", title="T"))
    assert page.pre == ["Start\n100 %\nKlart\n"]


def test_her_print_is_text_not_markup():
    nb = new_notebook(cells=[her_cell("print(...)", stream("stdout", HER_PRINT + "\n"))])
    page = Page(html_document(nb, lang="sv", case_id="A/1", title="T"))
    assert page.pre == [HER_PRINT + "\n"] and "b" not in page.tags


def test_a_cut_cell_ends_with_a_notice_in_the_dossiers_language():
    cell = her_cell("for …: print(…)", stream("stdout", "x\n" * 10))
    counter = OutputCounter(OutputLimits(stream=20_000))
    counter.admit(cell, 0, "stream", {"name": "stdout", "text": "y" * 30_000})
    for lang, sentence in (("sv", "Cellens utdata kortades efter 20 kB"), ("en", "Output cut after 20 kB")):
        html = html_document(new_notebook(cells=[cell]), lang=lang, case_id="A/1", title="T")
        assert html.index("x\n") < html.index(sentence)
    # A cut of what the dossier does not show (her standard error) is not told.
    quiet = her_cell("…", stream("stdout", "x\n"))
    OutputCounter(OutputLimits(stream=5)).admit(quiet, 0, "stream", {"name": "stderr", "text": "e" * 9})
    assert "Output cut" not in html_document(new_notebook(cells=[quiet]), lang="en", case_id="A/1", title="T")


def test_her_html_keeps_no_script_frame_handler_or_unsafe_link(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell(HOSTILE_MARKDOWN),
        her_cell("HTML(…)", new_output("display_data", data={"text/html": HOSTILE_HTML})),
        her_cell("Markdown(…)", new_output("display_data", data={"text/markdown": HOSTILE_MARKDOWN})),
    ])  # fmt: skip
    html = html_document(nb, lang="sv", case_id="A/1", title="T")
    page = Page(html[html.index("<main"):])  # the page's own head has its styles
    assert_safe(page)
    assert "style" not in page.tags and "main { display: none }" not in html
    text = "".join(page.text)
    for words in ("Se remissen och mejla.", "Rik utdata", "Hovra"):  # her words stay
        assert words in text
    hrefs = [value for tag, name, value in page.attributes if (tag, name) == ("a", "href")]
    assert hrefs.count("https://www.regionjh.se/remiss") == 2 and "mailto:anna@example.se" in hrefs
    # And in the PDF: a link to the web or mail, none to a script or a file.
    write_pdf(html, tmp_path / "d.pdf")
    links = pdf_links(tmp_path / "d.pdf")
    assert "https://www.regionjh.se/remiss" in links and "mailto:anna@example.se" in links
    assert all(link_allowed(link) for link in links), links


def test_standard_html_is_left_as_it_is():
    section = '<section id="summary"><style>.jp-RenderedHTMLCommon td { text-align: left }</style><p>x</p></section>'
    cell = standard(her_cell("show.opening(case)", new_output("display_data", data={"text/html": section})))
    assert section in html_document(new_notebook(cells=[cell]), lang="sv", case_id="A/1", title="T")


def test_clean_html_and_the_links_a_dossier_allows():
    assert clean_html('<a href="#history" class="anchor-link">¶</a>') == '<a href="#history" class="anchor-link">¶</a>'
    assert clean_html('<img src="data:image/png;base64,AAAA" alt="figur">') == '<img src="data:image/png;base64,AAAA" alt="figur">'
    assert clean_html('<img src="https://tracker.example/p.gif">') == "<img>"
    for url in ("https://a.se", "mailto:a@b.se", "#sec", "../RUN-136-2022/RUN-136-2022.html"):
        assert link_allowed(url)
    for url in ("javascript:alert(1)", " JAVASCRIPT:x", "java\tscript:x", "file:///etc/passwd", "data:text/html,x", "vbscript:x"):
        assert not link_allowed(url)


def test_the_pdf_drops_every_link_but_to_the_web_mail_or_itself(tmp_path):
    html = ('<p><a href="javascript:alert(1)">j</a> <a href="file:///etc/passwd">f</a> '
            '<a href="https://a.se">w</a> <a href="#p">i</a></p><p id="p">p</p>')  # fmt: skip
    write_pdf(html, tmp_path / "links.pdf")
    assert pdf_links(tmp_path / "links.pdf") == ["https://a.se"]


# -- Her case notebook through the real kernel ----------------------------------------------------


def case_notebook(folder: Path, *cells) -> Path:
    """The sample case's own notebook in ``folder``, with ``cells`` where hers go."""
    main(["notebook", SAMPLE_CASE, "--dir", str(folder), "--data", str(SAMPLE_DATA)])
    path = folder / f"{SLUG}.ipynb"
    nb = nbformat.read(path, as_version=4)
    place = next(i for i, c in enumerate(nb.cells) if c.get("id") == "your-cells")
    nb.cells[place + 1 : place + 1] = list(cells)
    nbformat.write(nb, path)
    return folder


@pytest.mark.kernel
def test_her_print_reaches_the_html_and_the_pdf_and_nothing_else_printed_does(tmp_path, capsys):
    printing = new_code_cell(
        "import sys, warnings\n"
        f"print({HER_PRINT!r})\n"
        f"sys.stderr.write({STDERR_TEXT!r})\n"
        f"warnings.warn({WARNING_TEXT!r})"
    )
    theirs = standard(new_code_cell(f"print({STANDARD_PRINT!r})"))
    rich = new_code_cell(f"from IPython.display import HTML\nHTML({HOSTILE_HTML!r})")
    notebooks = case_notebook(tmp_path / "cases", printing, new_markdown_cell(HOSTILE_MARKDOWN), rich, theirs)
    out = tmp_path / "out"
    code = main(["render", SAMPLE_CASE, "--notebooks", str(notebooks), "--out", str(out), "--as-of", AS_OF, "--quiet"])
    assert code == 0, capsys.readouterr().err
    html = (out / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    page = Page(html)
    assert HER_PRINT + "\n" in page.pre  # as text, in its own preformatted block
    seen = "".join(page.text)
    for absent in (STDERR_TEXT, WARNING_TEXT, "UserWarning", STANDARD_PRINT):
        assert absent not in seen
    assert_safe(Page(html[html.index("<main"):]))
    pdf = out / SLUG / f"{SLUG}.pdf"
    text = pdftotext(pdf)
    assert joined(HER_PRINT) in joined(text)
    for absent in (STDERR_TEXT, WARNING_TEXT, STANDARD_PRINT, "alert("):
        assert joined(absent) not in joined(text)
    links = pdf_links(pdf)
    assert "https://www.regionjh.se/remiss" in links and all(link_allowed(link) for link in links)


def tree_memory(process: psutil.Process) -> int:
    """The resident memory of ``process`` and everything it started, summed, in bytes."""
    total = 0
    for member in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.Error):  # ended between the listing and the reading
            total += member.memory_info().rss
    return total


@pytest.mark.kernel
def test_a_cell_that_prints_500_mb_is_cut_and_memory_stays_bounded(tmp_path):
    flood = new_code_cell('line = "x" * 999\nfor _ in range(500_000):\n    print(line)')
    notebooks = case_notebook(tmp_path / "cases", flood)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "dossier.cli", "render", SAMPLE_CASE, "--notebooks", notebooks,
               "--out", out, "--as-of", AS_OF, "--quiet", "--format", "html"]  # fmt: skip
    render = psutil.Popen([str(a) for a in command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, done = 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.wait(0.05):  # a measurement, not an ordering: sample until it ends
            try:
                peak = max(peak, tree_memory(render))
            except psutil.Error:
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        _, err = render.communicate(timeout=600)
    finally:
        done.set()
        watcher.join()
    assert render.returncode == 0, err.decode()
    html = (out / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    assert "Cellens utdata kortades efter 20 kB; resten visas inte." in html
    assert 15_000 < html.count("x" * 999) * 1000 <= 20_000  # the first 20 kB of her lines
    assert peak < 1024**3, f"the render's processes held {peak / 1024**2:.0f} MB at their peak"
    executed = nbformat.read(out / SLUG / f"{SLUG}.ipynb", as_version=4)
    assert sum(len(o.get("text", "")) for c in executed.cells for o in c.get("outputs", ())) < 25_000
