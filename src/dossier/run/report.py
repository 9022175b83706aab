"""What a batch leaves behind: its report and index page; the last batch again, unchanged.

``batch-report.json`` gives each dossier's files, and the meeting pack's, relative to the
output folder, so that a copy of the folder (moved, archived, mounted elsewhere) reports
its own files, and a batch into the copy builds its own meeting pack.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from .job import DossierFiles
from .manifest import current_files, read_manifest, read_record
from .output import output_lock, write_files, writing_into
from .results import REPORT_FILE, BatchReport, DossierResult, Status, index_page


def skipped_result(case_id: str, slug: str, title: str, key: str, out: Path,
             sentence: list, news: list) -> DossierResult | None:  # fmt: skip
    """The result of a dossier left as it is because it is current (see
    :func:`~dossier.run.manifest.current_files`); None when it must be rendered."""
    folder = out / slug
    if current_files(folder, case_id, key) is None:
        return None
    manifest = read_manifest(folder) or {}  # current_files has read it whole
    outputs = DossierFiles.in_folder(folder, slug, manifest["formats"]).outputs
    notebook = manifest.get("notebook")
    analyst_cells = notebook.get("analyst_cells", 0) if isinstance(notebook, dict) else 0
    return DossierResult(case_id, slug, title, Status.SKIPPED, 0.0, outputs, key=key, sentence=sentence,
                         news=news, analyst_cells=analyst_cells)  # fmt: skip


def unchanged_batch(out_dir: str | Path, key: str, lang: str, progress=None) -> BatchReport | None:
    """The last batch again, all skipped, if its key is ``key`` and its dossiers are all current.

    Returns None (render as usual) when the key differs, the last batch had
    failures or anything to tell again (case IDs, faults in the data), a meeting
    pack is missing, or any dossier is no longer current (see
    :func:`~dossier.run.manifest.current_files`).
    """
    out = Path(out_dir)
    last = read_record(out / REPORT_FILE)
    try:  # the report is the user's file now: anything in it may be other than written
        if last is None or last.get("batch_key") != key or last.get("counts", {}).get("failed", 1):
            return None
        if last.get("unknown") or last.get("notes"):  # said again, from the data
            return None
        results = [skipped_result(d["case_id"], d["slug"], d["title"], d["key"], out, d["sentence"],
                                  d.get("news", [])) for d in last["dossiers"]]  # fmt: skip
        pack = in_folder(last.get("meeting_pack"), out)
        if None in results or pack is False or (
            pack and not all(Path(p).is_file() for p in pack.values())
        ):  # fmt: skip
            return None
        as_of = last.get("as_of") if isinstance(last.get("as_of"), str) else None
    except (KeyError, TypeError, AttributeError, ValueError):
        return None
    with output_lock(out):
        report = BatchReport(results, 0.0, out, pack, batch_key=key, as_of=as_of,
                             source_lang=BatchReport.language_of(last))  # fmt: skip
        for number, result in enumerate(results, start=1):
            if progress:
                progress(result, number, len(results))
        write_report(report, lang)
    return report


def write_report(report: BatchReport, lang: str) -> None:
    """``batch-report.json`` and ``index.html`` in the output folder."""
    data = {
        "batch_key": report.batch_key,
        "as_of": report.as_of,
        "seconds": report.seconds,
        "counts": {s: report.count(s) for s in Status},
        "meeting_pack": _relative(report.meeting_pack, report.out_dir),
        "source_lang": report.source_lang,
        "unknown": report.unknown,
        "notes": report.notes,
        "dossiers": [asdict(r) | {"outputs": _relative(r.outputs, report.out_dir)}
                     for r in report.results],
    }
    # Both or neither: a full disk leaves the last batch's report and index page as they were.
    with writing_into(report.out_dir):
        write_files({
            report.out_dir / REPORT_FILE: json.dumps(data, indent=2, ensure_ascii=False) + "\n",
            report.out_dir / "index.html": index_page(report, lang),
        })  # fmt: skip


def _relative(paths: dict[str, str] | None, out: Path) -> dict[str, str] | None:
    """``paths`` relative to the output folder: the report holds for a copy of the folder."""
    return None if paths is None else {k: os.path.relpath(v, out) for k, v in paths.items()}


def in_folder(paths: object, out: Path) -> dict[str, str] | bool | None:
    """The report's ``paths`` (:func:`_relative`) in the output folder ``out``; None for
    none; False when one is not a path inside it (a report of another folder, or older)."""
    if paths is None:
        return None
    if not isinstance(paths, dict) or not all(
        isinstance(p, str) and not Path(p).is_absolute() and ".." not in Path(p).parts
        for p in paths.values()
    ):  # fmt: skip
        return False
    return {k: str(out / v) for k, v in paths.items()}
