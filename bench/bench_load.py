"""Benchmark: load and validate a big data folder, as ``dossier check`` does.

Writes a synthetic folder (20,000 cases × 50 events = 1,000,000 events by
default), then runs ``dossier check --data DIR`` as a child process several
times and prints the median wall time and the peak memory (maximum resident
set size of the child) against the targets: under 8 s and under 1.5 GB.

Then the same data as a registry would export it (Swedish headers and labels,
dates as ``30.05.2022``, other file names, a ``dossier.toml``) goes through
the same command; the target is a median within 1.5 times the contract files'.
``--no-mapped`` skips it.

A benchmark is not a test: it prints figures and exits 0 whether or not the
targets are met (exit 1 only when the command itself fails).

Usage::

    .venv/bin/python bench/bench_load.py              # full size, temporary folder
    .venv/bin/python bench/bench_load.py --smoke      # 200 × 10, seconds
    .venv/bin/python bench/bench_load.py --out bench/out/load   # keep and reuse the data
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dossier.data.contract import TABLES
from dossier.data.synthetic import generate

TARGET_SECONDS = 8.0
TARGET_BYTES = 1.5e9  # 1.5 GB, decimal
#: The mapped export may take this many times the contract files' time.
TARGET_RATIO = 1.5
SMOKE = (200, 10)
#: Written beside the CSV files so that --out can tell whether its data fits the options.
STAMP = "bench-data.json"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if the measured command failed, else 0."""
    args = parse_args(argv)
    cases, events = SMOKE if args.smoke else (args.cases, args.events_per_case)
    with tempfile.TemporaryDirectory(prefix="dossier-bench-") as scratch:
        data = Path(args.out) if args.out else Path(scratch) / "data"
        prepare(data, cases=cases, events_per_case=events, seed=args.seed)
        runs = measure(data, args.repeat)
        if runs is None:
            return 1
        report(runs)
        if args.mapped:
            mapped = data.with_name(data.name + "-mapped")
            prepare_mapped(data, mapped)
            mapped_runs = measure(mapped, args.repeat)
            if mapped_runs is None:
                return 1
            report(mapped_runs)
            report_ratio(runs, mapped_runs)
    return 0


def measure(data: Path, repeat: int) -> list[tuple[float, int]] | None:
    """Time ``dossier check`` on ``data`` ``repeat`` times; None if it fails."""
    command, label = check_command(data)
    print(f"measuring: {label}")
    print(f"  {' '.join(command)}")
    runs = []
    for number in range(1, repeat + 1):
        seconds, peak, status, output = run_once(command)
        if status != 0:
            print(f"run {number} failed with status {status}:\n{output}", file=sys.stderr)
            return None
        runs.append((seconds, peak))
        if number == 1:
            print("  " + output.rstrip().replace("\n", "\n  "))  # rows per file
        print(f"  run {number}: {seconds:6.2f} s, peak {peak / 1e6:7.0f} MB")
    return runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases (default 20,000)")
    parser.add_argument("--events-per-case", type=int, default=50, metavar="M",
                        help="events per case (default 50)")  # fmt: skip
    parser.add_argument("--smoke", action="store_true",
                        help=f"tiny size ({SMOKE[0]} × {SMOKE[1]}) to check the benchmark runs")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--out", metavar="DIR",
                        help="write the data here and keep it, the mapped export in DIR-mapped; "
                             "reused when it matches the options (default: a temporary folder, "
                             "removed afterwards)")  # fmt: skip
    parser.add_argument("--no-mapped", dest="mapped", action="store_false",
                        help="skip the run on the mapped export")  # fmt: skip
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def prepare(data: Path, *, cases: int, events_per_case: int, seed: int) -> None:
    """Write the data folder, unless ``data`` already holds the same synthetic data."""
    wanted = {"cases": cases, "events_per_case": events_per_case, "seed": seed}
    stamp = data / STAMP
    files = [data / table.file for table in TABLES]
    if (
        stamp.is_file()
        and json.loads(stamp.read_text()) == wanted
        and all(path.is_file() for path in files)
    ):
        print(f"reusing {data} ({cases:,} cases × {events_per_case} events, seed {seed})")
    else:
        started = time.perf_counter()
        generate(data, cases=cases, events_per_case=events_per_case, seed=seed)
        stamp.write_text(json.dumps(wanted))
        took = time.perf_counter() - started
        print(f"generated {data} in {took:.1f} s ({cases:,} cases × {events_per_case} events)")
    for path in files:
        print(f"  {path.name:<15} {path.stat().st_size / 1e6:8.1f} MB")


