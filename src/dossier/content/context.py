"""The first step of every dossier, mail and index page: open one case as of its day.

:func:`file_dossier` is the one way any output opens a case (:func:`case_dossier` for a
case in a registry): it cuts the case file to the day
(:meth:`~dossier.data.model.CaseFile.as_of`, applied once, here), measures it
(:func:`~dossier.content.analysis.summarise`) and builds what a reader sees
(:func:`~dossier.content.view.case_view`), with the dossier's parameters
(:class:`~dossier.content.parameters.DossierParameters`) as they were checked where they
were given. :func:`open_case` does the same from a notebook's parameters, which it checks
first: a bad parameter stops there with one clear message, before any section is drawn.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..data.changes import EXTRACT_LIMIT, Change, Comparison
from ..data.contract import EXTRACT_BASELINE, EXTRACT_NOTEBOOK
from ..data.earlier import Baseline, read_baseline
from ..data.extract import is_case_extract, opened_case
from ..data.text import read_regular
from ..errors import ParameterError
from ..resources import data_dir as resolve_data_dir
from .analysis import DecisionSummary, summarise
from .frames import decisions_frame, events_frame, forums_frame
from .parameters import DEFAULT_INACTIVE_MONTHS, DEFAULT_LANG, DossierParameters
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
    #: What the dossier is made with, besides its case (its language, day, …).
    chosen: DossierParameters
    #: The earlier dossier compared with (``compare_with``) and what differs; None when there is none.
    baseline: Baseline | None = None
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
    def lang(self) -> str:
        return self.chosen.lang

    @property
    def as_of(self) -> dt.date:
        return self.chosen.as_of

    @property
    def since(self) -> dt.date | None:
        return self.chosen.since

    @property
    def since_meeting(self) -> dt.date | None:
        return self.chosen.since_meeting

    @property
    def inactive_months(self) -> int:
        return self.chosen.inactive_months

    @property
    def comparison(self) -> Comparison | None:
        """What differs between ``baseline``'s dossier and this one (both as of their days)."""
        return self.baseline.comparison if self.baseline else None

    @property
    def changes(self) -> tuple[Change, ...]:
        """What differs in the case's records between ``baseline`` and this dossier."""
        return self.comparison.changes if self.comparison else ()

    @property
    def parameters(self) -> dict[str, object]:
        """The parameters as the provenance lists them (the earlier dossier by its key and day)."""
        shown = {"case_id": self.case.case_id, **self.chosen.settings()}
        if self.chosen.since_meeting is None:
            del shown["since_meeting"]
        if self.baseline is not None:
            # The earlier dossier's key, not where it lay: the page is the same wherever it is.
            found = self.baseline
            shown["compare_with"] = f"{found.key} ({found.as_of})" if found.found else "–"
        return shown

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


def case_dossier(
    registry: Registry,
    case_id: str,
    chosen: DossierParameters,
    *,
    baseline: Baseline | None = None,
    related_dossiers: Mapping[str, str] | None = None,
) -> CaseDossier:
    """The case ``case_id`` as it stood on ``chosen.as_of``, measured and put in words.

    See :func:`file_dossier`, which this is for the case's file in ``registry``.

    Raises
    ------
    UnknownCaseError
        If the registry has no such case.
    """
    return file_dossier(registry.case_file(str(case_id)), chosen, baseline=baseline,
                        related_dossiers=related_dossiers)  # fmt: skip


def file_dossier(
    whole: CaseFile,
    chosen: DossierParameters,
    *,
    baseline: Baseline | None = None,
    related_dossiers: Mapping[str, str] | None = None,
) -> CaseDossier:
    """The case of the file ``whole`` (every date) as it stood on ``chosen.as_of``, in words.

    ``baseline`` is the earlier dossier compared with and what differs
    (:meth:`~dossier.data.changes.Baseline.of`); ``related_dossiers`` gives, by case ID,
    a relative link to a related case's dossier where one is beside this one (see
    :func:`check_related_dossiers`).
    """
    case_file = whole.as_of(chosen.as_of)
    summary = summarise(case_file, chosen.inactive_months)
    view = case_view(case_file, summary, chosen.lang, chosen.since, since_meeting=chosen.since_meeting,
                     baseline=baseline)  # fmt: skip
    return CaseDossier(case_file, summary, view, chosen, baseline, dict(related_dossiers or {}))


def open_case(
    case_id: str,
    *,
    data_dir: str | Path | None = None,
    lang: str = DEFAULT_LANG,
    as_of: str | dt.date | None = None,
    since: str | dt.date | None = None,
    inactive_months: int = DEFAULT_INACTIVE_MONTHS,
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
    lang, as_of, since, inactive_months, since_meeting
        The dossier's parameters (:class:`~dossier.content.parameters.DossierParameters`):
        ``"sv"``, ``"en"`` or ``"de"``; the day the dossier speaks for (``YYYY-MM-DD``, None
        for today); highlight events from this day on (None for none); flag the case as
        inactive after this many months without an event; the day of the forum's previous
        meeting (new is what came after it; ``since`` is then the day after, or None).
    compare_with
        An earlier output folder: list what changed in the case's records since its
        dossier of the case; None for no comparison. (In a render the comparison is made
        already, where the earlier dossier was read: the case extract brings it.)
    related_dossiers
        Case ID -> relative link (``../RUN-136-2022/RUN-136-2022.html``) to the
        dossier of a related case in the same output folder; ``dossier render``
        fills it in. None for no links.

    Raises
    ------
    ParameterError, UnknownCaseError, DataError
    """
    chosen = DossierParameters.given(lang=lang, as_of=as_of, since=since, inactive_months=inactive_months,
                                     since_meeting=since_meeting)  # fmt: skip
    links = check_related_dossiers(related_dossiers)
    for name, value in (("data_dir", data_dir), ("compare_with", compare_with)):
        if value is not None and not isinstance(value, str | os.PathLike):
            raise ParameterError(f"{name} = {value!r}: give a folder's path")
    folder = resolve_data_dir(data_dir)
    whole = _case_file(folder, str(case_id))
    baseline = _baseline(compare_with, folder, whole, chosen) if compare_with else None
    opened = file_dossier(whole, chosen, baseline=baseline, related_dossiers=links)
    rendered = _rendered_notebook(folder)
    return replace(opened, notebook_sha256=rendered.get("sha256"), key=rendered.get("key"))


def _case_file(folder: Path, case_id: str) -> CaseFile:
    """The case file of ``case_id`` in the data folder: a render's case extract brings it as the
    render opened it (its case record); any other folder is read and checked here."""
    opened = opened_case(folder, case_id)
    if opened is not None:
        return opened
    from ..data.validate import load  # pandas and Arrow: only where there are tables to read

    return load(folder).case_file(case_id)


def _baseline(compare_with: str | Path, folder: Path, whole: CaseFile, chosen: DossierParameters) -> Baseline:
    """The comparison with the earlier dossier in ``compare_with``: as the render made it, where
    the data folder is its case extract (``baseline.json``), else made here."""
    handed = folder / EXTRACT_BASELINE
    if is_case_extract(folder) and handed.is_file():
        try:
            return Baseline.from_bytes(read_regular(handed, EXTRACT_LIMIT))
        except (OSError, ValueError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) else exc
            raise ParameterError(f"{handed}: damaged ({problem}); render the dossier again") from None
    given = Path(compare_with)
    return read_baseline(given, whole.case.case_id, whole, chosen.as_of, f"compare_with = {str(given)!r}")


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
