"""Benchmark: ``dossier import oparl`` of a whole city, the incremental import, check and a meeting.

A local OParl 1.1 server (``tests/oparl_server.py``, in this process, a thread) holds a
city in the shape of real data: 15,000 papers and 3,000 meetings by default, 20 agenda
items a meeting, pages of 100; the council's last meeting has 60 items. It answers each
request after ``--latency`` seconds (default 0.3, an assumption: a real server builds a
page of 100 papers with their consultations and files in a fraction of a second to a few
seconds; 0 measures the client alone). Its data has real data's faults that the import
handles (papers without a reference, a consultation listed twice, agenda items without
a number); ``--dated-after-decision`` adds papers dated after their decision, which
``check`` refuses until faults are contained per case. Then:

(a) ``dossier import oparl`` into a new folder: seconds, the peak resident memory and the
    CPU seconds of the import's process (goal: under 5 minutes and 1 GB);
(b) 1% of the papers changed, and the import run again into the same folder (only the
    changes are asked for): seconds, and the ratio to (a) (goal: under 10%);
(c) ``dossier check`` on the folder: seconds (goal: under 5 s);
(d) ``dossier batch --meeting`` of the council's 60-item meeting, with its pack (PDF):
    seconds, dossiers and the pack's pages (``--no-batch`` leaves it out).

The server is Python on the same machine: its own time is part of (a) and (b). A
benchmark is not a test: it prints figures and exits 0 whether or not the goals are met
(exit 1 only when a measured command fails).

Usage::

    .venv/bin/python bench/bench_import.py            # the whole city
    .venv/bin/python bench/bench_import.py --smoke    # 600 papers, 120 meetings, no PDF batch
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from oparl_server import OParlData, OParlServer, city  # noqa: E402

DOSSIER = [sys.executable, "-m", "dossier.cli"]


def measured(command: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """Run ``command``; its seconds, peak resident memory in MB and CPU seconds (exit 1 if it fails)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) not in ok:
        print(f"failed: {' '.join(command)}\n{error}", file=sys.stderr)
        sys.exit(1)
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def change_papers(data: OParlData, share: float) -> int:
    papers = sorted(data.objects["paper"].values(), key=lambda p: p["id"])
    step = max(1, round(1 / share))
    changed = papers[::step]
    for paper in changed:
        data.put("paper", {**paper, "name": paper["name"] + " (geändert)"})
    return len(changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=15_000)
    parser.add_argument("--meetings", type=int, default=3_000)
    parser.add_argument("--smoke", action="store_true", help="600 papers, 120 meetings, no PDF batch")
    parser.add_argument("--no-batch", action="store_true", help="leave out (d), the meeting batch")
    parser.add_argument("--latency", type=float, default=0.3, help="the server's seconds per request")
    parser.add_argument("--dated-after-decision", action="store_true",
                        help="also papers dated after their decision (check refuses them today)")
    args = parser.parse_args()
    if args.smoke:
        args.papers, args.meetings, args.no_batch = 600, 120, True
    today = dt.date.today()
    data = OParlData(page_size=100, latency=args.latency)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch, OParlServer(data) as url:
        started = time.perf_counter()
        city(data, papers=args.papers, meetings=args.meetings, end=today + dt.timedelta(days=14),
             dated_after_decision=args.dated_after_decision)
        print(f"city: {args.papers} papers, {args.meetings} meetings, "
              f"{sum(len(m['agendaItem']) for m in data.objects['meeting'].values())} agenda items "
              f"(made in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        out = Path(scratch) / "city"
        print(f"server: {args.latency:g} s a request, pages of {data.page_size}")
        full, memory, cpu = measured([*DOSSIER, "import", "oparl", url, "--out", str(out), "--quiet"])
        report = json.loads((out / "import.json").read_text(encoding="utf-8"))
        print(f"(a) full import:        {full:7.1f} s   peak {memory:6.0f} MB   CPU {cpu:5.1f} s   "
              f"(goal < 300 s, < 1024 MB)   {report['requests']} requests, {report['counts']}, "
              f"{len(report['left_out'])} left out, {len(report['merged'])} merged")  # fmt: skip
        changed = change_papers(data, 0.01)
        again, memory, cpu_again = measured([*DOSSIER, "import", "oparl", url, "--out", str(out), "--quiet"])
        report = json.loads((out / "import.json").read_text(encoding="utf-8"))
        print(f"(b) incremental import: {again:7.1f} s   peak {memory:6.0f} MB   CPU {cpu_again:5.1f} s   "
              f"{changed} papers changed, {report['requests']} requests; {again / full:.1%} of (a) "
              f"(goal < 10%); CPU {cpu_again / cpu:.0%} of (a)'s")  # fmt: skip
        check, _, _ = measured([*DOSSIER, "check", "--data", str(out)], ok=(0, 1, 2))
        print(f"(c) check:              {check:7.1f} s   (goal < 5 s)")
        if not args.no_batch:
            batch_meeting(out, Path(scratch) / "dossiers", today)
    return 0


def batch_meeting(data: Path, dossiers: Path, today: dt.date) -> None:
    with open(data / "agenda.csv", encoding="utf-8", newline="") as handle:
        items = Counter(row["meeting_id"] for row in csv.DictReader(handle))
    meeting, count = items.most_common(1)[0]
    seconds, memory, _ = measured([*DOSSIER, "batch", "--meeting", meeting, "--data", str(data),
                                "--out", str(dossiers), "--as-of", today.isoformat()])  # fmt: skip
    report = json.loads((dossiers / "batch-report.json").read_text(encoding="utf-8"))
    pack = report.get("meeting_pack") or {}
    pages = "?"
    pdf = next(dossiers.glob("meeting-*/*.pdf"), None)
    if pdf is not None:
        from pypdf import PdfReader

        pages = len(PdfReader(pdf).pages)
    print(f"(d) meeting batch:      {seconds:7.1f} s   peak {memory:6.0f} MB   {meeting!r}: {count} items, "
          f"{report['counts']}, pack {pages} pages {pack if isinstance(pack, str) else ''}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
