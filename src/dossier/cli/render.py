"""``dossier render``: one case's dossier."""

from __future__ import annotations

import argparse

from .options import render_options


def run_render(args: argparse.Namespace) -> int:
    from ..resources import notebook_path
    from ..run.kernel import WarmKernel

    # Started first: the kernel imports its libraries while this process imports the render's.
    kernel = WarmKernel.start(cwd=notebook_path().parent)
    try:
        from ..run.render import build_dossier, stage_reporter

        options = render_options(args)
        stage, finish = (None, lambda: None) if args.quiet else stage_reporter()
        try:
            files = build_dossier(
                args.case_id, data_dir=args.data, out_dir=args.out, options=options,
                stage=stage, mapping=args.mapping, strict=args.strict, kernel=kernel,
            )
        finally:
            finish()
    finally:
        kernel.shutdown()
    for path in (files.html, files.pdf, files.notebook, files.manifest):
        if path is not None:
            print(path)
    return 0
