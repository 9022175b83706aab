"""Every word a reader sees, in Swedish and English, from one place.

Labels are looked up by a dotted key (``kind.referred_back``,
``heading.timeline``); sentences take named fields with ``str.format``.
"""

from __future__ import annotations

from .errors import ParameterError

LANGUAGES = ("sv", "en")

#: key -> (Swedish, English)
WORDS: dict[str, tuple[str, str]] = {
    # Event kinds (DATA.md)
    "kind.registered": ("registrerat", "registered"),
    "kind.prepared": ("beredning", "preparation"),
    "kind.discussed": ("diskussion", "discussion"),
    "kind.presented": ("föredragning", "presentation"),
    "kind.consultation": ("remiss", "consultation"),
    "kind.proposal": ("förslag", "proposal"),
    "kind.referred_back": ("återremiss", "referral back"),
    "kind.tabled": ("bordläggning", "tabled"),
    "kind.deferred": ("uppskjutet", "deferral"),
    "kind.decided": ("beslut", "decision"),
    "kind.communicated": ("expedierat", "communicated"),
    "kind.closed": ("avslutat", "closed"),
    "kind.withdrawn": ("återtaget", "withdrawn"),
    "kind.other": ("övrigt", "other"),
    # Forum kinds
    "forum_kind.committee": ("nämnd", "committee"),
    "forum_kind.presidium": ("presidium", "presidium"),
    "forum_kind.council": ("råd", "council"),
    "forum_kind.partnership": ("partnerskap", "partnership"),
    "forum_kind.party_group": ("partigrupp", "party group"),
    "forum_kind.network": ("nätverk", "network"),
    "forum_kind.office": ("kontor", "office"),
    "forum_kind.external": ("extern aktör", "external body"),
    "forum_kind.administration": ("förvaltning", "administration"),
    "forum_kind.other": ("övrigt", "other"),
    # Case statuses
    "status.open": ("pågående", "open"),
    "status.closed": ("avslutat", "closed"),
    # Meeting states
    "state.planned": ("planerat", "planned"),
    "state.held": ("genomfört", "held"),
    "state.cancelled": ("inställt", "cancelled"),
    # Relations, read from the case's side and from the other case's side
    "relation.related": ("relaterat ärende", "related case"),
    "relation.continues": ("fortsätter", "continues"),
    "relation.replaces": ("ersätter", "replaces"),
    "relation.depends_on": ("beror på", "depends on"),
    "relation.other": ("övrig koppling", "other link"),
    "relation_inverse.related": ("relaterat ärende", "related case"),
    "relation_inverse.continues": ("fortsätts av", "continued by"),
    "relation_inverse.replaces": ("ersätts av", "replaced by"),
    "relation_inverse.depends_on": ("behövs för", "needed by"),
    "relation_inverse.other": ("övrig koppling", "other link"),
    # Document types
    "doc_type.report": ("rapport", "report"),
    "doc_type.proposal": ("förslag", "proposal"),
    "doc_type.minutes_extract": ("protokollsutdrag", "minutes extract"),
    "doc_type.attachment": ("bilaga", "attachment"),
    "doc_type.letter": ("skrivelse", "letter"),
    "doc_type.other": ("övrigt", "other"),
    # Section headings
    "heading.summary": ("Beslutssammanfattning", "Decision summary"),
    "heading.timeline": ("Tidslinje", "Timeline"),
    "heading.history": ("Ärendets historik", "Case history"),
    "heading.forums": ("Forum", "Forums"),
    "heading.related": ("Relaterade ärenden", "Related cases"),
    "heading.documents": ("Handlingar", "Documents"),
    "heading.notes": ("Anmärkningar om underlaget", "Notes on the data"),
    "heading.provenance": ("Ursprung", "Provenance"),
    "heading.pending": ("Liggande förslag", "Pending proposal"),
    "heading.decisions": ("Beslut", "Decisions"),
    "heading.counts": ("Hantering", "Handling"),
    # Field labels
    "field.case_id": ("Diarienummer", "Case ID"),
    "field.title": ("Ärendemening", "Title"),
    "field.status": ("Status", "Status"),
    "field.owner": ("Ägande forum", "Owner forum"),
    "field.responsible": ("Ansvarig", "Responsible"),
    "field.opened": ("Registrerat", "Opened"),
    "field.closed": ("Avslutat", "Closed"),
    "field.as_of": ("Per", "As of"),
    "field.date": ("Datum", "Date"),
    "field.end_date": ("Till", "Until"),
    "field.kind": ("Typ", "Kind"),
    "field.forum": ("Forum", "Forum"),
    "field.event": ("Händelse", "Event"),
    "field.paragraph": ("Paragraf", "Paragraph"),
    "field.document": ("Underlag", "Document"),
    "field.handled": ("Antal", "Times"),
    "field.first": ("Första", "First"),
    "field.last": ("Senaste", "Last"),
    "field.relation": ("Koppling", "Relation"),
    "field.doc_type": ("Typ", "Type"),
    "field.link": ("Länk", "Link"),
    "field.file": ("Fil", "File"),
    "field.rows": ("Rader", "Rows"),
    "field.sha256": ("SHA-256", "SHA-256"),
    "field.parameter": ("Parameter", "Parameter"),
    "field.value": ("Värde", "Value"),
    "field.time_open": ("Tid öppet", "Time open"),
    "field.quiet": ("Längsta uppehåll", "Longest quiet spell"),
    "field.next_meeting": ("Nästa sammanträde", "Next meeting"),
    "field.since": ("Nytt sedan", "New since"),
    "field.version": ("Verktygsversion", "Toolkit version"),
    "field.notebook": ("Notebook (SHA-256)", "Notebook (SHA-256)"),
    "field.doc_title": ("Titel", "Title"),
    "field.template": ("Mall (SHA-256)", "Template (SHA-256)"),
    "field.note": ("Anmärkning", "Note"),
    "field.item": ("Punkt", "Item"),
    "field.summary": ("Sammanfattning", "Summary"),
    # Phrases
    "phrase.none": ("Inga.", "None."),
    "phrase.no_pending": ("Inget liggande förslag.", "No pending proposal."),
    "phrase.no_decisions": ("Inga beslut.", "No decisions."),
    "phrase.no_next_meeting": ("Inte på någon kommande dagordning.", "Not on any coming agenda."),
    "phrase.no_notes": ("Inga anmärkningar.", "No notes."),
    "phrase.months": ("{n} mån", "{n} mo"),
    "phrase.years_months": ("{years} år {months} mån", "{years} yr {months} mo"),
    "phrase.quiet": ("{length} ({start} – {end})", "{length} ({start} – {end})"),
    "phrase.inactive": (
        "Inaktivt: ingen händelse på {length} (gräns {limit} månader).",
        "Inactive: no event for {length} (threshold {limit} months).",
    ),
    "phrase.active": (
        "Senaste händelse för {length} sedan (gräns {limit} månader).",
        "Last event {length} ago (threshold {limit} months).",
    ),
    "phrase.active_recent": (
        "Senaste händelse inom den senaste månaden (gräns {limit} månader).",
        "Last event within the past month (threshold {limit} months).",
    ),
    "phrase.points": ("{n} punkter", "{n} points"),
    "phrase.point": ("1 punkt", "1 point"),
    "phrase.ongoing": ("pågår", "ongoing"),
    "phrase.page": ("Sida {page} av {pages}", "Page {page} of {pages}"),
    "phrase.timeline_alt": (
        "Tidslinje för {case_id}: {n} händelser i {forums} forum, {start} – {end}.",
        "Timeline of {case_id}: {n} events in {forums} forums, {start} – {end}.",
    ),
    "phrase.no_forum": ("(inget forum)", "(no forum)"),
    "phrase.unknown_forum": ("okänt forum", "unknown forum"),
    "phrase.as_of_line": ("per dag", "as of"),
    # The timeline figure (figures.py)
    "phrase.timeline_alt_one": (
        "Tidslinje för {case_id}: 1 händelse, {date}.",
        "Timeline of {case_id}: 1 event, {date}.",
    ),
    "phrase.timeline_alt_one_forum": (
        "Tidslinje för {case_id}: {n} händelser i 1 forum, {start} – {end}.",
        "Timeline of {case_id}: {n} events in 1 forum, {start} – {end}.",
    ),
    "phrase.timeline_alt_no_forum": (
        "Tidslinje för {case_id}: {n} händelser utan forum, {start} – {end}.",
        "Timeline of {case_id}: {n} events without a forum, {start} – {end}.",
    ),
    "phrase.timeline_alt_empty": (
        "Tidslinje för {case_id}: inga händelser.",
        "Timeline of {case_id}: no events.",
    ),
    "phrase.timeline_alt_as_of": ("Per dag {date}.", "As of {date}."),
    "phrase.no_events": ("Inga händelser att visa.", "No events to show."),
    "phrase.new_since": ("nytt sedan {date}", "new since {date}"),
    "legend.period": ("period (från – till)", "period (from – to)"),
    "legend.imprecise": ("känt till månad eller år", "known to the month or year"),
    # Batches and meeting packs
    "batch.title": ("Dossierer", "Dossiers"),
    "batch.done": ("klar", "done"),
    "batch.skipped": ("oförändrad", "unchanged"),
    "batch.failed": ("misslyckades", "failed"),
    "batch.counts": (
        "{done} klara, {skipped} oförändrade, {failed} misslyckade.",
        "{done} done, {skipped} unchanged, {failed} failed.",
    ),
    "batch.pack": ("Sammanträdets samlade PDF", "The meeting's combined PDF"),
    "field.files": ("Filer", "Files"),
    "pack.title": ("Ärendeunderlag: {meeting}", "Case dossiers: {meeting}"),
    "pack.agenda": ("Dagordning", "Agenda"),
    "pack.missing": ("dossier saknas (se batch-rapporten)", "no dossier (see the batch report)"),
    "field.page": ("Sida", "Page"),
    "field.proposal": ("Förslag", "Proposal"),
    "field.meeting": ("Sammanträde", "Meeting"),
    "field.location": ("Plats", "Location"),
    # The one-sentence status
    "status_sentence.open": ("Pågående sedan {opened}.", "Open since {opened}."),
    "status_sentence.closed": ("Avslutat {closed}.", "Closed {closed}."),
    "status_sentence.closed_undated": ("Avslutat.", "Closed."),
    "status_sentence.last_decision": (
        "Senaste beslut: {kind} i {forum}, {date}.",
        "Latest decision: {kind} in {forum}, {date}.",
    ),
    "status_sentence.last_decision_no_forum": (
        "Senaste beslut: {kind}, {date}.",
        "Latest decision: {kind}, {date}.",
    ),
    "status_sentence.no_decision": ("Inget beslut ännu.", "No decision yet."),
    "status_sentence.pending": (
        "Liggande förslag: {title} ({points}).",
        "Pending proposal: {title} ({points}).",
    ),
    "status_sentence.pending_no_points": (
        "Liggande förslag: {title}.",
        "Pending proposal: {title}.",
    ),
    # Email messages (mail.py)
    "mail.subject_case": (
        "[{case_id}] {title} – ärendesammanfattning",
        "[{case_id}] {title} – case summary",
    ),
    "mail.subject_cases": (
        "[{case_ids}] {n} ärenden – ärendesammanfattningar",
        "[{case_ids}] {n} cases – case summaries",
    ),
    "mail.subject_meeting": ("[{meeting_id}] {title}", "[{meeting_id}] {title}"),
    "mail.more_cases": ("{ids} m.fl.", "{ids} and more"),
    "mail.intro_case": (
        "Här är en sammanfattning av ärendet. Hela dossiern finns bifogad.",
        "Here is a summary of the case. The full dossier is attached.",
    ),
    "mail.intro_cases": (
        "Här är en sammanfattning av {n} ärenden. Dossiererna finns bifogade.",
        "Here is a summary of {n} cases. Their dossiers are attached.",
    ),
    "mail.intro_meeting": (
        "Här är dagordningen med en sammanfattning per ärende. Underlaget finns bifogat.",
        "Here is the agenda with a summary of each case. The dossiers are attached.",
    ),
    "mail.attachments": ("Bifogat", "Attached"),
    "mail.footer": (
        "Sammanfattningen gäller per {as_of} och är gjord med dossier {version} ur diariet.",
        "The summary is as of {as_of}, made with dossier {version} from the case registry.",
    ),
    # Data notes
    "note.event_before_opened": (
        "Händelsen ”{title}” ({date}) ligger före ärendets registrering ({opened}).",
        "The event “{title}” ({date}) lies before the case was opened ({opened}).",
    ),
    "note.event_after_closed": (
        "Händelsen ”{title}” ({date}) ligger efter att ärendet avslutades ({closed}).",
        "The event “{title}” ({date}) lies after the case was closed ({closed}).",
    ),
    "note.closed_without_date": (
        "Ärendet är avslutat men saknar avslutsdatum.",
        "The case is closed but has no closing date.",
    ),
}


def check_language(lang: str) -> str:
    """Return ``lang`` if the catalogue has it; raise ParameterError naming the choices."""
    if lang not in LANGUAGES:
        raise ParameterError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def text(key: str, lang: str = "sv", /, **fields: object) -> str:
    """The catalogue's text for ``key`` in ``lang``, with ``fields`` filled in."""
    words = WORDS[key][LANGUAGES.index(check_language(lang))]
    return words.format(**fields) if fields else words


def label(group: str, value: str, lang: str = "sv") -> str:
    """The label of a coded value (``label("kind", "decided")``); the code itself if unknown."""
    key = f"{group}.{value}"
    return text(key, lang) if key in WORDS else value
