"""The dossier's sections as HTML, one function per notebook cell.

Each function takes a :class:`CaseDossier` and returns :class:`Html`, which
Jupyter displays and nbconvert carries into the dossier. Markup comes from
``templates/sections/sections.html.j2`` with autoescaping on, so no text from
the data can become markup.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace

from ..catalogue import Source, Words, label, text
from ..data.dates import PartialDate, format_day
from ..data.model import Event
from ..resources import toolkit_fingerprint
from .analysis import forums_involved, is_new
from .context import CaseDossier, open_case
from .figures import timeline_alt, timeline_svg
from .figures import warm_up as _draw_a_timeline
from .pages import Link, macros
from .timeline_layout import ChangeMarks
from .view import event_when

__all__ = [
    "STANDARD_SECTIONS", "Html", "changes", "closing", "documents", "figure", "forums", "header",
    "history", "lab_style", "notes", "open_case", "opening", "provenance", "record", "related",
    "summary",
]  # fmt: skip


class Html(str):
    """Markup that Jupyter shows as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def _macros():
    return macros("sections/sections.html.j2")


def warm_up() -> None:
    """Do ahead what a process's first dossier would do first: compile the sections'
    template and draw a made-up timeline (fonts, month names). The kernel template
    (:mod:`dossier.run.kernel_template`) does it once before it forks, so that each kernel
    forked from it starts there; what the sections show does not change.
    """
    _macros()
    _draw_a_timeline()


@dataclass
class Part:
    columns: list[str]
    rows: list[dict]
    empty: str = ""
    heading: str = ""
    #: Each column's field name, given to its cells as their class (for the stylesheet).
    keys: list[str] = field(default_factory=list)

    def without_empty_columns(self) -> Part:
        """The table without the columns that are empty in every row (none when it has no rows)."""
        if not self.rows:
            return self
        kept = [i for i in range(len(self.columns))
                if any(row["cells"][i] != "" for row in self.rows)]  # fmt: skip
        rows = [row | {"cells": [row["cells"][i] for i in kept]} for row in self.rows]
        keys = [self.keys[i] for i in kept] if self.keys else []
        return Part([self.columns[i] for i in kept], rows, self.empty, self.heading, keys)


@dataclass
class TableSection:
    heading: str
    css: str
    lang: str
    parts: list[Part] = field(default_factory=list)
    #: The language of the data's own text in the cells ("" unknown).
    source_lang: str = ""
    #: A paragraph that says the section in one line, before its tables; in print the tables
    #: then begin a page of their own (``<css>-full``), which a meeting pack leaves out.
    lead: str = ""


def _row(*cells, new: bool = False) -> dict:
    return {"cells": [c if isinstance(c, list | str | Link) else str(c) for c in cells], "new": new}


def _when(event: Event, lang: str) -> str:
    """An event's date as the data gives it; a period's end, or "pågår" while it runs."""
    return event_when(event, lang)


def _last(date: PartialDate | None, lang: str) -> str:
    return date.format(lang) if date else text("phrase.ongoing", lang)


def header(d: CaseDossier) -> Html:
    """Case ID, title, status, responsible body and unit, registration and as-of dates."""
    return Html(_macros().header(d.view))


def summary(d: CaseDossier) -> Html:
    """The decision summary: where the case stands, the pending proposal (once), what happens
    next, decisions, the case in figures: the questions page 1 answers."""
    lang = d.lang
    labels = {
        "heading": text("heading.summary", lang),
        "pending_heading": text("heading.pending", lang),
        "no_pending": text("phrase.no_pending", lang),
        "next_heading": text("field.next_meeting", lang),
        "decisions_heading": text("heading.decisions", lang),
        "decision_columns": [
            text(f"field.{k}", lang) for k in ("date", "kind", "forum", "paragraph", "event")
        ],
        "no_decisions": text("phrase.no_decisions", lang),
        "counts_heading": text("heading.counts", lang),
    }
    return Html(_macros().summary(d.view, labels))


def figure(d: CaseDossier) -> Html:
    """The timeline, embedded as an SVG image with alt text."""
    svg = timeline_svg(d.case_file, as_of=d.as_of, since=d.since, lang=d.lang,
                       changed=change_marks(d))  # fmt: skip
    view = {
        "heading": text("heading.timeline", d.lang),
        "svg_base64": base64.b64encode(svg.encode("utf-8")).decode("ascii"),
        "alt": timeline_alt(d.case_file, as_of=d.as_of, lang=d.lang),
    }
    return Html(_macros().figure(view))


