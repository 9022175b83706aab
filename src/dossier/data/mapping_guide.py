"""What dossier tells an analyst about mapping an export: ``check --explain`` and ``init-mapping``.

:func:`explain` says, for each source column and each distinct label, how it
is read into the contract, and ends with what has no mapping yet and the line
to add. :func:`starter_mapping` writes a first ``dossier.toml`` from an
export's headers and labels, its guesses marked as guesses. The translation
itself is :mod:`dossier.data.mapping`'s.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .aliases import ALIAS_INDEX, LABEL_ALIASES, closest, guess_label, header_key, label_key
from .contract import MAPPING_FILE, TABLES, Table
from .language import data_language
from .mapping import AS_CONTRACT, Translation, guess_formats
from .mapping_file import VALUE_SECTIONS
from .mapping_plan import HowFound, TablePlan

# -- dossier check --explain ---------------------------------------------------------------


def explain(data_dir: str | Path, mapping: str | Path | None = None) -> str:
    """How each source column and each distinct label of ``data_dir`` is read, as plain text.

    Ends with what has no mapping, each with its row count and the line to
    add to the mapping file. Faults in the data are left to ``dossier check``.
    """
    from .sources import read_folder

    reading = read_folder(data_dir, mapping)
    found = (
        f"Mapping file: {reading.mapping}"
        if reading.mapping
        else f"Mapping file: none (no {MAPPING_FILE}; built-in aliases only)"
    )
    lines = [found, ""]
    todo: list[str] = []
    by_table = {source.table: source for source in reading.sources.files}
    for table in TABLES:
        source = by_table.get(table.name)
        plan = reading.plans.get(table.name)
        if source is None:
            why = "not read (see the faults below)" if table.name in reading.unread else "no file"
            lines.append(f"{table.name}: {why}")
            continue
        if plan is None:
            lines.append(f"{table.name} ← {source.path.name}: a contract file, read as it is "
                         f"({_rows(source.rows)})")  # fmt: skip
            continue
        where = f"sheet {source.delimiter!r}" if source.encoding == "xlsx" else source.encoding
        lines.append(f"{table.name} ← {source.path.name} ({where}), {_rows(source.rows)}")
        lines += _explain_columns(plan, todo)
        lines += _explain_labels(plan, reading.translations[table.name], todo)
        lines += _explain_dates(plan, reading.translations[table.name], todo)
    lines += ["", f"Unmapped: {len(todo)}" if todo else "Unmapped: nothing"]
    lines += [f"  {line}" for line in todo]
    return "\n".join(lines)


def _rows(count: int) -> str:
    return f"{count:,} row{'s' if count != 1 else ''}"


#: How a column (first) or a label (second) found without the mapping file is shown.
_FOUND = {
    HowFound.CONTRACT: ("contract name", "contract code"),
    HowFound.ALIAS: ("built-in alias", "built-in label"),
}


def _how(how: HowFound, line: int | None, plan: TablePlan, *, label: bool = False) -> str:
    if how is HowFound.MAPPED:
        return f"{plan.mapping_name} line {line}"
    return _FOUND[how][label]


def _explain_columns(plan: TablePlan, todo: list[str]) -> list[str]:
    lines = ["  columns:"]
    rows = []
    for origin in plan.origins.values():
        if origin.how in _FOUND or origin.how is HowFound.MAPPED:
            rows.append((origin.source, origin.column, _how(origin.how, origin.line, plan)))
        elif origin.how is HowFound.BUILD:
            rows.append((", ".join(origin.fields), origin.column,
                         f"built as {origin.template!r} ({plan.mapping_name} line {origin.line})"))  # fmt: skip
        default = plan.defaults.get(origin.column)
        if default is not None:
            rows.append((f"{default.value!r}", origin.column,
                         f"default for empty cells ({plan.mapping_name} line {default.line})"))  # fmt: skip
    for name, why in plan.unused:
        rows.append((name, "—", f"not used: {why}"))
        if why == "no contract column":
            guess = guess_column(plan.table.name, name)
            line = f'"{name}" = "{guess or "…"}"'
            hint = " (a guess: check it)" if guess else ', or map it to "" to say it is left out'
            todo.append(f"{plan.table.name}: column {name!r} of {plan.file} is not used: if it holds "
                        f"a contract column, {plan.fix('columns', line)}{hint}")  # fmt: skip
    width = max((len(source) for source, _, _ in rows), default=0)
    lines += [f"    {source:<{width}} → {column:<15} {how}" for source, column, how in rows]
    return lines


def guess_column(table: str, header: str) -> str | None:
    """The contract column a header most likely means: the nearest alias's, if one is near."""
    index = ALIAS_INDEX[table]
    nearest = closest(header_key(header), index, cutoff=0.75)
    return index[nearest] if nearest else None


