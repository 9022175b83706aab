"""A dossier as of day D says only what was so on D, at the precision the records hold.

A property test over generated cases (partial dates, periods, closings, meetings,
notes, a related case) and random days: in the rendered text of every section,
the timeline's own text included,
- no date after D, save a coming meeting's that was known on D: its agenda published on
  or before D (or, without a publication day, D within the two weeks' notice before it),
  or in the owner forum's calendar at most six months ahead; nothing before the case was
  registered;
- no day that the data does not hold, save D, --since and a meeting's;
- no event dated after D, and every event up to D in the history;
- the counts equal a direct count of the events up to D.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossier import sections as show
from dossier.catalogue import LANGUAGES
from dossier.catalogue import text as text_of
from dossier.content.context import case_dossier
from dossier.content.parameters import DossierParameters
from dossier.data.contract import EVENT_KINDS
from dossier.data.dates import PartialDate, add_months
from dossier.data.validate import load

SV_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")  # fmt: skip
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
DE_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember")  # fmt: skip
MONTH = {name: number for names in (SV_MONTHS, EN_MONTHS, DE_MONTHS)
         for number, name in enumerate(names, 1)}  # fmt: skip
MONTHS = "|".join(MONTH)
DAY_WORDS = re.compile(rf"\b(\d{{1,2}})\.? ({MONTHS}) (\d{{4}})\b")
ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTH_WORDS = re.compile(rf"\b({MONTHS}) (\d{{4}})\b")
YEAR = re.compile(r"\b(\d{4})\b")
#: Titles without digits, one word each, so each event's title is found or missed alone.
NAMES = ("Alfa", "Bravo", "Charlie", "Delta", "Eko", "Foxtrot", "Golf", "Hotell", "India",
         "Juliett", "Kilo", "Lima")  # fmt: skip

FIRST, LAST = dt.date(2014, 1, 1), dt.date(2026, 12, 31)
FORUMS = [["N", "Nämnden", "committee", "", "", ""], ["R", "Rådet", "council", "", "", ""],
          ["P", "Partnerskapet", "partnership", "", "", ""]]  # fmt: skip
SECTIONS = (show.header, show.summary, show.figure, show.history, show.forums, show.related,
            show.documents, show.notes, show.provenance)  # fmt: skip


@st.composite
def partial(draw, low: dt.date = FIRST, high: dt.date = LAST) -> str:
    day = draw(st.dates(min_value=low, max_value=high))
    precision = draw(st.sampled_from(("year", "month", "day")))
    return PartialDate.from_date(day).isoformat()[: {"year": 4, "month": 7, "day": 10}[precision]]


@st.composite
def later_partial(draw, after: str) -> str:
    """A partial date whose span does not end before ``after`` begins (a valid period end)."""
    return draw(partial(low=PartialDate.parse(after).start))


def publication():
    """A publication day, or none (then the notice period holds)."""
    day = st.dates(min_value=FIRST, max_value=LAST).map(dt.date.isoformat)
    return st.one_of(st.just(""), day, day.map(lambda d: d + " 14:00"))


def nameable_meetings(tables: dict, as_of: dt.date) -> set[dt.date]:
    """The meeting days a dossier as of ``as_of`` may name (the rules in the module's docstring)."""
    if PartialDate.parse(tables["cases"][0][2]).start > as_of:
        return set()
    found = set()
    for meeting, item in zip(tables["meetings"], tables["agenda"], strict=True):
        day = dt.date.fromisoformat(meeting[2][:10])
        published = item[5] or meeting[6]
        if (dt.date.fromisoformat(published[:10]) <= as_of if published
                else day <= as_of + dt.timedelta(days=14)):  # fmt: skip
            found.add(day)
        if as_of <= day <= add_months(as_of, 6):
            found.add(day)
    return found


@st.composite
def cases(draw) -> dict:
    opened = draw(partial(high=dt.date(2023, 12, 31)))
    status = draw(st.sampled_from(("open", "closed")))
    closed = draw(st.one_of(st.just(""), st.just("9999-12-31"), later_partial(opened)))
    if status == "closed" and not closed and draw(st.booleans()):
        closed = draw(later_partial(opened))
    events = []
    for name in NAMES[: draw(st.integers(0, len(NAMES)))]:
        date = draw(partial())
        end = draw(later_partial(date)) if draw(st.integers(0, 3)) == 0 else ""
        kind = draw(st.sampled_from(EVENT_KINDS))
        forum = draw(st.sampled_from(("", "N", "R", "P")))
        ref = f"§ {draw(st.integers(1, 300))}" if kind == "decided" else ""
        description = "1. Gör så\n2. Gör inte så" if kind == "proposal" else "Utan datum."
        events.append([f"e-{name}", "T/1", date, end, kind, forum, f"Steg {name}", description,
                       ref, "", ""])  # fmt: skip
    meetings, agenda = [], []
    for number in range(draw(st.integers(0, 2))):
        day = draw(st.dates(min_value=FIRST, max_value=LAST)).isoformat()
        time = draw(st.sampled_from(("", " 09:00")))
        title = draw(st.sampled_from(("Sammanträde", "EXEMPEL: påhittat sammanträde")))
        state = draw(st.sampled_from(("planned", "held", "cancelled", "")))
        meetings.append([f"M{number}", "N", day + time, title, "", state, draw(publication())])
        agenda.append([f"M{number}", draw(st.sampled_from(("7", "3.1", "10", "7a"))), "T/1", "", "",
                       draw(publication())])  # fmt: skip
    documents = [
        ["T/1", draw(partial()), f"Handling {name}", "report", ""]
        for name in NAMES[: draw(st.integers(0, 3))]
    ]
    other_opened = draw(partial())
    other_status = draw(st.sampled_from(("open", "closed")))
    other_closed = draw(later_partial(other_opened)) if other_status == "closed" else ""
    return {
        "cases": [
            ["T/1", "Testärende", opened, status, closed, "N", "", "Sammanfattning utan datum."],
            ["T/2", "Annat ärende", other_opened, other_status, other_closed, "N", "", ""],
        ],
        "events": events,
        "meetings": meetings,
        "agenda": agenda,
        "documents": documents,
        "relations": [["T/1", "T/2", "related"]],
        "forums": FORUMS,
    }


HEADERS = {
    "cases": "case_id,title,opened,status,closed,owner_forum_id,responsible,summary",
    "events": "event_id,case_id,date,end_date,kind,forum_id,title,description,decision_ref,"
              "document,seq",
    "forums": "forum_id,name,kind,organisation,chair,description",
    "meetings": "meeting_id,forum_id,date,title,location,state,published",
    "agenda": "meeting_id,item,case_id,title,proposal,published",
    "relations": "case_id,related_case_id,relation",
    "documents": "case_id,date,title,doc_type,link",
}  # fmt: skip


def write(folder: Path, tables: dict) -> Path:
    for name, header in HEADERS.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(header.split(","))
            out.writerows(tables[name])
    return folder


def visible(markup: str) -> str:
    """The text a reader sees, the timeline's SVG text included; "¦" where an element ends.

    The mark keeps a table's cells apart: a count of 1 beside "januari 2014" is no day.
    """
    svgs = [base64.b64decode(b).decode() for b in re.findall(r"base64,([A-Za-z0-9+/=]+)", markup)]
    words = [markup, *(" ¦ ".join(re.findall(r"<text\b[^>]*>(.*?)</text>", s, re.S)) for s in svgs)]
    text = html.unescape(re.sub(r"<[^>]+>", " ¦ ", " ¦ ".join(words)))
    return re.sub(r"(\s*¦\s*)+", " ¦ ", " ".join(text.split()))


def dates_said(text: str) -> tuple[list[dt.date], list[PartialDate], list[int]]:
    """The days, months and years a text names, each once (a day's month and year are its own)."""
    days = [dt.date(int(y), MONTH[m], int(d)) for d, m, y in DAY_WORDS.findall(text)]
    text = DAY_WORDS.sub(" ", text)
    days += [dt.date(int(y), int(m), int(d)) for y, m, d in ISO_DAY.findall(text)]
    text = ISO_DAY.sub(" ", text)
    months = [PartialDate(int(y), MONTH[m]) for m, y in MONTH_WORDS.findall(text)]
    years = [int(y) for y in YEAR.findall(MONTH_WORDS.sub(" ", text))]
    return days, months, years


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=cases(),
    as_of=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2027, 6, 30)),
    lang=st.sampled_from(LANGUAGES),
    since_back=st.one_of(st.none(), st.integers(0, 2000)),
    inactive_months=st.integers(1, 12),
)
def test_every_section_says_only_what_was_so_on_its_day(
    tables, as_of, lang, since_back, inactive_months
):
    since = as_of - dt.timedelta(days=since_back) if since_back is not None else None
    with tempfile.TemporaryDirectory() as folder:
        registry = load(write(Path(folder), tables))
    dossier = case_dossier(registry, "T/1", DossierParameters(as_of=as_of, lang=lang, since=since, inactive_months=inactive_months))  # fmt: skip
    text = {part.__name__: visible(part(dossier)) for part in SECTIONS}
    everything = " ".join(text.values())

    meeting_days = {dt.date.fromisoformat(m[2][:10]) for m in tables["meetings"]}
    known = nameable_meetings(tables, as_of)
    held = [
        PartialDate.parse(value)
        for table, columns in (("events", (2, 3)), ("documents", (1,)), ("cases", (2, 4)))
        for row in tables[table] for column in columns if (value := row[column])
    ]  # fmt: skip
    data_days = {d.start for d in held if d.precision == "day"}
    days, months, years = dates_said(everything)
    for day in days:
        assert day <= as_of or day in known, f"{day} is after {as_of}: {everything}"
        assert day in data_days | meeting_days | {as_of, since}, f"{day} is not in the data"
    assert all(month.start <= as_of for month in months), (months, as_of)
    assert all(year <= as_of.year for year in years), (years, as_of)

    opened = PartialDate.parse(tables["cases"][0][2])
    shown = [e for e in tables["events"] if PartialDate.parse(e[2]).start <= as_of]
    if opened.start > as_of:
        shown = []
    for event in tables["events"]:
        title = event[6]
        assert (title in text["history"]) == (event in shown), (title, as_of)
        if event not in shown:
            assert title not in everything
    for kind in ("discussed", "referred_back", "tabled", "deferred"):
        name = text_of(f"count.{kind}", lang)
        expected = sum(1 for e in shown if e[4] == kind)
        assert f"¦ {name} ¦ {expected} ¦" in text["summary"], (kind, text["summary"])
    assert text["history"].count("Steg ") == len(shown)