#: The mapped export: per contract table, its file name and its headers (contract -> export).
EXPORT = {
    "cases": ("ärenden.csv", {
        "case_id": "Diarienummer", "title": "Ärendemening", "opened": "Registreringsdatum",
        "status": "Status", "closed": "Avslutad", "owner_forum_id": "Ansvarig nämnd",
        "responsible": "Handläggare", "summary": "Sammanfattning",
    }),
    "events": ("händelser.csv", {
        "event_id": "Händelse-ID", "case_id": "Dnr", "date": "Händelsedatum",
        "end_date": "Slutdatum", "kind": "Åtgärd", "forum_id": "Instans", "title": "Rubrik",
        "description": "Beskrivning", "decision_ref": "Paragraf", "document": "Handling",
        "seq": "Ordning",
    }),
    "forums": ("instanser.csv", {
        "forum_id": "Kod", "name": "Benämning", "kind": "Typ", "organisation": "Organisation",
        "chair": "Ordförande", "description": "Beskrivning",
    }),
    "documents": ("handlingar.csv", {
        "case_id": "Dnr", "date": "Datum", "title": "Rubrik", "doc_type": "Handlingstyp",
        "link": "Länk",
    }),
}  # fmt: skip
#: Coded values as the export labels them, per (table, column).
LABELS = {
    ("events", "kind"): {
        "registered": "Registrerad", "prepared": "Beredning", "discussed": "Dialog",
        "presented": "Föredragning", "consultation": "Remitterad", "proposal": "Förslag",
        "referred_back": "Återremitterad", "tabled": "Bordlagd", "deferred": "Uppskjuten",
        "decided": "Beslutad", "communicated": "Expedierad", "closed": "Avslutad",
        "withdrawn": "Makulerad", "other": "Övrigt",
    },
    ("cases", "status"): {"open": "Pågående", "closed": "Avslutad"},
    ("forums", "kind"): {
        "committee": "Nämnd", "presidium": "Presidium", "council": "Råd",
        "partnership": "Partnerskap", "party_group": "Partigrupp", "network": "Nätverk",
        "office": "Kontor", "external": "Extern aktör", "administration": "Förvaltning",
        "other": "Övrigt",
    },
    ("documents", "doc_type"): {
        "report": "Rapport", "proposal": "Tjänsteskrivelse", "minutes_extract": "Protokollsutdrag",
        "attachment": "Bilaga", "letter": "Skrivelse", "other": "Övrigt",
    },
}  # fmt: skip
MAPPING = """\
# The synthetic registry as its own export: Swedish headers and labels, dates as 30.05.2022.
date_formats = ["%d.%m.%Y", "%m.%Y"]

[cases]
file = "ärenden.csv"

[events]
file = "händelser.csv"

[forums]
file = "instanser.csv"

[documents]
file = "handlingar.csv"
"""


