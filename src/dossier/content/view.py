"""The case view: every sentence and figure a reader sees about one case, built once.

The dossier's sections, the mail, the batch and pack index pages and the
notebook all show a case through :class:`CaseView`, so they say it in the same
words. Sentences are :class:`~dossier.catalogue.Words`: catalogue text with the
data's own text kept apart as :class:`~dossier.catalogue.Source`, which a page
marks with the data's own language (``[data] lang``).

A date is shown as the data gives it ("maj 2020", "2023"); one whose span
runs past the dossier's day says so where a sentence rests on it ("2023,
möjligen efter den 1 juni 2023"); durations are ranges or bounds
(:func:`duration`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..catalogue import Source, Words, label, text, words
from ..data.changes import Change, Comparison
from ..data.dates import PartialDate, format_day
from ..data.earlier import Baseline
from ..data.model import CaseFile, Event, Meeting
from .analysis import COUNTED_KINDS, DecisionSummary, Inactivity, Months

#: The summary sentence gives at most this many of a proposal's points; the section gives all.
SENTENCE_POINTS = 3

#: The summary and the mail list this many of the latest decisions; the history lists every one.
SHOWN_DECISIONS = 5

#: A range of months this wide comes from a date known only to the year: say it in years.
YEAR_WIDE = 11

#: (label, value) as the page shows it.
Fact = tuple[str, Words]


@dataclass(frozen=True, slots=True)
class PendingView:
    """The pending proposal: its title, who and when, its points."""

    title: Source
    about: Words
    points: tuple[tuple[str, Source], ...]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One decision as the decisions table and the mail list it."""

    date: str
    kind: str
    forum: Source | str
    paragraph: str
    title: Source

    def details(self) -> Words:
        """Kind, forum and paragraph on one line ("beslut · Regionala utvecklingsnämnden · § 224"),
        leaving out what the records lack: for a list read on a phone or as plain text."""
        return _joined([self.kind, *(part for part in (self.forum, self.paragraph) if part != "–")],
                       " · ")  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseView:
    """What a reader sees of one case as of one day, in one language.

    Attributes
    ----------
    facts
        The header's facts: status, responsible body, handled by, registered,
        closed (when closed on the day), the day itself, "new since".
    sentence
        Where the case stands: its status, the pending proposal's points in
        short and the latest decision, with forum and date.
    standing
        The sentence without the pending proposal, for the dossier's summary, which
        gives the proposal whole right below it (said once on the page).
    activity, inactive
        How long since the latest event; whether that is over the limit.
    figures
        The case in figures: counts, time open, the longest quiet spell.
    next_meeting
        What happens next: the meeting and item, the forum's coming meeting, or that
        no further handling is known.
    later
        How many events and documents dated after the day are left out (and
        the registry's summary of the case with them); None when none are.
    """

    lang: str
    as_of: dt.date
    case_id: str
    title: Source
    summary: Source
    facts: tuple[Fact, ...]
    sentence: Words
    standing: Words
    activity: Words
    inactive: bool
    pending: PendingView | None
    decisions: tuple[DecisionRow, ...]
    figures: tuple[Fact, ...]
    next_meeting: Words
    later: Words | None
    earlier_decisions: Words | None = None
    #: What is new since ``since`` (:func:`news_view`); None without a ``since``.
    news: NewsView | None = None
    #: What changed since an earlier dossier (:func:`changes_view`); None without one.
    changes: ChangesView | None = None
    #: The language of the data's own text (:class:`Source`), "" when the data does not say.
    source_lang: str = ""

    def news_lines(self) -> tuple[Words, ...]:
        """What is new and what changed, one line each, as the dossier's sections say them."""
        return (*(self.news.lines if self.news else ()), *(self.changes.lines if self.changes else ()))

    def news_pairs(self) -> list[list]:
        """:meth:`news_lines` as :meth:`Words.pairs`, for the index pages (JSON in the report)."""
        return [line.pairs() for line in self.news_lines()]


