"""``dossier render``: one case's dossier."""

from __future__ import annotations

import argparse

from .options import render_options


def run_render(args: argparse.Namespace) -> int:
    from ..run.render import build_dossier

    files = build_dossier(
        args.case_id, data_dir=args.data, out_dir=args.out, options=render_options(args)
    )
    for path in (files.html, files.pdf, files.notebook, files.manifest):
        if path is not None:
            print(path)
    return 0
