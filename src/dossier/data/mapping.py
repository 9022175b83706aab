"""Translate a registry's own export into the data contract (DATA.md).

Real exports name their columns ``Diarienummer`` or ``Händelsedatum``, label
kinds ``Återremitterad`` and write dates ``30.05.2022``. This module meets
them where they are, without bending the contract: it turns a source file's
columns into the contract's columns of text, and everything after it
(checking, the model, dossiers) sees contract tables only.

Three layers, each overriding the one before:

1. The contract itself: a file ``events.csv`` whose headers are the
   contract's names is read as it is, at no extra cost.
2. Built-in aliases: common Swedish and English header names and labels
   (:data:`HEADER_ALIASES`, :data:`LABEL_ALIASES`) are recognised without
   configuration. Two source columns for one contract column is a fault.
3. The mapping file, ``dossier.toml`` in the data folder (or ``--mapping
   FILE``): per table the source file (CSV or ``.xlsx`` and its sheet), the
   column map, label maps, date formats, defaults and built columns. See the
   README, "Bring your own export".

A fault in mapped data names the source file, row and the column as the
export calls it: ``händelser.xlsx row 7, column Händelsedatum (date)``.
What the analyst is told about a mapping (``check --explain``, ``init-mapping``)
is :mod:`dossier.data.mapping_guide`'s.
"""

from __future__ import annotations

import difflib
import json
import re
import string
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Fault
from .checks import (
    DATE_SHAPE,
    DATETIME_SHAPE,
    check_periods,
    check_references,
    check_table,
    valid_dates,
)
from .contract import MAPPING_FILE, ROW, TABLE, TABLES, Column, Table

#: The mapping file's section for each coded column's labels, e.g. ``[events.kinds]``.
VALUE_SECTIONS = {
    "kind": "kinds",
    "status": "statuses",
    "state": "states",
    "relation": "relations",
    "doc_type": "doc_types",
}

#: Keys of a table's section besides its label sections.
TABLE_KEYS = ("file", "sheet", "date_formats", "columns", "defaults", "build")


def header_key(name: str) -> str:
    """A header as aliases are matched: case, ``_ - . :`` and repeated spaces do not matter."""
    return " ".join(re.sub(r"[_\-.:]+", " ", name.casefold()).split())


def label_key(label: str) -> str:
    """A label as label maps are matched: case, ``_`` and repeated spaces do not matter."""
    return " ".join(label.casefold().replace("_", " ").split())


def _words(spec: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in spec.split("|") if word.strip())


