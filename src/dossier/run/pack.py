"""The meeting pack: a cover with the agenda, then every case's dossier, in one PDF."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..catalogue import text
from ..content.pages import render_page
from ..data.dates import format_day
from ..data.model import Registry
from .export import write_pdf
from .job import slugify
from .output import swap_into_place


def build_meeting_pack(registry: Registry, meeting_id: str, report, options) -> dict[str, str]:
    """Write ``meeting-<slug>/index.html`` and ``meeting-<slug>/<slug>.pdf`` beside the dossiers.

    With ``--format html`` there are no dossier PDFs, and the pack is the index page alone.
    One bookmark per agenda item; an item whose dossier failed is listed on the
    cover as missing and left out of the PDF.
    """
    from pypdf import PdfWriter

    from .results import index_page

    lang = options.lang
    meeting = registry.meeting(meeting_id)
    forum = registry.forum(meeting.forum_id)
    forum_name = forum.name if forum else meeting.forum_id
    items = registry.agenda_items(meeting_id=meeting_id)
    results = {r.case_id: r for r in report.results}
    slug = slugify(meeting_id)
    out = Path(report.out_dir)
    final = out / f"meeting-{slug}"
    staging = Path(tempfile.mkdtemp(prefix=f".meeting-{slug}.", suffix=".tmp", dir=out))
    staging.chmod(0o755)
    try:
        when = format_day(meeting.day, lang) + (f" {meeting.time}" if meeting.time else "")
        title = text("pack.title", lang, meeting=meeting.title or f"{forum_name} {when}")
        rows = []
        for item in items:
            case = registry.case(item.case_id)
            result = results.get(item.case_id)
            missing = not (
                result and result.outputs.get("pdf") and Path(result.outputs["pdf"]).is_file()
            )
            rows.append(
                (
                    item.item,
                    item.case_id,
                    item.title or case.title,
                    text("pack.missing", lang) if missing else "",
                )
            )
        facts = [(text("field.forum", lang), forum_name), (text("field.date", lang), when)]
        if meeting.location:
            facts.append((text("field.location", lang), meeting.location))
        cover_html = render_page("pack/cover.html.j2", {
            "lang": lang, "title": title, "facts": facts, "agenda_heading": text("pack.agenda", lang),
            "columns": [text(f"field.{k}", lang) for k in ("item", "case_id", "title")], "rows": rows,
        })  # fmt: skip
        pdf = (
            staging / f"{slug}.pdf" if "pdf" in options.formats else None
        )  # HTML-only: no PDFs to bind
        if pdf is not None:
            cover = staging / "cover.pdf"
            write_pdf(cover_html, cover)
            writer = PdfWriter()
            writer.append(str(cover), import_outline=False)
            for number, case_id, item_title, missing in rows:
                if not missing:
                    writer.append(results[case_id].outputs["pdf"], outline_item=f"{number}. {case_id} – {item_title}",
                                  import_outline=False)  # fmt: skip
            cover.unlink()
            with open(pdf, "wb") as handle:
                writer.write(handle)
        agenda_results = [results[item.case_id] for item in items if item.case_id in results]
        page = index_page(
            agenda_results, final, lang, title=title, subtitle=f"{forum_name}, {when}",
            items={item.case_id: item.item for item in items}, pack=pdf.name if pdf else None,
        )  # fmt: skip
        (staging / "index.html").write_text(page, encoding="utf-8")
        swap_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pack = {"index": str(final / "index.html")}
    if pdf is not None:
        pack["pdf"] = str(final / pdf.name)
    return pack
