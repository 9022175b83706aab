"""Render many dossiers at once: parallel, incremental, crash-safe; and the meeting pack.

The data is loaded and checked once, in this process; each dossier becomes a
small :class:`~dossier.run.job.DossierJob` that a worker process renders with a
fresh kernel, started ahead of need while the previous dossier runs. A dossier
whose key is unchanged is skipped; a failing one is reported and the batch
goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import active_children, get_context, util
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CaseNotebookError, DossierError, ParameterError, RenderError

if TYPE_CHECKING:
    from ..data.model import Registry
    from .kernel import WarmKernel

from ..resources import toolkit_fingerprint
from .job import (
    EXPORT,
    PARAMETER,
    DossierJob,
    RenderedDossier,
    RenderOptions,
    check_baseline_apart,
    libraries_quiet,
    prepare_job,
    render_job,
    slugify,
)
from .lifetime import (
    as_completed,
    end_with_parent,
    remove_abandoned_dirs,
    remove_private_dir_now,
    signals_blocked,
)
from .output import check_out, claim_folders, output_lock, publish, writing_into
from .report import skipped_result, unchanged_batch, write_report
from .results import BatchReport, DossierResult, Status


def select_cases(
    registry: Registry,
    case_ids: Iterable[str] = (),
    *,
    meeting: str | None = None,
    all_open: bool = False,
) -> list[str]:
    """The cases to render, in order and without repeats; raise for unknown IDs or meeting.

    ``case_ids`` are those named on the command line followed by those of a
    ``--cases-file`` (:func:`~dossier.data.text.read_case_list`).
    """
    chosen = list(case_ids)
    if meeting is not None:
        if registry.meeting(meeting) is None:
            known = (
                ", ".join(sorted(registry.meetings["meeting_id"])[:10]) or "none in meetings.csv"
            )
            raise ParameterError(f"--meeting {meeting!r} is not in meetings.csv (known: {known})")
        chosen += [item.case_id for item in registry.agenda_items(meeting_id=meeting)]
    if all_open:
        chosen += list(registry.cases.loc[registry.cases["status"] == "open", "case_id"])
    if not chosen:
        raise ParameterError(
            "no cases chosen: give CASE_IDs, --meeting, --all-open or --cases-file"
        )
    for case_id in chosen:
        registry.case(case_id)  # UnknownCaseError names the closest IDs
    return list(dict.fromkeys(chosen))


# -- workers ----------------------------------------------------------------------------------

# The next kernels of this worker process, warming up: one per thread that renders (a Dask
# worker may run several tasks at once), each taken by exactly one dossier.
_spares: list = []
_spares_lock = threading.Lock()
_template = None


def _worker_start(batch: int) -> None:
    """Make this process a worker of the batch whose process id is ``batch``.

    Ctrl-C in the terminal is for the batch: a worker ignores SIGINT (it is
    started with SIGINT blocked, so that none lands before) and ends, with its
    kernels, when the batch sends it SIGTERM. A batch that is killed takes its
    workers with it at once: nothing is written after it is gone.
    """
    from .execute import skip_iri_checks
    from .export import prepare

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # for its template and kernels too
    signal.signal(signal.SIGTERM, _end_worker_now)
    if hasattr(signal, "pthread_sigmask"):  # blocked as it started (see lifetime.signals_blocked)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    end_with_parent(signal.SIGKILL, batch)
    # A worker reports through its results, never on the terminal: the libraries' log records
    # (a kernel gone at Ctrl-C, a cell interrupted) would only scatter tracebacks there.
    logging.getLogger().addHandler(logging.NullHandler())
    skip_iri_checks()
    _kernel_template()  # it imports the kernels' libraries while the exporters get ready
    prepare()
    _start_spare()
    # Process pools end workers with os._exit: only multiprocessing's finalizers still run.
    util.Finalize(None, _stop_worker, exitpriority=10)


def _kernel_template():
    """This worker's kernel template (see :mod:`dossier.run.kernel_template`); None where kernels
    cannot be forked. One per worker process, for as long as it lives: a Dask worker's
    kernels may belong to several batches at once."""
    global _template
    from ..resources import notebook_path
    from .kernel_template import KernelTemplate, can_fork_kernels

    with _spares_lock:
        if _template is None and can_fork_kernels():
            _template = KernelTemplate(notebook_path().parent)
        return _template


def _start_spare() -> None:
    from ..resources import notebook_path
    from .kernel import WarmKernel

    try:
        kernel = WarmKernel.start(notebook_path().parent, template=_kernel_template())
    except Exception:  # the next dossier starts its own kernel, with a retry
        return
    with _spares_lock:
        _spares.append(kernel)


def _take_spare():
    with _spares_lock:
        return _spares.pop() if _spares else None


def _stop_spares() -> None:
    """Stop the kernels kept warm for a next dossier (none that renders one)."""
    while (kernel := _take_spare()) is not None:
        kernel.shutdown()


def _end_worker_now(signum: int, _frame: object) -> None:
    """SIGTERM: the batch stops, the dossier being rendered unfinished. The worker ends whatever
    happens here: in the middle of an import, an ImportError of this handler's would pass for
    the interrupted code's own (a library's optional import), which would go on."""
    try:
        from .kernel import end_kernels_now

        end_kernels_now()  # the template ends with this process (see kernel_template)
        remove_private_dir_now()  # the kernels' files, and the render's scratch folder
    finally:
        os._exit(128 + signum)


def _stop_worker() -> None:
    global _template
    _stop_spares()
    with _spares_lock:
        template, _template = _template, None
    if template is not None:
        template.close()


def render_in_worker(job: DossierJob) -> RenderedDossier:
    """Render one job with a fresh kernel; start the next kernel first so it warms meanwhile.

    Returns the dossier's files (or why it failed) to the process that runs the
    batch, which writes them into the output folder: a worker needs no disk of its own
    but a temporary folder.
    """
    return _rendered(job, _take_spare(), then=_start_spare)


def _rendered(
    job: DossierJob, spare: WarmKernel | None, then: Callable[[], None] = lambda: None
) -> RenderedDossier:
    """Render ``job`` with ``spare`` (or a new kernel if it is gone), ``then`` once the kernel
    has answered; the outcome, timed. A failure is reported, not raised: the batch goes on."""
    from ..resources import notebook_path
    from .kernel import ready_kernel

    started = time.perf_counter()
    kernel = None
    try:
        kernel = ready_kernel(notebook_path().parent, spare)
        then()
        rendered = render_job(job, kernel)
    except Exception as exc:
        rendered = _failed(job, str(exc) if isinstance(exc, DossierError) else f"{type(exc).__name__}: {exc}")
    finally:
        if kernel is not None:
            kernel.shutdown()
    return replace(rendered, seconds=round(time.perf_counter() - started, 3))


def _failed(job: DossierJob, error: str) -> RenderedDossier:
    return RenderedDossier(job.case_id, job.slug, job.options.formats, error=error)


def _lost(job: DossierJob, exc: BaseException) -> RenderedDossier:
    """The outcome of a job whose worker died under it (killed, out of memory, a crash)."""
    return _failed(job, f"the worker rendering it was lost: {type(exc).__name__}: {exc}")


class LocalExecutor:
    """Worker processes on this machine (spawned: no state shared with this process)."""

    def __init__(self, workers: int) -> None:
        _quiet_resource_tracker()
        self.pool = ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=_worker_start,
            initargs=(os.getpid(),),
        )  # fmt: skip

    def results(self, jobs: list[DossierJob]) -> Iterator[tuple[DossierJob, RenderedDossier]]:
        """Render ``jobs``; yield each with its outcome as it comes, in the order they finish."""
        with signals_blocked([signal.SIGINT]):  # the workers it starts begin with SIGINT blocked
            futures = {self.pool.submit(render_in_worker, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures.pop(future)  # the dossier's bytes are let go once it is written
            try:
                yield job, future.result()
            except Exception as exc:  # BrokenProcessPool: a worker died, the batch goes on
                yield job, _lost(job, exc)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """End the workers now, and their kernels (Ctrl-C, SIGTERM); wait until they have."""
        # The pool has no public way to end its workers before Python 3.14's terminate_workers.
        # A worker that Ctrl-C caught as the pool started it is not in the pool's list yet, and
        # the pool's shutdown would wait for it for ever: every child the pool started goes.
        workers = {*(getattr(self.pool, "_processes", None) or {}).values(), *active_children()}
        for process in workers:
            with contextlib.suppress(OSError, ValueError):
                process.terminate()  # SIGTERM: see _end_worker_now
        self.close()
        # A worker ended before it could remove its private folder (SIGTERM while it started,
        # before its handler was set) leaves it behind, unlocked now that the worker is gone.
        remove_abandoned_dirs()


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, if it does not run yet, without its warning.

    The pool's queues are semaphores the tracker removes if the batch cannot (SIGKILL, out
    of memory); it then warns of "leaked semaphore objects" on the user's terminal, about a
    clean-up that is its ordinary work. A ``-W`` option given to it alone (it inherits
    ``sys.warnoptions``; this process's filters are set already) keeps that off the terminal.
    """
    try:
        from multiprocessing import resource_tracker
    except ImportError:  # no such process where semaphores are not files (Windows)
        return
    quiet = "ignore:resource_tracker:UserWarning"
    sys.warnoptions.append(quiet)
    try:
        resource_tracker.ensure_running()
    finally:
        sys.warnoptions.remove(quiet)


