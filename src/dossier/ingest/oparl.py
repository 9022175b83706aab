"""OParl 1.0 and 1.1: a body's papers, meetings and organisations read from its server.

The reader starts from a System URL (and ``--body`` when the system holds several
bodies) or a Body URL, and reads the body's three lists (``organization``,
``meeting``, ``paper``) at once, each page after page by ``links.next``. Only the
fields the mapping uses are kept (:data:`KEEP`), in a :class:`Snapshot` saved with
the data folder. The next import into the same folder asks an OParl 1.1 server
only for what changed since the last one began (``modified_since``) and takes it
in: a changed object replaces its earlier self, one marked ``deleted`` goes. An
OParl 1.0 server is read in full every time: 1.0 does not promise that a change to
an embedded consultation or agenda item marks its paper or meeting modified.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from .folder import Imported, is_language_tag, previous_state, publish, staged
from .oparl_client import ClientSettings, OParlClient, check_url
from .oparl_map import to_rows

#: The body's lists read, in the order they are shown.
LISTS = ("organization", "meeting", "paper")
#: Where the snapshot is kept in the data folder's state folder.
STATE_FILE = "oparl.json.gz"

_FILE = ("id", "name", "fileName", "date", "accessUrl", "mimeType", "deleted")
_CONSULTATION = ("id", "meeting", "agendaItem", "organization", "role", "authoritative")
_AGENDA_ITEM = ("id", "number", "name", "result", "resolutionText", "resolutionFile",
                "consultation", "public")  # fmt: skip
#: The fields kept of each object; embedded objects are pruned by their own list.
KEEP: dict[str, tuple[str, ...]] = {
    "paper": ("id", "type", "name", "reference", "date", "publishedDate", "paperType",
              "relatedPaper", "superordinatedPaper", "underDirectionOf", "mainFile",
              "auxiliaryFile", "consultation", "modified", "deleted"),
    "meeting": ("id", "type", "name", "start", "end", "cancelled", "meetingState", "organization",
                "location", "agendaItem", "invitation", "modified", "deleted"),
    "organization": ("id", "type", "name", "shortName", "organizationType", "classification",
                     "modified", "deleted"),
}  # fmt: skip
_EMBEDDED = {
    "mainFile": _FILE, "auxiliaryFile": _FILE, "resolutionFile": _FILE,
    "consultation": _CONSULTATION, "agendaItem": _AGENDA_ITEM,
    # The invitation's day is when the meeting's agenda was published (meetings.published).
    "invitation": ("id", "date", "created"),
}  # fmt: skip
_TYPE = re.compile(r"/(1\.\d)/(\w+)$")


def prune(obj: dict, fields: tuple[str, ...]) -> dict:
    """``obj`` with only ``fields``; embedded objects (files, consultations, agenda items) pruned too."""
    kept = {}
    for name in fields:
        if name not in obj:
            continue
        value = obj[name]
        inner = _EMBEDDED.get(name)
        if inner and isinstance(value, dict):
            value = prune(value, inner)
        elif inner and isinstance(value, list):
            value = [prune(item, inner) if isinstance(item, dict) else item for item in value]
        elif name == "location" and isinstance(value, dict):
            value = {"description": value.get("description") or value.get("room") or ""}
        kept[name] = value
    return kept


@dataclass
class Snapshot:
    """What was read of one body: its objects by list and id, and when that read began.

    Kept as gzipped JSON lines: a header (``body``, ``version``, ``started``), then one line
    per object. The next import appends a gzip member of its own header and changes (an
    object, or ``{"k": kind, "d": id}`` for one deleted) to the bytes it read, so a small
    change costs a small write; once the lines are more than twice the objects, it is
    written anew.
    """

    body: str
    version: str
    started: str
    objects: dict[str, dict[str, dict]] = field(default_factory=lambda: {n: {} for n in LISTS})
    #: Lines of the kept bytes this snapshot was read from (0: read from the server in full).
    lines: int = 0
    #: What this read changed, as lines to append: (kind, object or None, id).
    changes: list[tuple[str, dict | None, str]] = field(default_factory=list)
    #: The URL the import started from (a System's or the Body's).
    source: str = ""

    def header(self) -> bytes:
        return _line({"body": self.body, "version": self.version, "started": self.started,
                      "source": self.source})

    def to_bytes(self, previous: bytes | None = None) -> bytes:
        """The snapshot to keep: ``previous`` with this read's changes appended, or written anew."""
        live = sum(len(found) for found in self.objects.values())
        if previous and self.lines and self.lines + len(self.changes) <= 2 * live + 100:
            added = [_line({"k": k, "o": obj} if obj is not None else {"k": k, "d": ident})
                     for k, obj, ident in self.changes]  # fmt: skip
            return previous + gzip.compress(self.header() + b"".join(added), compresslevel=1)
        lines = [_line({"k": kind, "o": obj}) for kind, found in self.objects.items() for obj in found.values()]
        return gzip.compress(self.header() + b"".join(lines), compresslevel=1)

    @classmethod
    def from_bytes(cls, content: bytes) -> Snapshot | None:
        try:
            lines = gzip.decompress(content).splitlines()
            head = json.loads(lines[0])
            snapshot = cls(head["body"], head["version"], head["started"], lines=len(lines),
                           source=head.get("source", ""))
            objects = snapshot.objects
            for raw in lines[1:]:
                entry = json.loads(raw)
                if "started" in entry:
                    snapshot.started, snapshot.source = entry["started"], entry.get("source", "")
                elif "o" in entry:
                    objects[entry["k"]][entry["o"]["id"]] = entry["o"]
                else:
                    objects[entry["k"]].pop(entry["d"], None)
            return snapshot
        except (OSError, ValueError, KeyError, TypeError, EOFError, IndexError, AttributeError):
            return None  # unreadable: the import reads the body in full

    def take(self, kind: str, obj: object) -> None:
        """Take one object of a list page in: kept pruned, or removed when marked ``deleted``."""
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            return
        if obj.get("deleted"):
            self.objects[kind].pop(obj["id"], None)
            self.changes.append((kind, None, obj["id"]))
        else:
            kept = self.objects[kind][obj["id"]] = prune(obj, KEEP[kind])
            self.changes.append((kind, kept, obj["id"]))


