"""Fresh kernels forked from a template process that has already imported their libraries.

A new Python kernel spends most of its first second importing ipykernel,
IPython, pandas, matplotlib and dossier. A batch starts one kernel per
dossier, so it pays that second again and again. Here a *template* process
does those imports once; each kernel is then a ``fork()`` of it: a new
process with nothing of any case in it, answering in under 0.2 s instead of 0.75 s.
The kernel is the same ipykernel a kernel spec starts, run with the same
arguments; jupyter_client and papermill drive it as usual through
:class:`ForkingProvisioner`.

Only where the operating system has ``fork`` and process file descriptors
(Linux); elsewhere :func:`can_fork_kernels` says no and kernels start as usual.
It is the one switch for this speed-up: ``DOSSIER_FAST_KERNELS=0`` in the
environment turns it off (every kernel then starts as on Windows or macOS).

A thread does not survive a fork, and a lock it held stays locked in the
child; so the template holds one thread when it forks, and checks it (else it
forks nothing, and kernels start the ordinary way). For that it runs OpenBLAS
single-threaded and Arrow's jemalloc without its background thread; a kernel
of a batch, one per core, has no use for more. Neither changes a result. It
opens no ZeroMQ context: each kernel opens its own.

One template serves every worker of a batch on this machine: the batch starts
it (its imports are then made once, not once a worker), and each worker
connects to it on a Unix socket in the batch's private folder, which only this
user can open (a Dask worker, which belongs to no such batch, starts a
template of its own). A worker gives its orders on its connection, one JSON
line each::

    {"order": "…", "argv": ["-f", "/…/kernel-….json", …], "env": {…}, "cwd": "/…"}

and the template answers on the same connection with ``{"order": "…", "pid": N}``
once the kernel has its own session (process group), or ``{"order": "…",
"error": "…"}``; its stdout goes to stderr, so that a stray print cannot pass
for an answer. It reaps each kernel as it ends. When a connection closes (its
worker is done, or was killed), the kernels ordered on it that still run are
killed with their process groups; when its stdin closes (the batch is done) or
SIGTERM comes (the batch was killed: see :mod:`dossier.run.lifetime`), all of
them are, and the template exits. A kernel whose template is gone ends at once.

Ctrl-C in the terminal is for the batch, which ends its workers and its
template: a template ignores SIGINT, and so does a kernel until ipykernel
takes SIGINT over to interrupt its cells.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from ..errors import TemplateFailed
from .lifetime import end_with_parent, private_dir, signals_blocked

#: What a kernel spec for this Python runs: ``python -m ipykernel_launcher``.
#: Run by the kernel before it reports ready: the notebook's libraries, nothing of a case.
WARM_UP = "import dossier.content.sections"

LAUNCHER = ["-m", "ipykernel_launcher"]
#: Imported by every kernel as it starts (IPKernelApp.initialize), so imported once here.
#: Not matplotlib_inline's backend: importing it hooks pyplot into the running IPython
#: shell, which only the kernel has.
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.interactiveshell",
    # Imported as the shell is made: its inspector, debugger, completer, history (sqlite3),
    # logger and store magic, and tornado's asyncio loop.
    "IPython.core.oinspect",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.core.logger",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "sqlite3",
    "tornado.platform.asyncio",
    "importlib.readers",
    "importlib.resources.readers",
    "faulthandler",
)
#: Not needed to open a case (a render hands the kernel its case file as data), but imported by
#: an analyst's cells that take the case as tables (``case.events``): once here, not in every kernel.
ANALYSTS_MODULES = ("pandas",)
#: What ipykernel sets before a kernel's first import of matplotlib (kernelapp.init_gui_pylab).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Libraries' own threads, off in the template (see above); a setting given by the user wins,
#: and if it starts a thread, the template forks nothing.
SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",
}
#: The template's listening socket and its connections: no forked kernel keeps them open.
_channels: set[int] = set()
#: The template's kernels that have not ended (their process ids, each its group's), with the
#: number of the connection each was ordered on.
_kernels: dict[int, int] = {}
#: Held back while the template forks, until the child has set what each does to it. (Named so
#: that the module imports where SIGCHLD is no signal, as on Windows, which forks nothing.)
FORK_SIGNALS = tuple(getattr(signal, name) for name in ("SIGCHLD", "SIGTERM") if hasattr(signal, name))
#: Seconds the worker waits for a fork (the first waits for the template's imports).
ANSWER_TIMEOUT = 60.0


#: Numbers this process's templates: their sockets' names.
_template_numbers = itertools.count(1)
#: The environment variable that turns forked kernels off with ``0``.
FAST_KERNELS_VARIABLE = "DOSSIER_FAST_KERNELS"


@cache
def can_fork_kernels() -> bool:
    """Whether kernels are forked from a template: the system forks processes and names them by
    process file descriptors, and :data:`FAST_KERNELS_VARIABLE` does not say ``0``.

    Linux 5.3 and later does; a container's system-call filter may still refuse
    them, so this tries once.
    """
    if os.environ.get(FAST_KERNELS_VARIABLE, "").strip() == "0":
        return False
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


def main(listen_fd: int, owner: int | None = None) -> None:
    """The template: import once, then fork a kernel for each order on its connections.

    ``listen_fd`` is the listening socket the workers connect to. With ``owner``, the
    process id of the process that started it: the template ends with that process,
    even when it is killed.
    """
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]  # as ipykernel_launcher does: the working folder is no package source
    # Ctrl-C in the terminal is for the batch: the owner decides when this process ends. It
    # started with SIGINT blocked, so that none lands before this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGTERM, _end_now)
    if owner is not None:
        end_with_parent(signal.SIGTERM, owner)
    os.dup2(2, 1)  # what anything prints goes to stderr, never into an answer
    listener = socket.socket(fileno=listen_fd)
    _channels.add(listen_fd)
    cannot_fork = None
    try:
        _import_once()
    except Exception as exc:  # every order is answered with the reason; the worker goes on
        cannot_fork = f"{type(exc).__name__}: {exc}"
    os.register_at_fork(after_in_child=_reseed)
    gc.freeze()  # objects made so far stay put: forks share their memory pages longer
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: _reap(_kernels))  # no zombie stays
    _serve(listener, cannot_fork)
    _kill_kernels()  # the owner is done: so are the kernels
    _reap(_kernels, wait=5.0)


def _serve(listener: socket.socket, cannot_fork: str | None) -> None:
    """Answer the orders of each connection until stdin closes."""
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(listener, selectors.EVENT_READ)
    opened = itertools.count(1)  # each connection's number: its kernels are known by it
    while True:
        for key, _ in selector.select():
            if key.fd == 0:
                if not os.read(0, 4096):
                    return
            elif key.fileobj is listener:
                with contextlib.suppress(OSError):  # one that gave up before it was taken
                    connection, _ = listener.accept()
                    _channels.add(connection.fileno())
                    selector.register(connection, selectors.EVENT_READ, _Channel(next(opened)))
            elif not _answered(key.fileobj, key.data, cannot_fork):
                # Its worker is done, or gone: so are the kernels ordered on it.
                _kill_kernels(key.data.number)
                selector.unregister(key.fileobj)
                _channels.discard(key.fileobj.fileno())
                key.fileobj.close()


class _Channel:
    """A connection's number, and what it sent of an order not yet whole."""

    def __init__(self, number: int) -> None:
        self.number, self.pending = number, b""


