"""A batch's dossiers rendered on the workers of a Dask distributed cluster.

``pip install 'dossier[dask]'``; ``dossier batch --executor dask --scheduler ADDRESS``.
The workers send each dossier's files back, so they need no shared disk. A
scheduler that does not answer, one without workers, and workers that all go
while dossiers wait are each told within a bound, naming the scheduler: the
batch never waits in silence.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ParameterError
from .lifetime import as_completed

#: Seconds the scheduler has to answer, and then to have a worker.
SCHEDULER_TIMEOUT = 10.0
#: Seconds a batch goes on waiting for its dossiers once the cluster has no worker left.
NO_WORKER_TIMEOUT = 60.0
#: Seconds between two looks at the cluster's workers while dossiers wait.
LOOK_EVERY = 2.0


class DaskExecutor:
    """Workers of a Dask cluster, rendering each job with ``task``.

    ``lost(job, exc)`` is the outcome of a job whose worker was lost; ``stop_spares``
    is run on every worker as the batch ends (the kernels they keep warm).
    """

    def __init__(
        self, scheduler: str, task: Callable, lost: Callable, stop_spares: Callable
    ) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ParameterError(
                "--executor dask needs Dask: pip install 'dossier[dask]'"
            ) from None
        self.scheduler = scheduler
        self.task, self.lost, self.stop_spares = task, lost, stop_spares
        self.client = _connect(scheduler)
        try:
            self.client.wait_for_workers(1, timeout=SCHEDULER_TIMEOUT)
        except (TimeoutError, OSError):
            self.client.close()
            raise ParameterError(
                f"--scheduler {scheduler}: the Dask scheduler has no workers (none came within "
                f"{SCHEDULER_TIMEOUT:g} s); start some with: dask worker {scheduler}"
            ) from None

    def results(self, jobs: list) -> Iterator[tuple[Any, Any]]:
        """Render ``jobs`` on the cluster; the files come back here, so no disk is shared.

        If the cluster has had no worker for :data:`NO_WORKER_TIMEOUT` seconds, the
        dossiers still waiting fail, with the reason.
        """
        futures = {self.client.submit(self.task, job, pure=False): job for job in jobs}
        watch = _Watch(self.client, self.scheduler, list(futures))
        try:
            for future in as_completed(futures):
                job = futures.pop(future)
                try:
                    yield job, future.result()
                except BaseException as exc:  # a worker lost for good: the batch goes on
                    if not isinstance(exc, Exception) and watch.reason is None:
                        raise  # Ctrl-C, SIGTERM
                    yield job, self.lost(job, NoWorkerLeft(watch.reason) if watch.reason else exc)
        finally:
            watch.stop()

    def close(self) -> None:
        # The workers outlive the batch: stop the kernels they keep warm for a next dossier.
        with contextlib.suppress(Exception):
            self.client.run(self.stop_spares)
        self.client.close()

    stop = close  # a task that runs goes on to its end: the batch no longer waits for it


def _connect(scheduler: str):
    """A client of ``scheduler``; ParameterError if it cannot be reached or does not answer.

    distributed's own timeout bounds the connection only: a server that accepts it and
    never answers would hold the client for ever. So the client is made in a thread of
    its own, and not waited for past the timeout.
    """
    from distributed import Client

    made: dict[str, Any] = {}

    def connect() -> None:
        try:
            made["client"] = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT}s")
        except Exception as exc:  # reported below, in the batch's thread
            made["error"] = exc

    thread = threading.Thread(target=connect, name="dask-connect", daemon=True)
    thread.start()
    thread.join(SCHEDULER_TIMEOUT + 5)
    if "client" in made:
        return made["client"]
    if thread.is_alive():
        reason = (
            f"it did not answer within {SCHEDULER_TIMEOUT:g} s; is a Dask scheduler running there?"
        )
    else:
        error = made.get("error")
        reason = f"cannot reach the Dask scheduler ({type(error).__name__}: {error})"
    raise ParameterError(f"--scheduler {scheduler}: {reason}")


class NoWorkerLeft(Exception):
    """The cluster has had no worker for too long: a dossier that waits for one fails."""


class _Watch:
    """Looks at the cluster's workers while dossiers wait; with none for too long, it cancels
    the dossiers still waiting and keeps the reason."""

    def __init__(self, client, scheduler: str, futures: list) -> None:
        self.client, self.scheduler, self.futures = client, scheduler, futures
        self.reason: str | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._look, name="dask-watch", daemon=True)
        self._thread.start()

    def _look(self) -> None:
        since = None
        while not self._stopped.wait(LOOK_EVERY):
            try:
                workers = self.client.scheduler_info().get("workers") or {}
            except Exception:  # the scheduler itself has gone: no worker can answer either
                workers = {}
            if workers:
                since = None
                continue
            since = since or time.monotonic()
            if time.monotonic() - since >= NO_WORKER_TIMEOUT:
                self.reason = (
                    f"the Dask scheduler {self.scheduler} has had no worker for "
                    f"{NO_WORKER_TIMEOUT:g} s; start some with: dask worker {self.scheduler}"
                )
                with contextlib.suppress(Exception):
                    self.client.cancel([f for f in self.futures if not f.done()])
                return

    def stop(self) -> None:
        self._stopped.set()