def _line(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def object_type(obj: dict, url: str) -> tuple[str, str]:
    """The OParl version and type an object says it is (``("1.1", "Body")``)."""
    match = _TYPE.search(str(obj.get("type", "")))
    if not match:
        raise SourceError(
            f"{url}: the answer is not OParl (no OParl 'type'; found {str(obj.get('type'))[:80]!r}); "
            "give the OParl System or Body URL"
        )
    return match.group(1), match.group(2)


def find_body(client: OParlClient, url: str, choice: str | None) -> tuple[dict, str]:
    """The body to read and the OParl version: from a Body URL, or the System's bodies and ``choice``."""
    start = client.get(check_url(url))
    version, kind = object_type(start, url)
    if kind == "Body":
        return _with_id(start, url), version
    if kind != "System":
        raise SourceError(f"{url}: an OParl {kind}, not a System or Body: give the System or Body URL")
    if isinstance(start.get("oparlVersion"), str) and (found := re.search(r"1\.\d", start["oparlVersion"])):
        version = found.group(0)
    listed = start.get("body")
    bodies = []
    if isinstance(listed, str):
        for data, _ in client.pages(listed):
            bodies.extend(body for body in data if isinstance(body, dict))
    elif isinstance(listed, list):
        bodies = [client.get(item) if isinstance(item, str) else item for item in listed]
    return _with_id(_choose([b for b in bodies if isinstance(b, dict)], choice, url), url), version


def _body_again(client: OParlClient, previous: Snapshot | None, url: str,
                choice: str | None) -> tuple[dict, str] | None:  # fmt: skip
    """The body the last import from ``url`` read, asked for at its own URL (an OParl id is
    one), when no other body is chosen: the system and its bodies need not be asked again."""
    if previous is None or previous.source != url or (choice and choice.casefold() not in (previous.body.casefold(),
                                                                 previous.body.rstrip("/").rsplit("/", 1)[-1].casefold())):  # fmt: skip
        return None
    found = client.get(previous.body)
    version, kind = object_type(found, previous.body)
    return (found, version) if kind == "Body" and found.get("id") == previous.body else None


def _with_id(body: dict, url: str) -> dict:
    if not isinstance(body.get("id"), str):
        raise SourceError(f"{url}: the OParl body has no id (an OParl object has one)")
    return body


def _choose(bodies: list[dict], choice: str | None, url: str) -> dict:
    def names(body: dict) -> set[str]:
        found = {str(body.get(key, "")).casefold() for key in ("id", "shortName", "name")}
        found.add(str(body.get("id", "")).rstrip("/").rsplit("/", 1)[-1].casefold())
        return found - {""}

    if not bodies:
        raise SourceError(f"{url}: the system lists no body")
    if choice is None and len(bodies) == 1:
        return bodies[0]
    matching = [body for body in bodies if choice and choice.casefold() in names(body)]
    if len(matching) == 1:
        return matching[0]
    listed = "; ".join(f"{body.get('shortName') or body.get('name', '')} ({body.get('id')})" for body in bodies)
    asked = f"--body {choice!r} names none of" if choice else "choose one with --body of"
    raise SourceError(f"{url}: {asked} its {len(bodies)} bodies: {listed}")


class _Progress:
    """Counts of objects read per list: a bar on a terminal, one line at the end otherwise."""

    def __init__(self, show: bool) -> None:
        self.counts = dict.fromkeys(LISTS, 0)
        self.totals: dict[str, int] = {}
        self._lock = threading.Lock()
        self._bar = None
        if show and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=0, unit=" objects", desc="OParl", file=sys.stderr, leave=True)

    def page(self, kind: str, objects: int, pagination: dict) -> None:
        with self._lock:
            self.counts[kind] += objects
            total = pagination.get("totalElements")
            if isinstance(total, int) and kind not in self.totals:
                self.totals[kind] = total
            if self._bar is not None:
                self._bar.total = max(sum(self.totals.values()), sum(self.counts.values()))
                self._bar.set_postfix_str(", ".join(f"{k} {n}" for k, n in self.counts.items()))
                self._bar.update(objects)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def read_body(client: OParlClient, body: dict, version: str, previous: Snapshot | None,
              progress: _Progress, source: str = "") -> tuple[Snapshot, str]:  # fmt: skip
    """The body's objects now, and how they were read (``full`` or ``changes since …``)."""
    # The server's clock, where it tells it: objects are modified by its time, not this machine's.
    started = (client.server_time or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0).isoformat()
    incremental = (previous is not None and previous.body == body["id"]
                   and previous.version == version == "1.1")  # fmt: skip
    snapshot = Snapshot(body["id"], version, started, source=source)
    if incremental:
        snapshot.objects, snapshot.lines = previous.objects, previous.lines  # type: ignore[union-attr]
    params = {"modified_since": previous.started} if incremental else None  # type: ignore[union-attr]

    stop, failures = threading.Event(), []

    def read_list(kind: str) -> None:
        try:
            url = body.get(kind)
            if not isinstance(url, str):
                raise SourceError(f"{body['id']}: the body has no {kind} list (an OParl Body has one)")
            for data, pagination in client.pages(url, params):
                if stop.is_set():
                    return
                for obj in data:
                    snapshot.take(kind, obj)
                progress.page(kind, len(data), pagination)
        except BaseException as exc:  # handed to the main thread, which raises it
            failures.append(exc)
            stop.set()

    # Daemon threads: an interrupted import ends at once, not when the last request times out.
    threads = [threading.Thread(target=read_list, args=(kind,), daemon=True) for kind in LISTS]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
    if failures:
        raise failures[0]
    mode = f"changes since {previous.started}" if incremental else "full"  # type: ignore[union-attr]
    return snapshot, mode