def case_view(
    case_file: CaseFile,
    summary: DecisionSummary,
    lang: str,
    since: dt.date | None = None,
    *,
    since_meeting: dt.date | None = None,
    baseline: Baseline | None = None,
) -> CaseView:
    """Build the view of a case file cut to its day (:meth:`CaseFile.as_of`) and its summary.

    Parameters
    ----------
    case_file
        The case as of the dossier's day.
    summary
        :func:`~dossier.content.analysis.summarise` of that case file.
    lang
        ``"sv"``, ``"en"`` or ``"de"``.
    since
        The day from which events are marked new, shown among the facts; None for none.
    since_meeting
        The forum's previous meeting's day, when ``since`` is the day after it.
    baseline
        The earlier dossier compared with, and what differs
        (:class:`~dossier.data.changes.Baseline`); None for no comparison.
    """
    day = case_file.day
    case = case_file.case
    pending = None
    if summary.pending:
        event = summary.pending.event
        points = tuple((number, Source(body)) for number, body in summary.pending.points)
        pending = PendingView(Source(event.title), _about(case_file, event, lang), points)
    decisions = tuple(
        DecisionRow(
            d.event.date.format(lang), label("kind", d.event.kind, lang),
            Source(d.forum) if d.forum else "–", d.paragraph or "–", Source(d.event.title),
        )
        for d in summary.decisions[-SHOWN_DECISIONS:]
    )  # fmt: skip
    next_meeting = _next_meeting(case_file, summary, lang)
    # Registered after the day: no time open, no quiet spell, nothing to measure yet.
    figures = _figures(summary, lang, measured=not case_file.unregistered)
    news = news_view(case_file, since, since_meeting, lang) if since else None
    compared = changes_view(case_file, baseline, lang) if baseline else None
    sentence = status_sentence(case_file, summary, lang)
    standing = status_sentence(case_file, summary, lang, pending=False)
    counts = [part.count for part in (news, compared) if part is not None]
    return CaseView(
        lang=lang,
        source_lang=case_file.source_lang,
        as_of=day,
        case_id=case.case_id,
        title=Source(case.title),
        # The registry's summary is of the registry's time: with later records it may tell of them.
        summary=Source("" if _has_later(case_file) or case_file.unregistered else case.summary),
        facts=_facts(case_file, lang, since),
        sentence=_joined([sentence, *counts], " ") if counts else sentence,
        standing=_joined([standing, *counts], " ") if counts else standing,
        activity=(
            words("phrase.no_events", lang)
            if case_file.unregistered
            else activity(summary.inactivity, lang)
        ),
        inactive=summary.inactivity.inactive,
        pending=pending,
        decisions=decisions,
        figures=figures,
        next_meeting=next_meeting,
        later=_later(case_file, lang),
        earlier_decisions=_earlier_decisions(len(summary.decisions) - len(decisions), lang),
        news=news,
        changes=compared,
    )


def _earlier_decisions(n: int, lang: str) -> Words | None:
    """"12 tidigare beslut finns i ärendets historik." for the decisions the summary leaves out."""
    if n <= 0:
        return None
    history = text("heading.history", lang)
    key = "phrase.earlier_decision_one" if n == 1 else "phrase.earlier_decisions"
    return words(key, lang, n=n, history=history)


def duration(months: Months, lang: str) -> str:
    """A length of time at the precision it is known: "3 år 5 mån", "2–3 mån", "3–4 år", "mindre än 6 mån".

    Whole years and months as people count an age: "3–4 år" is three or four
    whole years. A range as wide as a date known only to the year makes is
    given in years only.
    """
    if months.exact:
        return _length(months.low, lang)
    if months.high - months.low >= YEAR_WIDE:
        low, high = months.low // 12, months.high // 12
        if low == 0:
            return text("duration.under", lang, length=_length((high + 1) * 12, lang))
        if low == high:
            return _length(low * 12, lang)
        return text("duration.year_range", lang, low=low, high=high)
    if months.low == 0:
        return text("duration.under", lang, length=_length(months.high + 1, lang))
    if months.high < 12:
        return text("duration.month_range", lang, low=months.low, high=months.high)
    return text(
        "duration.range", lang, low=_length(months.low, lang), high=_length(months.high, lang)
    )


def at_least(months: Months, lang: str) -> str:
    """The length that is certain: "minst 1 år 2 mån" (or the exact length, when known)."""
    if months.exact:
        return _length(months.low, lang)
    return text("duration.at_least", lang, length=_length(months.low, lang))


