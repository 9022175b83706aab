"""The comparison of a case's records (dossier.data.changes): every edit listed, and nothing else.

No kernel: the records are rows, and the earlier side goes through the case extract's file
as a dossier keeps it (CSV inside JSON), the later through the rows as the registry gives them.
"""

from __future__ import annotations

import csv
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from processes import dossier, refused

from dossier.data.changes import (
    CASE_FIELDS,
    EVENT_FIELDS,
    CaseExtract,
    CaseRecords,
    compare,
)
from dossier.data.contract import DOC_TYPES, EVENT_KINDS, RELATIONS, TABLE

CASE = "RUN/1/2020"
DATES = ("2020", "2020-05", "2020-05-12", "2021", "2021-03", "2021-03-30", "2022-11-02")
FORUMS = ("", "RUN", "SAMR", "LP")
#: Text as registries hold it, markup and line breaks included: it is data, compared as it is.
TEXTS = ("", "Ett <b>ord</b> & \"citat\"", "rad ett\nrad två", "§ 224", "Bilaga 3")


def _csv(table: str, rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, TABLE[table].column_names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def as_extract(tables: dict[str, list[dict]]) -> CaseRecords:
    """The records as a dossier's extract file keeps them (with its related cases' rows), read back."""
    others = {r[k] for r in tables.get("relations", ()) for k in ("case_id", "related_case_id")}
    blank = dict.fromkeys(TABLE["cases"].column_names, "")
    tables = tables | {"cases": [*tables.get("cases", ()), *(
        blank | {"case_id": other, "title": "Annat ärende", "opened": "2019", "status": "open"}
        for other in sorted(others - {CASE}))]}  # fmt: skip
    extract = CaseExtract(CASE, "2023-06-01", "0" * 64,
                          {f"{n}.csv": _csv(n, rows) for n, rows in tables.items()})  # fmt: skip
    return CaseExtract.from_bytes(extract.to_bytes()).records()


class Names:
    """Titles and keys no other event has had: an id-less event is known by them alone."""

    def __init__(self) -> None:
        self.n = 0
        self.keys: set[tuple] = set()

    def title(self, prefix: str = "Händelse") -> str:
        self.n += 1
        return f"{prefix} {self.n}"


@st.composite
def event_row(draw, names: Names, with_id: bool) -> dict:
    while True:
        key = (draw(st.sampled_from(DATES)), draw(st.sampled_from(EVENT_KINDS)),
               draw(st.sampled_from(FORUMS)))  # fmt: skip
        if key not in names.keys:
            break
    names.keys.add(key)
    return {
        "event_id": f"E{names.n + 1}" if with_id else "",
        "case_id": CASE,
        "date": key[0],
        "end_date": draw(st.sampled_from(("", "2022", "2023-01"))),
        "kind": key[1],
        "forum_id": key[2],
        "title": names.title(),
        "description": draw(st.sampled_from(TEXTS)),
        "decision_ref": draw(st.sampled_from(("", "§ 12", "§ 224"))),
        "document": draw(st.sampled_from(TEXTS)),
        "seq": draw(st.sampled_from(("", "1", "2"))),
    }


def edited_event(draw, names: Names, old: dict) -> dict:
    """The event with some fields changed; an id-less one keeps what makes it known."""
    new = dict(old)
    fields = [f for f in EVENT_FIELDS if f != "event_id"]
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True))
    for name in chosen:
        if name == "title":
            new["title"] = names.title("Ny rubrik")
        elif name in ("date", "kind", "forum_id"):
            for _ in range(50):
                value = draw(st.sampled_from(
                    {"date": DATES, "kind": EVENT_KINDS, "forum_id": FORUMS}[name]))  # fmt: skip
                key = (value if name == "date" else new["date"],
                       value if name == "kind" else new["kind"],
                       value if name == "forum_id" else new["forum_id"])  # fmt: skip
                if key not in names.keys:
                    names.keys.add(key)
                    new[name] = value
                    break
        else:
            options = {"end_date": ("", "2022", "2023-01"), "seq": ("", "1", "2", "3"),
                       "decision_ref": ("", "§ 12", "§ 224", "§ 7")}.get(name, TEXTS)  # fmt: skip
            new[name] = draw(st.sampled_from([v for v in options if v != old[name]]))
    return new


def known_again(old: dict, new: dict) -> bool:
    """Whether the rule of dossier.data.changes pairs the two versions of an event."""
    if old["event_id"] and new["event_id"]:
        return old["event_id"] == new["event_id"]
    keys = (("title", "kind", "forum_id"), ("date", "title"), ("date", "kind", "forum_id"))
    return any(all(old[k] == new[k] for k in key) for key in keys)


