"""The dossier's timeline: one lane per forum, one marker shape per event kind.

The figure is made for an A4 page that is often printed in black and white:
shapes carry the event kind (colour only repeats it), periods are bars (those
that overlap in one forum each in a sub-lane of their own), dates known only
to the month or year are drawn as flat brackets under their marker, decisions
carry their protocol paragraph where it fits, and the "as of" date is a
labelled line. Nothing is drawn after that line: the case file comes cut to
its day (:meth:`~dossier.data.model.CaseFile.as_of`), so a period still
running ends on it, a year-only event in its year reaches no further, and the
date axis has no tick beyond it.

Big cases stay readable: forum names wrap (their lane grows, to six lines), a lane
too crowded for its markers counts its events per month, quarter or year, and
years without any event are cut out of the axis and drawn as a break.
:func:`timeline_alt` says in words what the figure shows.

This module holds the ways in (:func:`timeline`, :func:`timeline_svg`) and the
text alternative; what goes where is in ``timeline_layout``, the drawing itself
in ``timeline_drawing``.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas,
never through pyplot, so no GUI backend is touched and nothing is shared
between calls. :func:`timeline_svg` gives byte-identical SVG for the same input.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools

from matplotlib.figure import Figure

from ..catalogue import LANGUAGES, check_language, label, text
from ..data.dates import PartialDate, format_day
from ..data.model import Case, CaseFile, Event, Forum
from .analysis import DECISION_KINDS
from .figure_style import figure_style
from .timeline_drawing import _Timeline
from .timeline_layout import ChangeMarks, _day_number, _stretches


def timeline(
    case_file: CaseFile, *, as_of: dt.date, since: dt.date | None = None, lang: str = "sv",
    changed: ChangeMarks | None = None,
) -> Figure:
    """Draw the case's timeline: one lane per forum, one marker per event.

    Parameters
    ----------
    case_file
        The case and its ordered events, as of ``as_of`` (:meth:`CaseFile.as_of`;
        a file not yet cut to that day is cut here).
    as_of
        The dossier's "as of" date, drawn as a labelled vertical line.
    since
        Events that may have happened on or after this date (any part of their
        date's span, as :func:`dossier.content.analysis.is_new` says) get a halo; None
        highlights nothing.
    lang
        ``"sv"``, ``"en"`` or ``"de"``: the language of labels, legend and month names.
    changed
        Events added or changed since an earlier dossier, marked with a square
        (:func:`draw_change_marks`); None marks none.

    Returns
    -------
    matplotlib.figure.Figure
        A figure 7 inches wide, as tall as its lanes need, on an Agg canvas.
        Lanes run top to bottom in order of first involvement, events without
        a forum last; the y tick labels are the (wrapped) forum names.

    Raises
    ------
    dossier.errors.ParameterError
        If ``lang`` is not a dossier language.
    """
    check_language(lang)
    with figure_style():
        timeline = _Timeline(_on(case_file, as_of), as_of, since, lang)
        timeline.changed = changed
        return timeline.draw()


def _on(case_file: CaseFile, as_of: dt.date) -> CaseFile:
    # A dossier's case file comes cut to its day; a file cut to no day (or another) is cut here.
    return case_file if case_file.day == as_of else case_file.as_of(as_of)


def timeline_svg(
    case_file: CaseFile, *, as_of: dt.date, since: dt.date | None = None, lang: str = "sv",
    changed: ChangeMarks | None = None,
) -> str:
    """The timeline as SVG text, byte-identical for the same input.

    Parameters
    ----------
    case_file, as_of, since, lang, changed
        As for :func:`timeline`.

    Returns
    -------
    str
        A standalone SVG document; text stays text (font DejaVu Sans), no
        creation date is written and element ids do not vary between runs.
    """
    with figure_style():
        figure = timeline(case_file, as_of=as_of, since=since, lang=lang, changed=changed)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def warm_up() -> None:
    """Draw a made-up case's timeline in every language, and throw it away.

    A process's first timeline loads what every later one uses: the SVG backend, the
    fonts and their metrics, the month names of each language (about 0.1 s). A kernel
    template (:mod:`dossier.run.kernel_template`) does it once, so that the kernels
    forked from it do not each do it again. The timelines drawn later are the same bytes.
    """
    day = dt.date(2000, 6, 30)
    forum = Forum("F", "Nämnd", "committee")
    events = tuple(
        Event("X/1/2000", PartialDate.parse(date), kind, kind, forum_id="F", decision_ref=ref)
        for date, kind, ref in (("2000-01", "registered", ""), ("2000-02-01", "proposal", ""),
                                ("2000-03-01", "decided", "§ 1"), ("2000", "other", ""))
    )  # fmt: skip
    case = Case("X/1/2000", "Ärende", PartialDate.parse("2000-01"), "open", owner_forum_id="F")
    case_file = CaseFile(case, events, {"F": forum}, (), (), (), ()).as_of(day)
    for lang in LANGUAGES:
        timeline_svg(case_file, as_of=day, since=dt.date(2000, 2, 1), lang=lang)
        timeline_alt(case_file, as_of=day, lang=lang)


def timeline_alt(case_file: CaseFile, *, as_of: dt.date, lang: str = "sv") -> str:
    """What the timeline shows, in a few sentences: the text alternative of the figure.

    "Tidslinje för RUN/168/2020: 18 händelser i 11 forum, 2019 – 2023. Flest
    händelser: Regionala utvecklingsnämnden (6), … Beslut (1): december 2022
    (Regionala utvecklingsnämnden, § 224). Senaste händelse: förslag,
    Regiondirektören, 2023. Alla händelser står i tabellen ”Ärendets historik”."

    Parameters
    ----------
    case_file
        The case and its events.
    as_of
        The dossier's "as of" date; named when it lies after the last event,
        since the figure then reaches beyond the events (and says so when the
        quiet time before it is left out of the axis).
    lang
        ``"sv"``, ``"en"`` or ``"de"``.

    Returns
    -------
    str
        The sentences, dates at the precision the source gives.
    """
    case_file = _on(case_file, as_of)
    case_id = case_file.case.case_id
    events = case_file.events
    if not events:
        return text("phrase.timeline_alt_empty", lang, case_id=case_id)
    first = min(events, key=lambda e: e.start)
    last = max(events, key=lambda e: e.end)
    start = first.date.format(lang)
    end = _alt_end(last, as_of, lang)
    forums = len({e.forum_id for e in events if e.forum_id})
    if len(events) == 1:
        span = f"{start} – {end}" if first.is_period else start
        sentences = [text("phrase.timeline_alt_one", lang, case_id=case_id, date=span)]
    else:
        key = {0: "phrase.timeline_alt_no_forum", 1: "phrase.timeline_alt_one_forum"}.get(
            forums, "phrase.timeline_alt"
        )
        sentences = [text(key, lang, case_id=case_id, n=len(events), forums=forums, start=start,
                          end=end)]  # fmt: skip
        sentences += _alt_details(case_file, lang)
    stretches = _stretches(case_file, as_of)
    for (_, after), (before, _) in itertools.pairwise(stretches):
        # A break between events: the last event before it and the first after it (a
        # break before the day alone is told with the day, below).
        later = [e for e in events if _day_number(e.start) > before]
        if later:
            ended = max((e for e in events if _day_number(e.end) < after), key=lambda e: e.end)
            sentences.append(text("phrase.timeline_alt_pause", lang,
                                  start=_alt_end(ended, as_of, lang),
                                  end=later[0].date.format(lang)))  # fmt: skip
    if as_of > last.end:
        alone = len(stretches) > 1 and stretches[-1][0] > _day_number(last.end)
        key = "phrase.timeline_alt_break" if alone else "phrase.timeline_alt_as_of"
        sentences.append(text(key, lang, date=format_day(as_of, lang)))
    sentences.append(text("phrase.timeline_alt_history", lang, history=text("heading.history", lang)))
    return " ".join(sentences)


def _alt_end(event: Event, as_of: dt.date, lang: str) -> str:
    """When an event ends, as the source gives it; a period still running ends on the day."""
    return event.last_date.format(lang) if event.last_date else format_day(as_of, lang)


#: The text alternative names this many forums and decisions, the busiest and the latest.
ALT_NAMED = 3


def _alt_details(case_file: CaseFile, lang: str) -> list[str]:
    """Where most happened, the decisions (the latest few) and the latest event."""
    events = case_file.events
    counts: dict[str, int] = {}
    for event in events:
        if event.forum_id:
            counts[event.forum_id] = counts.get(event.forum_id, 0) + 1
    sentences = []
    if len(counts) > 1:
        busiest = sorted(counts, key=lambda fid: -counts[fid])[:ALT_NAMED]
        named = ", ".join(f"{case_file.forum_name(fid)} ({counts[fid]})" for fid in busiest)
        sentences.append(text("phrase.timeline_alt_busiest", lang, forums=named))
    # Decisions as the summary counts them: referrals back, tablings and deferrals too.
    decided = [e for e in events if e.kind in DECISION_KINDS]
    if decided:
        latest = decided[-ALT_NAMED:][::-1]
        named = "; ".join(_alt_event(case_file, e, lang, e.kind != "decided") for e in latest)
        key = "phrase.timeline_alt_decisions" if len(decided) <= ALT_NAMED else (
            "phrase.timeline_alt_latest_decisions")  # fmt: skip
        sentences.append(text(key, lang, n=len(decided), decisions=named))
    last = events[-1]
    latest = _alt_event(case_file, last, lang, named_kind=True)
    sentences.append(text("phrase.timeline_alt_latest", lang, event=latest))
    return sentences


def _alt_event(case_file: CaseFile, event: Event, lang: str, named_kind: bool = False) -> str:
    """"december 2022 (Regionala utvecklingsnämnden, § 224)": what, when, where, which paragraph."""
    where = [case_file.forum_name(event.forum_id)] if event.forum_id else []
    where += [event.decision_ref.strip()] if event.decision_ref.strip() else []
    what = f"{label('kind', event.kind, lang)} " if named_kind else ""
    when = what + event.date.format(lang)
    return f"{when} ({', '.join(where)})" if where else when
