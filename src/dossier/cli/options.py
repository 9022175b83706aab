"""Options that several commands share, and the argument types that check them."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tomllib
from collections.abc import Callable
from pathlib import Path

from ..catalogue import LANGUAGES
from ..content.parameters import (
    DEFAULT_INACTIVE_MONTHS,
    DEFAULT_LANG,
    MAX_INACTIVE_MONTHS,
    MONTHS_RULE,
    ON_COMMAND_LINE,
    DossierParameters,
    check_months,
    parse_day,
)
from ..errors import ParameterError
from ..run.job import MAX_TIMEOUT

#: How --as-of goes with --meeting (dossier.run.batch.meeting_options).
MEETING_DAY = ("with --meeting, today while the meeting is ahead and the day before it once it is "
               "past; a day after the meeting is refused")  # fmt: skip

#: The most dossiers rendered at once: each worker holds a kernel of a few hundred MB.
MAX_WORKERS = 256


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="folder of CSV files per the data contract (default: the bundled sample)")  # fmt: skip
    parser.add_argument("--mapping", default=None, metavar="FILE",
                        help="mapping file that translates the export into the contract "
                             "(default: dossier.toml in the data folder, if there is one)")  # fmt: skip


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true",
        help="refuse the data folder for any fault (exit 2), and a batch for any unknown case ID; "
             "by default a fault costs only the rows it is in, named in their case's data notes",
    )  # fmt: skip


def add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="dossiers",
        metavar="DIR",
        help="output folder; each dossier goes into its own sub-folder (default dossiers/)",
    )
    parser.add_argument(
        "--lang", default=DEFAULT_LANG, choices=LANGUAGES,
        help="the dossier's language: " + ", ".join(LANGUAGES) + f" (default {DEFAULT_LANG})",
    )
    parser.add_argument(
        "--as-of",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help=f"the date the dossier speaks for (default today; {MEETING_DAY})",
    )
    parser.add_argument(
        "--since",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="list and highlight the events from this date on, up to --as-of",
    )
    add_compare_option(parser)
    parser.add_argument(
        "--format",
        type=formats,
        default=("html", "pdf"),
        metavar="html,pdf",
        help="which files to write besides the notebook and manifest (default html,pdf)",
    )
    add_inactive_months_option(parser)
    parser.add_argument(
        "--pdfa",
        action="store_true",
        help="write PDF/A-3a (archival, tagged as PDF/UA-1) with the case's data and manifest.json attached",
    )
    add_notebooks_option(parser)
    parser.add_argument("--timeout", type=seconds(MAX_TIMEOUT), default=600, metavar="SECONDS",
                        help="seconds a dossier's notebook may run before it is stopped and the dossier fails "
                             f"(default 600, at most {MAX_TIMEOUT:g})")  # fmt: skip


def add_compare_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compare-with",
        type=Path,
        default=None,
        metavar="DIR",
        help="an earlier output folder (last meeting's, say): each dossier lists what changed in "
        "its case's records since that folder's dossier of the case",
    )
def add_notebooks_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notebooks", default=None, metavar="DIR",
        help="folder of case notebooks: a case with DIR/<case>.ipynb (made by `dossier notebook`) "
             "renders from it, any other from the template (default: [notebooks] folder in "
             "./dossier.toml, else notebooks/cases here if it exists)",
    )  # fmt: skip


def notebooks_folder(option: str | None, *, must_exist: bool = True) -> Path | None:
    """The case notebooks' folder: ``--notebooks``, else ``folder`` of the ``[notebooks]`` table
    in ``dossier.toml`` of the current folder (relative to that file), else ``notebooks/cases``
    here; None when none is given and the default is not there (every case: the template).

    Raises ParameterError for a folder given (option or file) that is not there, when
    ``must_exist``: ``dossier notebook`` makes it instead.
    """
    from ..run.notebooks import DEFAULT_FOLDER

    if option is not None:
        folder, given = Path(option).expanduser(), f"--notebooks {option}"
    else:
        folder, given = _configured_folder()
        if folder is None:
            return DEFAULT_FOLDER.resolve() if DEFAULT_FOLDER.is_dir() or not must_exist else None
    if must_exist and not folder.is_dir():
        raise ParameterError(
            f"{given}: no such folder (make a case notebook there with "
            f"`dossier notebook CASE_ID --dir {folder}`, or leave the option out)"
        )
    return folder.resolve()


def _configured_folder() -> tuple[Path | None, str]:
    """The folder ``[notebooks] folder`` of ./dossier.toml names, and where it says so."""
    path = Path("dossier.toml")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, ""
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ParameterError(f"{path.resolve()}: cannot read it ({exc})") from None
    table = document.get("notebooks")
    if table is None:
        return None, ""
    if not isinstance(table, dict) or not isinstance(table.get("folder"), str) or set(table) != {"folder"}:
        raise ParameterError(
            f'{path.resolve()}: [notebooks] takes one setting, folder = "notebooks/cases" '
            "(the case notebooks' folder, relative to this file)"
        )
    return path.resolve().parent / table["folder"], f"{path.resolve()} [notebooks] folder"


def add_inactive_months_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inactive-months",
        type=months,
        default=DEFAULT_INACTIVE_MONTHS,
        metavar="N",
        help="flag a case as inactive after N months without an event "
        f"(default {DEFAULT_INACTIVE_MONTHS}, from 1 to {MAX_INACTIVE_MONTHS})",
    )


def iso_day(value: str) -> dt.date:
    """An argument type: a day, as :func:`~dossier.content.parameters.parse_day` reads it."""
    try:
        day = parse_day(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} {exc}") from None
    if day is None:
        raise argparse.ArgumentTypeError("give a day (YYYY-MM-DD)")
    return day


def months(value: str) -> int:
    """``--inactive-months``: refused as the command line is read, by the parameters' own rule
    (:func:`~dossier.content.parameters.check_months`)."""
    try:
        return check_months(int(value))
    except ValueError:  # not a whole number, or outside the range
        raise argparse.ArgumentTypeError(f"{value!r}: {MONTHS_RULE}") from None


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


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argument type: a whole number from ``low`` to ``high``, refused as the command line is
    read (exit 2, saying the range), before any data is read or any kernel starts."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value!r}: use a whole number from {low} to {high}")
        return number

    return parse


def seconds(high: float) -> Callable[[str], float]:
    """An argument type: a number of seconds above 0 and at most ``high``."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not 0 < number <= high:  # also refuses nan
            raise argparse.ArgumentTypeError(
                f"{value!r}: use a number of seconds above 0 and at most {high:g}"
            )
        return number

    return parse