def seen(change) -> tuple:
    return (change.kind, tuple(sorted(change.record.items())), change.fields)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_edit_is_listed_and_nothing_else(data):
    draw = data.draw
    names = Names()
    case = {"case_id": CASE, "title": "Påverkansagenda", "opened": "2020", "status": "open",
            "closed": "", "owner_forum_id": "RUN", "responsible": "Anna", "summary": "Text"}  # fmt: skip
    events = [draw(event_row(names, draw(st.booleans()))) for _ in range(draw(st.integers(0, 8)))]
    related = [{"case_id": CASE, "related_case_id": f"RUN/{n}/2021", "relation": "related"}
               for n in range(draw(st.integers(0, 3)))]  # fmt: skip
    related += [{"case_id": f"KS/{n}/2019", "related_case_id": CASE, "relation": "continues"}
                for n in range(draw(st.integers(0, 2)))]  # fmt: skip
    documents = [{"case_id": CASE, "date": draw(st.sampled_from(DATES)), "title": names.title("Handling"),
                  "doc_type": draw(st.sampled_from(DOC_TYPES)), "link": ""}
                 for _ in range(draw(st.integers(0, 4)))]  # fmt: skip
    old = {"cases": [case], "events": events, "relations": related, "documents": documents}

    expected: list[tuple] = []
    new_case = dict(case)
    for name in draw(st.lists(st.sampled_from(CASE_FIELDS), max_size=3, unique=True)):
        new_case[name] = {"opened": "2020-02", "status": "closed", "closed": "2023",
                          "owner_forum_id": "LP"}.get(name, f"{case[name]} <ändrad> &")  # fmt: skip
    differing = tuple((n, case[n], new_case[n]) for n in CASE_FIELDS if case[n] != new_case[n])
    if differing:
        expected.append(("case_changed", tuple(sorted(new_case.items())), differing))

    new_events = []
    for event in events:
        what = draw(st.sampled_from(("keep", "keep", "remove", "edit", "new_id")))
        if what == "keep":
            new_events.append(event)
        elif what == "remove":
            expected.append(("event_removed", tuple(sorted(event.items())), ()))
        elif what == "new_id" and event["event_id"]:  # another id: another event, as the rule says
            after = {**event, "event_id": event["event_id"] + "b"}
            new_events.append(after)
            expected += [("event_removed", tuple(sorted(event.items())), ()),
                         ("event_added", tuple(sorted(after.items())), ())]  # fmt: skip
        else:
            after = edited_event(draw, names, event) if what == "edit" else event
            new_events.append(after)
            fields = tuple((f, event[f], after[f]) for f in EVENT_FIELDS if event[f] != after[f])
            if not fields:
                continue
            if known_again(event, after):
                expected.append(("event_changed", tuple(sorted(after.items())), fields))
            else:
                expected += [("event_removed", tuple(sorted(event.items())), ()),
                             ("event_added", tuple(sorted(after.items())), ())]  # fmt: skip
    for _ in range(draw(st.integers(0, 3))):
        added = draw(event_row(names, draw(st.booleans())))
        new_events.insert(draw(st.integers(0, len(new_events))), added)
        expected.append(("event_added", tuple(sorted(added.items())), ()))

    new_related = []
    for link in related:
        if draw(st.booleans()):
            new_related.append(link)
        else:
            inverse = link["related_case_id"] == CASE
            other = link["case_id"] if inverse else link["related_case_id"]
            record = {"case_id": other, "relation": link["relation"], "inverse": "yes" if inverse else ""}
            expected.append(("related_removed", tuple(sorted(record.items())), ()))
    for n in range(draw(st.integers(0, 2))):
        relation = draw(st.sampled_from(RELATIONS))
        new_related.append({"case_id": CASE, "related_case_id": f"NY/{n}/2023", "relation": relation})
        record = {"case_id": f"NY/{n}/2023", "relation": relation, "inverse": ""}
        expected.append(("related_added", tuple(sorted(record.items())), ()))

    new_documents = []
    for doc in documents:
        what = draw(st.sampled_from(("keep", "remove", "retitle")))
        if what == "keep":
            new_documents.append(doc)
            continue
        expected.append(("document_removed", tuple(sorted(doc.items())), ()))
        if what == "retitle":  # a document is known by all it says: another title, another one
            after = {**doc, "title": names.title("Omdöpt handling")}
            new_documents.append(after)
            expected.append(("document_added", tuple(sorted(after.items())), ()))
    for _ in range(draw(st.integers(0, 2))):
        doc = {"case_id": CASE, "date": draw(st.sampled_from(DATES)), "title": names.title("Ny handling"),
               "doc_type": draw(st.sampled_from(DOC_TYPES)), "link": "https://example.se/a?b=1&c=<2>"}
        new_documents.append(doc)
        expected.append(("document_added", tuple(sorted(doc.items())), ()))

    new = CaseRecords.from_tables(CASE, {"cases": [new_case], "events": new_events,
                                         "relations": new_related, "documents": new_documents})  # fmt: skip
    found = [seen(c) for c in compare(as_extract(old), new)]
    assert sorted(found) == sorted(expected)