class ThisProcess:
    """The one dossier of a batch that has one to render, rendered in the batch's own process.

    As ``dossier render`` renders it: no worker to start and load the libraries into
    again, and the dossier's kernel warms while the exporters get ready. A meeting's
    batch in which one case changed costs so little more than that case's render.
    """

    def results(self, jobs: list[DossierJob]) -> Iterator[tuple[DossierJob, RenderedDossier]]:
        from ..resources import notebook_path
        from .execute import prepare, skip_iri_checks
        from .export import prepare as prepare_exports
        from .kernel import WarmKernel

        (job,) = jobs
        kernel = WarmKernel.start(notebook_path().parent)
        # As from a worker, the outcome is the report's to tell: no library's log records.
        with libraries_quiet():
            try:
                # A failure here repeats in the render itself, which reports it.
                with contextlib.suppress(Exception):
                    skip_iri_checks()
                    prepare()
                    prepare_exports(job.options.formats, job.options.lang)
            except BaseException:  # Ctrl-C meanwhile: the kernel goes too
                kernel.shutdown()
                raise
            rendered = _rendered(job, kernel)
        yield job, rendered

    def close(self) -> None:
        pass  # its kernel ends with its render

    stop = close


# -- the batch --------------------------------------------------------------------------------


def run_batch(
    case_ids: list[str],
    *,
    registry: Registry,
    data_dir: Path,
    out_dir: str | Path,
    options: RenderOptions,
    workers: int | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    meeting: str | None = None,
    progress: Callable[[DossierResult, int, int], None] | None = None,
    batch_key: str | None = None,
) -> BatchReport:
    """Render ``case_ids`` into ``out_dir``: skip unchanged ones, go on past failures.

    Parameters
    ----------
    workers
        Worker processes (default: the number of cores); each renders one dossier at a time.
    force
        Render every case even if its dossier is current.
    executor, scheduler
        ``"local"`` (processes on this machine) or ``"dask"`` with the scheduler's address.
    meeting
        Also assemble the meeting pack of this meeting (index page and one PDF).
    progress
        Called after each dossier with its result, the number finished and the total.
    """
    out = Path(out_dir)
    check_baseline_apart(options, out)
    started = time.perf_counter()
    options = meeting_options(registry, meeting, options)
    with output_lock(out):
        claim_folders(case_ids, out)
        ahead = None
        try:
            views: dict = {}  # each case as its dossier shows it, for the meeting pack
            jobs, results = _prepared(registry, case_ids, data_dir, options, out, views)
            for result in results.values():
                if progress:
                    progress(result, len(results), len(case_ids))
            pending = []
            for job in jobs:
                skipped = None if force else skipped_result(job.case_id, job.slug, job.title, job.key,
                                                      out, job.sentence, job.news)  # fmt: skip
                if skipped is None:
                    pending.append(job)
                    continue
                results[job.case_id] = skipped
                if progress:
                    progress(skipped, len(results), len(case_ids))
            if meeting is not None and "pdf" in options.formats and pending:
                from .pack import pack_ahead

                ahead = pack_ahead(  # the pack's parts, made while the dossiers render
                    registry, meeting, options, views, {j.case_id: j.slug for j in jobs},
                    {c: Path(r.outputs["pdf"]) for c, r in results.items() if "pdf" in r.outputs},
                    {j.case_id: out / j.slug / f"{j.slug}.pdf" for j in pending},
                )  # fmt: skip
            if pending:
                # One dossier to render is rendered in this process (ThisProcess).
                pool = ThisProcess() if executor == "local" and len(pending) == 1 else _executor(
                    executor, scheduler, workers or os.cpu_count() or 1, len(pending))  # fmt: skip
                try:
                    for job, rendered in pool.results(pending):
                        results[job.case_id] = result = _written(job, rendered, out)
                        if progress:
                            progress(result, len(results), len(case_ids))
                except BaseException:  # Ctrl-C, SIGTERM: the workers end now, not after their dossiers
                    pool.stop()
                    raise
                pool.close()
        except BaseException:
            if ahead is not None:
                ahead.close()
            raise
        ordered = [results[case_id] for case_id in case_ids]
        report = BatchReport(ordered, round(time.perf_counter() - started, 3), out,
                             batch_key=batch_key, as_of=options.day.isoformat(),
                             source_lang=registry.source_lang)  # fmt: skip
        if meeting is not None:
            from .pack import build_meeting_pack

            try:
                with writing_into(out):
                    report.meeting_pack = build_meeting_pack(registry, meeting, report, options,
                                                             views, ahead)  # fmt: skip
            finally:
                if ahead is not None:
                    ahead.close()
        write_report(report, options.lang)
    return report