_CASE_ID = "diarienummer|dnr|diarienr|ärendenummer|ärendenr|ärende nr|ärende id|ärendeid|case number|case no|registry number"

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
    },
    "agenda": {
        "meeting_id": _words("sammanträde|sammanträdes id|möte|mötes id|meeting|meeting id"),
        "item": _words("punkt|ärendepunkt|dagordningspunkt|nr|nummer|item no"),
        "case_id": _words(_CASE_ID),
        "title": _words("rubrik|ärendemening|titel"),
        "proposal": _words("förslag|förslag till beslut|beslutsförslag"),
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

#: Date formats that ``dossier init-mapping`` tries, in this order (Swedish first).
CANDIDATE_FORMATS = (
    "%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%m/%d/%Y",
    "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M", "%Y%m%d %H:%M",
    "%m.%Y", "%m/%Y", "%Y%m",
)  # fmt: skip


def _alias_index(table: str) -> dict[str, str]:
    index = {header_key(column.name): column.name for column in TABLE[table].columns}
    for column, aliases in HEADER_ALIASES[table].items():
        index.update((header_key(alias), column) for alias in aliases)
    return index


ALIAS_INDEX = {table.name: _alias_index(table.name) for table in TABLES}


def closest(word: str, choices, cutoff: float = 0.6) -> str | None:
    choices = list(choices)
    folded = {choice.casefold(): choice for choice in choices}
    if word.casefold() in folded:
        return folded[word.casefold()]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return close[0] if close else None


def _did_you_mean(word: str, choices) -> str:
    nearest = closest(word, choices)
    return f"; did you mean {nearest!r}?" if nearest else ""


# -- the mapping file ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """A value from the mapping file and the line it is on."""

    value: object
    line: int | None = None


@dataclass(frozen=True)
class TableMapping:
    """One table's section of the mapping file, checked."""

    table: str
    file: Setting | None = None
    sheet: Setting | None = None
    date_formats: tuple[str, ...] = ()
    #: source header -> contract column ("" leaves the column out)
    columns: dict[str, Setting] = field(default_factory=dict)
    #: coded column -> label -> code
    labels: dict[str, dict[str, Setting]] = field(default_factory=dict)
    #: contract column -> value for empty cells
    defaults: dict[str, Setting] = field(default_factory=dict)
    #: contract column -> parsed template: (literal, source column or None, zero-pad width)
    build: dict[str, tuple[Setting, tuple[tuple[str, str | None, int], ...]]] = field(
        default_factory=dict
    )
    line: int | None = None


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file: where it is and its table sections."""

    path: Path
    tables: dict[str, TableMapping]

    @property
    def name(self) -> str:
        return self.path.name

    def where(self, line: int | None) -> str:
        """The place of a line, as a fault names it: ``dossier.toml line 12``."""
        return f"{self.name} line {line}" if line else self.name


_KEY_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")


def _key_path(text: str, pos: int) -> tuple[tuple[str, ...], int] | None:
    parts: list[str] = []
    while True:
        match = _KEY_PART.match(text, pos)
        if not match:
            return None
        quoted, literal, bare = match.groups()
        if quoted is not None:
            try:
                parts.append(json.loads(f'"{quoted}"'))
            except ValueError:
                parts.append(quoted)
        else:
            parts.append(literal if literal is not None else bare)
        pos = match.end()
        if text.startswith(".", pos):
            pos += 1
            continue
        return tuple(parts), pos


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of every table header and key in TOML ``text``, by its full dotted path.

    tomllib does not tell where a key is; this scan does, for the plain TOML a
    mapping file is made of (a key inside an inline table gets its table's line).
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            parsed = _key_path(stripped, 1)
            if parsed and stripped[parsed[1] :].startswith("]"):
                table = parsed[0]
                lines.setdefault(table, number)
            continue
        parsed = _key_path(line, 0)
        if parsed and line[parsed[1] :].startswith("="):
            lines.setdefault(table + parsed[0], number)
    return lines


class _Reader:
    """Checks a parsed mapping file, collecting faults with their lines."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)
        self.faults: list[Fault] = []

    def line(self, *path: str) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def fault(self, path: tuple[str, ...], value: object, expected: str) -> None:
        line = self.line(*path)
        where = f"{self.path.name} line {line}" if line else self.path.name
        self.faults.append(Fault(where, value=str(value), expected=expected))

    def unknown_key(self, path: tuple[str, ...], valid, section: str) -> None:
        key = path[-1]
        self.fault(path, key, f"is not a key {section}{_did_you_mean(key, valid)} "
                              f"(keys: {', '.join(valid)})")  # fmt: skip

    def text(self, path: tuple[str, ...], value: object, what: str) -> str | None:
        if isinstance(value, str):
            return value
        self.fault(path, value, f"must be {what} in quotes")
        return None

    def section(self, path: tuple[str, ...], value: object) -> dict:
        if isinstance(value, dict):
            return value
        self.fault(path, value, f"must be a table: write it as [{'.'.join(path)}]")
        return {}

    def formats(self, path: tuple[str, ...], value: object) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            self.fault(path, value, 'must be a list of date formats, e.g. ["%d.%m.%Y", "%Y%m%d"]')
            return ()
        for fmt in values:
            if not re.search(r"%[Yy]", fmt) or re.search(r"%[^YymdbBHMSjIp%]", fmt):
                self.fault(path, fmt, "is not a date format: write it with %Y (year), %m (month), "
                                      '%d (day), %H:%M (time), e.g. "%d.%m.%Y" or "%Y%m%d"')  # fmt: skip
        return tuple(values)

    def read(self, data: dict) -> dict[str, TableMapping]:
        tables: dict[str, TableMapping] = {}
        common: tuple[str, ...] = ()
        valid = [table.name for table in TABLES] + ["date_formats", "mail"]
        if "date_formats" in data:
            common = self.formats(("date_formats",), data["date_formats"])
        for key, value in data.items():
            # [mail] may share the file: `dossier mail` reads it from the operator's own dossier.toml
            # and ignores it in a data folder (dossier.share.outbox).
            if key in ("date_formats", "mail"):
                continue
            if key not in TABLE:
                self.unknown_key((key,), valid, "at the top of the mapping file")
                continue
            tables[key] = self.table(TABLE[key], self.section((key,), value), common)
        return tables

    def table(self, table: Table, data: dict, common: tuple[str, ...]) -> TableMapping:
        name = table.name
        coded = {VALUE_SECTIONS[c.name]: c.name for c in table.columns if c.name in VALUE_SECTIONS}
        valid = [*TABLE_KEYS, *coded]
        found: dict = {"table": name, "line": self.line(name), "date_formats": common}
        for key, value in data.items():
            path = (name, key)
            if key == "file":
                found["file"] = self.file(path, value)
            elif key == "sheet":
                if isinstance(value, str | int) and not isinstance(value, bool):
                    found["sheet"] = Setting(value, self.line(*path))
                else:
                    self.fault(path, value, "must be a sheet's name in quotes, or its number (1 = first)")  # fmt: skip
            elif key == "date_formats":
                found["date_formats"] = self.formats(path, value)
            elif key == "columns":
                found["columns"] = self.columns(table, path, self.section(path, value))
            elif key == "defaults":
                found["defaults"] = self.defaults(table, path, self.section(path, value))
            elif key == "build":
                found["build"] = self.build(table, path, self.section(path, value))
            elif key in coded:
                labels = self.labels(table, coded[key], path, self.section(path, value))
                found.setdefault("labels", {})[coded[key]] = labels
            else:
                self.unknown_key(path, valid, f"of [{name}]")
        return TableMapping(**found)

    def file(self, path: tuple[str, ...], value: object) -> Setting | None:
        name = self.text(path, value, "a file name")
        if name is None:
            return None
        if Path(name).suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm"):
            self.fault(path, name, "is not a file the toolkit reads: use a .csv or .xlsx file "
                                   "(save an .xls workbook as .xlsx)")  # fmt: skip
            return None
        return Setting(name, self.line(*path))

    def target(self, table: Table, path: tuple[str, ...], column: str) -> bool:
        if column in table.column_names:
            return True
        self.fault(path, column, f"is not a column of {table.name}{_did_you_mean(column, table.column_names)} "
                                 f"(columns: {', '.join(table.column_names)})")  # fmt: skip
        return False

    def columns(self, table: Table, path: tuple[str, ...], data: dict) -> dict[str, Setting]:
        found: dict[str, Setting] = {}
        claimed: dict[str, str] = {}
        for source, target in data.items():
            where = (*path, source)
            target = self.text(where, target, 'a contract column (or "" to leave it out)')
            if target is None or (target and not self.target(table, where, target)):
                continue
            if target and target in claimed:
                self.fault(where, source, f"and {claimed[target]!r} both map to {target}; "
                                          "map only one of them")  # fmt: skip
                continue
            if target:
                claimed[target] = source
            found[source] = Setting(target, self.line(*where))
        return found

    def labels(
        self, table: Table, column: str, path: tuple[str, ...], data: dict
    ) -> dict[str, Setting]:
        codes = table.column(column).codes
        found: dict[str, Setting] = {}
        for label, code in data.items():
            where = (*path, label)
            code = self.text(where, code, f"a {column}")
            if code is None:
                continue
            if code not in codes:
                self.fault(where, code, f"is not a {column}{_did_you_mean(code, codes)} "
                                        f"(use one of: {', '.join(codes)})")  # fmt: skip
                continue
            found[label] = Setting(code, self.line(*where))
        return found

    def defaults(self, table: Table, path: tuple[str, ...], data: dict) -> dict[str, Setting]:
        found: dict[str, Setting] = {}
        for column, value in data.items():
            where = (*path, column)
            if not self.target(table, where, column):
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                self.fault(where, value, "must be a value in quotes")
                continue
            found[column] = Setting(str(value), self.line(*where))
        return found

    def build(self, table: Table, path: tuple[str, ...], data: dict) -> dict:
        found = {}
        for column, value in data.items():
            where = (*path, column)
            template = self.text(where, value, 'a template such as "{Prefix}/{Löpnummer}/{År}"')
            if template is None or not self.target(table, where, column):
                continue
            parts = self.template(where, template)
            if parts is not None:
                found[column] = (Setting(template, self.line(*where)), parts)
        return found

    def template(self, path: tuple[str, ...], template: str):
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            self.fault(path, template, f"is not a template ({exc}); write source columns in "
                                       'braces, e.g. "{Prefix}/{Löpnummer}/{År}"')  # fmt: skip
            return None
        parts = []
        for literal, name, spec, conversion in parsed:
            width = 0
            if name is not None:
                if not name.strip() or conversion or (spec and not re.fullmatch(r"0[0-9]+", spec)):
                    self.fault(path, template, "has a field that is not a source column in braces "
                                               '(a column may pad with zeros: "{Löpnummer:04}")')  # fmt: skip
                    return None
                width = int(spec) if spec else 0
            parts.append((literal, name, width))
        if not any(name for _, name, _ in parts):
            self.fault(path, template, "names no source column; write them in braces, "
                                       'e.g. "{Prefix}/{Löpnummer}/{År}"')  # fmt: skip
            return None
        return tuple(parts)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raise DataError naming each fault's line and its fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError([Fault(path.name, expected=f"cannot be read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise DataError(
            [Fault(path.name, expected="is not UTF-8 text (save it as UTF-8)")]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError([Fault(path.name, expected=f"is not valid TOML: {exc}")]) from None
    reader = _Reader(path, text)
    tables = reader.read(data)
    if reader.faults:
        raise DataError(reader.faults)
    return Mapping(path, tables)


# -- how one source file becomes one contract table -----------------------------------------


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one contract column's values come from in the source file."""

    column: str
    #: "contract" (the contract's own header), "alias" (a built-in alias), "mapped"
    #: (the mapping file's [table.columns]), "build" (put together from columns) or "none"
    how: str
    source: str = ""
    position: int | None = None
    #: for "build": (literal, position or None, zero-pad width) in order
    parts: tuple[tuple[str, int | None, int], ...] = ()
    template: str = ""
    line: int | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(_FIELDS.findall(self.template))

    def label(self, default: Setting | None = None) -> str:
        """The column as a fault names it: the export's header with the contract's in brackets."""
        if self.how in ("alias", "mapped") and self.source != self.column:
            return f"{self.source} ({self.column})"
        if self.how == "build":
            return f"{self.column} (built from {', '.join(self.fields)})"
        if self.how == "none" and default is not None:
            return f"{self.column} (default {default.value!r})"
        return self.column


_FIELDS = re.compile(r"\{([^{}:!]+)[^{}]*\}")


@dataclass(frozen=True)
class TablePlan:
    """How one source file is read as one contract table."""

    table: Table
    #: the source file's name (faults name it)
    file: str
    origins: dict[str, Origin]
    defaults: dict[str, Setting]
    #: coded column -> label key -> (code, how it was found)
    labels: dict[str, dict[str, tuple[str, str]]]
    date_formats: tuple[str, ...]
    #: source headers that feed no contract column, with the reason
    unused: tuple[tuple[str, str], ...]
    #: the mapping file's name, for the fixes that faults suggest
    mapping_name: str = MAPPING_FILE
    #: True when the mapping file has a section for this table
    configured: bool = False

    @property
    def plain(self) -> bool:
        """True for a contract file read as it is: no mapping, nothing renamed."""
        return (
            not self.configured
            and self.file == self.table.file
            and all(o.how in ("contract", "none") for o in self.origins.values())
        )

    @property
    def positions(self) -> list[int]:
        """The source columns that feed the contract table, by position."""
        found = set()
        for origin in self.origins.values():
            if origin.position is not None:
                found.add(origin.position)
            found.update(p for _, p, _ in origin.parts if p is not None)
        return sorted(found)

    def column_label(self, column: str) -> str:
        return self.origins[column].label(self.defaults.get(column))

    def fix(self, section: str, line: str) -> str:
        return fix_line(self.table.name, section, line, self.mapping_name)


def fix_line(table: str, section: str, line: str, mapping_name: str = MAPPING_FILE) -> str:
    """The fix for a missing mapping: ``add `"Dnr" = "case_id"` under [events.columns] in dossier.toml``."""
    return f"add `{line}` under `[{table}.{section}]` in {mapping_name}"


def plan_table(
    table: Table,
    names: list[str],
    section: TableMapping | None = None,
    *,
    file: str | None = None,
    mapping: Mapping | None = None,
) -> TablePlan:
    """Decide where each contract column comes from in a file with header ``names``.

    The mapping file's column map comes first, then built columns, then the
    contract's own names, then built-in aliases. Raises DataError for a
    header that cannot be read as the table: a required column with no
    source, two source columns for one contract column, a mapped or built
    column that is not in the header.
    """
    file = file or table.file
    mapping_name = mapping.name if mapping else MAPPING_FILE
    where = mapping.where if mapping else (lambda line: mapping_name)
    faults: list[Fault] = []
    by_name: dict[str, int] = {}
    for position, name in enumerate(names):
        by_name.setdefault(name.strip().casefold(), position)
    origins: dict[str, Origin] = {}
    unused: dict[str, str] = {}
    taken: set[int] = set()
    unbuilt: set[str] = set()  # built from a column that is not there: faulted once, there

    def locate(source: str, line: int | None, what: str) -> int | None:
        position = by_name.get(source.strip().casefold())
        if position is None:
            headers = [n for n in names if n.strip()]
            faults.append(Fault(where(line), value=source,
                                expected=f"{what} is not a column of {file}{_did_you_mean(source, headers)} "
                                         f"(its columns: {', '.join(headers)})"))  # fmt: skip
        return position

    if section is not None:
        for source, setting in section.columns.items():
            position = locate(source, setting.line, "mapped in [columns]")
            if position is None:
                continue
            taken.add(position)
            if setting.value == "":
                unused[names[position]] = f"left out ({mapping_name} line {setting.line})"
            else:
                origins[str(setting.value)] = Origin(
                    str(setting.value), "mapped", names[position], position, line=setting.line
                )
        for column, (setting, parts) in section.build.items():
            if column in origins:
                faults.append(Fault(where(setting.line), value=column,
                                    expected=f"is both mapped from {origins[column].source!r} and built; "
                                             "keep one of the two"))  # fmt: skip
                continue
            resolved = []
            for literal, name, width in parts:
                position = (
                    None if name is None else locate(name, setting.line, f"in build.{column}")
                )
                if name is not None and position is None:
                    unbuilt.add(column)
                    break
                resolved.append((literal, position, width))
            else:
                origins[column] = Origin(column, "build", "", None, tuple(resolved),
                                         str(setting.value), setting.line)  # fmt: skip
    parts = {p for o in origins.values() for _, p, _ in o.parts if p is not None}
    # The contract's own names, then aliases; a contract name is never ambiguous with an alias.
    exact: dict[str, list[int]] = {}
    aliased: dict[str, list[int]] = {}
    index = ALIAS_INDEX[table.name]
    for position, name in enumerate(names):
        if position in taken or not name.strip():
            continue
        key = name.strip().lower()
        if key in table.column_names:
            exact.setdefault(key, []).append(position)
        elif (column := index.get(header_key(name))) is not None:
            aliased.setdefault(column, []).append(position)
        elif position not in parts:
            unused[name] = "no contract column"
    for column, positions in exact.items():
        if column in origins:
            for position in positions:
                unused[names[position]] = f"{column} comes from {origins[column].label()}"
            continue
        for position in positions[1:]:
            faults.append(Fault(file, row=1, column=column, value=names[position],
                                expected=f"appears twice in the header (column {position + 1}); keep one"))  # fmt: skip
        origins[column] = Origin(column, "contract", names[positions[0]], positions[0])
    for column, positions in aliased.items():
        if column in origins:
            for position in positions:
                unused[names[position]] = f"{column} comes from {origins[column].label()}"
            continue
        if len(positions) > 1:
            found = " and ".join(f"{names[p]!r} (column {p + 1})" for p in positions)
            line = f'"{names[positions[-1]]}" = "{column}"'
            faults.append(Fault(file, row=1, column=column, value=", ".join(names[p] for p in positions),
                                expected=f"is ambiguous: {found} could each be {column}; say which: "
                                         + fix_line(table.name, "columns", line, mapping_name)))  # fmt: skip
            continue
        origins[column] = Origin(column, "alias", names[positions[0]], positions[0])
    defaults = dict(section.defaults) if section else {}
    renamed = section is not None or any(o.how != "contract" for o in origins.values())
    for column in table.columns:
        if column.name in origins:
            continue
        origins[column.name] = Origin(column.name, "none")
        if column.required and column.name not in defaults and column.name not in unbuilt:
            expected = "is a required column and is missing from the header"
            if renamed:
                line = f'"…" = "{column.name}"'
                expected += f" (map a source column to it: {fix_line(table.name, 'columns', line, mapping_name)})"
            faults.append(Fault(file, row=1, column=column.name, expected=expected))
    if faults:
        raise DataError(faults)
    mapped = (
        section is not None
        or file != table.file
        or any(o.how not in ("contract", "none") for o in origins.values())
    )
    labels = {}
    for column in table.columns:
        if column.type != "code":
            continue
        found = {label_key(code): (code, "contract code") for code in column.codes}
        if mapped:
            builtin = LABEL_ALIASES.get((table.name, column.name), {})
            found.update((key, (code, "built-in label")) for key, code in builtin.items())
        if section is not None:
            for label, setting in section.labels.get(column.name, {}).items():
                found[label_key(label)] = (
                    str(setting.value),
                    f"{mapping_name} line {setting.line}",
                )
        labels[column.name] = found
    return TablePlan(
        table, file, origins, defaults, labels,
        section.date_formats if section else (),
        tuple(unused.items()), mapping_name, section is not None,
    )  # fmt: skip


# -- translating the rows -----------------------------------------------------------------


@dataclass
class Translation:
    """What translating one file did: the labels and dates it met, for ``check --explain``."""

    #: coded column -> [(label, rows, code or None, how)]
    labels: dict[str, list[tuple[str, int, str | None, str]]] = field(default_factory=dict)
    #: date column -> {"already contract dates" or a format: rows}; None for values none read
    dates: dict[str, Counter] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)


