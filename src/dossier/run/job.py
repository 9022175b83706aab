"""One dossier as a unit of work: prepared where the data is loaded, run where a kernel is.

:func:`prepare_job` runs in the process that loaded and checked the data: it
cuts the case's slice out of the registry (the *case extract*: contract CSV
files of only the rows the dossier shows), and derives the dossier's key from
the slice, the parameters and the toolkit. :func:`render_job` runs anywhere (this
process, a worker process, a Dask worker): the notebook reads the small
extract, not the whole export, so the source data is read once per batch; and
the dossier's files travel back as bytes, to be written into the output folder
by the process that holds its lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.parameters import DossierParameters
from ..data.contract import (
    EXTRACT_BASELINE,
    EXTRACT_CASE,
    EXTRACT_CHECKED,
    EXTRACT_NOTEBOOK,
    EXTRACT_NOTES,
    EXTRACT_SOURCES,
    MAPPING_FILE,
)
from ..data.text import slugify
from ..errors import NotebookFailed, OutputError, ParameterError
from ..resources import notebook_path, toolkit_fingerprint
from .lifetime import private_dir
from .notebooks import as_rendered, notebook_for, notebook_record, read_case_notebook

if TYPE_CHECKING:  # jupyter_client and pandas: only where they are used, not to plan a batch
    from ..data.changes import CaseExtract
    from ..data.model import CaseFile, Registry
    from .kernel import WarmKernel


#: The longest ``--timeout``, in seconds.
MAX_TIMEOUT = 86_400.0


#: Told as each stage of a render begins: its name (``reading``, ``running``, ``html``, ``pdf``,
#: ``written``) and what the catalogue's ``stage.<name>`` fills in.
Stage = Callable[..., None]


def _quiet(name: str, **fields: object) -> None:
    pass


#: What an option of :class:`RenderOptions` is for, as its field's metadata ``role`` says.
PARAMETER = "parameter"  # a parameter of the notebook (DossierParameters); part of the key
EXPORT = "export"  # how the notebook's result is written out; part of the key
RUN = "run"  # how the render runs: the same dossier comes out whatever its value
#: An earlier output folder to compare with: its dossier's case extract, not the folder's
#: path, goes into the key (see :func:`prepare_job`), and the comparison made with it reaches
#: the notebook as a file of the case extract (``baseline.json``).
BASELINE = "baseline"


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the dossier's parameters, and how its files are written.

    Checked on creation, without reading anything: the ``compare_with`` folder is checked
    where a run starts (:func:`check_compare_with`). The one list of the options: the
    notebook's parameters and the keys that tell whether a dossier must be rendered again
    are both read from these fields (see :meth:`settings`).
    """

    #: The notebook's parameters: language, day, what is new, when a case is quiet.
    #: (Without them: Swedish, as of today, as :meth:`DossierParameters.given` has it.)
    parameters: DossierParameters = field(default_factory=DossierParameters.given,
                                          metadata={"role": PARAMETER})  # fmt: skip
    formats: tuple[str, ...] = field(default=("html", "pdf"), metadata={"role": EXPORT})
    pdfa: bool = field(default=False, metadata={"role": EXPORT})
    timeout: float | None = field(default=600, metadata={"role": RUN})
    #: ``--compare-with``: an earlier output folder; list what changed since its dossier.
    compare_with: Path | None = field(default=None, metadata={"role": BASELINE})
    #: The folder of case notebooks: a case with ``<slug>.ipynb`` there renders from it, any
    #: other from the template. Not in the key itself: the notebook's hash is (see prepare_job).
    notebooks: Path | None = field(default=None, metadata={"role": RUN})

    def __post_init__(self) -> None:
        if self.compare_with is not None:  # a path as text, made a Path (nothing is read here)
            object.__setattr__(self, "compare_with", Path(self.compare_with))
        if not self.formats or any(f not in ("html", "pdf") for f in self.formats):
            raise ParameterError(f"--format {','.join(self.formats)}: use html, pdf or html,pdf")
        if self.timeout is not None and not 0 < self.timeout <= MAX_TIMEOUT:
            raise ParameterError(
                f"--timeout {self.timeout:g}: give the seconds a dossier's notebook may run,"
                f" more than 0 and at most {MAX_TIMEOUT:g} (a day)"
            )

    @property
    def lang(self) -> str:
        return self.parameters.lang

    @property
    def day(self) -> dt.date:
        return self.parameters.as_of

    def with_parameters(self, **changes: object) -> RenderOptions:
        """These options with some of the dossier's parameters changed (and checked)."""
        return replace(self, parameters=replace(self.parameters, **changes))

    def settings(self, *roles: str) -> dict[str, object]:
        """The options whose role is one of ``roles``, by name, as JSON values (dates in ISO form);
        the dossier's parameters each by its own name."""
        found: dict[str, object] = {}
        for f in fields(self):
            role = f.metadata.get("role")
            if role is None:
                raise TypeError(f"RenderOptions.{f.name} says no role (metadata {{'role': EXPORT}}, RUN or "
                                "BASELINE); a parameter of the notebook is a field of DossierParameters")  # fmt: skip
            if role == PARAMETER and role in roles:
                found |= self.parameters.settings()
            elif role in roles:
                found[f.name] = _json_value(getattr(self, f.name))
        return found


