"""Every word a reader sees, in Swedish and English, from one place.

Labels are looked up by a dotted key (``kind.referred_back``,
``heading.timeline``); sentences take named fields with ``str.format``.
:data:`TERMINOLOGY` is the reviewed table of the terms a reader must not
misread (event kinds, forum kinds, statuses, headings), each English choice
with its reason; the rest of :data:`WORDS` follows it.

Text from the data (titles, descriptions, names) stays in the registry's
language: it travels as :class:`Source`, and :func:`words` builds sentences
(:class:`Words`) that keep it apart, so a page in English can mark it
``lang="sv"``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from .errors import ParameterError

LANGUAGES = ("sv", "en")
#: The language of the registry's own text (titles, descriptions, names).
SOURCE_LANG = "sv"


@dataclass(frozen=True, slots=True)
class Term:
    """One reviewed term: its key, the Swedish, the English, and why the English reads so."""

    key: str
    sv: str
    en: str
    why: str = ""


#: The reviewed terminology: the words a politician or official decides by. English is
#: British spelling for a European reader; where the obvious word misleads, ``why`` says so.
TERMINOLOGY: tuple[Term, ...] = (
    # Event kinds (DATA.md)
    Term("kind.registered", "registrerat", "registered"),
    Term("kind.prepared", "beredning", "preparatory work",
         "'preparation' alone reads as a document being prepared"),
    Term("kind.discussed", "diskussion", "discussion"),
    Term("kind.presented", "föredragning", "presentation", "presented to the body for information"),
    Term("kind.consultation", "remiss", "consultation",
         "sent out for comments; 'consultation' as in UK and EU practice"),
    Term("kind.proposal", "förslag", "proposal"),
    Term("kind.referred_back", "återremiss", "referred back",
         "the body sent the matter back for more work, as UK council minutes say"),
    Term("kind.tabled", "bordläggning", "postponed",
         "'tabled' means put forward in British and set aside in American usage: "
         "a bordlagt item is postponed to a later meeting"),
    Term("kind.deferred", "uppskjutet", "deferred",
         "hänskjutet: put off to a later period, not only a later meeting"),
    Term("kind.decided", "beslut", "decision"),
    Term("kind.communicated", "expedierat", "decision sent out",
         "the extract from the minutes sent to those concerned; 'communicated' is vague"),
    Term("kind.closed", "avslutat", "closed"),
    Term("kind.withdrawn", "återtaget", "withdrawn"),
    Term("kind.other", "övrigt", "other"),
    # Forum kinds
    Term("forum_kind.committee", "nämnd", "committee"),
    Term("forum_kind.presidium", "presidium", "presidium",
         "the chair and vice-chairs; the word EU bodies use"),
    Term("forum_kind.council", "råd", "council"),
    Term("forum_kind.partnership", "partnerskap", "partnership"),
    Term("forum_kind.party_group", "partigrupp", "party group"),
    Term("forum_kind.network", "nätverk", "network"),
    Term("forum_kind.office", "kontor", "office"),
    Term("forum_kind.external", "extern aktör", "external body"),
    Term("forum_kind.administration", "förvaltning", "administration",
         "the officials' organisation, not a political body"),
    Term("forum_kind.other", "övrigt", "other"),
    # Case statuses
    Term("status.open", "pågående", "open"),
    Term("status.closed", "avslutat", "closed"),
    # Section headings
    Term("heading.summary", "Beslutssammanfattning", "Decision summary"),
    Term("heading.timeline", "Tidslinje", "Timeline"),
    Term("heading.history", "Ärendets historik", "Case history"),
    Term("heading.forums", "Forum", "Forums",
         "the bodies, councils and networks that handled the case"),
    Term("heading.related", "Relaterade ärenden", "Related cases"),
    Term("heading.documents", "Handlingar", "Documents"),
    Term("heading.notes", "Anmärkningar om underlaget", "Notes on the records"),
    Term("heading.provenance", "Ursprung", "Provenance"),
    Term("heading.pending", "Liggande förslag", "Pending proposal",
         "a proposal no decision has yet followed"),
    Term("heading.decisions", "Beslut", "Decisions"),
    Term("heading.counts", "Ärendet i siffror", "The case in figures",
         "'Handling' misreads as physical handling"),
    # The header's facts
    Term("field.case_id", "Diarienummer", "Registration number",
         "the number the registry (diarium) gives the case"),
    Term("field.owner", "Ansvarigt organ", "Responsible body",
         "the committee or board that owns the case; 'owner forum' is no English usage"),
    Term("field.responsible", "Ansvarig", "Handled by"),
    Term("field.paragraph", "Paragraf", "§",
         "the minutes' paragraph; the sign is kept, as in Nordic and EU minutes"),
    # What is new and what changed (issue 14)
    Term("heading.new_since_meeting", "Nytt sedan förra sammanträdet ({date})",
         "New since the last meeting ({date})", "the same forum's previous meeting in meetings.csv"),
    Term("heading.new_since", "Nytt sedan {date}", "New since {date}"),
    Term("heading.possibly_new", "Kanske nytt", "Possibly new",
         "dated only to a month or year that holds the day: neither new nor old for certain"),
    Term("heading.changes", "Ändringar i underlaget sedan dossiern per den {date}",
         "Changes in the records since the dossier as of {date}",
         "corrections to the registry's records, not what happened in the case"),
    Term("heading.changes_new_case", "Ändringar i underlaget", "Changes in the records"),
    # The dossier page's table of contents (issue 13)
    Term("heading.contents", "Innehåll", "Contents"),
)  # fmt: skip

#: key -> (Swedish, English)
WORDS: dict[str, tuple[str, str]] = {
    **{term.key: (term.sv, term.en) for term in TERMINOLOGY},
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
    "doc_type.minutes_extract": ("protokollsutdrag", "extract from the minutes"),
    "doc_type.attachment": ("bilaga", "attachment"),
    "doc_type.letter": ("skrivelse", "letter"),
    "doc_type.other": ("övrigt", "other"),
    # Field labels
    "field.title": ("Ärendemening", "Title"),
    "field.status": ("Status", "Status"),
    "field.opened": ("Registrerat", "Registered"),
    "field.closed": ("Avslutat", "Closed"),
    "field.as_of": ("Gäller per", "As of"),
    "field.date": ("Datum", "Date"),
    "field.kind": ("Typ", "Type"),
    "field.forum": ("Forum", "Forum"),
    "field.event": ("Händelse", "Event"),
    "field.document": ("Underlag", "Based on"),
    "field.handled": ("Antal", "Events"),
    "field.first": ("Första", "First"),
    "field.last": ("Senaste", "Latest"),
    "field.relation": ("Koppling", "Link"),
    "field.doc_type": ("Typ", "Type"),
    "field.link": ("Länk", "Link"),
    "field.file": ("Fil", "File"),
    "field.rows": ("Rader", "Rows"),
    "field.sha256": ("SHA-256", "SHA-256"),
    "field.parameter": ("Parameter", "Parameter"),
    "field.value": ("Värde", "Value"),
    "field.time_open": ("Tid öppet", "Open for"),
    "field.quiet": ("Längsta uppehåll", "Longest time without events"),
    "field.next_meeting": ("Nästa sammanträde", "Next meeting"),
    "field.since": ("Nytt sedan", "New since"),
    "field.later": ("Daterat efter dossierns dag", "Dated after the dossier's day"),
    "field.version": ("Verktygsversion", "Toolkit version"),
    "field.notebook": ("Notebook (SHA-256)", "Notebook (SHA-256)"),
    "field.doc_title": ("Titel", "Title"),
    "field.template": ("Mall (SHA-256)", "Template (SHA-256)"),
    "field.note": ("Anmärkning", "Note"),
    "field.where": ("Var", "Where"),
    "field.item": ("Punkt", "Item"),
    "field.summary": ("Sammanfattning", "Summary"),
    # What the case in figures counts
    "count.discussed": ("Diskussioner", "Discussions"),
    "count.referred_back": ("Återremisser", "Times referred back"),
    "count.tabled": ("Bordläggningar", "Times postponed"),
    "count.deferred": ("Uppskjutanden", "Times deferred"),
    "count.event_one": ("1 händelse", "1 event"),
    "count.events": ("{n} händelser", "{n} events"),
    "count.document_one": ("1 handling", "1 document"),
    "count.documents": ("{n} handlingar", "{n} documents"),
    # Durations, in whole months and years as people count them
    "duration.none": ("mindre än en månad", "less than a month"),
    "duration.month_one": ("1 mån", "1 month"),
    "duration.months": ("{n} mån", "{n} months"),
    "duration.year_one": ("1 år", "1 year"),
    "duration.years": ("{n} år", "{n} years"),
    "duration.years_months": ("{years} {months}", "{years} {months}"),
    "duration.month_range": ("{low}–{high} mån", "{low}–{high} months"),
    "duration.year_range": ("{low}–{high} år", "{low}–{high} years"),
    "duration.range": ("{low} – {high}", "{low} to {high}"),
    "duration.under": ("mindre än {length}", "less than {length}"),
    "duration.at_least": ("minst {length}", "at least {length}"),
    # Dates in a sentence
    "date.day": ("den {date}", "{date}"),
    "date.day_time": ("{day} kl. {time}", "{day} at {time}"),
    "date.maybe_later": ("{date}, möjligen efter den {as_of}", "{date}, possibly after {as_of}"),
    # Phrases
    "phrase.none": ("Inga.", "None."),
    "phrase.no_pending": ("Inget liggande förslag.", "No pending proposal."),
    "phrase.no_decisions": ("Inga beslut.", "No decisions."),
    "phrase.no_next_meeting": ("Inte på någon kommande dagordning.", "Not on any coming agenda."),
    "phrase.no_notes": ("Inga anmärkningar.", "No notes."),
    "phrase.next_meeting": ("{forum}, {when}, punkt {item}", "{forum}, {when}, item {item}"),
    "phrase.quiet": ("{length} ({start} – {end})", "{length} ({start} to {end})"),
    "phrase.no_quiet": ("inget som underlaget visar", "none that the records show"),
    "phrase.later": ("Visas inte: {things}.", "Not shown: {things}."),
    "phrase.and": ("{first} och {second}", "{first} and {second}"),
    "phrase.later_summary": (
        "Inte heller ärendets sammanfattning i diariet, som kan beskriva ett senare läge.",
        "Nor is the case's summary in the registry, which may describe a later state.",
    ),
    "phrase.file_row": ("{file}, rad {row}", "{file}, row {row}"),
    "phrase.ongoing": ("pågår", "ongoing"),
    "phrase.page": ("Sida {page} av {pages}", "Page {page} of {pages}"),
    "phrase.no_forum": ("(inget forum)", "(no forum)"),
    "phrase.unknown_forum": ("okänt forum", "unknown forum"),
    # How active the case is
    "activity.inactive": (
        "Inaktivt: ingen händelse på {length} (gräns {limit} månader).",
        "Inactive: no event for {length} (limit {limit} months).",
    ),
    "activity.recent": (
        "Senaste händelse inom den senaste månaden (gräns {limit} månader).",
        "Latest event within the past month (limit {limit} months).",
    ),
    "activity.ago": (
        "Senaste händelse för {length} sedan (gräns {limit} månader).",
        "Latest event {length} ago (limit {limit} months).",
    ),
    "activity.no_events": (
        "Inga händelser sedan registreringen för {length} sedan (gräns {limit} månader).",
        "No events since it was registered {length} ago (limit {limit} months).",
    ),
    # The timeline figure (figures.py)
    "phrase.as_of_line": ("per den {date}", "as of {date}"),
    "phrase.timeline_alt": (
        "Tidslinje för {case_id}: {n} händelser i {forums} forum, {start} – {end}.",
        "Timeline of {case_id}: {n} events in {forums} forums, {start} to {end}.",
    ),
    "phrase.timeline_alt_one": (
        "Tidslinje för {case_id}: 1 händelse, {date}.",
        "Timeline of {case_id}: 1 event, {date}.",
    ),
    "phrase.timeline_alt_one_forum": (
        "Tidslinje för {case_id}: {n} händelser i 1 forum, {start} – {end}.",
        "Timeline of {case_id}: {n} events in 1 forum, {start} to {end}.",
    ),
    "phrase.timeline_alt_no_forum": (
        "Tidslinje för {case_id}: {n} händelser utan forum, {start} – {end}.",
        "Timeline of {case_id}: {n} events without a forum, {start} to {end}.",
    ),
    "phrase.timeline_alt_empty": (
        "Tidslinje för {case_id}: inga händelser.",
        "Timeline of {case_id}: no events.",
    ),
    "phrase.timeline_alt_as_of": ("Per den {date}.", "As of {date}."),
    "phrase.no_events": ("Inga händelser att visa.", "No events to show."),
    "phrase.new_since": ("nytt sedan den {date}", "new since {date}"),
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
    # The sentence on where the case stands
    "status_sentence.open.year": ("Pågående sedan {opened}.", "Open since {opened}."),
    "status_sentence.open.month": ("Pågående sedan {opened}.", "Open since {opened}."),
    "status_sentence.open.day": ("Pågående sedan den {opened}.", "Open since {opened}."),
    "status_sentence.closed.year": ("Avslutat {closed}.", "Closed in {closed}."),
    "status_sentence.closed.month": ("Avslutat i {closed}.", "Closed in {closed}."),
    "status_sentence.closed.day": ("Avslutat den {closed}.", "Closed on {closed}."),
    "status_sentence.closed_undated": ("Avslutat.", "Closed."),
    "status_sentence.unregistered": (
        "Ärendet var ännu inte registrerat den {as_of}.",
        "The case had not yet been registered on {as_of}.",
    ),
    "phrase.unregistered": ("ännu inte registrerat", "not yet registered"),
    "status_sentence.last_decision": (
        "Senaste beslut: {title} ({details}).",
        "Latest decision: {title} ({details}).",
    ),
    "status_sentence.no_decision": ("Inget beslut ännu.", "No decision yet."),
    "status_sentence.pending": (
        "Liggande förslag ({title}, {when}): {points}",
        "Pending proposal ({title}, {when}): {points}",
    ),
    "status_sentence.pending_no_points": (
        "Liggande förslag: {title} ({when}).",
        "Pending proposal: {title} ({when}).",
    ),
    "status_sentence.more_point_one": ("Ytterligare 1 punkt.", "And 1 more point."),
    "status_sentence.more_points": ("Ytterligare {n} punkter.", "And {n} more points."),
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
        "Sammanfattningen gäller per den {as_of} och är gjord med dossier {version} ur diariet.",
        "The summary is as of {as_of}, made with dossier {version} from the case registry.",
    ),
    # Data notes
    "note.event_before_opened": (
        "Händelsen ”{title}” ({date}) ligger före ärendets registrering ({opened}).",
        "The event “{title}” ({date}) lies before the case was registered ({opened}).",
    ),
    "note.event_after_closed": (
        "Händelsen ”{title}” ({date}) ligger efter att ärendet avslutades ({closed}).",
        "The event “{title}” ({date}) lies after the case was closed ({closed}).",
    ),
    "note.closed_without_date": (
        "Ärendet är avslutat men saknar avslutsdatum.",
        "The case is closed but has no closing date.",
    ),
    "note.closed_on_open_case": (
        "Ärendet är pågående men har ett avslutsdatum; datumet visas inte.",
        "The case is open but has a closing date; the date is not shown.",
    ),
    "note.closed_after_as_of": (
        "Ärendet avslutades efter den {as_of}; den dagen var det pågående.",
        "The case was closed after {as_of}; on that day it was open.",
    ),
    # What is new since a day, and what changed since an earlier dossier (content.view)
    "phrase.since_meeting": ("förra sammanträdet ({date})", "the last meeting ({date})"),
    "phrase.no_new": ("Inga nya händelser.", "No new events."),
    "phrase.possibly_new_note": (
        "Dessa händelser är bara daterade till månad eller år, och det kan ligga både före och "
        "efter den {date}; de räknas inte som nya.",
        "These events are dated only to the month or the year, which may lie before or after "
        "{date}; they are not counted as new.",
    ),
    "sentence.new_none": ("Inga nya händelser sedan {since}.", "No new events since {since}."),
    "sentence.new_one": ("1 ny händelse sedan {since}.", "1 new event since {since}."),
    "sentence.new_many": ("{n} nya händelser sedan {since}.", "{n} new events since {since}."),
    "sentence.possibly_new_one": (
        "1 händelse till kan vara ny (datum känt till månad eller år).",
        "1 more event may be new (dated to the month or year only).",
    ),
    "sentence.possibly_new_many": (
        "{n} händelser till kan vara nya (datum kända till månad eller år).",
        "{n} more events may be new (dated to the month or year only).",
    ),
    "phrase.no_changes": (
        "Inga ändringar sedan dossiern per den {date}.", "No changes since the dossier as of {date}."
    ),
    "phrase.new_in_comparison": (
        "Ärendet är nytt i den här jämförelsen: den tidigare mappen har ingen dossier om det.",
        "The case is new in this comparison: the earlier folder has no dossier of it.",
    ),
    "sentence.changes_none": (
        "Inga ändringar i underlaget sedan dossiern per den {date}.",
        "No changes in the records since the dossier as of {date}.",
    ),
    "sentence.changes_one": (
        "1 ändring i underlaget sedan dossiern per den {date}.",
        "1 change in the records since the dossier as of {date}.",
    ),
    "sentence.changes_many": (
        "{n} ändringar i underlaget sedan dossiern per den {date}.",
        "{n} changes in the records since the dossier as of {date}.",
    ),
    "sentence.changes_new_case": (
        "Nytt i jämförelsen med tidigare dossierer.", "New in this comparison with earlier dossiers."
    ),
    "change.event_added": ("Ny händelse: {event}", "Event added: {event}"),
    "change.event_removed": ("Borttagen händelse: {event}", "Event removed: {event}"),
    "change.event_changed": ("Ändrad händelse: {event}. {fields}", "Event changed: {event}. {fields}"),
    "change.case_changed": ("Ärendets uppgifter ändrade: {fields}", "The case's details changed: {fields}"),
    "change.related_added": ("Nytt relaterat ärende: {case}", "Related case added: {case}"),
    "change.related_removed": ("Borttaget relaterat ärende: {case}", "Related case removed: {case}"),
    "change.document_added": ("Ny handling: {event}", "Document added: {event}"),
    "change.document_removed": ("Borttagen handling: {event}", "Document removed: {event}"),
    "change.field": ("{field}: {old} → {new}", "{field}: {old} → {new}"),
    "change_field.event.event_id": ("Händelse-id", "Event ID"),
    "change_field.event.date": ("Datum", "Date"),
    "change_field.event.end_date": ("Slutdatum", "End date"),
    "change_field.event.kind": ("Typ", "Type"),
    "change_field.event.forum_id": ("Forum", "Forum"),
    "change_field.event.title": ("Rubrik", "Title"),
    "change_field.event.description": ("Beskrivning", "Description"),
    "change_field.event.decision_ref": ("Paragraf", "§"),
    "change_field.event.document": ("Underlag", "Based on"),
    "change_field.event.seq": ("Ordning samma dag", "Order on the day"),
    "change_field.case.title": ("Ärendemening", "Title"),
    "change_field.case.opened": ("Registrerat", "Registered"),
    "change_field.case.status": ("Status", "Status"),
    "change_field.case.closed": ("Avslutat", "Closed"),
    "change_field.case.owner_forum_id": ("Ansvarigt organ", "Responsible body"),
    "change_field.case.responsible": ("Ansvarig", "Handled by"),
    "change_field.case.summary": ("Sammanfattning", "Summary"),
    "legend.changed": (
        "ny eller ändrad sedan dossiern per den {date}", "added or changed since the dossier as of {date}"
    ),
    "pack.news": ("Nytt och ändrat", "New and changed"),
    # Case notebooks and what render says it does (issue 12)
    "batch.own_cell": ("1 egen cell", "1 own cell"),
    "batch.own_cells": ("{n} egna celler", "{n} own cells"),
    "stage.reading": ("Läser data i {data} …", "Reading the data in {data} …"),
    "stage.running": ("Kör notebooken {notebook} …", "Running the notebook {notebook} …"),
    "stage.html": ("Skriver HTML …", "Writing the HTML …"),
    "stage.pdf": ("Skriver PDF …", "Writing the PDF …"),
    "stage.written": ("Klart: {folder}", "Written to {folder}"),
    # The timeline and big cases (issue 13 points 3, 6): the figure's legend and text
    # alternative, and what the summary leaves to the history
    "phrase.earlier_decision_one": (
        "1 tidigare beslut finns i ”{history}”.",
        "1 earlier decision is listed in “{history}”.",
    ),
    "legend.count_month": (
        "händelser i månaden som inte visas var för sig",
        "events in the month not drawn one by one",
    ),
    "legend.count_quarter": (
        "händelser i kvartalet som inte visas var för sig",
        "events in the quarter not drawn one by one",
    ),
    "legend.count_year": (
        "händelser under året som inte visas var för sig",
        "events in the year not drawn one by one",
    ),
    "legend.break": ("uppehåll utan händelser (axeln bruten)", "no events (axis broken)"),
    "phrase.timeline_alt_busiest": ("Flest händelser: {forums}.", "Most events: {forums}."),
    "phrase.timeline_alt_decisions": ("Beslut ({n}): {decisions}.", "Decisions ({n}): {decisions}."),
    "phrase.timeline_alt_latest_decisions": (
        "Beslut ({n}), de senaste: {decisions}.",
        "Decisions ({n}), the latest: {decisions}.",
    ),
    "phrase.timeline_alt_latest": ("Senaste händelse: {event}.", "Latest event: {event}."),
    "phrase.timeline_alt_break": (
        "Därefter inga händelser fram till den {date}; den tiden är utelämnad ur tidsaxeln.",
        "No events after that until {date}; that time is left out of the time axis.",
    ),
    "phrase.timeline_alt_pause": (
        "Inga händelser mellan {start} och {end}; den tiden är utelämnad ur tidsaxeln.",
        "No events between {start} and {end}; that time is left out of the time axis.",
    ),
    "phrase.timeline_alt_history": (
        "Alla händelser står i tabellen ”{history}”.",
        "Every event is listed in the table “{history}”.",
    ),
    "phrase.earlier_decisions": (
        "{n} tidigare beslut finns i ”{history}”.",
        "{n} earlier decisions are listed in “{history}”.",
    ),
    # The meeting pack's index page (issue 13)
    "pack.open_html": ("Läs dossiern", "Read the dossier"),
    "pack.open_pdf": ("Dossiern som PDF", "The dossier as PDF"),
    # The day a dossier and a meeting pack speak for: what changed since an earlier dossier,
    # when an agenda is known, what happens next
    "sentence.changes_since": (
        "Sedan dossiern per den {date}: {counts}.", "Since the dossier as of {date}: {counts}."
    ),
    "changes.new_event_none": ("inga nya händelser", "no new events"),
    "changes.new_event_one": ("1 ny händelse", "1 new event"),
    "changes.new_event_many": ("{n} nya händelser", "{n} new events"),
    "changes.other_news_one": ("1 annan ny uppgift", "1 other new detail"),
    "changes.other_news_many": ("{n} andra nya uppgifter", "{n} other new details"),
    "changes.correction_none": ("inga rättelser", "no corrections"),
    "changes.correction_one": ("1 rättelse", "1 correction"),
    "changes.correction_many": ("{n} rättelser", "{n} corrections"),
    "date.day_before_meeting": (
        "den {date}, dagen före sammanträdet", "{date}, the day before the meeting"
    ),
    "phrase.no_further_handling": (
        "Ingen vidare behandling är känd: ärendet är inte på någon känd dagordning.",
        "No further step is known: the case is on no known agenda.",
    ),
    "phrase.forum_meets": (
        "{forum} sammanträder nästa gång {when}; ärendet är inte på någon publicerad dagordning.",
        "{forum} next meets on {when}; the case is on no published agenda.",
    ),
}


class Source(str):
    """Text from the data (a title, a name, a description), in the registry's language."""

    __slots__ = ()