def to_contract(raw: pd.DataFrame, plan: TablePlan) -> tuple[pd.DataFrame, Translation]:
    """Turn a source file's columns into the contract table's columns of text.

    ``raw`` holds the source columns by position (column names ``"0"``,
    ``"1"`` …) as text, and ``_row``; its columns are stripped in place. Returns the contract frame (with
    ``_row``) and what was translated; faults (a label without a mapping, a
    date in none of the formats) are in the translation, not raised, so that
    ``check --explain`` can show them all.
    """
    report = Translation()
    positions = [str(p) for p in plan.positions]
    for name in positions:
        # In place: ``raw`` is the reader's scratch frame, and a million rows need no second copy.
        raw[name] = raw[name].str.strip()
    if positions:
        # Blank lines (every cell that feeds the table empty) are not rows, but keep their numbers.
        blank = (raw[positions] == "").all(axis=1)
        if blank.any():
            raw = raw[~blank]
    raw = raw.reset_index(drop=True)
    rows = raw[ROW]
    columns: dict[str, pd.Series] = {ROW: rows}
    for column in plan.table.columns:
        origin = plan.origins[column.name]
        if origin.position is not None:
            values = raw[str(origin.position)]
        elif origin.how == "build":
            values = _build(raw, origin)
        else:
            values = pd.Series("", index=raw.index, dtype="str")
        default = plan.defaults.get(column.name)
        if default is not None:
            values = values.where(values != "", str(default.value))
        if column.type == "code":
            values = _translate_labels(values, rows, column.name, plan, report)
        elif column.type in ("date", "datetime"):
            values = _translate_dates(values, rows, column.name, column.type, plan, report)
        columns[column.name] = values
    return pd.DataFrame(columns, copy=False), report


