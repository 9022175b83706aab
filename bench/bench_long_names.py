"""Benchmark: what a long forum name costs a render, and how the cost grows with its length.

The sample case rendered (HTML and PDF, ``dossier render``) with the name of its
owning forum replaced by a name without a space of each ``--lengths`` letters
(by default 0, the sample's own name, then 2,000, 20,000), and once by
:func:`~dossier.content.figures.timeline_svg` alone (the figure). Prints the
wall seconds of each, and for each length over the one before, the ratio of the
seconds to the ratio of the lengths: near 1 or below is linear or better; the
quadratic growth that a name broken letter by letter would show is near the
lengths' ratio. The render prints the name whole in every table that names the
forum, so its pages, and its seconds, grow with the name.

A benchmark is not a test: it prints figures and exits 0 (1 if a render fails).

Usage::

    .venv/bin/python bench/bench_long_names.py
    .venv/bin/python bench/bench_long_names.py --lengths 0 1000 10000 100000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CASE = "RUN/168/2020"
AS_OF = "2023-06-01"
WORD = "Nämndsammanträdesprotokollsförteckning"
#: Seconds a render may take before the benchmark gives up on it.
LIMIT = 1800


def named(data: Path, length: int) -> Path:
    """A copy of the sample whose owning forum's name is ``length`` letters (0: as it is)."""
    folder = Path(shutil.copytree(SAMPLE, data))
    if length:
        path = folder / "forums.csv"
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            if row["forum_id"] == "RUN":
                row["name"] = (WORD * (length // len(WORD) + 1))[:length]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def render_seconds(data: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dossier.cli", "render", CASE, "--data", str(data),
                    "--out", str(out), "--as-of", AS_OF, "--quiet"],
                   check=True, capture_output=True, timeout=LIMIT)  # fmt: skip
    return time.perf_counter() - started


def figure_seconds(data: Path) -> float:
    from dossier.content.figures import timeline_svg
    from dossier.data.validate import load

    case_file = load(data).case_file(CASE)
    started = time.perf_counter()
    timeline_svg(case_file, as_of=dt.date.fromisoformat(AS_OF))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[0, 2_000, 20_000],
                        help="the name's letters, one render each (0: the sample's name)")  # fmt: skip
    args = parser.parse_args(argv)
    print(f"{'letters':>8}  {'figure s':>8}  {'render s':>8}  {'pages':>5}  growth/length growth")
    last = None
    with tempfile.TemporaryDirectory(prefix="dossier-bench-names-") as scratch:
        for length in args.lengths:
            data = named(Path(scratch) / f"data-{length}", length)
            figure = figure_seconds(data)
            out = Path(scratch) / f"out-{length}"
            try:
                seconds = render_seconds(data, out)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                print(f"render with a name of {length} letters failed: {exc}", file=sys.stderr)
                return 1
            pdf = next(out.glob("*/*.pdf"))
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            pages = next((line.split()[-1] for line in info.splitlines()
                          if line.startswith("Pages:")), "?")  # fmt: skip
            growth = ""
            if last is not None and last[0] and length > last[0]:
                growth = f"{(seconds / last[1]) / (length / last[0]):.2f}"
            print(f"{length:>8}  {figure:>8.2f}  {seconds:>8.1f}  {pages:>5}  {growth}", flush=True)
            last = (length, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
