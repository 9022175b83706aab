"""The ``dossier`` command line: parses arguments and hands over; no logic lives here.

One module per command (``render``, ``batch``, ``mail``, ``notebook``, ``ingest`` for
``import``, and ``data`` for ``check``, ``init-mapping`` and ``demo-data``); the options
they share in ``options``. May import every stage; nothing imports it.
"""

from __future__ import annotations

import _thread
import argparse
import atexit
import contextlib
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence

from .. import __version__
from ..errors import DossierError, Stopped
from .batch import run_batch
from .data import run_check, run_demo_data, run_init_mapping
from .ingest import add_import_parser, run_import
from .mail import add_mail_parser, run_mail
from .notebook import add_notebook_parser, run_notebook
from .options import (
    MAX_WORKERS,
    add_data_option,
    add_render_options,
    add_strict_option,
    check_path_lengths,
    positive,
    scheduler_address,
    worker_count,
)
from .render import run_render


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier",
        description="Reproducible case dossiers from a case registry and meeting records.",
    )
    parser.add_argument("--version", action="version", version=f"dossier {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check_parser(commands)
    _add_render_parser(commands)
    _add_batch_parser(commands)
    _add_demo_data_parser(commands)
    add_import_parser(commands)
    add_mail_parser(commands)
    add_notebook_parser(commands)
    _add_init_mapping_parser(commands)
    return parser


def _add_check_parser(commands) -> None:
    check = commands.add_parser("check", help="validate a data folder and print a short report")
    add_data_option(check)
    add_strict_option(check)
    check.add_argument("--explain", action="store_true",
                       help="first show how each source column and label is mapped, and what is not")  # fmt: skip


def _add_render_parser(commands) -> None:
    render = commands.add_parser(
        "render", help="render one case's dossier (HTML, PDF, notebook, manifest)"
    )
    render.add_argument(
        "case_id", metavar="CASE_ID", help="the case's registry number, e.g. RUN/168/2020"
    )
    add_data_option(render)
    add_render_options(render)
    add_strict_option(render)
    render.add_argument("--quiet", action="store_true",
                        help="say nothing while rendering (by default: each stage on stderr, "
                             "or a progress bar on a terminal)")  # fmt: skip


def _add_batch_parser(commands) -> None:
    batch = commands.add_parser(
        "batch", help="render many dossiers in parallel; skip unchanged ones"
    )
    batch.add_argument("case_ids", nargs="*", metavar="CASE_ID", help="cases to render")
    batch.add_argument(
        "--meeting",
        metavar="MEETING_ID",
        help="the cases on this meeting's agenda, in agenda order, plus the meeting pack",
    )
    batch.add_argument("--all-open", action="store_true", help="every open case")
    batch.add_argument("--cases-file", metavar="FILE", help="a file with one case ID per line")
    add_data_option(batch)
    add_render_options(batch)
    add_strict_option(batch)
    batch.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        metavar="N",
        help=f"dossiers rendered at once, each in its own process (default: the number of cores; at most {MAX_WORKERS})",
    )
    batch.add_argument(
        "--force",
        action="store_true",
        help="render every case, even those whose dossier is current",
    )
    batch.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local worker processes (default) or a Dask cluster",
    )
    batch.add_argument("--scheduler", metavar="ADDRESS", type=scheduler_address,
                       help="the Dask scheduler, e.g. tcp://10.0.0.5:8786")  # fmt: skip


def _add_demo_data_parser(commands) -> None:
    demo = commands.add_parser(
        "demo-data", help="write a synthetic data folder for tests and benchmarks"
    )
    demo.add_argument("--cases", type=positive, default=100, help="number of cases (default 100)")
    demo.add_argument("--events-per-case", type=positive, default=20, metavar="M",
                      help="events in each case (default 20)")  # fmt: skip
    demo.add_argument("--out", required=True, metavar="DIR",
                      help="folder to write the CSV files to (created)")  # fmt: skip
    demo.add_argument(
        "--seed", type=int, default=1, help="random seed; the same seed gives the same files"
    )


