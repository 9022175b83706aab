"""Kernels forked from a template: fresh processes of their own, stopped and cleaned up as usual."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
from processes import gone_within

from dossier.run.execute import NotebookFailed, run_notebook
from dossier.run.kernel import WarmKernel, ready_kernel
from dossier.run.kernel_template import (
    ForkedProcess,
    KernelTemplate,
    TemplateConnection,
    can_fork_kernels,
)

pytestmark = pytest.mark.kernel
forking = pytest.mark.skipif(not can_fork_kernels(), reason="kernels are forked only on Linux")

SLOW = Path(__file__).resolve().parent / "fixtures" / "slow_cells.ipynb"


@pytest.fixture
def template(tmp_path):
    template = KernelTemplate(tmp_path)
    yield template
    template.close()


def run_code(kernel: WarmKernel, code: str, shown: list | None = None) -> str:
    """Run ``code`` in ``kernel`` and return what it printed; displays go to ``shown``."""
    from jupyter_core.utils import run_sync

    client = kernel.client
    assert client is not None

    async def run() -> str:
        msg_id = client.execute(code)
        printed = []
        while True:
            msg = await client.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "display_data" and shown is not None:
                shown.append(msg["content"]["data"])
            elif msg["msg_type"] == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(printed)

    return run_sync(run)()


def kernel_facts(kernel: WarmKernel) -> dict:
    return json.loads(run_code(kernel, textwrap.dedent("""
        import json, os, sys
        print(json.dumps({
            "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "cwd": os.getcwd(),
            "pandas": "pandas" in sys.modules, "backend": os.environ.get("MPLBACKEND"),
            "marker": globals().get("MARKER"), "env": os.environ.get("DOSSIER_TEST_ENV"),
        }))
    """)))  # fmt: skip


def forked(cwd: Path, template: KernelTemplate | TemplateConnection) -> WarmKernel:
    kernel = WarmKernel.start(cwd, template=template)
    kernel.wait_until_ready(60)
    return kernel


@pytest.mark.skipif(sys.platform != "linux", reason="process file descriptors are Linux's")
def test_kernels_are_forked_on_linux():
    """Else every batch would fall back on ordinary kernels, correct but slow, and say nothing."""
    assert can_fork_kernels()


@forking
def test_each_forked_kernel_is_a_fresh_process_of_its_own(tmp_path, template, monkeypatch):
    monkeypatch.setenv("DOSSIER_TEST_ENV", "given at the fork, not at the template's start")
    first = forked(tmp_path, template)
    try:
        run_code(first, "MARKER = 'left by the first case'")
        facts = kernel_facts(first)
        assert facts["marker"] == "left by the first case"
    finally:
        first.shutdown()
    second = forked(tmp_path, template)
    try:
        again = kernel_facts(second)
    finally:
        second.shutdown()
    for one in (facts, again):
        assert one["ppid"] == template.process.pid  # forked from the template
        assert one["sid"] == one["pid"]  # its own session, as jupyter_client starts a kernel
        assert one["cwd"] == str(tmp_path)
        assert one["pandas"]  # the notebook's libraries came with the fork
        assert one["backend"] == "module://matplotlib_inline.backend_inline"
        assert one["env"] == "given at the fork, not at the template's start"
    assert again["pid"] != facts["pid"]
    assert again["marker"] is None  # nothing of the first case in the second kernel


@forking
def test_a_forked_kernel_is_interrupted_by_the_timeout_and_then_killed(tmp_path, template):
    kernel = forked(tmp_path, template)
    process = kernel.manager.provisioner.process
    assert isinstance(process, ForkedProcess)
    try:
        with pytest.raises(NotebookFailed, match="longer than the timeout of 5 s"):
            run_notebook(SLOW, tmp_path / "executed.ipynb", {}, kernel=kernel, timeout=5)
    finally:
        kernel.shutdown()
    assert process.poll() is not None
    assert not psutil.pid_exists(process.pid) or psutil.Process(process.pid).status() == "zombie"


@forking
def test_closing_the_template_kills_the_kernels_it_forked_and_removes_its_socket(tmp_path):
    template = KernelTemplate(tmp_path)
    kernel = forked(tmp_path, template)
    pid = kernel_facts(kernel)["pid"]
    assert Path(template.address).exists()
    template.close()
    assert gone_within([pid], 5)
    assert not Path(template.address).exists()
    kernel.shutdown()


@forking
@pytest.mark.parametrize("when", ["kernel running", "template importing"])
def test_a_worker_killed_takes_its_template_and_kernels_with_it(tmp_path, when):
    """SIGKILL gives the worker no chance to clean up: its template is told by the system
    (even while it imports its libraries), and ends its kernels."""
    script = textwrap.dedent(f"""
        import sys
        from dossier.run.kernel import WarmKernel
        from dossier.run.kernel_template import KernelTemplate
        template = KernelTemplate({str(tmp_path)!r})
        pids = [template.process.pid]
        if {when!r} == "kernel running":
            kernel = WarmKernel.start({str(tmp_path)!r}, template=template)
            kernel.wait_until_ready(60)
            pids.append(kernel.manager.provisioner.pid)
        print(*pids, flush=True)
        sys.stdin.read()  # until the test kills it
    """)
    worker = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        pids = [int(pid) for pid in worker.stdout.readline().split()]
        assert all(psutil.pid_exists(pid) for pid in pids)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert gone_within(pids, 5)
    finally:
        worker.kill()
        worker.stdout.close()
        worker.stdin.close()


@forking
def test_workers_connected_to_one_template_get_kernels_of_their_own(tmp_path, template):
    """Each worker of a batch orders its kernels on a connection of its own to the batch's
    template; when a connection closes (its worker done, or killed), the kernels ordered on
    it go, and the template goes on forking for the others."""
    first, second = template.connect(), template.connect()
    one, other = forked(tmp_path, first), forked(tmp_path, second)
    try:
        facts = [kernel_facts(one), kernel_facts(other)]
        assert facts[0]["pid"] != facts[1]["pid"]
        assert facts[0]["ppid"] == facts[1]["ppid"] == template.process.pid
        first.close()
        assert gone_within([facts[0]["pid"]], 5)
        assert kernel_facts(other)["pid"] == facts[1]["pid"]  # still answers
        again = forked(tmp_path, second)
        try:
            assert kernel_facts(again)["ppid"] == template.process.pid
        finally:
            again.shutdown()
    finally:
        one.shutdown()
        other.shutdown()
        second.close()


@forking
def test_a_worker_gone_before_its_answer_costs_the_template_nothing(tmp_path, template):
    """A worker killed between its order and the answer: the template, which cannot answer,
    kills the kernel it forked for it, and goes on forking for the others."""
    order = {"order": "lost", "argv": ["-f", str(tmp_path / "lost.json")], "env": dict(os.environ),
             "cwd": str(tmp_path)}  # a kernel that would run until it is ended
    gone = template.connect()
    gone._socket.sendall(json.dumps(order).encode() + b"\n")
    gone.close()  # while the template still imports: its answer finds no one
    connection = template.connect()
    kernel = forked(tmp_path, connection)
    try:
        assert kernel_facts(kernel)["ppid"] == template.process.pid
        others = [p.pid for p in psutil.Process(template.process.pid).children()
                  if p.pid != kernel.manager.provisioner.process.pid]  # fmt: skip
        assert gone_within(others, 5)
        assert template.running
    finally:
        kernel.shutdown()
        connection.close()


@forking
def test_a_template_that_cannot_start_leaves_no_socket(tmp_path, monkeypatch):
    from dossier.run import kernel_template
    from dossier.run.lifetime import private_dir

    def refused(*args, **kwargs):
        raise OSError("no more processes")

    before = set(os.listdir(private_dir()))
    monkeypatch.setattr(kernel_template.subprocess, "Popen", refused)
    with pytest.raises(OSError, match="no more processes"):
        KernelTemplate(tmp_path)
    assert set(os.listdir(private_dir())) == before


@forking
def test_a_template_admits_no_other_user(tmp_path, template):
    """An order is a command to run: the template listens in its owner's private folder, which
    a process of another user cannot open."""
    if os.getuid() != 0:
        pytest.skip("only root can run a process as another user")
    probe = textwrap.dedent(f"""
        import os, socket
        os.setgid(65534)
        os.setuid(65534)  # nobody
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect({template.address!r})
        except PermissionError:
            print("refused")
        else:
            print("admitted")
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.stdout.strip() == "refused", (done.stdout, done.stderr)
    admitted = template.connect()  # its owner's user is admitted
    assert admitted.open
    admitted.close()


