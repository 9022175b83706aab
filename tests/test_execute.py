"""Running a notebook on a warm kernel: the whole-notebook timeout, and what a failure keeps."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dossier.execute import GRACE, NotebookFailed, run_notebook
from dossier.kernel import WarmKernel

SLOW = Path(__file__).resolve().parent / "fixtures" / "slow_cells.ipynb"


@pytest.mark.kernel
def test_the_timeout_holds_for_the_whole_notebook_not_only_each_cell(tmp_path):
    """Three cells of 2 s each: none is over 5 s, together they are. The deadline falls in the
    third cell when nothing is slow; a loaded machine may bring it into the second, never
    into the first, and cells after the stopped one never run."""
    kernel = WarmKernel.start(tmp_path)
    output = tmp_path / "executed.ipynb"
    try:
        with pytest.raises(NotebookFailed) as failed:
            run_notebook(SLOW, output, {}, kernel=kernel, timeout=5)
    finally:
        kernel.shutdown()
    assert "ran longer than the timeout of 5 s and was stopped in cell" in str(failed.value)
    cells = [c for c in json.loads(output.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]
    errors = [
        i for i, c in enumerate(cells) if any(o["output_type"] == "error" for o in c["outputs"])
    ]
    assert len(errors) == 1 and errors[0] >= 2  # cell 0 imports time, cell 1 sleeps through
    assert all(not c.get("execution_count") for c in cells[errors[0] + 1 :])


@pytest.mark.kernel
def test_a_notebook_within_the_timeout_runs_to_the_end(tmp_path):
    kernel = WarmKernel.start(tmp_path)
    try:
        nb = run_notebook(SLOW, tmp_path / "executed.ipynb", {}, kernel=kernel, timeout=30)
    finally:
        kernel.shutdown()
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


DEAF = Path(__file__).resolve().parent / "fixtures" / "deaf_cell.ipynb"


@pytest.mark.kernel
def test_a_cell_deaf_to_interrupts_is_stopped_by_killing_its_kernel(tmp_path):
    """The deadline's interrupt, and the second one, are ignored; the kernel is then killed."""
    kernel = WarmKernel.start(tmp_path)
    started = time.monotonic()
    try:
        with pytest.raises(NotebookFailed) as failed:
            run_notebook(DEAF, tmp_path / "executed.ipynb", {}, kernel=kernel, timeout=1)
    finally:
        kernel.shutdown()
    seconds = time.monotonic() - started
    assert "ran longer than the timeout of 1 s" in str(failed.value)
    assert seconds < 1 + 2 * GRACE + 30  # not the cell's 120 s
