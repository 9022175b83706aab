"""``dossier check``, ``init-mapping`` and ``demo-data``: commands about a data folder."""

from __future__ import annotations

import argparse
import errno


def run_check(args: argparse.Namespace) -> int:
    import sys

    from ..data.report import check_report, faults_report
    from ..data.validate import load
    from ..resources import data_dir

    data = data_dir(args.data)
    if args.explain:
        from ..data.mapping_guide import explain

        print(explain(data, args.mapping) + "\n")
    registry = load(data, strict=args.strict, mapping=args.mapping)
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
    if out.is_dir():
        raise ParameterError(f"{out} is a folder, not a file, --force or not: give --out a file's name")
    if out.exists() and not args.force:
        raise ParameterError(f"{out} exists; use --force to replace it or --out for another file")
    text = starter_mapping(data)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"{out}: cannot write it ({exc.strerror}); give --out another file") from None
    print(out)
    return 0


def run_demo_data(args: argparse.Namespace) -> int:
    from ..data.synthetic import generate
    from ..errors import ParameterError

    try:
        written = generate(
            args.out, cases=args.cases, events_per_case=args.events_per_case, seed=args.seed
        )
    except OSError as exc:
        problem = "it is a file, not a folder" if exc.errno in (errno.EEXIST, errno.ENOTDIR) else exc.strerror
        raise ParameterError(f"--out {args.out}: cannot write the data folder there ({problem}); "
                             "give a folder (one that does not exist yet is made)") from None  # fmt: skip
    for path in written:
        print(path)
    return 0
