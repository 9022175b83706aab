"""One dossier as a unit of work: prepared where the data is loaded, run where a kernel is.

:func:`prepare_job` runs in the process that loaded and checked the data: it
cuts the case's slice out of the registry (the *case extract*: contract CSV
files of only the rows the dossier shows), and derives the dossier's key from
the slice, the parameters and the toolkit. :func:`run_job` runs anywhere (this
process, a worker process, a Dask worker): the notebook reads the small
extract, not the whole export, so the source data is read once per batch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..catalogue import check_language
from ..data.contract import EXTRACT_NOTES, EXTRACT_SOURCES
from ..errors import OutputLockedError, ParameterError, RenderError
from ..resources import notebook_path, toolkit_fingerprint

if TYPE_CHECKING:  # jupyter_client and pandas: only where they are used, not to plan a batch
    from ..data.model import Registry
    from .kernel import WarmKernel

LOCK_FILE = ".dossier.lock"


#: The longest ``--timeout``, in seconds.
MAX_TIMEOUT = 86_400.0


@dataclass(frozen=True)
class RenderOptions:
    """How to render: language, dates, formats. Checked on creation."""

    lang: str = "sv"
    as_of: dt.date | None = None  # None for today
    since: dt.date | None = None
    inactive_months: int = 6
    formats: tuple[str, ...] = ("html", "pdf")
    pdfa: bool = False
    timeout: float | None = 600

    def __post_init__(self) -> None:
        check_language(self.lang)
        if not self.formats or any(f not in ("html", "pdf") for f in self.formats):
            raise ParameterError(f"--format {','.join(self.formats)}: use html, pdf or html,pdf")
        if self.inactive_months < 1:
            raise ParameterError("--inactive-months must be 1 or more")
        if self.since is not None and self.since > self.day:
            raise ParameterError(
                f"--since {self.since.isoformat()} is after --as-of {self.day.isoformat()}: "
                "a dossier knows nothing after its day; give a --since on or before it"
            )
        if self.timeout is not None and not 0 < self.timeout <= MAX_TIMEOUT:
            raise ParameterError(
                f"--timeout {self.timeout:g}: give the seconds a dossier's notebook may run,"
                f" more than 0 and at most {MAX_TIMEOUT:g} (a day)"
            )

    @property
    def day(self) -> dt.date:
        return self.as_of or dt.date.today()


@dataclass(frozen=True)
class DossierFiles:
    """Where a rendered dossier's files are."""

    folder: Path
    html: Path | None
    pdf: Path | None
    notebook: Path
    manifest: Path


@dataclass(frozen=True)
class DossierJob:
    """Everything needed to render one dossier, without the registry (small, picklable)."""

    case_id: str
    slug: str
    title: str
    options: RenderOptions
    extract: dict[str, bytes]
    key: str
    manifest: dict = field(repr=False)
    #: Where the case stands, as the dossier says it (:meth:`Words.pairs`), for the index pages.
    sentence: list = field(default_factory=list, repr=False)

    @property
    def parameters(self) -> dict[str, object]:
        return self.manifest["parameters"]


