"""``dossier notebook``: a case's own notebook, made from the template, for the analyst's cells."""

from __future__ import annotations

import argparse
import sys

from .options import add_data_option, notebooks_folder


def add_notebook_parser(commands) -> argparse.ArgumentParser:
    """Add the ``notebook`` command to the ``dossier`` command line's sub-parsers."""
    notebook = commands.add_parser(
        "notebook",
        help="make a case's own notebook (DIR/<case>.ipynb) for remarks and analysis",
        description=(
            "Write the case's own notebook from the template, its parameters set, and print its "
            "path. The standard sections come from the package; add your Markdown remarks and "
            "code cells where the notebook says, and render, batch and mail put them into this "
            "case's dossier. An existing notebook is left as it is (exit 0) unless --force."
        ),
    )
    notebook.add_argument(
        "case_id", metavar="CASE_ID", help="the case's registry number, e.g. RUN/168/2020"
    )
    notebook.add_argument(
        "--dir", default=None, metavar="DIR",
        help="folder of case notebooks, made if missing (default: [notebooks] folder in "
             "./dossier.toml, else notebooks/cases)",
    )  # fmt: skip
    notebook.add_argument(
        "--force", action="store_true",
        help="replace the case's notebook if there is one: the cells added to it are lost",
    )  # fmt: skip
    add_data_option(notebook)
    return notebook


def run_notebook(args: argparse.Namespace) -> int:
    """Carry out ``dossier notebook``: print the notebook's path; say so if it was left alone."""
    from ..data.text import slugify
    from ..data.validate import load
    from ..resources import data_dir as resolve_data_dir
    from ..run.notebooks import create_case_notebook

    folder = notebooks_folder(args.dir, must_exist=False)
    data = resolve_data_dir(args.data)
    load(data, mapping=args.mapping).case(args.case_id)  # UnknownCaseError names the closest IDs
    path, written = create_case_notebook(
        args.case_id, slugify(args.case_id), folder, data_dir=data, force=args.force
    )
    if not written:
        print(f"dossier: {path} is there already and was left as it is "
              "(--force replaces it; the cells added to it are then lost)", file=sys.stderr)  # fmt: skip
    print(path)
    return 0