def _length(months: int, lang: str) -> str:
    if months == 0:
        return text("duration.none", lang)
    years, rest = divmod(months, 12)
    year_words = _counted(years, "duration.year_one", "duration.years", lang) if years else ""
    month_words = _counted(rest, "duration.month_one", "duration.months", lang) if rest else ""
    if year_words and month_words:
        return text("duration.years_months", lang, years=year_words, months=month_words)
    return year_words or month_words


def _counted(n: int, one: str, many: str, lang: str) -> str:
    return text(one, lang) if n == 1 else text(many, lang, n=n)


def when(date: PartialDate, day: dt.date, lang: str) -> Words:
    """A date in a sentence, saying so when it may lie after the dossier's day."""
    if date.end > day:
        return words("date.maybe_later", lang, date=date.format(lang), as_of=format_day(day, lang))
    return Words([date.format(lang)])


def status_sentence(
    case_file: CaseFile, summary: DecisionSummary, lang: str, *, pending: bool = True
) -> Words:
    """Where the case stands: status, the pending proposal in short (unless not ``pending``),
    the latest decision.

    "Pågående sedan 2020. Liggande förslag (Regiondirektörens förslag, 2023): 1. …
    2. … Senaste beslut: Ärendet hänsköts ytterligare till sommaren 2023 (uppskjutet, 2023)."
    """
    case, day = case_file.case, case_file.day
    if case_file.unregistered:
        return words("status_sentence.unregistered", lang, as_of=format_day(day, lang))
    if case.status == "closed":
        parts = [
            words(f"status_sentence.closed.{case.closed.precision}", lang,
                  closed=case.closed.format(lang))
            if case.closed
            else words("status_sentence.closed_undated", lang)
        ]  # fmt: skip
    else:
        parts = [
            words(f"status_sentence.open.{case.opened.precision}", lang,
                  opened=case.opened.format(lang))
        ]  # fmt: skip
    if summary.pending and pending:
        event = summary.pending.event
        title, date = Source(event.title), when(event.date, day, lang)
        shown = summary.pending.points[:SENTENCE_POINTS]
        if shown:
            points = Words(_point(number, body, i) for i, (number, body) in enumerate(shown))
            parts.append(
                words("status_sentence.pending", lang, title=title, when=date, points=points)
            )
            more = len(summary.pending.points) - len(shown)
            if more:
                parts.append(Words([_counted(more, "status_sentence.more_point_one",
                                             "status_sentence.more_points", lang)]))  # fmt: skip
        else:
            parts.append(words("status_sentence.pending_no_points", lang, title=title, when=date))
    if summary.decisions:
        last = summary.decisions[-1]
        event = last.event
        details = [] if event.kind == "decided" else [label("kind", event.kind, lang)]
        details += [Source(last.forum)] if last.forum else []
        details += [when(event.date, day, lang)]
        details += [last.paragraph] if last.paragraph else []
        parts.append(words("status_sentence.last_decision", lang, title=Source(event.title),
                           details=_joined(details)))  # fmt: skip
    else:
        parts.append(words("status_sentence.no_decision", lang))
    return _joined(parts, " ")


def _point(number: str, body: str, index: int) -> Words:
    # Each point ends as a sentence does, so the next one reads as its own.
    stop = "" if body.rstrip()[-1:] in ".!?" else "."
    return Words([" " if index else "", f"{number}. ", Source(body), stop])


def _joined(parts: list, separator: str = ", ") -> Words:
    joined: list = []
    for part in parts:
        if joined:
            joined.append(separator)
        joined.append(part)
    return Words(joined)


def activity(inactivity: Inactivity, lang: str) -> Words:
    """How long since the latest event, and against which limit; flagged when over it."""
    limit = inactivity.threshold
    since = inactivity.since
    if inactivity.inactive:
        return words("activity.inactive", lang, length=at_least(since, lang), limit=limit)
    if not inactivity.has_events:
        return words("activity.no_events", lang, length=duration(since, lang), limit=limit)
    if since.high == 0:
        return words("activity.recent", lang, limit=limit)
    return words("activity.ago", lang, length=duration(since, lang), limit=limit)


