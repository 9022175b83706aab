"""Synthetic data folders that follow the data contract, for tests and benchmarks.

:func:`generate` writes every contract file for a made-up Swedish region: a
dozen forums, a meeting calendar, cases with a plausible life (registered,
prepared, discussed, decided, communicated, closed), related cases, agenda
items and documents. The same seed gives the same bytes: all randomness comes
from one :class:`random.Random`, the day the export was taken is fixed
(:data:`EXPORT_DAY`), and nothing depends on the clock or on set ordering.

Rows are written as they are made, so a million events cost little more memory
than the one case being written; the meeting calendar and the list of case IDs
(for relations) are the only things kept.
"""

from __future__ import annotations

import csv
import datetime as dt
from bisect import bisect_right
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, NamedTuple

from ..errors import ParameterError
from .contract import TABLE, TABLES

#: The day the synthetic export was taken: histories end by it, planned meetings follow it.
EXPORT_DAY = dt.date(2026, 10, 31)
#: The first day a synthetic case can be opened.
FIRST_DAY = dt.date(2016, 1, 1)
#: How far past the export the meeting calendar reaches (days).
CALENDAR_AHEAD = 240
#: At most this many numbered items on one meeting's agenda; later cases find it full.
ITEMS_PER_MEETING = 40

# forum_id, name, kind, organisation, chair, description. Names and chairs are invented.
REGION = "Region Jämtland Härjedalen"
FORUMS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("RF", "Regionfullmäktige", "council", REGION, "Birgitta Åström",
     "Regionens högsta beslutande församling."),
    ("RS", "Regionstyrelsen", "committee", REGION, "Jöns Öhlund",
     "Leder och samordnar regionens verksamhet och har uppsikt över nämnderna."),
    ("RSAU", "Regionstyrelsens arbetsutskott", "presidium", REGION, "Jöns Öhlund",
     "Bereder ärenden till regionstyrelsen."),
    ("RUN", "Regionala utvecklingsnämnden", "committee", REGION, "Märta Sjödin",
     "Ansvarar för regional tillväxt, kollektivtrafik, kultur och utbildning."),
    ("HSN", "Hälso- och sjukvårdsnämnden", "committee", REGION, "Åke Lindqvist",
     "Ansvarar för hälso- och sjukvården i länet."),
    ("KS", "Kommunstyrelsen", "committee", "Östersunds kommun", "Lena Hägg",
     "Kommunstyrelsen i Östersunds kommun, part i flera gemensamma ärenden."),
    ("LP", "Länspartnerskapet", "partnership", REGION, "Märta Sjödin",
     "Samverkan mellan regionen, länets åtta kommuner, akademin och näringslivet."),
    ("SGRP", "Samverkansgruppen (S, C, V)", "party_group", "", "Göran Ärlebäck",
     "Den styrande majoritetens gruppledare."),
    ("KCN", "Kommunchefsnätverket i Jämtlands län", "network", "", "",
     "Kommuncheferna i länets kommuner och regiondirektören."),
    ("RDS", "Regiondirektörens stab", "office", REGION, "", ""),
    ("AVD", "Avdelningen för regional utveckling", "administration", REGION, "",
     "Bereder ärenden till regionala utvecklingsnämnden."),
    ("TRV", "Trafikverket Region Mitt", "external", "Trafikverket", "", ""),
    ("LST", "Länsstyrelsen i Jämtlands län", "external", "Länsstyrelsen", "", ""),
    ("EUK", "Mellersta Norrlands EU-kontor", "other", "Region Jämtland Härjedalen och Region Västernorrland", "",
     "Bevakar EU-frågor för Mellersta Norrland i Bryssel."),
)  # fmt: skip
FORUM_NAMES = {row[0]: row[1] for row in FORUMS}

# Forums that meet, and in which months; the partnership meets once a quarter.
CALENDAR: dict[str, tuple[int, ...]] = {
    "RF": (2, 4, 6, 9, 11),
    "RS": (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12),
    "RSAU": (1, 2, 3, 4, 5, 6, 9, 10, 11, 12),
    "RUN": (2, 3, 4, 5, 6, 8, 9, 10, 11, 12),
    "HSN": (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12),
    "KS": (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12),
    "LP": (3, 6, 10, 12),
}
TIMES = ("09:00", "09:00", "08:30", "10:00", "13:00", "13:30", "")
LOCATIONS = (
    "Regionens hus, Östersund", "Digitalt via Teams", "Folkets hus, Sveg",
    "Åre kommunhus", "Strömsunds kommunhus", "Hotell Frösö Park", "",
)  # fmt: skip