@forking
def test_a_template_killed_takes_its_kernels_with_it(tmp_path, template):
    kernel = forked(tmp_path, template)
    try:
        pid = kernel_facts(kernel)["pid"]
        template.process.kill()
        assert gone_within([pid], 5)
    finally:
        kernel.shutdown()


@forking
def test_a_forked_kernel_starts_as_ipykernel_expects_and_ends_with_its_template(tmp_path):
    """From its first moment a forked kernel ignores SIGINT (Ctrl-C in a terminal is the batch's;
    ipykernel takes SIGINT over for its cells), has the default SIGTERM and SIGCHLD, blocks no
    signal, and is killed when its template ends. Seen from where ipykernel starts."""
    seen = tmp_path / "seen.json"
    script = textwrap.dedent(f"""
        import ctypes, json, os, signal
        from ipykernel import kernelapp
        from dossier.run import kernel_template

        def report(argv):
            death = ctypes.c_int()
            ctypes.CDLL(None).prctl(2, ctypes.byref(death), 0, 0, 0)  # PR_GET_PDEATHSIG
            state = {{name: str(signal.getsignal(getattr(signal, name)))
                      for name in ("SIGINT", "SIGTERM", "SIGCHLD")}}
            state["blocked"] = sorted(signal.pthread_sigmask(signal.SIG_BLOCK, []))
            state["death"] = death.value
            open({str(seen)!r}, "w").write(json.dumps(state))

        kernelapp.launch_new_instance = report
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the template's main sets them
        signal.signal(signal.SIGTERM, kernel_template._end_now)
        pid = kernel_template._fork_kernel([], dict(os.environ), {str(tmp_path)!r})
        os.waitpid(pid, 0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert json.loads(seen.read_text("utf-8")) == {
        "SIGINT": str(signal.SIG_IGN),
        "SIGTERM": str(signal.SIG_DFL),
        "SIGCHLD": str(signal.SIG_DFL),
        "blocked": [],
        "death": signal.SIGKILL,
    }


@forking
def test_an_ended_template_gives_way_to_an_ordinary_kernel_and_says_so(tmp_path, capfd):
    template = KernelTemplate(tmp_path)
    template.close()
    kernel = WarmKernel.start(tmp_path, template=template)
    try:
        kernel.wait_until_ready(60)
        assert not isinstance(kernel.manager.provisioner.process, ForkedProcess)
        assert kernel_facts(kernel)["ppid"] == os.getpid()
    finally:
        kernel.shutdown()
    assert template.failure and "ended" in template.failure
    said = capfd.readouterr().err
    assert said.count("kernels start the ordinary way") == 1
    assert "Traceback" not in said


@forking
def test_a_template_that_cannot_fork_says_why_once_and_is_asked_no_more(
    tmp_path, capfd, monkeypatch
):
    # The user's own setting, which the template keeps: Arrow's allocator starts a thread.
    monkeypatch.setenv("JE_ARROW_MALLOC_CONF", "background_thread:true")
    template = KernelTemplate(tmp_path)
    try:
        for _ in range(2):
            kernel = WarmKernel.start(tmp_path, template=template)
            kernel.wait_until_ready(60)
            assert not isinstance(kernel.manager.provisioner.process, ForkedProcess)
            kernel.shutdown()
    finally:
        template.close()
    said = capfd.readouterr().err
    assert said.count("kernels start the ordinary way") == 1
    assert "threads" in said and "Traceback" not in said


@forking
def test_a_forked_spare_that_died_is_replaced_by_an_ordinary_kernel(tmp_path):
    template = KernelTemplate(tmp_path)
    spare = WarmKernel.start(tmp_path, template=template)
    template.close()  # kills the spare it forked
    kernel = ready_kernel(tmp_path, spare)
    try:
        assert kernel is not spare
        assert kernel_facts(kernel)["ppid"] == os.getpid()
    finally:
        kernel.shutdown()
        spare.shutdown()


@forking
def test_an_answer_to_an_interrupted_order_is_not_taken_for_the_next(tmp_path, template):
    """A fork cut short (Ctrl-C between order and answer) leaves its answer on the connection."""
    stale = {
        "order": "cut-short",
        "argv": ["--version"],
        "env": dict(os.environ),
        "cwd": str(tmp_path),
    }
    connection = template.connect()
    connection._socket.sendall(json.dumps(stale).encode() + b"\n")
    kernel = forked(tmp_path, connection)
    try:
        assert kernel_facts(kernel)["pid"] == kernel.manager.provisioner.process.pid
    finally:
        kernel.shutdown()
        connection.close()


@forking
def test_a_batch_worker_forks_its_kernels(tmp_path):
    """Else a kernel spec that no longer matches would make every batch slow, and say nothing."""
    from dossier.run import workers as batch

    batch._start_spare()
    kernel = batch._take_spare()
    try:
        assert kernel is not None
        assert isinstance(kernel.manager.provisioner.process, ForkedProcess)
    finally:
        kernel.shutdown()
        batch._stop_worker()


@forking
def test_forked_kernels_show_pyplot_figures_and_draw_their_own_random_numbers(tmp_path, template):
    shown, numbers = [], []
    for _ in range(2):
        kernel = forked(tmp_path, template)
        try:
            run_code(kernel, "import matplotlib.pyplot as plt; plt.plot([1, 3, 2]);", shown)
            numbers.append(run_code(kernel, "import numpy; print(numpy.random.randint(1 << 30))"))
        finally:
            kernel.shutdown()
    assert len(shown) == 2 and all("image/png" in data for data in shown)
    assert numbers[0] != numbers[1]


@forking
def test_the_template_holds_one_thread_when_it_forks(tmp_path):
    """A thread does not survive a fork; the template holds none but its own, and is quiet."""
    probe = textwrap.dedent("""
        from dossier.run import kernel_template
        kernel_template._import_once()
        print(kernel_template.os_threads())
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    assert done.stdout.count(",") == 0 and done.stdout.startswith("['")
    assert done.stderr == ""  # debugpy's warning about frozen modules is kept quiet


@forking
def test_a_kernel_imports_nothing_as_it_starts_that_the_template_has_not(tmp_path):
    """A forked kernel's start (IPKernelApp.initialize: its shell, history, debugger,
    completer, event loop, the warm-up line) imports nothing: the template imported all of
    it once, before it forked, so that no dossier's kernel spends its time on imports."""
    probe = textwrap.dedent(f"""
        import os, sys
        from dossier.run import kernel_template
        from dossier.run.kernel import WARM_UP
        kernel_template._import_once()
        before = set(sys.modules)
        from ipykernel.kernelapp import IPKernelApp
        IPKernelApp.instance().initialize([
            "-f", {str(tmp_path / "k.json")!r}, "--transport=ipc", "--ip={tmp_path / "k"}",
            "--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR",
            f"--InteractiveShellApp.exec_lines={{[WARM_UP]!r}}",
        ])
        new = sorted(set(sys.modules) - before)  # the kernel holds fd 1: write to a file
        with open({str(tmp_path / "new.txt")!r}, "w") as file:
            file.write(" ".join(new))
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=120, check=True,
                   cwd=tmp_path)  # fmt: skip
    assert (tmp_path / "new.txt").read_text() == ""


@pytest.mark.parametrize("forked", [False, True], ids=["ordinary", "forked"])
def test_a_kernel_keeps_its_history_in_memory_and_writes_no_history_file(
    tmp_path, monkeypatch, forked
):
    """The executed notebook is the record: a dossier's kernel writes nothing into the user's
    IPython history, which a batch's kernels would otherwise all write at once."""
    if forked and not can_fork_kernels():
        pytest.skip("kernels are forked only on Linux")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    template = KernelTemplate(tmp_path) if forked else None
    try:
        kernel = WarmKernel.start(tmp_path, template=template)
        try:
            kernel.wait_until_ready(60)
            printed = run_code(kernel, "print(get_ipython().history_manager.hist_file)\n1 + 1")
        finally:
            kernel.shutdown()
    finally:
        if template is not None:
            template.close()
    assert printed.strip() == ":memory:"
    assert list((tmp_path / "ipython").rglob("history.sqlite")) == []
