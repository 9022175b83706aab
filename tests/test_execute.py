"""Running a notebook on a warm kernel: the whole-notebook timeout, and what a failure keeps."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from dossier.run.execute import GRACE, NotebookFailed, run_notebook
from dossier.run.kernel import WarmKernel
from dossier.run.kernel_template import KernelTemplate, can_fork_kernels

SLOW = Path(__file__).resolve().parent / "fixtures" / "slow_cells.ipynb"


@pytest.mark.kernel
def test_the_timeout_holds_for_the_whole_notebook_not_only_each_cell(tmp_path):
    """Three cells of 2 s each: none is over 5 s, together they are. The deadline falls in the
    third cell when nothing is slow; a loaded machine may bring it into the second, or between
    two (the next one is then not run), never into the first; no cell after it runs."""
    kernel = WarmKernel.start(tmp_path)
    output = tmp_path / "executed.ipynb"
    try:
        with pytest.raises(NotebookFailed) as failed:
            run_notebook(SLOW, output, {}, kernel=kernel, timeout=5)
    finally:
        kernel.shutdown()
    assert "ran longer than the timeout of 5 s and was stopped " in str(failed.value)
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
LATE = Path(__file__).resolve().parent / "fixtures" / "late_interrupt.ipynb"


@pytest.mark.kernel
@pytest.mark.parametrize("forked", [False, True], ids=["ordinary", "forked"])
def test_a_kernel_deaf_to_interrupts_is_killed_with_what_it_started(tmp_path, forked):
    """The deadline's interrupt, and nbclient's, are ignored: the kernel's process group is killed."""
    if forked and not can_fork_kernels():
        pytest.skip("kernels are forked only on Linux")
    template = KernelTemplate(tmp_path) if forked else None
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    try:
        kernel = WarmKernel.start(tmp_path, template=template)
        try:
            kernel.wait_until_ready(60)
            with pytest.raises(NotebookFailed) as failed:
                run_notebook(DEAF, tmp_path / "executed.ipynb", {"pid_file": str(pid_file)},
                             kernel=kernel, timeout=2)  # fmt: skip
        finally:
            kernel.shutdown()
        # Gone with its kernel, not only once a batch's worker (and its template) ends.
        child = int(pid_file.read_text())
        assert (
            not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
        )
    finally:
        if template is not None:
            template.close()
    assert time.monotonic() - started < 2 + 2 * GRACE + 30  # not the cell's 120 s
    assert "ran longer than the timeout of 2 s" in str(failed.value)
    assert "did not stop when interrupted and was killed" in str(failed.value)


@pytest.mark.kernel
def test_a_deadline_that_falls_while_interrupts_go_unheard_stops_the_next_cell(tmp_path):
    """Between cells, and in a cell that ignores SIGINT, the interrupt is lost: the next cell
    does not start, says why, and the executed notebook is kept."""
    kernel = WarmKernel.start(tmp_path)
    output = tmp_path / "executed.ipynb"
    try:
        kernel.wait_until_ready(60)
        with pytest.raises(NotebookFailed) as failed:
            run_notebook(LATE, output, {}, kernel=kernel, timeout=3)
    finally:
        kernel.shutdown()
    assert str(failed.value) == (
        "the notebook ran longer than the timeout of 3 s and was stopped before the cell"
        ' `print("not to be run: the timeout has passed")`'
    )
    last = json.loads(output.read_text("utf-8"))["cells"][-1]
    assert last["execution_count"] is None
    assert last["outputs"][0]["ename"] == "TimeoutError"
    assert "timeout of 3 s had passed" in last["outputs"][0]["evalue"]


def test_a_failed_cell_without_an_error_output_is_given_one(tmp_path):
    """An interrupt landing in the kernel's own code fails the cell without an error output."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from dossier.run.execute import _say_in_failed_cell

    ran = new_code_cell("x = 1", metadata={"papermill": {"exception": False}}, execution_count=1)
    failed = new_code_cell("load()", metadata={"papermill": {"exception": True}}, execution_count=2)
    path = tmp_path / "executed.ipynb"
    nbformat.write(new_notebook(cells=[ran, failed]), path)
    _say_in_failed_cell(path, "TimeoutError", "stopped in cell 2")
    _say_in_failed_cell(path, "TimeoutError", "said once only")
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].outputs == []
    assert cells[1].outputs == [
        new_output(
            "error",
            ename="TimeoutError",
            evalue="stopped in cell 2",
            traceback=["stopped in cell 2"],
        )
    ]
