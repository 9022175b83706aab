"""The first step of every dossier notebook: check the parameters, load the case.

:func:`open_case` turns the notebook's parameters into a :class:`CaseDossier`
(the case file, its decision summary, and the parameters as used). A bad
parameter stops here with one clear message, before any section is drawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import check_language
from ..data.model import CaseFile
from ..data.validate import load
from ..errors import ParameterError
from ..resources import data_dir as resolve_data_dir
from .analysis import DecisionSummary, summarise


@dataclass(frozen=True)
class CaseDossier:
    """One case with everything its dossier shows, and the parameters it was made with."""

    case_file: CaseFile
    summary: DecisionSummary
    lang: str
    as_of: dt.date
    since: dt.date | None
    inactive_months: int
    parameters: dict[str, object]

    @property
    def case(self):
        return self.case_file.case


def parse_day(value: object, name: str) -> dt.date | None:
    """A date parameter: None, a ``datetime.date`` or ``YYYY-MM-DD`` text."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"{name} = {value!r} is not a date (use YYYY-MM-DD)") from None


def open_case(
    case_id: str,
    *,
    data_dir: str | Path | None = None,
    lang: str = "sv",
    as_of: str | dt.date | None = None,
    since: str | dt.date | None = None,
    inactive_months: int = 6,
) -> CaseDossier:
    """Check the notebook's parameters, load the data and the case.

    Parameters
    ----------
    case_id
        The case's registry number as written in cases.csv, e.g. ``"RUN/168/2020"``.
    data_dir
        Folder of CSV files per the data contract; None for the bundled sample.
    lang
        ``"sv"`` or ``"en"``.
    as_of
        The date the dossier speaks for (``YYYY-MM-DD``); None for today.
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
    registry = load(resolve_data_dir(data_dir))
    case_file = registry.case_file(str(case_id))
    parameters = {
        "case_id": case_id,
        "lang": lang,
        "as_of": day.isoformat(),
        "since": since_day.isoformat() if since_day else None,
        "inactive_months": inactive_months,
    }
    summary = summarise(case_file, day, inactive_months, lang)
    return CaseDossier(case_file, summary, lang, day, since_day, inactive_months, parameters)
