"""Which cases a batch renders: named on the command line or in a ``--cases-file``, a meeting's
agenda, every open case.

A case ID that is not in the data is named with where it was given ("cases.txt line 3")
and the rest render; one that matches a case but for letter case (``run/168/2020``) is
taken, with a note. A case whose own row is faulty is chosen as any other, and fails alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ParameterError, UnknownCaseError

if TYPE_CHECKING:
    from ..data.model import Registry

#: Where a case ID named as an argument was given.
COMMAND_LINE = "command line"
#: The unknown case IDs that are told the known IDs nearest them: the rest only that they are
#: unknown (a long list of IDs from another registry would otherwise take minutes).
NEAR_LIMIT = 20


@dataclass
class Selection:
    """The cases chosen, in order and without repeats, and what was said of the IDs given."""

    case_ids: list[str]
    #: One line per case ID given that is not in the data, with where it was given.
    unknown: list[str] = field(default_factory=list)
    #: One line per case ID taken for another that differs only in letter case.
    notes: list[str] = field(default_factory=list)


def named_cases(case_ids: Iterable[str], cases_file: str | Path | None = None,
                lines: Iterable[tuple[int, str]] = ()) -> list[tuple[str, str]]:  # fmt: skip
    """Each case ID given with where: the command line's, then ``cases_file``'s ``lines``."""
    named = [(COMMAND_LINE, case_id) for case_id in case_ids]
    return named + [(f"{cases_file} line {number}", case_id) for number, case_id in lines]


def choose_cases(
    registry: Registry,
    named: Iterable[tuple[str, str]] = (),
    *,
    meeting: str | None = None,
    all_open: bool = False,
    strict: bool = False,
) -> Selection:
    """The cases to render: those ``named`` (where, case ID), then the meeting's and the open ones.

    Raises
    ------
    UnknownCaseError
        A named case ID is not in the data and ``strict`` is set, or no named one is and
        nothing else is chosen; the message lists every unknown ID with where it was given.
    ParameterError
        The meeting is not in meetings.csv, or nothing is chosen at all.
    """
    selection = Selection([])
    by_letters: dict[str, list[str]] | None = None  # made once, if an ID is not found as given
    for where, case_id in named:
        if registry.has_case(case_id) or case_id in registry.unusable:
            matches = [case_id]
        else:
            by_letters = by_letters if by_letters is not None else _by_letters(registry)
            matches = by_letters.get(case_id.casefold(), [])
        prefix = "" if where == COMMAND_LINE else f"{where}: "  # an argument is its own place
        if len(matches) != 1:
            near = len(selection.unknown) < NEAR_LIMIT
            selection.unknown.append(prefix + _unknown_message(registry, case_id, matches, near))
            continue
        (found,) = matches
        if found != case_id:
            selection.notes.append(f"{prefix}{case_id!r} is taken as {found!r} (the same case ID "
                                   "but for letter case)")  # fmt: skip
        selection.case_ids.append(found)
    if meeting is not None:
        selection.case_ids += _agenda(registry, meeting)
    if all_open:
        open_cases = registry.cases.loc[registry.cases["status"] == "open", "case_id"]
        selection.case_ids += list(open_cases)
        selection.case_ids += [c for c, u in registry.unusable.items() if u.status == "open"]
    if selection.unknown and (strict or not selection.case_ids):
        raise UnknownCaseError("\n".join(selection.unknown))
    if not selection.case_ids:
        raise ParameterError("no cases chosen: give CASE_IDs, --meeting, --all-open or --cases-file")
    selection.case_ids = list(dict.fromkeys(selection.case_ids))
    return selection


def select_cases(
    registry: Registry,
    case_ids: Iterable[str] = (),
    *,
    meeting: str | None = None,
    all_open: bool = False,
) -> list[str]:
    """The cases to render, in order and without repeats; raise for unknown IDs or meeting
    (:func:`choose_cases`, strict)."""
    named = named_cases(case_ids)
    return choose_cases(registry, named, meeting=meeting, all_open=all_open, strict=True).case_ids


def _by_letters(registry: Registry) -> dict[str, list[str]]:
    """Every case ID by its letters without their case (``casefold``)."""
    found: dict[str, list[str]] = {}
    for case_id in [*registry.case_ids, *registry.unusable]:
        found.setdefault(case_id.casefold(), []).append(case_id)
    return found


def _unknown_message(registry: Registry, case_id: str, matches: list[str], near: bool) -> str:
    """Why ``case_id`` is not taken; with the IDs ``near`` it, if asked (each costs a pass
    over every case ID)."""
    from ..data.model import unknown_case_message

    if matches:
        return (f"case {case_id!r} is not in cases.csv; but for letter case it is each of "
                f"{', '.join(matches)}: give the one meant as cases.csv writes it")  # fmt: skip
    return unknown_case_message(case_id, registry.case_ids if near else [])


def _agenda(registry: Registry, meeting: str) -> list[str]:
    """The cases on ``meeting``'s agenda in agenda order, then those whose own row is faulty."""
    if registry.meeting(meeting) is None:
        known = ", ".join(sorted(registry.meetings["meeting_id"])[:10]) or "none in meetings.csv"
        raise ParameterError(f"--meeting {meeting!r} is not in meetings.csv (known: {known})")
    on_agenda = [item.case_id for item in registry.agenda_items(meeting_id=meeting)]
    return on_agenda + [c for c, u in registry.unusable.items() if meeting in u.meetings]