def _answered(connection: socket.socket, channel: _Channel, cannot_fork: str | None) -> bool:
    """Answer each order the connection has sent whole; False once it has closed."""
    try:
        chunk = connection.recv(65536)
        if not chunk:
            return False
        *lines, channel.pending = (channel.pending + chunk).split(b"\n")
        for line in lines:
            _reap(_kernels)
            connection.sendall(_answer_to(line, channel.number, cannot_fork))
    except OSError:  # reset, or a broken pipe: a worker that was killed
        return False
    return True


def _answer_to(line: bytes, channel: int, cannot_fork: str | None) -> bytes:
    """The answer to an order: the kernel's pid, or why there is none (then the worker starts
    an ordinary kernel)."""
    number = None
    try:
        order = json.loads(line)
        number = order["order"]
        if cannot_fork:
            raise RuntimeError(cannot_fork)
        answer = {"order": number, "pid": _fork_kernel(order["argv"], order["env"], order["cwd"],
                                                         channel)}  # fmt: skip
    except Exception as exc:
        answer = {"order": number, "error": f"{type(exc).__name__}: {exc}"}
    return json.dumps(answer).encode() + b"\n"


def _kill_kernels(channel: int | None = None) -> None:
    """Kill each kernel's process group (the kernel and what it started): those ordered on
    ``channel``, or all."""
    for pid, ordered_on in list(_kernels.items()):
        if channel is None or ordered_on == channel:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def _end_now(_signum: int, _frame: object) -> None:
    """SIGTERM (the owner was killed, or ends the batch at once): the kernels go, then this."""
    _kill_kernels()
    os._exit(0)


