"""Read and check the mapping file, ``dossier.toml``: per table its file, columns, labels, dates.

The mapping file (in the data folder, or ``--mapping FILE``) names per table
the source file (CSV or ``.xlsx`` and its sheet), the column map, label maps,
date formats, defaults and built columns. Every fault names the file's line and
its fix; see the README, "Bring your own export".
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, Fault
from .aliases import did_you_mean
from .contract import TABLE, TABLES, Table

#: The mapping file's section for each coded column's labels, e.g. ``[events.kinds]``.
VALUE_SECTIONS = {
    "kind": "kinds",
    "status": "statuses",
    "state": "states",
    "relation": "relations",
    "doc_type": "doc_types",
}

#: The widest zero-padding a built column may ask for ("{Löpnummer:04}"): a 64-bit number's digits.
MAX_PAD = 20

#: Keys of a table's section besides its label sections.
TABLE_KEYS = ("file", "sheet", "date_formats", "columns", "defaults", "build")


@dataclass(frozen=True, slots=True)
class Setting:
    """A value from the mapping file and the line it is on."""

    value: object
    line: int | None = None


@dataclass(frozen=True)
class TableMapping:
    """One table's section of the mapping file, checked."""

    table: str
    file: Setting | None = None
    sheet: Setting | None = None
    date_formats: tuple[str, ...] = ()
    #: source header -> contract column ("" leaves the column out)
    columns: dict[str, Setting] = field(default_factory=dict)
    #: coded column -> label -> code
    labels: dict[str, dict[str, Setting]] = field(default_factory=dict)
    #: contract column -> value for empty cells
    defaults: dict[str, Setting] = field(default_factory=dict)
    #: contract column -> parsed template: (literal, source column or None, zero-pad width)
    build: dict[str, tuple[Setting, tuple[tuple[str, str | None, int], ...]]] = field(
        default_factory=dict
    )
    line: int | None = None


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file: where it is and its table sections."""

    path: Path
    tables: dict[str, TableMapping]

    @property
    def name(self) -> str:
        return self.path.name

    def where(self, line: int | None) -> str:
        """The place of a line, as a fault names it: ``dossier.toml line 12``."""
        return f"{self.name} line {line}" if line else self.name


_KEY_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")


def _key_path(text: str, pos: int) -> tuple[tuple[str, ...], int] | None:
    parts: list[str] = []
    while True:
        match = _KEY_PART.match(text, pos)
        if not match:
            return None
        quoted, literal, bare = match.groups()
        if quoted is not None:
            try:
                parts.append(json.loads(f'"{quoted}"'))
            except ValueError:
                parts.append(quoted)
        else:
            parts.append(literal if literal is not None else bare)
        pos = match.end()
        if text.startswith(".", pos):
            pos += 1
            continue
        return tuple(parts), pos


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of every table header and key in TOML ``text``, by its full dotted path.

    tomllib does not tell where a key is; this scan does, for the plain TOML a
    mapping file is made of (a key inside an inline table gets its table's line).
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            parsed = _key_path(stripped, 1)
            if parsed and stripped[parsed[1] :].startswith("]"):
                table = parsed[0]
                lines.setdefault(table, number)
            continue
        parsed = _key_path(line, 0)
        if parsed and line[parsed[1] :].startswith("="):
            lines.setdefault(table + parsed[0], number)
    return lines


class _Reader:
    """Checks a parsed mapping file, collecting faults with their lines."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)
        self.faults: list[Fault] = []

    def line(self, *path: str) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def fault(self, path: tuple[str, ...], value: object, expected: str) -> None:
        line = self.line(*path)
        where = f"{self.path.name} line {line}" if line else self.path.name
        self.faults.append(Fault(where, value=str(value), expected=expected))

    def unknown_key(self, path: tuple[str, ...], valid, section: str) -> None:
        key = path[-1]
        self.fault(path, key, f"is not a key {section}{did_you_mean(key, valid)} "
                              f"(keys: {', '.join(valid)})")  # fmt: skip

    def text(self, path: tuple[str, ...], value: object, what: str) -> str | None:
        if isinstance(value, str):
            return value
        self.fault(path, value, f"must be {what} in quotes")
        return None

    def section(self, path: tuple[str, ...], value: object) -> dict:
        if isinstance(value, dict):
            return value
        self.fault(path, value, f"must be a table: write it as [{'.'.join(path)}]")
        return {}

    def formats(self, path: tuple[str, ...], value: object) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            self.fault(path, value, 'must be a list of date formats, e.g. ["%d.%m.%Y", "%Y%m%d"]')
            return ()
        for fmt in values:
            if not re.search(r"%[Yy]", fmt) or re.search(r"%[^YymdbBHMSjIp%]", fmt):
                self.fault(path, fmt, "is not a date format: write it with %Y (year), %m (month), "
                                      '%d (day), %H:%M (time), e.g. "%d.%m.%Y" or "%Y%m%d"')  # fmt: skip
        return tuple(values)

    def read(self, data: dict) -> dict[str, TableMapping]:
        tables: dict[str, TableMapping] = {}
        common: tuple[str, ...] = ()
        valid = [table.name for table in TABLES] + ["date_formats", "data", "mail", "notebooks", "calendar"]
        if "date_formats" in data:
            common = self.formats(("date_formats",), data["date_formats"])
        for key, value in data.items():
            # [mail] may share the file: `dossier mail` reads it from the operator's own dossier.toml
            # and ignores it in a data folder (dossier.share.outbox).
            # [notebooks] names the case notebooks' folder for the commands run in this folder.
            # [data] says what the data is (its language, lang = "de"), as `dossier import` writes
            # it: dossier.data.language reads and checks it.
            # [calendar] says when meetings and agendas are known (dossier.data.calendar).
            if key in ("date_formats", "data", "mail", "notebooks", "calendar"):
                continue
            if key not in TABLE:
                self.unknown_key((key,), valid, "at the top of the mapping file")
                continue
            tables[key] = self.table(TABLE[key], self.section((key,), value), common)
        return tables

    def table(self, table: Table, data: dict, common: tuple[str, ...]) -> TableMapping:
        name = table.name
        coded = {VALUE_SECTIONS[c.name]: c.name for c in table.columns if c.name in VALUE_SECTIONS}
        valid = [*TABLE_KEYS, *coded]
        found: dict = {"table": name, "line": self.line(name), "date_formats": common}
        for key, value in data.items():
            path = (name, key)
            if key == "file":
                found["file"] = self.file(path, value)
            elif key == "sheet":
                if isinstance(value, str | int) and not isinstance(value, bool):
                    found["sheet"] = Setting(value, self.line(*path))
                else:
                    self.fault(path, value, "must be a sheet's name in quotes, or its number (1 = first)")  # fmt: skip
            elif key == "date_formats":
                found["date_formats"] = self.formats(path, value)
            elif key == "columns":
                found["columns"] = self.columns(table, path, self.section(path, value))
            elif key == "defaults":
                found["defaults"] = self.defaults(table, path, self.section(path, value))
            elif key == "build":
                found["build"] = self.build(table, path, self.section(path, value))
            elif key in coded:
                labels = self.labels(table, coded[key], path, self.section(path, value))
                found.setdefault("labels", {})[coded[key]] = labels
            else:
                self.unknown_key(path, valid, f"of [{name}]")
        return TableMapping(**found)

    def file(self, path: tuple[str, ...], value: object) -> Setting | None:
        name = self.text(path, value, "a file name")
        if name is None:
            return None
        if Path(name).suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm"):
            self.fault(path, name, "is not a file the toolkit reads: use a .csv or .xlsx file "
                                   "(save an .xls workbook as .xlsx)")  # fmt: skip
            return None
        return Setting(name, self.line(*path))

    def target(self, table: Table, path: tuple[str, ...], column: str) -> bool:
        if column in table.column_names:
            return True
        self.fault(path, column, f"is not a column of {table.name}{did_you_mean(column, table.column_names)} "
                                 f"(columns: {', '.join(table.column_names)})")  # fmt: skip
        return False

    def columns(self, table: Table, path: tuple[str, ...], data: dict) -> dict[str, Setting]:
        found: dict[str, Setting] = {}
        claimed: dict[str, str] = {}
        for source, target in data.items():
            where = (*path, source)
            target = self.text(where, target, 'a contract column (or "" to leave it out)')
            if target is None or (target and not self.target(table, where, target)):
                continue
            if target and target in claimed:
                self.fault(where, source, f"and {claimed[target]!r} both map to {target}; "
                                          "map only one of them")  # fmt: skip
                continue
            if target:
                claimed[target] = source
            found[source] = Setting(target, self.line(*where))
        return found

    def labels(
        self, table: Table, column: str, path: tuple[str, ...], data: dict
    ) -> dict[str, Setting]:
        codes = table.column(column).codes
        found: dict[str, Setting] = {}
        for label, code in data.items():
            where = (*path, label)
            code = self.text(where, code, f"a {column}")
            if code is None:
                continue
            if code not in codes:
                self.fault(where, code, f"is not a {column}{did_you_mean(code, codes)} "
                                        f"(use one of: {', '.join(codes)})")  # fmt: skip
                continue
            found[label] = Setting(code, self.line(*where))
        return found

    def defaults(self, table: Table, path: tuple[str, ...], data: dict) -> dict[str, Setting]:
        found: dict[str, Setting] = {}
        for column, value in data.items():
            where = (*path, column)
            if not self.target(table, where, column):
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                self.fault(where, value, "must be a value in quotes")
                continue
            found[column] = Setting(str(value), self.line(*where))
        return found

    def build(self, table: Table, path: tuple[str, ...], data: dict) -> dict:
        found = {}
        for column, value in data.items():
            where = (*path, column)
            template = self.text(where, value, 'a template such as "{Prefix}/{Löpnummer}/{År}"')
            if template is None or not self.target(table, where, column):
                continue
            parts = self.template(where, template)
            if parts is not None:
                found[column] = (Setting(template, self.line(*where)), parts)
        return found

    def template(self, path: tuple[str, ...], template: str):
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            self.fault(path, template, f"is not a template ({exc}); write source columns in "
                                       'braces, e.g. "{Prefix}/{Löpnummer}/{År}"')  # fmt: skip
            return None
        parts = []
        for literal, name, spec, conversion in parsed:
            width = 0
            if name is not None:
                if not name.strip() or conversion or (spec and not re.fullmatch(r"0[0-9]+", spec)):
                    self.fault(path, template, "has a field that is not a source column in braces "
                                               '(a column may pad with zeros: "{Löpnummer:04}")')  # fmt: skip
                    return None
                width = int(spec) if spec else 0
                if width > MAX_PAD:
                    self.fault(path, template, f"pads {{{name}}} to {width:,} digits; a build pads to "
                                               f'{MAX_PAD} at most, e.g. "{{{name}:04}}"')  # fmt: skip
                    return None
            parts.append((literal, name, width))
        if not any(name for _, name, _ in parts):
            self.fault(path, template, "names no source column; write them in braces, "
                                       'e.g. "{Prefix}/{Löpnummer}/{År}"')  # fmt: skip
            return None
        return tuple(parts)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raise DataError naming each fault's line and its fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError([Fault(path.name, expected=f"cannot be read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise DataError(
            [Fault(path.name, expected="is not UTF-8 text (save it as UTF-8)")]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError([Fault(path.name, expected=f"is not valid TOML: {exc}")]) from None
    except RecursionError:
        # tomllib reads nested arrays and inline tables by recursion: hundreds deep exhaust it.
        raise DataError([Fault(path.name, expected=(
            "is nested too deeply to be read (arrays or inline tables within each other hundreds "
            "of times); a mapping file needs two levels at most, e.g. [events.kinds]"))]) from None  # fmt: skip
    reader = _Reader(path, text)
    tables = reader.read(data)
    if reader.faults:
        raise DataError(reader.faults)
    return Mapping(path, tables)