# Owner forums and how registry numbers are written there (DATA.md: both styles occur).
OWNERS = ("RUN", "RUN", "RUN", "RS", "RS", "HSN", "HSN", "KS")

ACTIONS = (
    "Översyn av", "Utredning om", "Handlingsplan för", "Strategi för", "Förstudie om",
    "Medfinansiering av", "Yttrande över", "Uppföljning av", "Avsiktsförklaring om",
    "Samverkansavtal om", "Ansökan om projektmedel för", "Revidering av riktlinjer för",
    "Åtgärdsprogram för", "Motion om", "Medborgarförslag om",
)  # fmt: skip
TOPICS = (
    "kollektivtrafiken", "kompetensförsörjningen", "bredbandsutbyggnaden", "besöksnäringen",
    "den regionala tillväxtstrategin", "färdtjänsten", "vårdcentralernas tillgänglighet",
    "samverkansformerna", "näringslivets kompetensbehov", "Inlandsbanans godstrafik",
    "kulturmiljöerna", "fjällturismen", "livsmedelsstrategin", "ungdomars psykiska hälsa",
    "landsbygdens service", "laddinfrastrukturen", "skolskjutsarna", "ambulansberedskapen",
    "vattenförsörjningen", "det regionala kulturstödet", "smart specialisering",
    "folkhögskolornas utbud", "cykelvägarna längs E14", "flyglinjen Östersund–Arlanda",
    "de samiska näringarna", "äldreomsorgens digitalisering",
)  # fmt: skip
PLACES = (
    "Härjedalen", "Jämtland", "Östersund", "Åre", "Strömsund", "Krokom", "Bräcke",
    "Ragunda", "Bergs kommun", "Sveg", "Funäsdalen", "Hammarstrand", "Mellersta Norrland",
    "länet", "Storsjöbygden", "Hede", "Järpen", "Gäddede",
)  # fmt: skip
FIXED_TITLES = (
    "Länsgemensam påverkansagenda",
    "Regional utvecklingsstrategi för Jämtlands län",
    "Översyn av samverkansformerna, med fokus på Länspartnerskapet",
    "Delårsrapport för regionala utvecklingsnämnden",
)
RESPONSIBLE = (
    "Anna Öberg, avdelningen för regional utveckling", "Håkan Sjödin, kollektivtrafikmyndigheten",
    "Enheten för näringsliv och kompetens", "Märit Ågren, regionkansliet",
    "Örjan Lindqvist, hälso- och sjukvårdsförvaltningen", "Kommunledningskontoret",
    "Kulturenheten", "Stina Bäckström, folkhälsoenheten", "",
)  # fmt: skip
ORGANISATIONS = (
    "Trafikverket", "Länsstyrelsen i Jämtlands län", "Östersunds kommun", "Härjedalens kommun",
    "Åre kommun", "Region Västernorrland", "Mittuniversitetet", "Tillväxtverket", "Sametinget",
    "Jämtlands Gymnasieförbund", "Företagarna i Jämtland",
)  # fmt: skip
SUMMARIES = (
    "Ärendet gäller {s} och berör flera av länets kommuner.",
    "Regionen ska ta ställning till {s}. Frågan har väckts av kommunerna i {p}.",
    "Uppdraget omfattar en nulägesanalys, dialog med berörda aktörer och förslag på åtgärder.",
    "Ärendet har sitt ursprung i en motion från (C) om {s}.",
    "",
)  # fmt: skip

