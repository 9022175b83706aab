"""Fresh kernels forked from a template process that has already imported their libraries.

A new Python kernel spends most of its first second importing ipykernel,
IPython, pandas, matplotlib and dossier. A batch starts one kernel per
dossier, so it pays that second again and again. Here a *template* process
does those imports once; each kernel is then a ``fork()`` of it: a new
process with nothing of any case in it, ready in a few hundredths of a second.
The kernel is the same ipykernel a kernel spec starts, run with the same
arguments; jupyter_client and papermill drive it as usual through
:class:`ForkingProvisioner`.

Only where the operating system has ``fork`` and process file descriptors
(Linux); elsewhere :func:`can_fork_kernels` says no and kernels start as usual.

The template holds no threads and no ZeroMQ context when it forks (both would
be broken in the child), and takes its orders on stdin, one JSON line each::

    {"argv": ["-f", "/…/kernel-….json", …], "env": {…}, "cwd": "/…"}

and answers on stdout with ``{"pid": N}`` once the kernel has its own session
(process group), or ``{"error": "…"}``. Each time it forks, it reaps the
kernels that have ended since; when its stdin closes (the worker is done, or
was killed) it kills the kernels still running and exits. A kernel whose
template is gone ends by itself, as a kernel does whose parent is gone.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

#: What a kernel spec for this Python runs: ``python -m ipykernel_launcher``.
LAUNCHER = ["-m", "ipykernel_launcher"]
#: Imported by every kernel as it starts (IPKernelApp.initialize), so imported once here.
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.interactiveshell",
    "matplotlib_inline.backend_inline",
)
#: What ipykernel sets before a kernel's first import of matplotlib (kernelapp.init_gui_pylab).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@cache
def can_fork_kernels() -> bool:
    """Whether this system forks processes and names them by process file descriptors.

    Linux 5.3 and later does; a container's system-call filter may still refuse
    them, so this tries once.
    """
    if not (hasattr(os, "fork") and hasattr(os, "pidfd_open")):
        return False
    try:
        pidfd = os.pidfd_open(os.getpid())
        try:
            signal.pidfd_send_signal(pidfd, 0)  # signal 0: only asks whether it may be sent
        finally:
            os.close(pidfd)
    except OSError:
        return False
    return True


# -- the template process -----------------------------------------------------------------------


def main() -> None:
    """The template: import once, then fork a kernel for each order on stdin."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]  # as ipykernel_launcher does: the working folder is no package source
    # Ctrl-C in the terminal is for the batch: the worker decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _import_once()
    orders, answers = sys.stdin.buffer, sys.stdout.buffer
    kernels: set[int] = set()
    gc.freeze()  # objects made so far stay put: forks share their memory pages longer
    for line in orders:
        _reap(kernels)
        try:
            order = json.loads(line)
            pid = _fork_kernel(order["argv"], order["env"], order["cwd"])
        except Exception as exc:  # the worker falls back on an ordinary kernel
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        else:
            kernels.add(pid)
            answer = {"pid": pid}
        answers.write(json.dumps(answer).encode() + b"\n")
        answers.flush()
    for pid in kernels:  # the worker is gone: so are its kernels
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    _reap(kernels)


def _import_once() -> None:
    """What every kernel imports as it starts, and the notebook's libraries (its warm-up)."""
    import importlib

    from .kernel import WARM_UP

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    # debugpy, imported with ipykernel's debugger, warns on stderr about Python's frozen
    # modules; a kernel captures its stderr before that import, the template does not.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for module in KERNEL_MODULES:
        importlib.import_module(module)
    exec(WARM_UP, {})
    if threading.active_count() != 1:  # a thread would not survive a fork: fork no kernels
        raise RuntimeError(f"the template started threads: {threading.enumerate()}")


def _reap(kernels: set[int]) -> None:
    for pid in list(kernels):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if not done:
                continue
        kernels.discard(pid)


def _fork_kernel(argv: list[str], env: dict[str, str], cwd: str) -> int:
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the kernel
        try:
            os.close(ready_read)
            os.setsid()  # its own session and process group, as jupyter_client gives a kernel
            os.write(ready_write, b"1")
            os.close(ready_write)
            _become_kernel(argv, env, cwd)
        except BaseException:
            import traceback

            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    os.close(ready_write)
    try:
        if os.read(ready_read, 1) != b"1":
            raise RuntimeError("the forked kernel ended before it started")
    finally:
        os.close(ready_read)
    return pid


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """In the forked child: take the kernel's streams, folder and environment, and run it."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(
        2, 1
    )  # the template's stdout is its line to the worker; the kernel's goes where stderr goes
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    from ipykernel import kernelapp

    # ipykernel read JPY_PARENT_PID when the template imported it: say it again. The kernel
    # watches its parent, the template, and ends when the template does.
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    argv = [*argv, f"--IPKernelApp.parent_handle={os.getppid()}"]
    sys.argv = [sys.executable, *LAUNCHER, *argv]
    kernelapp.launch_new_instance(argv=argv)


# -- the worker's side --------------------------------------------------------------------------


class KernelTemplate:
    """A template process of this worker; :meth:`fork` asks it for a fresh kernel."""

    def __init__(self, cwd: str | Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dossier.kernel_template"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=str(cwd),
        )
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """The pid of a new kernel run with ``argv`` (after ``python -m ipykernel_launcher``)."""
        order = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n"
        with self._lock:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the kernel template has ended (exit {self.process.returncode})"
                )
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(order)
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError("the kernel template ended without an answer")
        reply = json.loads(answer)
        if "error" in reply:
            raise RuntimeError(f"the kernel template could not fork a kernel: {reply['error']}")
        return int(reply["pid"])

    def close(self) -> None:
        """End the template: it kills the kernels it forked that still run."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class ForkedProcess:
    """A forked kernel seen from the worker, with the parts of ``Popen`` jupyter_client uses.

    The kernel is the template's child, not this process's: it is watched and
    signalled through a process file descriptor, which names this process and no
    later one that happens to get the same pid.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # already ended
            self._pidfd = None
            self.returncode = -1

    def poll(self) -> int | None:
        if self.returncode is None and self._ended(0):
            self._close(-1)  # the exit status went to the template, which reaped it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            self._close(-1)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None and self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _ended(self, timeout: float | None) -> bool:
        if self._pidfd is None:
            return True
        ready, _, _ = select.select([self._pidfd], [], [], timeout)
        return bool(ready)

    def _close(self, returncode: int) -> None:
        self.returncode = returncode
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching a kernel by asking the template to fork.

    A kernel spec that does not run this Python's ipykernel is launched as usual.
    """

    template: KernelTemplate | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        template = self.template
        if template is None or cmd[:3] != [sys.executable, *LAUNCHER]:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        pid = template.fork(cmd[3:], env, cwd)
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid  # the kernel leads its own process group (setsid)
        self.cwd = cwd
        return self.connection_info


if __name__ == "__main__":
    main()
