"""The dossier's sections as HTML, one function per notebook cell.

Each function takes a :class:`CaseDossier` and returns :class:`Html`, which
Jupyter displays and nbconvert carries into the dossier. Markup comes from
``templates/sections/sections.html.j2`` with autoescaping on, so no text from
the data can become markup.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from ..catalogue import label, text
from ..data.dates import PartialDate, format_day
from ..resources import toolkit_fingerprint
from .analysis import COUNTED_KINDS, forums_involved, is_new
from .context import CaseDossier, open_case
from .figures import timeline_alt, timeline_svg
from .pages import macros

__all__ = [
    "Html", "documents", "figure", "forums", "header", "history", "notes", "open_case",
    "provenance", "related", "summary",
]  # fmt: skip


class Html(str):
    """Markup that Jupyter shows as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def _macros():
    return macros("sections/sections.html.j2")


@dataclass
class Part:
    columns: list[str]
    rows: list[dict]
    empty: str = ""
    heading: str = ""


@dataclass
class TableSection:
    heading: str
    css: str
    parts: list[Part] = field(default_factory=list)


def _row(*cells, new: bool = False) -> dict:
    return {"cells": [c if isinstance(c, list) else str(c) for c in cells], "new": new}


def _when(date: PartialDate, end: PartialDate | None, lang: str) -> str:
    return f"{date.format(lang)} – {end.format(lang)}" if end else date.format(lang)


def _duration(months: int, lang: str) -> str:
    years, rest = divmod(months, 12)
    if years:
        return text("phrase.years_months", lang, years=years, months=rest)
    return text("phrase.months", lang, n=rest)


def header(d: CaseDossier) -> Html:
    """Case ID, title, status, owner forum, responsible unit, opened and as-of dates."""
    case, lang = d.case, d.lang
    facts = [
        (text("field.status", lang), label("status", case.status, lang)),
        (text("field.owner", lang), d.case_file.forum_name(case.owner_forum_id) or "–"),
        (text("field.responsible", lang), case.responsible or "–"),
        (text("field.opened", lang), case.opened.format(lang)),
    ]
    if case.closed:
        facts.append((text("field.closed", lang), case.closed.format(lang)))
    facts.append((text("field.as_of", lang), format_day(d.as_of, lang)))
    if d.since:
        facts.append((text("field.since", lang), format_day(d.since, lang)))
    view = {
        "lang": lang,
        "case_id": case.case_id,
        "title": case.title,
        "facts": facts,
        "summary": case.summary,
    }
    return Html(_macros().header(view))


def summary(d: CaseDossier) -> Html:
    """The decision summary: status sentence, pending proposal, decisions, counts, activity."""
    s, lang, cf = d.summary, d.lang, d.case_file
    limit = s.inactivity.threshold
    length = _duration(s.inactivity.months, lang)
    if s.inactivity.inactive:
        inactivity = text("phrase.inactive", lang, length=length, limit=limit)
    elif s.inactivity.months == 0:
        inactivity = text("phrase.active_recent", lang, limit=limit)
    else:
        inactivity = text("phrase.active", lang, length=length, limit=limit)
    pending = None
    if s.pending:
        event = s.pending.event
        pending = {
            "title": event.title,
            "date": event.date.format(lang),
            "forum": cf.forum_name(event.forum_id) if event.forum_id else "",
            "points": list(s.pending.points),
        }
    decisions = [
        [
            d_.event.date.format(lang),
            label("kind", d_.event.kind, lang),
            d_.forum or "–",
            d_.paragraph or "–",
            d_.event.title,
        ]
        for d_ in s.decisions
    ]
    facts = [
        (label("kind", kind, lang).capitalize(), str(s.counts[kind])) for kind in COUNTED_KINDS
    ]
    facts.append((text("field.time_open", lang), _duration(s.months_open, lang)))
    if s.quiet:
        quiet = text("phrase.quiet", lang, length=_duration(s.quiet.months, lang),
                     start=format_day(s.quiet.start, lang), end=format_day(s.quiet.end, lang))  # fmt: skip
        facts.append((text("field.quiet", lang), quiet))
    if s.next_meeting:
        m = s.next_meeting.meeting
        when = format_day(m.day, lang) + (f" {m.time}" if m.time else "")
        where = cf.forum_name(m.forum_id)
        facts.append(
            (
                text("field.next_meeting", lang),
                f"{where}, {when}, {text('field.item', lang).lower()} {s.next_meeting.item}",
            )
        )
    else:
        facts.append((text("field.next_meeting", lang), text("phrase.no_next_meeting", lang)))
    view = {
        "heading": text("heading.summary", lang),
        "sentence": s.sentence,
        "inactive": s.inactivity.inactive,
        "inactivity": inactivity,
        "pending_heading": text("heading.pending", lang),
        "pending": pending,
        "no_pending": text("phrase.no_pending", lang),
        "decisions_heading": text("heading.decisions", lang),
        "decision_columns": [
            text(f"field.{k}", lang) for k in ("date", "kind", "forum", "paragraph", "event")
        ],
        "decisions": decisions,
        "no_decisions": text("phrase.no_decisions", lang),
        "counts_heading": text("heading.counts", lang),
        "facts": facts,
    }
    return Html(_macros().summary(view))


