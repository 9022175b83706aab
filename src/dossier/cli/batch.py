"""``dossier batch``: many dossiers, incremental, with the meeting pack."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from .options import render_options


def run_batch(args: argparse.Namespace) -> int:
    from ..data.sources import read_case_list
    from ..resources import data_dir
    from ..run.batch import batch_key, summary_table
    from ..run.job import output_lock

    options = render_options(args)
    data = data_dir(args.data)
    # A --cases-file that cannot be read is refused here, before the output folder is locked.
    cases = read_case_list(args.cases_file) if args.cases_file else None
    selection = {"case_ids": args.case_ids, "meeting": args.meeting, "all_open": args.all_open,
                 "cases_file": cases}  # fmt: skip
    # Taken before the export is hashed or read, so that a second batch into a folder stops at
    # once; a folder that does not exist yet is made (and locked) only once the data is good.
    out = Path(args.out)
    with output_lock(out) if out.is_dir() else contextlib.nullcontext():
        key = batch_key(data, selection, options, args.mapping)
        report = _render_batch(args, data, options, key)
    print(summary_table(report))
    return 1 if report.failed else 0


def _render_batch(args: argparse.Namespace, data: Path, options, key: str):
    from ..run.batch import progress_reporter, run_batch, select_cases, unchanged_batch

    on_result, finish = progress_reporter(len(args.case_ids))
    try:
        report = None if args.force else unchanged_batch(args.out, key, options.lang, on_result)
        if report is None:
            from ..data.validate import load

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