def prepare_job(
    registry: Registry, case_id: str, data_dir: Path, options: RenderOptions
) -> DossierJob:
    """Cut the case's extract and compute its key; raises UnknownCaseError for an unknown case."""
    case = registry.case(case_id)
    from ..content.context import case_dossier
    from ..data.validate import notes_json
    from .manifest import case_slice_csv, package_versions

    slice_files, slice_rows = case_slice_csv(registry, case_id)
    sources = [{"file": s.path.name, "sha256": s.sha256, "rows": s.rows, "encoding": s.encoding}
               for s in registry.sources]  # fmt: skip
    # The notes name the export's file and row; a note's row moves only when its own does.
    notes = {EXTRACT_NOTES: notes_json(registry.notes.get(case_id, []), case_id)}
    extract = slice_files | notes | {EXTRACT_SOURCES: json.dumps(sources, indent=1).encode("utf-8")}
    parameters = {
        "case_id": case_id,
        "lang": options.lang,
        "as_of": options.day.isoformat(),
        "since": options.since.isoformat() if options.since else None,
        "inactive_months": options.inactive_months,
    }
    toolkit = toolkit_fingerprint()
    key = dossier_key(slice_files | notes, parameters, toolkit, options)
    manifest = {
        "case_id": case_id,
        "slug": slugify(case_id),
        "as_of": parameters["as_of"],
        "key": key,
        "parameters": parameters,
        "data_dir": str(data_dir),
        "sources": sources,
        "case_rows": slice_rows,
        "toolkit": toolkit,
        "packages": package_versions(),
        "formats": list(options.formats),
        "pdfa": options.pdfa,
    }
    view = case_dossier(registry, case_id, as_of=options.day, lang=options.lang,
                        since=options.since, inactive_months=options.inactive_months).view  # fmt: skip
    return DossierJob(case_id, manifest["slug"], case.title, options, extract, key, manifest,
                      view.sentence.pairs())  # fmt: skip


def dossier_key(
    slice_files: dict[str, bytes], parameters: dict, toolkit: dict, options: RenderOptions
) -> str:
    """The incremental key: equal keys mean the same dossier would come out.

    Made from the case's own slice of the data (not the whole export's hashes,
    so a change elsewhere does not re-render this case), the parameters, the
    formats, and the notebook, template and toolkit version.
    """
    digest = hashlib.sha256()
    settings = {
        "parameters": parameters,
        "toolkit": toolkit,
        "formats": list(options.formats),
        "pdfa": options.pdfa,
    }
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    for name in sorted(slice_files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + slice_files[name])
    return digest.hexdigest()


def is_current(job: DossierJob, out_dir: Path) -> bool:
    """True if ``out_dir`` already holds this job's dossier, whole and with the same key."""
    folder = Path(out_dir) / job.slug
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    wanted = [f"{job.slug}.{fmt}" for fmt in job.options.formats] + [f"{job.slug}.ipynb"]
    return manifest.get("key") == job.key and all((folder / name).is_file() for name in wanted)


