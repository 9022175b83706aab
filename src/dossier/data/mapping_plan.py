"""Plan a table's translation: where each contract column comes from in a source file's header.

The mapping file's column map comes first, then built columns, then the
contract's own names, then built-in aliases (:mod:`dossier.data.aliases`). A
header that cannot be read as the table (a required column with no source, two
source columns for one contract column) is a fault here, before any row is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import DataError, Fault
from .aliases import ALIAS_INDEX, LABEL_ALIASES, did_you_mean, fold, header_key, label_key
from .contract import MAPPING_FILE, Table
from .mapping_file import Mapping, Setting, TableMapping


class HowFound(StrEnum):
    """How a contract column, or the code of a label, is found in an export."""

    #: the contract's own header name, or the code itself as a label
    CONTRACT = "contract"
    #: a built-in alias of a header, or a built-in label (dossier.data.aliases)
    ALIAS = "alias"
    #: a line of the mapping file ([table.columns], or a label section such as [events.kinds])
    MAPPED = "mapped"
    #: put together from source columns ([table.build]); columns only
    BUILD = "build"
    #: not in the file: empty, or the mapping file's default; columns only
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Code:
    """The contract code a label means, how it was found, and the mapping file's line if there."""

    code: str
    how: HowFound
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one contract column's values come from in the source file."""

    column: str
    how: HowFound
    source: str = ""
    position: int | None = None
    #: for HowFound.BUILD: (literal, position or None, zero-pad width) in order
    parts: tuple[tuple[str, int | None, int], ...] = ()
    template: str = ""
    line: int | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(_FIELDS.findall(self.template))

    def label(self, default: Setting | None = None) -> str:
        """The column as a fault names it: the export's header with the contract's in brackets."""
        if self.how in (HowFound.ALIAS, HowFound.MAPPED) and self.source != self.column:
            return f"{self.source} ({self.column})"
        if self.how is HowFound.BUILD:
            return f"{self.column} (built from {', '.join(self.fields)})"
        if self.how is HowFound.NONE and default is not None:
            return f"{self.column} (default {default.value!r})"
        return self.column


_FIELDS = re.compile(r"\{([^{}:!]+)[^{}]*\}")


@dataclass(frozen=True)
class TablePlan:
    """How one source file is read as one contract table."""

    table: Table
    #: the source file's name (faults name it)
    file: str
    origins: dict[str, Origin]
    defaults: dict[str, Setting]
    #: coded column -> label key -> the code it means
    labels: dict[str, dict[str, Code]]
    date_formats: tuple[str, ...]
    #: source headers that feed no contract column, with the reason
    unused: tuple[tuple[str, str], ...]
    #: the mapping file's name, for the fixes that faults suggest
    mapping_name: str = MAPPING_FILE
    #: True when the mapping file has a section for this table
    configured: bool = False

    @property
    def plain(self) -> bool:
        """True for a contract file read as it is: no mapping, nothing renamed."""
        return (
            not self.configured
            and self.file == self.table.file
            and all(o.how in (HowFound.CONTRACT, HowFound.NONE) for o in self.origins.values())
        )

    @property
    def positions(self) -> list[int]:
        """The source columns that feed the contract table, by position."""
        found = set()
        for origin in self.origins.values():
            if origin.position is not None:
                found.add(origin.position)
            found.update(p for _, p, _ in origin.parts if p is not None)
        return sorted(found)

    def column_label(self, column: str) -> str:
        return self.origins[column].label(self.defaults.get(column))

    def fix(self, section: str, line: str) -> str:
        return fix_line(self.table.name, section, line, self.mapping_name)


def fix_line(table: str, section: str, line: str, mapping_name: str = MAPPING_FILE) -> str:
    """The fix for a missing mapping: ``add `"Dnr" = "case_id"` under [events.columns] in dossier.toml``."""
    return f"add `{line}` under `[{table}.{section}]` in {mapping_name}"


