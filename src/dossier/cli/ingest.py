"""``dossier import oparl URL`` and ``dossier import fgs FILE|FOLDER``: a registry's records in."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import seconds, whole_number


def add_import_parser(commands) -> argparse.ArgumentParser:
    """Add the ``import`` command (``oparl``, ``fgs``) to the command line's sub-parsers."""
    parser = commands.add_parser(
        "import", help="turn a registry's open-standard records (OParl, FGS/ERMS) into a data folder",
        description="Read a registry's records in an open standard and write a data folder in the "
        "data contract, with import.json (what was read, what was left out and why) and "
        "dossier.toml (the data's language). The folder is replaced whole, or not at all.",
    )  # fmt: skip
    standards = parser.add_subparsers(dest="standard", required=True, metavar="STANDARD")
    oparl = standards.add_parser(
        "oparl", help="OParl 1.0/1.1 over HTTP(S), from the System or Body URL",
        description="Read a body's papers, meetings and organisations from an OParl server. "
        "Into a folder an earlier import wrote, an OParl 1.1 server is asked only for what "
        "changed since (modified_since); a 1.0 server is read in full.",
    )  # fmt: skip
    oparl.add_argument("url", metavar="URL", help="the OParl System URL, or a Body URL")
    oparl.add_argument("--body", metavar="ID", default=None,
                       help="the body to read when the system holds several: its id (URL), the "
                            "last part of it, or its short name")  # fmt: skip
    oparl.add_argument("--timeout", type=seconds(3600), default=60.0, metavar="SECONDS",
                       help="seconds a request may take (default 60, at most 3600)")  # fmt: skip
    oparl.add_argument("--retries", type=whole_number(0, 20), default=5, metavar="N",
                       help="times a busy (429, 5xx) or dropped request is asked again, waiting "
                            "1, 2, 4 … s or what the server says (default 5, from 0 to 20)")  # fmt: skip
    oparl.add_argument("--parallel", type=whole_number(1, 16), default=4, metavar="N",
                       help="requests under way at once (default 4, from 1 to 16)")  # fmt: skip
    fgs = standards.add_parser(
        "fgs", help="FGS Ärendehantering 1.0, or 2.0 (CITS ERMS 2.x), from XML files",
        description="Read cases, their documents (handlingar, records), actions, relations and "
        "appendices from FGS Ärendehantering 1.0 (Leveransobjekt) or 2.0 = CITS ERMS 2.x (erms) "
        "XML, told apart by the root element. A folder is read file by file, as a stream.",
    )  # fmt: skip
    fgs.add_argument("path", metavar="FILE|FOLDER", help="an XML file, or a folder of them")
    for sub in (oparl, fgs):
        sub.add_argument("--out", required=True, metavar="DIR",
                         help="the data folder to write (replaced whole when an import wrote it)")  # fmt: skip
        sub.add_argument("--data-lang", default=None, metavar="TAG",
                         help="the language of the source's own text, BCP 47 (de, sv, de-CH); "
                              "default: what the source says, else the standard's country's")  # fmt: skip
        sub.add_argument("--quiet", action="store_true",
                         help="say nothing on stderr but errors (by default: a progress bar on a "
                              "terminal, and a line on what was read)")  # fmt: skip
    return parser


def run_import(args: argparse.Namespace) -> int:
    from ..ingest.folder import language_tag

    lang = language_tag(args.data_lang) if args.data_lang else None
    out = Path(args.out)
    if args.standard == "oparl":
        from ..ingest.oparl import import_oparl
        from ..ingest.oparl_client import ClientSettings

        settings = ClientSettings(timeout=args.timeout, retries=args.retries, parallel=args.parallel)
        written = import_oparl(args.url, out, body=args.body, data_lang=lang, settings=settings,
                               progress=not args.quiet)  # fmt: skip
    else:
        from ..ingest.fgs import import_fgs

        written = import_fgs(Path(args.path), out, data_lang=lang, progress=not args.quiet)
    print(written)
    return 0