def _build(raw: pd.DataFrame, origin: Origin) -> pd.Series:
    result = pd.Series("", index=raw.index, dtype="str")
    missing = pd.Series(False, index=raw.index)
    for literal, position, width in origin.parts:
        result = result + literal
        if position is not None:
            part = raw[str(position)]
            missing |= part == ""
            result = result + (part.str.zfill(width) if width else part)
    # A part that is empty makes no ID: the result is empty, and a required column says so.
    return result.where(~missing, "")


def _spread(distinct: list[str] | pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Values given once per distinct value, spread back over the rows (``codes`` from factorize)."""
    return pd.Series(pd.array(list(distinct), dtype="str").take(codes), index=index)


def _translate_labels(
    values: pd.Series, rows: pd.Series, column: str, plan: TablePlan, report: Translation
) -> pd.Series:
    # Labels repeat: each distinct label is looked up once.
    codes, uniques = pd.factorize(values)
    known = plan.labels[column]
    counts = np.bincount(codes, minlength=len(uniques))
    translated: list[str] = []
    seen = []
    for number, label in enumerate(uniques):
        if label == "":
            translated.append("")
            continue
        code, how = known.get(label_key(label), (None, ""))
        seen.append((label, int(counts[number]), code, how))
        if code is None:
            first = int(rows.iloc[int(np.argmax(codes == number))])
            report.faults.append(_label_fault(plan, column, label, int(counts[number]), first))
            code = label  # left as it is; the fault says what to add
        translated.append(code)
    report.labels[column] = seen
    return _spread(translated, codes, values.index)


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


def _label_fault(plan: TablePlan, column: str, label: str, count: int, first: int) -> Fault:
    codes = plan.table.column(column).codes
    guess = guess_label(plan.table.name, column, label)
    line = f'"{label}" = "{guess or codes[0]}"'
    rows = f"{count:,} row{'s' if count != 1 else ''}"
    expected = (
        f"is a {column} label with no mapping ({rows}; this is the first): "
        f"{plan.fix(VALUE_SECTIONS[column], line)}"
        + (" (a guess: check it;" if guess else " (choose the right one;")
        + f" {column} is one of: {', '.join(codes)})"
    )
    return Fault(plan.file, first, plan.column_label(column), label, expected)


def output_format(fmt: str, column_type: str) -> str:
    """The contract's text for a date read with ``fmt``: as precise as the format is."""
    if column_type == "datetime" and re.search(r"%[HI]", fmt):
        return "%Y-%m-%d %H:%M"
    if column_type == "datetime" or re.search(r"%[dj]", fmt):
        return "%Y-%m-%d"
    if re.search(r"%[mbB]", fmt):
        return "%Y-%m"
    return "%Y"


#: How Translation.dates counts values that needed no format.
AS_CONTRACT = "already contract dates"


def _translate_dates(
    values: pd.Series,
    rows: pd.Series,
    column: str,
    column_type: str,
    plan: TablePlan,
    report: Translation,
) -> pd.Series:
    # Dates repeat: a million events hold a few thousand distinct days, so each is parsed once.
    codes, uniques = pd.factorize(values)
    distinct = pd.Series(uniques, dtype="str")
    counts = np.bincount(codes, minlength=len(uniques))
    shape = DATETIME_SHAPE if column_type == "datetime" else DATE_SHAPE
    result = distinct.where(distinct.str.fullmatch(shape) | (distinct == ""))
    how = pd.Series(AS_CONTRACT, index=distinct.index, dtype="object")
    if column_type == "date":
        # An Excel date that carries a time of day: the contract's date keeps the day.
        timed = result.isna() & distinct.str.fullmatch(DATETIME_SHAPE)
        result = result.where(~timed, distinct.str.slice(0, 10))
    # In the contract's shape is not yet a date: 2023-02-30 is none (checked here, once per value).
    shaped = result.notna() & (result != "")
    real = valid_dates(result[shaped].str.slice(0, 10))
    result[real.index[~real]] = None
    for fmt in plan.date_formats:
        todo = result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(distinct[todo], format=fmt, errors="coerce")
        read = parsed[parsed.notna()].dt.strftime(output_format(fmt, column_type))
        result.loc[read.index] = read
        how.loc[read.index] = fmt
    bad = result.isna().to_numpy()
    read = ~bad & (distinct != "").to_numpy()
    sums = pd.Series(counts[read]).groupby(how.to_numpy()[read]).sum()
    used: Counter = Counter(
        {h: int(sums[h]) for h in (AS_CONTRACT, *plan.date_formats) if h in sums}
    )
    if bad.any():
        used[None] = int(counts[bad].sum())
        numbers = np.flatnonzero(bad)
        expected = dict(zip(numbers, _date_messages(plan, column_type, distinct[bad]), strict=True))
        mask = np.isin(codes, numbers)
        label = plan.column_label(column)
        report.faults += [
            Fault(plan.file, int(row), label, value, expected[number])
            for row, value, number in zip(rows[mask], values[mask], codes[mask], strict=True)
        ]
        result = result.where(~bad, distinct)  # left as they are; the faults say what to add
    report.dates[column] = used
    return _spread(result, codes, values.index)


def guess_formats(values, column_type: str = "date") -> list[str]:
    """Formats from :data:`CANDIDATE_FORMATS` that read ``values``, most values first."""
    left = pd.Series(list(values), dtype="str")
    shape = DATETIME_SHAPE if column_type == "datetime" else DATE_SHAPE
    left = left[~left.str.fullmatch(shape) & (left != "")]
    chosen = []
    while len(left):
        best, best_read = None, None
        for fmt in CANDIDATE_FORMATS:
            if fmt in chosen:
                continue
            read = pd.to_datetime(left, format=fmt, errors="coerce").notna()
            if read.any() and (best_read is None or read.sum() > best_read.sum()):
                best, best_read = fmt, read
        if best is None:
            break
        chosen.append(best)
        left = left[~best_read]
    return chosen


def _date_messages(plan: TablePlan, column_type: str, values: pd.Series) -> list[str]:
    """What each value that no format reads is, and its fix: a format that reads it, if one does."""
    formats = plan.date_formats
    contract = (
        "YYYY-MM-DD or YYYY-MM-DD HH:MM"
        if column_type == "datetime"
        else "YYYY-MM-DD, YYYY-MM or YYYY"
    )
    head = f"is not a date in the contract's form ({contract})"
    if formats:
        head += f" nor in {'the format' if len(formats) == 1 else 'any of the formats'} {', '.join(formats)}"
    where = f"[{plan.table.name}] in {plan.mapping_name}"
    readers = pd.Series("", index=values.index, dtype="object")
    for fmt in CANDIDATE_FORMATS:
        todo = readers == ""
        if not todo.any():
            break
        read = pd.to_datetime(values[todo], format=fmt, errors="coerce").notna()
        readers[read.index[read.to_numpy()]] = fmt
    messages = []
    for fmt in readers:
        if fmt:
            listed = ", ".join(f'"{f}"' for f in [*formats, fmt])
            messages.append(f'{head}; the format "{fmt}" reads it: if the export writes dates this '
                            f"way, write `date_formats = [{listed}]` under {where}")  # fmt: skip
        elif formats:
            messages.append(f"{head}: correct the value")
        else:
            messages.append(f"{head}: correct the value, or give the export's date format as "
                            f"date_formats under {where}")  # fmt: skip
    return messages


# -- faults in the contract's terms, named in the export's -----------------------------------


def check_translated(tables: dict[str, pd.DataFrame], plans: dict[str, TablePlan]) -> list[Fault]:
    """Check translated tables against the contract; name each fault in the export's terms.

    The contract's checks (dossier.data.validate) name contract files and columns;
    a user who brought her own export needs her file and her header, so the
    checks that can fault a translated table run here first, on the same
    frames, and with the same messages. What translation already guarantees
    (every label and date is a contract value, or a fault already) is not
    checked again, and the costly checks run in full only when a cheap test
    on distinct values finds something: with nothing wrong, this costs a
    fraction of dossier.data.validate's own pass.
    """
    faults: list[Fault] = []
    for name in plans:
        table, frame = TABLE[name], tables[name]
        lean = tuple(_lean_column(column, frame) for column in table.columns)
        faults += check_table(replace(table, columns=lean), frame)
    if not _references_hold(tables, plans):
        faults += check_references(tables)
    for name, start, end in (("events", "date", "end_date"), ("cases", "opened", "closed")):
        if name in plans:
            frame = tables[name]
            periods = frame[(frame[start] != "") & (frame[end] != "")]
            faults += check_periods(TABLE[name], periods, start, end)
    return [name_fault(fault, plans) for fault in faults]


def _lean_column(column: Column, frame: pd.DataFrame) -> Column:
    if column.type in ("code", "date", "datetime"):
        # Translated: a contract value, or a fault reported where it was translated.
        column = replace(column, type="text")
    if column.unique:
        values = frame[column.name]
        given = values[values != ""]
        if len(given.unique()) == len(given):
            column = replace(column, unique=False)
    return column


def _references_hold(tables: dict[str, pd.DataFrame], plans: dict[str, TablePlan]) -> bool:
    """True if every reference in a translated table is found (checked on distinct values)."""
    for name in plans:
        for column in TABLE[name].columns:
            if column.references is None:
                continue
            target, key = column.references
            values = pd.Series(tables[name][column.name].unique(), dtype="str")
            if (~values.isin(tables[target][key]) & (values != "")).any():
                return False
    return True


def name_fault(fault: Fault, plans: dict[str, TablePlan]) -> Fault:
    """``fault`` (in contract terms) as the export's file and header name it."""
    plan = next((p for p in plans.values() if p.table.file == fault.file), None)
    expected = fault.expected
    for other in plans.values():
        expected = expected.replace(f" in {other.table.file} ", f" in {other.file} ")
    if plan is None:
        return Fault(fault.file, fault.row, fault.column, fault.value, expected)
    column = plan.column_label(fault.column) if fault.column in plan.origins else fault.column
    return Fault(plan.file, fault.row, column, fault.value, expected)
