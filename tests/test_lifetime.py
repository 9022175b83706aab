"""Processes that end with their parent, and signals held back while a process starts."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from processes import gone_within

from dossier.run.lifetime import signals_blocked

linux = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")

CHILD = textwrap.dedent("""
    import os, signal, sys
    from dossier.run.lifetime import end_with_parent
    end_with_parent(signal.SIGKILL, int(sys.argv[1]))
    print(os.getpid(), flush=True)
    sys.stdin.read()  # lives until its stdin closes, or the signal comes
""")


@linux
def test_a_process_ends_when_its_parent_is_killed():
    # The child's stdin is the test's pipe: it does not close when the parent dies.
    parent_script = textwrap.dedent(f"""
        import os, subprocess, sys
        subprocess.Popen([sys.executable, "-c", {CHILD!r}, str(os.getpid())]).wait()
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        child = int(parent.stdout.readline())
        parent.kill()
        parent.wait()
        assert gone_within([child], 5)
    finally:
        parent.kill()
        parent.stdin.close()
        parent.stdout.close()


@linux
def test_a_process_whose_parent_ended_before_it_asked_ends_at_once():
    """The parent it names is not its parent: that one ended, and no signal would come."""
    done = subprocess.run([sys.executable, "-c", CHILD, "1"], capture_output=True, timeout=60)
    assert done.returncode == 128 + signal.SIGKILL
    assert done.stdout == b""


def test_a_process_started_while_signals_are_blocked_begins_with_them_blocked():
    probe = "import signal; print(sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])))"
    with signals_blocked([signal.SIGINT]):
        inside = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                timeout=60, check=True)  # fmt: skip
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert inside.stdout.strip() == str([signal.SIGINT])