def _json_value(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class DossierFiles:
    """Where a rendered dossier's files are."""

    folder: Path
    html: Path | None
    pdf: Path | None
    notebook: Path
    manifest: Path
    #: The case extract the dossier was made from (see :mod:`dossier.data.changes`).
    extract: Path | None = None

    @classmethod
    def in_folder(cls, folder: Path, slug: str, formats: Iterable[str]) -> DossierFiles:
        """The files of the dossier of ``slug`` in ``folder``, rendered in ``formats``."""
        from .manifest import MANIFEST_FILE, file_names

        names = file_names(slug, formats)
        html, pdf = (folder / names[kind] if kind in names else None for kind in ("html", "pdf"))
        return cls(folder, html, pdf, folder / names["notebook"], folder / MANIFEST_FILE,
                   folder / names["extract"])  # fmt: skip

    @property
    def outputs(self) -> dict[str, str]:
        """The paths by kind, as a batch's report lists them."""
        paths = {"html": self.html, "pdf": self.pdf, "notebook": self.notebook,
                 "manifest": self.manifest, "extract": self.extract}  # fmt: skip
        return {kind: str(path) for kind, path in paths.items() if path is not None}


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
    #: The comparison with the earlier dossier (``--compare-with``), made where its extract was
    #: read (:meth:`~dossier.data.changes.Baseline.to_bytes`); None without ``--compare-with``.
    baseline: bytes | None = field(default=None, repr=False)
    #: What is new and what changed, one line each (:meth:`CaseView.news_pairs`), for the index pages.
    news: list = field(default_factory=list, repr=False)
    #: The case's own notebook as bytes, so that a worker on any machine runs it; None for the
    #: template (the worker's own, as for every other file of the toolkit).
    case_notebook: bytes | None = field(default=None, repr=False)

    @property
    def parameters(self) -> dict[str, object]:
        return self.manifest["parameters"]


@dataclass(frozen=True)
class RenderedDossier:
    """A render's outcome as it travels back to the batch: the dossier's files, or why it failed.

    Small enough to pickle (a few hundred kB), so that a worker on any machine
    returns it and only the process that holds the output folder's lock writes
    it there.
    """

    case_id: str
    slug: str
    formats: tuple[str, ...]
    #: The files by name, the manifest among them.
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    #: What failed, without the case ID; None for a dossier rendered whole.
    error: str | None = None
    #: The failed run's executed notebook, if it left one.
    notebook: bytes | None = field(default=None, repr=False)
    seconds: float = 0.0


def prepare_job(
    registry: Registry,
    case_id: str,
    data_dir: Path,
    options: RenderOptions,
    *,
    out: Path | None = None,
    rendering: Collection[str] = (),
    views: dict | None = None,
) -> DossierJob:
    """Cut the case's extract and compute its key; raises UnknownCaseError for an unknown case.

    ``views``, if given, gets the case's :class:`~dossier.content.view.CaseView` under its
    case ID, for what else shows the case as its dossier does (a meeting pack's agenda).

    With ``out``, the dossier links to the dossiers of its related cases that will be
    beside it there: those of ``rendering`` (the cases rendered with it) and those already
    in ``out`` (:func:`dossier_links`). The links are part of the key:
    a dossier is rendered again when a related case's dossier comes or goes.
    """
    case = registry.case(case_id)
    from ..data.earlier import earlier_dossier
    from .manifest import case_slice_csv, package_versions

    slug = slugify(case_id)
    slice_files, slice_rows = case_slice_csv(registry, case_id)
    sources = [{"file": s.path.name, "sha256": s.sha256, "rows": s.rows, "encoding": s.encoding}
               for s in registry.sources]  # fmt: skip
    notes = _extract_notes(registry, case_id)
    extract = slice_files | notes | {EXTRACT_SOURCES: json.dumps(sources, indent=1).encode("utf-8")}
    parameters = {"case_id": case_id, **options.settings(PARAMETER)}
    related = [r.case_id for r in registry.related_cases(case_id)]
    parameters["related_dossiers"] = (
        {} if out is None else dossier_links(related, Path(out), rendering, options.formats)
    )
    toolkit = toolkit_fingerprint()
    earlier = None
    if options.compare_with is not None:
        earlier = earlier_dossier(options.compare_with, case_id, f"--compare-with {options.compare_with}")
    # The earlier dossier's extract, not its folder's name, says what the comparison shows.
    compared = {} if options.compare_with is None else {BASELINE_KEY: earlier.data if earlier else b""}
    notebook, notebook_bytes = _notebook(options, slug, case_id)
    record = notebook_record(notebook, notebook_bytes)
    key = dossier_key(slice_files | notes | compared, parameters, toolkit, options, record["sha256"])
    manifest = {
        "case_id": case_id,
        "slug": slug,
        "as_of": parameters["as_of"],
        "key": key,
        "parameters": parameters,
        "data_dir": str(data_dir),
        "sources": sources,
        "case_rows": slice_rows,
        "toolkit": toolkit,
        "notebook": record,
        "packages": package_versions(),
        **options.settings(EXPORT),
    }
    whole = registry.case_file(case_id)
    opened = open_dossier(whole, options, earlier.extract if earlier else None)
    if opened.baseline is not None:
        manifest["compare_with"] = {"folder": str(options.compare_with), "key": opened.baseline.key,
                                    "as_of": opened.baseline.as_of}  # fmt: skip
    view = opened.view
    if views is not None:
        views[case_id] = view
    extract[EXTRACT_NOTEBOOK] = json.dumps({"file": notebook.name, "sha256": record["sha256"],
                                            "key": key}).encode()  # fmt: skip
    # Cut from this registry, checked: a notebook that reads the extract's tables need not check
    # them again.
    extract[EXTRACT_CHECKED] = json.dumps({n: hashlib.sha256(d).hexdigest() for n, d in slice_files.items()},
                                          sort_keys=True).encode()  # fmt: skip
    return DossierJob(case_id, slug, case.title, options, extract, key, manifest,
                      view.sentence.pairs(), opened.baseline.to_bytes() if opened.baseline else None,
                      view.news_pairs(), notebook_bytes if record["case_notebook"] else None)  # fmt: skip


def with_case_record(job: DossierJob, registry: Registry) -> DossierJob:
    """``job`` with its case as the notebook will open it: the case file as ``registry`` gives
    it, with the sources as the extract describes them, for the tables cut
    (:mod:`dossier.data.extract`). For a job that renders; a case whose record would be larger
    than :data:`~dossier.data.extract.RECORD_LIMIT` opens from its tables."""
    from ..data.extract import RECORD_LIMIT, case_record, source_files

    described = source_files(json.loads(job.extract[EXTRACT_SOURCES]))
    whole = replace(registry.case_file(job.case_id), sources=described)
    record = case_record(whole, json.loads(job.extract[EXTRACT_CHECKED]))
    if len(record) > RECORD_LIMIT:
        return job
    return replace(job, extract=job.extract | {EXTRACT_CASE: record})


def _extract_notes(registry: Registry, case_id: str) -> dict[str, bytes]:
    """What a case extract says of its case besides the rows: the data notes, and the data
    folder's settings."""
    from ..data.language import setting_text
    from ..data.validate import notes_json

    # The notes name the export's file and row; a note's row moves only when its own does.
    notes = {EXTRACT_NOTES: notes_json(registry.notes.get(case_id, []), case_id)}
    # The data's language, and when meetings and agendas are known, travel with the extract as
    # the data folder said them, in its dossier.toml (and enter the key).
    language = setting_text(registry.source_lang) if registry.source_lang else ""
    notes[MAPPING_FILE] = language.encode("utf-8") + registry.calendar.to_toml()
    return notes


def _notebook(options: RenderOptions, slug: str, case_id: str) -> tuple[Path, bytes]:
    """The notebook the case renders from (its own or the template) and its bytes, read once:
    what is hashed is what runs."""
    notebook = notebook_for(options.notebooks, slug)
    if notebook == notebook_path():
        return notebook, notebook.read_bytes()
    return notebook, read_case_notebook(notebook, case_id)


def open_dossier(whole: CaseFile, options: RenderOptions, earlier: CaseExtract | None = None):
    """The case file ``whole`` as its dossier shows it with ``options``
    (:func:`~dossier.content.context.file_dossier`).

    With ``options.compare_with``, compared here with the earlier dossier's case extract
    ``earlier`` (:func:`~dossier.data.changes.earlier_dossier`; None: the case is new in the
    comparison): the one comparison the dossier, its index line, the pack and the mail show.
    """
    from ..content.context import file_dossier
    from ..data.earlier import Baseline

    compared = None
    if options.compare_with is not None:
        compared = Baseline.of(earlier, whole, options.day)
    return file_dossier(whole, options.parameters, baseline=compared)


#: In a job's key, the place of the earlier dossier's case extract.
BASELINE_KEY = "baseline"


def check_compare_with(options: RenderOptions, out: Path) -> None:
    """Check ``--compare-with`` where a run starts (:func:`~dossier.data.changes.check_earlier_folder`),
    and refuse the very folder being written: each run would compare the dossiers with
    themselves, and their keys (which hold the baseline) would never settle."""
    from ..data.earlier import check_earlier_folder

    if options.compare_with is None:
        return
    check_earlier_folder(options.compare_with, f"--compare-with {options.compare_with}")
    if options.compare_with.resolve() == Path(out).resolve():
        raise ParameterError(
            f"--compare-with {options.compare_with} is the --out folder: give an earlier output "
            "folder (last meeting's, say), or another --out"
        )


def dossier_links(
    case_ids: Iterable[str], out: Path, rendering: Collection[str], formats: Collection[str]
) -> dict[str, str]:
    """Links from a dossier in ``out`` to the HTML dossiers of ``case_ids`` beside it, by case ID.

    Each dossier has its own folder in ``out`` (``out/<slug>/<slug>.html``), so a link
    is ``../<slug>/<slug>.html``; it holds from a meeting pack's folder too, which sits
    beside them. A case gets a link when its dossier will be there once this run is
    done: it is among ``rendering`` (the cases rendered in the same run, in the same
    ``formats``), or ``out`` already holds its HTML dossier. None without HTML.
    """
    from .manifest import file_names, read_manifest

    if "html" not in formats:
        return {}
    links = {}
    for case_id in case_ids:
        slug = slugify(case_id)
        name = file_names(slug, ("html",))["html"]
        beside = (read_manifest(out / slug) or {}).get("case_id") == case_id and (
            out / slug / name
        ).is_file()
        if case_id in rendering or beside:
            links[case_id] = dossier_href(slug)
    return links


def dossier_href(slug: str) -> str:
    """The link from one dossier (or a meeting pack's folder) to the HTML dossier ``slug``
    beside it in the output folder: what a pack or a mail turns into a link of its own."""
    from .manifest import file_names

    return f"../{slug}/{file_names(slug, ('html',))['html']}"


def dossier_key(
    slice_files: dict[str, bytes], parameters: dict, toolkit: dict, options: RenderOptions,
    notebook_sha256: str,
) -> str:
    """The incremental key: equal keys mean the same dossier would come out.

    Made from the case's own slice of the data (not the whole export's hashes,
    so a change elsewhere does not re-render this case), the notebook's
    parameters, the options of the export (formats, PDF/A), and the notebook,
    template and toolkit version, and the notebook it runs (the case's own or the template;
    its cells' types and sources only, so a save in JupyterLab changes nothing).
    """
    digest = hashlib.sha256()
    settings = {"parameters": parameters, "toolkit": toolkit, "notebook": notebook_sha256,
                **options.settings(EXPORT)}  # fmt: skip
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    for name in sorted(slice_files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + slice_files[name])
    return digest.hexdigest()


def is_current(job: DossierJob, out_dir: Path) -> bool:
    """True if ``out_dir`` already holds this job's dossier, whole and with the same key.

    See :func:`~dossier.run.manifest.current_files`, the one test of a current dossier.
    """
    from .manifest import current_files

    return current_files(Path(out_dir) / job.slug, job.case_id, job.key) is not None


@contextlib.contextmanager
def libraries_quiet() -> Iterator[None]:
    """While a dossier renders, the libraries' log records reach no terminal.

    Without a handler of its own, Python prints a library's warnings and errors on
    stderr (papermill's "Kernel died while waiting for execute reply." for a cell
    killed at its timeout, say); how the render went is the command's to tell, once.
    """
    quiet = logging.NullHandler()
    logging.getLogger().addHandler(quiet)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(quiet)


def render_job(job: DossierJob, kernel: WarmKernel, stage: Stage | None = None) -> RenderedDossier:
    """Render ``job`` with ``kernel`` into a scratch folder of this machine; return its files.

    Runs wherever the kernel is (this process, a worker process, a Dask worker
    on another machine) and writes nothing into the output folder: the process
    that holds the folder's lock puts the files there
    (:func:`~dossier.run.output.publish`). A failing notebook is no exception
    here: the result says why, and carries the executed notebook. ``stage``, if
    given, is told as each stage begins (see :data:`Stage`).
    """
    stage = stage or _quiet
    from .execute import run_notebook

    with scratch_folder() as scratch, libraries_quiet():
        extract, folder = scratch / "extract", scratch / "dossier"
        extract.mkdir()
        folder.mkdir()
        for name, data in job.extract.items():
            (extract / name).write_bytes(data)
        files = DossierFiles.in_folder(folder, job.slug, job.options.formats)
        parameters = {**job.parameters, "data_dir": str(extract)}
        if job.baseline is not None:  # the comparison made where the earlier extract was read
            (extract / EXTRACT_BASELINE).write_bytes(job.baseline)
            parameters["compare_with"] = str(job.options.compare_with)
        notebook = notebook_path()
        if job.case_notebook is not None:
            notebook = scratch / f"{job.slug}.case.ipynb"
            notebook.write_bytes(as_rendered(job.case_notebook))
        stage("running", notebook=Path(job.manifest["notebook"]["path"]).name)
        try:
            nb = run_notebook(notebook, files.notebook, parameters, kernel=kernel,
                              timeout=job.options.timeout)  # fmt: skip
        except NotebookFailed as exc:
            executed = files.notebook.read_bytes() if files.notebook.exists() else None
            return RenderedDossier(job.case_id, job.slug, job.options.formats, error=str(exc),
                                   notebook=executed)  # fmt: skip
        _export(nb, files, job, stage)
        written = {path.name: path.read_bytes() for path in folder.iterdir()}
    return RenderedDossier(job.case_id, job.slug, job.options.formats, written)


def case_extract(job: DossierJob) -> bytes:
    """The case extract the dossier keeps beside its manifest: the slice of each table, as CSV."""
    from ..data.changes import CaseExtract

    return CaseExtract(job.case_id, job.manifest["as_of"], job.key, table_files(job.extract)).to_bytes()


def table_files(extract: dict[str, bytes]) -> dict[str, bytes]:
    """The contract CSV files of a job's extract: the case's slice of each table, without the
    records of where the data came from, its notes, its settings, the notebook and the case
    as opened."""
    return {n: d for n, d in extract.items()
            if n not in (EXTRACT_SOURCES, EXTRACT_NOTES, EXTRACT_NOTEBOOK, EXTRACT_CHECKED, EXTRACT_CASE,
                         MAPPING_FILE)}  # fmt: skip


def _export(nb, files: DossierFiles, job: DossierJob, stage: Stage) -> None:
    """The executed notebook ``nb`` as HTML and PDF, and the manifest that records them."""
    from .export import html_document, write_pdf
    from .manifest import MANIFEST_FILE, file_record, spreadsheet_safe

    options = job.options
    stage("html" if files.html is not None else "pdf")  # says only what it writes
    html = html_document(nb, lang=options.lang, case_id=job.case_id, title=job.title)
    manifest = dict(job.manifest)
    records = manifest["files"] = {files.notebook.name: file_record(files.notebook.read_bytes())}
    files.extract.write_bytes(case_extract(job))
    records[files.extract.name] = file_record(files.extract.read_bytes())
    if files.html is not None:
        files.html.write_text(html, encoding="utf-8")
        records[files.html.name] = file_record(files.html.read_bytes())
        manifest["html_sha256"] = records[files.html.name]["sha256"]
    if files.pdf is not None:
        if files.html is not None:
            stage("pdf")
        attachments = None
        if options.pdfa:
            # Attached for a person to open, in a spreadsheet as likely as not.
            slice_files = {name: spreadsheet_safe(data) for name, data in table_files(job.extract).items()}
            # The manifest inside the PDF records every file but the PDF: none holds its own hash.
            attachments = slice_files | {MANIFEST_FILE: _manifest_bytes(manifest)}
        write_pdf(html, files.pdf, pdfa=options.pdfa, attachments=attachments)
        records[files.pdf.name] = file_record(files.pdf.read_bytes())
    files.manifest.write_bytes(_manifest_bytes(manifest))


def _manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# -- scratch folders --------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A new folder for one render, in this process's private folder; removed after it.

    A render killed with its worker cannot remove its folder: it goes with the
    worker's private folder (:func:`~dossier.run.lifetime.private_dir`), at once
    when the batch stops the worker, else at the next run's start.
    """
    try:
        folder = Path(tempfile.mkdtemp(prefix="render-", dir=private_dir()))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise OutputError(f"the temporary folder {tempfile.gettempdir()} is full (a render works "
                          "there): free some space in it, or set TMPDIR to a folder with room") from None  # fmt: skip


__all__ = [
    "DossierFiles",
    "DossierJob",
    "RenderOptions",
    "RenderedDossier",
    "is_current",
    "notebook_path",
    "prepare_job",
    "render_job",
    "with_case_record",
]
