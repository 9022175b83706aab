"""Run the dossier notebook with papermill on a given kernel."""

from __future__ import annotations

import importlib
import sys
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotebookFailed
from .cell_output import capped_client

if TYPE_CHECKING:
    from .kernel import WarmKernel


READY_KERNEL_ENGINE = "dossier-ready-kernel"
#: Seconds past the timeout after which the kernel of a cell that the deadline did not stop is killed.
GRACE = 5.0


def skip_iri_checks() -> None:
    """Keep jsonschema (imported by nbformat) from building its IRI grammar.

    It builds it on import only to check "iri" formats, which notebooks never
    use: about 0.7 s of every render. Without the module, jsonschema skips them.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def prepare() -> None:
    """Import papermill ahead of need: it takes about a second, time a starting kernel gives."""
    importlib.import_module("papermill")


@cache
def _ready_kernel_engine() -> str:
    """Register, once, papermill's nbclient engine with outputs kept within limits, driving a
    client that is connected already, if it is given one.

    nbclient connects a client of its own to a kernel it is given and waits for
    the kernel to answer, 0.2 s at least; :meth:`WarmKernel.wait_until_ready`
    has done that, and the client it kept is handed to nbclient here (nbclient
    takes no client as an argument: it sets one after construction). The client
    counts each output as it arrives (:func:`~dossier.run.cell_output.capped_client`).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class ReadyKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
            start_timeout=60, execution_timeout=None, kc=None, **kwargs,
        ):  # fmt: skip
            # As NBClientEngine.execute_managed_notebook builds its client's arguments.
            kwargs = remove_args(["input_path"], **kwargs)
            client = capped_client(PapermillNotebookClient)(nb_man, **merge_kwargs(
                remove_args(["timeout", "startup_timeout"], **kwargs),
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
            ))  # fmt: skip
            if kc is not None:
                client.kc = kc
            return client.execute()

    papermill_engines.register(READY_KERNEL_ENGINE, ReadyKernelEngine)
    return READY_KERNEL_ENGINE


def _client_arguments(kernel: WarmKernel) -> dict[str, object]:
    # Without a client of the kernel's, nbclient connects one and waits.
    return {"engine_name": _ready_kernel_engine(), "kc": kernel.client}


def _not_run(cell, timeout: float) -> None:
    """Stop before ``cell``: the notebook's timeout has passed. The cell says so in its output."""
    from nbclient.exceptions import CellExecutionError
    from nbformat.v4 import new_output

    evalue = f"the notebook's timeout of {timeout:g} s had passed; this cell was not run"
    cell.outputs = [new_output("error", ename="TimeoutError", evalue=evalue, traceback=[evalue])]
    raise CellExecutionError(evalue, "TimeoutError", evalue)


def _say_in_failed_cell(path: Path, ename: str, message: str) -> None:
    """Give the failed cell of an executed notebook an error output, if the kernel gave it none.

    An interrupt that lands in the kernel's own code, not the cell's, fails the
    cell without one; the notebook kept for the analyst should still say why.
    """
    import nbformat
    from nbformat.v4 import new_output

    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return
    for cell in nb.cells:
        failed = cell.get("metadata", {}).get("papermill", {}).get("exception") is True
        if failed and not any(o.get("output_type") == "error" for o in cell.get("outputs", ())):
            cell.outputs.append(
                new_output("error", ename=ename, evalue=message, traceback=[message])
            )
            nbformat.write(nb, path)
            return


def run_notebook(
    source: Path,
    output: Path,
    parameters: dict[str, object],
    *,
    kernel: WarmKernel,
    timeout: float | None = None,
):
    """Execute ``source`` with ``parameters`` into ``output`` and return the executed notebook.

    Parameters
    ----------
    timeout
        Seconds the whole notebook may run before the running cell is
        interrupted; None for no limit. A cell busy in compiled code may take a
        moment to stop; a kernel still running the cell :data:`GRACE` seconds
        past the timeout is killed with what it started, and the run ends
        within about a second of that.

    Raises
    ------
    NotebookFailed
        Naming the failing cell, its first line and the error; ``output`` holds
        the notebook as executed, with the error.
    """
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    fell, timers = _start_deadline(kernel, timeout)

    def before_cell(cell, **_) -> None:
        if fell.is_set():
            _not_run(cell, timeout)

    try:
        return papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name=kernel.name,
            km=kernel.manager,
            **_client_arguments(kernel),
            progress_bar=False,
            log_output=False,
            on_cell_execute=before_cell,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise _cell_failed(exc, output, fell.is_set(), timeout) from None
    except DeadKernelError:
        raise _kernel_died(fell.is_set(), timeout) from None
    except TimeoutError as exc:
        raise NotebookFailed(f"a cell ran longer than the timeout ({exc})") from None
    finally:
        for timer in timers:
            timer.cancel()


def _start_deadline(
    kernel: WarmKernel, timeout: float | None
) -> tuple[threading.Event, list[threading.Timer]]:
    """Start the timers of ``timeout``; the event is set once the deadline has fallen.

    The deadline interrupts whatever cell runs when it falls: that cell fails like any
    other, and papermill saves the executed notebook with the error. Between cells the
    kernel ignores interrupts; the next cell then does not start.
    """
    fell = threading.Event()

    def stop() -> None:
        fell.set()
        kernel.interrupt()

    timers = []
    if timeout is not None:
        # The kill, for a cell that will not be interrupted (it ignores SIGINT, say). nbclient sees
        # the kernel gone within a second. It is given no timeout of its own: once that passed, it
        # would stop watching whether the kernel lives and wait the whole timeout again.
        timers = [threading.Timer(timeout, stop), threading.Timer(timeout + GRACE, kernel.kill)]
    for timer in timers:
        timer.daemon = True
        timer.start()
    return fell, timers


def _cell_failed(exc, output: Path, timed_out: bool, timeout: float | None) -> NotebookFailed:
    """The error for a failed cell, also said in the cell of ``output`` if it says nothing."""
    first_line = next((line for line in exc.source.splitlines() if line.strip()), "").strip()
    cell = f"cell {exc.exec_count} (`{first_line}`)"
    if timed_out:  # whatever the cell then says (an interrupt, or a kernel gone)
        where = f"in {cell}" if exc.exec_count else f"before the cell `{first_line}`"
        message = (
            f"the notebook ran longer than the timeout of {timeout:g} s and was stopped {where}"
        )
        _say_in_failed_cell(output, "TimeoutError", message)
        return NotebookFailed(message)
    message = f"the notebook failed in {cell}: {exc.ename}: {exc.evalue}"
    _say_in_failed_cell(output, exc.ename, message)
    return NotebookFailed(message)


def _kernel_died(timed_out: bool, timeout: float | None) -> NotebookFailed:
    """The error for a kernel gone while it ran the notebook: killed at the deadline, or not."""
    if timed_out:
        return NotebookFailed(
            f"the notebook ran longer than the timeout of {timeout:g} s; its kernel did not"
            " stop when interrupted and was killed"
        )
    return NotebookFailed("the kernel died while it ran the notebook (out of memory, or killed)")
