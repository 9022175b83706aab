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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..catalogue import check_language
from ..data.changes import Baseline, Change, Comparison, comparison, read_baseline
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
    #: The day of the forum's previous meeting, when ``since`` is the day after it.
    since_meeting: dt.date | None = None
    #: The earlier dossier compared with (``compare_with``); None when there is none.
    baseline: Baseline | None = None
    #: What differs between ``baseline``'s dossier and this one (both as of their days).
    comparison: Comparison | None = None
    #: Relative links to the dossiers of related cases in the same output folder, by case ID.
    related_dossiers: Mapping[str, str] = field(default_factory=dict)
    #: The hash of the notebook that renders it, when it runs from a case extract (a render);
    #: None elsewhere (the provenance then names the template's).
    notebook_sha256: str | None = None
    #: The dossier's key (its manifest's), when it runs from a case extract (a render).
    key: str | None = None

    @property
    def case(self):
        return self.case_file.case

    @property
    def changes(self) -> tuple[Change, ...]:
        """What differs in the case's records between ``baseline`` and this dossier."""
        return self.comparison.changes if self.comparison else ()

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
    since_meeting: dt.date | None = None,
    baseline: Baseline | None = None,
    related_dossiers: Mapping[str, str] | None = None,
) -> CaseDossier:
    """The case ``case_id`` as it stood on ``as_of``, measured and put in words.

    ``since`` marks events from that day on as new (``since_meeting``: the
    forum's previous meeting, the day before ``since``); ``baseline`` is the
    earlier dossier whose records this one's are compared with.
    ``related_dossiers`` gives, by case ID, a relative link to a related case's
    dossier where one is beside this one (see :func:`check_related_dossiers`).

    Raises
    ------
    UnknownCaseError
        If the registry has no such case.
    ParameterError
        If the case was opened after ``as_of``.
    """
    whole = registry.case_file(str(case_id))
    case_file = whole.as_of(as_of)
    summary = summarise(case_file, inactive_months)
    parameters = {
        "case_id": case_id,
        "lang": lang,
        "as_of": as_of.isoformat(),
        "since": since.isoformat() if since else None,
        "inactive_months": inactive_months,
    }
    compared = None
    if since_meeting is not None:
        parameters["since_meeting"] = since_meeting.isoformat()
    if baseline is not None:
        extract = baseline.extract
        # The earlier dossier's key, not where it lay: the page is the same wherever it is.
        parameters["compare_with"] = f"{extract.key} ({extract.as_of})" if extract else "–"
        if extract is not None:
            compared = comparison(extract.case_file(), extract.day, whole, as_of)
    view = case_view(case_file, summary, lang, since, since_meeting=since_meeting,
                     baseline=baseline, comparison=compared)  # fmt: skip
    return CaseDossier(case_file, summary, view, lang, as_of, since, inactive_months, parameters,
                       since_meeting, baseline, compared, dict(related_dossiers or {}))  # fmt: skip


def open_case(
    case_id: str,
    *,
    data_dir: str | Path | None = None,
    lang: str = "sv",
    as_of: str | dt.date | None = None,
    since: str | dt.date | None = None,
    inactive_months: int = 6,
    since_meeting: str | dt.date | None = None,
    compare_with: str | Path | None = None,
    related_dossiers: Mapping[str, str] | None = None,
) -> CaseDossier:
    """Check the notebook's parameters, load the data and open the case as of its day.

    Parameters
    ----------
    case_id
        The case's registry number as written in cases.csv, e.g. ``"RUN/168/2020"``.
    data_dir
        Folder of CSV files per the data contract; None for the bundled sample.
    lang
        ``"sv"``, ``"en"`` or ``"de"``.
    as_of
        The day the dossier speaks for (``YYYY-MM-DD``); None for today.
    since
        Highlight events from this date on (``YYYY-MM-DD``); None for none.
    inactive_months
        Flag the case as inactive after this many months without an event.
    since_meeting
        The day of the forum's previous meeting (``YYYY-MM-DD``): new is what came
        after it; ``since`` is then the day after, or None.
    compare_with
        An earlier output folder: list what changed in the case's records since its
        dossier of the case; None for no comparison.
    related_dossiers
        Case ID -> relative link (``../RUN-136-2022/RUN-136-2022.html``) to the
        dossier of a related case in the same output folder; ``dossier render``
        fills it in. None for no links.

    Raises
    ------
    ParameterError, UnknownCaseError, DataError
    """
    check_language(lang)
    day = parse_day(as_of, "as_of") or dt.date.today()
    since_day = parse_day(since, "since")
    meeting_day = parse_day(since_meeting, "since_meeting")
    if meeting_day is not None:
        after = meeting_day + dt.timedelta(days=1)
        if since_day not in (None, after):
            raise ParameterError(
                f"since = {since!r} with since_meeting = {since_meeting!r}: give one of them"
            )
        since_day = after
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
    baseline = read_baseline(compare_with, str(case_id)) if compare_with else None
    links = check_related_dossiers(related_dossiers)
    folder = resolve_data_dir(data_dir)
    opened = case_dossier(
        load(folder), case_id, as_of=day, lang=lang, since=since_day, inactive_months=inactive_months,
        since_meeting=meeting_day, baseline=baseline, related_dossiers=links,
    )  # fmt: skip
    rendered = _rendered_notebook(folder)
    return replace(opened, notebook_sha256=rendered.get("sha256"), key=rendered.get("key"))


def check_related_dossiers(value: object) -> dict[str, str]:
    """The ``related_dossiers`` parameter, checked: case IDs to relative links, nothing else.

    A link must stay a path relative to the dossier (no scheme, host or leading ``/``),
    so a parameter can never make the page point elsewhere.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParameterError(
            f"related_dossiers = {value!r} must map case IDs to relative links, "
            "e.g. {'RUN/136/2022': '../RUN-136-2022/RUN-136-2022.html'}"
        )
    for case_id, href in value.items():
        if not (isinstance(case_id, str) and isinstance(href, str) and _relative(href)):
            raise ParameterError(
                f"related_dossiers[{case_id!r}] = {href!r}: give a relative link to the "
                "related case's dossier, e.g. '../RUN-136-2022/RUN-136-2022.html'"
            )
    return dict(value)


def _relative(href: str) -> bool:
    parts = urlsplit(href)
    return bool(href) and not parts.scheme and not parts.netloc and not href.startswith("/")


def _rendered_notebook(folder: Path) -> dict:
    """The hash of the notebook a render runs and the dossier's key, as its case extract
    says (``sha256``, ``key``); empty outside a render."""
    try:
        found = json.loads((folder / EXTRACT_NOTEBOOK).read_bytes())
        return {"sha256": found["sha256"], "key": found.get("key")}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ParameterError(f"{folder / EXTRACT_NOTEBOOK}: damaged ({exc}); render the dossier again") from exc
