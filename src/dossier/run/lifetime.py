"""How a batch's processes end together: none outlives the process that started it.

A batch starts worker processes and a kernel template, the template its
kernels. Killed (SIGKILL, or out of memory), the batch has no chance to end
them; so each asks the system to signal it when its parent ends
(:func:`end_with_parent`, Linux's ``PR_SET_PDEATHSIG``). Elsewhere that does
nothing, and a worker lives on until its work runs out, as before.

Signals are blocked while a process is forked or spawned
(:func:`signals_blocked`): the new process starts with them blocked and
unblocks them once it has set what they do, so that none lands before.

A batch waits for its dossiers with :func:`as_completed`, which a signal
always wakes: the system may hand a process's Ctrl-C to any of its threads
(the libraries' threads among them), and a main thread asleep on a lock
sleeps on through a signal that another thread took.

What a process keeps on disk while it works (its kernels' connection files and
sockets, a render's scratch folder) goes in a folder of its own
(:func:`private_dir`), removed as the process ends, or by the next process
that makes one if it was killed.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent import futures as _futures
from pathlib import Path
from typing import IO, Protocol, TypeVar

import portalocker

#: prctl's option that sets the signal a process gets when its parent ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1


def end_with_parent(signum: int, parent: int) -> None:
    """Have the system send ``signum`` to this process when ``parent``, its parent, ends.

    The signal comes when the *thread* that started this process ends, so start
    such a process from a thread that lives as long as its process (the main
    thread). If ``parent`` has ended already, this process ends at once.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it ended before the request: no signal will come
        os._exit(128 + signum)