def _explain_labels(plan: TablePlan, translation: Translation, todo: list[str]) -> list[str]:
    lines = []
    for column, seen in translation.labels.items():
        if not seen:
            continue
        lines.append(f"  {column} labels ({plan.column_label(column)}):")
        width = max(len(repr(label)) for label, *_ in seen)
        for label, count, found in sorted(seen, key=lambda s: -s[1]):
            rows = _rows(count)
            code, how = ("(no mapping)", "") if found is None else (
                found.code, _how(found.how, found.line, plan, label=True))  # fmt: skip
            lines.append(f"    {label!r:<{width}} {rows:>12} → {code:<15} {how}")
            if found is None:
                guess = guess_label(plan.table.name, column, label)
                codes = plan.table.column(column).codes
                line = f'"{label}" = "{guess or codes[0]}"'
                todo.append(f"{column} label {label!r} ({rows}) has no mapping: "
                            f"{plan.fix(VALUE_SECTIONS[column], line)}"
                            + (" (a guess: check it)" if guess else f" (use one of: {', '.join(codes)})"))  # fmt: skip
    return lines


def _explain_dates(plan: TablePlan, translation: Translation, todo: list[str]) -> list[str]:
    lines = []
    for column, used in translation.dates.items():
        if not used:
            continue
        parts = [f"{n:,} {'in ' + how if how != AS_CONTRACT else how}"
                 for how, n in used.items() if how is not None]  # fmt: skip
        lines.append(f"  dates in {plan.column_label(column)}: {', '.join(parts) or 'none read'}")
        if None in used:
            lines[-1] += f"; {used[None]:,} in none of the formats"
            fault = next(f for f in translation.faults if f.column == plan.column_label(column))
            todo.append(f"{used[None]:,} dates in {plan.column_label(column)} of {plan.file} "
                        f"(first: row {fault.row}, {fault.value!r}) {fault.expected}")  # fmt: skip
    return lines


# -- dossier init-mapping ------------------------------------------------------------------

#: Words in a file's name that say which table it holds.
TABLE_HINTS = {
    "cases": ("ärende", "arende", "case", "diari"),
    "events": ("händelse", "handelse", "åtgärd", "atgard", "event", "historik"),
    "forums": ("instans", "organ", "forum", "nämnd", "namnd"),
    "meetings": ("sammanträd", "sammantrad", "möte", "mote", "meeting"),
    "agenda": ("dagordning", "föredragningslist", "agenda"),
    "relations": ("relation", "koppling"),
    "documents": ("handling", "dokument", "document"),
}
#: Header words of a case ID split over three columns: prefix, serial number, year.
ID_PARTS = (
    ("diarieprefix", "prefix", "diarieserie", "serie", "diarieplan", "nämndkod"),
    ("löpnummer", "löpnr", "lopnummer", "nummer", "nr", "serial"),
    ("årtal", "år", "diarieår", "artal", "year"),
)


@dataclass
class _Candidate:
    file: str
    sheet: str | None
    names: list[str]
    read: object  # positions -> raw frame


