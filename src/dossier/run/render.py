"""Render one dossier: the story of a dossier from a case ID to files on disk.

:func:`build_dossier` reads as the pipeline: start a kernel (it warms up while
the rest goes on), load and check the data, cut the case's job, run the
notebook and export HTML and PDF into a staging folder, and move the finished
folder into place in one rename. The batch runs the same job functions.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ..catalogue import text, tool_text
from ..data.faults import LEFT_OUT
from ..data.validate import load
from ..resources import data_dir as resolve_data_dir
from ..resources import notebook_path
from .job import (
    DossierFiles,
    DossierJob,
    RenderOptions,
    Stage,
    check_compare_with,
    prepare_job,
    render_job,
    slugify,
    with_case_record,
)
from .kernel import WarmKernel, ready_kernel
from .output import check_out, claim_folders, output_lock, publish

__all__ = ["DossierFiles", "RenderOptions", "build_dossier", "run_job", "slugify", "stage_reporter"]


def build_dossier(
    case_id: str,
    *,
    data_dir: str | Path | None = None,
    out_dir: str | Path = "dossiers",
    options: RenderOptions | None = None,
    stage: Stage | None = None,
    strict: bool = False,
    mapping: str | Path | None = None,
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
        Language, dates, formats, the case notebooks' folder; defaults to Swedish, today,
        HTML and PDF, the template.
    stage
        Told as each stage begins (:data:`~dossier.run.job.Stage`), e.g. :func:`stage_reporter`'s.
    strict
        Refuse the data folder for any fault; by default a fault confined to a case's rows
        costs only those rows (:mod:`dossier.data.faults`).
    mapping
        The mapping file to read the data folder through (``--mapping``); None for its own.
    kernel
        A kernel started for this render (in the notebook's folder), e.g. before the caller
        imported what the render needs, so that it warms up meanwhile; None starts one. Once
        the render has begun, it is shut down when the render ends, either way (a kernel
        may be shut down twice: the caller's own ``finally`` stays safe).

    Raises
    ------
    DataError, UnknownCaseError, ParameterError
        Before anything is written.
    UnusableCaseError
        The case's own row in cases.csv is faulty; before anything is written.
    OutputLockedError
        When a batch is writing to the same output folder.
    OutputError
        When the case's folder holds another case's dossier (their case IDs have one
        slug), or ``out_dir`` is a file, read-only or on a full disk.
    RenderError
        When the notebook or an export fails; the executed notebook is kept.
    """
    options = options or RenderOptions()
    data = resolve_data_dir(data_dir)
    out = Path(out_dir)
    check_out(out)
    check_compare_with(options, out)
    kernel = kernel or WarmKernel.start(cwd=notebook_path().parent)
    tools = None
    stage = stage or (lambda name, **fields: None)
    try:
        stage("reading", data=data)
        registry = load(data, strict=strict, mapping=mapping)
        job = with_case_record(prepare_job(registry, case_id, data, options, out=out), registry)
        left_out = [n for n in registry.case_notes(case_id) if n.code in LEFT_OUT]
        if left_out:
            name = "left_out_one" if len(left_out) == 1 else "left_out"
            stage(name, n=len(left_out), heading=text("heading.notes", options.lang))
        tools = _prepare_tools(options)
        with output_lock(out):
            claim_folders([case_id], out)
            kernel = ready_kernel(notebook_path().parent, kernel)  # one retry, as in a batch
            files = run_job(job, out, kernel, stage)
            stage("written", folder=files.folder)
            return files
    finally:
        if tools is not None:
            tools.join()
        kernel.shutdown()


def run_job(
    job: DossierJob, out_dir: str | Path, kernel: WarmKernel, stage: Stage | None = None
) -> DossierFiles:
    """Render ``job`` with ``kernel`` into ``out_dir/<slug>/``: whole or not at all.

    Raises
    ------
    RenderError
        The notebook or an export failed; the executed notebook is kept as
        ``<slug>.failed.ipynb`` in ``out_dir``.
    """
    return publish(Path(out_dir), render_job(job, kernel, stage))


def _prepare_tools(options: RenderOptions) -> threading.Thread:
    """Get the exporters ready in a thread while the notebook runs; returns the running thread.

    While the kernel runs the notebook this process only waits for its
    messages; the thread uses that time for what the HTML and PDF would
    otherwise wait for: importing nbconvert and WeasyPrint, compiling the
    template, loading fonts (about 1 s). It starts once the data is loaded and
    imports papermill first, as the render itself does next, so that the two
    threads never import the same modules at the same time in different orders
    (which Python's import locks can turn into a half-imported module).
    """

    def prepare() -> None:
        from . import execute, export

        # A failure here repeats in the render itself, which reports it as it always has.
        with contextlib.suppress(Exception):
            execute.prepare()
            export.prepare(options.formats, options.lang)

    thread = threading.Thread(target=prepare, name="dossier-prepare-tools", daemon=True)
    thread.start()
    return thread


def stage_reporter(stream=None) -> tuple[Stage, Callable[[], None]]:
    """What ``dossier render`` says as it goes: a bar on a terminal, one line per stage otherwise.

    Returns the stage callback and the function that closes the bar. The words are the
    catalogue's ``stage.<name>`` (:data:`~dossier.catalogue.TOOL_WORDS`, English as every
    message of the tool's own); they go to ``stream`` (default: stderr as it is when
    called), never to stdout, which lists the files written.
    """
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(STAGES), file=stream, bar_format="{l_bar}{bar}| {n}/{total}",
                   dynamic_ncols=True, leave=False)  # fmt: skip

        def advance(name: str, **fields: object) -> None:
            if name not in STAGES:  # a note along the way, not a stage: a line above the bar
                bar.write(tool_text(f"stage.{name}", **fields), file=stream)
                return
            bar.n = STAGES.index(name) + 1
            bar.set_description_str(tool_text(f"stage.{name}", **fields))

        return advance, bar.close

    def line(name: str, **fields: object) -> None:
        print(tool_text(f"stage.{name}", **fields), file=stream, flush=True)

    return line, lambda: None


#: The stages of a render, in order. Besides them, ``left_out`` (``left_out_one``) tells how
#: many of the case's rows or values its data notes name as left out for a fault.
STAGES = ("reading", "running", "html", "pdf", "written")