def prepare_mapped(data: Path, mapped: Path) -> None:
    """Write ``data`` as a registry would export it into ``mapped``, unless it is there already."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = {"from": json.loads((data / STAMP).read_text()), "mapping": MAPPING}
    stamp = mapped / STAMP
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        print(f"reusing {mapped} (the mapped export)")
        return
    started = time.perf_counter()
    shutil.rmtree(mapped, ignore_errors=True)
    mapped.mkdir(parents=True)
    for table in TABLES:
        source = data / table.file
        if table.name not in EXPORT:
            shutil.copyfile(source, mapped / table.file)
            continue
        name, headers = EXPORT[table.name]
        convert = pacsv.ConvertOptions(column_types=dict.fromkeys(table.column_names, pa.string()),
                                       strings_can_be_null=False)  # fmt: skip
        parse = pacsv.ParseOptions(newlines_in_values=True)
        frame = pacsv.read_csv(source, parse_options=parse, convert_options=convert).to_pandas()
        for column in table.columns:
            if column.type == "date":
                frame[column.name] = swedish_date(frame[column.name])
            labels = LABELS.get((table.name, column.name))
            if labels:
                frame[column.name] = frame[column.name].map(labels).fillna(frame[column.name])
        frame = frame.rename(columns=headers)
        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), mapped / name)
    (mapped / "dossier.toml").write_text(MAPPING, encoding="utf-8")
    stamp.write_text(json.dumps(wanted))
    took = time.perf_counter() - started
    print(f"wrote the mapped export {mapped} in {took:.1f} s")


def swedish_date(values):
    """``2022-05-30`` as ``30.05.2022``, ``2022-05`` as ``05.2022``; a year stays as it is."""
    length = values.str.len()
    day = values.str.slice(8, 10) + "." + values.str.slice(5, 7) + "." + values.str.slice(0, 4)
    month = values.str.slice(5, 7) + "." + values.str.slice(0, 4)
    return values.where(length != 10, day).where(length != 7, month)


def check_command(data: Path) -> tuple[list[str], str]:
    """The command to time and what it measures.

    ``dossier check`` needs :mod:`dossier.data.report`; before that module existed the
    benchmark timed :func:`dossier.data.validate.load` alone, and it still does so
    when the module is missing.
    """
    if importlib.util.find_spec("dossier.data.report") is not None:
        script = shutil.which("dossier", path=str(Path(sys.executable).parent))
        prefix = [script] if script else [sys.executable, "-m", "dossier.cli"]
        return [*prefix, "check", "--data", str(data)], "dossier check (load, validate, report)"
    code = f"from dossier.data.validate import load; load({str(data)!r})"
    return [sys.executable, "-c", code], (
        "FALLBACK dossier.data.validate.load only (dossier.data.report is missing, "
        "so `dossier check` cannot run yet)"
    )


def run_once(command: list[str]) -> tuple[float, int, int, str]:
    """Run ``command``; return wall seconds, peak RSS in bytes, exit status and its output.

    ``os.wait4`` gives this child's own resource usage, where
    ``getrusage(RUSAGE_CHILDREN)`` would give the maximum over every child so far.
    """
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, wait_status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(wait_status)
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    scale = 1 if sys.platform == "darwin" else 1024
    return seconds, usage.ru_maxrss * scale, child.returncode, text


def report_ratio(contract: list[tuple[float, int]], mapped: list[tuple[float, int]]) -> None:
    ratio = statistics.median(s for s, _ in mapped) / statistics.median(s for s, _ in contract)
    print(f"mapped / contract: {ratio:.2f}  (target ≤ {TARGET_RATIO}: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")  # fmt: skip


def report(runs: list[tuple[float, int]]) -> None:
    median = statistics.median(seconds for seconds, _ in runs)
    peak = max(peak for _, peak in runs)
    time_ok = median < TARGET_SECONDS
    memory_ok = peak < TARGET_BYTES
    print(f"median wall time: {median:.2f} s  (target < {TARGET_SECONDS:.0f} s: "
          f"{'met' if time_ok else 'NOT met'})")  # fmt: skip
    print(f"peak memory:      {peak / 1e6:.0f} MB  (target < {TARGET_BYTES / 1e9:.1f} GB: "
          f"{'met' if memory_ok else 'NOT met'})")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