def plan_table(
    table: Table,
    names: list[str],
    section: TableMapping | None = None,
    *,
    file: str | None = None,
    mapping: Mapping | None = None,
) -> TablePlan:
    """Decide where each contract column comes from in a file with header ``names``.

    The mapping file's column map comes first, then built columns, then the
    contract's own names, then built-in aliases. Raises DataError for a
    header that cannot be read as the table: a required column with no
    source, two source columns for one contract column, a mapped or built
    column that is not in the header.
    """
    file = file or table.file
    mapping_name = mapping.name if mapping else MAPPING_FILE
    where = mapping.where if mapping else (lambda line: mapping_name)
    plan = _Planner(table, names, file, mapping_name, where)
    if section is not None:
        plan.map_columns(section)
        plan.build_columns(section)
    plan.match_headers()
    defaults = dict(section.defaults) if section else {}
    plan.add_missing(defaults, configured=section is not None)
    if plan.faults:
        raise DataError(plan.faults)
    origins = plan.origins
    mapped = (
        section is not None
        or file != table.file
        or any(o.how not in (HowFound.CONTRACT, HowFound.NONE) for o in origins.values())
    )
    labels = {
        column.name: _label_codes(table, column.name, section, mapped)
        for column in table.columns
        if column.type == "code"
    }
    return TablePlan(
        table, file, origins, defaults, labels,
        section.date_formats if section else (),
        tuple(plan.unused.items()), mapping_name, section is not None,
    )  # fmt: skip


@dataclass
class _Planner:
    """What :func:`plan_table` finds as it reads a header: origins, faults, headers left over."""

    table: Table
    names: list[str]
    file: str
    mapping_name: str
    where: Callable[[int | None], str]
    faults: list[Fault] = field(default_factory=list)
    by_name: dict[str, int] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    unused: dict[str, str] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    #: built from a column that is not there: faulted once, there
    unbuilt: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for position, name in enumerate(self.names):
            self.by_name.setdefault(fold(name), position)

    def locate(self, source: str, line: int | None, what: str) -> int | None:
        position = self.by_name.get(fold(source))
        if position is None:
            headers = [n for n in self.names if n.strip()]
            self.faults.append(Fault(self.where(line), value=source,
                                     expected=f"{what} is not a column of {self.file}{did_you_mean(source, headers)} "
                                              f"(its columns: {', '.join(headers)})"))  # fmt: skip
        return position

    def map_columns(self, section: TableMapping) -> None:
        """The mapping file's [columns]: each source column mapped to a contract column, or left out."""
        names, origins = self.names, self.origins
        for source, setting in section.columns.items():
            position = self.locate(source, setting.line, "mapped in [columns]")
            if position is None:
                continue
            self.taken.add(position)
            if setting.value == "":
                self.unused[names[position]] = f"left out ({self.mapping_name} line {setting.line})"
            else:
                origins[str(setting.value)] = Origin(str(setting.value), HowFound.MAPPED,
                                                     names[position], position, line=setting.line)  # fmt: skip

    def build_columns(self, section: TableMapping) -> None:
        """The mapping file's [build]: contract columns put together from source columns."""
        origins = self.origins
        for column, (setting, parts) in section.build.items():
            if column in origins:
                self.faults.append(Fault(self.where(setting.line), value=column,
                                         expected=f"is both mapped from {origins[column].source!r} and built; "
                                                  "keep one of the two"))  # fmt: skip
                continue
            resolved = []
            for literal, name, width in parts:
                position = (
                    None if name is None else self.locate(name, setting.line, f"in build.{column}")
                )
                if name is not None and position is None:
                    self.unbuilt.add(column)
                    break
                resolved.append((literal, position, width))
            else:
                origins[column] = Origin(column, HowFound.BUILD, "", None, tuple(resolved),
                                         str(setting.value), setting.line)  # fmt: skip

    def match_headers(self) -> None:
        """The headers not mapped: the contract's own names, then aliases."""
        table, names, origins, unused = self.table, self.names, self.origins, self.unused
        parts = {p for o in origins.values() for _, p, _ in o.parts if p is not None}
        # The contract's own names, then aliases: a contract name is never ambiguous with an alias.
        matched: dict[HowFound, dict[str, list[int]]] = {HowFound.CONTRACT: {}, HowFound.ALIAS: {}}
        for position, name in enumerate(names):
            if position in self.taken or not name.strip():
                continue
            if (found := header_column(table, name)) is not None:
                column, how = found
                matched[how].setdefault(column, []).append(position)
            elif position not in parts:
                unused[name] = "no contract column"
        for how, columns in matched.items():
            for column, positions in columns.items():
                if column in origins:
                    for position in positions:
                        unused[names[position]] = f"{column} comes from {origins[column].label()}"
                    continue
                if len(positions) > 1:
                    self.faults += _repeated_header(
                        table, column, how, names, positions, self.file, self.mapping_name
                    )
                origins[column] = Origin(column, how, names[positions[0]], positions[0])

    def add_missing(self, defaults: dict[str, Setting], *, configured: bool) -> None:
        """The contract columns not in the file; a fault for each required one with no default."""
        table, origins = self.table, self.origins
        renamed = configured or any(o.how is not HowFound.CONTRACT for o in origins.values())
        for column in table.columns:
            if column.name in origins:
                continue
            origins[column.name] = Origin(column.name, HowFound.NONE)
            if column.required and column.name not in defaults and column.name not in self.unbuilt:
                expected = "is a required column and is missing from the header"
                if renamed:
                    line = f'"…" = "{column.name}"'
                    expected += f" (map a source column to it: {fix_line(table.name, 'columns', line, self.mapping_name)})"
                self.faults.append(Fault(self.file, row=1, column=column.name, expected=expected))


