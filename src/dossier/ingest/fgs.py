"""FGS Ärendehantering 1.0 and 2.0 (CITS ERMS 2.x) to a data folder; tables in ``docs/import-fgs.md``.

The version is told by the root element: ``Leveransobjekt`` (FGS 1.0, namespace
``http://xml.ra.se/e-arkiv/FGS-ERMS`` or none) or ``erms`` (ERMS,
``https://DILCIS.eu/XML/ERMS``). Each case (``ArkivobjektArende``, or an
``aggregation`` of type ``caseFile``) becomes a :class:`Case` as it is read, and
its rows are written before the next case is read: a delivery streams through.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import SourceError
from .folder import Imported, is_language_tag, publish, staged
from .rows import Rows, day, first_match, text
from .xml_stream import attribute, child, child_text, children, local, namespace, stream

FGS1, ERMS = "FGS Ärendehantering 1.0", "FGS Ärendehantering 2.0 (CITS ERMS 2.x)"
#: A document's type or title (a word it holds, lower case) to the event's kind; first match wins.
RECORD_KINDS: tuple[tuple[str, str], ...] = (
    ("beslut", "decided"), ("protokoll", "decided"), ("decision", "decided"),
    ("tjänsteskrivelse", "proposal"), ("förslag", "proposal"), ("proposal", "proposal"),
    ("remiss", "consultation"), ("yttrande", "consultation"),
)  # fmt: skip
#: The document's direction to the event's kind: always so for outgoing documents (expedierat,
#: a minutes extract sent out), else where the document's type tells nothing.
DIRECTION_KINDS = {"incoming": "registered", "outgoing": "communicated", "internal": "prepared"}
#: A document's type (a word it holds) to the type of its appendices in documents.csv.
DOC_TYPES: tuple[tuple[str, str], ...] = (
    ("protokoll", "minutes_extract"), ("beslut", "minutes_extract"), ("tjänsteskrivelse", "report"),
    ("utredning", "report"), ("rapport", "report"), ("förslag", "proposal"),
    ("brev", "letter"), ("skrivelse", "letter"),
)  # fmt: skip
#: Relation types (a word they hold) to the contract's relations; first match wins.
RELATIONS: tuple[tuple[str, str], ...] = (
    ("is_replaced", "other"), ("ersätts", "other"), ("ersätter", "replaces"), ("replaces", "replaces"),
    ("fortsätt", "continues"), ("continu", "continues"), ("referens", "related"),
    ("reference", "related"), ("relater", "related"),
)  # fmt: skip
#: Case statuses (a word they hold) that mean the case is closed.
CLOSED_WORDS = ("avslut", "stängt", "ad acta", "ad_acta", "arkiver", "makuler", "closed",
                "obliterated", "completed")  # fmt: skip
UNITS = frozenset({"ArkivobjektArende", "ArkivobjektHandling", "aggregation", "record"})


@dataclass
class Case:
    """One case as read, in the contract's terms, before it becomes rows."""

    case_id: str
    title: str
    opened: str | None
    closed: str | None = None
    status_words: str = ""
    responsible: str = ""
    unit: str = ""
    organisation: str = ""
    notes: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    relations: list[tuple[str, str]] = field(default_factory=list)


def _own_elements(elem: Element | None) -> list[str]:
    """FGS ``EgnaElement``/``EgetElement`` and ERMS ``ownElement``: ``name: value`` lines."""
    lines = []
    for own in [] if elem is None else elem.iter():
        if local(own.tag) in ("EgetElement", "Egenskap", "ownElement"):
            name = attribute(own, "Namn") or attribute(own, "name")
            value = child_text(own, "Varde") or child_text(own, "value") or text(own.text)
            if name and value:
                lines.append(f"{name}: {value}")
    return lines


def _xml_data(elem: Element | None) -> list[str]:
    """ERMS ``additionalXMLData``: each leaf element as ``name: text``."""
    return [f"{local(leaf.tag)}: {text(leaf.text)}" for data in children(elem, "additionalXMLData")
            for leaf in data.iter() if len(leaf) == 0 and text(leaf.text)]  # fmt: skip