# Sentences for descriptions; some hold commas, quotes and dashes so that writers quote them.
SENTENCES = (
    "Ärendet har beretts i samråd med länets åtta kommuner.",
    "Förvaltningen bedömer att åtgärden ryms inom befintlig budget.",
    "Synpunkter har inkommit från Trafikverket, Länsstyrelsen och Sametinget.",
    "Frågan har stor betydelse för tillgängligheten i glesbygden.",
    "Underlaget behöver kompletteras med en konsekvensanalys för barn och unga.",
    "Kostnaden beräknas till 2,4 miljoner kronor under perioden 2024–2026.",
    "Beslutet påverkar främst kommunerna i västra Jämtland och Härjedalen.",
    "Dialogen visade på en bred samsyn kring målen, men skilda uppfattningar om finansieringen.",
    "Arbetet följer den regionala utvecklingsstrategin och länets livsmedelsstrategi.",
    "Ordföranden föreslår att ärendet avgörs vid dagens sammanträde.",
    "Mötet gav förvaltningen i uppdrag att återkomma med förslag på åtgärder.",
    "Remissvaren sammanställs av avdelningen för regional utveckling.",
    "Ledamöterna från Åre och Strömsund lämnade särskilda yttranden.",
    "Förslaget har stämts av med Region Västernorrland inom Mellersta Norrland.",
    'Projektet "Hållbara resor i fjällen" lyftes fram som förebild.',
    "Reservation från (M) och (KD) till förmån för eget förslag.",
    "Tidplanen förskjuts eftersom statens besked om medfinansiering dröjer.",
    "Näringslivet i Östersund efterfrågar snabbare handläggning.",
    "Yrkande om återremiss avslogs med 9 röster mot 6.",
    "Frågan följs upp i årsredovisningen.",
)
POINTS = (
    "{f} ställer sig bakom förslaget.",
    "{f} godkänner handlingsplanen för perioden 2025–2027.",
    "Regiondirektören får i uppdrag att ta fram en tidplan för genomförandet.",
    "Finansieringen, högst 1,5 miljoner kronor, tas ur det regionala utvecklingsanslaget.",
    "Ärendet återrapporteras till {f} senast i december.",
    "Beslutet justeras omedelbart.",
    "Kommunerna i länet bjuds in att delta i arbetet.",
    "Yttrandet översänds till Näringsdepartementet.",
    "Förvaltningens förslag till ändrade riktlinjer antas.",
)

# Event titles per kind: {s} the case's subject, {f} the forum, {o} an organisation, {p} a place.
TITLES: dict[str, tuple[str, ...]] = {
    "registered": ("Ärendet registrerat", "Skrivelse inkommen från {o}",
                   "Inkommen begäran om yttrande", "Motion inlämnad", "Uppdrag registrerat i diariet"),
    "prepared": ("Beredning av {s}", "Förvaltningen tar fram underlag om {s}",
                 "Arbetsgrupp utreder {s}", "Samråd med kommunerna", "Beredning pågår"),
    "discussed": ("Dialog om {s}", "Diskussion i {f}", "Workshop om {s}",
                  "Överläggning med kommunerna i {p}", "Dialogmöte med näringslivet"),
    "presented": ("Föredragning: {s}", "Information om läget i ärendet",
                  "Presentation av utredningen för {f}", "Lägesrapport om {s}"),
    "consultation": ("Remiss till kommunerna i länet", "Remiss till {o}", "Remissvar från {o}",
                     "Remisstiden löper ut"),
    "proposal": ("Förslag till beslut om {s}", "Tjänsteskrivelse: {s}", "Ordförandeförslag",
                 "Arbetsutskottets förslag till {f}"),
    "referred_back": ("Återremiss för kompletterande underlag",
                      "Återremitterat: konsekvenserna för {p} ska utredas",
                      "Återremiss på yrkande från oppositionen"),
    "tabled": ("Bordlagt till nästa sammanträde", "Ärendet bordlagt",
               "Bordläggning på begäran av ledamot"),
    "deferred": ("Ärendet skjuts upp till nästa mandatperiod",
                 "Uppskjutet i väntan på statligt beslut", "Hänskjutet till regionfullmäktige"),
    "decided": ("Beslut om {s}", "Beslut enligt förslag", "Beslut: {s} godkänns",
                "Beslut med ändringar i {f}"),
    "communicated": ("Protokollsutdrag expedierat till {o}", "Beslutet expedierat",
                     "Protokollsutdrag skickat till kommunerna"),
    "closed": ("Ärendet avslutat", "Avslutat och arkiverat", "Ärendet avskrivet"),
    "withdrawn": ("Ärendet återtaget av förslagsställaren", "Motionen återtagen",
                  "Ärendet makulerat"),
    "other": ("Pressmeddelande publicerat", "Studiebesök i {p}",
              "Artikel i Östersunds-Posten om {s}", "Möte med riksdagsledamöter från länet",
              "Återkoppling till förslagsställaren"),
}  # fmt: skip

