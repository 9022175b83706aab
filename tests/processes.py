"""Watching processes from the tests: wait for what a process leaves, and for processes to end.

Waits here poll for an event (a file appears, a process ends); their limits only keep a hung
run from hanging the tests, or are the time a behaviour is specified to take.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

#: The project's folder, where a user's commands run.
REPO = Path(__file__).resolve().parents[1]
#: Seconds a run may take in these tests before it counts as hung.
HUNG = 300
#: Put before a command that is to hear Ctrl-C: it starts with SIGINT as a terminal gives it.
#: A shell starts a background job (``make test &``, a CI runner's) with SIGINT ignored, and
#: every process started below it inherits that (Python leaves an ignored SIGINT ignored).
FROM_A_TERMINAL = ["env", "--default-signal=INT"]


def wait_for_path(folder: Path, pattern: str, process: subprocess.Popen | None = None) -> Path:
    """The first path in ``folder`` that matches ``pattern``, once there is one.

    Fails if ``process`` ends first, or after :data:`HUNG` seconds.
    """
    deadline = time.monotonic() + HUNG
    while not (found := sorted(folder.glob(pattern))):
        assert process is None or process.poll() is None, f"ended before {pattern} appeared"
        assert time.monotonic() < deadline, f"{pattern} did not appear in {folder}"
        time.sleep(0.02)
    return found[0]


#: The environment variable that marks every process a test's run starts, however deep.
MARK = "DOSSIER_TEST_RUN"


def marked(mark: str) -> list[psutil.Process]:
    """The live processes whose environment has :data:`MARK` set to ``mark``.

    A process started with that environment passes it on to what it starts, and
    forked kernels keep it: this finds a run's processes also once their parent
    is gone and they belong to no one.
    """
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARK) == mark and _alive(process):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def marked_after(mark: str, seconds: float) -> list[psutil.Process]:
    """The processes still marked ``mark`` ``seconds`` from now at most (none: at once)."""
    deadline = time.monotonic() + seconds
    while (found := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def family(pid: int) -> list[psutil.Process]:
    """Every process ``pid`` has started that still runs: workers, templates, kernels, …"""
    return psutil.Process(pid).children(recursive=True)


def alive_after(processes: Iterable[psutil.Process | int], seconds: float) -> list[psutil.Process]:
    """Those of ``processes`` still alive (not ended, not a zombie) ``seconds`` from now at most.

    Returns as soon as all have ended; a process found ended is never asked again (its
    number may be given to another).
    """
    waiting = [p if isinstance(p, psutil.Process) else _process(p) for p in processes]
    waiting = [p for p in waiting if p is not None]
    deadline = time.monotonic() + seconds
    while True:
        waiting = [p for p in waiting if _alive(p)]
        if not waiting or time.monotonic() >= deadline:
            return waiting
        time.sleep(0.05)


def gone_within(processes: Iterable[psutil.Process | int], seconds: float) -> bool:
    """Whether all of ``processes`` end within ``seconds``."""
    return alive_after(processes, seconds) == []


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def _alive(process: psutil.Process) -> bool:
    try:  # is_running also tells a new process that took the number from the one we knew
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def dossier(*args: str | Path, env: dict[str, str] | None = None,
            timeout: float = HUNG) -> subprocess.CompletedProcess:  # fmt: skip
    """``dossier ARGS`` as a user runs it: a child process, its output as text."""
    return subprocess.run([sys.executable, "-m", "dossier.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env=env)  # fmt: skip


def refused(finished: subprocess.CompletedProcess, *named: str) -> str:
    """Assert a run was refused as bad input: exit 2, one message naming each of ``named``.

    Returns the message (stderr) for any further look.
    """
    stderr = finished.stderr
    assert "Traceback" not in stderr, stderr
    assert finished.returncode == 2, (finished.returncode, stderr)
    assert "dossier: " in stderr or stderr.startswith("usage: "), stderr
    for name in named:
        assert name in stderr, (name, stderr)
    return stderr


def data_libraries() -> list[str]:
    """Those of the data libraries this process has imported (run in a worker: this module
    imports none of dossier's)."""
    return sorted(name for name in ("pyarrow", "numpy", "pandas") if sys.modules.get(name))


def held_and_watched() -> int:
    """Run in a worker: 200,000 objects held to the end, and each garbage collection told."""
    import gc

    import dossier.run.workers as worker

    worker._held_for_test = [[n] for n in range(200_000)]
    gc.set_debug(gc.DEBUG_STATS)  # each collection prints what it walks, on stderr
    return os.getpid()
