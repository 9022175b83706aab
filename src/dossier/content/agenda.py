"""A meeting's agenda as a reader sees it: the meeting, then each item's case in a sentence.

The meeting pack's cover, its index page and the meeting mail all show a meeting
through :class:`Agenda`, built once by :func:`meeting_agenda`, so they name the
meeting and say each case alike. Each :class:`AgendaEntry` holds its case's
:class:`~dossier.content.view.CaseView` as of the pack's day: what the dossier,
the mail and the index pages say of the case is said from that one view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..catalogue import Source, Words, text, words
from ..data.dates import format_day
from .context import case_dossier
from .view import CaseView, Fact

if TYPE_CHECKING:
    from ..data.model import Registry
    from .parameters import DossierParameters


@dataclass(frozen=True, slots=True)
class AgendaEntry:
    """One agenda item: its number, its case and what it is about.

    Attributes
    ----------
    item
        The item's number as the agenda gives it ("7").
    title
        The item's title on the agenda, or the case's title when the agenda gives none.
    proposal
        The proposal put to the meeting as the agenda names it; None when it names none.
    view
        The case as of the agenda's day, in the agenda's language.
    """

    item: str
    case_id: str
    title: Source
    proposal: Source | None
    view: CaseView

    @property
    def sentence(self) -> Words:
        """Where the case stands, as its dossier's summary says it."""
        return self.view.sentence

    @property
    def news(self) -> tuple[Words, ...]:
        """What is new and what changed in the case, one line each (none when not asked for)."""
        return self.view.news_lines()


@dataclass(frozen=True, slots=True)
class Agenda:
    """A meeting and its items in agenda order, as of one day, in one language.

    Attributes
    ----------
    title
        "Ärendeunderlag: <the meeting's title>" (or its forum and day when it has no title).
    forum, when
        The forum's name; the meeting's day and time ("13 juni 2023 09:00").
    facts
        Forum, day and time, the place when the data gives one, and the day the agenda's
        cases are told as of, as (label, value).
    """

    meeting_id: str
    lang: str
    as_of: dt.date
    title: Words
    forum: Source
    when: str
    facts: tuple[Fact, ...]
    items: tuple[AgendaEntry, ...]
    #: The language of the data's own text (BCP 47; "" unknown).
    source_lang: str = ""


def meeting_agenda(
    registry: Registry, meeting_id: str, chosen: DossierParameters, *,
    view_of: Callable[[str], CaseView | None] | None = None,
) -> Agenda:
    """The agenda of ``meeting_id``, each case opened with the dossiers' parameters ``chosen``
    (:func:`case_dossier`), as of their day.

    ``view_of`` gives a case as its dossier shows it (what is new, what changed: the batch's
    own views), None for a case it does not have, which is then opened here.

    Raises
    ------
    UnknownCaseError
        When an item names a case the registry does not hold.
    """
    meeting, lang, as_of = registry.meeting(meeting_id), chosen.lang, chosen.as_of
    forum_record = registry.forum(meeting.forum_id)
    forum = Source(forum_record.name if forum_record else meeting.forum_id)
    when = format_day(meeting.day, lang) + (f" {meeting.time}" if meeting.time else "")
    name = Source(meeting.title) if meeting.title else Words([forum, " ", when])
    facts = [(text("field.forum", lang), Words([forum])), (text("field.date", lang), Words([when]))]
    if meeting.location:
        facts.append((text("field.location", lang), Words([Source(meeting.location)])))
    # The day the pack speaks for: a past meeting's is the day before it (run.batch.meeting_options).
    before = as_of == meeting.day - dt.timedelta(days=1)
    facts.append((text("field.as_of", lang), words(
        "date.day_before_meeting" if before else "date.day", lang, date=format_day(as_of, lang))))
    entries = []
    for item in registry.agenda_items(meeting_id=meeting_id):
        view = (view_of and view_of(item.case_id)) or case_dossier(registry, item.case_id, chosen).view
        entries.append(AgendaEntry(
            item.item, item.case_id, Source(item.title) if item.title else view.title,
            Source(item.proposal) if item.proposal else None, view,
        ))  # fmt: skip
    return Agenda(meeting_id, lang, as_of, words("pack.title", lang, meeting=name), forum, when,
                  tuple(facts), tuple(entries), registry.source_lang)  # fmt: skip