# Kinds in the middle of a case's life, as (kind, weight); a list of repeats is the
# fastest weighted choice. Lifecycle order (PHASE) sorts each round of work.
MIDDLE = (
    ("prepared", 14), ("discussed", 14), ("presented", 12), ("consultation", 6),
    ("proposal", 10), ("referred_back", 3), ("tabled", 3), ("deferred", 2), ("decided", 8),
    ("communicated", 5), ("other", 6),
)  # fmt: skip
PHASE = {
    "prepared": 0, "consultation": 1, "discussed": 1, "presented": 2, "other": 2,
    "proposal": 3, "referred_back": 4, "tabled": 4, "deferred": 4, "decided": 5,
    "communicated": 6,
}  # fmt: skip
#: How a closed case's history ends (DATA.md: with closed, or with a decision sent on).
ENDINGS = (
    (("decided", "communicated", "closed"), 8), (("decided", "closed"), 3), (("closed",), 2),
    (("decided", "communicated"), 3), (("decided",), 1), (("withdrawn", "closed"), 2),
)  # fmt: skip
ROUND = 6
PERIOD_KINDS = ("prepared", "consultation", "deferred", "discussed", "other")
MEETING_KINDS = ("discussed", "presented", "referred_back", "tabled", "decided")
# Which forum an event of each kind happens in; "" is the owner forum.
EVENT_FORUMS: dict[str, tuple[str, ...]] = {
    "registered": ("", "", ""),
    "prepared": ("AVD", "AVD", "RDS", ""),
    "discussed": ("", "LP", "RSAU", "SGRP", "KCN", ""),
    "presented": ("", "", "LP", "RSAU", "RF"),
    "consultation": ("TRV", "LST", "KCN", "", ""),
    "proposal": ("AVD", "RDS", "RSAU", ""),
    "referred_back": ("", "", "", "RF"),
    "tabled": ("", "", "RF"),
    "deferred": ("", ""),
    "decided": ("", "", "", "", "RF", "RSAU"),
    "communicated": ("", "", "EUK"),
    "closed": ("", ""),
    "withdrawn": ("", ""),
    "other": ("EUK", "LP", "SGRP", ""),
}  # fmt: skip
# Events that rest on a document: doc_type, document title ({t} case title, {s} subject,
# {r} decision paragraph) and the label the event's document column uses.
DOCUMENTS: dict[str, tuple[str, str, str]] = {
    "proposal": ("proposal", "Tjänsteskrivelse – {t}", "Tjänsteskrivelse"),
    "decided": ("minutes_extract", "Protokollsutdrag {r}", "Protokoll"),
    "presented": ("report", "Rapport: {s}", "Rapport"),
    "consultation": ("letter", "Remissbrev – {t}", "Remissbrev"),
    "registered": ("attachment", "Bilaga: karta över {s}", "Bilaga"),
    "other": ("attachment", "Bilaga: karta över {s}", "Bilaga"),
}
RELATION_CHOICES = ("related",) * 5 + ("continues",) * 2 + ("replaces", "depends_on", "other")


def add_meeting(folder: str | Path, meeting_id: str, items: int) -> list[str]:
    """Add to a data folder a RUN meeting on 13 June 2023 with its first ``items`` cases, in
    order, on its agenda (a meeting pack of that many items); the cases on it."""
    folder = Path(folder)
    with (folder / "cases.csv").open(encoding="utf-8", newline="") as file:
        cases = [row["case_id"] for row in csv.DictReader(file)][:items]
    rows = {
        "meetings": [{"meeting_id": meeting_id, "forum_id": "RUN", "date": "2023-06-13 09:00",
                      "title": "Regionala utvecklingsnämnden", "state": "planned"}],
        "agenda": [{"meeting_id": meeting_id, "item": str(number), "case_id": case}
                   for number, case in enumerate(cases, start=1)],
    }  # fmt: skip
    for name, new in rows.items():
        path = folder / TABLE[name].file
        with path.open(encoding="utf-8", newline="") as file:
            columns = next(csv.reader(file))
        with path.open("a", encoding="utf-8", newline="") as file:
            csv.DictWriter(file, columns, restval="", lineterminator="\n").writerows(new)
    return cases


