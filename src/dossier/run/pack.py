"""The meeting pack: a cover with the agenda, then every case's dossier, in one PDF.

The pack reads as one document: its pages are numbered through ("Sida 9 av 14", on the
cover too), the cover gives the page where each agenda item's dossier starts, and each
item's bookmark holds its dossier's section bookmarks. Only the cover and the page
numbers are laid out; each dossier's PDF is bound in as it is (:mod:`dossier.run.bind`),
so that a pack whose dossiers did not change costs little more than its cover.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..catalogue import text
from ..content.agenda import Agenda, meeting_agenda
from ..content.pages import render_page
from ..data.model import Registry
from ..data.text import slugify
from .bind import PackAhead, Part, bind
from .export import lay_out, write_document
from .front import front_document, layout
from .job import dossier_href
from .output import swap_into_place
from .references import Reference


@dataclass(frozen=True)
class PackedDossier:
    """One agenda item's dossier as the pack prints it."""

    item: str
    case_id: str
    title: str
    slug: str
    #: The dossier's own PDF: the pack binds its pages.
    pdf: Path
    #: Its page references (:func:`~dossier.run.references.references`), once read.
    references: tuple[Reference, ...] = ()
    #: The pages of it the pack binds (:func:`~dossier.run.references.pages_for_pack`), once read.
    pages: int | None = None

    @property
    def bookmark(self) -> str:
        return f"{self.item}. {self.case_id} – {self.title}"

    @property
    def anchor(self) -> str:
        """The name of the dossier's first page, for the cover's links."""
        return f"item:{self.slug}"

    @property
    def part(self) -> Part:
        return Part(self.pdf, f"{self.slug}:", self.bookmark, self.anchor, self.references,
                    self.pages)  # fmt: skip


def read_layouts(dossiers: list[PackedDossier], known: dict | None = None,
                 ) -> tuple[list[PackedDossier], list[int]]:  # fmt: skip
    """The dossiers with what the pack binds of them read (:func:`~dossier.run.front.layout`,
    or as ``known`` by path), and the pages of each."""
    known = known or {}
    read = [(d, known[d.pdf] if d.pdf in known else layout(d.pdf)) for d in dossiers]
    return ([replace(d, references=refs, pages=pages) for d, (pages, refs) in read],
            [pages for _, (pages, _) in read])  # fmt: skip


def build_meeting_pack(
    registry: Registry,
    meeting_id: str,
    report,
    options,
    views: dict | None = None,
    ahead: PackAhead | None = None,
) -> dict[str, str]:
    """Write ``meeting-<slug>/index.html`` and ``meeting-<slug>/<slug>.pdf`` beside the dossiers.

    Both show the meeting's agenda (:func:`~dossier.content.agenda.meeting_agenda`): the
    index page for reading on screen, with a link to each dossier; the PDF's cover, with the
    page where each dossier starts. With ``--format html`` there are no dossier PDFs, and
    the pack is the index page alone. An item whose dossier failed is listed as missing
    and left out of the PDF; how each dossier's render went is the batch's report to tell.
    ``views`` holds the cases as the batch's jobs saw them (see
    :func:`~dossier.run.job.prepare_job`); a case not in it is read again. ``ahead`` is
    what was made for the pack while the batch rendered (:func:`pack_ahead`).
    """
    lang = options.lang
    agenda = _agenda(registry, meeting_id, options, views)
    results = {r.case_id: r for r in report.results}
    slug = slugify(meeting_id)
    out = Path(report.out_dir)
    final = out / f"meeting-{slug}"
    staging = Path(tempfile.mkdtemp(prefix=f".meeting-{slug}.", suffix=".tmp", dir=out))
    staging.chmod(0o755)
    try:
        pdf = staging / f"{slug}.pdf" if "pdf" in options.formats else None
        if pdf is not None:  # HTML-only: no PDFs to bind
            pdfs = {case_id: Path(r.outputs["pdf"]) for case_id, r in results.items()
                    if Path(r.outputs.get("pdf", "")).is_file()}  # fmt: skip
            dossiers = _packed(agenda, pdfs, {r.case_id: r.slug for r in results.values()})
            write_pack_pdf(pdf, _cover(agenda, dossiers), dossiers, lang=lang,
                           pdfa=options.pdfa, ahead=ahead)  # fmt: skip
        page = agenda_page(agenda, results, final, pack=pdf.name if pdf else None)
        (staging / "index.html").write_text(page, encoding="utf-8")
        swap_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pack = {"index": str(final / "index.html")}
    if pdf is not None:
        pack["pdf"] = str(final / pdf.name)
    return pack