def _import_once() -> None:
    """What every kernel imports as it starts, and the notebook's libraries (its warm-up).

    Raises
    ------
    RuntimeError
        When the imports leave a second thread (see the module's description).
    """
    import importlib


    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    # debugpy, imported with ipykernel's debugger, warns on stderr about Python's frozen
    # modules; a kernel captures its stderr before that import, the template does not.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name, value in SINGLE_THREADED.items():
        os.environ.setdefault(name, value)
    for module in (*KERNEL_MODULES, *ANALYSTS_MODULES):
        importlib.import_module(module)
    exec(WARM_UP, {})
    from ..content.sections import warm_up

    warm_up()  # what each forked kernel's cells would otherwise do first, done once here
    threads = os_threads()
    if threads is not None and len(threads) != 1:
        raise RuntimeError(f"the template runs {len(threads)} threads ({', '.join(threads)})")


def os_threads() -> list[str] | None:
    """The names of this process's threads as the system sees them (Linux), else None."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    names = []
    for task in tasks:
        with contextlib.suppress(OSError):
            names.append(Path(f"/proc/self/task/{task}/comm").read_text().strip())
    return names


def _reseed() -> None:
    """In each fork: NumPy's global random state anew, as a new kernel's (Python's reseeds itself)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _reap(kernels: dict[int, int], wait: float = 0.0) -> None:
    deadline = time.monotonic() + wait
    while kernels:
        for pid in list(kernels):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
            kernels.pop(pid, None)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def _fork_kernel(argv: list[str], env: dict[str, str], cwd: str, channel: int = -1) -> int:
    ready_read, ready_write = os.pipe()
    template = os.getpid()
    with signals_blocked(FORK_SIGNALS):  # the template's handlers are not the kernel's
        pid = os.fork()
        if pid == 0:  # the kernel
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # how jupyter_client may end it
                end_with_parent(signal.SIGKILL, template)
                os.close(ready_read)
                os.setsid()  # its own session and process group, as jupyter_client gives a kernel
            except BaseException:
                os._exit(1)
        else:
            _kernels[pid] = channel  # before any signal can ask for its end
    if pid == 0:
        try:
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
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)  # it has ended: leave no zombie
            _kernels.pop(pid, None)
            raise RuntimeError("the forked kernel ended before it started")
    finally:
        os.close(ready_read)
    return pid


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """In the forked child: take the kernel's streams, folder and environment, and run it."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd in _channels:  # a worker hears the template end when the template ends
        os.close(fd)
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


# -- the owner's and the workers' side ---------------------------------------------------------


class TemplateConnection:
    """A connection to a kernel template at ``address``; :meth:`fork` asks it for a fresh kernel.

    Raises OSError when no template listens there.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._socket.connect(address)
        except OSError:
            self._socket.close()
            raise
        self._pending = b""
        self._lock = threading.Lock()
        #: Why the template failed once; then it is asked no more.
        self.failure: str | None = None

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedProcess:
        """A new kernel run with ``argv`` (after ``python -m ipykernel_launcher``).

        Raises
        ------
        TemplateFailed
            The template has ended, failed to fork, or did not answer in time; then
            the connection is closed.
        """
        order = uuid.uuid4().hex
        line = json.dumps({"order": order, "argv": argv, "env": env, "cwd": cwd}).encode()
        with self._lock:
            try:
                self._socket.sendall(line + b"\n")
                answer = self._answer(order, time.monotonic() + ANSWER_TIMEOUT)
            except (OSError, ValueError, TemplateFailed) as exc:
                self._socket.close()
                raise TemplateFailed(f"the kernel template failed: {exc}") from None
            if "error" in answer:
                raise TemplateFailed(f"the kernel template could not fork: {answer['error']}")
            # Opened at once, while the kernel just forked runs: the pid is this kernel's.
            return ForkedProcess(int(answer["pid"]))

    def _answer(self, order: str, deadline: float) -> dict[str, Any]:
        """The answer to ``order``; answers to earlier orders (an interrupted fork) are passed over."""
        while True:
            newline = self._pending.find(b"\n")
            if newline >= 0:
                line, self._pending = self._pending[:newline], self._pending[newline + 1 :]
                answer = json.loads(line)
                if answer.get("order") == order:
                    return answer
                continue
            left = deadline - time.monotonic()
            if left <= 0 or not _readable(self._socket.fileno(), left):
                raise TemplateFailed(f"no answer in {ANSWER_TIMEOUT:g} s")
            chunk = self._socket.recv(65536)
            if not chunk:
                raise TemplateFailed("it ended without an answer")
            self._pending += chunk

    @property
    def open(self) -> bool:
        return self._socket.fileno() != -1

    def close(self) -> None:
        """Close the connection: the template kills the kernels ordered on it that still run."""
        with self._lock:
            self._socket.close()


