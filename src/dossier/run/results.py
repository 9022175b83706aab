"""What a batch did: each dossier's result, the batch's report, and the index page that lists them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..catalogue import Source, text
from ..content.pages import render_page


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
    #: The language of the data's own text (BCP 47; "" unknown), for the index page's marks.
    source_lang: str = ""

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






def index_page(results: list[DossierResult], folder: Path, lang: str, source_lang: str = "") -> str:
    """The batch's page: each dossier with how its render went and links (relative to ``folder``)."""
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
    view = {"lang": lang, "source_lang": source_lang, "title": text("batch.title", lang),
            "rows": rows, "columns": columns, "counts": counts}  # fmt: skip
    return render_page("batch/index.html.j2", view)


def _own_cells(result: DossierResult, lang: str) -> str:
    """The index's mark of a dossier that carries the analyst's own cells; empty for none."""
    n = result.analyst_cells
    return "" if not n else text("batch.own_cell" if n == 1 else "batch.own_cells", lang, n=n)


def _count(results: list[DossierResult], status: Status) -> int:
    return sum(1 for r in results if r.status == status)


