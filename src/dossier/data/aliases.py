"""Built-in aliases: the header names and labels that mean a contract column or code.

Real exports name their columns ``Diarienummer`` or ``Händelsedatum`` and label
kinds ``Återremitterad``. The common Swedish and English names are recognised
here without configuration (:data:`HEADER_ALIASES`, :data:`LABEL_ALIASES`);
anything else is said in the mapping file (:mod:`dossier.data.mapping_file`).
Matching folds case with :meth:`str.casefold`, everywhere.
"""

from __future__ import annotations

import difflib
import re

from .contract import TABLE, TABLES


def fold(name: str) -> str:
    """A name as the mapping file's names are matched: case and surrounding spaces do not matter."""
    return name.strip().casefold()


def header_key(name: str) -> str:
    """A header as aliases are matched: case, ``_ - . :`` and repeated spaces do not matter."""
    return " ".join(re.sub(r"[_\-.:]+", " ", name.casefold()).split())


def label_key(label: str) -> str:
    """A label as label maps are matched: case, ``_`` and repeated spaces do not matter."""
    return " ".join(label.casefold().replace("_", " ").split())


def _words(spec: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in spec.split("|") if word.strip())


_CASE_ID = "diarienummer|dnr|diarienr|ärendenummer|ärendenr|ärende nr|ärende id|ärendeid|case number|case no|registry number"
#: The day an agenda was published (meetings.csv and agenda.csv).
_PUBLISHED = "publicerad|publicerat|publiceringsdatum|publiceringsdag|dagordning publicerad|published|publication date"

#: Header names that mean a contract column without any configuration, per table.
#: Matched after :func:`header_key` (case, spaces, ``_ - . :`` do not matter).
HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "cases": {
        "case_id": _words(_CASE_ID),
        "title": _words("ärendemening|ärenderubrik|rubrik|titel|heading|subject"),
        "opened": _words("registreringsdatum|registrerad|reg datum|regdatum|inkom|inkomstdatum|"
                         "inkommen|upprättad|öppnad|startdatum|registration date|date opened"),
        "status": _words("ärendestatus|status|state"),
        "closed": _words("avslutad|avslutsdatum|avslutat datum|stängd|date closed|closed date"),
        "owner_forum_id": _words("ansvarig nämnd|ägande instans|instans|organ|nämnd|owner|owner forum"),
        "responsible": _words("handläggare|ansvarig|ansvarig handläggare|ansvarig enhet|"
                              "handläggande enhet|enhet|officer|case officer|responsible unit"),
        "summary": _words("sammanfattning|sammandrag|beskrivning|anteckning|notering|description|notes"),
    },
    "events": {
        "event_id": _words("händelse id|händelseid|händelsenummer|åtgärdsid|åtgärds id|id|event id"),
        "case_id": _words(_CASE_ID),
        "date": _words("datum|händelsedatum|åtgärdsdatum|startdatum|från|from|start|start date|event date"),
        "end_date": _words("slutdatum|till|till och med|tom|t o m|end|end date|to"),
        "kind": _words("åtgärd|åtgärdstyp|händelsetyp|händelse|aktivitet|typ|type|event type|action"),
        "forum_id": _words("instans|organ|nämnd|forum|beslutsinstans|beslutsorgan|body"),
        "title": _words("rubrik|titel|händelserubrik|åtgärdstext|text|heading|subject"),
        "description": _words("beskrivning|anteckning|kommentar|notering|detaljer|details|notes|comment"),
        "decision_ref": _words("paragraf|§|beslutsparagraf|protokollsparagraf|paragraph|"
                               "minutes reference|decision reference"),
        "document": _words("handling|dokument|underlag|document"),
        "seq": _words("ordning|ordningsnummer|sekvens|sortering|order|sequence"),
    },
    "forums": {
        "forum_id": _words("instans|instanskod|kod|förkortning|organ|forum|id|code|forum id"),
        "name": _words("namn|benämning|instansnamn|fullständigt namn|full name"),
        "kind": _words("typ|instanstyp|organtyp|slag|kategori|type|category"),
        "organisation": _words("organisation|huvudman|myndighet|organization"),
        "chair": _words("ordförande|chair|chairperson"),
        "description": _words("beskrivning|anteckning|notes"),
    },
    "meetings": {
        "meeting_id": _words("sammanträde|sammanträdes id|sammanträdesid|möte|mötes id|mötesid|meeting|meeting id"),
        "forum_id": _words("instans|organ|nämnd|forum"),
        "date": _words("datum|sammanträdesdatum|mötesdatum|tid|tidpunkt|meeting date"),
        "title": _words("rubrik|titel|benämning"),
        "location": _words("plats|lokal|place|venue"),
        "state": _words("status|tillstånd"),
        "published": _words(_PUBLISHED),
    },
    "agenda": {
        "meeting_id": _words("sammanträde|sammanträdes id|möte|mötes id|meeting|meeting id"),
        "item": _words("punkt|ärendepunkt|dagordningspunkt|nr|nummer|item no"),
        "case_id": _words(_CASE_ID),
        "title": _words("rubrik|ärendemening|titel"),
        "proposal": _words("förslag|förslag till beslut|beslutsförslag"),
        "published": _words(_PUBLISHED),
    },
    "relations": {
        "case_id": _words(_CASE_ID + "|från ärende"),
        "related_case_id": _words("relaterat ärende|kopplat ärende|relaterat diarienummer|"
                                  "till ärende|related case|related case id"),
        "relation": _words("relationstyp|koppling|typ|type|kind"),
    },
    "documents": {
        "case_id": _words(_CASE_ID),
        "date": _words("datum|dokumentdatum|handlingsdatum|upprättad"),
        "title": _words("rubrik|titel|handling|dokument|dokumentnamn|name"),
        "doc_type": _words("handlingstyp|dokumenttyp|typ|slag|kategori|type|document type"),
        "link": _words("länk|sökväg|fil|url|path|file"),
    },
}  # fmt: skip

