"""Benchmark: ``dossier batch`` against the shell loop a user would write, and a re-run.

On synthetic cases from ``dossier demo-data`` (50 by default), HTML and PDF each:

(a) the shell loop a user would write, one case after another::

        while read -r case_id; do
            papermill notebooks/case_dossier.ipynb OUT.ipynb -p case_id … -p data_dir … -p as_of …
            jupyter nbconvert --to html --no-input OUT.ipynb
            chromium --headless … --print-to-pdf=OUT.pdf OUT.html
        done < cases.txt

    It takes several seconds a case, so it runs on ``--baseline-sample K`` of the
    cases (10 by default, spread over the list) and its seconds per dossier are
    extrapolated to the whole batch from those K;
(b) ``dossier batch --workers 2`` on all the cases into a new folder, ``--batch-runs``
    times (3 by default; the median counts); the loop's cases are run in as many
    parts, each before a batch run (loop, batch, loop, batch, …), so that a change
    in the machine's load meanwhile hits both alike;
(c) the same batch again with nothing changed (every case skipped).

Prints seconds per dossier for each and the ratios a/b (target 8×, aim 12×) and
b/c (target 100×). Then the peak memory of a bigger batch (``--memory-cases``,
500 by default; ``--no-memory`` skips it): the memory of the batch process
and all its descendants (worker processes, kernel templates, kernels),
sampled every 0.2 s: proportional set sizes summed, against the target of
2 GB, and resident sizes summed (which count a page that forked kernels share
with their template once in each).

A benchmark is not a test: it prints figures and exits 0 whether or not the
targets are met (exit 1 only when a measured command fails).

Usage::

    .venv/bin/python bench/bench_batch.py                     # 50 cases, loop on 10, memory on 500
    .venv/bin/python bench/bench_batch.py --smoke             # 3 cases, loop on 1, memory on 6
    .venv/bin/python bench/bench_batch.py --memory-cases 100  # a shorter memory run
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from bench_render import USER_ENV, CommandFailed

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin folder, beside its python
NOTEBOOK = ROOT / "notebooks" / "case_dossier.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
AS_OF = "2023-06-01"
TARGET_LOOP = 8.0  # (b) this many times faster than (a): required
AIM_LOOP = 12.0  # hoped for
TARGET_RERUN = 100.0  # (c) this many times faster than (b)
TARGET_MEMORY = 2e9  # bytes, decimal
#: Seconds one measured command may take before the benchmark gives up on it.
LIMIT = 4 * 3600
SAMPLE_EVERY = 0.2

LOOP = r"""#!/usr/bin/env bash
# The shell loop a user would write: one case after another.
set -euo pipefail
while IFS= read -r case_id; do
    slug=$(printf '%s' "$case_id" | tr -c 'A-Za-z0-9._-' '-')
    mkdir -p "$OUT/$slug"
    "$BIN/papermill" "$NOTEBOOK" "$OUT/$slug/$slug.ipynb" \
        -p case_id "$case_id" -p data_dir "$DATA" -p as_of "$AS_OF" --cwd "$(dirname "$NOTEBOOK")"
    "$BIN/jupyter" nbconvert --to html --no-input "$OUT/$slug/$slug.ipynb"
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$OUT/.chromium-profile" --no-pdf-header-footer \
        --print-to-pdf="$OUT/$slug/$slug.pdf" "file://$OUT/$slug/$slug.html"