def _add_init_mapping_parser(commands) -> None:
    init_mapping = commands.add_parser(
        "init-mapping", help="write a starter dossier.toml for an export with its own headers"
    )
    init_mapping.add_argument("--data", required=True, metavar="DIR", help="the export's folder")
    init_mapping.add_argument("--out", default=None, metavar="FILE",
                              help="where to write it (default: DIR/dossier.toml)")  # fmt: skip
    init_mapping.add_argument("--force", action="store_true", help="replace an existing file")


COMMANDS = {
    "check": run_check,
    "render": run_render,
    "batch": run_batch,
    "demo-data": run_demo_data,
    "mail": run_mail,
    "init-mapping": run_init_mapping,
    "notebook": run_notebook,
    "import": run_import,
}


def main(argv: Sequence[str] | None = None) -> int:
    from ..run.execute import skip_iri_checks

    skip_iri_checks()
    _speak_any_encoding()
    # The interpreter's last garbage collection walks every object only to free memory the
    # operating system takes back at exit anyway (about 0.3 s after a render).
    atexit.register(gc.freeze)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_path_lengths(parser, args)
        with _sigterm_stops(), _interrupts_never_lost():
            status = COMMANDS[args.command](args)
        sys.stdout.flush()  # here, not at exit: a reader that has gone is met inside the try
        return status
    except BrokenPipeError:
        return _reader_gone()
    except DossierError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Stopped): one line, no traceback
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        print(f"dossier: {'interrupted' if signum == signal.SIGINT else 'terminated'}",
              file=sys.stderr)  # fmt: skip
        return 128 + signum


def _speak_any_encoding() -> None:
    """A terminal or pipe that takes no å (``PYTHONIOENCODING=ascii``, ``LANG=C`` on an old
    system) gets ``\xe5`` for it rather than a traceback instead of the whole message."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):  # replaced, or closed
            stream.reconfigure(errors="backslashreplace")


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """While the command runs, SIGTERM stops it as Ctrl-C does: what it started ends cleanly."""
    if threading.current_thread() is not threading.main_thread():  # signals reach only that one
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)



@contextlib.contextmanager
def _interrupts_never_lost() -> Iterator[None]:
    """While the command runs, a Ctrl-C (or SIGTERM) that lands in a finaliser still stops it.

    Python runs a signal's handler in whatever the main thread runs at that moment; in
    an object's ``__del__`` or a weak reference's callback (the garbage collector's, a
    library's) the ``KeyboardInterrupt`` it raises cannot propagate: Python prints
    "Exception ignored … KeyboardInterrupt" and goes on, and the render ends as if no
    Ctrl-C had come. Here such an interrupt is raised again once the finaliser has
    returned: a helper thread hands the signal to the main thread anew
    (:func:`_thread.interrupt_main`), which takes it at its next step, outside the
    finaliser that swallowed the first.
    """
    previous = sys.unraisablehook

    def again(unraisable) -> None:
        stop = unraisable.exc_value
        if not isinstance(stop, KeyboardInterrupt):
            previous(unraisable)
            return
        signum = stop.signum if isinstance(stop, Stopped) else signal.SIGINT
        # Not threading.Thread: its start waits, in here, for the thread to run.
        _thread.start_new_thread(_interrupt_once_out_of, (again.__code__, signum))

    sys.unraisablehook = again
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _interrupt_once_out_of(code, signum: int) -> None:
    """Hand ``signum`` to the main thread once it no longer runs ``code`` (a helper thread's work)."""
    main = threading.main_thread().ident
    while (frame := sys._current_frames().get(main)) is not None:
        while frame is not None and frame.f_code is not code:
            frame = frame.f_back
        if frame is None:
            _thread.interrupt_main(signum)
            return
        time.sleep(0.001)  # it returns in microseconds


def _reader_gone() -> int:
    """``dossier check | head -1``: the reader of stdout has gone; end quietly, as Unix tools do.

    As the Python docs' "Note on SIGPIPE" advises: stdout now writes to /dev/null, so that
    the flush at exit cannot fail again. The status is the one a shell reports for ``cat``
    ended by SIGPIPE in the same place (128 + 13). SIGPIPE itself stays ignored: its default
    would end the command whenever a socket (SMTP, a kernel) closes while it writes.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + getattr(signal, "SIGPIPE", 13)  # 13 on every Unix; Windows has none
