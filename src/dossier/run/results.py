"""What a batch did: each dossier's result, the batch's report, the index page that lists them,
and what the terminal shows (a progress bar or line per dossier, the closing table)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..catalogue import Source, text
from ..content.pages import render_page

#: The report a batch leaves in its output folder.
REPORT_FILE = "batch-report.json"


class Status(StrEnum):
    """How one dossier of a batch went."""

    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class DossierResult:
    """How one dossier of a batch went."""

    case_id: str
    slug: str
    title: str
    status: Status
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    key: str = ""
    #: Where the case stands, in the dossier's words (:meth:`~dossier.catalogue.Words.pairs`).
    sentence: list = field(default_factory=list)
    #: What is new and what changed, one line each (:meth:`~dossier.content.view.CaseView.news_pairs`).
    news: list = field(default_factory=list)
    #: The analyst's own cells in the case notebook it was rendered from (0: none, or the template).
    analyst_cells: int = 0


@dataclass
class BatchReport:
    results: list[DossierResult]
    seconds: float
    out_dir: Path
    meeting_pack: dict[str, str] | None = None
    #: The whole batch's key (see batch_key): the export, the selection, the options, the toolkit.
    batch_key: str | None = None
    #: The case IDs given that are not in the data, each with where it was given.
    unknown: list[str] = field(default_factory=list)
    #: What the batch tells besides its dossiers: the case IDs given that were taken for
    #: another but for letter case, and what faults in the data cost.
    notes: list[str] = field(default_factory=list)
    #: The day the dossiers speak for (``YYYY-MM-DD``).
    as_of: str | None = None
    #: The language of the data's own text (BCP 47; "" unknown), for the index page's marks.
    source_lang: str = ""
    #: Each case as its dossier shows it (:class:`~dossier.content.view.CaseView`), by case ID,
    #: as the batch prepared it: what the pack and the mail say of the case. Not in the report file.
    views: dict = field(default_factory=dict, repr=False)

    @staticmethod
    def language_of(report: dict) -> str:
        """The data's language as a written report says it: a language tag, else unknown."""
        from ..data.language import UNKNOWN, is_language_tag

        value = report.get("source_lang")
        return value if is_language_tag(value) else UNKNOWN

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return self.count(Status.FAILED) > 0






def index_page(report: BatchReport, lang: str) -> str:
    """The batch's page: the day its dossiers speak for, its meeting pack, each dossier with
    how its render went and its links (relative to the output folder)."""
    from ..data.dates import format_day

    results, folder = report.results, report.out_dir
    rows = []
    for r in results:
        links = [(name.upper() if name in ("html", "pdf") else name, os.path.relpath(path, folder))
                 for name, path in r.outputs.items() if name in ("html", "pdf", "notebook")]  # fmt: skip
        rows.append({"case_id": r.case_id, "title": Source(r.title), "sentence": r.sentence,
                     "news": r.news, "status": r.status,
                     "status_label": text(f"batch.{r.status}", lang), "links": links,
                     "error": r.error or "", "own_cells": _own_cells(r, lang)})  # fmt: skip
    columns = [text(f"field.{k}", lang) for k in ("case_id", "title", "status", "files")]
    counts = text("batch.counts", lang, done=_count(results, Status.DONE), skipped=_count(results, Status.SKIPPED),
                  failed=_count(results, Status.FAILED))  # fmt: skip
    pack = [(text(label, lang), os.path.relpath(report.meeting_pack[kind], folder))
            for kind, label in (("pdf", "batch.pack"), ("index", "pack.agenda"))
            if kind in (report.meeting_pack or {})]  # fmt: skip
    as_of = None
    if report.as_of:
        as_of = text("date.day", lang, date=format_day(dt.date.fromisoformat(report.as_of), lang))
    view = {"lang": lang, "source_lang": report.source_lang, "title": text("batch.title", lang),
            "rows": rows, "columns": columns,
            "counts": counts, "as_of": as_of, "as_of_label": text("field.as_of", lang),
            "pack": pack}  # fmt: skip
    return render_page("batch/index.html.j2", view)


def _own_cells(result: DossierResult, lang: str) -> str:
    """The index's mark of a dossier that carries the analyst's own cells; empty for none."""
    n = result.analyst_cells
    return "" if not n else text("batch.own_cell" if n == 1 else "batch.own_cells", lang, n=n)


def _count(results: list[DossierResult], status: Status) -> int:
    return sum(1 for r in results if r.status == status)


# -- on the terminal ---------------------------------------------------------------------------


def summary_table(report: BatchReport) -> str:
    """The plain-text table printed at the end of a batch."""
    width = max([len(r.case_id) for r in report.results] + [7])
    lines = [f"{'case':<{width}}  {'status':<8}  {'seconds':>7}  detail"]
    for r in report.results:
        detail = (
            (r.error or "").splitlines()[0]
            if r.error
            else r.outputs.get("html") or r.outputs.get("pdf") or ""
        )
        lines.append(f"{r.case_id:<{width}}  {r.status:<8}  {r.seconds:>7.1f}  {detail}")
    lines.append(
        f"{report.count('done')} done, {report.count('skipped')} skipped, {report.count('failed')} failed "
        f"in {report.seconds:.1f} s; report: {report.out_dir / REPORT_FILE}"
    )
    if report.meeting_pack:
        pack = report.meeting_pack
        lines.append(f"meeting pack: {pack.get('pdf') or pack['index']}")
    return "\n".join(lines)


def progress_reporter(total_hint: int, stream=None) -> tuple[Callable, Callable[[], None]]:
    """A progress callback: a tqdm bar on a terminal, one log line per dossier otherwise."""
    # sys.stderr as it is when called: a default bound at import would keep a stream since closed.
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total_hint, unit="dossier", file=stream, dynamic_ncols=True)
        counts = dict.fromkeys(Status, 0)

        def on_result(result: DossierResult, finished: int, total: int) -> None:
            counts[result.status] += 1
            bar.total = total
            bar.set_postfix(counts, refresh=False)
            bar.update(1)

        return on_result, bar.close

    def log_line(result: DossierResult, finished: int, total: int) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        detail = f" ({result.error.splitlines()[0]})" if result.error else ""
        print(f"{stamp} [{finished}/{total}] {result.status} {result.case_id} {result.seconds:.1f} s{detail}",
              file=stream, flush=True)  # fmt: skip

    return log_line, lambda: None