def _prepared(registry: Registry, case_ids: Sequence[str], data_dir: Path, options: RenderOptions,
              out: Path, views: dict) -> tuple[list[DossierJob], dict[str, DossierResult]]:  # fmt: skip
    """The jobs of ``case_ids``, and a failed result for each case whose own notebook is unusable."""
    jobs, failed = [], {}
    for case_id in case_ids:
        try:
            jobs.append(prepare_job(registry, case_id, data_dir, options, out=out,
                                    rendering=case_ids, views=views))  # fmt: skip
        except CaseNotebookError as exc:
            failed[case_id] = DossierResult(case_id, slugify(case_id), registry.case(case_id).title,
                                            Status.FAILED, error=str(exc))  # fmt: skip
    return jobs, failed


def meeting_options(registry: Registry, meeting: str | None, options: RenderOptions) -> RenderOptions:
    """The options of a meeting's batch: the meeting's day, and new is what came after the
    forum's previous meeting.

    Without ``--as-of`` the batch speaks for the meeting: as of today while the meeting
    is ahead, as of the day before it once it is past. A ``--as-of`` after the meeting's
    day is refused (ParameterError naming both). What is new is unchanged with a
    ``--since`` of its own, or when the forum has no earlier meeting before the
    dossiers' day in meetings.csv.
    """
    if meeting is None:
        return options
    day = registry.meeting(meeting).day
    if options.day > day and options.day_given:
        raise ParameterError(
            f"--as-of {options.day.isoformat()} is after the meeting {meeting} on {day.isoformat()}: "
            "a meeting's dossiers speak for a day up to the meeting; give an --as-of on or "
            "before it, or leave --as-of out (the day before a past meeting)"
        )
    if options.day > day:
        before = day - dt.timedelta(days=1)
        if options.since is not None and options.since > before:
            raise ParameterError(
                f"--since {options.since.isoformat()} is after {before.isoformat()}, the day before "
                f"the meeting {meeting}, which its dossiers speak for: give a --since on or before it"
            )
        options = replace(options, as_of=before)
    if options.since is not None:
        return options
    previous = registry.previous_meeting(meeting)
    if previous is None or previous.day >= options.day:
        return options
    return replace(options, since_meeting=previous.day)