def change_marks(d: CaseDossier) -> ChangeMarks | None:
    """The events added or changed since the earlier dossier, for the timeline to mark."""
    if d.baseline is None or not d.baseline.found:
        return None
    fields = ("event_id", "date", "kind", "forum_id", "title")
    events = frozenset(tuple(c.record.get(f, "") for f in fields) for c in d.changes
                       if c.kind in ("event_added", "event_changed"))  # fmt: skip
    day = format_day(d.baseline.day, d.lang)
    return ChangeMarks(events, text("legend.changed", d.lang, date=day))


def history(d: CaseDossier) -> Html:
    """Every event up to the day in order, partial dates shown as the source knows them."""
    lang, cf = d.lang, d.case_file
    rows = []
    for e in cf.events:
        detail = [Source(e.title), *map(Source, e.description.splitlines())]
        if e.document:
            detail.append(Words([f"{text('field.document', lang)}: ", Source(e.document)]))
        rows.append(_row(
            _when(e, lang), label("kind", e.kind, lang),
            Source(cf.forum_name(e.forum_id)) if e.forum_id else "–", detail, e.decision_ref or "",
            new=is_new(e, d.since),
        ))  # fmt: skip
    return _one_table(d, "history", ("date", "kind", "forum", "event", "paragraph"), rows)


def forums(d: CaseDossier) -> Html:
    """Each forum involved: its kind, how often and when it handled the case."""
    lang = d.lang
    rows = [
        _row(
            [
                Source(u.forum.name if u.forum else u.forum_id),
                *([Source(u.forum.organisation)] if u.forum and u.forum.organisation else []),
            ],
            label("forum_kind", u.forum.kind, lang) if u.forum else "–",
            u.count,
            u.first.format(lang),
            _last(u.last, lang),
        )
        for u in forums_involved(d.case_file)
    ]
    return _one_table(d, "forums", ("forum", "kind", "handled", "first", "last"), rows)


def related(d: CaseDossier) -> Html:
    """Cases linked to this one, in both directions, with their status on the day.

    A case whose dossier is in the same output folder links to it (``d.related_dossiers``).
    """
    lang = d.lang
    rows = [
        _row(
            Link(r.case_id, d.related_dossiers[r.case_id])
            if r.case_id in d.related_dossiers else r.case_id,
            Source(r.title),
            label("relation_inverse" if r.inverse else "relation", r.relation, lang),
            label("status", r.status, lang),
        )
        for r in d.case_file.related
    ]
    return _one_table(d, "related", ("case_id", "title", "relation", "status"), rows)


def documents(d: CaseDossier) -> Html:
    """Documents filed in the case up to the day."""
    lang = d.lang
    rows = [
        _row(
            doc.date.format(lang),
            Source(doc.title),
            label("doc_type", doc.doc_type, lang),
            doc.link or "–",
        )
        for doc in d.case_file.documents
    ]
    return _one_table(d, "documents", ("date", "doc_title", "doc_type", "link"), rows)


def notes(d: CaseDossier) -> Html:
    """Anything odd in the source data for this case."""
    lang = d.lang
    rows = [_row(n.text(lang), n.where(lang)) for n in d.case_file.notes]
    return _one_table(d, "notes", ("note", "where"), rows, empty="phrase.no_notes")


def provenance(d: CaseDossier) -> Html:
    """Source files with SHA-256 and rows, parameters, toolkit version, notebook hash."""
    lang = d.lang
    files = [
        _row(s.path.name, f"{s.rows:,}".replace(",", "\u202f"), s.sha256)
        for s in d.case_file.sources
    ]
    file_columns = [text("field.file", lang), text("field.rows", lang), text("field.sha256", lang)]
    fingerprint = toolkit_fingerprint()
    settings = [_row(text(f"setting.{k}", lang), _setting(k, v, lang)) for k, v in d.parameters.items()]
    if d.view.later:
        settings.append(_row(text("field.later", lang), d.view.later))
    settings += [
        _row(text("field.version", lang), fingerprint["version"]),
        _row(text("field.notebook", lang), d.notebook_sha256 or fingerprint["notebook_sha256"]),
        _row(text("field.template", lang), fingerprint["template_sha256"]),
    ]
    setting_columns = [text("field.parameter", lang), text("field.value", lang)]
    return _table(TableSection(text("heading.provenance", lang), "provenance", lang, [
        Part(file_columns, files, text("phrase.none", lang)),
        Part(setting_columns, settings),
    ], d.view.source_lang, provenance_line(d)))  # fmt: skip


