"""``dossier batch``: many dossiers, incremental, with the meeting pack."""

from __future__ import annotations

import argparse
import sys

from .options import render_options


def run_batch(args: argparse.Namespace) -> int:
    from ..run.batch import render_batch
    from ..run.results import progress_reporter, summary_table

    on_result, finish = progress_reporter(len(args.case_ids))
    try:
        report = render_batch(
            args.case_ids, meeting=args.meeting, all_open=args.all_open, cases_file=args.cases_file,
            data_dir=args.data, mapping=args.mapping, out_dir=args.out, options=render_options(args),
            workers=args.workers, force=args.force, executor=args.executor, scheduler=args.scheduler,
            progress=on_result, strict=args.strict,
        )  # fmt: skip
    finally:
        finish()
    print(summary_table(report))
    sys.stdout.flush()
    for line in [*report.notes, *report.unknown]:
        print(f"dossier: {line}", file=sys.stderr)
    return 1 if report.failed or report.unknown else 0