done < "$CASES"
"""


@dataclass(frozen=True)
class Measure:
    label: str
    dossiers: int
    seconds: float

    @property
    def per_dossier(self) -> float:
        return self.seconds / self.dossiers


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if a measured command failed, else 0."""
    args = parse_args(argv)
    cases_count = 3 if args.smoke else args.cases
    sample = 1 if args.smoke else min(args.baseline_sample, cases_count)
    memory_cases = 0 if args.no_memory else (6 if args.smoke else args.memory_cases)
    batch_runs = 1 if args.smoke else args.batch_runs
    with tempfile.TemporaryDirectory(prefix="dossier-bench-batch-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            data = demo_data(scratch / "data", cases_count, args.events_per_case, args.seed)
            cases = case_ids(data)
            print(f"{len(cases)} synthetic cases × {args.events_per_case} events (seed {args.seed}), "
                  f"as of {AS_OF}, HTML and PDF each; {args.workers} workers for dossier batch")  # fmt: skip
            # Alternating: a part of the loop's cases, a batch run, the next part, … so that a
            # change in the machine's load meanwhile hits both alike.
            sampled, loops, runs = spread(cases, sample), [], []
            for n in range(1, batch_runs + 1):
                if part := sampled[n - 1 :: batch_runs]:
                    loops.append(run_loop(data, part, scratch / f"loop-{n}", show=n == 1))
                runs.append(run_batch(data, cases, scratch / f"batch-{n}", args.workers,
                                      expect="done"))  # fmt: skip
            loop = Measure("(a) shell loop", sum(m.dossiers for m in loops),
                           sum(m.seconds for m in loops))  # fmt: skip
            first = Measure("(b) dossier batch", len(cases),
                            statistics.median(m.seconds for m in runs))  # fmt: skip
            last = scratch / f"batch-{batch_runs}"
            again = run_batch(data, cases, last, args.workers, expect="skipped")
            report(loop, first, again, len(cases), [m.seconds for m in runs])
            if memory_cases:
                memory(scratch, memory_cases, args.events_per_case, args.seed, args.workers)
        except CommandFailed as exc:
            print(f"\n{exc}", file=sys.stderr)
            return 1
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50,
                        help="synthetic cases in the batch (default 50)")  # fmt: skip
    parser.add_argument("--events-per-case", type=int, default=20,
                        help="events in each synthetic case (default 20)")  # fmt: skip
    parser.add_argument("--baseline-sample", type=int, default=10, metavar="K",
                        help="cases the shell loop runs on; its seconds per dossier are "
                             "extrapolated from them (default 10)")  # fmt: skip
    parser.add_argument("--batch-runs", type=int, default=3, metavar="N",
                        help="runs of (b), each into a new folder; the median counts (default 3)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2,
                        help="dossier batch --workers (default 2)")  # fmt: skip
    parser.add_argument("--memory-cases", type=int, default=500,
                        help="cases in the batch whose peak memory is measured (default 500)")  # fmt: skip
    parser.add_argument("--no-memory", action="store_true", help="skip the memory run")
    parser.add_argument("--seed", type=int, default=1, help="demo-data seed (default 1)")
    parser.add_argument("--smoke", action="store_true",
                        help="3 cases, the loop on 1, memory on 6: checks the benchmark runs")  # fmt: skip
    args = parser.parse_args(argv)
    if min(args.cases, args.baseline_sample, args.workers, args.events_per_case) < 1:
        parser.error(
            "--cases, --baseline-sample, --workers and --events-per-case must be 1 or more"
        )
    return args


# -- data -------------------------------------------------------------------------------------


def demo_data(folder: Path, cases: int, events: int, seed: int) -> Path:
    run([str(BIN / "dossier"), "demo-data", "--cases", str(cases), "--events-per-case",
         str(events), "--out", str(folder), "--seed", str(seed)])  # fmt: skip
    return folder


def case_ids(data: Path) -> list[str]:
    with (data / "cases.csv").open(encoding="utf-8", newline="") as file:
        return [row["case_id"] for row in csv.DictReader(file)]


def spread(cases: list[str], count: int) -> list[str]:
    """``count`` cases spread evenly over the list (old and new, small and big histories)."""
    step = len(cases) / count
    return [cases[int(i * step)] for i in range(count)]


def write_list(path: Path, cases: list[str]) -> Path:
    path.write_text("".join(f"{case}\n" for case in cases), encoding="utf-8")
    return path


# -- the measured commands --------------------------------------------------------------------


