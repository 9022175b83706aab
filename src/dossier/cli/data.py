"""``dossier check``, ``init-mapping`` and ``demo-data``: commands about a data folder."""

from __future__ import annotations

import argparse


def run_check(args: argparse.Namespace) -> int:
    import sys

    from ..data.report import check_report, faults_report
    from ..data.validate import load
    from ..resources import data_dir

    data = data_dir(args.data)
    if args.explain:
        from ..data.mapping_guide import explain

        print(explain(data) + "\n")
    registry = load(data, strict=args.strict)
    print(check_report(registry))
    if registry.faults:  # each confined to a case's rows: the folder is usable, but not right
        sys.stdout.flush()
        print(f"dossier: {faults_report(registry)}", file=sys.stderr)
        return 1
    return 0


def run_init_mapping(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..data.contract import MAPPING_FILE
    from ..data.mapping_guide import starter_mapping
    from ..errors import ParameterError
    from ..resources import data_dir

    data = data_dir(args.data)
    out = Path(args.out) if args.out else data / MAPPING_FILE
    if out.exists() and not args.force:
        raise ParameterError(f"{out} exists; use --force to replace it or --out for another file")
    out.write_text(starter_mapping(data), encoding="utf-8")
    print(out)
    return 0


def run_demo_data(args: argparse.Namespace) -> int:
    from ..data.synthetic import generate

    written = generate(
        args.out, cases=args.cases, events_per_case=args.events_per_case, seed=args.seed
    )
    for path in written:
        print(path)
    return 0
