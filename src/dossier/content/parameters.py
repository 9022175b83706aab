"""A dossier's parameters: its language, its day, what counts as new, when a case is quiet.

One value, :class:`DossierParameters`, checked once where it is given: the
command line (:mod:`dossier.cli.options`), a notebook's parameters cell
(:func:`~dossier.content.context.open_case`) or a program. Everything after
takes it as it is: the dossier's key and the notebook's parameters
(:class:`~dossier.run.job.RenderOptions`), the case as its dossier shows it
(:func:`~dossier.content.context.case_dossier`) and the mail.

:func:`parse_day` is the one reader of a day given as text, and
:meth:`DossierParameters.given` the one place that takes today for a day not given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from ..catalogue import check_language
from ..data.dates import OUT_OF_RANGE, in_years
from ..errors import ParameterError

#: The longest ``inactive_months``: a hundred years, well inside the dates Python can count.
MAX_INACTIVE_MONTHS = 1200


def in_notebook(name: str, value: object) -> str:
    """A parameter as a notebook's parameters cell gives it: ``since = '2023-07-01'``."""
    return f"{name} = {value!r}"


def on_command_line(name: str, value: object) -> str:
    """A parameter as the command line gives it: ``--since 2023-07-01``."""
    return f"--{name.replace('_', '-')} {value}"


#: The metadata of a field that is not one of the notebook's parameters.
NOT_A_PARAMETER = {"parameter": False}

#: How a message names a parameter and its value: :func:`in_notebook` or :func:`on_command_line`.
Naming = Callable[[str, object], str]


def parse_day(value: object) -> dt.date | None:
    """A day: None (or empty text) for none, a ``datetime.date`` or ``YYYY-MM-DD`` text.

    Raises ValueError saying what is wrong (without naming the parameter: the caller does).
    """
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
            raise ValueError("is not a date (use YYYY-MM-DD)") from None
    if not in_years(day.year):
        raise ValueError(OUT_OF_RANGE)
    return day


def check_months(months: object) -> int:
    """``inactive_months``: a whole number from 1 to :data:`MAX_INACTIVE_MONTHS`; else ValueError."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_INACTIVE_MONTHS:
        raise ValueError(f"use a whole number of months from 1 to {MAX_INACTIVE_MONTHS}")
    return months


@dataclass(frozen=True, kw_only=True)
class DossierParameters:
    """What a dossier is made with, besides its case: the notebook's parameters.

    Checked on creation, without reading anything (see :meth:`given` for values as
    text, and for today as the day by default). The fields, in this order, are the
    notebook's parameters and go into the dossier's key (:meth:`settings`).
    """

    lang: str = "sv"
    #: The day the dossier speaks for.
    as_of: dt.date
    #: Events from this day on are new; None for none.
    since: dt.date | None = None
    #: Flag the case as inactive after this many months without an event.
    inactive_months: int = 6
    #: The day of the forum's previous meeting: new is what came after it (``since`` is the day
    #: after, set here when not given).
    since_meeting: dt.date | None = None
    #: Whether the day was given; False when it is today by default (a meeting's batch may then
    #: speak for the meeting: dossier.run.batch.meeting_options). Not a parameter.
    day_given: bool = field(default=True, compare=False, metadata=NOT_A_PARAMETER)
    #: How the messages name the parameters: as where they were given. Not a parameter.
    naming: Naming = field(default=in_notebook, compare=False, repr=False, metadata=NOT_A_PARAMETER)

    def __post_init__(self) -> None:
        name = self.naming
        check_language(self.lang)
        if self.since_meeting is not None:
            after = self.since_meeting + dt.timedelta(days=1)
            if self.since is None:  # the meeting's own day was seen at the meeting
                object.__setattr__(self, "since", after)
            elif self.since != after:
                raise ParameterError(
                    f"{name('since', self.since.isoformat())} with "
                    f"{name('since_meeting', self.since_meeting.isoformat())}: give one of them"
                )
        try:
            check_months(self.inactive_months)
        except ValueError as exc:
            raise ParameterError(f"{name('inactive_months', self.inactive_months)}: {exc}") from None
        if self.since is not None and self.since > self.as_of:
            raise ParameterError(
                f"{name('since', self.since.isoformat())} is after "
                f"{name('as_of', self.as_of.isoformat())}: a dossier knows nothing after its day; "
                "give a day on or before it"
            )

    @classmethod
    def given(
        cls,
        *,
        lang: str = "sv",
        as_of: object = None,
        since: object = None,
        inactive_months: object = 6,
        since_meeting: object = None,
        naming: Naming = in_notebook,
    ) -> DossierParameters:
        """The parameters from values as given (days as ``YYYY-MM-DD`` text or dates), checked.

        No ``as_of`` means today: the one day for the whole run, even one that passes midnight.
        Raises ParameterError naming the parameter as ``naming`` does.
        """
        days = {}
        for key, value in (("as_of", as_of), ("since", since), ("since_meeting", since_meeting)):
            try:
                days[key] = parse_day(value)
            except ValueError as exc:
                raise ParameterError(f"{naming(key, value)} {exc}") from None
        day = days["as_of"]
        return cls(lang=lang, as_of=day or dt.date.today(), since=days["since"],
                   inactive_months=inactive_months, since_meeting=days["since_meeting"],
                   day_given=day is not None, naming=naming)  # fmt: skip

    @property
    def day(self) -> dt.date:
        return self.as_of

    def settings(self) -> dict[str, object]:
        """The parameters by name, as the notebook takes them (days in ISO form)."""
        return {f.name: _iso(getattr(self, f.name)) for f in fields(self) if f.metadata != NOT_A_PARAMETER}


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value