def _candidates(data_dir: Path) -> list[_Candidate]:
    from .csv_file import csv_columns, open_csv
    from .sources import sheet_columns
    from .xlsx import is_excel, read_sheet, sheet_names

    found = []
    folder = data_dir.resolve()
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if not path.resolve().is_relative_to(folder):
            continue  # a link out of the folder: its file is not the export's to read
        if is_excel(path):
            names = sheet_names(path)
            for number, name in enumerate(names):
                sheet = read_sheet(path, name)
                found.append(_Candidate(path.name, name if number or len(names) > 1 else None,
                                        sheet.header, lambda p, s=sheet: sheet_columns(s, p)))  # fmt: skip
        elif path.suffix.lower() in (".csv", ".txt"):
            try:
                csv = open_csv(path)
            except DataError:
                continue
            found.append(_Candidate(path.name, None, csv.names,
                                    lambda p, c=csv, n=path.name: csv_columns(c, p, n)))  # fmt: skip
    return found


def _score(table: Table, candidate: _Candidate) -> int:
    index = ALIAS_INDEX[table.name]
    columns = {index.get(header_key(name)) for name in candidate.names} - {None}
    stem = Path(candidate.file).stem.casefold() + " " + (candidate.sheet or "").casefold()
    named = any(hint in stem for hint in TABLE_HINTS[table.name])
    return len(columns) + (3 if named else 0)


def starter_mapping(data_dir: str | Path) -> str:
    """A starter mapping file for the export in ``data_dir``, as TOML text.

    Each table gets the file that best fits it, every header and distinct
    label its contract column or code, and the date formats that read its
    dates. What the toolkit is sure of (a contract name, a built-in alias or
    label) is marked ``built-in``; everything else is marked ``guess`` for the
    analyst to confirm.
    """
    data_dir = Path(data_dir)
    candidates = _candidates(data_dir)
    scored = sorted(
        ((_score(table, c), n, table.name) for table in TABLES for n, c in enumerate(candidates)),
        key=lambda s: -s[0],
    )
    chosen: dict[str, tuple[int, _Candidate]] = {}
    used: set[int] = set()
    for score, number, table in scored:
        if score >= 2 and table not in chosen and number not in used:
            chosen[table] = (score, candidates[number])
            used.add(number)
    q = _toml_string
    out = [
        f"# {MAPPING_FILE}: how the export in this folder maps onto the data contract (DATA.md).",
        "# Written by `dossier init-mapping` as a start: confirm every line marked \"guess\",",
        "# correct what is wrong, then see how the export reads with:",
        "#   dossier check --explain --data <this folder>",
        "# Lines marked \"built-in\" would hold without this file; they are here to be seen.",
        "# The README's section \"Bring your own export\" explains every key.",
        "",
        *_starter_language(data_dir),
    ]  # fmt: skip
    for table in TABLES:
        if table.name not in chosen:
            need = "required" if table.required else "optional"
            out += ["", f"# [{table.name}]: no file here looks like {table.name} ({need}); "
                        f"name it with file = \"…\""]  # fmt: skip
            continue
        score, candidate = chosen[table.name]
        out += ["", f"[{table.name}]"]
        out.append(f"file = {q(candidate.file)}  # guess: its name and headers fit {table.name}")
        if candidate.sheet:
            out.append(f"sheet = {q(candidate.sheet)}  # guess")
        out += _starter_table(table, candidate)
    return "\n".join(out) + "\n"


def _starter_language(data_dir: Path) -> list[str]:
    """The ``[data]`` table: the language the folder's dossier.toml says (kept when the starter
    replaces it), else how to say it; without it the export's text is of unknown language."""
    from ..errors import DataError
    from .language import setting_text

    try:
        lang = data_language(data_dir)
    except DataError:
        lang = ""
    if lang:
        return [f"{line}  # kept from the dossier.toml this replaces" if line.startswith("lang")
                else line for line in setting_text(lang).splitlines()]  # fmt: skip
    return ["# [data]", '# lang = "sv"  # the language of the export\'s own text (BCP 47): say it, '
            "or it is unknown"]  # fmt: skip