def pack_ahead(registry: Registry, meeting_id: str, options, views: dict, slugs: dict,
               done: dict, rendering: dict) -> PackAhead | None:  # fmt: skip
    """Start making the meeting pack's parts while the batch renders (see
    :class:`~dossier.run.bind.PackAhead`).

    Parameters
    ----------
    slugs
        Each case's slug, by case ID.
    done
        The PDFs of the dossiers that will not change, by case ID.
    rendering
        The PDFs that the dossiers being rendered will replace, by case ID: the front is
        laid out as if they keep their pages (it is not when one of them has no PDF yet).

    Returns None when there is nothing to make ahead.
    """
    agenda = _agenda(registry, meeting_id, options, views)
    front = None
    if all(path.is_file() for path in rendering.values()):
        dossiers = _packed(agenda, done | rendering, slugs)
        front = {"cover": _cover(agenda, dossiers), "lang": options.lang, "pdfa": options.pdfa,
                 "parts": [(d.slug, d.anchor, str(d.pdf)) for d in dossiers]}  # fmt: skip
    return PackAhead(list(done.values()), front) if done or front else None


def _agenda(registry: Registry, meeting_id: str, options, views: dict | None) -> Agenda:
    return meeting_agenda(registry, meeting_id, options.parameters, view_of=(views or {}).get)


def _packed(agenda: Agenda, pdfs: dict[str, Path], slugs: dict[str, str]) -> list[PackedDossier]:
    """The agenda's dossiers that have a PDF (``pdfs``, by case ID), in agenda order."""
    return [PackedDossier(entry.item, entry.case_id, str(entry.title), slugs[entry.case_id],
                          pdfs[entry.case_id])
            for entry in agenda.items if entry.case_id in pdfs]  # fmt: skip


def _cover(agenda: Agenda, dossiers: list[PackedDossier]) -> str:
    """The pack's cover: the meeting, and its agenda with links to the dossiers it holds."""
    anchors = {dossier.case_id: dossier.anchor for dossier in dossiers}
    rows = [{"entry": entry, "anchor": anchors.get(entry.case_id)} for entry in agenda.items]
    return render_page("pack/cover.html.j2", _agenda_view(agenda) | {
        "columns": [text(f"field.{k}", agenda.lang) for k in ("item", "case_id", "title", "page")],
        "rows": rows,
    })  # fmt: skip


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
        "agenda": agenda, "lang": lang, "source_lang": agenda.source_lang, "title": agenda.title,
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
    ahead: PackAhead | None = None,
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
    ahead
        What was made for the pack while the batch rendered: taken where it matches.

    Raises
    ------
    RenderError
        When a dossier's PDF has no page number of its own to replace.
    """
    dossiers, counts = read_layouts(dossiers, ahead.layouts() if ahead else None)
    document, style = _front(cover, dossiers, counts, lang)
    made = ahead.front(document, style, pdfa) if ahead else None
    if made is None:
        front = lay_out(document, stylesheets=[style])
        made = write_document(front, None, pdfa=pdfa), len(front.pages)
    data, pages = made
    # A related case bound in the pack is a jump to its first page; any other goes unlinked.
    jumps = {dossier_href(dossier.slug): dossier.anchor for dossier in dossiers}
    bind(data, pages - sum(counts), [dossier.part for dossier in dossiers], path,
         ahead.unnumbered() if ahead else None, jumps)  # fmt: skip


def _front(
    cover: str, dossiers: list[PackedDossier], counts: list[int], lang: str
) -> tuple[str, str]:
    """The HTML and CSS of the pack's front (see :func:`write_pack_pdf`)."""
    parts = [(d.slug, d.anchor, d.references, count) for d, count in zip(dossiers, counts, strict=True)]
    return front_document(cover, parts, lang)
