"""The ``dossier`` command line: numbers refused as they are read, a reader that goes away.

Every number option is checked for its range when the command line is read: exit 2
with the allowed range, before any data is read or any kernel starts (the output
folder is never made). A closed stdout ends the command quietly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO
from processes import FROM_A_TERMINAL, dossier, refused

from dossier.cli import main
from dossier.errors import ParameterError
from dossier.share.outbox import smtp_settings

CASE = "RUN/168/2020"
MAIL = ["mail", CASE, "--to", "anna@example.se"]
TOO_LONG = "9" * 400  # float() makes it inf; int(inf) was an OverflowError


@pytest.mark.parametrize(
    ("args", "option", "allowed"),
    [
        (["render", CASE, "--inactive-months", "999999999999"], "--inactive-months", "1 to 1200"),
        (["batch", "--inactive-months", "0"], "--inactive-months", "1 to 1200"),
        ([*MAIL, "--inactive-months", "999999999999"], "--inactive-months", "1 to 1200"),
        (["batch", CASE, "--workers", "100000"], "--workers", "1 to 256"),
        ([*MAIL, "--workers", "0"], "--workers", "1 to 256"),
        (["render", CASE, "--timeout", "inf"], "--timeout", "at most 86400"),
        ([*MAIL, "--max-size", TOO_LONG], "--max-size", "1B to 1000MB"),
        ([*MAIL, "--max-size", "0.1B"], "--max-size", "1B to 1000MB"),
        ([*MAIL, "--send", "--smtp-port", "70000"], "--smtp-port", "1 to 65535"),
        ([*MAIL, "--send", "--smtp-timeout", "nan"], "--smtp-timeout", "at most 3600"),
        ([*MAIL, "--send", "--smtp-timeout", "1e300"], "--smtp-timeout", "at most 3600"),
        (["render", CASE, "--as-of", "0001-01-01"], "--as-of", "1000 to 9999"),
        (["batch", CASE, "--since", "0999-12-31"], "--since", "1000 to 9999"),
    ],
)  # fmt: skip
def test_a_number_out_of_range_is_refused_as_it_is_read(args, option, allowed, tmp_path, capsys):
    out = tmp_path / "dossiers"
    with pytest.raises(SystemExit) as stopped:
        main([*args, "--out", str(out)])
    assert stopped.value.code == 2
    stderr = capsys.readouterr().err
    assert f"argument {option}:" in stderr and allowed in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


@pytest.mark.parametrize("timeout", ["nan", "1e300", "0"])
def test_an_smtp_timeout_from_the_environment_is_checked_too(timeout):
    environ = {"DOSSIER_SMTP_HOST": "smtp.example.se", "DOSSIER_SMTP_TIMEOUT": timeout}
    with pytest.raises(ParameterError, match=r"^DOSSIER_SMTP_TIMEOUT .*at most 3600"):
        smtp_settings({}, {}, environ)


def test_an_address_longer_than_smtp_allows_stops_before_anything_is_rendered(tmp_path, capsys):
    out = tmp_path / "dossiers"
    code = main(["mail", CASE, "--to", "a" * 300 + "@example.se", "--out", str(out)])
    stderr = capsys.readouterr().err
    assert code == 2
    assert "the part before @ is 300 characters long" in stderr and "at most 64" in stderr
    assert not out.exists()


def test_a_reader_that_has_gone_ends_the_command_quietly():
    """``dossier check | head -1`` when head has already gone: no traceback, SIGPIPE's status."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails with EPIPE
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "dossier.cli", "check"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert finished.stderr.decode() == ""
    assert finished.returncode == 141  # 128 + SIGPIPE, as a shell reports for cat


#: A command during which Ctrl-C (or SIGTERM) comes while a finaliser runs: Python cannot
#: raise it there, says "Exception ignored", and the command would go on to its end.
INTERRUPTED_IN_A_FINALISER = textwrap.dedent("""
    import signal, sys, time
    import dossier.cli as cli

    class Collected:
        def __del__(self):
            signal.raise_signal(int(sys.argv[1]))  # the signal's handler runs in here

    def command(args):
        Collected()  # dropped at once: its finaliser runs now
        deadline = time.monotonic() + 60  # only a guard: the interrupt ends this at once
        while time.monotonic() < deadline:
            pass
        print("finished", flush=True)
        return 0

    cli.COMMANDS["check"] = command
    sys.exit(cli.main(["check"]))
""")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_ctrl_c_that_lands_in_a_finaliser_still_stops_the_command(signum):
    done = subprocess.run([*FROM_A_TERMINAL, sys.executable, "-c", INTERRUPTED_IN_A_FINALISER,
                           str(int(signum))], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout) == (128 + signum, "")
    assert done.stderr == f"dossier: {'interrupted' if signum == signal.SIGINT else 'terminated'}\n"


