"""Partial dates: a day, a month or a year, kept at the precision the source gives.

Registries often know only "May 2020" or "2019". A :class:`PartialDate` keeps
that precision from the CSV all the way to the dossier, sorts at the start of
its span, and formats through Babel ("maj 2020", "May 2020", "30 maj 2022").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering
from typing import Literal

from ..catalogue import LOCALES

Precision = Literal["year", "month", "day"]

PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
EXPECTED = "is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)"
#: The years a date may have (four digits, the first not 0: DATE_SHAPE in dossier.data.checks).
#: A registry's year before 1000 ("0001-01-01") is a placeholder for "no date" (it is .NET's
#: DateTime.MinValue); 9999 is where Python's dates end.
FIRST_YEAR, LAST_YEAR = 1000, 9999
YEARS = f"the years dossier reads, {FIRST_YEAR} to {LAST_YEAR}"
OUTSIDE_YEARS = f"is outside {YEARS}: correct it, or leave the cell empty if the date is not known"
OUT_OF_RANGE = f"is outside {YEARS}"


def in_years(year: int) -> bool:
    """Whether a date of ``year`` is one dossier reads (:data:`FIRST_YEAR` to :data:`LAST_YEAR`)."""
    return FIRST_YEAR <= year <= LAST_YEAR


def years_inside(dates):
    """:func:`in_years` for a pandas Series of datetimes: a Series of booleans."""
    return dates.dt.year.between(FIRST_YEAR, LAST_YEAR)


@total_ordering
@dataclass(frozen=True, slots=True, eq=True)
class PartialDate:
    """A date known to the day, the month or only the year.

    Parameters
    ----------
    year, month, day
        ``month`` and ``day`` are None when the source does not know them.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if not in_years(self.year):
            raise ValueError(f"year {self.year} is outside {YEARS}")
        # Raises ValueError for impossible dates such as 2023-02-30 (and month or day 0).
        dt.date(
            self.year,
            1 if self.month is None else self.month,
            1 if self.day is None else self.day,
        )

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; raise ValueError otherwise."""
        match = PATTERN.fullmatch(text.strip())
        if not match:
            raise ValueError(f"{text!r} {EXPECTED}")
        year, month, day = (int(part) if part else None for part in match.groups())
        if not in_years(year):
            raise ValueError(f"{text!r} {OUTSIDE_YEARS}")
        try:
            return cls(year, month, day)
        except ValueError as exc:
            raise ValueError(f"{text!r} {EXPECTED}") from exc

    @classmethod
    def from_date(cls, day: dt.date) -> PartialDate:
        """The day-precise partial date of ``day``."""
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    @property
    def start(self) -> dt.date:
        """The first day of the span."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> dt.date:
        """The last day of the span."""
        if self.day is not None:
            return self.start
        if self.month is not None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, 12, 31)

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        return self.start, self.end

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` lies in the span: the date may be that day, or before or after it."""
        return self.start <= day <= self.end

    def isoformat(self) -> str:
        """The text as the data contract writes it: ``2020``, ``2020-05`` or ``2020-05-30``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def format(self, lang: str = "sv") -> str:
        """Format at the date's own precision: ``2019``, ``maj 2020``, ``30 maj 2022``."""
        from babel.dates import format_date, format_skeleton  # here: reading a day needs no Babel

        locale = LOCALES[lang]
        if self.precision == "year":
            return str(self.year)
        if self.precision == "month":
            return format_skeleton("yMMMM", self.start, locale=locale)
        return format_date(self.start, format="long", locale=locale)

    def _key(self) -> tuple[dt.date, int]:
        # A partial date sorts at the start of its span; the coarser one first on a tie.
        return self.start, ("year", "month", "day").index(self.precision)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return self.isoformat()


def format_day(day: dt.date, lang: str = "sv") -> str:
    """Format a full date in the dossier's language."""
    return PartialDate.from_date(day).format(lang)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, on the same day of the month.

    Where the target month is shorter, the month's last day: a month after
    31 January is 28 (or 29) February, as Swedish law counts a time limit
    given in months (lag (1930:173) om beräkning av lagstadgad tid).
    Raises ValueError naming the supported years when the result leaves them.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not in_years(year):
        raise ValueError(f"{day.isoformat()} + {months} months {OUT_OF_RANGE}")
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end``: the most ``n`` with ``add_months(start, n) <= end``.

    0 when ``end`` is before ``start``. Counted with :func:`add_months`, so the
    two agree everywhere, month ends included (31 January to 28 February is a month).
    """
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    # add_months clamps to a month's last day, so the count can only be one too many.
    return months if add_months(start, months) <= end else months - 1
