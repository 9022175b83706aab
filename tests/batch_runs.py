"""Batches run as a user runs them, for the tests of batches, packs and reports.

``dossier batch`` in a child process and what it left (:class:`Run`), synthetic data, and
one build of a batch per test session shared by every xdist worker.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from conftest import AS_OF, REPO, SAMPLE_DATA, SAMPLE_MEETING
from processes import HUNG

from dossier.run.job import slugify

T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    """One ``dossier batch`` run: its exit status, output and the report it left (if any)."""

    status: int
    stdout: str
    stderr: str
    out: Path
    report: dict
    index: str

    def statuses(self) -> dict[str, str]:
        return {d["case_id"]: d["status"] for d in self.report["dossiers"]}

    def dossier(self, case_id: str) -> dict:
        return next(d for d in self.report["dossiers"] if d["case_id"] == case_id)


def dossier_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "dossier.cli", *map(str, args)]


def batch(out: Path, *args: str | Path, data: Path = SAMPLE_DATA) -> Run:
    """Run ``dossier batch`` as a user would: a child process, stderr not a terminal."""
    command = dossier_command("batch", *args, "--data", data, "--out", out, "--as-of", AS_OF)
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                          timeout=HUNG, cwd=REPO)  # fmt: skip
    # Read now what the run leaves: the next run into the same folder replaces it.
    report_file, index_file = out / "batch-report.json", out / "index.html"
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
    index = index_file.read_text(encoding="utf-8") if index_file.exists() else ""
    return Run(done.returncode, done.stdout, done.stderr, out, report, index)


def demo_data(folder: Path, cases: int, events: int = 4, seed: int = 2) -> Path:
    subprocess.run(
        dossier_command("demo-data", "--cases", cases, "--events-per-case", events,
                        "--out", folder, "--seed", seed),
        check=True, capture_output=True, timeout=HUNG,
    )  # fmt: skip
    return folder


def built_once(tmp_path_factory, name: str, build: Callable[[Path], T]) -> T:
    """``build(folder)`` once per test session, by whichever xdist worker asks first.

    The xdist group keeps these tests on one worker, but pytest 9.2 and pytest-xdist 3.8
    ignore the group (pytest-xdist issue 1386): without this, every worker would render
    the same batches again. The others wait for the first and read what it built.
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = root / f"batch-{name}.pickle"
    with open(root / f"batch-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if built.exists():
            return pickle.loads(built.read_bytes())
        folder = root / f"batch-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        value = build(folder)
        built.write_bytes(pickle.dumps(value))
        return value


def pack_path(run: Run) -> Path:
    slug = slugify(SAMPLE_MEETING)
    return run.out / f"meeting-{slug}" / f"{slug}.pdf"


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or ()), list(reader)


def write_table(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
