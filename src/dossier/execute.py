"""Run the dossier notebook with papermill on a given kernel."""

from __future__ import annotations

import importlib
import math
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kernel import WarmKernel


class NotebookFailed(Exception):
    """Raised when a cell of the notebook fails; the message names the cell."""


def skip_iri_checks() -> None:
    """Keep jsonschema (imported by nbformat) from building its IRI grammar.

    It builds it on import only to check "iri" formats, which notebooks never
    use: about 0.7 s of every render. Without the module, jsonschema skips them.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def prepare() -> None:
    """Import papermill ahead of need: it takes about a second, time a starting kernel gives."""
    importlib.import_module("papermill")


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
        Seconds the whole notebook may run before the running cell is stopped
        (each cell is held to it as well); None for no limit.

    Raises
    ------
    NotebookFailed
        Naming the failing cell, its first line and the error; ``output`` holds
        the notebook as executed, with the error.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # The deadline interrupts whatever cell runs when it falls: that cell fails like any
    # other, and papermill saves the executed notebook with the error.
    deadline = threading.Timer(timeout, kernel.interrupt) if timeout is not None else None
    if deadline is not None:
        deadline.daemon = True
        deadline.start()
    try:
        return papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name=kernel.name,
            km=kernel.manager,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            # nbclient counts whole seconds: 2.5 would be rejected, so round up.
            execution_timeout=None if timeout is None else math.ceil(timeout),
            # A cell over the timeout is interrupted and fails like any cell, so papermill
            # saves the executed notebook with the error instead of leaving none.
            interrupt_on_timeout=True,
        )
    except PapermillExecutionError as exc:
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "").strip()
        cell = f"cell {exc.exec_count} (`{first_line}`)"
        if exc.ename == "KeyboardInterrupt" and timeout is not None:
            raise NotebookFailed(
                f"the notebook ran longer than the timeout of {timeout:g} s and was stopped in {cell}"
            ) from None
        raise NotebookFailed(f"the notebook failed in {cell}: {exc.ename}: {exc.evalue}") from None
    except TimeoutError as exc:
        raise NotebookFailed(f"a cell ran longer than {timeout} s: {exc}") from None
    finally:
        if deadline is not None:
            deadline.cancel()