def _event(case: Case, event_id: str, when: str | None, kind: str, title: str, **more: object) -> None:
    if when and title:
        case.events.append(dict(event_id=event_id, case_id=case.case_id, date=when, kind=kind,
                                title=title, **more))  # fmt: skip


def _agent(agent: Element, *, fgs: bool) -> tuple[str, str, str]:
    """An agent's name, unit and organisation."""
    if fgs:
        return child_text(agent, "Namn"), child_text(agent, "Enhetsnamn"), child_text(agent, "Organisationsnamn")
    return child_text(agent, "name"), child_text(agent, "unitName"), child_text(agent, "organisation")


def _responsible(case: Case, agents: list[Element], *, fgs: bool) -> None:
    for agent in agents:
        role = child_text(agent, "Roll") if fgs else attribute(agent, "agentType")
        if first_match(role, (("handläggare", "y"), ("ansvarig", "y"), ("responsible", "y")), ""):
            name, unit, organisation = _agent(agent, fgs=fgs)
            case.responsible = ", ".join(v for v in (name, unit) if v)
            case.unit, case.organisation = unit or organisation, organisation
            return


def fgs1_case(elem: Element) -> Case:
    """An ``ArkivobjektArende`` of FGS 1.0 as a :class:`Case`."""
    title = child_text(elem, "Arendemening")
    opened = day(child_text(elem, "Inkommen")) or day(child_text(elem, "Upprattad")) or day(child_text(elem, "Skapad"))
    case = Case(child_text(elem, "ArkivobjektID"), title, opened, day(child_text(elem, "Avslutat")),
                child_text(elem, "StatusArande"))  # fmt: skip
    _responsible(case, children(elem, "Agent"), fgs=True)
    case.notes = [v for v in (child_text(elem, "Beskrivning"),) if v] + _own_elements(child(elem, "EgnaElement"))
    own = attribute(elem, "Systemidentifierare") or case.case_id
    for name, kind in (("Beslutat", "decided"), ("Expedierad", "communicated"), ("Avslutat", "closed")):
        _event(case, f"{own}#{name}", day(child_text(elem, name)), kind, title)
    for relation in children(elem, "ArendeRelation"):
        kind = attribute(relation, "AnnanTyp") or attribute(relation, "Typ")
        case.relations.append((text(relation.text), first_match(kind, RELATIONS, "other")))
    for bilaga in children(elem, "Bilaga"):
        _appendix(case, bilaga, opened, "attachment")
    for handling in children(child(elem, "ArkivobjektListaHandlingar"), "ArkivobjektHandling"):
        _fgs1_handling(case, handling)
    return case


def _fgs1_handling(case: Case, handling: Element) -> None:
    if first_match(child_text(handling, "StatusHandling"), (("makuler", "y"),), ""):
        return  # makulerad: struck out of the registry
    dates = {name: day(child_text(handling, name)) for name in ("Inkommen", "Expedierad", "Upprattad", "Skapad")}
    direction, when = next(((d, dates[n]) for n, d in (("Inkommen", "incoming"), ("Expedierad", "outgoing"),
                            ("Upprattad", "internal"), ("Skapad", "internal")) if dates[n]), ("internal", None))  # fmt: skip
    doc_type = child_text(handling, "Handlingstyp")
    title = child_text(handling, "Rubrik") or child_text(handling, "Beskrivning") or doc_type
    unit = next((u for a in children(handling, "Agent") if (u := _agent(a, fgs=True)[1])), "")
    notes = [v for v in (child_text(handling, "Beskrivning"),) if v and v != title]
    lopnummer = child_text(handling, "Lopnummer")
    _event(case, attribute(handling, "Systemidentifierare") or child_text(handling, "ArkivobjektID"),
           when, _kind(direction, f"{doc_type} {title}"), title,
           forum=unit, description="\n".join(notes + _own_elements(child(handling, "EgnaElement"))),
           document=doc_type, seq=lopnummer if lopnummer.isdigit() else "")  # fmt: skip
    for bilaga in children(handling, "Bilaga"):
        _appendix(case, bilaga, when or case.opened, first_match(doc_type, DOC_TYPES, "attachment"))


