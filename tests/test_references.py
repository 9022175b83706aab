"""Page references in a meeting pack are the pack's: each dossier's contents list gives the
pages its footers and bookmarks give.

Each page of a bound pack is read with pdftotext, its bookmarks with pikepdf: every
contents entry's number equals its bookmark's page. Shown on small dossiers made by the
real export (a contents list is made of their sections) without a kernel, on the sample
meeting's pack and on a synthetic 30-item pack, both from ``dossier batch``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from batch_runs import batch, built_once, demo_data, pack_path
from conftest import SAMPLE_AGENDA as AGENDA
from conftest import SAMPLE_MEETING as MEETING
from conftest import small_dossier
from pdf_structure import cover_with_links, pack_of, page_image

from dossier.data.synthetic import add_meeting
from dossier.run.export import write_pdf
from dossier.run.job import slugify
from dossier.run.pack import PackedDossier, write_pack_pdf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

#: A contents entry as pdftotext -layout gives it: "4. Forum . . . . . 10".
ENTRY = re.compile(r"^(\d+)\. (.+?)(?: ?\.)+ ?(\d+)$")


def layout_text(path: Path, page: int) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", str(page), "-l", str(page),
                           str(path), "-"], capture_output=True, check=True)  # fmt: skip
    return [" ".join(line.split()) for line in done.stdout.decode("utf-8").splitlines()]


def bookmarks(path: Path) -> list[tuple[int, list[tuple[str, int]]]]:
    """Each agenda item's bookmark: its page, and its dossier's section bookmarks and pages."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())

        def page_of(item) -> int:
            destination = item.destination
            if isinstance(destination, pikepdf.String):
                destination = names[str(destination)]
            return pages[destination[0].objgen]

        with pdf.open_outline() as outline:
            return [(page_of(item), [(child.title, page_of(child)) for child in item.children])
                    for item in outline.root]  # fmt: skip


def contents_and_bookmarks(path: Path) -> list[tuple[list, list]]:
    """For each dossier in the pack: its contents list as read on its first page (entry,
    page given), and its section bookmarks (title, page)."""
    found = []
    for first, sections in bookmarks(path):
        entries = [m.groups() for m in map(ENTRY.match, layout_text(path, first)) if m]
        found.append(([(title, int(page)) for _, title, page in entries], sections))
    return found


def assert_contents_give_the_packs_pages(path: Path) -> None:
    read = contents_and_bookmarks(path)
    assert read and all(sections for _, sections in read)
    for contents, sections in read:
        assert contents == sections


# -- small dossiers, made by the real export ---------------------------------------------------


def contents_dossier(case_id: str, pages: int) -> str:
    """A dossier's HTML with a contents list: a section a page, ``pages`` of them."""
    body = "".join(
        f'<section class="part" id="s{n}"><h2>Avsnitt {n}</h2><p>Text {n} i {case_id}.</p></section>'
        f'<div style="break-after: page"></div>'
        for n in range(1, pages + 1)
    )
    return small_dossier(case_id, "Ärende", 0, body=body)


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory) -> tuple[Path, list[PackedDossier]]:
    """Three dossiers of 4, 5 and 3 pages: the last one's sections on pages 10 to 12."""
    return pack_of(tmp_path_factory.mktemp("references"), [
        (str(item), case_id, "Ärende", contents_dossier(case_id, pages))
        for item, (case_id, pages) in enumerate((("A/1", 4), ("A/2", 5), ("A/3", 3)), start=1)
    ])  # fmt: skip


def test_each_dossiers_contents_list_gives_the_packs_pages(small_pack, conformance):
    """Each new number is drawn inside the old number's marked content: still PDF/UA."""
    path, _ = small_pack
    read = contents_and_bookmarks(path)
    assert [contents for contents, _ in read] == [
        [(f"Avsnitt {n}", first + n) for n in range(1, pages + 1)]
        for first, pages in ((1, 4), (5, 5), (10, 3))
    ]
    assert_contents_give_the_packs_pages(path)
    assert conformance(path, "ua1") == []


def test_a_contents_list_renumbered_looks_as_its_own_but_for_its_numbers(small_pack, tmp_path):
    """The new numbers stand where the old ones stood: right-aligned, on their lines."""
    from PIL import ImageChops

    path, dossiers = small_pack
    own, packed = page_image(dossiers[2].pdf, 1, tmp_path), page_image(path, 11, tmp_path)
    width, height = own.size
    # Above the footer: the numbers only, at the right, where "1" to "3" became "11" to "13".
    changed = ImageChops.difference(own, packed).crop((0, 0, width, int(height * 0.85))).getbbox()
    assert changed is not None
    assert changed[0] > width * 0.8 and changed[2] <= width * 0.92


