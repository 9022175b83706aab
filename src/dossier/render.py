"""Render one dossier: the story of a dossier from parameters to files on disk.

:func:`build_dossier` reads as the pipeline: start a kernel, load and check the
data, run the notebook, export HTML and PDF, write the manifest, and move the
finished folder into place in one rename. A failure leaves the executed
notebook beside where the dossier would be, and nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .catalogue import check_language
from .errors import ParameterError, RenderError
from .kernel import WarmKernel
from .model import Registry
from .resources import data_dir as resolve_data_dir
from .resources import notebook_path
from .validate import load

FORMATS = ("html", "pdf")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How to render: language, dates, formats. Checked on creation."""

    lang: str = "sv"
    as_of: dt.date | None = None
    since: dt.date | None = None
    inactive_months: int = 6
    formats: tuple[str, ...] = FORMATS
    pdfa: bool = False
    timeout: float | None = 600

    def __post_init__(self) -> None:
        check_language(self.lang)
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown or not self.formats:
            raise ParameterError(f"--format {','.join(self.formats)}: use html, pdf or html,pdf")
        if self.inactive_months < 1:
            raise ParameterError("--inactive-months must be 1 or more")

    @property
    def day(self) -> dt.date:
        return self.as_of or dt.date.today()


@dataclass(frozen=True, slots=True)
class DossierFiles:
    """Where a rendered dossier's files are."""

    folder: Path
    html: Path | None
    pdf: Path | None
    notebook: Path
    manifest: Path


def slugify(case_id: str) -> str:
    """The case ID as a safe folder and file name: ``RUN/168/2020`` -> ``RUN-168-2020``.

    Only ASCII letters, digits, ``.``, ``_`` and ``-``; å/ä/ö become a/a/o; never
    ``.``/``..`` or a name that starts with a dot, so never a path outside the folder.
    """
    ascii_text = unicodedata.normalize("NFKD", case_id).encode("ascii", "ignore").decode("ascii")
    slug = UNSAFE.sub("-", ascii_text)
    slug = re.sub(r"-{2,}", "-", slug).strip("-.")[:120].strip("-.")
    return slug or "case"


def notebook_parameters(case_id: str, data: Path, options: RenderOptions) -> dict[str, object]:
    return {
        "case_id": case_id,
        "data_dir": str(data),
        "lang": options.lang,
        "as_of": options.day.isoformat(),
        "since": options.since.isoformat() if options.since else None,
        "inactive_months": options.inactive_months,
    }


def build_dossier(
    case_id: str,
    *,
    data_dir: str | Path | None = None,
    out_dir: str | Path = "dossiers",
    options: RenderOptions | None = None,
    registry: Registry | None = None,
    kernel: WarmKernel | None = None,
) -> DossierFiles:
    """Render the dossier of ``case_id`` into ``out_dir/<slug>/``.

    Parameters
    ----------
    case_id
        The case's registry number as written in cases.csv.
    data_dir
        The data folder; None for the bundled sample.
    out_dir
        The output folder; the dossier goes into its own sub-folder named by the slug.
    options
        Language, dates, formats; defaults to Swedish, today, HTML and PDF.
    registry
        The already loaded data (a batch loads once); None to load ``data_dir``.
    kernel
        A kernel started ahead of need; None to start one now.

    Raises
    ------
    DataError, UnknownCaseError, ParameterError
        Before anything is written.
    RenderError
        When the notebook or an export fails; the executed notebook is kept.
    """
    options = options or RenderOptions()
    data = resolve_data_dir(data_dir)
    own_kernel = kernel is None
    # The kernel starts first: it imports its libraries while this process loads the data.
    kernel = kernel or WarmKernel.start(cwd=notebook_path().parent)
    try:
        registry = registry or load(data)
        registry.case(case_id)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        slug = slugify(case_id)
        staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", suffix=".tmp", dir=out))
        staging.chmod(0o755)  # mkdtemp's 0700 would follow the dossier into place
        try:
            files = _render_into(staging, slug, case_id, data, registry, options, kernel)
            _keep_failed(out, slug, None)
            return _publish(staging, out / slug, files)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        if own_kernel:
            kernel.shutdown()


def _render_into(staging: Path, slug: str, case_id: str, data: Path, registry: Registry,
                 options: RenderOptions, kernel: WarmKernel) -> DossierFiles:  # fmt: skip
    from .execute import NotebookFailed, run_notebook
    from .export import html_document, write_pdf
    from .manifest import build_manifest, case_slice_csv

    parameters = notebook_parameters(case_id, data, options)
    executed = staging / f"{slug}.ipynb"
    try:
        nb = run_notebook(
            notebook_path(), executed, parameters, kernel=kernel, timeout=options.timeout
        )
    except NotebookFailed as exc:
        kept = _keep_failed(staging.parent, slug, executed)
        raise RenderError(
            f"{case_id}: {exc}; the executed notebook is kept at {kept}", str(kept)
        ) from None
    case = registry.case(case_id)
    html = html_document(nb, lang=options.lang, case_id=case_id, title=case.title)
    html_path = pdf_path = None
    if "html" in options.formats:
        html_path = staging / f"{slug}.html"
        html_path.write_text(html, encoding="utf-8")
    manifest = build_manifest(case_id, registry, parameters, options, staging, slug)
    manifest_path = staging / "manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if "pdf" in options.formats:
        pdf_path = staging / f"{slug}.pdf"
        attachments = case_slice_csv(registry, case_id) | {
            "manifest.json": manifest_path.read_bytes()
        }
        write_pdf(
            html, pdf_path, pdfa=options.pdfa, attachments=attachments if options.pdfa else None
        )
    return DossierFiles(staging, html_path, pdf_path, executed, manifest_path)


def _keep_failed(out: Path, slug: str, executed: Path | None) -> Path:
    """Move a failed run's notebook beside the dossier's place; a later success removes it."""
    failed = out / f"{slug}.failed.ipynb"
    if executed is None:
        failed.unlink(missing_ok=True)
        return failed
    if executed.exists():
        os.replace(executed, failed)
    return failed


def _publish(staging: Path, final: Path, files: DossierFiles) -> DossierFiles:
    """Swap the finished folder into place: readers see the old dossier or the new, never half."""
    retired = None
    if final.exists():
        retired = final.with_name(f".{final.name}.{os.getpid()}.old")
        os.replace(final, retired)
    os.replace(staging, final)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)

    def moved(path: Path | None) -> Path | None:
        return final / path.name if path else None

    return DossierFiles(
        final,
        moved(files.html),
        moved(files.pdf),
        final / files.notebook.name,
        final / "manifest.json",
    )