def _about(case_file: CaseFile, event: Event, lang: str) -> Words:
    """Who made the proposal and when: "Regiondirektören, 2023"."""
    forum = [Source(case_file.forum_name(event.forum_id))] if event.forum_id else []
    return _joined([*forum, when(event.date, case_file.day, lang)])


def _next_meeting(case_file: CaseFile, summary: DecisionSummary, lang: str) -> Words:
    """The agenda item the case is on next; else its forum's coming meeting; else none known."""
    item = summary.next_meeting
    if item is None and summary.next_sitting is not None:
        meeting = summary.next_sitting
        said = words("phrase.forum_meets", lang, forum=Source(case_file.forum_name(meeting.forum_id)),
                     when=_meeting_when(meeting, lang))  # fmt: skip
        # A made-up meeting says so before anything else about it: its title comes first.
        return Words([Source(meeting.title), ": ", said]) if meeting.is_example else said
    if item is None:
        return words("phrase.no_further_handling", lang)
    meeting = item.meeting
    at = _meeting_when(meeting, lang)
    forum = case_file.forum_name(meeting.forum_id)
    who = Words([Source(forum)])
    if meeting.is_example:
        # A made-up meeting says so before anything else about it: its title comes first.
        title = meeting.title
        who = Words([Source(title)] if forum.casefold() in title.casefold()
                    else [Source(title), " (", Source(forum), ")"])  # fmt: skip
    if not item.item:  # an agenda item without a number (its data note says so)
        return words("phrase.next_meeting_unnumbered", lang, forum=who, when=at)
    return words("phrase.next_meeting", lang, forum=who, when=at, item=item.item)


def _meeting_when(meeting: Meeting, lang: str) -> Words | str:
    """The meeting's day, and its time when the data gives one: "13 juni 2023 kl. 09:00"."""
    day = format_day(meeting.day, lang)
    return words("date.day_time", lang, day=day, time=meeting.time) if meeting.time else day


def _facts(case_file: CaseFile, lang: str, since: dt.date | None) -> tuple[Fact, ...]:
    case = case_file.case
    owner = case_file.forum_name(case.owner_forum_id)
    status = text("phrase.unregistered", lang) if case_file.unregistered else label(
        "status", case.status, lang)  # fmt: skip
    facts = [
        (text("field.status", lang), Words([status])),
        (text("field.owner", lang), Words([Source(owner) if owner else "–"])),
        (text("field.responsible", lang), Words([Source(case.responsible) or "–"])),
    ]
    if not case_file.unregistered:
        facts.append((text("field.opened", lang), Words([case.opened.format(lang)])))
    if case.status == "closed" and case.closed:
        facts.append((text("field.closed", lang), Words([case.closed.format(lang)])))
    facts.append((text("field.as_of", lang), _on(case_file.day, lang)))
    if since:
        facts.append((text("field.since", lang), _on(since, lang)))
    return tuple(facts)


def _on(day: dt.date, lang: str) -> Words:
    return words("date.day", lang, date=format_day(day, lang))


def _figures(summary: DecisionSummary, lang: str, measured: bool = True) -> tuple[Fact, ...]:
    figures = [
        (text(f"count.{kind}", lang), Words([str(summary.counts[kind])])) for kind in COUNTED_KINDS
    ]
    if measured:
        figures.append((text("field.time_open", lang), Words([duration(summary.time_open, lang)])))
        quiet = summary.quiet
        if quiet:
            length = duration(quiet.months, lang)
            spell = words("phrase.quiet", lang, length=length, start=quiet.after.format(lang),
                          end=quiet.before.format(lang))  # fmt: skip
        else:
            spell = words("phrase.no_quiet", lang)
        figures.append((text("field.quiet", lang), spell))
    return tuple(figures)


def _has_later(case_file: CaseFile) -> bool:
    return bool(case_file.later_events or case_file.later_documents)