class KernelTemplate:
    """A template process started by this one, which ends it (:meth:`close`), and this
    process's connection to it; the workers connect to :attr:`address` (see :meth:`connect`)."""

    def __init__(self, cwd: str | Path) -> None:
        """Start the template; raises OSError where it cannot listen (then kernels start the
        ordinary way)."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        #: In this process's private folder, which only this user can open; gone with it.
        self.address = str(private_dir() / f"template-{next(_template_numbers)}")
        command = [sys.executable, "-m", "dossier.run.kernel_template", str(listener.fileno())]
        # It ends with this process, told so by the thread that starts it: only where that
        # thread lives as long as the process (see lifetime.end_with_parent).
        if threading.current_thread() is threading.main_thread():
            command.append(str(os.getpid()))
        try:
            listener.bind(self.address)
            listener.listen(64)
            with signals_blocked([signal.SIGINT]):  # until it ignores Ctrl-C (see main)
                self.process = subprocess.Popen(
                    command, stdin=subprocess.PIPE, pass_fds=(listener.fileno(),), cwd=str(cwd)
                )
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.address)
            raise
        finally:
            listener.close()
        self._connection: TemplateConnection | None = None
        self._lock = threading.Lock()
        #: Why the template failed once; then it is asked no more.
        self.failure: str | None = None

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def connect(self) -> TemplateConnection:
        """A new connection to this template, for another process's kernels."""
        return TemplateConnection(self.address)

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedProcess:
        """A new kernel, ordered on this process's own connection (see
        :meth:`TemplateConnection.fork`); a template that failed is ended."""
        with self._lock:
            if not self.running:
                raise TemplateFailed(
                    f"the kernel template has ended (exit {self.process.returncode})"
                )
            try:
                if self._connection is None:
                    self._connection = self.connect()
                return self._connection.fork(argv, env, cwd)
            except OSError as exc:
                self._end()
                raise TemplateFailed(f"the kernel template failed: {exc}") from None
            except TemplateFailed:
                if not self._connection.open:  # it did not answer: it ends
                    self._end()
                raise

    def close(self) -> None:
        """End the template: it kills the kernels it forked that still run; its socket goes."""
        with self._lock:
            with contextlib.suppress(OSError):
                if self.process.stdin is not None:
                    self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._end()
            if self._connection is not None:
                self._connection.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.address)

    def _end(self) -> None:
        self.process.kill()
        self.process.wait()


class ForkedProcess:
    """A forked kernel seen from the worker, with the parts of ``Popen`` jupyter_client uses.

    The kernel is the template's child, not this process's: it is watched and
    signalled through a process file descriptor, which names this process and no
    later one that happens to get the same pid. Safe to use from several threads
    (a timeout interrupts from a timer's).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # already ended
            self._pidfd = None
            self.returncode = -1

    def poll(self) -> int | None:
        with self._lock:
            if self._pidfd is not None and _readable(self._pidfd, 0):
                self._close()
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        with self._lock:
            if self._pidfd is not None and not _readable(self._pidfd, timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            self._close()
            assert self.returncode is not None
            return self.returncode

    def send_signal(self, signum: int) -> None:
        with self._lock:
            if self._pidfd is not None:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _close(self) -> None:
        """Under the lock: the kernel has ended (its exit status went to the template)."""
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self.returncode is None:
            self.returncode = -1


def _readable(fd: int, timeout: float | None) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching a kernel by asking the template to fork.

    Without a template (:attr:`template` None), or where the template has failed, or for a
    kernel spec that does not run this Python's ipykernel, it launches as jupyter_client's own.
    """

    template: KernelTemplate | TemplateConnection | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        template = self.template
        if template is None or template.failure or cmd[:3] != [sys.executable, *LAUNCHER]:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        try:
            self.process = template.fork(cmd[3:], env, cwd)
        except TemplateFailed as exc:
            # Said once, on the terminal: the batch goes on, slower, with ordinary kernels.
            template.failure = str(exc)
            print(f"dossier: kernels start the ordinary way (slower): {exc}", file=sys.stderr)
            return await super().launch_kernel(cmd, **kwargs)
        self.pid = self.pgid = self.process.pid  # the kernel leads its own process group
        self.cwd = cwd
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        # Once the kernel has ended its process group may be gone, and its number free again.
        if isinstance(self.process, ForkedProcess) and self.process.poll() is not None:
            return
        await super().send_signal(signum)


if __name__ == "__main__":
    main(int(sys.argv[1]), *(int(pid) for pid in sys.argv[2:3]))
