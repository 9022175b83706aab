"""The short report `dossier check` prints for a data folder that passes."""

from __future__ import annotations

from collections import Counter

from .model import Registry


def check_report(registry: Registry, lang: str = "en") -> str:
    """Rows per file, cases by status and every data note, as plain text."""
    lines = [f"Data folder OK: {registry.sources[0].path.parent if registry.sources else '?'}", ""]
    lines.append("Rows per file:")
    width = max(len(source.path.name) for source in registry.sources)
    for source in registry.sources:
        detail = f"{source.encoding}, '{source.delimiter}'"
        lines.append(f"  {source.path.name:<{width}}  {source.rows:>9,}  ({detail})")
    statuses = Counter(registry.cases["status"])
    lines += [
        "",
        "Cases by status: " + ", ".join(f"{s} {n:,}" for s, n in sorted(statuses.items())),
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
