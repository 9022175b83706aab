"""The ``dossier`` command line: parses arguments and hands over; no logic lives here."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import DossierError
from .mail import add_mail_parser, run_mail


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier",
        description="Reproducible case dossiers from a case registry and meeting records.",
    )
    parser.add_argument("--version", action="version", version=f"dossier {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate a data folder and print a short report")
    add_data_option(check)
    check.add_argument("--explain", action="store_true",
                       help="first show how each source column and label is mapped, and what is not")  # fmt: skip

    render = commands.add_parser(
        "render", help="render one case's dossier (HTML, PDF, notebook, manifest)"
    )
    render.add_argument(
        "case_id", metavar="CASE_ID", help="the case's registry number, e.g. RUN/168/2020"
    )
    add_data_option(render)
    add_render_options(render)

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
    batch.add_argument(
        "--workers",
        type=positive,
        default=None,
        metavar="N",
        help="dossiers rendered at once, each in its own process (default: the number of cores)",
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
    batch.add_argument(
        "--scheduler", metavar="ADDRESS", help="the Dask scheduler, e.g. tcp://10.0.0.5:8786"
    )

    demo = commands.add_parser(
        "demo-data", help="write a synthetic data folder for tests and benchmarks"
    )
    demo.add_argument("--cases", type=positive, default=100, help="number of cases (default 100)")
    demo.add_argument("--events-per-case", type=positive, default=20, metavar="M",
                      help="events in each case (default 20)")  # fmt: skip
    demo.add_argument("--out", required=True, help="folder to write the CSV files to (created)")
    demo.add_argument(
        "--seed", type=int, default=1, help="random seed; the same seed gives the same files"
    )
    add_mail_parser(commands)

    init_mapping = commands.add_parser(
        "init-mapping", help="write a starter dossier.toml for an export with its own headers"
    )
    init_mapping.add_argument("--data", required=True, metavar="DIR", help="the export's folder")
    init_mapping.add_argument("--out", default=None, metavar="FILE",
                              help="where to write it (default: DIR/dossier.toml)")  # fmt: skip
    init_mapping.add_argument("--force", action="store_true", help="replace an existing file")
    return parser


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="folder of CSV files per the data contract (default: the bundled sample)")  # fmt: skip
    parser.add_argument("--mapping", default=None, metavar="FILE",
                        help="mapping file that translates the export into the contract "
                             "(default: dossier.toml in the data folder, if there is one)")  # fmt: skip


def add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="dossiers",
        metavar="DIR",
        help="output folder; each dossier goes into its own sub-folder (default dossiers/)",
    )
    parser.add_argument(
        "--lang", default="sv", choices=("sv", "en"), help="dossier language (default sv)"
    )
    parser.add_argument(
        "--as-of",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the dossier speaks for (default today)",
    )
    parser.add_argument(
        "--since",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="highlight events from this date on",
    )
    parser.add_argument(
        "--format",
        type=formats,
        default=("html", "pdf"),
        metavar="html,pdf",
        help="which files to write besides the notebook and manifest (default html,pdf)",
    )
    parser.add_argument(
        "--inactive-months",
        type=positive,
        default=6,
        metavar="N",
        help="flag a case as inactive after N months without an event (default 6)",
    )
    parser.add_argument(
        "--pdfa",
        action="store_true",
        help="write PDF/A-3b with the case's data and manifest.json attached",
    )
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="seconds a dossier's notebook may run before it is stopped and the dossier fails (default 600)")  # fmt: skip


def iso_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def formats(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    if not chosen or any(part not in ("html", "pdf") for part in chosen):
        raise argparse.ArgumentTypeError(f"{value!r}: use html, pdf or html,pdf")
    return chosen


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return number


def run_check(args: argparse.Namespace) -> int:
    from .report import check_report
    from .resources import data_dir
    from .validate import load

    data = data_dir(args.data)
    if args.explain:
        from .mapping_guide import explain

        print(explain(data) + "\n")
    registry = load(data)
    print(check_report(registry))
    return 0


def run_init_mapping(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .errors import ParameterError
    from .mapping_guide import starter_mapping
    from .resources import data_dir
    from .sources import MAPPING_FILE

    data = data_dir(args.data)
    out = Path(args.out) if args.out else data / MAPPING_FILE
    if out.exists() and not args.force:
        raise ParameterError(f"{out} exists; use --force to replace it or --out for another file")
    out.write_text(starter_mapping(data), encoding="utf-8")
    print(out)
    return 0


def render_options(args: argparse.Namespace):
    from .job import RenderOptions

    return RenderOptions(
        lang=args.lang, as_of=args.as_of or dt.date.today(), since=args.since,
        inactive_months=args.inactive_months, formats=args.format, pdfa=args.pdfa, timeout=args.timeout,
    )  # fmt: skip


def run_render(args: argparse.Namespace) -> int:
    from .render import build_dossier

    files = build_dossier(
        args.case_id, data_dir=args.data, out_dir=args.out, options=render_options(args)
    )
    for path in (files.html, files.pdf, files.notebook, files.manifest):
        if path is not None:
            print(path)
    return 0


def run_batch(args: argparse.Namespace) -> int:
    from .batch import batch_key, summary_table
    from .job import output_lock
    from .resources import data_dir

    options = render_options(args)
    data = data_dir(args.data)
    selection = {"case_ids": args.case_ids, "meeting": args.meeting, "all_open": args.all_open,
                 "cases_file": _text_or_none(args.cases_file)}  # fmt: skip
    # Taken before the export is hashed or read, so that a second batch into a folder stops at
    # once; a folder that does not exist yet is made (and locked) only once the data is good.
    out = Path(args.out)
    with output_lock(out) if out.is_dir() else contextlib.nullcontext():
        key = batch_key(data, selection, options, args.mapping)
        report = _render_batch(args, data, options, key)
    print(summary_table(report))
    return 1 if report.failed else 0


def _render_batch(args: argparse.Namespace, data: Path, options, key: str):
    from .batch import progress_reporter, run_batch, select_cases, unchanged_batch

    on_result, finish = progress_reporter(len(args.case_ids))
    try:
        report = None if args.force else unchanged_batch(args.out, key, options.lang, on_result)
        if report is None:
            from .validate import load

            registry = load(data)
            case_ids = select_cases(registry, args.case_ids, meeting=args.meeting, all_open=args.all_open,
                                    cases_file=args.cases_file)  # fmt: skip
            report = run_batch(
                case_ids, registry=registry, data_dir=data, out_dir=args.out, options=options,
                workers=args.workers, force=args.force, executor=args.executor, scheduler=args.scheduler,
                meeting=args.meeting, progress=on_result, batch_key=key,
            )  # fmt: skip
    finally:
        finish()
    return report


def _text_or_none(path: str | None) -> str | None:
    # An unreadable --cases-file is reported by select_cases, with the fix.
    try:
        return Path(path).read_text(encoding="utf-8") if path else None
    except OSError:
        return None


def run_demo_data(args: argparse.Namespace) -> int:
    from .synthetic import generate

    written = generate(
        args.out, cases=args.cases, events_per_case=args.events_per_case, seed=args.seed
    )
    for path in written:
        print(path)
    return 0


COMMANDS = {
    "check": run_check,
    "render": run_render,
    "batch": run_batch,
    "demo-data": run_demo_data,
    "mail": run_mail,
    "init-mapping": run_init_mapping,
}


def mapping_option(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """Every load of the data folder in this command reads it through ``--mapping FILE``."""
    if getattr(args, "mapping", None) is None:
        return contextlib.nullcontext()
    from .sources import using_mapping

    return using_mapping(args.mapping)


def main(argv: Sequence[str] | None = None) -> int:
    from .execute import skip_iri_checks

    skip_iri_checks()
    # The interpreter's last garbage collection walks every object only to free memory the
    # operating system takes back at exit anyway (about 0.3 s after a render).
    atexit.register(gc.freeze)
    args = build_parser().parse_args(argv)
    try:
        with mapping_option(args):
            return COMMANDS[args.command](args)
    except DossierError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("dossier: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
