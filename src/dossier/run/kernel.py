"""Kernels started ahead of need.

Starting a Python kernel and importing ipykernel, matplotlib and dossier into
it takes about a second. :class:`WarmKernel` starts one at once and lets it do
those imports while the caller loads data (or runs the previous dossier);
papermill then gets it ready to use through nbclient's ``km`` argument.

A kernel talks to this process over ZeroMQ's ``ipc`` transport: sockets that
are files in this process's private folder
(:func:`~dossier.run.lifetime.private_dir`), beside its connection file.
Kernels started at once by many processes on one machine cannot race for TCP
ports that way.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from queue import Empty

import psutil
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from .kernel_template import (
    WARM_UP,
    ForkedProcess,
    ForkingProvisioner,
    KernelTemplate,
    TemplateConnection,
)
from .lifetime import SOCKET_PATH_MAX, private_dir


class ThisPythonsKernelSpecs(KernelSpecManager):
    """Jupyter's kernel specs, where ``python3`` is always ipykernel in this Python.

    A dossier's notebook runs where dossier is installed, whatever another ``python3``
    spec in Jupyter's folders says; and that spec is known without a search, which lists
    Jupyter's folders and imports IPython to find its own (0.05 s of this process before
    its kernel starts).
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name != NATIVE_KERNEL_NAME:
            return super().get_kernel_spec(kernel_name)
        from ipykernel.kernelspec import RESOURCES, get_kernel_dict

        return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())