def _later(case_file: CaseFile, lang: str) -> Words | None:
    """What the registry holds after the day and the dossier leaves out."""
    if not _has_later(case_file):
        return None
    things = [
        _counted(n, f"count.{kind}_one", f"count.{kind}s", lang)
        for n, kind in ((case_file.later_events, "event"), (case_file.later_documents, "document"))
        if n
    ]
    if len(things) == 2:
        things = [text("phrase.and", lang, first=things[0], second=things[1])]
    later = words("phrase.later", lang, things=things[0])
    if case_file.case.summary:
        later = Words([later, " ", words("phrase.later_summary", lang)])
    return later


# -- what is new, what changed --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewsView:
    """The case's events since a day: those certainly after it and those whose date may be.

    Attributes
    ----------
    heading
        "Nytt sedan förra sammanträdet (12 maj 2024)", "Nytt sedan den 3 maj 2024".
    lines
        One line per event dated on or after the day (its whole date's span).
    possible
        One line per event dated only to a month or year that holds the day: it may be
        new or not, so it is not counted.
    count
        The sentence that says how many, for the summary.
    """

    heading: str
    lines: tuple[Words, ...]
    possible: tuple[Words, ...]
    count: Words
    empty: str
    possible_note: str


@dataclass(frozen=True, slots=True)
class ChangesView:
    """What differs in the case's records between an earlier dossier and this one."""

    heading: str
    lines: tuple[Words, ...]
    count: Words
    #: Said when there are no lines: no changes, or the case is new in the comparison.
    empty: str


def news_view(
    case_file: CaseFile, since: dt.date, since_meeting: dt.date | None, lang: str
) -> NewsView:
    """The events dated after the forum's previous meeting (``since_meeting``), or from ``since`` on.

    Up to the dossier's day only (the case file is cut to it). An event whose date's
    span begins on or after ``since`` is new; one whose span only reaches it ("maj
    2024" for a ``since`` of 12 May 2024) is listed apart as possibly new, and not
    counted: its day is not known.
    """
    if since_meeting is not None:
        when_text = text("phrase.since_meeting", lang, date=format_day(since_meeting, lang))
        heading = text("heading.new_since_meeting", lang, date=format_day(since_meeting, lang))
    else:
        when_text = str(_on(since, lang))
        heading = text("heading.new_since", lang, date=format_day(since, lang))
    new = [e for e in case_file.events if e.date.start >= since]
    possible = [e for e in case_file.events if e.date.start < since <= e.date.end]
    count = words(
        "sentence.new_none" if not new else "sentence.new_one" if len(new) == 1 else "sentence.new_many",
        lang, n=len(new), since=when_text,
    )  # fmt: skip
    if possible:
        count = Words([count, " ", _counted(len(possible), "sentence.possibly_new_one",
                                            "sentence.possibly_new_many", lang)])  # fmt: skip
    return NewsView(
        heading,
        tuple(_event_line(case_file, e, lang) for e in new),
        tuple(_event_line(case_file, e, lang) for e in possible),
        count,
        text("phrase.no_new", lang),
        text("phrase.possibly_new_note", lang, date=format_day(since, lang)),
    )


def _event_line(case_file: CaseFile, event: Event, lang: str) -> Words:
    """"maj 2024, beslut, Regionala utvecklingsnämnden: Title" (a period with its end)."""
    row = {"date": event.date.isoformat(), "end_date": "" if event.running or not event.end_date
           else event.end_date.isoformat(), "kind": event.kind, "forum_id": event.forum_id,
           "title": event.title, "decision_ref": event.decision_ref}  # fmt: skip
    return _record_line(case_file, row, lang)


def _record_line(case_file: CaseFile, row, lang: str) -> Words:
    """An event's or a document's row in one line: date, kind, forum, paragraph: title."""
    date = PartialDate.parse(row["date"]).format(lang)
    if row.get("end_date"):
        date = f"{date} – {PartialDate.parse(row['end_date']).format(lang)}"
    kind = label("kind", row["kind"], lang) if "kind" in row else label(
        "doc_type", row.get("doc_type", ""), lang)  # fmt: skip
    parts: list = [date, kind]
    if row.get("forum_id"):
        parts.append(Source(case_file.forum_name(row["forum_id"])))
    if row.get("decision_ref"):
        parts.append(Source(row["decision_ref"]))
    return Words([_joined(parts), ": ", Source(row["title"])])


