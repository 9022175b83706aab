"""The meeting pack: a cover with the agenda, then every case's dossier, in one PDF.

The pack reads as one document: its pages are numbered through ("Sida 9 av 14", on the
cover too), the cover gives the page where each agenda item's dossier starts, and each
item's bookmark holds its dossier's section bookmarks. Each dossier is laid out again
from its HTML with the pack's page numbers; the tagged pages are then bound into one PDF.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from ..catalogue import text
from ..content.agenda import Agenda, AgendaEntry, meeting_agenda
from ..content.pages import render_page
from ..data.model import Registry
from ..errors import RenderError
from .export import html_document, lay_out, page_content, write_document
from .job import dossier_view, slugify
from .output import swap_into_place

#: Layouts of the pack before its page numbers must have settled. A dossier takes as many
#: pages in the pack as on its own, so the first layout is right unless the cover grows.
_LAYOUTS = 3


@dataclass(frozen=True)
class PackedDossier:
    """One agenda item's dossier as the pack prints it."""

    item: str
    case_id: str
    title: str
    slug: str
    #: The dossier's HTML, as its own HTML file holds it.
    html: str
    #: Pages of its own PDF: the pages it is expected to take in the pack.
    pages: int

    @property
    def bookmark(self) -> str:
        return f"{self.item}. {self.case_id} – {self.title}"

    @property
    def anchor(self) -> str:
        """The name of the dossier's first page, for the cover's links."""
        return f"item:{self.slug}"


def build_meeting_pack(registry: Registry, meeting_id: str, report, options) -> dict[str, str]:
    """Write ``meeting-<slug>/index.html`` and ``meeting-<slug>/<slug>.pdf`` beside the dossiers.

    Both show the meeting's agenda (:func:`~dossier.content.agenda.meeting_agenda`): the
    index page for reading on screen, with a link to each dossier; the PDF's cover, with the
    page where each dossier starts. With ``--format html`` there are no dossier PDFs, and
    the pack is the index page alone. An item whose dossier failed is listed as missing
    and left out of the PDF; how each dossier's render went is the batch's report to tell.
    """
    lang = options.lang
    agenda = meeting_agenda(registry, meeting_id, lang=lang, as_of=options.day,
                            inactive_months=options.inactive_months,
                            view_of=lambda case_id: dossier_view(registry, case_id, options))  # fmt: skip
    results = {r.case_id: r for r in report.results}
    slug = slugify(meeting_id)
    out = Path(report.out_dir)
    final = out / f"meeting-{slug}"
    staging = Path(tempfile.mkdtemp(prefix=f".meeting-{slug}.", suffix=".tmp", dir=out))
    staging.chmod(0o755)
    try:
        pdf = staging / f"{slug}.pdf" if "pdf" in options.formats else None
        if pdf is not None:  # HTML-only: no PDFs to bind
            dossiers = {
                entry.case_id: _packed(entry, results[entry.case_id], lang)
                for entry in agenda.items
                if entry.case_id in results
                and Path(results[entry.case_id].outputs.get("pdf", "")).is_file()
            }

            def cover(first_pages: dict[str, int]) -> str:
                rows = [
                    {"entry": entry, "anchor": dossiers[entry.case_id].anchor,
                     "page": first_pages[dossiers[entry.case_id].anchor]}
                    if entry.case_id in dossiers else {"entry": entry, "anchor": None, "page": ""}
                    for entry in agenda.items
                ]  # fmt: skip
                return render_page("pack/cover.html.j2", _agenda_view(agenda) | {
                    "columns": [text(f"field.{k}", lang) for k in ("item", "case_id", "title", "page")],
                    "rows": rows,
                })  # fmt: skip

            write_pack_pdf(pdf, cover, list(dossiers.values()), lang=lang, pdfa=options.pdfa)
        page = agenda_page(agenda, results, final, pack=pdf.name if pdf else None)
        (staging / "index.html").write_text(page, encoding="utf-8")
        swap_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pack = {"index": str(final / "index.html")}
    if pdf is not None:
        pack["pdf"] = str(final / pdf.name)
    return pack


def agenda_page(agenda: Agenda, results: dict, folder: Path, *, pack: str | None) -> str:
    """The pack's index page: the meeting's agenda, each item's case in a sentence, its links.

    Parameters
    ----------
    agenda
        The meeting's agenda.
    results
        The batch's results by case ID: where each dossier's files are.
    folder
        The folder the page is written to: its links are relative to it.
    pack
        The pack PDF's file name in ``folder``; None when there is none.
    """
    lang = agenda.lang
    links = {}
    for entry in agenda.items:
        outputs = results[entry.case_id].outputs if entry.case_id in results else {}
        links[entry.case_id] = [
            (text(f"pack.open_{kind}", lang), os.path.relpath(outputs[kind], folder))
            for kind in ("html", "pdf")
            if kind in outputs and Path(outputs[kind]).is_file()
        ]
    return render_page("pack/index.html.j2", _agenda_view(agenda) | {
        "links": links, "pack": pack, "pack_label": text("batch.pack", lang),
        "item_label": text("field.item", lang),
    })  # fmt: skip


