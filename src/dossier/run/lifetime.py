"""How a batch's processes end together: none outlives the process that started it.

A batch starts worker processes, each worker a kernel template, each template
its kernels. Killed (SIGKILL, or out of memory), the batch has no chance to end
them; so each asks the system to signal it when its parent ends
(:func:`end_with_parent`, Linux's ``PR_SET_PDEATHSIG``). Elsewhere that does
nothing, and a worker lives on until its work runs out, as before.

Signals are blocked while a process is forked or spawned
(:func:`signals_blocked`): the new process starts with them blocked and
unblocks them once it has set what they do, so that none lands before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Iterable, Iterator

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
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