def figure(d: CaseDossier) -> Html:
    """The timeline, embedded as an SVG image with alt text."""
    svg = timeline_svg(d.case_file, as_of=d.as_of, since=d.since, lang=d.lang)
    view = {
        "heading": text("heading.timeline", d.lang),
        "svg_base64": base64.b64encode(svg.encode("utf-8")).decode("ascii"),
        "alt": timeline_alt(d.case_file, as_of=d.as_of, lang=d.lang),
    }
    return Html(_macros().figure(view))


def history(d: CaseDossier) -> Html:
    """Every event in order, partial dates shown as the source knows them."""
    lang, cf = d.lang, d.case_file
    rows = []
    for e in cf.events:
        detail = [e.title, *e.description.splitlines()]
        if e.document:
            detail.append(f"{text('field.document', lang)}: {e.document}")
        rows.append(_row(
            _when(e.date, e.end_date, lang), label("kind", e.kind, lang),
            cf.forum_name(e.forum_id) if e.forum_id else "–", detail, e.decision_ref or "",
            new=is_new(e, d.since),
        ))  # fmt: skip
    return _one_table(lang, "history", ("date", "kind", "forum", "event", "paragraph"), rows)


def forums(d: CaseDossier) -> Html:
    """Each forum involved: its kind, how often and when it handled the case."""
    lang = d.lang
    rows = [
        _row(
            [
                u.forum.name if u.forum else u.forum_id,
                *([u.forum.organisation] if u.forum and u.forum.organisation else []),
            ],
            label("forum_kind", u.forum.kind, lang) if u.forum else "–",
            u.count,
            u.first.format(lang),
            u.last.format(lang),
        )
        for u in forums_involved(d.case_file)
    ]
    return _one_table(lang, "forums", ("forum", "kind", "handled", "first", "last"), rows)


def related(d: CaseDossier) -> Html:
    """Cases linked to this one, in both directions."""
    lang = d.lang
    rows = [
        _row(
            r.case_id,
            r.title,
            label("relation_inverse" if r.inverse else "relation", r.relation, lang),
            label("status", r.status, lang),
        )
        for r in d.case_file.related
    ]
    return _one_table(lang, "related", ("case_id", "title", "relation", "status"), rows)


def documents(d: CaseDossier) -> Html:
    """Documents filed in the case."""
    lang = d.lang
    rows = [
        _row(
            doc.date.format(lang), doc.title, label("doc_type", doc.doc_type, lang), doc.link or "–"
        )
        for doc in d.case_file.documents
    ]
    return _one_table(lang, "documents", ("date", "doc_title", "doc_type", "link"), rows)


def notes(d: CaseDossier) -> Html:
    """Anything odd in the source data for this case."""
    lang = d.lang
    rows = [_row(n.text(lang), f"{n.file} {n.row}" if n.row else n.file) for n in d.case_file.notes]
    return _one_table(lang, "notes", ("note", "file"), rows, empty="phrase.no_notes")


def provenance(d: CaseDossier) -> Html:
    """Source files with SHA-256 and rows, parameters, toolkit version, notebook hash."""
    lang = d.lang
    files = [
        _row(s.path.name, f"{s.rows:,}".replace(",", "\u202f"), s.sha256)
        for s in d.case_file.sources
    ]
    file_columns = [text("field.file", lang), text("field.rows", lang), text("field.sha256", lang)]
    fingerprint = toolkit_fingerprint()
    settings = [_row(k, "–" if v is None else v) for k, v in d.parameters.items()]
    settings += [
        _row(text("field.version", lang), fingerprint["version"]),
        _row(text("field.notebook", lang), fingerprint["notebook_sha256"]),
        _row(text("field.template", lang), fingerprint["template_sha256"]),
    ]
    setting_columns = [text("field.parameter", lang), text("field.value", lang)]
    return _table(TableSection(text("heading.provenance", lang), "provenance", [
        Part(file_columns, files, text("phrase.none", lang)),
        Part(setting_columns, settings),
    ]))  # fmt: skip


def _table(section: TableSection) -> Html:
    return Html(_macros().table_section(section))


def _one_table(lang: str, section: str, fields: tuple[str, ...], rows: list[dict],
               empty: str = "phrase.none") -> Html:  # fmt: skip
    """A section of one table: heading ``heading.<section>``, columns ``field.<name>``."""
    columns = [text(f"field.{name}", lang) for name in fields]
    return _table(
        TableSection(
            text(f"heading.{section}", lang), section, [Part(columns, rows, text(empty, lang))]
        )
    )