_KINDS = {
    "registered": "registrerat|registrerad|registrering|inkommet|inkommen|inkom|upprättat|upprättad|received",
    "prepared": "beredning|bereds|beredd|under beredning|utredning|utreds|preparation",
    "discussed": "diskussion|diskuterat|diskuterad|dialog|överläggning|discussion",
    "presented": "föredragning|föredraget|föredragen|information|informerat|informerad|"
                 "presentation|presenterat|presenterad",
    "consultation": "remiss|remitterat|remitterad|på remiss",
    "proposal": "förslag|förslag till beslut|beslutsförslag|tjänsteskrivelse",
    "referred_back": "återremiss|återremitterat|återremitterad|referral back",
    "tabled": "bordläggning|bordlagt|bordlagd",
    "deferred": "hänskjutet|hänskjuten|uppskjutet|uppskjuten|uppskjutning|postponed",
    "decided": "beslut|beslutat|beslutad|fastställt|fastställd|antaget|antagen|decision",
    "communicated": "expedierat|expedierad|expediering|expedition|protokollsutdrag|sent",
    "closed": "avslutat|avslutad|avslut|arkiverat|arkiverad",
    "withdrawn": "återtaget|återtagen|återkallat|återkallad|makulerat|makulerad",
    "other": "övrigt|övrig|annat",
}  # fmt: skip
_STATUSES = {
    "open": "öppen|öppet|pågående|pågår|aktiv|aktivt|under handläggning|ongoing|active",
    "closed": "avslutad|avslutat|stängd|stängt|arkiverad|arkiverat|avgjord|avgjort|klar|done",
}
_FORUM_KINDS = {
    "committee": "nämnd|utskott|styrelse|fullmäktige|regionstyrelse|kommunstyrelse|"
                 "regionfullmäktige|kommunfullmäktige|board",
    "presidium": "presidiet",
    "council": "råd|rådet",
    "partnership": "partnerskap",
    "party_group": "partigrupp|partigrupper",
    "network": "nätverk",
    "office": "kontor",
    "external": "extern|extern aktör|extern part|myndighet|external body",
    "administration": "förvaltning|förvaltningen|tjänstemän",
    "other": "övrigt|annat",
}  # fmt: skip
_STATES = {
    "planned": "planerat|planerad|kommande",
    "held": "genomfört|genomförd|hållet|hållen",
    "cancelled": "inställt|inställd|canceled",
}
_RELATIONS = {
    "related": "relaterat|relaterad|kopplat|kopplad|related case",
    "continues": "fortsätter|fortsättning|continued",
    "replaces": "ersätter",
    "depends_on": "beror på|beroende av|depends on",
    "other": "övrigt|annat",
}
_DOC_TYPES = {
    "report": "rapport|utredning",
    "proposal": "förslag|tjänsteskrivelse|beslutsunderlag",
    "minutes_extract": "protokollsutdrag|protokoll|minutes extract",
    "attachment": "bilaga",
    "letter": "skrivelse|brev",
    "other": "övrigt|annat",
}


def _labels(spec: dict[str, str]) -> dict[str, str]:
    # A code is also its own label ("Decided" and "referred back" read as codes in an export).
    found = {label_key(code): code for code in spec}
    for code, words in spec.items():
        found.update((label_key(word), code) for word in _words(words))
    return found


#: Labels that mean a contract code without any configuration, per (table, column).
#: Matched after :func:`label_key` (case and surrounding spaces do not matter).
LABEL_ALIASES: dict[tuple[str, str], dict[str, str]] = {
    ("events", "kind"): _labels(_KINDS),
    ("cases", "status"): _labels(_STATUSES),
    ("forums", "kind"): _labels(_FORUM_KINDS),
    ("meetings", "state"): _labels(_STATES),
    ("relations", "relation"): _labels(_RELATIONS),
    ("documents", "doc_type"): _labels(_DOC_TYPES),
}


def _alias_index(table: str) -> dict[str, str]:
    index = {header_key(column.name): column.name for column in TABLE[table].columns}
    for column, aliases in HEADER_ALIASES[table].items():
        index.update((header_key(alias), column) for alias in aliases)
    return index


ALIAS_INDEX = {table.name: _alias_index(table.name) for table in TABLES}


def closest(word: str, choices, cutoff: float = 0.6) -> str | None:
    """The choice ``word`` most likely means: itself in any case, else the nearest, else None."""
    choices = list(choices)
    folded = {choice.casefold(): choice for choice in choices}
    if word.casefold() in folded:
        return folded[word.casefold()]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(word: str, choices) -> str:
    """``; did you mean 'x'?`` for the choice nearest ``word``, or nothing when none is near."""
    nearest = closest(word, choices)
    return f"; did you mean {nearest!r}?" if nearest else ""


def guess_label(table: str, column: str, label: str) -> str | None:
    """The code a label most likely means: the nearest built-in label's, if one is near."""
    known = LABEL_ALIASES.get((table, column), {})
    key = label_key(label)
    nearest = closest(key, known, cutoff=0.75)
    if nearest is not None:
        return known[nearest]
    # "Återremitterat till förvaltningen": a known label and more words.
    for word in sorted(known, key=len, reverse=True):
        if key.startswith(word + " "):
            return known[word]
    return "other" if "other" in TABLE[table].column(column).codes else None
