"""When a meeting and its agenda are known: the ``[calendar]`` settings of the data folder.

A dossier as of a day names an agenda item only if the item's agenda was published
on or before that day (the ``published`` day of ``agenda.csv``, else of
``meetings.csv``); without a publication day, only within the notice period before
the meeting. A forum's coming meeting is named, without an item, only within the
calendar horizon. Both are settings of the data folder's ``dossier.toml``::

    [calendar]
    notice_days = 14      # an agenda without a publication day is known this many days ahead
    horizon_months = 6    # a coming meeting is named this many months ahead at most

A case extract carries the settings it was cut with, in the same table of its own
``dossier.toml`` (which is no mapping file there).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, Fault
from .dates import add_months

#: The largest settings: a year's notice, ten years ahead.
MAX_NOTICE_DAYS = 366
MAX_HORIZON_MONTHS = 120


@dataclass(frozen=True, slots=True)
class Calendar:
    """How far ahead a meeting and its agenda are known.

    Attributes
    ----------
    notice_days
        An agenda without a publication day is known from this many days before its
        meeting (the notice period).
    horizon_months
        A forum's coming meeting is named only when it lies at most this many months
        after the dossier's day.
    """

    notice_days: int = 14
    horizon_months: int = 6

    def agenda_known(self, meeting_day: dt.date, published: dt.date | None, day: dt.date) -> bool:
        """Whether an agenda for ``meeting_day`` (published on ``published``) was known on ``day``."""
        if published is not None:
            return published <= day
        return meeting_day - dt.timedelta(days=self.notice_days) <= day

    def within_horizon(self, meeting_day: dt.date, day: dt.date) -> bool:
        """Whether a meeting on ``meeting_day`` is near enough to ``day`` to be named."""
        return day <= meeting_day <= add_months(day, self.horizon_months)

    def to_toml(self) -> bytes:
        """The settings as a ``dossier.toml`` of their own (a case extract's)."""
        return (f"[calendar]\nnotice_days = {self.notice_days}\n"
                f"horizon_months = {self.horizon_months}\n").encode()  # fmt: skip


LIMITS = {"notice_days": MAX_NOTICE_DAYS, "horizon_months": MAX_HORIZON_MONTHS}


def read_calendar(path: Path | None) -> Calendar:
    """The ``[calendar]`` table of the TOML file at ``path``; the defaults without one.

    Raises DataError naming the file and the setting for a value that is no whole
    number in its range (a file that is no TOML is the mapping's to report).
    """
    if path is None or not path.is_file():
        return Calendar()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("calendar", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Calendar()
    where = f"{path} [calendar]"
    if not isinstance(table, dict):
        raise DataError([Fault(where, expected="must be a table: [calendar] with notice_days "
                                               "and horizon_months")])  # fmt: skip
    faults = []
    for key, value in table.items():
        if key not in LIMITS:
            faults.append(Fault(where, value=key, expected="is not a setting of [calendar] "
                                                           "(use notice_days, horizon_months)"))
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LIMITS[key]:
            faults.append(Fault(f"{where} {key}", value=str(value),
                                expected=f"is not a whole number from 0 to {LIMITS[key]}"))
    if faults:
        raise DataError(faults)
    return Calendar(**table)