@contextlib.contextmanager
def signals_blocked(signals: Iterable[int]) -> Iterator[None]:
    """Hold ``signals`` back in this thread until the block ends; processes it starts meanwhile
    begin with them held back too.

    A signal sent to this thread meanwhile waits for the end of the block (one sent
    to the process may be taken by another of its threads).
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks, nothing to hold
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Future(Protocol):
    def add_done_callback(self, fn, /) -> None: ...


F = TypeVar("F", bound=_Future)


def as_completed(pending: Iterable[F]) -> Iterator[F]:
    """Each of ``pending`` as it completes, as :func:`concurrent.futures.as_completed` yields
    them, but a signal to this process (Ctrl-C, SIGTERM) ends the wait at once.

    Python runs a signal's handler in the main thread, and a main thread asleep
    on a lock wakes only for a signal the system gave to that thread: one that
    another thread took, or that came just before it fell asleep, waits until
    the next future completes, and with a dossier that does not end, for ever.
    Here the main thread sleeps in ``select`` on a pipe that both the completed
    futures and the signals write to (:func:`signal.set_wakeup_fd`, the self-pipe
    that asyncio uses). Outside the main thread, or where another wakeup file is
    set (an event loop's), this is :func:`concurrent.futures.as_completed`.
    Works with any future that takes done callbacks (Dask's too).
    """
    pending = set(pending)
    if threading.current_thread() is not threading.main_thread():
        yield from _futures.as_completed(pending)
        return
    wakeup = _Wakeup()
    try:
        previous = signal.set_wakeup_fd(wakeup.write.fileno(), warn_on_full_buffer=False)
        if previous != -1:
            signal.set_wakeup_fd(previous)
            yield from _futures.as_completed(pending)
            return
        try:
            for future in list(pending):
                future.add_done_callback(wakeup.completed)
            while pending:
                select.select([wakeup.read], [], [])  # a signal's handler runs past here
                for future in wakeup.drain():
                    pending.discard(future)
                    yield future
        finally:
            signal.set_wakeup_fd(-1)
    finally:
        wakeup.close()


class _Wakeup:
    """A pair of connected sockets that wakes the waiting main thread, and the futures completed
    since it last woke (sockets, not a pipe: on Windows only a socket can be selected on, or
    take a signal's wakeup)."""

    def __init__(self) -> None:
        self.read, self.write = socket.socketpair()
        self.read.setblocking(False)
        self.write.setblocking(False)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._open = True

    def completed(self, future: object) -> None:
        """A future's done callback, in whatever thread completes it."""
        self.done.put(future)
        with self._lock:
            if self._open:  # never a write to a descriptor closed, and perhaps reused since
                with contextlib.suppress(BlockingIOError):  # full: it wakes the reader anyway
                    self.write.send(b"\0")

    def drain(self) -> list:
        with contextlib.suppress(BlockingIOError):
            while self.read.recv(4096):
                pass
        completed = []
        with contextlib.suppress(queue.Empty):
            while True:
                completed.append(self.done.get_nowait())
        return completed

    def close(self) -> None:
        with self._lock:
            self._open = False
            self.read.close()
            self.write.close()


# -- a process's private folder -----------------------------------------------------------------

#: The start of the name of each process's private folder, in the system's temporary folder.
PRIVATE_PREFIX = "dossier-process-"
#: The longest path a socket may have (the room in sockaddr_un's sun_path on Linux).
SOCKET_PATH_MAX = 107
#: The room a process's folder and its sockets' names take after the temporary folder.
FOLDER_ROOM = len(f"/{PRIVATE_PREFIX}4194304-abcdefgh/kernel-99999-9")
#: Whether a folder can be opened and locked (not on Windows): there a killed process's folder
#: is known by its free lock. Elsewhere it stays in the temporary folder.
FOLDER_LOCKS = hasattr(os, "O_DIRECTORY")
_private_lock = threading.Lock()
#: This process's folder and its pid (a forked child makes its own).
_private: tuple[Path, int] | None = None


def private_dir() -> Path:
    """This process's private folder: its kernels' connection files and sockets, its renders'
    scratch folders.

    Made on first use in the system's temporary folder, for this user only, and
    removed when the process exits. The process holds a lock on it (``flock``)
    for as long as it lives: a folder whose lock is free was left by a process
    that is gone (killed, say), and the first use removes every such folder of
    this user's, whoever left it.
    """
    global _private
    with _private_lock:
        if _private is None or _private[1] != os.getpid():
            remove_abandoned_dirs()
            _private = (_make_private_dir(), os.getpid())
        return _private[0]


def remove_private_dir_now() -> None:
    """Remove this process's private folder, for a process that must end at once."""
    if _private is not None and _private[1] == os.getpid():
        shutil.rmtree(_private[0], ignore_errors=True)


def remove_abandoned_dirs(*bases: str | Path) -> list[Path]:
    """Remove the private folders of this user's processes that are gone; return them.

    They are looked for in ``bases``, by default where :func:`private_dir` makes them.
    """
    removed: list[Path] = []
    if not FOLDER_LOCKS:
        return removed
    folders = [path for base in bases or _bases() for path in Path(base).glob(f"{PRIVATE_PREFIX}*")]
    for path in folders:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:  # not a folder, or gone already
            continue
        try:
            if os.fstat(fd).st_uid != os.getuid():
                continue
            if not try_lock(fd):  # its process is alive
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)  # and with it the lock
    return removed


def try_lock(file: int | IO) -> bool:
    """Take the lock on an open file (or folder, where it can be opened) if no other process
    holds it; False if one does. Held until the file is closed. ``flock`` on Linux and macOS,
    ``LockFileEx`` on Windows (portalocker)."""
    try:
        portalocker.lock(file, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.AlreadyLocked:
        return False
    return True


def _bases() -> list[Path]:
    """The temporary folder; and /tmp, where a private folder goes when the first's path is too
    long for the sockets in it (a long TMPDIR)."""
    return list(dict.fromkeys([Path(tempfile.gettempdir()), Path("/tmp")]))


def _make_private_dir() -> Path:
    bases = _bases()
    fits = [b for b in bases if len(str(b)) + FOLDER_ROOM <= SOCKET_PATH_MAX and b.is_dir()]
    base = (fits or bases)[0]
    while True:
        folder = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=base))
        if not FOLDER_LOCKS:
            atexit.register(_remove_private_dir, folder, None, os.getpid())
            return folder
        lock = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # not inherited by kernels
        portalocker.lock(lock, portalocker.LockFlags.EXCLUSIVE)
        # Another process may have taken it for stale in the moment before the lock; it is gone then.
        if os.fstat(lock).st_nlink > 0:
            break
        os.close(lock)
    atexit.register(_remove_private_dir, folder, lock, os.getpid())
    return folder


def _remove_private_dir(folder: Path, lock: int | None, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child, whose parent still uses it
        shutil.rmtree(folder, ignore_errors=True)
        if lock is not None:
            os.close(lock)
