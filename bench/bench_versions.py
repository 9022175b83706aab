"""Benchmark: this checkout against an earlier revision of dossier, side by side.

Shows that a change made nothing slower (a restructure, say).
The earlier revision (``--against REV``, any git revision) is unpacked with
``git archive`` into a temporary folder, and each command runs from either tree
with that tree's ``src`` first on ``PYTHONPATH`` (same virtualenv, same data):

render  ``dossier render`` of the sample case, HTML and PDF, into a new folder (each tree
        its own ``data/sample``: an earlier revision may not read a later one's settings);
batch   ``dossier batch --workers 2`` on ``--cases`` synthetic cases (made once
        with this checkout's ``demo-data``), HTML and PDF, into a new folder;
again   the same batch once more, nothing changed (every dossier skipped).

The runs alternate (earlier, this, earlier, this, …) so that noise from the rest
of the machine hits both alike. Prints every run, the medians and the ratio
this / earlier for each (below 1 is faster; "no slower" means about 1 or less).

A benchmark is not a test: it exits 0 whether or not this checkout is slower
(exit 1 only when a measured command fails).

Usage::

    .venv/bin/python bench/bench_versions.py --against f94cf7d             # 5 runs of each
    .venv/bin/python bench/bench_versions.py --against f94cf7d --smoke     # 1 run, 3 cases
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench_batch import AS_OF, CommandFailed, case_ids, demo_data, write_list
from bench_render import USER_ENV, timed

ROOT = Path(__file__).resolve().parent.parent
CASE = "RUN/168/2020"
KINDS = ("render", "batch", "again")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if a measured command failed, else 0."""
    args = parse_args(argv)
    repeat = 1 if args.smoke else args.repeat
    cases = 3 if args.smoke else args.cases
    with tempfile.TemporaryDirectory(prefix="dossier-bench-versions-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            earlier = unpack(args.against, scratch / "earlier")
            trees = {args.against: earlier, "this checkout": ROOT}
            data = demo_data(scratch / "data", cases, args.events_per_case, seed=1)
            listing = write_list(scratch / "cases.txt", case_ids(data))
            print(f"render: {CASE} (sample data); batch: {cases} synthetic cases × "
                  f"{args.events_per_case} events, --workers 2; as of {AS_OF}, HTML and PDF")  # fmt: skip
            seconds = {name: {kind: [] for kind in KINDS} for name in trees}
            for number in range(1, repeat + 1):
                for side, (name, tree) in enumerate(trees.items()):
                    out = scratch / f"out-{number}-{side}"
                    times = measure(tree, out, data, listing)
                    for kind in KINDS:
                        seconds[name][kind].append(times[kind])
                    print(f"run {number}  {name:>14}: " + "  ".join(
                        f"{kind} {times[kind][0]:6.2f} s (CPU {times[kind][1]:6.2f} s)"
                        for kind in KINDS))  # fmt: skip
            report(seconds, args.against)
        except CommandFailed as exc:
            print(f"\n{exc}", file=sys.stderr)
            return 1
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the earlier git revision, e.g. f94cf7d")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--cases", type=int, default=20, help="cases in the batch (default 20)")
    parser.add_argument("--events-per-case", type=int, default=20,
                        help="demo-data events per case (default 20)")  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="1 run of each on 3 cases")
    return parser.parse_args(argv)


def unpack(revision: str, folder: Path) -> Path:
    """The tree of ``revision`` in ``folder`` (``git archive``: no worktree left behind)."""
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT,
                                 capture_output=True, check=True).stdout  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise CommandFailed(f"git archive {revision}: {exc.stderr.decode().strip()}") from None
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def measure(tree: Path, out: Path, data: Path, listing: Path) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of a render, a batch and the same batch again, from ``tree``'s source.

    CPU seconds (of the command and every process it waited for: workers,
    kernels) move far less than wall seconds when the machine is busy.
    """
    env = {**USER_ENV, "PYTHONPATH": str(tree / "src")}
    dossier = [sys.executable, "-m", "dossier.cli"]
    sample = tree / "data" / "sample"
    render = timed([*dossier, "render", CASE, "--data", str(sample), "--out", str(out / "render"),
                    "--as-of", AS_OF], env=env)  # fmt: skip
    batch = [*dossier, "batch", "--cases-file", str(listing), "--data", str(data),
             "--out", str(out / "batch"), "--as-of", AS_OF, "--workers", "2"]  # fmt: skip
    first = timed(batch, env=env)
    again = timed(batch, env=env)
    for name in ("render", "batch"):
        if not any((out / name).rglob("*.pdf")):
            raise CommandFailed(f"{tree}: {name} left no PDF in {out / name}")
    return {"render": render, "batch": first, "again": again}


def report(seconds: dict[str, dict[str, list[tuple[float, float]]]], against: str) -> None:
    earlier, this = seconds[against], seconds["this checkout"]
    print(f"\nmedians         {against:>14}  {'this checkout':>14}  this / earlier")
    for kind in KINDS:
        for measured, index in (("wall", 0), ("CPU", 1)):
            before = statistics.median(run[index] for run in earlier[kind])
            after = statistics.median(run[index] for run in this[kind])
            print(f"{kind:<7} {measured:<4}   {before:13.2f}s  {after:13.2f}s  "
                  f"{after / before:13.2f}×")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
