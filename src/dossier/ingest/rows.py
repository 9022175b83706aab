"""What the readers share: rows collected per contract table, source dates, the import log."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..data.contract import TABLES
from ..data.dates import in_years

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MINUTE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})")


@functools.lru_cache(maxsize=65536)
def _day(value: str) -> str | None:
    match = _DAY.match(value.strip())
    if not match:
        return None
    try:
        parsed = dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return parsed.isoformat() if in_years(parsed.year) else None


def day(value: object) -> str | None:
    """The day a source's date or date-time names, as ``YYYY-MM-DD``; None if it names none.

    The day is the one written in the source (its own time zone), never moved to UTC.
    """
    return _day(value) if isinstance(value, str) else None


def minute(value: object) -> str | None:
    """A date-time as ``YYYY-MM-DD HH:MM`` (the source's own clock), or its day alone."""
    found = day(value)
    if found is None:
        return None
    match = _MINUTE.match(value.strip())  # type: ignore[union-attr]
    return f"{found} {match.group(2)}:{match.group(3)}" if match else found


def first_match(value: str, table: Iterable[tuple[str, str]], default: str) -> str:
    """What ``table`` gives for the first of its words that ``value`` holds (case-folded), else ``default``."""
    folded = value.casefold()
    return next((kind for word, kind in table if word in folded), default)


def text(value: object) -> str:
    """A source value as one clean string ('' for none): whitespace kept inside, trimmed outside."""
    if type(value) is str:
        return (value.replace("\x00", "") if "\x00" in value else value).strip()
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).replace("\x00", "").strip()


@dataclass
class ImportLog:
    """What an import left out or merged, and why: each entry names the source object."""

    left_out: list[dict[str, str]] = field(default_factory=list)
    merged: list[dict[str, str]] = field(default_factory=list)

    def leave_out(self, what: str, source: str, reason: str) -> None:
        self.left_out.append({"what": what, "source": source, "reason": reason})

    def merge(self, what: str, source: str, reason: str) -> None:
        self.merged.append({"what": what, "source": source, "reason": reason})


_COLUMNS = {table.name: table.column_names for table in TABLES}
_COLUMN_SETS = {name: frozenset(columns) for name, columns in _COLUMNS.items()}


class Rows:
    """Rows for each contract table, as text in the contract's column order, written as they come.

    Into ``folder`` (one CSV file per table, UTF-8) when one is given, so that a reader of a
    large delivery keeps no row in memory; kept in :attr:`tables` otherwise.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.log = ImportLog()
        self.tables: dict[str, list[dict[str, str]]] = {table.name: [] for table in TABLES}
        self._counts = dict.fromkeys(self.tables, 0)
        self._files: dict[str, TextIO] = {}
        self._writers: dict[str, Any] = {}
        if folder is not None:
            for table in TABLES:
                handle = open(folder / table.file, "w", encoding="utf-8", newline="")  # noqa: SIM115
                self._files[table.name] = handle
                self._writers[table.name] = csv.writer(handle, lineterminator="\n")
                self._writers[table.name].writerow(table.column_names)

    def add(self, table: str, **values: object) -> None:
        columns = _COLUMNS[table]
        if not values.keys() <= _COLUMN_SETS[table]:
            raise KeyError(f"{table} has no column {sorted(set(values) - _COLUMN_SETS[table])}")
        self._counts[table] += 1
        row = [text(values[name]) if name in values else "" for name in columns]
        if self._writers:
            self._writers[table].writerow(row)
        else:
            self.tables[table].append(dict(zip(columns, row, strict=True)))

    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