def changes_view(case_file: CaseFile, baseline: Baseline, lang: str) -> ChangesView:
    """What changed since the earlier dossier, one line per change, in the reader's words.

    The sentence counts the new events and the corrections apart (:func:`changes_count`).
    """
    if not baseline.found:
        return ChangesView(
            text("heading.changes_new_case", lang), (), words("sentence.changes_new_case", lang),
            text("phrase.new_in_comparison", lang),
        )  # fmt: skip
    day, compared = format_day(baseline.day, lang), baseline.comparison
    return ChangesView(
        text("heading.changes", lang, date=day),
        tuple(change_line(case_file, c, lang) for c in compared.changes),
        changes_count(compared, day, lang),
        text("phrase.no_changes", lang, date=day),
    )


def changes_count(compared: Comparison, day: str, lang: str) -> Words:
    """"Sedan sammanställningen per den 1 juni 2022: 9 nya händelser, inga rättelser."; with nothing to
    list, "Inga ändringar i underlaget sedan sammanställningen per den 1 juni 2022.".

    The other news (a document filed, a period ended) are counted only where there is no
    new event, so that the sentence never reads as if nothing had come.
    """
    if not compared.changes:
        return words("sentence.changes_none", lang, date=day)
    parts = [_counted_none(compared.new_events, "changes.new_event", lang)]
    if compared.other_news and not compared.new_events:
        parts.append(_counted_none(compared.other_news, "changes.other_news", lang))
    parts.append(_counted_none(compared.corrections, "changes.correction", lang))
    return words("sentence.changes_since", lang, date=day, counts=_joined(parts))


def _counted_none(n: int, key: str, lang: str) -> str:
    """"inga rättelser", "1 rättelse", "3 rättelser": ``key`` + ``_none``, ``_one``, ``_many``."""
    return text(f"{key}_{'none' if n == 0 else 'one' if n == 1 else 'many'}", lang, n=n)


def change_line(case_file: CaseFile, change: Change, lang: str) -> Words:
    """One change as a reader sees it: "Ändrad händelse: maj 2024, beslut: X. Rubrik: A → B"."""
    record = change.record
    if change.kind.startswith("related_"):
        relation = label("relation_inverse" if record["inverse"] else "relation",
                         record["relation"], lang)  # fmt: skip
        return words(f"change.{change.kind}", lang,
                     case=Words([Source(record["case_id"]), f" ({relation})"]))  # fmt: skip
    fields = _joined([_field_change(case_file, change, name, old, new, lang)
                      for name, old, new in change.fields], "; ")  # fmt: skip
    if change.kind == "case_changed":
        return words("change.case_changed", lang, fields=fields)
    line = _record_line(case_file, record, lang)
    if change.kind == "event_changed":
        return words("change.event_changed", lang, event=line, fields=fields)
    return words(f"change.{change.kind}", lang, event=line)


def _field_change(case_file: CaseFile, change: Change, name: str, old: str, new: str,
                  lang: str) -> Words:  # fmt: skip
    table = "case" if change.kind == "case_changed" else "event"
    return words("change.field", lang, field=text(f"change_field.{table}.{name}", lang),
                 old=_field_value(case_file, name, old, lang),
                 new=_field_value(case_file, name, new, lang))  # fmt: skip


def _field_value(case_file: CaseFile, name: str, value: str, lang: str) -> Words:
    """A field's value as the dossier shows it: a date at its precision, a label, a forum's name."""
    if not value:
        return Words(["–"])
    if name in ("date", "end_date", "opened", "closed"):
        return Words([PartialDate.parse(value).format(lang)])
    if name == "kind":
        return Words([label("kind", value, lang)])
    if name == "status":
        return Words([label("status", value, lang)])
    if name in ("forum_id", "owner_forum_id"):
        return Words([Source(case_file.forum_name(value))])
    return words("phrase.quoted", lang, text=Source(value))
def event_when(event: Event, lang: str) -> str:
    """An event's date as the dossier writes it: a period's end, or "pågår" while it runs."""
    if event.running:
        return f"{event.date.format(lang)} – {text('phrase.ongoing', lang)}"
    if event.end_date:
        return f"{event.date.format(lang)} – {event.end_date.format(lang)}"
    return event.date.format(lang)