def _kind(direction: str, words: str) -> str:
    if direction == "outgoing":
        return DIRECTION_KINDS[direction]
    return first_match(words, RECORD_KINDS, DIRECTION_KINDS[direction])


def _appendix(case: Case, elem: Element, when: str | None, doc_type: str) -> None:
    title = (attribute(elem, "Beskrivning") or attribute(elem, "description")
             or attribute(elem, "Namn") or attribute(elem, "name"))  # fmt: skip
    case.documents.append(dict(case_id=case.case_id, date=when, title=title, doc_type=doc_type,
                               link=attribute(elem, "Lank") or attribute(elem, "path")))  # fmt: skip


def _erms_dates(elem: Element | None) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for dates in children(elem, "dates"):
        for date in dates:
            kind = attribute(date, "dateType")
            kind = attribute(date, "otherDateType") if kind.casefold() == "other" else kind
            found.setdefault(kind, day(text(date.text)))
    return found


def erms_case(elem: Element) -> Case:
    """An ``aggregation`` of type ``caseFile`` of ERMS 2.x as a :class:`Case`."""
    dates = _erms_dates(elem)
    title = child_text(elem, "title")
    opened = dates.get("opened") or dates.get("created") or dates.get("originated")
    case = Case(child_text(elem, "objectId"), title, opened, dates.get("closed"),
                attribute(child(elem, "status"), "value"))  # fmt: skip
    _responsible(case, children(child(elem, "agents"), "agent"), fgs=False)
    info = child(elem, "additionalInformation")
    case.notes = [v for v in (child_text(elem, "description"),) if v] + _own_elements(info) + _xml_data(info)
    own = attribute(elem, "systemIdentifier") or case.case_id
    _event(case, f"{own}#closed", dates.get("closed"), "closed", title)
    for relation in children(elem, "relation"):
        kind = attribute(relation, "relationType")
        kind = attribute(relation, "otherRelationType") or kind if kind.casefold() == "other" else kind
        case.relations.append((" ".join("".join(relation.itertext()).split()), first_match(kind, RELATIONS, "other")))
    for appendix in children(info, "appendix"):
        _appendix(case, appendix, opened, "attachment")
    for number, action in enumerate(children(elem, "action"), start=1):
        _erms_action(case, action, f"{own}#action-{number}", "")
    for record in children(elem, "record"):
        _erms_record(case, record)
    return case


def _erms_action(case: Case, action: Element, event_id: str, forum: str) -> None:
    action_dates = [(attribute(d, "dateType"), day(text(d.text))) for ds in children(action, "dates") for d in ds]
    when = next((d for t, d in action_dates if d and "decision" in t), None) or next((d for _, d in action_dates if d), None)
    words = child_text(action, "actionText")
    deciders = [n for a in children(child(action, "agents"), "agent") if (n := child_text(a, "name"))]
    _event(case, event_id, when, first_match(child_text(action, "actionType"), RECORD_KINDS, "other"),
           words.splitlines()[0] if words else child_text(action, "actionType"),
           forum=deciders[0] if deciders else forum, forum_kind="other" if deciders else "administration",
           description="\n".join(v for v in (words if "\n" in words else "", child_text(action, "actionMotivation")) if v))  # fmt: skip