def test_nothing_changed_lists_nothing():
    tables = {"cases": [{"case_id": CASE, "title": "T", "opened": "2020", "status": "open"}],
              "events": [{"case_id": CASE, "date": "2020-05", "kind": "decided", "title": "Beslut"}]}  # fmt: skip
    full = {n: [dict.fromkeys(TABLE[n].column_names, "") | r for r in rows] for n, rows in tables.items()}
    assert compare(as_extract(full), CaseRecords.from_tables(CASE, full)) == ()


def test_an_extract_is_the_same_bytes_for_the_same_data_and_refuses_what_is_none():
    tables = {"events.csv": b"event_id\n", "cases.csv": b"case_id\n"}
    one = CaseExtract(CASE, "2023-06-01", "k", tables).to_bytes()
    assert one == CaseExtract(CASE, "2023-06-01", "k", dict(reversed(tables.items()))).to_bytes()
    for damaged in (b"", b"[]", b'{"format": 2}', b'{"format": 1}'):
        with pytest.raises(ValueError):
            CaseExtract.from_bytes(damaged)


# -- an earlier output folder as an attacker leaves it: refused by name, never read whole ------


def _extract(case_id: str, as_of: str = "2023-06-01", **tables: bytes) -> bytes:
    from conftest import VALID_CSV

    files = {f"{t}.csv": VALID_CSV[t].encode() for t in ("cases", "events", "relations", "documents")}
    return CaseExtract(case_id, as_of, "key", files | {f"{t}.csv": v for t, v in tables.items()}).to_bytes()


def _deep(path):
    path.write_bytes(b'{"format": 1, "tables": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")


_EVENTS = "event_id,case_id,date,end_date,kind,forum_id,title,description,decision_ref,document,seq\n"
ATTACKS = {
    "pipe": lambda path: os.mkfifo(path),
    "dev-zero": lambda path: path.symlink_to("/dev/zero"),
    "folder": lambda path: path.mkdir(),
    "deep": _deep,
    "long-field": lambda path: path.write_bytes(_extract(
        "A/1/2020", events=f'{_EVENTS}e1,A/1/2020,2020,,registered,N,{"x" * 200_000},,,,\n'.encode())),
    "no-case_id": lambda path: path.write_bytes(_extract(
        "A/1/2020", events=_EVENTS.replace("case_id,", "").encode() + b"e1,2020,,registered,N,T,,,,\n")),
    "bad-date": lambda path: path.write_bytes(_extract(
        "A/1/2020", events=f"{_EVENTS}e1,A/1/2020,2020-13-45,,registered,N,T,,,,\n".encode())),
    "bad-end-date": lambda path: path.write_bytes(_extract(
        "A/1/2020", events=f"{_EVENTS}e1,A/1/2020,2020,igår,registered,N,T,,,,\n".encode())),
    "short-row": lambda path: path.write_bytes(_extract(
        "A/1/2020", events=f"{_EVENTS}e1,A/1/2020,2020\n".encode())),
    "bad-as_of": lambda path: path.write_bytes(_extract("A/1/2020", as_of="igår")),
}  # fmt: skip


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_earlier_extract_that_cannot_be_read_is_refused_by_name(tmp_path, write_data, attack):
    """A pipe would hang, ``/dev/zero`` grow without end, the rest end in a traceback."""
    data = write_data(tmp_path / "data")
    old = tmp_path / "old"
    for slug in ("A-1-2020", "A-2-2021"):
        (old / slug).mkdir(parents=True)
        (old / slug / "manifest.json").write_text("{}", encoding="utf-8")
    (old / "A-2-2021" / "case-extract.json").write_bytes(_extract("A/2/2021"))
    path = old / "A-1-2020" / "case-extract.json"
    ATTACKS[attack](path)
    out = tmp_path / "out"
    refused(dossier("render", "A/1/2020", "--data", data, "--compare-with", old, "--out", out,
                    "--format", "html", timeout=120), "--compare-with", str(path))  # fmt: skip
    assert not (out / "A-1-2020").exists()


def test_a_sound_extract_passes_every_check():
    extract = CaseExtract.from_bytes(_extract("A/1/2020"))
    assert [e["event_id"] for e in extract.records().events] == ["e1", "e2"]
