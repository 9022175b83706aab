"""The ``dossier`` command line: parses arguments and hands over; no logic lives here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .errors import DossierError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier",
        description="Reproducible case dossiers from a case registry and meeting records.",
    )
    parser.add_argument("--version", action="version", version=f"dossier {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate a data folder and print a short report")
    add_data_option(check)

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
    return parser


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="folder of CSV files per the data contract (default: the bundled sample)")  # fmt: skip


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return number


def run_check(args: argparse.Namespace) -> int:
    from .report import check_report
    from .resources import data_dir
    from .validate import load

    registry = load(data_dir(args.data))
    print(check_report(registry))
    return 0


def run_demo_data(args: argparse.Namespace) -> int:
    from .synthetic import generate

    written = generate(
        args.out, cases=args.cases, events_per_case=args.events_per_case, seed=args.seed
    )
    for path in written:
        print(path)
    return 0


COMMANDS = {"check": run_check, "demo-data": run_demo_data}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DossierError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("dossier: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
