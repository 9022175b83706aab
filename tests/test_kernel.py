"""Kernels' files: sockets in the process's private folder, nothing left when it ends or dies."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE_DATA
from processes import HUNG, family, gone_within, wait_for_path

from dossier.run.kernel import WarmKernel
from dossier.run.kernel_template import KernelTemplate, can_fork_kernels
from dossier.run.lifetime import PRIVATE_PREFIX, private_dir


@pytest.mark.kernel
@pytest.mark.parametrize("forked", [False, True], ids=["ordinary", "forked"])
def test_a_kernel_talks_over_sockets_in_a_private_folder_and_leaves_nothing(tmp_path, forked):
    """No TCP port to race for: the kernel's sockets are files only this user can reach."""
    if forked and not can_fork_kernels():
        pytest.skip("kernels are forked only on Linux")
    template = KernelTemplate(tmp_path) if forked else None
    try:
        kernel = WarmKernel.start(tmp_path, template=template)
        try:
            kernel.wait_until_ready(60)
            connection = json.loads(Path(kernel.manager.connection_file).read_text("utf-8"))
            folder = private_dir()
            assert connection["transport"] == "ipc"
            assert Path(connection["ip"]).parent == folder
            sockets = [folder / f"{Path(connection['ip']).name}-{connection[port]}"
                       for port in ("shell_port", "iopub_port", "stdin_port", "control_port",
                                    "hb_port")]  # fmt: skip
            assert all(stat.S_ISSOCK(path.stat().st_mode) for path in sockets)
            assert folder.stat().st_mode & 0o777 == 0o700  # this user only
            assert folder.name.startswith(f"{PRIVATE_PREFIX}{os.getpid()}-")
        finally:
            kernel.shutdown()
    finally:
        if template is not None:
            template.close()
    assert sorted(os.listdir(folder)) == []


def started_since(before: set[int]) -> list:
    """The processes this one has started that were not among ``before`` (their numbers)."""
    return [p for p in family(os.getpid()) if p.pid not in before]


@pytest.mark.kernel
def test_a_python3_kernel_spec_of_another_python_does_not_take_the_kernel_there(
    tmp_path, monkeypatch
):
    """A dossier's notebook runs where dossier is installed: ipykernel in this Python, even
    where Jupyter's folders hold another ``python3`` spec (one for a conda base, say)."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    ran = tmp_path / "the other python ran"
    other = {"argv": [sys.executable, "-c", f"open({str(ran)!r}, 'w')", "{connection_file}"],
             "display_name": "Another Python", "language": "python"}  # fmt: skip
    (spec / "kernel.json").write_text(json.dumps(other), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernel = WarmKernel.start(tmp_path)
    try:
        kernel.wait_until_ready(60)
        assert kernel.manager.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    finally:
        kernel.shutdown()
    assert not ran.exists()


@pytest.mark.kernel
def test_a_render_runs_on_the_kernel_it_is_given_and_starts_no_other(tmp_path):
    """``dossier render`` starts its kernel before it imports the render's libraries and hands
    it to the render, which runs its cells on that one and shuts it down at the end."""
    import datetime as dt

    from dossier.content.parameters import DossierParameters
    from dossier.resources import notebook_path
    from dossier.run.render import RenderOptions, build_dossier

    before = {p.pid for p in family(os.getpid())}  # what other tests of this process left running
    kernel = WarmKernel.start(notebook_path().parent)
    given, running = started_since(before), []
    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)), formats=("html",))

    def stage(name: str, **fields: object) -> None:
        if name == "running":
            running.append(started_since(before))

    files = build_dossier("RUN/168/2020", data_dir=SAMPLE_DATA, out_dir=tmp_path / "out",
                          options=options, stage=stage, kernel=kernel)  # fmt: skip
    assert files.html.is_file()
    assert given and running == [given]
    assert gone_within(given, 10)


@pytest.mark.kernel
def test_a_kernel_started_for_a_render_that_stops_first_is_shut_down(tmp_path, capsys):
    from dossier.cli import main

    before = {p.pid for p in family(os.getpid())}
    code = main(["render", "RUN/168/2020", "--data", str(SAMPLE_DATA), "--out", str(tmp_path / "out"),
                 "--as-of", "2023-06-01", "--since", "2023-07-01"])  # fmt: skip
    assert code == 2 and "--since 2023-07-01 is after --as-of 2023-06-01" in capsys.readouterr().err
    assert gone_within(started_since(before), 10)


@pytest.mark.kernel
def test_a_killed_render_leaves_no_connection_file_past_the_next_run_start(tmp_path, short_tmp):
    """SIGKILL gives a render no chance to clean up; the next run removes what it left."""
    tmp = short_tmp
    env = {**os.environ, "TMPDIR": str(tmp)}

    def render(out: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "dossier.cli", "render", "RUN/168/2020", "--data",
                   SAMPLE_DATA, "--out", tmp_path / out, "--format", "html"]  # fmt: skip
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip

    killed = render("first")
    try:
        # Its kernel runs once the kernel has made its sockets beside the connection file.
        socket = wait_for_path(tmp, f"{PRIVATE_PREFIX}{killed.pid}-*/kernel-1-[0-9]", killed)
        connection = socket.parent / "kernel-1.json"
        kernels = family(killed.pid)
    finally:
        killed.kill()
        killed.wait()
        killed.stderr.close()
    assert connection.exists()
    assert kernels and gone_within(kernels, 5)  # a kernel whose parent is gone ends by itself
    following = render("second")
    try:
        own = wait_for_path(tmp, f"{PRIVATE_PREFIX}{following.pid}-*", following)
        assert not connection.parent.exists()  # removed before the next run made its own
        _, stderr = following.communicate(timeout=HUNG)
    finally:
        following.kill()
    assert following.returncode == 0, stderr
    assert not own.exists() and list(tmp.iterdir()) == []