def generate(out_dir: str | Path, *, cases: int, events_per_case: int, seed: int = 1) -> list[Path]:
    """Write a synthetic data folder that follows the data contract.

    Parameters
    ----------
    out_dir
        Folder to write to; created if missing. Contract files already there are
        overwritten, other files are left alone.
    cases
        Number of cases (at least 1).
    events_per_case
        Events in each case's history (at least 1). With 2 or more, a case starts
        with ``registered``; a closed case ends with ``closed``, ``decided`` or
        ``communicated``.
    seed
        Seed for :class:`random.Random`; the same seed gives byte-identical files.

    Returns
    -------
    list of Path
        The files written, in the contract's table order.

    Raises
    ------
    ParameterError
        If ``cases`` or ``events_per_case`` is below 1.

    Examples
    --------
    >>> paths = generate("demo", cases=100, events_per_case=20)  # doctest: +SKIP
    >>> load("demo").events.shape[0]  # doctest: +SKIP
    2000
    """
    if cases < 1 or events_per_case < 1:
        raise ParameterError(
            f"cases={cases}, events_per_case={events_per_case}: both must be at least 1"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = Random(seed)
    paths = {table.name: out / table.file for table in TABLES}
    with ExitStack() as stack:
        writers = {
            name: _open_writer(stack, path, TABLE[name].column_names)
            for name, path in paths.items()
        }
        writers["forums"].writerows(FORUMS)
        calendar = _write_meetings(writers["meetings"], rng)
        _CaseWriter(rng, calendar, writers).write(cases, events_per_case)
    return list(paths.values())


def _open_writer(stack: ExitStack, path: Path, header: tuple[str, ...]) -> Any:
    # newline="" hands line endings to the csv module; "\n" keeps files diff-friendly,
    # and values with line breaks (numbered points) are quoted by the writer.
    handle = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(header)
    return writer


@dataclass(slots=True)
class _Schedule:
    """One forum's meetings in date order, with the agenda filled so far."""

    days: list[int] = field(default_factory=list)  # date ordinals
    ids: list[str] = field(default_factory=list)
    held: list[bool] = field(default_factory=list)  # False: cancelled or still planned
    first_paragraph: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    letters: list[int] = field(default_factory=list)
    first_planned: int = 0

    def next_item(self, k: int, rng: Random) -> tuple[str, int] | None:
        """Add an item to meeting ``k``: its text (``7``, ``7a``) and paragraph number."""
        number = self.items[k]
        if number and self.letters[k] < 4 and rng.random() < 0.12:
            # Sub-items (7a, 7b) share their number: a matter split at the meeting.
            self.letters[k] += 1
            return f"{number}{'abcd'[self.letters[k] - 1]}", self.first_paragraph[k] + number - 1
        if number >= ITEMS_PER_MEETING:
            return None
        self.items[k] = number + 1
        self.letters[k] = 0
        return str(number + 1), self.first_paragraph[k] + number


def _write_meetings(writer: Any, rng: Random) -> dict[str, _Schedule]:
    """Write meetings.csv: each meeting forum's calendar, past and planned."""
    export = EXPORT_DAY.toordinal()
    last = export + CALENDAR_AHEAD
    calendar: dict[str, _Schedule] = {}
    for forum_id, months in CALENDAR.items():
        schedule = _Schedule()
        for year in range(FIRST_DAY.year, EXPORT_DAY.year + 2):
            for index, month in enumerate(months):
                # A Monday to Thursday in the month's middle weeks.
                day = dt.date(year, month, 4 + rng.randrange(20))
                day += dt.timedelta(days=(1 - day.weekday()) % 7 if day.weekday() > 3 else 0)
                if day.toordinal() > last:
                    break
                planned = day.toordinal() > export
                roll = rng.random()
                state = "planned" if planned else ("cancelled" if roll < 0.04 else "held")
                if not planned and roll > 0.9:
                    state = ""  # the state column is optional, and exports leave it out
                time = TIMES[rng.randrange(len(TIMES))]
                meeting_id = f"{forum_id}-{day.isoformat()}"
                name = FORUM_NAMES[forum_id]
                writer.writerow([
                    meeting_id, forum_id, f"{day.isoformat()} {time}".rstrip(),
                    f"{name}, sammanträde {index + 1}/{year}",
                    LOCATIONS[rng.randrange(len(LOCATIONS))], state,
                    # A held meeting's agenda went out ten days ahead; a planned one's is not out.
                    "" if planned else (day - dt.timedelta(days=10)).isoformat(),
                ])  # fmt: skip
                if planned and not schedule.first_planned:
                    schedule.first_planned = len(schedule.days)
                schedule.days.append(day.toordinal())
                schedule.ids.append(meeting_id)
                schedule.held.append(state in ("held", ""))
                schedule.first_paragraph.append(1 + index * ITEMS_PER_MEETING)
                schedule.items.append(0)
                schedule.letters.append(0)
        calendar[forum_id] = schedule
    return calendar


class _Case(NamedTuple):  # what a case's events are drawn from, once its row is written
    case_id: str
    owner: str
    title: str
    subject: str
    place: str
    opened_day: str  # its opening day in full
    opened_text: str  # as written: at times only the month
    end: int  # ordinal of its last possible event
    closed: bool


class _CaseWriter:
    """Writes cases with their events, agenda items, relations and documents, case by case."""

    def __init__(self, rng: Random, calendar: dict[str, _Schedule], writers: dict) -> None:
        self.rng = rng
        self.calendar = calendar
        self.cases = writers["cases"]
        self.events = writers["events"]
        self.agenda = writers["agenda"]
        self.relations = writers["relations"]
        self.documents = writers["documents"]
        first = FIRST_DAY.toordinal()
        # Date texts by ordinal offset: formatting a million dates once each is the slow part.
        span = range(first, EXPORT_DAY.toordinal() + CALENDAR_AHEAD + 1)
        self.first = first
        self.day_text = [dt.date.fromordinal(o).isoformat() for o in span]
        self.middle = [kind for kind, weight in MIDDLE for _ in range(weight)]
        self.endings = [ending for ending, weight in ENDINGS for _ in range(weight)]
        self.descriptions = tuple(self._description() for _ in range(400))
        self.case_ids: list[str] = []
        self.numbers: dict[str, int] = {}
        self.event_number = 0
        self.document_number = 0

    def _description(self) -> str:
        rng = self.rng
        chosen = rng.sample(SENTENCES, 1 + rng.randrange(3))
        # A fifth of descriptions run over several lines, as pasted from a memo.
        return ("\n" if rng.random() < 0.2 else " ").join(chosen)

    def _points(self, forum: str) -> str:
        rng = self.rng
        points = rng.sample(POINTS, 2 + rng.randrange(3))
        name = FORUM_NAMES.get(forum, "Nämnden")
        return "\n".join(f"{n}. {p.format(f=name)}" for n, p in enumerate(points, start=1))

    def write(self, cases: int, events_per_case: int) -> None:
        rng = self.rng
        first = self.first
        latest = EXPORT_DAY.toordinal() - 30
        # Registries number cases in order of registration, so open them in date order.
        opened_days = sorted(first + rng.randrange(latest - first) for _ in range(cases))
        for opened in opened_days:
            self._write_case(opened, events_per_case)

    def _case_id(self, owner: str, year: int) -> str:
        key = f"{owner}{year}"
        number = self.numbers.get(key, 0) + 1 + self.rng.randrange(3)
        self.numbers[key] = number
        if owner == "KS":
            return f"KS {year}/{number:04d}"
        return f"{owner}/{number}/{year}"

    def _write_case(self, opened: int, count: int) -> None:
        """Draw a case opened on ``opened``; write its row, then its ``count`` events."""
        rng = self.rng
        random = rng.random
        export = EXPORT_DAY.toordinal()
        owner = OWNERS[rng.randrange(len(OWNERS))]
        year = dt.date.fromordinal(opened).year
        case_id = self._case_id(owner, year)
        topic = TOPICS[rng.randrange(len(TOPICS))]
        place = PLACES[rng.randrange(len(PLACES))]
        subject = f"{topic} i {place}"
        if random() < 0.03:
            title = FIXED_TITLES[rng.randrange(len(FIXED_TITLES))]
        else:
            title = f"{ACTIONS[rng.randrange(len(ACTIONS))]} {subject}"
            if random() < 0.15:
                title += f" {year}–{year + 3}"
        end = opened + 60 + rng.randrange(1500)
        closed = end <= export and random() < 0.85
        end = min(end, export)
        opened_day = opened_text = self.day_text[opened - self.first]
        if random() < 0.03:
            opened_text = opened_text[:7]  # known only to the month
        summary = SUMMARIES[rng.randrange(len(SUMMARIES))].format(s=subject, p=place)
        self.cases.writerow([
            case_id, title, opened_text, "closed" if closed else "open",
            self.day_text[end - self.first] if closed else "", owner,
            RESPONSIBLE[rng.randrange(len(RESPONSIBLE))], summary,
        ])  # fmt: skip
        self._write_relation(case_id)
        self.case_ids.append(case_id)
        case = _Case(case_id, owner, title, subject, place, opened_day, opened_text, end, closed)
        self._write_events(case, opened, count)
        if not closed and random() < 0.25:
            self._plan(case_id, owner, title)

    def _write_events(self, case: _Case, opened: int, count: int) -> None:
        """Write the case's ``count`` events, their documents and agenda items."""
        rng = self.rng
        random = rng.random
        case_id, title, subject = case.case_id, case.title, case.subject
        days, kinds = self._history(opened, case.end, case.closed, count)
        context = {"s": subject, "p": case.place, "o": "", "f": ""}
        numbered = random() < 0.3  # some sources give seq for every event
        last_day = opened
        position = 0
        for index, (day, kind) in enumerate(zip(days, kinds, strict=True)):
            forums = EVENT_FORUMS[kind]
            forum = forums[rng.randrange(len(forums))] or case.owner
            decision_ref = ""
            item = None
            meeting = self._meeting(forum, day, last_day) if kind in MEETING_KINDS else None
            if meeting is not None:
                day = self.calendar[forum].days[meeting]
                item = self.calendar[forum].next_item(meeting, rng)
            if kind == "decided":
                paragraph = item[1] if item else 1 + rng.randrange(300)
                decision_ref = f"§ {paragraph}"
            position = position + 1 if day == last_day and index else 1
            last_day = day
            partial = meeting is None and kind != "decided" and not (case.closed and index == count - 1)
            date_text, end_text = self._event_dates(case, day, kind, index, partial)
            context["f"] = FORUM_NAMES[forum]
            context["o"] = ORGANISATIONS[rng.randrange(len(ORGANISATIONS))]
            templates = TITLES[kind]
            event_title = templates[rng.randrange(len(templates))].format_map(context)
            if kind == "proposal":
                description = self._points(forum)
            elif random() < 0.55:
                description = self.descriptions[rng.randrange(len(self.descriptions))]
            else:
                description = ""
            document = self._write_document(case_id, kind, date_text, title, subject, decision_ref)
            self.event_number += 1
            self.events.writerow([
                f"E{self.event_number:08d}", case_id, date_text, end_text, kind, forum,
                event_title, description, decision_ref, document,
                str(position) if numbered else "",
            ])  # fmt: skip
            if item is not None:
                proposal = self._points(forum) if kind == "decided" and random() < 0.5 else ""
                self.agenda.writerow([self.calendar[forum].ids[meeting], item[0], case_id,
                                      title, proposal, ""])  # fmt: skip

    def _event_dates(
        self, case: _Case, day: int, kind: str, index: int, partial: bool
    ) -> tuple[str, str]:
        """An event's date and end date as written; ``partial``: it may be known only in part."""
        date_text = self.day_text[day - self.first]
        end_text = ""
        if kind in PERIOD_KINDS and self.rng.random() < 0.25:
            end_day = min(day + 14 + self.rng.randrange(350), case.end)
            if end_day > day:
                end_text = self.day_text[end_day - self.first]
        if index == 0 and kind == "registered":
            date_text = case.opened_text
        elif partial:
            # Partial dates in the middle of a history; the same precision for both
            # ends of a period keeps end_date on or after date. A partial date sorts
            # at its span's start, so one whose span starts before the case was
            # opened stays a full date: the history still begins with registration.
            roll = self.rng.random()
            if roll < 0.08 and f"{date_text[:7]}-01" >= case.opened_day:
                date_text, end_text = date_text[:7], end_text[:7]
            elif 0.08 <= roll < 0.11 and f"{date_text[:4]}-01-01" >= case.opened_day:
                date_text, end_text = date_text[:4], end_text[:4]
        return date_text, end_text

    def _history(self, opened: int, end: int, closed: bool, count: int) -> tuple[list, list]:
        """Days (sorted ordinals) and kinds of a case's events."""
        rng = self.rng
        random = rng.random
        span = end - opened + 1
        ending: tuple[str, ...] = ()
        if closed:
            ending = self.endings[rng.randrange(len(self.endings))]
            ending = ending[-(count - 1) :] if count > 1 else ending[-1:]
        head = ["registered"] if count > 1 or not closed else []
        free = count - len(head) - len(ending)
        middle = [self.middle[int(random() * len(self.middle))] for _ in range(free)]
        # Work comes in rounds: within each, preparation before proposal before decision.
        for start in range(0, free, ROUND):
            middle[start : start + ROUND] = sorted(middle[start : start + ROUND], key=PHASE.get)
        kinds = [*head, *middle, *ending]
        days = sorted(opened + int(random() * span) for _ in range(count))
        if head:
            days[0] = opened
        if closed:
            days[-1] = end
        return days, kinds

    def _meeting(self, forum: str, day: int, earliest: int) -> int | None:
        """The forum's last held meeting on or before ``day`` but not before ``earliest``."""
        schedule = self.calendar.get(forum)
        if schedule is None:
            return None
        k = bisect_right(schedule.days, day) - 1
        if k < 0 or schedule.days[k] < earliest or not schedule.held[k]:
            return None
        return k

    def _plan(self, case_id: str, owner: str, title: str) -> None:
        """Put an open case on one of its owner's planned meetings."""
        schedule = self.calendar[owner]
        if not schedule.first_planned:
            return
        ahead = len(schedule.days) - schedule.first_planned
        k = schedule.first_planned + self.rng.randrange(min(ahead, 4))
        item = schedule.next_item(k, self.rng)
        if item is not None:
            proposal = f"Förslag till beslut:\n{self._points(owner)}"
            self.agenda.writerow([schedule.ids[k], item[0], case_id, title, proposal, ""])

    def _write_relation(self, case_id: str) -> None:
        rng = self.rng
        earlier = len(self.case_ids)
        if not earlier or rng.random() >= 0.15:
            return
        # Related cases are mostly recent: a case continues or replaces one from the same years.
        other = self.case_ids[earlier - 1 - rng.randrange(min(earlier, 300))]
        relation = RELATION_CHOICES[rng.randrange(len(RELATION_CHOICES))]
        self.relations.writerow([case_id, other, relation])

    def _write_document(
        self, case_id: str, kind: str, date_text: str, title: str, subject: str, ref: str
    ) -> str:
        """File a document for events that rest on one; return the event's document text."""
        filed = DOCUMENTS.get(kind)
        rng = self.rng
        if filed is None or rng.random() >= 0.6:
            return ""
        doc_type, template, label = filed
        doc_title = template.format(t=title, s=subject, r=ref)
        self.document_number += 1
        slug = case_id.replace("/", "-").replace(" ", "-")
        roll = rng.random()
        if roll < 0.5:
            link = f"https://diarium.example.se/arende/{slug}/{self.document_number}.pdf"
        elif roll < 0.8:
            link = f"dokument/{slug}/{self.document_number}.pdf"
        else:
            link = ""
        doc_type = "other" if roll > 0.97 else doc_type
        self.documents.writerow([case_id, date_text, doc_title, doc_type, link])
        return f"{label} {date_text}"
