"""OParl objects to contract rows; the tables are in ``docs/import-oparl.md``.

Paper → case (with a ``registered`` event for the paper itself, its files as
documents, its related papers as relations); each Consultation, with its Meeting
and AgendaItem → an event (the meeting's day, the organisation as forum, the
agenda item's result as the kind by :data:`RESULT_KINDS`, its number as the
decision reference); Organization → forum; Meeting → meeting; AgendaItem with a
consultation → agenda row. Rows come out in a fixed order (cases by reference,
meetings by forum and day), so an unchanged paper gives unchanged rows whatever
else changed.
"""

from __future__ import annotations

import datetime as dt

from .rows import Rows, day, first_match, minute, text

#: An agenda item's result, by a word it holds (lower case), to the event's kind; first match wins.
RESULT_KINDS: tuple[tuple[str, str], ...] = (
    ("zurückgezogen", "withdrawn"),
    ("zurückverwiesen", "referred_back"),
    ("rückverwiesen", "referred_back"),
    ("vertagt", "tabled"),
    ("zurückgestellt", "tabled"),
    ("verschoben", "tabled"),
    ("abgesetzt", "tabled"),
    ("kenntnis", "presented"),
    ("empfohlen", "proposal"),
    ("empfehlung", "proposal"),
    ("überwiesen", "consultation"),
    ("verwiesen", "consultation"),
    ("beschlossen", "decided"),
    ("abgelehnt", "decided"),
    ("zugestimmt", "decided"),
    ("angenommen", "decided"),
    ("genehmigt", "decided"),
    ("beschluss", "decided"),
    ("erledigt", "closed"),
    ("beraten", "discussed"),
    ("behandelt", "discussed"),
    ("diskutiert", "discussed"),
)
#: Without a result: the consultation's role (lower case, a word it holds) to the kind.
ROLE_KINDS: tuple[tuple[str, str], ...] = (("kenntnis", "presented"),)
#: An organisation's type or classification (a word it holds) to the forum's kind; first match wins.
FORUM_KINDS: tuple[tuple[str, str], ...] = (
    ("fraktion", "party_group"),
    ("partei", "party_group"),
    ("präsidium", "presidium"),
    ("ältestenrat", "presidium"),
    ("extern", "external"),
    ("institution", "external"),
    ("verwaltung", "administration"),
    ("dezernat", "administration"),
    ("fachbereich", "administration"),
    ("referat", "administration"),
    ("amt", "administration"),
    ("ausschuss", "committee"),
    ("beirat", "network"),
    ("kommission", "network"),
    ("arbeitsgruppe", "network"),
    ("arbeitskreis", "network"),
    ("bezirksvertretung", "council"),
    ("bezirksbeirat", "council"),
    ("kreistag", "council"),
    ("rat", "council"),
    ("gremium", "committee"),
)
#: A paper's type (a word it holds) to its main file's document type.
MAIN_FILE_TYPES: tuple[tuple[str, str], ...] = (
    ("vorlage", "proposal"), ("antrag", "proposal"), ("anfrage", "letter"),
    ("mitteilung", "report"), ("bericht", "report"),
)  # fmt: skip
#: A meeting's ``meetingState`` (OParl recommends terminiert, eingeladen, durchgeführt) to its state.
MEETING_STATES: tuple[tuple[str, str], ...] = (
    ("durchgeführt", "held"), ("terminiert", "planned"), ("eingeladen", "planned"),
)
#: Event kinds after which a paper's case counts as closed.
CLOSING_KINDS = ("decided", "withdrawn", "closed")


def _list(value: object) -> list:
    """A list field as a list; anything else (a wrong type in real data) as none."""
    return value if isinstance(value, list) else []


def _urls(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item if isinstance(item, str) else str(item.get("id", "")) for item in value
                if isinstance(item, (str, dict))]  # fmt: skip
    return []