# -- a pack is for reading: each dossier ends with its provenance in one line -----------------


def pack_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def assert_one_line_of_provenance(path: Path, dossiers: list[Path]) -> None:
    """Each dossier of the pack ends with its provenance in one line, the tables of hashes
    and the parameter names left to its own PDF; the pack has fewer pages than they."""
    import json

    text = pack_text(path)
    assert "SHA-256" not in text and "sha256" not in text
    assert not re.search(r"\b(case_id|as_of|inactive_months|since_meeting)\b", text)
    pages = text.split("\f")
    starts = [first for first, _ in bookmarks(path)] + [len(pages)]
    for dossier, end in zip(dossiers, starts[1:], strict=True):
        key = json.loads((dossier.parent / "manifest.json").read_text(encoding="utf-8"))["key"]
        last = " ".join(pages[end - 2].split())
        assert f"nyckel {key[:12]}." in last, last
        assert "SHA-256" in pack_text(dossier)  # the full provenance, in the dossier's own PDF
    with pikepdf.open(path) as pack:
        own = sum(len(pikepdf.open(d).pages) for d in dossiers)
        assert len(pack.pages) - (starts[0] - 1) < own


def test_a_dossier_in_a_pack_ends_with_its_provenance_in_one_line(tmp_path, conformance):
    """A real dossier's sections, made without a kernel (as a render makes them, but for its
    key), bound in a pack: its full provenance on the pages the pack leaves out."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from dossier import sections as show
    from dossier.run.export import html_document

    d = show.open_case("RUN/168/2020", data_dir=SAMPLE, as_of="2023-06-01")
    d = d.__class__(**{**d.__dict__, "key": "0123456789abcdef" * 4})
    cells = [new_code_cell("", outputs=[new_output("display_data", data={"text/html": block(d)})],
                           metadata={"tags": ["dossier"]})  # the notebook's own cells, not hers
             for block in (show.opening, show.record, show.closing)]  # fmt: skip
    html = html_document(new_notebook(cells=cells), lang="sv", case_id="RUN/168/2020", title="T")
    (tmp_path / "RUN-168-2020").mkdir()
    own = tmp_path / "RUN-168-2020" / "RUN-168-2020.pdf"
    write_pdf(html, own)
    (own.parent / "manifest.json").write_text('{"key": "%s"}' % ("0123456789abcdef" * 4))
    dossier = PackedDossier("7", "RUN/168/2020", "T", "RUN-168-2020", own)
    path = tmp_path / "pack.pdf"
    write_pack_pdf(path, cover_with_links([dossier]), [dossier], lang="sv")
    assert_one_line_of_provenance(path, [own])
    assert_contents_give_the_packs_pages(path)
    assert conformance(path, "ua1") == []


# -- the sample meeting, and a synthetic meeting of 30 items, from `dossier batch` ------------


@pytest.fixture(scope="module")
def meeting_pack(tmp_path_factory) -> Path:
    run = built_once(tmp_path_factory, "meeting-references",
                     lambda root: batch(root / "out", "--meeting", MEETING, "--workers", "2"))  # fmt: skip
    assert run.status == 0, run.stderr
    return pack_path(run)


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_sample_meeting_packs_contents_lists_give_the_packs_pages(meeting_pack):
    read = contents_and_bookmarks(meeting_pack)
    assert len(read) == len(AGENDA)
    assert read[1][0][0] == ("Beslutssammanfattning", bookmarks(meeting_pack)[1][0])
    assert_contents_give_the_packs_pages(meeting_pack)
    out = meeting_pack.parent.parent
    assert_one_line_of_provenance(meeting_pack, [out / slugify(c) / f"{slugify(c)}.pdf" for _, c, _ in AGENDA])


SYNTHETIC_MEETING = "RUN-SYNTETISKT"


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_30_item_packs_contents_lists_give_the_packs_pages(tmp_path):
    data = demo_data(tmp_path / "data", cases=30, events=20)
    add_meeting(data, SYNTHETIC_MEETING, 30)
    run = batch(tmp_path / "out", "--meeting", SYNTHETIC_MEETING, "--workers", "2", data=data)
    assert run.status == 0, run.stderr
    path = run.out / run.report["meeting_pack"]["pdf"]
    read = contents_and_bookmarks(path)
    assert len(read) == 30
    assert max(page for _, sections in read for _, page in sections) > 99  # three digits too
    assert_contents_give_the_packs_pages(path)
    dossiers = [run.out / d["outputs"]["pdf"] for d in run.report["dossiers"]]
    assert_one_line_of_provenance(path, dossiers)