#: The address schemes a Dask scheduler is reached by (distributed's comm backends).
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")


def scheduler_address(value: str) -> str:
    """``--scheduler``: ``tcp://HOST:PORT`` (or another of :data:`SCHEDULER_SCHEMES`), or ``HOST:PORT``."""
    scheme, sep, rest = value.partition("://")
    if (sep and scheme.lower() not in SCHEDULER_SCHEMES) or not (rest if sep else value).strip():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Dask scheduler's address: use tcp://HOST:PORT "
            f"(or {', '.join(s + '://' for s in SCHEDULER_SCHEMES[1:])})"
        )
    return value


def check_path_lengths(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse a path option (``DIR``, ``FILE``) no file system takes, naming the option, before
    the command starts: any use of the path would fail, wherever it is first met."""
    from ..run.output import shortened, too_long

    actions = []
    while parser is not None:  # the command's parser, and its sub-command's (import oparl)
        actions += parser._actions
        chosen = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        parser = chosen.choices.get(getattr(args, chosen.dest, None)) if chosen else None
    for action in actions:
        value = getattr(args, action.dest, None)
        if action.metavar in ("DIR", "FILE") and isinstance(value, str | Path) and (problem := too_long(value)):
            raise ParameterError(f"{action.option_strings[0]} {shortened(value)}: {problem}; give a shorter one")


def dossier_parameters(args: argparse.Namespace) -> DossierParameters:
    """The dossier's parameters as the command line gives them, checked (ParameterError, exit 2)."""
    return DossierParameters.given(lang=args.lang, as_of=args.as_of, since=getattr(args, "since", None),
                                   inactive_months=args.inactive_months, naming=ON_COMMAND_LINE)  # fmt: skip


def render_options(args: argparse.Namespace):
    """``render``'s and ``batch``'s options (``mail``'s: without ``--since`` and the formats)."""
    from ..run.job import RenderOptions

    given = {"formats": args.format, "pdfa": args.pdfa, "timeout": args.timeout} if hasattr(args, "format") else {}
    return RenderOptions(dossier_parameters(args), compare_with=args.compare_with,
                         notebooks=notebooks_folder(args.notebooks), **given)  # fmt: skip


#: ``--workers``: dossiers rendered at once.
worker_count = whole_number(1, MAX_WORKERS)