def render_batch(
    case_ids: Sequence[str] = (),
    *,
    meeting: str | None = None,
    all_open: bool = False,
    cases_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    mapping: str | Path | None = None,
    out_dir: str | Path = "dossiers",
    options: RenderOptions,
    workers: int | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[DossierResult, int, int], None] | None = None,
) -> BatchReport:
    """``dossier batch``: choose the cases, and render those whose dossier is not current.

    When nothing that goes into any dossier has changed since the last batch
    into ``out_dir`` (see :func:`batch_key`), the batch ends without reading the
    data. Otherwise the data is loaded and checked, the cases chosen (by ID,
    ``meeting``, ``all_open`` and ``cases_file``, as :func:`select_cases`), and
    :func:`run_batch` renders them. The other parameters are :func:`run_batch`'s;
    ``mapping`` is the ``--mapping`` file, if one was given.

    Raises
    ------
    OutputLockedError
        Another run writes into ``out_dir``; before the data is read.
    OutputError
        ``out_dir`` is a file or under one (before the data is read), read-only,
        or on a full disk; nothing is left half-written.
    DataError, UnknownCaseError, ParameterError
        Before any dossier is rendered.
    """
    from ..data.text import read_case_list
    from ..resources import data_dir as resolve_data_dir

    if meeting is not None and (case_ids or cases_file is not None):
        raise ParameterError("give CASE_IDs (or --cases-file) or --meeting, not both (a meeting "
                             "renders its agenda, in agenda order, and its pack)")  # fmt: skip
    data = resolve_data_dir(data_dir)
    out = Path(out_dir)
    check_out(out)
    check_baseline_apart(options, out)
    # A --cases-file that cannot be read is refused here, before the output folder is locked.
    listed = read_case_list(cases_file) if cases_file is not None else None
    selection = {"case_ids": list(case_ids), "meeting": meeting, "all_open": all_open,
                 "cases_file": listed}  # fmt: skip
    # Taken before the export is hashed or read, so that a second batch into a folder stops at
    # once; a folder that does not exist yet is made (and locked) only once the data is good.
    with output_lock(out) if out.is_dir() else contextlib.nullcontext():
        key = batch_key(data, selection, options, Path(mapping) if mapping else None)
        report = None if force else unchanged_batch(out, key, options.lang, progress)
        if report is None:
            from ..data.validate import load  # pandas: only when there is something to render

            registry = load(data)
            chosen = select_cases(registry, [*case_ids, *(listed or ())], meeting=meeting,
                                  all_open=all_open)  # fmt: skip
            report = run_batch(
                chosen, registry=registry, data_dir=data, out_dir=out, options=options,
                workers=workers, force=force, executor=executor, scheduler=scheduler,
                meeting=meeting, progress=progress, batch_key=key,
            )  # fmt: skip
    return report