def provenance_line(d: CaseDossier) -> str:
    """The dossier's provenance in one line: its day, its data's hash and its key (in a
    render), each cut short; enough to find its manifest and files again."""
    import hashlib

    sources = "".join(f"{s.path.name}\0{s.sha256}\n" for s in sorted(d.case_file.sources,
                                                                  key=lambda s: s.path.name))  # fmt: skip
    data = hashlib.sha256(sources.encode("utf-8")).hexdigest()[:12]
    day = text("date.day", d.lang, date=format_day(d.as_of, d.lang))
    if d.key:
        return text("phrase.provenance_line", d.lang, as_of=day, data=data, key=d.key[:12])
    return text("phrase.provenance_line_no_key", d.lang, as_of=day, data=data)


def _setting(name: str, value: object, lang: str) -> str:
    """A setting's value as the provenance shows it: a language by its name, none as "–"."""
    if value is None:
        return "–"
    if name == "lang":
        from babel import Locale

        return Locale.parse(str(value)).get_display_name(lang)
    return str(value)


def _table(section: TableSection) -> Html:
    parts = [part.without_empty_columns() for part in section.parts]
    return Html(_macros().table_section(replace(section, parts=parts)))


def _one_table(d: CaseDossier, section: str, fields: tuple[str, ...], rows: list[dict],
               empty: str = "phrase.none") -> Html:  # fmt: skip
    """A section of one table: heading ``heading.<section>``, columns ``field.<name>``."""
    lang = d.lang
    columns = [text(f"field.{name}", lang) for name in fields]
    return _table(
        TableSection(
            text(f"heading.{section}", lang), section, lang,
            [Part(columns, rows, text(empty, lang), keys=list(fields))], d.view.source_lang,
        )
    )  # fmt: skip


def changes(d: CaseDossier) -> Html:
    """What is new since ``since`` (or the forum's previous meeting), and what changed in the
    case's records since the earlier dossier compared with; nothing when neither is asked for."""
    view = d.view
    if view.news is None and view.changes is None:
        return Html("")
    labels = {"possibly_new": text("heading.possibly_new", d.lang)}
    return Html(_macros().changes(view, labels))
# -- the standard sections in blocks, for case notebooks --------------------------------------
#
# A notebook calls one function per block, never a section by name: a section added to a block
# here, or one fixed, reaches every notebook (the template and each case's own) without an edit
# to them. Between the blocks lie the places for the analyst's own cells.

#: The standard sections in the dossier's order, block by block.
STANDARD_SECTIONS: dict[str, tuple] = {
    "opening": (header, summary, changes),
    "record": (figure, history, forums, related, documents, notes),
    "closing": (provenance,),
}


def opening(d: CaseDossier) -> Html:
    """The standard sections that open the dossier: the header, the decision summary, and what
    is new and what changed (when asked for)."""
    return _block(d, "opening")


def record(d: CaseDossier) -> Html:
    """The case's record: timeline, history, forums, related cases, documents, data notes."""
    return _block(d, "record")


def closing(d: CaseDossier) -> Html:
    """The standard sections that close the dossier: provenance."""
    return _block(d, "closing")


def _block(d: CaseDossier, name: str) -> Html:
    return Html(lab_style() + "\n".join(section(d) for section in STANDARD_SECTIONS[name]))


def lab_style() -> str:
    """A ``<style>`` that makes the sections read in JupyterLab as in the dossier.

    Lab's stylesheet right-aligns table cells and numbers list items; the dossier's
    own page sets neither, and its points carry their own numbers. Every rule is
    scoped to a section inside Lab's rendered HTML (``.jp-RenderedHTMLCommon``),
    so the dossier's page, its PDF and the analyst's own outputs are untouched.
    """
    return str(_macros().lab_style())  # str: Markup would escape the sections added to it
