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
import re
from dataclasses import dataclass, field, fields

from ..catalogue import check_language
from ..data.dates import OUT_OF_RANGE, in_years
from ..errors import ParameterError

#: The dossier's language when none is given.
DEFAULT_LANG = "sv"
#: Flag a case as inactive after this many months without an event, when nothing else is given.
DEFAULT_INACTIVE_MONTHS = 6
#: The longest ``inactive_months``: a hundred years, well inside the dates Python can count.
MAX_INACTIVE_MONTHS = 1200

#: What ``inactive_months`` may be.
MONTHS_RULE = f"use a whole number of months from 1 to {MAX_INACTIVE_MONTHS}"

#: The metadata of a field that is not one of the notebook's parameters.
NOT_A_PARAMETER = {"parameter": False}

#: The parameters that are days.
DAYS = ("as_of", "since", "since_meeting")

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Naming:
    """How the messages name a parameter: as a notebook's parameters cell gives it
    (``since = '2023-07-01'``), or as the command line does (``--since 2023-07-01``)."""

    command_line: bool = False

    def name(self, parameter: str) -> str:
        return f"--{parameter.replace('_', '-')}" if self.command_line else parameter

    def given(self, parameter: str, value: object) -> str:
        return f"{self.name(parameter)} {value}" if self.command_line else f"{parameter} = {value!r}"


IN_NOTEBOOK, ON_COMMAND_LINE = Naming(), Naming(command_line=True)


def parse_day(value: object) -> dt.date | None:
    """A day: None (or empty text) for none, a ``datetime.date`` or ``YYYY-MM-DD`` text.

    Raises ValueError saying what is wrong (without naming the parameter: the caller does).
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("is not a date (use YYYY-MM-DD)") from None
    else:
        raise ValueError("is not a date (use YYYY-MM-DD)")
    if not in_years(day.year):
        raise ValueError(OUT_OF_RANGE)
    return day


def check_months(months: object) -> int:
    """``inactive_months``: a whole number from 1 to :data:`MAX_INACTIVE_MONTHS`; else ValueError."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_INACTIVE_MONTHS:
        raise ValueError(MONTHS_RULE)
    return months


@dataclass(frozen=True, kw_only=True)
class DossierParameters:
    """What a dossier is made with, besides its case: the notebook's parameters.

    Checked on creation (and on :func:`dataclasses.replace`), without reading anything;
    :meth:`given` takes days as text, and today for a day not given. The fields, in this
    order, are the notebook's parameters and go into the dossier's key (:meth:`settings`).
    """

    lang: str = DEFAULT_LANG
    #: The day the dossier speaks for.
    as_of: dt.date
    #: Events from this day on are new; None for none.
    since: dt.date | None = None
    #: Flag the case as inactive after this many months without an event.
    inactive_months: int = DEFAULT_INACTIVE_MONTHS
    #: The day of the forum's previous meeting: new is what came after it (``since`` is the day
    #: after, set here when not given).
    since_meeting: dt.date | None = None
    #: Whether the day was given; False when it is today by default (a meeting's batch may then
    #: speak for the meeting: dossier.run.batch.meeting_options). Not a parameter.
    day_given: bool = field(default=True, compare=False, metadata=NOT_A_PARAMETER)
    #: How the messages name the parameters: as where they were given. Not a parameter.
    naming: Naming = field(default=IN_NOTEBOOK, compare=False, repr=False, metadata=NOT_A_PARAMETER)

    def __post_init__(self) -> None:
        said = self.naming
        check_language(self.lang)
        for name in DAYS:
            _check_day(name, getattr(self, name), said, required=name == "as_of")
        try:
            check_months(self.inactive_months)
        except ValueError as exc:
            raise ParameterError(f"{said.given('inactive_months', self.inactive_months)}: {exc}") from None
        # New is what came after the forum's previous meeting: from the day after it on.
        after = self.since_meeting + dt.timedelta(days=1) if self.since_meeting else None
        if after is not None and self.since is None:
            object.__setattr__(self, "since", after)
        elif after is not None and self.since != after:
            raise ParameterError(f"{said.given('since', self.since.isoformat())} with "
                                 f"{said.given('since_meeting', self.since_meeting.isoformat())}: "
                                 "give one of them")  # fmt: skip
        if self.since is not None and self.since > self.as_of:
            named = "since" if after is None else "since_meeting"
            raise ParameterError(
                f"{said.given(named, getattr(self, named).isoformat())} is "
                f"{'after' if after is None else 'on or after'} "
                f"{said.given('as_of', self.as_of.isoformat())}: a dossier knows nothing after its "
                f"day; give a {said.name(named)} before it"
            )

    @classmethod
    def given(cls, *, naming: Naming = IN_NOTEBOOK, **values: object) -> DossierParameters:
        """The parameters from values as given (days as ``YYYY-MM-DD`` text or dates), checked.

        A parameter not given takes its default; no ``as_of`` (or None) means today: the one
        day for the whole run, even one that passes midnight. Raises ParameterError naming
        the parameter as ``naming`` does.
        """
        chosen = {}
        for name, value in values.items():
            if name in DAYS:
                try:
                    value = parse_day(value)
                except ValueError as exc:
                    raise ParameterError(f"{naming.given(name, value)} {exc}") from None
            chosen[name] = value
        day = chosen.pop("as_of", None)
        return cls(as_of=day or dt.date.today(), day_given=day is not None, naming=naming, **chosen)

    def settings(self) -> dict[str, object]:
        """The parameters by name, as the notebook takes them (days in ISO form)."""
        return {f.name: _iso(getattr(self, f.name)) for f in fields(self) if f.metadata != NOT_A_PARAMETER}


def _check_day(name: str, value: object, said: Naming, *, required: bool) -> None:
    """Raise ParameterError unless ``value`` is a day dossier reads (or None, where allowed)."""
    if value is None and not required:
        return
    is_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if not is_day or not in_years(value.year) or value == dt.date.max:
        problem = OUT_OF_RANGE if is_day else "is not a day (give a datetime.date)"
        raise ParameterError(f"{said.given(name, value)} {problem}")


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value