def run(command: list[str], **kwargs) -> float:
    """Wall seconds ``command`` takes; raises CommandFailed, with its output, if it fails."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, timeout=LIMIT, cwd=ROOT,
                              **{"env": USER_ENV, **kwargs})  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{command[0]} took longer than {LIMIT} s") from None
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode("utf-8", errors="replace")[-4000:]
        raise CommandFailed(
            f"{shlex.join(command)}\nexited with status {done.returncode}:\n{output}"
        )
    return seconds


def run_loop(data: Path, cases: list[str], out: Path, *, show: bool = True) -> Measure:
    out.mkdir(parents=True)
    script = out / "loop.sh"
    script.write_text(LOOP, encoding="utf-8")
    listing = write_list(out / "cases.txt", cases)
    env = {"BIN": str(BIN), "NOTEBOOK": str(NOTEBOOK), "DATA": str(data), "AS_OF": AS_OF,
           "OUT": str(out), "CASES": str(listing), "CHROMIUM": str(CHROMIUM),
           "PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(out)}  # fmt: skip
    print(f"\n(a) the shell loop on {len(cases)} of the cases" + (":" if show else ""))
    if show:
        print("    " + "\n    ".join(LOOP.strip().splitlines()[3:]))
    seconds = run(["bash", str(script)], env=env)
    for case in cases:
        slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in case)
        for suffix in ("html", "pdf"):
            path = out / slug / f"{slug}.{suffix}"
            if not path.is_file() or path.stat().st_size == 0:
                raise CommandFailed(f"the shell loop left no {path}")
    print(f"    {seconds:.1f} s for {len(cases)} dossiers")
    return Measure("(a) shell loop", len(cases), seconds)


def batch_command(data: Path, listing: Path, out: Path, workers: int) -> list[str]:
    return [str(BIN / "dossier"), "batch", "--cases-file", str(listing), "--data", str(data),
            "--out", str(out), "--as-of", AS_OF, "--workers", str(workers)]  # fmt: skip


def run_batch(data: Path, cases: list[str], out: Path, workers: int, *, expect: str) -> Measure:
    listing = write_list(out.parent / f"{out.name}-cases.txt", cases)
    command = batch_command(data, listing, out, workers)
    label = "(b) dossier batch" if expect == "done" else "(c) the same batch again"
    print(f"\n{label}:\n    {shlex.join(command)}")
    seconds = run(command)
    counts = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))["counts"]
    if counts[expect] != len(cases):
        raise CommandFailed(f"{label}: expected {len(cases)} {expect}, the report says {counts}")
    print(f"    {seconds:.1f} s for {len(cases)} dossiers ({counts})")
    return Measure(label, len(cases), seconds)


def report(loop: Measure, first: Measure, again: Measure, cases: int, runs: list[float]) -> None:
    a, b, c = loop.per_dossier, first.per_dossier, again.per_dossier
    print("\nseconds per dossier")
    print(
        f"  (a) shell loop            {a:8.3f} s  (extrapolated from {loop.dossiers} of {cases} cases)"
    )
    print(f"  (b) dossier batch         {b:8.3f} s  (median of {len(runs)} runs: "
          f"{', '.join(f'{s:.1f}' for s in runs)} s for {cases})")  # fmt: skip
    print(f"  (c) batch, nothing new    {c:8.4f} s  ({again.seconds:.2f} s for {cases})")
    print(f"  (a) for all {cases} cases, extrapolated: {a * cases:.0f} s")
    print(f"\nratio a/b: {a / b:5.1f}×   target ≥ {TARGET_LOOP:.0f}×: "
          f"{'met' if a / b >= TARGET_LOOP else 'NOT met'}; aim ≥ {AIM_LOOP:.0f}×: "
          f"{'met' if a / b >= AIM_LOOP else 'not met'}")  # fmt: skip
    print(f"ratio b/c: {b / c:5.1f}×   target ≥ {TARGET_RERUN:.0f}×: "
          f"{'met' if b / c >= TARGET_RERUN else 'NOT met'}")  # fmt: skip


# -- peak memory ------------------------------------------------------------------------------


def tree_memory(process: psutil.Process) -> tuple[int, int]:
    """Memory of ``process`` and all its descendants (workers, kernel templates, kernels).

    Returns the sum of their proportional set sizes (each page shared by n
    processes counted 1/n in each: the memory the tree takes from the machine)
    and the sum of their resident sizes (shared pages counted in every process
    that maps them: an upper bound, far above the first once kernels are forked
    from a template and share its pages).
    """
    pss = rss = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended between the two calls
            info = member.memory_full_info()
            pss += info.pss
            rss += info.rss
    return pss, rss


def memory(scratch: Path, cases_count: int, events: int, seed: int, workers: int) -> None:
    data = demo_data(scratch / "memory-data", cases_count, events, seed)
    cases = case_ids(data)
    listing = write_list(scratch / "memory-cases.txt", cases)
    command = batch_command(data, listing, scratch / "memory-out", workers)
    print(f"\npeak memory of a {len(cases)}-case batch (HTML and PDF), the whole process tree "
          f"sampled every {SAMPLE_EVERY} s:\n    {shlex.join(command)}")  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=USER_ENV)  # fmt: skip
    peak = {"pss": 0, "rss": 0, "processes": 0}
    watched = psutil.Process(process.pid)

    def sample() -> None:
        while process.poll() is None:
            pss, rss = tree_memory(watched)
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)
            try:
                peak["processes"] = max(
                    peak["processes"], 1 + len(watched.children(recursive=True))
                )
            except psutil.NoSuchProcess:
                break
            time.sleep(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate(timeout=LIMIT)
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        output = (stdout + stderr).decode("utf-8", errors="replace")[-4000:]
        raise CommandFailed(f"the memory batch exited with status {process.returncode}:\n{output}")
    print(f"    {seconds:.0f} s ({seconds / len(cases):.2f} s per dossier); "
          f"at most {peak['processes']} processes at once")  # fmt: skip
    verdict = "met" if peak["pss"] < TARGET_MEMORY else "NOT met"
    print(f"peak memory: {peak['pss'] / 1e6:.0f} MB (proportional set sizes summed)   "
          f"target < {TARGET_MEMORY / 1e9:.0f} GB: {verdict}\n"
          f"             {peak['rss'] / 1e6:.0f} MB (resident sizes summed, shared pages "
          f"counted in every process)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