def import_oparl(url: str, out: Path, *, body: str | None = None, data_lang: str | None = None,
                 settings: ClientSettings | None = None, progress: bool = True,
                 today: dt.date | None = None) -> Path:  # fmt: skip
    """Import the OParl body at ``url`` into the data folder ``out``; its path.

    With ``progress``, a bar on a terminal while the lists are read and a line on what was
    read at the end (stderr).

    Raises SourceError for a server that refuses or is not OParl, OutputError for an
    ``out`` that cannot take the folder; in both cases ``out`` stays as it was.
    """
    shown = _Progress(progress)
    with OParlClient(settings) as client:
        try:
            kept = previous_state(out, STATE_FILE)
            previous = Snapshot.from_bytes(kept or b"")
            chosen, version = _body_again(client, previous, url, body) or find_body(client, url, body)
            snapshot, mode = read_body(client, chosen, version, previous, shown, url)
        finally:
            shown.close()
        lang, lang_from = _language(data_lang, client.content_language)
        described = {
            "standard": "OParl", "version": version, "source": url, "body": chosen["id"],
            "body_name": chosen.get("name", ""), "imported_at": snapshot.started, "read": mode,
            "received": {kind: len(found) for kind, found in snapshot.objects.items()},
            "requests": client.requests, "retried": client.retried,
        }  # fmt: skip
    if progress:
        print(f"dossier import: read {', '.join(f'{n} {k}' for k, n in shown.counts.items())} "
              f"({mode}; {client.requests} requests, {client.retried} retried)", file=sys.stderr)  # fmt: skip
    with staged(out) as (staging, rows):
        to_rows(snapshot.objects, today or dt.date.today(), rows)
        imported = Imported(lang, lang_from, {STATE_FILE: snapshot.to_bytes(kept)})
        return publish(out, staging, rows, imported, described)


def _language(given: str | None, served: str | None) -> tuple[str, str]:
    if given:
        return given, "--data-lang"
    if served and is_language_tag(served):
        return served, "the server's Content-Language"
    return "de", "assumed: OParl is the standard of German councils (give --data-lang to say otherwise)"