def _erms_record(case: Case, record: Element) -> None:
    if attribute(child(record, "status"), "value").casefold() == "obliterated":
        return
    direction_elem = child(record, "direction")
    direction = attribute(direction_elem, "directionDefinition").casefold()
    if direction == "other" or direction not in DIRECTION_KINDS:
        direction = "internal"
    dates = _erms_dates(record)
    when = {"incoming": dates.get("received"), "outgoing": dates.get("expedited")}.get(direction) \
        or dates.get("originated") or dates.get("created")
    title = child_text(record, "title")
    doc_type = attribute(record, "recordType")
    unit = next((u for a in children(child(record, "agents"), "agent") if (u := _agent(a, fgs=False)[1])), "")
    running = child_text(record, "runningNumber")
    event_id = attribute(record, "systemIdentifier") or child_text(record, "objectId")
    info = child(record, "additionalInformation")
    notes = [v for v in (child_text(record, "description"),) if v] + _own_elements(info) + _xml_data(info)
    _event(case, event_id, when, _kind(direction, f"{doc_type} {title}"),
           title or doc_type, forum=unit, description="\n".join(notes), document=doc_type,
           seq=running if running.isdigit() else "")  # fmt: skip
    for number, action in enumerate(children(record, "action"), start=1):
        _erms_action(case, action, f"{event_id}#action-{number}", unit)
    for appendix in children(info, "appendix"):
        _appendix(case, appendix, when or case.opened, first_match(doc_type, DOC_TYPES, "attachment"))


class _Collector:
    """Cases as rows, as they come; relations and forums once every case is known."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.log = self.rows.log
        self.cases: set[str] = set()
        self.event_ids: set[str] = set()
        self.forums: dict[str, tuple[str, str]] = {}
        self.relations: list[tuple[str, str, str]] = []

    def _forum(self, name: str, kind: str, organisation: str = "") -> str:
        if name and name not in self.forums:
            self.forums[name] = (kind, organisation)
        return name

    def take(self, case: Case, source: str) -> None:
        reason = ("it has no ArkivobjektID/objectId (the case ID)" if not case.case_id else
                  "it has no Arendemening/title" if not case.title else
                  "it has no date it was opened (Inkommen, Upprattad, Skapad; opened, created)"
                  if not case.opened else
                  f"its case ID is that of an earlier case in {source}" if case.case_id in self.cases else "")  # fmt: skip
        if reason:
            self.log.leave_out("case", f"{source}: {case.case_id or case.title or '?'}", reason)
            return
        self.cases.add(case.case_id)
        closed = bool(case.closed) or bool(first_match(case.status_words, ((w, "y") for w in CLOSED_WORDS), ""))
        self.rows.add("cases", case_id=case.case_id, title=case.title, opened=case.opened,
                      status="closed" if closed else "open", closed=case.closed if closed else "",
                      owner_forum_id=self._forum(case.unit, "administration", case.organisation),
                      responsible=case.responsible, summary="\n".join(case.notes))  # fmt: skip
        if not any(e["kind"] == "registered" and e["date"] == case.opened for e in case.events):
            _event(case, f"{case.case_id}#opened", case.opened, "registered", case.title)
        events = sorted(case.events, key=lambda e: (e["date"], e["kind"] != "registered",
                                                    int(e.get("seq") or 0)))  # fmt: skip
        for seq, event in enumerate(events, start=1):
            if event["event_id"] in self.event_ids:
                self.log.leave_out("event", f"{source}: {event['event_id']}", "its ID is that of an earlier event")
                continue
            self.event_ids.add(event["event_id"])
            forum = self._forum(event.pop("forum", ""), event.pop("forum_kind", "administration"))
            self.rows.add("events", **{**event, "seq": seq, "forum_id": forum})
        for document in case.documents:
            if document["title"]:
                self.rows.add("documents", **document)
            else:
                self.log.leave_out("appendix", f"{source}: {case.case_id}", "it has no name")
        self.relations += [(case.case_id, target, kind) for target, kind in case.relations]

    def finish(self) -> Rows:
        seen = set()
        for case_id, target, kind in self.relations:
            if target not in self.cases:
                self.log.leave_out("relation", f"{case_id} → {target}", "the related case is not in the delivery")
            elif target != case_id and (case_id, target) not in seen:
                seen.add((case_id, target))
                self.rows.add("relations", case_id=case_id, related_case_id=target, relation=kind)
        for name, (kind, organisation) in sorted(self.forums.items()):
            self.rows.add("forums", forum_id=name, name=name, kind=kind, organisation=organisation)
        return self.rows


def _read_file(path: Path, collector: _Collector, bar=None) -> dict[str, object]:
    units = stream(path, UNITS, bar.update if bar is not None else None)
    root, _ = next(units)
    name = local(root.tag)
    if name not in ("Leveransobjekt", "erms"):
        raise SourceError(f"{path}: the root element is <{name}>, neither FGS Ärendehantering 1.0 "
                          "(<Leveransobjekt>) nor 2.0, CITS ERMS (<erms>)")  # fmt: skip
    fgs1 = name == "Leveransobjekt"
    case_unit, item_unit = ("ArkivobjektArende", "ArkivobjektHandling") if fgs1 else ("aggregation", "record")
    cases = 0
    for elem, ancestors in units:
        tag, inside = local(elem.tag), any(local(a.tag) == case_unit for a in ancestors)
        if tag == case_unit and (fgs1 or attribute(elem, "aggregationType") == "caseFile"):
            collector.take(fgs1_case(elem) if fgs1 else erms_case(elem), path.name)
            cases += 1
            if bar is not None and cases % 100 == 0:
                bar.set_postfix_str(f"{collector.rows.counts()['cases']} cases", refresh=False)
        elif tag == item_unit and not inside:
            collector.log.leave_out("document", f"{path.name}: {child_text(elem, 'ArkivobjektID') or child_text(elem, 'objectId')}",
                                    "it belongs to no case")  # fmt: skip
        else:
            continue
        ancestors[-1].remove(elem)
    return {"file": str(path), "standard": FGS1 if fgs1 else ERMS, "namespace": namespace(root.tag),
            "cases": cases, "lang": attribute(root, "lang")}  # fmt: skip


def _bar(total: int):
    """A bar of the bytes read on a terminal (with the cases read), or None elsewhere."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="FGS", file=sys.stderr)