# -- what a user may type that the tool cannot take: one clear line, exit 2 --------------------


@pytest.fixture
def a_file(tmp_path) -> Path:
    file = tmp_path / "anteckningar.txt"
    file.write_text("the user's own notes", encoding="utf-8")
    return file


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["render", CASE, "--out", "a" * 300], ["--out aaaa", "(300 characters)", "a name of 300 bytes"]),
        (["batch", CASE, "--out", "/".join(["b" * 200] * 25)], ["--out bbbb", "4,095"]),
        *[([*command, option, "c" * 300], [f"{option} cccc", "255 for one name"])
          for command, option in ((["batch", CASE], "--notebooks"), (["render", CASE], "--compare-with"),
                                  (["check"], "--data"), (["batch", CASE], "--mapping"),
                                  (["batch"], "--cases-file"), (["notebook", CASE], "--dir"),
                                  (["demo-data"], "--out"), ([*MAIL, "--send"], "--ca-file"))],
        (["batch", CASE, "--executor", "dask", "--scheduler", "foo://x:1"],
         ["--scheduler", "'foo://x:1'", "tcp://HOST:PORT"]),
        (["batch", CASE, "--executor", "dask", "--scheduler", "x"], ["--scheduler x", "port"]),
    ],
    ids=["out-300", "out-past-path-max", "notebooks", "compare-with", "data", "mapping", "cases-file",
         "dir", "demo-data-out", "ca-file", "scheduler-scheme", "scheduler-no-port"],
)  # fmt: skip
def test_an_option_no_file_system_or_cluster_takes_is_refused(args, named, tmp_path):
    refused(dossier(*args), *named)


def test_demo_data_into_an_existing_file_is_refused(a_file):
    refused(dossier("demo-data", "--out", a_file, "--cases", "2"), f"--out {a_file}", "not a folder")
    assert a_file.read_text(encoding="utf-8") == "the user's own notes"


def test_a_notebooks_dir_that_is_a_file_is_refused(a_file):
    refused(dossier("notebook", CASE, "--dir", a_file), str(a_file), "give --dir a folder")
    assert a_file.read_text(encoding="utf-8") == "the user's own notes"


def test_force_never_replaces_a_folder(tmp_path):
    (tmp_path / "RUN-168-2020.ipynb").mkdir()
    refused(dossier("notebook", CASE, "--dir", tmp_path, "--force"),
            str(tmp_path / "RUN-168-2020.ipynb"), "not a notebook file")  # fmt: skip
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "sample", data)
    (data / "dossier.toml").unlink()  # the sample's, which says its language
    (data / "dossier.toml").mkdir()
    refused(dossier("init-mapping", "--data", data, "--force"),
            str(data / "dossier.toml"), "is a folder")  # fmt: skip
    assert (tmp_path / "RUN-168-2020.ipynb").is_dir() and (data / "dossier.toml").is_dir()


def test_a_terminal_that_takes_no_a_ring_gets_every_line_escaped():
    """``PYTHONIOENCODING=ascii``: å would end the report in a UnicodeEncodeError traceback."""
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = dossier("check", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert "l\\xe4nsgemensam" in done.stdout
    stderr = refused(dossier("render", "RUN/168/202", env=env), "RUN/168/2020")
    assert "Reading the data in" in stderr and "\\u2026" in stderr  # the stage's "…", escaped


@pytest.fixture
def full_temporary_folder() -> Iterator[Path]:
    """A temporary folder with a few KiB free: a tmpfs of its own (root only, else skipped).

    Its path is short, as a TMPDIR the kernels' sockets fit in (a long one is passed over).
    """
    folder = Path(tempfile.mkdtemp(prefix="full-", dir="/tmp"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        # Room for the probe tempfile.gettempdir() writes, not for a render.
        (folder / "fill").write_bytes(b"\0" * 48 * 1024)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def test_a_full_temporary_folder_is_said_so(full_temporary_folder, tmp_path):
    env = {**os.environ, "TMPDIR": str(full_temporary_folder)}
    out = tmp_path / "out"
    refused(dossier("render", CASE, "--out", out, "--format", "html", env=env),
            f"the temporary folder {full_temporary_folder} is full", "TMPDIR")  # fmt: skip
    assert not (out / "RUN-168-2020").exists()


@pytest.mark.parametrize("cases", [[CASE], ["--cases-file", "/dev/null"]], ids=["case-ids", "cases-file"])
def test_a_meeting_batch_takes_no_case_ids_as_mail_does(cases, tmp_path):
    out = tmp_path / "out"
    refused(dossier("batch", *cases, "--meeting", "RUN-2023-06", "--out", out), "--meeting", "not both")
    assert not out.exists()