def run_job(job: DossierJob, out_dir: str | Path, kernel: WarmKernel) -> DossierFiles:
    """Render ``job`` into ``out_dir/<slug>/`` with ``kernel``; the folder appears whole or not at all.

    Raises
    ------
    RenderError
        The notebook or an export failed; the executed notebook is kept as
        ``<slug>.failed.ipynb`` in ``out_dir``.
    """
    # Absolute: the kernel reads the extract from its own working folder, not this one.
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{job.slug}.", suffix=".tmp", dir=out))
    staging.chmod(0o755)  # mkdtemp's 0700 would follow the dossier into place
    extract = Path(tempfile.mkdtemp(prefix=f".{job.slug}.", suffix=".extract", dir=out))
    try:
        for name, data in job.extract.items():
            (extract / name).write_bytes(data)
        files = _render_into(staging, job, extract, kernel)
        _keep_failed(out, job.slug, None)
        return _publish(staging, out / job.slug, files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(extract, ignore_errors=True)


def _render_into(staging: Path, job: DossierJob, extract: Path, kernel: WarmKernel) -> DossierFiles:
    from .execute import NotebookFailed, run_notebook
    from .export import html_document, write_pdf

    options, slug = job.options, job.slug
    parameters = {**job.parameters, "data_dir": str(extract)}
    executed = staging / f"{slug}.ipynb"
    try:
        nb = run_notebook(
            notebook_path(), executed, parameters, kernel=kernel, timeout=options.timeout
        )
    except NotebookFailed as exc:
        raise render_error(job, str(exc), _keep_failed(staging.parent, slug, executed)) from None
    html = html_document(nb, lang=options.lang, case_id=job.case_id, title=job.title)
    html_path = pdf_path = None
    manifest = dict(job.manifest)
    if "html" in options.formats:
        html_path = staging / f"{slug}.html"
        html_path.write_text(html, encoding="utf-8")
        manifest["html_sha256"] = hashlib.sha256(html_path.read_bytes()).hexdigest()
    manifest_path = staging / "manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if "pdf" in options.formats:
        pdf_path = staging / f"{slug}.pdf"
        attachments = None
        if options.pdfa:
            slice_files = {
                n: d for n, d in job.extract.items() if n not in (EXTRACT_SOURCES, EXTRACT_NOTES)
            }
            attachments = slice_files | {"manifest.json": manifest_path.read_bytes()}
        write_pdf(html, pdf_path, pdfa=options.pdfa, attachments=attachments)
    return DossierFiles(staging, html_path, pdf_path, executed, manifest_path)


def _keep_failed(out: Path, slug: str, executed: Path | None) -> Path | None:
    """Move a failed run's notebook beside the dossier's place; a later success removes it.

    Returns where it is kept, or None when the run left no notebook (an earlier
    failure's notebook is removed then, so it is never taken for this one's).
    """
    failed = out / f"{slug}.failed.ipynb"
    if executed is None or not executed.exists():
        failed.unlink(missing_ok=True)
        return None
    os.replace(executed, failed)
    return failed


def swap_into_place(staging: Path, final: Path) -> None:
    """Move a finished folder into place: readers see the old folder or the new, never half."""
    retired = None
    if final.exists():
        retired = final.with_name(f".{final.name}.{os.getpid()}.old")
        os.replace(final, retired)
    os.replace(staging, final)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _publish(staging: Path, final: Path, files: DossierFiles) -> DossierFiles:
    swap_into_place(staging, final)

    def moved(path: Path | None) -> Path | None:
        return final / path.name if path else None

    return DossierFiles(
        final,
        moved(files.html),
        moved(files.pdf),
        final / files.notebook.name,
        final / "manifest.json",
    )


# -- the lock and crash leftovers -------------------------------------------------------------


#: Output folders each thread of this process holds, and how many ``output_lock`` blocks hold each.
_held: dict[tuple[Path, int], int] = {}
_held_lock = threading.Lock()


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for this run; a second run into it stops at once (exit 2).

    Within one thread the lock nests: a command takes it before it reads the
    data, and the batch it then runs holds it on. Another thread, like another
    process, is refused.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    key = (out_dir.resolve(), threading.get_ident())
    with _held_lock:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    handle = open(out_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputLockedError(
                f"{out_dir} is in use by {holder}; wait for it to finish or use another --out folder"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"dossier batch, pid {os.getpid()}\n")
        handle.flush()
        _remove_leftovers(out_dir)
        with _held_lock:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_lock:
                del _held[key]
    finally:
        handle.close()


def _remove_leftovers(out_dir: Path) -> None:
    """Staging folders and half-written files of a run that was killed: always safe to remove."""
    for path in out_dir.iterdir():
        if not path.name.startswith("."):
            continue
        if path.is_dir() and path.suffix in (".tmp", ".extract", ".old"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix == ".part":  # batch._write_atomic's temporary files
            path.unlink(missing_ok=True)


def render_error(job: DossierJob, message: str, kept: Path | None) -> RenderError:
    if kept is None:
        return RenderError(f"{job.case_id}: {message}; no executed notebook was saved")
    return RenderError(
        f"{job.case_id}: {message}; the executed notebook is kept at {kept}", str(kept)
    )


def slugify(case_id: str) -> str:
    """The case ID as a safe folder and file name: ``RUN/168/2020`` -> ``RUN-168-2020``.

    Only ASCII letters, digits, ``.``, ``_`` and ``-``; å/ä/ö become a/a/o; never
    ``.``/``..`` or a name that starts with a dot, so never a path outside the folder.
    """
    ascii_text = unicodedata.normalize("NFKD", case_id).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    slug = re.sub(r"-{2,}", "-", slug).strip("-.")[:120].strip("-.")
    return slug or "case"


__all__ = [
    "DossierFiles",
    "DossierJob",
    "RenderOptions",
    "is_current",
    "notebook_path",
    "prepare_job",
    "run_job",
]
