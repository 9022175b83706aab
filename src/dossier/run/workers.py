"""The processes that render a batch's dossiers: worker processes on this machine, a Dask
cluster's workers (:mod:`dossier.run.cluster`), or, for a batch of one dossier, the batch's
own process.

Each renders :class:`~dossier.run.job.DossierJob` s with a fresh kernel, started ahead of
need while the previous dossier runs, and returns each outcome (the dossier's files, or
why it failed) to the batch (:mod:`dossier.run.batch`), which writes them. A failure is
reported, never raised: the batch goes on.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from multiprocessing import active_children, get_context, util
from typing import TYPE_CHECKING

from ..errors import DossierError, ParameterError
from .job import DossierJob, RenderedDossier, libraries_quiet, render_job
from .lifetime import (
    as_completed,
    end_with_parent,
    remove_abandoned_dirs,
    remove_private_dir_now,
    signals_blocked,
)

if TYPE_CHECKING:
    from .kernel import WarmKernel


# -- workers ----------------------------------------------------------------------------------

# The next kernels of this worker process, warming up: one per thread that renders (a Dask
# worker may run several tasks at once), each taken by exactly one dossier.
_spares: list = []
_spares_lock = threading.Lock()
_template = None
#: Where the batch's kernel template listens, if the batch started one for its workers.
_template_address: str | None = None


def _worker_start(batch: int, template: str | None = None) -> None:
    """Make this process a worker of the batch whose process id is ``batch``, forking its
    kernels from the batch's kernel ``template`` (its address), if it has one.

    Ctrl-C in the terminal is for the batch: a worker ignores SIGINT (it is
    started with SIGINT blocked, so that none lands before) and ends, with its
    kernels, when the batch sends it SIGTERM. A batch that is killed takes its
    workers with it at once: nothing is written after it is gone.
    """
    from .execute import skip_iri_checks
    from .export import prepare

    global _template_address
    _template_address = template
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # for the kernels it starts too
    signal.signal(signal.SIGTERM, _end_worker_now)
    if hasattr(signal, "pthread_sigmask"):  # blocked as it started (see lifetime.signals_blocked)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    end_with_parent(signal.SIGKILL, batch)
    # A worker reports through its results, never on the terminal: the libraries' log records
    # (a kernel gone at Ctrl-C, a cell interrupted) would only scatter tracebacks there.
    logging.getLogger().addHandler(logging.NullHandler())
    skip_iri_checks()
    _without_data_libraries()
    _kernel_template()  # the batch's, or its own, importing the kernels' libraries meanwhile
    prepare()
    _start_spare()
    # Run as the worker ends, before Python's own exit. First the heap is frozen: no later
    # garbage collection walks every object only to free memory the system takes back at
    # once (the interpreter's last: 0.25 s, which the batch waits for). Then its kernels go.
    util.Finalize(None, gc.freeze, exitpriority=20)
    util.Finalize(None, _stop_worker, exitpriority=10)


def _without_data_libraries() -> None:
    """A worker reads no data (a job carries its case extract as bytes), but papermill's support
    for HDFS would import pyarrow, and with it NumPy: 0.19 s of CPU and 30 MB a worker, for
    nothing. Without the module papermill leaves HDFS out; the kernels, other processes,
    are not touched."""
    sys.modules.setdefault("pyarrow", None)


def _kernel_template():
    """Where this worker's kernels are forked (see :mod:`dossier.run.kernel_template`): its
    connection to the batch's template, else a template of its own (a Dask worker's, whose
    kernels may belong to several batches at once), for as long as it lives; None where
    kernels cannot be forked."""
    global _template
    from .kernel_template import TemplateConnection

    with _spares_lock:
        if _template is None and _template_address is not None:
            with contextlib.suppress(OSError):  # it has ended: the kernels start the ordinary way
                _template = TemplateConnection(_template_address)
        elif _template is None:
            _template = _new_template()
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

        end_kernels_now()  # and its template, or its connection to the batch's, ends with it
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


def _started() -> None:
    """A worker's first task when it is started ahead of the jobs (:meth:`LocalExecutor.start`)."""


def _failed(job: DossierJob, error: str) -> RenderedDossier:
    return RenderedDossier(job.case_id, job.slug, job.options.formats, error=error)


def _lost(job: DossierJob, exc: BaseException) -> RenderedDossier:
    """The outcome of a job whose worker died under it (killed, out of memory, a crash)."""
    return _failed(job, f"the worker rendering it was lost: {type(exc).__name__}: {exc}")


class LocalExecutor:
    """Worker processes on this machine (spawned: no state shared with this process)."""

    def __init__(self, workers: int) -> None:
        _quiet_resource_tracker()
        self.workers = workers
        #: The workers' one kernel template: its libraries are imported once, not once a worker.
        self.template = _new_template()
        self._futures: dict = {}  # each job submitted, by its future, until its outcome is taken
        try:
            self.pool = ProcessPoolExecutor(
                workers, mp_context=get_context("spawn"), initializer=_worker_start,
                initargs=(os.getpid(), self.template and self.template.address),
            )  # fmt: skip
        except BaseException:
            if self.template is not None:
                self.template.close()
            raise

    def start(self) -> LocalExecutor:
        """Start every worker now, before it is given a job: each readies its libraries and its
        first kernel (:func:`_worker_start`) while the batch prepares the jobs."""
        with signals_blocked([signal.SIGINT]):  # as in results(): workers begin with it blocked
            for _ in range(self.workers):
                self.pool.submit(_started)
        return self

    def submit(self, jobs: list[DossierJob]) -> None:
        """Have ``jobs`` rendered as soon as a worker is free, before :meth:`results` is asked.
        Once a worker has died the pool takes no more: :meth:`results` reports those jobs lost."""
        with signals_blocked([signal.SIGINT]):  # the workers it starts begin with SIGINT blocked
            for job in jobs:
                try:
                    future = self.pool.submit(render_in_worker, job)
                except BrokenProcessPool as exc:
                    future = Future()
                    future.set_exception(exc)
                self._futures[future] = job

    def results(self, jobs: list[DossierJob]) -> Iterator[tuple[DossierJob, RenderedDossier]]:
        """Render ``jobs``, submitting those not submitted yet; yield each job submitted with
        its outcome as it comes, in the order they finish."""
        submitted = {id(job) for job in self._futures.values()}
        if unsubmitted := [job for job in jobs if id(job) not in submitted]:
            self.submit(unsubmitted)
        futures = self._futures
        for future in as_completed(futures):
            job = futures.pop(future)  # the dossier's bytes are let go once it is written
            try:
                yield job, future.result()
            except Exception as exc:  # BrokenProcessPool: a worker died, the batch goes on
                yield job, _lost(job, exc)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.template is not None:
            self.template.close()

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


def _new_template():
    """A kernel template started by this process (see :mod:`dossier.run.kernel_template`): a
    batch's, for its workers, or a worker's own; None where kernels cannot be forked, or it
    cannot be started (kernels then start the ordinary way, or from each worker's own)."""
    from ..resources import notebook_path
    from .kernel_template import KernelTemplate, can_fork_kernels

    if not can_fork_kernels():
        return None
    try:
        return KernelTemplate(notebook_path().parent)
    except OSError:
        return None


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


def executor_for(kind: str, scheduler: str | None, workers: int, jobs: int):
    """The executor of ``kind`` (``local`` or ``dask``) for ``jobs`` dossiers."""
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