class WarmKernel:
    """A fresh kernel that imports the notebook's libraries as it starts."""

    def __init__(self, manager: AsyncKernelManager) -> None:
        self.manager = manager
        #: Connected to the kernel once it has answered (:meth:`wait_until_ready`), for papermill.
        self.client: AsyncKernelClient | None = None

    @classmethod
    def start(
        cls,
        cwd: str | Path,
        template: KernelTemplate | TemplateConnection | None = None,
    ) -> WarmKernel:
        """Start a kernel in ``cwd``; returns at once, the kernel warms up in the background.

        With a ``template``, the kernel is forked from it, its libraries already imported.
        """
        # Named by a number of this process, not a uuid: a socket's path has little room.
        files = private_dir() / f"kernel-{next(_kernel_numbers)}"
        if len(f"{files}-9") <= SOCKET_PATH_MAX:
            # The sockets are this path with -1 … -5 appended.
            sockets = {"transport": "ipc", "ip": str(files)}
        else:  # no temporary folder with a short enough path: loopback TCP, as Jupyter does
            sockets = {"transport": "tcp"}
        manager = AsyncKernelManager(
            kernel_name=NATIVE_KERNEL_NAME, connection_file=f"{files}.json",
            kernel_spec_manager=ThisPythonsKernelSpecs(), **sockets,
        )  # fmt: skip
        # Given here, not looked up among the installed provisioners (a scan of every
        # package's entry points); without a template it launches as jupyter_client's own.
        manager.kernel_id = str(uuid.uuid4())
        manager.provisioner = ForkingProvisioner(
            kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager
        )
        manager.provisioner.template = template
        kernel = cls(manager)
        _running.add(kernel)  # from before it starts: end_kernels_now may come at any moment
        try:
            run_sync(manager.start_kernel)(
                cwd=str(cwd),
                extra_arguments=[
                    f"--InteractiveShellApp.exec_lines={[WARM_UP]!r}",
                    # The loopback-only kernel's warning about plain TCP would reach every user's terminal.
                    "--IPKernelApp.log_level=ERROR",
                    # The executed notebook is the record: no kernel writes the user's IPython
                    # history file (a batch's kernels would all write it at once).
                    "--HistoryManager.hist_file=:memory:",
                ],
            )
        except BaseException:
            with contextlib.suppress(Exception):
                kernel._kill_and_wait()  # it may have started before the failure
            with contextlib.suppress(Exception):
                run_sync(manager.cleanup_resources)()  # its connection file, sockets, context
            _running.discard(kernel)
            raise
        return kernel

    @property
    def name(self) -> str:
        return self.manager.kernel_name

    def interrupt(self) -> None:
        """Interrupt the running cell, as Jupyter's stop button does (SIGINT); safe from any thread."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """Kill the kernel and what it started (its process group, and any process of it that
        went into a session of its own) at once; safe from any thread.

        :meth:`shutdown` still cleans up.
        """
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None)
        if process is None or process.poll() is not None:
            return
        started = _started_by(process.pid)  # before the kernel goes: then they have no parent
        pgid = getattr(provisioner, "pgid", None)
        killed = False
        if pgid and hasattr(os, "killpg"):
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)
                killed = True
        if not killed:
            self._signal(getattr(signal, "SIGKILL", signal.SIGTERM))
        _kill_all(started)

    def _signal(self, signum: int) -> None:
        process = getattr(self.manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.send_signal(signum)

    def wait_until_ready(self, timeout: float) -> None:
        """Wait until the kernel answers, and keep the client that heard it for papermill.

        jupyter_client's ``wait_for_ready`` does the same, then listens 0.2 s for
        stray messages before it returns; nbclient calls it once more on a client
        of its own. Papermill ignores messages that answer no request of its own,
        so here the client that heard the kernel is handed on without those waits:
        0.4 s of every dossier.

        Raises
        ------
        RuntimeError
            The kernel died, or did not answer within ``timeout`` seconds.
        """
        client = self.manager.client()
        client.start_channels()
        try:
            run_sync(_answered)(client, timeout)
        except BaseException:
            client.stop_channels()
            raise
        client.allow_stdin = False  # as nbclient sets it: a dossier never asks for input
        self.client = client

    def shutdown(self) -> None:
        """Stop the kernel; safe to call twice."""
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.manager.has_kernel:
            with contextlib.suppress(OSError, RuntimeError):
                self._kill_and_wait()
            run_sync(self.manager.shutdown_kernel)(now=True)
        _running.discard(self)

    def _kill_and_wait(self, limit: float = 5.0) -> None:
        """Kill the kernel and wait until it has died, leaving it for jupyter_client to reap.

        ``shutdown_kernel(now=True)`` kills the kernel and asks at once whether it
        is gone; it is not yet, so it sleeps 0.1 s before asking again, 0.1 s of
        every dossier. Waiting here takes a few milliseconds. ``WNOWAIT`` keeps
        the dead process (and so its process group, which jupyter_client signals
        next) in place until jupyter_client reaps it. Without ``os.waitid`` or
        ``SIGKILL`` (Windows; macOS before Python 3.13) this does nothing.
        """
        process = getattr(self.manager.provisioner, "process", None)
        if isinstance(process, ForkedProcess):
            self.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(limit)
            return
        pid = getattr(process, "pid", None)
        if pid is None or not hasattr(os, "waitid") or not hasattr(signal, "SIGKILL"):
            return
        self.kill()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                return
            time.sleep(0.001)


def ready_kernel(
    cwd: str | Path, spare: WarmKernel | None = None, timeout: float = 60
) -> WarmKernel:
    """A kernel that has answered: ``spare`` if given and alive, else a new one; one retry.

    Raises
    ------
    RuntimeError
        When two kernels in a row fail to start.
    """
    kernel = spare or WarmKernel.start(cwd)
    for attempt in (1, 2):
        try:
            kernel.wait_until_ready(timeout)
            return kernel
        except RuntimeError:
            kernel.shutdown()
            if attempt == 2:
                raise RuntimeError(
                    f"two kernels in a row did not start within {timeout} s"
                ) from None
            # Started the ordinary way, not forked: if a template was the trouble, it is not now.
            kernel = WarmKernel.start(cwd)
    raise AssertionError("unreachable")


async def _answered(client: AsyncKernelClient, timeout: float) -> None:
    """Return once the kernel has answered a kernel_info request on shell and on IOPub."""
    deadline = time.monotonic() + timeout
    while True:
        client.kernel_info()
        with contextlib.suppress(Empty):
            reply = await client.get_shell_msg(timeout=1)
            if reply["msg_type"] == "kernel_info_reply":
                # IOPub is connected once the request's busy status comes through on it.
                await client.get_iopub_msg(timeout=0.2)
                return
        if not await client.is_alive():
            raise RuntimeError("the kernel died before it answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not answer within {timeout:g} s")


#: The kernels this process has started and not shut down, for :func:`end_kernels_now`.
_running: set[WarmKernel] = set()


def end_kernels_now() -> None:
    """Kill every kernel this process has started and not shut down.

    For a process that must end at once (in a signal handler): it takes no lock
    and waits for nothing. Each kernel's process group goes: the kernel and what
    its cells started.
    """
    for kernel in list(_running):  # a copy: the set may change in another thread
        provisioner = kernel.manager.provisioner
        process = getattr(provisioner, "process", None)
        started = _started_by(process.pid) if process is not None else []
        pgid = getattr(provisioner, "pgid", None)
        if pgid:
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)
        _kill_all(started)


def _started_by(pid: int) -> list[psutil.Process]:
    """The processes ``pid`` has started, and they in turn: also one that left the kernel's
    process group for a session of its own (``setsid``), which a kill of the group misses."""
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).children(recursive=True)
    return []


def _kill_all(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()  # psutil checks it is still the process it was, not a reused pid


_kernel_numbers = itertools.count(1)
