"""Processes that end with their parent, signals held back while a process starts, and the
folder each process keeps while it lives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from processes import FROM_A_TERMINAL, gone_within

from dossier.run.lifetime import as_completed, remove_abandoned_dirs, signals_blocked

linux = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")

#: Waits in as_completed for a future that never completes, its main thread deaf to SIGINT: only
#: another thread can take the Ctrl-C, sent once the main thread calls ``select`` to sleep.
DEAF_MAIN_THREAD = textwrap.dedent("""
    import os, signal, sys, threading
    from concurrent.futures import Future
    from dossier.run.lifetime import as_completed

    sleeping = threading.Event()
    def ctrl_c_from_another_thread():
        sleeping.wait()
        os.kill(os.getpid(), signal.SIGINT)  # the system hands it to this thread: main blocks it
    def watch(frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") == "select":
            sys.setprofile(None)
            sleeping.set()
    threading.Thread(target=ctrl_c_from_another_thread, daemon=True).start()
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    sys.setprofile(watch)
    try:
        for future in as_completed([Future(), Future()]):
            print("completed?", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    assert signal.set_wakeup_fd(-1) == -1  # the wait gave back the wakeup file it took
""")

CHILD = textwrap.dedent("""
    import os, signal, sys
    from dossier.run.lifetime import end_with_parent
    end_with_parent(signal.SIGKILL, int(sys.argv[1]))
    print(os.getpid(), flush=True)
    sys.stdin.read()  # lives until its stdin closes, or the signal comes
""")


def test_a_signal_that_another_thread_takes_still_ends_the_wait_for_dossiers():
    """The lost Ctrl-C of a batch: the main thread asleep on a lock never learnt of it."""
    done = subprocess.run([*FROM_A_TERMINAL, sys.executable, "-c", DEAF_MAIN_THREAD],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted\n", "")


def test_the_wait_for_dossiers_yields_each_as_it_completes_in_any_thread():
    import threading
    from concurrent.futures import Future, ThreadPoolExecutor

    early, late, never_waited = Future(), Future(), []
    early.set_result("early")
    with ThreadPoolExecutor(1) as pool:
        waiting = as_completed([late, early])
        assert next(waiting).result() == "early"
        pool.submit(late.set_result, "late")
        assert next(waiting).result() == "late"
        assert list(waiting) == []
        # Outside the main thread it is the standard library's wait.
        thread = threading.Thread(target=lambda: never_waited.extend(as_completed([early])))
        thread.start()
        thread.join()
    assert never_waited == [early]
    assert signal.set_wakeup_fd(-1) == -1


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


HOLDER = textwrap.dedent("""
    import sys
    from dossier.run.lifetime import private_dir
    print(private_dir(), flush=True)
    sys.stdin.read()  # lives until the test closes its stdin (or kills it)
""")


def holder(tmp: Path) -> tuple[subprocess.Popen, Path]:
    """A process that has made its private folder in ``tmp`` and lives on."""
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
        assert remove_abandoned_dirs(short_tmp) == [dead_folder]
        assert not dead_folder.exists()
        assert alive_folder.is_dir()
    finally:
        living.stdin.close()
        living.wait()
        killed.stdout.close()
        living.stdout.close()
    assert not alive_folder.exists()  # removed by its process as it ended
    assert remove_abandoned_dirs(short_tmp) == []


def test_a_temporary_folder_too_long_for_sockets_gives_way_to_tmp(tmp_path):
    """A socket's path has room for 107 bytes; a long TMPDIR would leave none for the names."""
    long = tmp_path / ("x" * 100)
    long.mkdir()
    probe = "from dossier.run.lifetime import private_dir; print(private_dir())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(long)}, timeout=60, check=True)  # fmt: skip
    folder = Path(done.stdout.strip())
    assert folder.parent == Path("/tmp")
    assert not folder.exists()  # removed as its process ended


WITHOUT_FCNTL = Path(__file__).parent / "fixtures" / "without_fcntl"


def test_the_commands_run_where_fcntl_and_forked_kernels_are_missing(tmp_path):
    """As on Windows or macOS: no ``fcntl`` for dossier's own code, kernels started the
    ordinary way (the switch for forked kernels off); check, notebook and mail too."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(WITHOUT_FCNTL), os.environ.get("PYTHONPATH")])),
           "DOSSIER_FAST_KERNELS": "0"}  # fmt: skip
    blocked = subprocess.run([sys.executable, "-c", "import dossier.run.output"], env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert blocked.returncode == 0, blocked.stderr
    probe = "from dossier.run.kernel_template import can_fork_kernels; print(can_fork_kernels())"
    assert subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=60).stdout == "False\n"  # fmt: skip
    dossier = [sys.executable, "-m", "dossier.cli"]
    render = subprocess.run([*dossier, "render", "RUN/168/2020", "--out", tmp_path / "one",
                             "--as-of", "2023-06-01", "--format", "html", "--quiet"],
                            env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert render.returncode == 0, render.stderr
    assert (tmp_path / "one" / "RUN-168-2020" / "RUN-168-2020.html").is_file()
    batch = subprocess.run([*dossier, "batch", "RUN/168/2020", "RUN/136/2022", "--workers", "1",
                            "--out", tmp_path / "two", "--as-of", "2023-06-01", "--format", "html"],
                           env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    assert "2 done, 0 skipped, 0 failed" in batch.stdout
    for command in (["check"], ["notebook", "RUN/168/2020", "--dir", tmp_path / "notebooks"],
                    ["mail", "RUN/168/2020", "--to", "anna@example.se", "--out", tmp_path / "one",
                     "--as-of", "2023-06-01", "--attach", "html"]):  # fmt: skip
        done = subprocess.run([*dossier, *command], env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert list((tmp_path / "one" / "outbox").glob("*.eml"))
