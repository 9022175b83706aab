"""Kernels' files: sockets in a folder of the process's own, nothing left when it ends or dies."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from processes import HUNG, family, gone_within, wait_for_path

from dossier.run.kernel import (
    RUNTIME_PREFIX,
    WarmKernel,
    remove_stale_runtime_dirs,
    runtime_dir,
)
from dossier.run.kernel_template import KernelTemplate, can_fork_kernels

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "data" / "sample"


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
            folder = runtime_dir()
            assert connection["transport"] == "ipc"
            assert Path(connection["ip"]).parent == folder
            sockets = [folder / f"{Path(connection['ip']).name}-{connection[port]}"
                       for port in ("shell_port", "iopub_port", "stdin_port", "control_port",
                                    "hb_port")]  # fmt: skip
            assert all(stat.S_ISSOCK(path.stat().st_mode) for path in sockets)
            assert folder.stat().st_mode & 0o777 == 0o700  # this user only
            assert folder.name.startswith(f"{RUNTIME_PREFIX}{os.getpid()}-")
        finally:
            kernel.shutdown()
    finally:
        if template is not None:
            template.close()
    assert sorted(os.listdir(folder)) == []


HOLDER = textwrap.dedent("""
    import sys
    from dossier.run.kernel import runtime_dir
    print(runtime_dir(), flush=True)
    sys.stdin.read()  # lives until the test closes its stdin (or kills it)
""")


def holder(tmp: Path) -> tuple[subprocess.Popen, Path]:
    """A process that has made its kernel folder in ``tmp`` and lives on."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})  # fmt: skip
    return process, Path(process.stdout.readline().strip())


def test_a_folder_is_removed_once_its_process_is_gone_and_not_before(short_tmp):
    living, alive_folder = holder(short_tmp)
    killed, dead_folder = holder(short_tmp)
    try:
        (dead_folder / "kernel-1.json").write_text("{}", encoding="utf-8")  # what a kill leaves
        killed.kill()
        killed.wait()
        assert remove_stale_runtime_dirs(short_tmp) == [dead_folder]
        assert not dead_folder.exists()
        assert alive_folder.is_dir()
    finally:
        living.stdin.close()
        living.wait()
        killed.stdout.close()
        living.stdout.close()
    assert not alive_folder.exists()  # removed by its process as it ended
    assert remove_stale_runtime_dirs(short_tmp) == []


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
        socket = wait_for_path(tmp, f"{RUNTIME_PREFIX}{killed.pid}-*/kernel-1-[0-9]", killed)
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
        own = wait_for_path(tmp, f"{RUNTIME_PREFIX}{following.pid}-*", following)
        assert not connection.parent.exists()  # removed before the next run made its own
        _, stderr = following.communicate(timeout=HUNG)
    finally:
        following.kill()
    assert following.returncode == 0, stderr
    assert not own.exists() and list(tmp.iterdir()) == []


def test_a_temporary_folder_too_long_for_sockets_gives_way_to_tmp(tmp_path):
    """A socket's path has room for 107 bytes; a long TMPDIR would leave none for the names."""
    long = tmp_path / ("x" * 100)
    long.mkdir()
    probe = "from dossier.run.kernel import runtime_dir; print(runtime_dir())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(long)}, timeout=60, check=True)  # fmt: skip
    folder = Path(done.stdout.strip())
    assert folder.parent == Path("/tmp")
    assert not folder.exists()  # removed as its process ended