def _starter_table(table: Table, candidate: _Candidate) -> list[str]:
    q = _toml_string
    index = ALIAS_INDEX[table.name]
    columns: dict[str, tuple[int, str]] = {}
    lines, unused = [], []
    for position, name in enumerate(candidate.names):
        if not name.strip():
            continue
        column = index.get(header_key(name))
        how = "built-in"
        if column is None:
            column, how = guess_column(table.name, name), "guess"
        if column is None or column in columns:
            also = f" (it could be {column}, but {columns[column][1]!r} is)" if column else ""
            unused.append(f'{q(name)} = ""  # guess: no contract column{also}; left out')
            continue
        columns[column] = (position, name)
        lines.append(f"{q(name)} = {q(column)}  # {how}")
    build = []
    if "case_id" in table.column_names and "case_id" not in columns:
        parts = _id_parts(candidate.names)
        if parts:
            template = "/".join("{" + name + "}" for name in parts)
            build.append(f"case_id = {q(template)}  # guess: the case ID from {len(parts)} "
                         "columns; check the separators")  # fmt: skip
            columns["case_id"] = (-1, template)
            unused = [u for u in unused if not any(u.startswith(q(name)) for name in parts)]
    out = []
    dates, labels = _starter_values(table, candidate, columns)
    if dates:
        out.append(dates)
    out += ["", f"[{table.name}.columns]", *lines, *unused]
    missing = [c.name for c in table.columns if c.required and c.name not in columns]
    out += [f"# required column {name} has no source yet: map a column to it here, or build "
            f"it under [{table.name}.build]" for name in missing]  # fmt: skip
    optional = [c.name for c in table.columns if not c.required and c.name not in columns]
    if optional:
        out.append(f"# no source for {', '.join(optional)}: map a column to each, or give one "
                   f"value for every row under [{table.name}.defaults]")  # fmt: skip
    if build:
        out += ["", f"[{table.name}.build]", *build]
    out += labels
    return out


def _id_parts(names: list[str]) -> list[str]:
    keys = {header_key(name): name for name in names}
    parts = []
    for words in ID_PARTS:
        found = next((keys[w] for w in words if w in keys), None)
        if found is None:
            return []
        parts.append(found)
    return parts


def _starter_values(
    table: Table, candidate: _Candidate, columns: dict[str, tuple[int, str]]
) -> tuple[str, list[str]]:
    q = _toml_string
    wanted = {
        c.name: columns[c.name][0]
        for c in table.columns
        if c.type in ("date", "datetime", "code") and columns.get(c.name, (-1,))[0] >= 0
    }
    if not wanted:
        return "", []
    raw = candidate.read(sorted(set(wanted.values())))
    formats: Counter = Counter()
    labels = []
    for column, position in wanted.items():
        values = raw[str(position)].str.strip()
        values = values[values != ""]
        kind = table.column(column).type
        if kind in ("date", "datetime"):
            distinct = values.drop_duplicates()
            for fmt in guess_formats(distinct, kind):
                read = pd.to_datetime(distinct, format=fmt, errors="coerce").notna()
                formats[fmt] += int(read.sum())
            continue
        counts = values.value_counts()
        known = LABEL_ALIASES.get((table.name, column), {})
        codes = table.column(column).codes
        lines = []
        for label, count in counts.items():
            rows = f"{count:,} row{'s' if count != 1 else ''}"
            if label in codes:
                continue
            code = known.get(label_key(label))
            if code is not None:
                lines.append(f"{q(label)} = {q(code)}  # built-in ({rows})")
                continue
            guess = guess_label(table.name, column, label)
            line = f"{q(label)} = {q(guess or codes[0])}"
            lines.append(
                f"{line}  # guess ({rows}){'' if guess else '; use one of: ' + ', '.join(codes)}"
            )
        if lines:
            labels += ["", f"[{table.name}.{VALUE_SECTIONS[column]}]", *lines]
    dates = ""
    if formats:
        listed = ", ".join(q(fmt) for fmt, _ in formats.most_common())
        dates = f"date_formats = [{listed}]  # guess: they read the dates that are not YYYY-MM-DD"
    return dates, labels


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)