class _Mapping:
    def __init__(self, objects: dict[str, dict[str, dict]], today: dt.date, rows: Rows) -> None:
        self.objects = objects
        self.today = today.isoformat()
        self.rows = rows
        self.log = self.rows.log
        self.forum_of: dict[str, str] = {}
        self.meeting_of: dict[str, str] = {}
        self.case_of: dict[str, str] = {}  # paper URL → case ID
        self.paper_of_consultation: dict[str, str] = {}
        self.agenda_item = {item["id"]: item for meeting in objects["meeting"].values()
                            for item in _list(meeting.get("agendaItem"))
                            if isinstance(item, dict) and isinstance(item.get("id"), str)}  # fmt: skip

    def run(self) -> Rows:
        self.forums()
        self.meetings()
        papers = self.cases()
        for paper in papers:
            self.events_and_documents(paper)
        for paper in papers:
            self.relations(paper)
        self.agenda()
        return self.rows

    def forums(self) -> None:
        taken: set[str] = set()
        for org in sorted(self.objects["organization"].values(), key=lambda o: o["id"]):
            name = text(org.get("name")) or text(org.get("shortName"))
            if not name:
                self.log.leave_out("organization", org["id"], "it has no name")
                continue
            forum_id = text(org.get("shortName")) or name
            if forum_id in taken:
                forum_id = f"{forum_id} ({org['id'].rstrip('/').rsplit('/', 1)[-1]})"
            taken.add(forum_id)
            self.forum_of[org["id"]] = forum_id
            kind_words = " ".join(text(org.get(k)) for k in ("organizationType", "classification"))
            self.rows.add("forums", forum_id=forum_id, name=name,
                          kind=first_match(kind_words, FORUM_KINDS, "other"),
                          description=text(org.get("classification")))  # fmt: skip

    def _forum(self, value: object, where: str) -> str:
        for url in _urls(value):
            if url in self.forum_of:
                return self.forum_of[url]
        if _urls(value):
            self.log.leave_out("forum", where, f"its organisation {_urls(value)[0]} is not in the "
                                               "body's organization list; the row has no forum")  # fmt: skip
        return ""

    def meetings(self) -> None:
        found = []
        for meeting in self.objects["meeting"].values():
            when = minute(meeting.get("start"))
            forum = next((self.forum_of[u] for u in _urls(meeting.get("organization")) if u in self.forum_of), "")
            if not when:
                self.log.leave_out("meeting", meeting["id"], "it has no start date")
            elif not forum:
                self.log.leave_out("meeting", meeting["id"], "none of its organisations is in the "
                                                             "body's organization list")  # fmt: skip
            else:
                found.append((forum, when, meeting["id"], meeting))
        taken: set[str] = set()
        self.meeting_order: dict[str, int] = {}
        for forum, when, url, meeting in sorted(found):
            meeting_id = base = f"{forum} {when[:10]}"
            number = 1
            while meeting_id in taken:
                number += 1
                meeting_id = f"{base}-{number}"
            taken.add(meeting_id)
            self.meeting_of[url] = meeting_id
            self.meeting_order[meeting_id] = len(self.meeting_order)
            state = "cancelled" if meeting.get("cancelled") else first_match(
                text(meeting.get("meetingState")), MEETING_STATES,
                "held" if when[:10] < self.today else "planned")  # fmt: skip
            location = meeting.get("location")
            self.rows.add("meetings", meeting_id=meeting_id, forum_id=forum, date=when,
                          title=text(meeting.get("name")), state=state,
                          location=text(location.get("description")) if isinstance(location, dict) else "",
                          published=_invited(meeting))  # fmt: skip

    def cases(self) -> list[dict]:
        kept: dict[str, dict] = {}
        for paper in sorted(self.objects["paper"].values(), key=lambda p: p["id"]):
            reference, name = text(paper.get("reference")), text(paper.get("name"))
            opened = day(paper.get("date")) or day(paper.get("publishedDate"))
            reason = ("it has no reference (the case ID)" if not reference else
                      "it has no name (the case's title)" if not name else
                      "it has no date" if not opened else "")  # fmt: skip
            if reason:
                self.log.leave_out("paper", paper["id"], reason)
            elif reference in kept:
                self.log.leave_out("paper", paper["id"], f"its reference {reference!r} is that of "
                                                         f"{kept[reference]['id']} too; the first is kept")  # fmt: skip
            else:
                kept[reference] = paper
                self.case_of[paper["id"]] = reference
        return [kept[reference] for reference in sorted(kept)]

    def _consultations(self, paper: dict) -> list[dict]:
        seen: dict[str, dict] = {}
        for item in _list(paper.get("consultation")):
            if isinstance(item, str):
                self.log.leave_out("consultation", item, "the paper gives it only as a URL")
                continue
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            if item["id"] in seen:
                self.log.merge("consultation", item["id"], "listed twice in its paper; taken once")
                continue
            if item["id"] in self.paper_of_consultation:
                self.log.leave_out("consultation", item["id"], "listed under two papers; kept under "
                                   f"{self.paper_of_consultation[item['id']]}")  # fmt: skip
                continue
            seen[item["id"]] = item
            self.paper_of_consultation[item["id"]] = paper["id"]
        return list(seen.values())

    def events_and_documents(self, paper: dict) -> None:
        case_id = self.case_of[paper["id"]]
        opened = day(paper.get("date")) or day(paper.get("publishedDate"))
        events = [dict(event_id=paper["id"], case_id=case_id, date=opened, kind="registered",
                       title=text(paper.get("paperType")) or text(paper.get("name")))]  # fmt: skip
        for consultation in self._consultations(paper):
            event = self._event(case_id, consultation)
            if event:
                events.append(event)
        events.sort(key=lambda e: e["date"])
        closing = [e for e in events if e["kind"] in CLOSING_KINDS and e["date"] <= self.today]
        owner = next((e["forum_id"] for e in events if e.get("authoritative")), "")
        for seq, event in enumerate(events, start=1):
            event.pop("authoritative", None)
            self.rows.add("events", seq=seq, **event)
        self.rows.add("cases", case_id=case_id, title=text(paper.get("name")), opened=opened,
                      status="closed" if closing else "open", closed=closing[-1]["date"] if closing else "",
                      owner_forum_id=owner,
                      responsible="; ".join(n for u in _urls(paper.get("underDirectionOf"))
                                            if (n := self._org_name(u))))  # fmt: skip
        self._documents(case_id, paper, opened)

    def _org_name(self, url: str) -> str:
        org = self.objects["organization"].get(url)
        return text(org.get("name")) if org else ""

    def _event(self, case_id: str, consultation: dict) -> dict | None:
        meeting = self.objects["meeting"].get(text(consultation.get("meeting")))
        if meeting is None or not day(meeting.get("start")):
            self.log.leave_out("consultation", consultation["id"],
                               "its meeting is not in the body's meeting list, or has no date")  # fmt: skip
            return None
        if meeting.get("cancelled"):
            self.log.leave_out("consultation", consultation["id"], "its meeting was cancelled")
            return None
        item = self.agenda_item.get(text(consultation.get("agendaItem")), {})
        result = text(item.get("result"))
        kind = (first_match(result, RESULT_KINDS, "other") if result
                else first_match(text(consultation.get("role")), ROLE_KINDS, "discussed"))  # fmt: skip
        forum = self._forum(consultation.get("organization"), consultation["id"]) or \
            self._forum(meeting.get("organization"), meeting["id"])
        description = "\n".join(v for v in (result, text(item.get("resolutionText"))) if v)
        return dict(event_id=consultation["id"], case_id=case_id, date=day(meeting.get("start")),
                    kind=kind, forum_id=forum, title=text(item.get("name")) or text(consultation.get("role"))
                    or case_id, description=description, decision_ref=text(item.get("number")),
                    authoritative=bool(consultation.get("authoritative")))  # fmt: skip

    def _documents(self, case_id: str, paper: dict, opened: str | None) -> None:
        main_type = first_match(text(paper.get("paperType")), MAIN_FILE_TYPES, "other")
        files = [(paper.get("mainFile"), main_type)]
        files += [(f, "attachment") for f in _list(paper.get("auxiliaryFile"))]
        for file, doc_type in files:
            if not isinstance(file, dict):
                continue
            title = text(file.get("name")) or text(file.get("fileName"))
            if not title:
                self.log.leave_out("file", text(file.get("id")), "it has no name")
                continue
            self.rows.add("documents", case_id=case_id, date=day(file.get("date")) or opened,
                          title=title, doc_type=doc_type, link=text(file.get("accessUrl")))  # fmt: skip

    def relations(self, paper: dict) -> None:
        case_id = self.case_of[paper["id"]]
        seen: set[tuple[str, str]] = set()
        for field_name, relation in (("superordinatedPaper", "depends_on"), ("relatedPaper", "related")):
            for url in _urls(paper.get(field_name)):
                other = self.case_of.get(url)
                if other is None:
                    self.log.leave_out("relation", f"{paper['id']} → {url}",
                                       "the related paper is not among the imported cases")  # fmt: skip
                elif other != case_id and (case_id, other) not in seen:
                    seen.add((case_id, other))
                    self.rows.add("relations", case_id=case_id, related_case_id=other, relation=relation)

    def agenda(self) -> None:
        order = self.meeting_order
        items = []
        for url, meeting_id in self.meeting_of.items():
            for place, item in enumerate(_list(self.objects["meeting"][url].get("agendaItem")), start=1):
                if not isinstance(item, dict):
                    continue
                paper = self.paper_of_consultation.get(text(item.get("consultation")))
                if paper is None:
                    continue  # a point without a paper (opening, minutes, any other business)
                number = text(item.get("number"))
                if not number:
                    number = str(place)
                    self.log.merge("agenda item", text(item.get("id")),
                                   f"it has no number; its place on the agenda ({place}) is used")  # fmt: skip
                items.append((order[meeting_id], place, dict(
                    meeting_id=meeting_id, item=number, case_id=self.case_of[paper],
                    title=text(item.get("name")))))  # fmt: skip
        for _, _, row in sorted(items, key=lambda entry: entry[:2]):
            self.rows.add("agenda", **row)


def to_rows(objects: dict[str, dict[str, dict]], today: dt.date, rows: Rows | None = None) -> Rows:
    """The contract's rows for a body's ``objects`` (by list and id), as of ``today``, added to ``rows``."""
    return _Mapping(objects, today, rows if rows is not None else Rows()).run()


def _invited(meeting: dict) -> str:
    """The day the meeting's invitation (with its agenda) went out: its file's date, else the day
    the file was made; "" when the server gives no invitation object with either."""
    invitation = meeting.get("invitation")
    if not isinstance(invitation, dict):
        return ""
    return day(invitation.get("date")) or day(invitation.get("created")) or ""
