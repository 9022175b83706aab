"""The short report `dossier check` prints for a data folder that can be used."""

from __future__ import annotations

from collections import Counter

from ..errors import DataError
from .model import Registry


def check_report(registry: Registry, lang: str = "en") -> str:
    """Rows per file, cases by status and every data note, as plain text."""
    folder = registry.sources[0].path.parent if registry.sources else "?"
    head = "Data folder OK" if not registry.faults else "Data folder usable, faulty rows left out"
    lines = [f"{head}: {folder}", ""]
    lines.append("Rows per file:")
    width = max(len(source.path.name) for source in registry.sources)
    for source in registry.sources:
        detail = f"{source.encoding}, '{source.delimiter}'"
        lines.append(f"  {source.path.name:<{width}}  {source.rows:>9,}  ({detail})")
    statuses = Counter(registry.cases["status"])
    faulty = f"; {len(registry.unusable):,} more whose own row is faulty" if registry.unusable else ""
    lines += [
        "",
        "Cases by status: " + ", ".join(f"{s} {n:,}" for s, n in sorted(statuses.items())) + faulty,
        "Language of the data's text: " + (registry.source_lang or (
            'unknown (say it in dossier.toml: [data] lang = "sv", "de" …)')),
    ]
    total = sum(len(notes) for notes in registry.notes.values())
    lines += [
        "",
        f"Data notes: {total:,}" + (" (they go into each case's dossier)" if total else ""),
    ]
    shown = 0
    for case_id, notes in registry.notes.items():
        for note in notes:
            if shown == 50:
                lines.append(f"  … and {total - shown:,} more")
                return "\n".join(lines)
            where = f"{note.file} row {note.row}" if note.row else note.file
            lines.append(f"  {case_id}: {note.text(lang)} [{where}]")
            shown += 1
    return "\n".join(lines)


def faults_report(registry: Registry) -> str:
    """Every fault confined to a case's rows, as ``check`` lists faults, and what they cost."""
    lines = [str(DataError(list(registry.faults))), "Each of these faults costs only its rows: "
             "render and batch leave them out, and name them in their case's data notes."]  # fmt: skip
    if registry.unusable:
        shown = ", ".join(sorted(registry.unusable)[:20])
        more = f" and {len(registry.unusable) - 20:,} more" if len(registry.unusable) > 20 else ""
        lines.append(f"{len(registry.unusable):,} case(s) cannot be rendered until their own row in "
                     f"cases.csv is corrected: {shown}{more}.")  # fmt: skip
    lines.append("Correct the rows in the export; --strict refuses the folder for any fault.")
    return "\n".join(lines)


def faults_line(registry: Registry) -> str | None:
    """One line on what the data's faults cost, for a run that renders; None without faults."""
    if not registry.faults:
        return None
    from .faults import LEFT_OUT

    cases = {c for c, notes in registry.notes.items() if any(n.code in LEFT_OUT for n in notes)}
    n, m = len(registry.faults), len(cases | set(registry.unusable))
    return (f"{n:,} fault{'s' if n != 1 else ''} in the data cost only their rows, in {m:,} "
            f"case{'s' if m != 1 else ''}: each dossier's data notes name its own; "
            "`dossier check` lists them all")  # fmt: skip
