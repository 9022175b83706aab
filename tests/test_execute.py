"""Running a notebook on a warm kernel: the whole-notebook timeout, and what a failure keeps."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from processes import gone_within

from dossier.run.execute import NotebookFailed, prepare, run_notebook
from dossier.run.kernel import WarmKernel
from dossier.run.kernel_template import KernelTemplate, can_fork_kernels

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SLOW = FIXTURES / "slow_cells.ipynb"
BUDGET = FIXTURES / "shared_budget.ipynb"
DEAF = FIXTURES / "deaf_cell.ipynb"
LATE = FIXTURES / "late_interrupt.ipynb"


#: The timeout of the deadline tests. Each orders the events it tests by what its cells wait
#: for; the timeout only leaves the machine time to run the lines before a cell starts waiting.
TIMEOUT = 10


def warm(tmp_path: Path, template: KernelTemplate | None = None) -> WarmKernel:
    """A kernel that has answered, and papermill imported (as a render does ahead of the run)."""
    prepare()
    kernel = WarmKernel.start(tmp_path, template=template)
    try:
        kernel.wait_until_ready(60)
    except BaseException:
        kernel.shutdown()
        raise
    return kernel


@pytest.mark.kernel
def test_the_timeout_holds_for_the_whole_notebook_not_only_each_cell(tmp_path):
    """The first cell spends half the timeout; the second would run forever. The deadline stops
    the second before it alone has run the timeout: the first cell's time counted."""
    kernel = warm(tmp_path)
    output, log = tmp_path / "executed.ipynb", tmp_path / "times.json"
    started = time.monotonic()
    try:
        with pytest.raises(NotebookFailed) as failed:
            run_notebook(BUDGET, output, {"started": started, "budget": TIMEOUT, "log": str(log)},
                         kernel=kernel, timeout=TIMEOUT)  # fmt: skip
    finally:
        kernel.shutdown()
    assert str(failed.value) == (
        f"the notebook ran longer than the timeout of {TIMEOUT} s and was stopped in cell 4"
        " (`entered = time.monotonic()`)"
    )
    cells = [c for c in json.loads(output.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]
    errors = [
        i for i, c in enumerate(cells) if any(o["output_type"] == "error" for o in c["outputs"])
    ]
    assert errors == [3]  # 0 parameters, 1 injected parameters, 2 half the time, 3 forever
    assert cells[4]["execution_count"] is None
    times = json.loads(log.read_text("utf-8"))
    assert times["interrupted"] >= started + TIMEOUT  # the deadline fell no earlier than due
    assert times["interrupted"] - times["entered"] < TIMEOUT  # the second cell ran less alone


@pytest.mark.kernel
def test_a_notebook_within_the_timeout_runs_to_the_end(tmp_path):
    kernel = warm(tmp_path)
    try:
        nb = run_notebook(SLOW, tmp_path / "executed.ipynb", {}, kernel=kernel, timeout=600)
    finally:
        kernel.shutdown()
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


@pytest.mark.kernel
@pytest.mark.parametrize("forked", [False, True], ids=["ordinary", "forked"])
def test_a_kernel_deaf_to_interrupts_is_killed_with_what_it_started(tmp_path, forked):
    """The deadline's interrupt is ignored: the kernel's process group is killed, and the run
    ends within the timeout and 12 s (the cell would sleep 120 s)."""
    if forked and not can_fork_kernels():
        pytest.skip("kernels are forked only on Linux")
    template = KernelTemplate(tmp_path) if forked else None
    pid_file = tmp_path / "child.pid"
    try:
        kernel = warm(tmp_path, template)
        try:
            started = time.monotonic()
            with pytest.raises(NotebookFailed) as failed:
                run_notebook(DEAF, tmp_path / "executed.ipynb", {"pid_file": str(pid_file)},
                             kernel=kernel, timeout=TIMEOUT)  # fmt: skip
            took = time.monotonic() - started
        finally:
            kernel.shutdown()
        # Gone with its kernel, not only once a batch's worker (and its template) ends; also the one
        # in a session of its own.
        assert gone_within([int(pid) for pid in pid_file.read_text().split()], 5)
    finally:
        if template is not None:
            template.close()
    assert took < TIMEOUT + 12  # as README promises
    assert f"ran longer than the timeout of {TIMEOUT} s" in str(failed.value)
    assert "did not stop when interrupted and was killed" in str(failed.value)


@pytest.mark.kernel
def test_a_deadline_that_falls_while_interrupts_go_unheard_stops_the_next_cell(tmp_path):
    """Between cells, and in a cell that takes SIGINT for itself, the interrupt stops nothing:
    the next cell does not start, says why, and the executed notebook is kept. The cell ends
    only once the interrupt has come."""
    kernel = warm(tmp_path)
    output = tmp_path / "executed.ipynb"
    try:
        with pytest.raises(NotebookFailed) as failed:
            run_notebook(LATE, output, {}, kernel=kernel, timeout=TIMEOUT)
    finally:
        kernel.shutdown()
    assert str(failed.value) == (
        f"the notebook ran longer than the timeout of {TIMEOUT} s and was stopped before the cell"
        ' `print("not to be run: the timeout has passed")`'
    )
    last = json.loads(output.read_text("utf-8"))["cells"][-1]
    assert last["execution_count"] is None
    assert last["outputs"][0]["ename"] == "TimeoutError"
    assert f"timeout of {TIMEOUT} s had passed" in last["outputs"][0]["evalue"]


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