def header_column(table: Table, name: str) -> tuple[str, HowFound] | None:
    """The contract column a header ``name`` means without a mapping file, and how; None if none.

    Case and surrounding spaces never matter; an alias also ignores ``_ - . :``.
    """
    if (key := fold(name)) in table.column_names:
        return key, HowFound.CONTRACT
    column = ALIAS_INDEX[table.name].get(header_key(name))
    return None if column is None else (column, HowFound.ALIAS)


def _repeated_header(
    table: Table,
    column: str,
    how: HowFound,
    names: list[str],
    positions: list[int],
    file: str,
    mapping_name: str,
) -> list[Fault]:
    """Faults for a contract column that more than one header means: which to keep, or which it is."""
    if how is HowFound.CONTRACT:
        return [Fault(file, row=1, column=column, value=names[position],
                      expected=f"appears twice in the header (column {position + 1}); keep one")
                for position in positions[1:]]  # fmt: skip
    found = " and ".join(f"{names[p]!r} (column {p + 1})" for p in positions)
    line = f'"{names[positions[-1]]}" = "{column}"'
    return [Fault(file, row=1, column=column, value=", ".join(names[p] for p in positions),
                  expected=f"is ambiguous: {found} could each be {column}; say which: "
                           + fix_line(table.name, "columns", line, mapping_name))]  # fmt: skip


def _label_codes(
    table: Table, column: str, section: TableMapping | None, mapped: bool
) -> dict[str, Code]:
    """Each label a coded column may hold, by its key: the codes, then built-in labels, then the file's."""
    found = {label_key(code): Code(code, HowFound.CONTRACT) for code in table.column(column).codes}
    if mapped:
        builtin = LABEL_ALIASES.get((table.name, column), {})
        found.update((key, Code(code, HowFound.ALIAS)) for key, code in builtin.items())
    if section is not None:
        for label, setting in section.labels.get(column, {}).items():
            found[label_key(label)] = Code(str(setting.value), HowFound.MAPPED, setting.line)
    return found