def _executor(kind: str, scheduler: str | None, workers: int, jobs: int):
    if kind == "dask":
        if not scheduler:
            raise ParameterError(
                "--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)"
            )
        from .cluster import DaskExecutor

        return DaskExecutor(scheduler, render_in_worker, _lost, _stop_spares)
    if kind != "local":
        raise ParameterError(f"--executor {kind!r}: use local or dask")
    return LocalExecutor(max(1, min(workers, jobs)))


def _written(job: DossierJob, rendered: RenderedDossier, out: Path) -> DossierResult:
    """Write a render's outcome into ``out`` (see :func:`~dossier.run.output.publish`); its result."""
    result = DossierResult(job.case_id, job.slug, job.title, Status.FAILED, rendered.seconds,
                           key=job.key, sentence=job.sentence, news=job.news,
                           analyst_cells=job.manifest["notebook"]["analyst_cells"])  # fmt: skip
    try:
        result.outputs = publish(out, rendered).outputs
    except RenderError as exc:
        result.error = str(exc)
        if exc.notebook:
            result.outputs["notebook"] = exc.notebook
        return result
    result.status = Status.DONE
    return result


# -- nothing changed at all ------------------------------------------------------------------


def batch_key(
    data_dir: Path, selection: dict, options: RenderOptions, mapping: Path | None = None
) -> str:
    """The key of a whole batch, from file bytes alone (no parsing).

    Made from every file of the export folder (a mapping file and workbooks
    included), the mapping file given with ``--mapping``, how the cases were
    chosen, the options that change a dossier, and the notebook, templates and
    toolkit version. When it equals the last batch's key, nothing can have
    changed, and :func:`unchanged_batch` finishes without reading the data. The case
    notebooks count by what they do (cell types and sources), not as saved.
    """
    from .notebooks import folder_hashes

    settings = {
        "selection": selection,
        "options": options.settings(PARAMETER, EXPORT),
        "toolkit": toolkit_fingerprint(),
        "notebooks": folder_hashes(options.notebooks),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8"))
    if options.compare_with is not None:
        # The earlier dossiers' extracts, which the comparison reads, not their folder's name.
        from ..data.changes import EXTRACT_FILE

        for path in sorted(options.compare_with.glob(f"*/{EXTRACT_FILE}")):
            digest.update(path.parent.name.encode("utf-8") + b"\0" + path.read_bytes())
    files = sorted(
        path
        for path in Path(data_dir).iterdir()
        if path.is_file() and not path.name.startswith(".")
    )
    for path in [*files, *([Path(mapping)] if mapping else [])]:
        with open(path, "rb") as handle:
            digest.update(
                path.name.encode("utf-8") + b"\0" + hashlib.file_digest(handle, "sha256").digest()
            )
    return digest.hexdigest()