class Words(tuple):
    """A sentence: catalogue words and :class:`Source` text in turn; ``str()`` gives the plain text."""

    def __new__(cls, parts=()):
        merged: list[str] = []
        for part in parts:
            if not part:
                continue
            if isinstance(part, Words):
                merged.extend(part)
            elif isinstance(part, Source):
                merged.append(part)
            elif merged and not isinstance(merged[-1], Source):
                merged[-1] += str(part)
            else:
                merged.append(str(part))
        return super().__new__(cls, merged)

    def __str__(self) -> str:
        return "".join(self)

    def pairs(self) -> list[tuple[str, bool]]:
        """The parts as (text, is source text): plain data for JSON."""
        return [(str(part), isinstance(part, Source)) for part in self]

    @classmethod
    def from_pairs(cls, pairs) -> Words:
        return cls(Source(part) if source else part for part, source in pairs)


def check_language(lang: str) -> str:
    """Return ``lang`` if the catalogue has it; raise ParameterError naming the choices."""
    if lang not in LANGUAGES:
        raise ParameterError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def text(key: str, lang: str = "sv", /, **fields: object) -> str:
    """The catalogue's text for ``key`` in ``lang``, with ``fields`` filled in."""
    words = WORDS[key][LANGUAGES.index(check_language(lang))]
    return words.format(**fields) if fields else words


def words(key: str, lang: str = "sv", /, **fields: object) -> Words:
    """Like :func:`text`, but source text filled in stays marked as :class:`Source`."""
    template = WORDS[key][LANGUAGES.index(check_language(lang))]
    parts: list[object] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            value = fields[name]
            parts.append(value if isinstance(value, str | Words) else format(value, spec))
    return Words(parts)


def label(group: str, value: str, lang: str = "sv") -> str:
    """The label of a coded value (``label("kind", "decided")``); the code itself if unknown."""
    key = f"{group}.{value}"
    return text(key, lang) if key in WORDS else value
