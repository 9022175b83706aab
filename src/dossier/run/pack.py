"""The meeting pack: a cover with the agenda, then every case's dossier, in one PDF.

The pack reads as one document: its pages are numbered through ("Sida 9 av 14", on the
cover too), the cover gives the page where each agenda item's dossier starts, and each
item's bookmark holds its dossier's section bookmarks. Only the cover and the page
numbers are laid out; each dossier's PDF is bound in as it is (:mod:`dossier.run.bind`),
so that a pack whose dossiers did not change costs little more than its cover.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import text
from ..content.agenda import Agenda, meeting_agenda
from ..content.pages import render_page
from ..data.model import Registry
from ..resources import template_dir
from .bind import Part, Unnumbering, bind, page_count
from .export import lay_out, page_content, write_document
from .job import dossier_view, slugify
from .output import swap_into_place


@dataclass(frozen=True)
class PackedDossier:
    """One agenda item's dossier as the pack prints it."""

    item: str
    case_id: str
    title: str
    slug: str
    #: The dossier's own PDF: the pack binds its pages.
    pdf: Path

    @property
    def bookmark(self) -> str:
        return f"{self.item}. {self.case_id} – {self.title}"

    @property
    def anchor(self) -> str:
        """The name of the dossier's first page, for the cover's links."""
        return f"item:{self.slug}"

    @property
    def part(self) -> Part:
        return Part(self.pdf, f"{self.slug}:", self.bookmark, self.anchor)


def build_meeting_pack(
    registry: Registry,
    meeting_id: str,
    report,
    options,
    views: dict | None = None,
    unnumbering: Unnumbering | None = None,
) -> dict[str, str]:
    """Write ``meeting-<slug>/index.html`` and ``meeting-<slug>/<slug>.pdf`` beside the dossiers.

    Both show the meeting's agenda (:func:`~dossier.content.agenda.meeting_agenda`): the
    index page for reading on screen, with a link to each dossier; the PDF's cover, with the
    page where each dossier starts. With ``--format html`` there are no dossier PDFs, and
    the pack is the index page alone. An item whose dossier failed is listed as missing
    and left out of the PDF; how each dossier's render went is the batch's report to tell.
    ``views`` holds the cases as the batch's jobs saw them (see
    :func:`~dossier.run.job.prepare_job`); a case not in it is read again. ``unnumbering``
    has readied some dossiers' PDFs for the pack meanwhile.
    """
    lang = options.lang
    agenda = meeting_agenda(registry, meeting_id, lang=lang, as_of=options.day,
                            inactive_months=options.inactive_months,
                            view_of=lambda case_id: (views or {}).get(case_id)
                            or dossier_view(registry, case_id, options))  # fmt: skip
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
                entry.case_id: PackedDossier(entry.item, entry.case_id, str(entry.title),
                                             results[entry.case_id].slug,
                                             Path(results[entry.case_id].outputs["pdf"]))
                for entry in agenda.items
                if entry.case_id in results
                and Path(results[entry.case_id].outputs.get("pdf", "")).is_file()
            }  # fmt: skip

            rows = [
                {"entry": entry, "anchor": dossiers[entry.case_id].anchor
                 if entry.case_id in dossiers else None}
                for entry in agenda.items
            ]  # fmt: skip
            cover = render_page("pack/cover.html.j2", _agenda_view(agenda) | {
                "columns": [text(f"field.{k}", lang) for k in ("item", "case_id", "title", "page")],
                "rows": rows,
            })  # fmt: skip
            write_pack_pdf(pdf, cover, list(dossiers.values()), lang=lang, pdfa=options.pdfa,
                           unnumbered=unnumbering.result() if unnumbering else None)  # fmt: skip
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


def write_pack_pdf(
    path: Path,
    cover: str,
    dossiers: list[PackedDossier],
    *,
    lang: str,
    pdfa: bool = False,
    unnumbered: dict[Path, bytes] | None = None,
) -> None:
    """Write the cover and the dossiers as one tagged PDF whose pages are numbered through.

    The cover is laid out once, followed by an empty page for each page of the dossiers
    (the first of each is named by its anchor): so the cover's links to the dossiers can
    give their pages (``target-counter(attr(href), page)``) and every page its number out
    of the pack's. The empty pages then give their numbers to the dossiers' pages
    (:func:`~dossier.run.bind.bind`).

    Parameters
    ----------
    path
        Where the PDF goes.
    cover
        The cover's HTML; its links to a dossier's anchor lead to its first page.
    dossiers
        The dossiers in agenda order, each with its own PDF.
    lang
        The language of the page numbers' words ("Sida 3 av 9").
    pdfa
        PDF/A-3a as well as PDF/UA-1 (see :func:`~dossier.run.export.write_document`).
    unnumbered
        Dossiers' PDFs readied for the pack already, by path (see :func:`~dossier.run.bind.bind`).

    Raises
    ------
    RenderError
        When a dossier's PDF has no page number of its own to replace.
    """
    counts = [page_count(dossier.pdf) for dossier in dossiers]
    pages = "".join(
        f'<div class="{PAGE_CLASS}" id="{html.escape(dossier.anchor)}"></div>'
        + f'<div class="{PAGE_CLASS}"></div>' * (count - 1)
        for dossier, count in zip(dossiers, counts, strict=True)
    )
    before, end, after = cover.rpartition("</body>")
    document = before + pages + end + after if end else cover + pages
    front = lay_out(document, stylesheets=[_front_style(lang)])  # see _front_style
    bind(write_document(front, None, pdfa=pdfa), len(front.pages) - sum(counts),
         [dossier.part for dossier in dossiers], path, unnumbered)  # fmt: skip


#: The class of the empty pages that stand for the dossiers' pages behind the cover.
PAGE_CLASS = "pack-page"


def _front_style(lang: str) -> str:
    """CSS of the cover and the empty pages after it: the dossier's pages, numbered as in a
    dossier but out of the pack's pages; no background, so that a page number drawn over a
    dossier's page hides nothing of it."""
    dossier_pages = (template_dir() / "dossier" / "dossier.css").read_text(encoding="utf-8")
    return (
        dossier_pages
        + f"\n@page {{ @bottom-right {{ content: {page_content(lang)}; }} }}\n"
        f".{PAGE_CLASS} {{ break-before: page; }}\n"
        "html, body { background: none !important; }\n"
    )
