"""The case's events, decisions and forums as pandas DataFrames, for the analyst's own cells.

A partial date becomes readable columns: ``start`` and ``end`` (the first and
last day it may mean, as pandas timestamps), ``precision`` (``day``, ``month``
or ``year``) and ``label``, the date as the dossier writes it. Codes stay codes
(``kind``: ``decided``), beside their label in the dossier's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalogue import label
from .analysis import Decision, forums_involved
from .view import event_when

if TYPE_CHECKING:
    import pandas as pd

    from ..data.model import CaseFile, Event


def _dates(event: Event, lang: str) -> dict[str, object]:
    """An event's partial date (and its period's end) as the frames' date columns."""
    import pandas as pd

    last = event.end_date or event.date
    return {
        "start": pd.Timestamp(event.date.start),
        "end": pd.NaT if event.running else pd.Timestamp(last.end),
        "precision": event.date.precision,
        "label": event_when(event, lang),
    }


def events_frame(case_file: CaseFile, lang: str) -> pd.DataFrame:
    """One row per event in the dossier's order, with its dates, kind, forum and text."""
    import pandas as pd

    rows = [
        {**_dates(e, lang), "kind": e.kind, "kind_label": label("kind", e.kind, lang),
         "forum": case_file.forum_name(e.forum_id) if e.forum_id else "", "title": e.title,
         "description": e.description, "paragraph": e.decision_ref, "document": e.document}
        for e in case_file.events
    ]  # fmt: skip
    columns = ["start", "end", "precision", "label", "kind", "kind_label", "forum", "title",
               "description", "paragraph", "document"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def decisions_frame(decisions: tuple[Decision, ...], lang: str) -> pd.DataFrame:
    """One row per decision, as the decision summary lists them."""
    import pandas as pd

    rows = [
        {**_dates(d.event, lang), "kind": d.event.kind, "kind_label": label("kind", d.event.kind, lang),
         "forum": d.forum, "paragraph": d.paragraph, "title": d.event.title}
        for d in decisions
    ]  # fmt: skip
    columns = ["start", "end", "precision", "label", "kind", "kind_label", "forum", "paragraph",
               "title"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def forums_frame(case_file: CaseFile, lang: str) -> pd.DataFrame:
    """One row per forum that handled the case: how often, and from when to when.

    ``start`` is the first day its first handling may mean, ``end`` the last day its last
    handling may mean (empty while one still goes on); ``first`` and ``last`` are those
    dates as the dossier writes them.
    """
    import pandas as pd

    from ..catalogue import text

    rows = [
        {"forum_id": u.forum_id, "forum": u.forum.name if u.forum else u.forum_id,
         "kind": u.forum.kind if u.forum else "", "handled": u.count,
         "start": pd.Timestamp(u.first.start), "end": pd.Timestamp(u.last.end) if u.last else pd.NaT,
         "first": u.first.format(lang), "last": u.last.format(lang) if u.last else text("phrase.ongoing", lang)}
        for u in forums_involved(case_file)
    ]  # fmt: skip
    columns = ["forum_id", "forum", "kind", "handled", "start", "end", "first", "last"]
    return pd.DataFrame(rows, columns=columns)