def _agenda_view(agenda: Agenda) -> dict:
    """What the cover and the index page both show of the agenda, and their words."""
    lang = agenda.lang
    return {
        "agenda": agenda, "lang": lang, "title": agenda.title,
        "agenda_heading": text("pack.agenda", lang),
        "proposal_label": text("field.proposal", lang), "missing": text("pack.missing", lang),
    }  # fmt: skip


def _packed(entry: AgendaEntry, result, lang: str) -> PackedDossier:
    """A rendered dossier, ready for the pack: its HTML and how many pages it takes."""
    from pypdf import PdfReader

    if "html" in result.outputs:
        html = Path(result.outputs["html"]).read_text(encoding="utf-8")
    else:  # --format pdf: the HTML again from the executed notebook, as the PDF was made
        import nbformat

        nb = nbformat.read(result.outputs["notebook"], as_version=4)
        html = html_document(nb, lang=lang, case_id=result.case_id, title=result.title)
    pages = len(PdfReader(result.outputs["pdf"]).pages)
    return PackedDossier(entry.item, result.case_id, str(entry.title), result.slug, html, pages)


def write_pack_pdf(
    path: Path,
    cover: Callable[[dict[str, int]], str],
    dossiers: list[PackedDossier],
    *,
    lang: str,
    pdfa: bool = False,
) -> None:
    """Write the cover and the dossiers as one tagged PDF whose pages are numbered through.

    Parameters
    ----------
    path
        Where the PDF goes.
    cover
        The cover's HTML, given the page where each dossier starts (by its anchor).
    dossiers
        The dossiers in agenda order.
    lang
        The language of the page numbers' words ("Sida 3 av 9").
    pdfa
        PDF/A-3a as well as PDF/UA-1 (see :func:`~dossier.run.export.write_document`).

    Raises
    ------
    RenderError
        When the page numbers do not settle (the pages of a part change with them).
    """
    counts = [1] + [dossier.pages for dossier in dossiers]
    for _ in range(_LAYOUTS):
        firsts = list(accumulate([1, *counts[:-1]]))
        total = sum(counts)
        starts = {
            dossier.anchor: first for dossier, first in zip(dossiers, firsts[1:], strict=True)
        }
        parts = [lay_out(cover(starts), stylesheets=[pack_page_numbers(lang, 1, total)])]
        if len(parts[0].pages) == counts[0]:  # else the cover grew: lay it out again first
            parts += [
                lay_out(dossier.html, stylesheets=[pack_page_numbers(lang, first, total)])
                for dossier, first in zip(dossiers, firsts[1:], strict=True)
            ]
        laid_out = [len(part.pages) for part in parts]
        if laid_out == counts:
            break
        counts = laid_out + counts[len(laid_out) :]
    else:
        raise RenderError(f"{path.name}: the page numbers changed with every layout ({counts})")
    cover_pages, *documents = parts
    pages = list(cover_pages.pages)
    for dossier, document in zip(dossiers, documents, strict=True):
        pages += under_agenda_item(document.pages, dossier)
    write_document(cover_pages.copy(pages), path, pdfa=pdfa)


def pack_page_numbers(lang: str, first: int, total: int) -> str:
    """CSS for a part of the pack: its pages numbered from ``first``, out of ``total``.

    It overrides the dossier's own "page N of its own M" in the bottom margin.
    """
    content = page_content(lang, total=total)
    return (
        f"@page {{ @bottom-right {{ content: {content} !important; }} }}\n"
        f"@page :first {{ counter-reset: page {first:d}; }}\n"
    )


def under_agenda_item(pages: list, dossier: PackedDossier) -> list:
    """A dossier's laid-out pages, made part of the pack, under its agenda item.

    Its section bookmarks go one level down, under a bookmark for the item; its anchors
    and links are named for the case, so that two dossiers' sections never share a name;
    its first page is the anchor the cover links to.
    """
    for page in pages:
        page.bookmarks = [(level + 1, *rest) for level, *rest in page.bookmarks]
        page.anchors = {f"{dossier.slug}:{name}": at for name, at in page.anchors.items()}
        page.links = [
            (kind, f"{dossier.slug}:{target}" if kind == "internal" else target, *rest)
            for kind, target, *rest in page.links
        ]
    if pages:
        pages[0].bookmarks.insert(0, (1, dossier.bookmark, (0, 0), "closed"))
        pages[0].anchors[dossier.anchor] = (0, 0, 0, 0)
    return pages
