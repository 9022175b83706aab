"""Benchmark: a meeting batch with ``--compare-with`` where one case changed, against one render.

A 30-item meeting batch compared with last meeting's folder, in which
one case's records changed, re-renders that one dossier (and the meeting pack) and should
cost under twice a single ``dossier render`` of that case.

On synthetic data from ``dossier demo-data`` with a meeting of RUN added whose agenda holds
30 cases (``--items``), HTML and PDF each:

1. last meeting's batch: ``dossier batch --meeting M --out last`` (not timed);
2. this meeting's batch, once before the change: ``dossier batch --meeting M --out now
   --compare-with last`` (not timed: every dossier is new in ``now``);
3. ``--rounds`` times (3 by default), side by side: one event of one agenda case is
   retitled (a new title each round), then, timed,
   (b) the same batch again: one dossier done, the others skipped, the pack made again;
   (s) ``dossier render CASE --compare-with last`` of that case into a folder of its own.

Each configuration of ``--formats`` is measured so: HTML and PDF (the meeting pack's PDF
binds the dossiers' PDFs; the batch's report tells the seconds before the pack apart), and
HTML alone. Prints
the seconds of each round, the medians and the ratio b/s (target < 2×).
A benchmark is not a test: it exits 0 whether or not the target is met (1 only when a
measured command fails).

Usage::

    .venv/bin/python bench/bench_changes.py            # 30 items, 3 rounds
    .venv/bin/python bench/bench_changes.py --smoke    # 3 items, 1 round
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dossier.data.synthetic import add_meeting

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin folder, beside its python
AS_OF = "2023-06-01"
MEETING = "BENCH-RUN-2023-06-13"
TARGET = 2.0  # (b) at most this many times (s)
LIMIT = 4 * 3600  # seconds one measured command may take


class CommandFailed(Exception):
    """Raised when a measured command exits non-zero or does not do what it should."""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    items = 3 if args.smoke else args.items
    rounds = 1 if args.smoke else args.rounds
    with tempfile.TemporaryDirectory(prefix="dossier-bench-changes-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            data = scratch / "data"
            run([str(BIN / "dossier"), "demo-data", "--cases", str(items + 2), "--events-per-case",
                 str(args.events_per_case), "--out", str(data), "--seed", str(args.seed)])  # fmt: skip
            agenda = add_meeting(data, MEETING, items)
            case = agenda[len(agenda) // 2]
            print(f"{items}-item meeting {MEETING} of synthetic cases × {args.events_per_case} events, "
                  f"as of {AS_OF}; {args.workers} workers; the case that changes: {case}")  # fmt: skip
            results = {}
            for formats in args.formats.split(";"):
                print(f"\n--format {formats}:")
                results[formats] = rounds_of(data, scratch / formats, case, items, rounds, formats, args.workers)
        except CommandFailed as exc:
            print(f"\n{exc}", file=sys.stderr)
            return 1
    print("\nmedians")
    for formats, (b, s) in results.items():
        verdict = "met" if b / s < TARGET else "NOT met"
        print(f"  --format {formats:<9} (b) batch, one changed {b:6.2f} s   (s) one render {s:6.2f} s"
              f"   ratio {b / s:4.2f}×   target < {TARGET:.0f}×: {verdict}")  # fmt: skip
    return 0


def rounds_of(data: Path, folder: Path, case: str, items: int, rounds: int, formats: str,
              workers: int) -> tuple[float, float]:  # fmt: skip
    """The rounds of one --format: the two batches before, then batch and render side by side."""
    last, now = folder / "last", folder / "now"
    common = ("--format", formats)
    batch(data, last, workers, *common)
    batch(data, now, workers, *common, "--compare-with", str(last))
    counts = report_counts(now)
    if counts["done"] != items:
        raise CommandFailed(f"the first batch into {now}: {counts}")
    batches, singles = [], []
    for number in range(1, rounds + 1):
        retitle(data, case, f"Rättad rubrik {formats} {number}")
        seconds = batch(data, now, workers, *common, "--compare-with", str(last))
        counts = report_counts(now)
        if counts["done"] != 1 or counts["skipped"] != items - 1:
            raise CommandFailed(f"round {number}: expected 1 done, the report says {counts}")
        pack = json.loads((now / "batch-report.json").read_text(encoding="utf-8"))["seconds"]
        single = run([str(BIN / "dossier"), "render", case, "--data", str(data), "--out",
                      str(folder / f"single-{number}"), "--as-of", AS_OF, *common,
                      "--compare-with", str(last)])  # fmt: skip
        batches.append(seconds)
        singles.append(single)
        print(f"  round {number}: (b) batch, one changed {seconds:6.2f} s (start, data load and meeting pack "
              f"{seconds - pack:6.2f} s)   (s) one render {single:6.2f} s   ratio {seconds / single:4.2f}×")  # fmt: skip
    return statistics.median(batches), statistics.median(singles)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=30, help="agenda items of the meeting (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; medians count (default 3)")
    parser.add_argument("--events-per-case", type=int, default=20,
                        help="events in each synthetic case (default 20)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="dossier batch --workers (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="demo-data seed (default 1)")
    parser.add_argument("--formats", default="html,pdf;html", metavar="F;F",
                        help="the --format of each configuration measured, ';' between them "
                             "(default 'html,pdf;html': with the pack's PDF, and HTML alone)")  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="3 items, 1 round: checks it runs")
    args = parser.parse_args(argv)
    if min(args.items, args.rounds, args.workers, args.events_per_case) < 1:
        parser.error("--items, --rounds, --workers and --events-per-case must be 1 or more")
    return args


def retitle(data: Path, case: str, title: str) -> None:
    """Give the first event of ``case`` a new title: the one change since the last batch."""
    path = data / "events.csv"
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        columns, rows = reader.fieldnames, list(reader)
    first = next(row for row in rows if row["case_id"] == case)
    first["title"] = title
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def batch(data: Path, out: Path, workers: int, *extra: str) -> float:
    return run([str(BIN / "dossier"), "batch", "--meeting", MEETING, "--data", str(data),
                "--out", str(out), "--as-of", AS_OF, "--workers", str(workers), *extra])  # fmt: skip


def report_counts(out: Path) -> dict[str, int]:
    return json.loads((out / "batch-report.json").read_text(encoding="utf-8"))["counts"]


def run(command: list[str]) -> float:
    """Wall seconds ``command`` takes; raises CommandFailed, with its output, if it fails."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, timeout=LIMIT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{command[0]} took longer than {LIMIT} s") from None
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode("utf-8", errors="replace")[-4000:]
        raise CommandFailed(f"{shlex.join(command)}\nexited with status {done.returncode}:\n{output}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
