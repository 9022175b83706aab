"""The first step of every dossier, mail and index page: open one case as of its day.

:func:`case_dossier` is the one way any output opens a case: it cuts the case
file to the day (:meth:`~dossier.data.model.CaseFile.as_of`, applied once,
here), measures it (:func:`~dossier.content.analysis.summarise`) and builds
what a reader sees (:func:`~dossier.content.view.case_view`). :func:`open_case`
does the same from a notebook's parameters, which it checks first: a bad
parameter stops there with one clear message, before any section is drawn.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..catalogue import check_language
from ..data.contract import EXTRACT_NOTEBOOK
from ..data.dates import FIRST_YEAR, LAST_YEAR, OUTSIDE_YEARS
from ..data.validate import load
from ..errors import ParameterError
from ..resources import data_dir as resolve_data_dir
from .analysis import DecisionSummary, summarise
from .frames import decisions_frame, events_frame, forums_frame
from .view import CaseView, case_view

if TYPE_CHECKING:
    import pandas as pd

    from ..data.model import CaseFile, Registry


@dataclass(frozen=True)
class CaseDossier:
    """One case as of its day: the case file, its summary, its view, the parameters."""

    case_file: CaseFile
    summary: DecisionSummary
    view: CaseView
    lang: str
    as_of: dt.date
    since: dt.date | None
    inactive_months: int
    parameters: dict[str, object]
    #: The hash of the notebook that renders it, when it runs from a case extract (a render);
    #: None elsewhere (the provenance then names the template's).
    notebook_sha256: str | None = None

    @property
    def case(self):
        return self.case_file.case

    # The case as tables for the analyst's own cells (see dossier.content.frames).

    @property
    def events(self) -> pd.DataFrame:
        """Every event up to the day: dates as ``start``, ``end``, ``precision``, ``label``."""
        return events_frame(self.case_file, self.lang)

    @property
    def decisions(self) -> pd.DataFrame:
        """Every decision up to the day, as the decision summary lists them."""
        return decisions_frame(self.summary.decisions, self.lang)

    @property
    def forums(self) -> pd.DataFrame:
        """Each forum that handled the case: how often, first and last time."""
        return forums_frame(self.case_file, self.lang)


def parse_day(value: object, name: str) -> dt.date | None:
    """A date parameter: None, a ``datetime.date`` or ``YYYY-MM-DD`` text."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ParameterError(f"{name} = {value!r} is not a date (use YYYY-MM-DD)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ParameterError(f"{name} = {value!r} {OUTSIDE_YEARS}")
    return day


def case_dossier(
    registry: Registry,
    case_id: str,
    *,
    as_of: dt.date,
    lang: str = "sv",
    since: dt.date | None = None,
    inactive_months: int = 6,
) -> CaseDossier:
    """The case ``case_id`` as it stood on ``as_of``, measured and put in words.

    Raises
    ------
    UnknownCaseError
        If the registry has no such case.
    ParameterError
        If the case was opened after ``as_of``.
    """
    case_file = registry.case_file(str(case_id)).as_of(as_of)
    summary = summarise(case_file, inactive_months)
    parameters = {
        "case_id": case_id,
        "lang": lang,
        "as_of": as_of.isoformat(),
        "since": since.isoformat() if since else None,
        "inactive_months": inactive_months,
    }
    view = case_view(case_file, summary, lang, since)
    return CaseDossier(case_file, summary, view, lang, as_of, since, inactive_months, parameters)


def open_case(
    case_id: str,
    *,
    data_dir: str | Path | None = None,
    lang: str = "sv",
    as_of: str | dt.date | None = None,
    since: str | dt.date | None = None,
    inactive_months: int = 6,
) -> CaseDossier:
    """Check the notebook's parameters, load the data and open the case as of its day.

    Parameters
    ----------
    case_id
        The case's registry number as written in cases.csv, e.g. ``"RUN/168/2020"``.
    data_dir
        Folder of CSV files per the data contract; None for the bundled sample.
    lang
        ``"sv"`` or ``"en"``.
    as_of
        The day the dossier speaks for (``YYYY-MM-DD``); None for today.
    since
        Highlight events from this date on (``YYYY-MM-DD``); None for none.
    inactive_months
        Flag the case as inactive after this many months without an event.

    Raises
    ------
    ParameterError, UnknownCaseError, DataError
    """
    check_language(lang)
    day = parse_day(as_of, "as_of") or dt.date.today()
    since_day = parse_day(since, "since")
    if (
        isinstance(inactive_months, bool)
        or not isinstance(inactive_months, int)
        or inactive_months < 1
    ):
        raise ParameterError(
            f"inactive_months = {inactive_months!r} must be a whole number of months, 1 or more"
        )
    if since_day is not None and since_day > day:
        raise ParameterError(
            f"since = {since!r} is after as_of = {day.isoformat()!r}: a dossier knows nothing "
            "after its day; give a since on or before it"
        )
    folder = resolve_data_dir(data_dir)
    opened = case_dossier(
        load(folder), case_id, as_of=day, lang=lang, since=since_day, inactive_months=inactive_months
    )
    return replace(opened, notebook_sha256=_rendered_notebook(folder))


def _rendered_notebook(folder: Path) -> str | None:
    """The hash of the notebook a render runs, as its case extract says; None outside a render."""
    try:
        return json.loads((folder / EXTRACT_NOTEBOOK).read_bytes())["sha256"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{folder / EXTRACT_NOTEBOOK}: damaged ({exc}); render the dossier again") from exc