def import_fgs(path: Path, out: Path, *, data_lang: str | None = None, progress: bool = True) -> Path:
    """Import the FGS/ERMS delivery at ``path`` (an XML file, or a folder of them) into ``out``.

    With ``progress``, a bar of the bytes read on a terminal and a line on what was read (stderr).

    Raises SourceError for a file that is not FGS/ERMS, broken, or declares entities, and
    OutputError for an ``out`` that cannot take the folder; ``out`` then stays as it was.
    """
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml" and p.is_file())
    elif path.is_file():
        files = [path]
    else:
        raise SourceError(f"{path}: no such file or folder")
    if not files:
        raise SourceError(f"{path}: the folder holds no .xml file")
    with staged(out) as (staging, rows):
        collector = _Collector(rows)
        bar = _bar(sum(file.stat().st_size for file in files)) if progress else None
        try:
            read = [_read_file(file, collector, bar) for file in files]
        finally:
            if bar is not None:
                bar.close()
        collector.finish()
        declared = {str(f["lang"]) for f in read if is_language_tag(f["lang"])}
        if data_lang:
            lang, lang_from = data_lang, "--data-lang"
        elif len(declared) == 1:
            lang, lang_from = declared.pop(), "xml:lang of the delivery's root element"
        else:
            lang, lang_from = "sv", "assumed: FGS is the standard of Swedish registries (give --data-lang to say otherwise)"
        described = {"standard": "FGS Ärendehantering", "source": str(path), "imported_at": started,
                     "files": read}  # fmt: skip
        counts = rows.counts()
        if progress:
            print(f"dossier import: read {len(files)} file(s): {counts['cases']} cases, "
                  f"{counts['events']} events", file=sys.stderr)  # fmt: skip
        return publish(out, staging, rows, Imported(lang, lang_from), described)
