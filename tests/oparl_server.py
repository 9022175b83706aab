"""A local OParl 1.1 (or 1.0) server for tests and the import benchmark: a thread on 127.0.0.1.

The objects follow the OParl 1.1 schema (System → Body → lists of Organization,
Meeting with embedded AgendaItems, Paper with embedded Consultations and Files).
Lists are paginated (``links.next``) and take ``modified_since``; a path can be
made to answer 503 once, or to hold its answer until the test lets it go.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

LISTS = ("organization", "meeting", "paper")


def stamp(when: dt.datetime | None = None) -> str:
    return (when or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()


@dataclass
class OParlData:
    """The server's objects by list and id, and how it behaves."""

    version: str = "1.1"
    objects: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in LISTS})
    page_size: int = 20
    #: Paths (with query) answered 503 once each.
    fail_once: set[str] = field(default_factory=set)
    #: The status ``fail_once`` answers with (503, 429, …).
    fail_status: int = 503
    #: Paths whose connection is dropped, without an answer, once each.
    drop_once: set[str] = field(default_factory=set)
    #: The most requests that were under way at once.
    most_at_once: int = 0
    _at_once: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: A path whose answer waits for ``release``; ``waiting`` is set when it is asked.
    hold: str | None = None
    waiting: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[str] = field(default_factory=list)
    base: str = ""
    #: Seconds the server takes to answer each request, as a real one building its pages does.
    latency: float = 0.0
    #: Seconds the server's clock (its Date header) is ahead of this machine's (behind: negative).
    clock: float = 0.0

    def schema(self, kind: str) -> str:
        return f"https://schema.oparl.org/{self.version}/{kind}"

    def url(self, path: str) -> str:
        return f"{self.base}/oparl/{path}"

    def put(self, kind: str, obj: dict, when: dt.datetime | None = None) -> dict:
        obj.setdefault("type", self.schema(kind.capitalize() if kind != "agendaItem" else "AgendaItem"))
        obj["modified"] = stamp(when)
        obj.setdefault("created", obj["modified"])
        self.objects[kind][obj["id"]] = obj
        return obj

    def delete(self, kind: str, url: str) -> None:
        old = self.objects[kind][url]
        self.objects[kind][url] = {"id": url, "type": old["type"], "created": old["created"],
                                   "modified": stamp(), "deleted": True}  # fmt: skip

    def system(self) -> dict:
        return {"id": self.url(""), "type": self.schema("System"),
                "oparlVersion": f"https://schema.oparl.org/{self.version}/",
                "body": self.url("bodies"), "name": "Ratsinformationssystem Musterstadt"}  # fmt: skip

    def body(self) -> dict:
        found = {"id": self.url("body/1"), "type": self.schema("Body"), "system": self.url(""),
                 "name": "Stadt Musterstadt", "shortName": "Musterstadt"}  # fmt: skip
        found.update({kind: self.url(f"body/1/{kind}") for kind in LISTS})
        return found

    def page(self, kind: str, query: dict[str, list[str]]) -> dict:
        since = query.get("modified_since", [None])[0]
        number = int(query.get("page", ["1"])[0])
        found = sorted(self.objects[kind].values(), key=lambda o: o["id"])
        if since:
            limit = dt.datetime.fromisoformat(since)
            found = [o for o in found if dt.datetime.fromisoformat(o["modified"]) >= limit]
        pages = max(1, -(-len(found) // self.page_size))
        data = found[(number - 1) * self.page_size : number * self.page_size]
        query_tail = f"&modified_since={quote(since, safe='')}" if since else ""
        links = {"first": self.url(f"body/1/{kind}?page=1{query_tail}")}
        if number < pages:
            links["next"] = self.url(f"body/1/{kind}?page={number + 1}{query_tail}")
        return {"data": data, "links": links,
                "pagination": {"totalElements": len(found), "elementsPerPage": self.page_size,
                               "currentPage": number, "totalPages": pages}}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    data: OParlData

    def log_message(self, *args: object) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return super().date_time_string(time.time() + self.data.clock if timestamp is None else timestamp)

    def do_GET(self) -> None:
        data = self.data
        with data._lock:
            data._at_once += 1
            data.most_at_once = max(data.most_at_once, data._at_once)
        try:
            self._answer()
        finally:
            with data._lock:
                data._at_once -= 1

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        data = self.data
        data.requests.append(self.path)
        if self.path in data.drop_once:
            data.drop_once.discard(self.path)
            self.close_connection = True
            return
        if self.path in data.fail_once:
            data.fail_once.discard(self.path)
            return self._send(data.fail_status, b"busy", "text/plain", {"Retry-After": "0"})
        if data.hold and self.path.startswith(data.hold):
            data.waiting.set()
            data.release.wait()
        if data.latency:
            time.sleep(data.latency)
        path = parts.path.removeprefix("/oparl/").rstrip("/")
        query = parse_qs(parts.query)
        if path in ("", "/oparl"):
            answer = data.system()
        elif path == "bodies":
            answer = {"data": [data.body()], "links": {}, "pagination": {}}
        elif path == "body/1":
            answer = data.body()
        elif path.startswith("body/1/") and path.split("/")[-1] in LISTS:
            answer = data.page(path.split("/")[-1], query)
        elif path == "not-oparl" or parts.path == "/":
            return self._send(200, b"<html><body>Willkommen</body></html>", "text/html")
        else:
            return self._send(404, b'{"type": "https://schema.oparl.org/1.1/Error"}', "application/json")
        self._send(200, json.dumps(answer).encode("utf-8"), "application/json",
                   {"Content-Language": "de"})  # fmt: skip

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (an interrupted import) is no error of the server's."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class OParlServer:
    """Serve ``data`` on 127.0.0.1, a free port, in a thread: ``with OParlServer(data) as url: …``."""

    def __init__(self, data: OParlData) -> None:
        handler = type("Handler", (_Handler,), {"data": data})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        data.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.data = data
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return self.data.url("")

    def __exit__(self, *exc: object) -> None:
        self.data.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


ORGANISATIONS = (
    ("Rat", "Rat der Stadt", "Gremium", "Rat"),
    ("HA", "Hauptausschuss", "Gremium", "Ausschuss"),
    ("StEA", "Stadtentwicklungsausschuss", "Gremium", "Ausschuss"),
    ("FA", "Finanzausschuss", "Gremium", "Ausschuss"),
    ("SchA", "Schulausschuss", "Gremium", "Ausschuss"),
    ("UA", "Umweltausschuss", "Gremium", "Ausschuss"),
    ("BV1", "Bezirksvertretung Innenstadt", "Gremium", "Bezirksvertretung"),
    ("Dez. III", "Dezernat III – Planen und Bauen", "Verwaltungsbereich", "Dezernat"),
    ("Fraktion A", "Fraktion Bündnis Musterstadt", "Fraktion", "Fraktion"),
)
RESULTS = ("ungeändert beschlossen", "geändert beschlossen", "zur Kenntnis genommen", "vertagt",
           "zurückverwiesen", "abgelehnt", "einstimmig empfohlen")  # fmt: skip
SUBJECTS = ("Bebauungsplan Nr. {n} „Am Mühlenbach“", "Sanierung der Grundschule Nord ({n})",
            "Haushaltssatzung {y}", "Radverkehrskonzept, Abschnitt {n}", "Anfrage zur Straßenbeleuchtung ({n})",
            "Neubau Feuerwache Süd, Bauabschnitt {n}", "Klimaschutzprogramm {y}, Maßnahme {n}")  # fmt: skip


def city(data: OParlData, *, papers: int, meetings: int, items: int = 20, seed: int = 1,
         start: dt.date = dt.date(2019, 1, 14), end: dt.date = dt.date(2026, 1, 12),
         dated_after_decision: bool = True) -> OParlData:  # fmt: skip
    """Fill ``data`` with a city's records in the shape of real OParl data.

    ``meetings`` meetings of the organisations from ``start`` to ``end``, ``items`` agenda
    items each; ``papers`` papers, each consulted in one to three meetings in order (the last
    decides), a main file and at times an attachment, some related to an earlier paper. The
    council's meeting on ``end`` (``meeting/1``) has 60 items: the 60 latest papers, each
    recommended by a committee before, are decided there (without results when ``end`` is
    after today: the meeting is ahead). Real data's faults are in it too: a paper without a
    reference, a consultation listed twice, agenda items without a number, and (unless
    ``dated_after_decision`` is false) a paper dated after its decision.
    """
    rng = random.Random(seed)
    orgs = _calendar(data, meetings, items, start, end)
    council = data.objects["meeting"][data.url("meeting/1")]
    meetings_in_order = sorted((m for m in data.objects["meeting"].values() if m is not council),
                               key=lambda m: (m["start"], m["id"]))  # fmt: skip
    free = {m["id"]: [i for i in m["agendaItem"]] for m in meetings_in_order}
    for number in range(1, papers + 1):
        year = 2019 + number * 6 // max(papers, 1)
        subject = rng.choice(SUBJECTS).format(n=number, y=year)
        paper = {"id": data.url(f"paper/{number}"), "body": data.url("body/1"), "name": subject,
                 "reference": f"{number:04d}/{year}" if number % 1009 else "",
                 "paperType": rng.choice(("Beschlussvorlage", "Antrag", "Mitteilungsvorlage", "Anfrage")),
                 "underDirectionOf": [orgs[7]["id"]], "consultation": [],
                 "mainFile": {"id": data.url(f"file/{number}"), "name": f"Vorlage {number:04d}/{year}",
                              "accessUrl": data.url(f"file/{number}/download"), "mimeType": "application/pdf"}}  # fmt: skip
        if number % 5 == 0:
            paper["auxiliaryFile"] = [{"id": data.url(f"file/{number}-1"), "name": "Anlage 1 Lageplan",
                                       "accessUrl": data.url(f"file/{number}-1/download")}]  # fmt: skip
        if number > 10 and number % 7 == 0:
            paper["relatedPaper"] = [data.url(f"paper/{number - 7}")]
        steps = rng.randint(1, 3)
        first_day = None
        place = (number - 1) * len(meetings_in_order) // max(papers, 1)
        for step in range(steps):
            while place < len(meetings_in_order) and not free[meetings_in_order[place]["id"]]:
                place += 1
            if place >= len(meetings_in_order):
                break
            meeting = meetings_in_order[place]
            item = free[meeting["id"]].pop(0)
            place += rng.randint(1, 4)
            item["name"] = subject
            item["consultation"] = data.url(f"consultation/{number}-{step}")
            last = step == steps - 1
            item["result"] = rng.choice(RESULTS[:2]) if last else rng.choice(RESULTS[2:])
            first_day = first_day or meeting["start"][:10]
            paper["consultation"].append({
                "id": item["consultation"], "paper": paper["id"], "meeting": meeting["id"],
                "agendaItem": item["id"], "organization": meeting["organization"],
                "role": "Entscheidung" if last else "Vorberatung", "authoritative": last})  # fmt: skip
        first_day = first_day or start.isoformat()
        day = dt.date.fromisoformat(first_day) - dt.timedelta(days=rng.randint(7, 30))
        if dated_after_decision and number % 1013 == 0:
            day = dt.date.fromisoformat(first_day) + dt.timedelta(days=3)  # dated after its meeting
        paper["date"] = day.isoformat()
        if number % 997 == 0:
            paper["consultation"].append(dict(paper["consultation"][0]))  # listed twice
        data.put("paper", paper, WHEN)
    _council_decides(data, council, end)
    return data


WHEN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _calendar(data: OParlData, meetings: int, items: int, start: dt.date, end: dt.date) -> list[dict]:
    """The organisations, and their meetings with empty agenda items; the organisations."""
    orgs = []
    for number, (short, name, kind, classification) in enumerate(ORGANISATIONS, start=1):
        orgs.append(data.put("organization", {"id": data.url(f"organization/{number}"), "name": name,
                                              "shortName": short, "organizationType": kind,
                                              "classification": classification}, WHEN))  # fmt: skip
    gremien = [o for o in orgs if o["organizationType"] == "Gremium"]
    for number in range(1, meetings + 1):
        org = gremien[0] if number == 1 else gremien[number % len(gremien)]
        day = end if number == 1 else start + dt.timedelta(days=(number - 1) * (end - start).days // meetings)
        meeting = {"id": data.url(f"meeting/{number}"), "name": f"{number}. Sitzung des Gremiums {org['shortName']}",
                   "start": f"{day.isoformat()}T17:00:00+01:00", "end": f"{day.isoformat()}T19:30:00+01:00",
                   "organization": [org["id"]], "location": {"description": "Rathaus, Ratssaal"},
                   "cancelled": number % 97 == 0, "agendaItem": []}  # fmt: skip
        for place in range(1, (max(items, 60) if number == 1 else items) + 1):
            meeting["agendaItem"].append({"id": data.url(f"agendaitem/{number}-{place}"), "meeting": meeting["id"],
                                          "number": "" if (number * place) % 211 == 0 else f"Ö {place}",
                                          "name": "", "public": True})  # fmt: skip
        data.put("meeting", meeting, WHEN)
    return orgs


def _council_decides(data: OParlData, council: dict, end: dt.date) -> None:
    """The 60 latest papers decided at the council's meeting, recommended by a committee before."""
    ahead = end > dt.date.today()
    latest = sorted((p for p in data.objects["paper"].values() if p["consultation"]),
                    key=lambda p: (p["consultation"][-1]["meeting"] and
                                   data.objects["meeting"][p["consultation"][-1]["meeting"]]["start"], p["id"]))  # fmt: skip
    for paper, item in zip(reversed(latest), council["agendaItem"], strict=False):
        last = paper["consultation"][-1]
        last.update(role="Vorberatung", authoritative=False)
        meeting = data.objects["meeting"][last["meeting"]]
        before = next(i for i in meeting["agendaItem"] if i["id"] == last["agendaItem"])
        before["result"] = "einstimmig empfohlen"
        item.update(name=paper["name"], consultation=data.url(f"consultation/{paper['id'].rsplit('/', 1)[-1]}-rat"))
        if not ahead:
            item["result"] = "ungeändert beschlossen"
        paper["consultation"].append({"id": item["consultation"], "paper": paper["id"], "meeting": council["id"],
                                      "agendaItem": item["id"], "organization": council["organization"],
                                      "role": "Entscheidung", "authoritative": True})  # fmt: skip
