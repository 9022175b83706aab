"""``dossier batch``: choosing cases, parallel workers, failures, incremental runs, the lock,
crash safety, the meeting pack and the Dask executor.

Everything that runs a kernel is in the xdist group "batch" and marked ``kernel``; the batches
are small synthetic ones (``dossier demo-data``), HTML only where no PDF is needed, and each is
rendered once per module and read by several tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import psutil
import pytest
from batch_runs import (
    Run,
    batch,
    built_once,
    demo_data,
    dossier_command,
    pack_path,
    read_table,
    write_table,
)
from conftest import AS_OF, REPO, SAMPLE_DATA
from conftest import SAMPLE_AGENDA as AGENDA
from conftest import SAMPLE_MEETING as MEETING
from processes import (
    FROM_A_TERMINAL,
    MARK,
    alive_after,
    data_libraries,
    family,
    gone_within,
    held_and_watched,
    marked_after,
    wait_for_path,
)
from pypdf import PdfReader

from dossier.content.parameters import DossierParameters
from dossier.data.changes import EXTRACT_FILE
from dossier.data.text import read_case_list
from dossier.data.validate import load
from dossier.errors import OutputLockedError, ParameterError, UnknownCaseError
from dossier.run.batch import (
    BatchReport,
    DossierResult,
    batch_key,
)
from dossier.run.job import EXPORT, RUN, RenderOptions, is_current, prepare_job, slugify
from dossier.run.output import output_lock
from dossier.run.results import progress_reporter, summary_table
from dossier.run.selection import select_cases

MEETING_TITLE = "EXEMPEL (påhittat för demonstration): Regionala utvecklingsnämndens sammanträde"
#: Seconds a batch may take in these tests before it counts as hung.
LIMIT = 300


# -- helpers ----------------------------------------------------------------------------------


def edit_row(path: Path, match: dict[str, str], changes: dict[str, str]) -> None:
    """Change the first row of a CSV file whose columns equal ``match``."""
    columns, rows = read_table(path)
    row = next(r for r in rows if all(r[k] == v for k, v in match.items()))
    row.update(changes)
    write_table(path, columns, rows)


def case_ids(data: Path) -> list[str]:
    return [row["case_id"] for row in read_table(data / "cases.csv")[1]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def staging_leftovers(out: Path) -> list[str]:
    return sorted(
        p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".dossier.lock"
    )


def assert_whole(out: Path, case_id: str, key: str, formats: tuple[str, ...] = ("html",)) -> None:
    """The dossier of ``case_id`` is all there, its files agree with its manifest and ``key``."""
    slug = slugify(case_id)
    folder = out / slug
    names = {f"{slug}.{fmt}" for fmt in formats} | {f"{slug}.ipynb", "manifest.json",
                                                   "case-extract.json"}  # fmt: skip
    assert {p.name for p in folder.iterdir()} == names
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["case_id"] == case_id
    assert manifest["key"] == key
    assert manifest["files"] == {
        name: {"size": (folder / name).stat().st_size, "sha256": sha256(folder / name)}
        for name in names - {"manifest.json"}
    }
    if "html" in formats:
        html = folder / f"{slug}.html"
        assert html.read_text(encoding="utf-8").rstrip().endswith("</html>")
        assert manifest["html_sha256"] == sha256(html)
    notebook = json.loads((folder / f"{slug}.ipynb").read_text(encoding="utf-8"))
    assert notebook["cells"]


def current_keys(
    data: Path, cases: list[str], out: Path, formats: tuple[str, ...] = ("html",)
) -> dict[str, str]:
    """The key each case's dossier in ``out`` should carry for ``data`` as it is now.

    A key holds the links to related cases' dossiers beside it: those in ``out`` now.
    """
    registry = load(data)
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=formats)
    return {c: prepare_job(registry, c, data, options, out=out, rendering=cases).key for c in cases}


class IndexPage(HTMLParser):
    """The rows of an index page's table: cell texts and link targets."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.scripts = 0
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        elif tag == "tr":
            self.rows.append({"cells": [], "links": []})
        elif tag == "td":
            self._cell = []
        elif tag == "a" and self.rows and self._cell is not None:
            self.rows[-1]["links"].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def row(self, case_id: str) -> dict:
        return next(r for r in self.rows if case_id in r["cells"])


def index_page(path: Path | str) -> IndexPage:
    return IndexPage(path if isinstance(path, str) else path.read_text(encoding="utf-8"))





# -- choosing cases (no kernel) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return load(SAMPLE_DATA)


def test_select_cases_by_id_keeps_order_and_drops_repeats(sample):
    chosen = select_cases(sample, ["RUN/136/2022", "RUN/168/2020", "RUN/136/2022"])
    assert chosen == ["RUN/136/2022", "RUN/168/2020"]


def test_select_cases_by_meeting_is_the_agenda_in_order(sample):
    assert select_cases(sample, meeting=MEETING) == [case for _, case, _ in AGENDA]


def test_select_cases_all_open(sample):
    cases = sample.cases
    chosen = select_cases(sample, all_open=True)
    assert chosen == list(cases.loc[cases["status"] == "open", "case_id"])
    assert chosen


def test_a_cases_file_skips_blank_lines_and_comments(sample, tmp_path):
    listing = tmp_path / "cases.txt"
    listing.write_text(
        "\ufeff# before the meeting\nRUN/168/2020\n\n  RUN/136/2022  \n", encoding="utf-8"
    )
    assert read_case_list(listing) == ["RUN/168/2020", "RUN/136/2022"]


def test_select_cases_refuses_what_it_cannot_use(sample, tmp_path):
    with pytest.raises(UnknownCaseError, match="RUN/168/2020"):
        select_cases(sample, ["RUN/168/2021"])
    with pytest.raises(ParameterError, match="NO-SUCH-MEETING"):
        select_cases(sample, meeting="NO-SUCH-MEETING")
    with pytest.raises(ParameterError, match="no cases chosen"):
        select_cases(sample, [])
    with pytest.raises(ParameterError, match=r"missing\.txt"):
        read_case_list(tmp_path / "missing.txt")


# -- the key (no kernel) ----------------------------------------------------------------------


def test_the_key_follows_the_case_slice_only(tmp_path, write_data, valid_csv):
    """An event of A/1/2020 changes A/1/2020's key, not that of A/2/2021, which shows A/1/2020's row."""
    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)), formats=("html",))

    def keys(data: Path) -> dict[str, str]:
        registry = load(data)
        return {c: prepare_job(registry, c, data, options).key for c in ("A/1/2020", "A/2/2021")}

    before = keys(write_data(tmp_path / "before"))
    event = keys(
        write_data(
            tmp_path / "event",
            events=valid_csv["events"].replace("Dialog i rådet", "Dialog i rådet igen"),
        )
    )
    title = keys(
        write_data(
            tmp_path / "title",
            cases=valid_csv["cases"].replace("Första ärendet", "Första ärendet med nytt namn"),
        )
    )
    assert event["A/1/2020"] != before["A/1/2020"]
    assert event["A/2/2021"] == before["A/2/2021"]
    assert title["A/1/2020"] != before["A/1/2020"]
    assert title["A/2/2021"] != before["A/2/2021"]


def test_the_key_follows_parameters_and_formats(tmp_path, write_data):
    data = write_data(tmp_path / "data")
    registry = load(data)

    def key(formats=("html", "pdf"), **changes) -> str:
        chosen = DossierParameters(**{"as_of": dt.date(2023, 6, 1), **changes})
        return prepare_job(registry, "A/1/2020", data, RenderOptions(chosen, formats=formats)).key

    base = key()
    assert key() == base
    assert len({base, key(lang="en"), key(as_of=dt.date(2023, 6, 2)), key(formats=("html",)),
                key(since=dt.date(2021, 1, 1)), key(inactive_months=3)}) == 6  # fmt: skip


def test_an_option_added_to_render_options_reaches_the_notebook_and_both_keys(tmp_path, write_data):
    """One list of options: a new field (of the dossier's parameters, or of how it is written)
    changes the dossier's key and the batch's, and is passed to the notebook (or, as an export
    option, recorded in the manifest), with no other change."""
    data = write_data(tmp_path / "data")
    registry = load(data)
    selection = {"case_ids": ["A/1/2020"], "meeting": None, "all_open": False, "cases_file": None}
    day = dt.date(2023, 6, 1)
    roles = {"a notebook parameter": {}, "an export option": {"role": EXPORT},
             "a run option": {"role": RUN}}  # fmt: skip
    seen = {}
    for role, metadata in roles.items():
        field = [("font_size", int, dataclasses.field(default=10, metadata=metadata))]
        if not metadata:  # a parameter of the notebook: one more of the dossier's parameters
            wider = dataclasses.make_dataclass("WiderParameters", field, bases=(DossierParameters,),
                                               frozen=True, kw_only=True)  # fmt: skip
            small, big = (RenderOptions(wider(as_of=day, font_size=n)) for n in (10, 12))
        else:
            wider = dataclasses.make_dataclass("WiderOptions", field, bases=(RenderOptions,), frozen=True)
            small, big = (wider(DossierParameters(as_of=day), font_size=n) for n in (10, 12))
        jobs = [prepare_job(registry, "A/1/2020", data, options) for options in (small, big)]
        keys = [batch_key(data, selection, options) for options in (small, big)]
        seen[role] = (
            jobs[0].key != jobs[1].key,
            keys[0] != keys[1],
            jobs[1].parameters.get("font_size"),
            jobs[1].manifest.get("font_size"),
        )
    assert seen == {
        "a notebook parameter": (True, True, 12, None),
        "an export option": (True, True, None, 12),
        "a run option": (False, False, None, None),
    }
    # The options as they are: the notebook's parameters, and the export's in the manifest.
    job = prepare_job(registry, "A/1/2020", data, RenderOptions(DossierParameters(as_of=day), timeout=5))
    assert job.parameters == {"case_id": "A/1/2020", "lang": "sv", "as_of": "2023-06-01",
                              "since": None, "inactive_months": 6, "since_meeting": None,
                              "related_dossiers": {}}  # fmt: skip
    assert (job.manifest["formats"], job.manifest["pdfa"]) == (["html", "pdf"], False)
    assert job.key == prepare_job(registry, "A/1/2020", data, RenderOptions(DossierParameters(as_of=day))).key


def test_a_batch_with_nothing_changed_reads_no_data_and_imports_no_pandas(tmp_path, write_data):
    """Its dossiers current and its key the last batch's, a batch ends in a fraction of a second:
    it checks each dossier's files, and loads neither the data nor pandas nor Jupyter."""
    data = write_data(tmp_path / "data")
    out = tmp_path / "out"
    cases = ["A/1/2020", "A/2/2021"]
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    registry = load(data)
    entries = []
    for case_id in cases:  # each dossier as a render leaves it
        job = prepare_job(registry, case_id, data, options)
        contents = {f"{job.slug}.html": b"<html></html>", f"{job.slug}.ipynb": b"{}", EXTRACT_FILE: b"{}"}
        (out / job.slug).mkdir(parents=True)
        for name, content in contents.items():
            (out / job.slug / name).write_bytes(content)
        records = {name: {"size": len(c), "sha256": hashlib.sha256(c).hexdigest()}
                   for name, c in contents.items()}  # fmt: skip
        (out / job.slug / "manifest.json").write_text(json.dumps({**job.manifest, "files": records}))
        entries.append({"case_id": case_id, "slug": job.slug, "title": job.title, "key": job.key,
                        "sentence": job.sentence})  # fmt: skip
    selection = {"case_ids": cases, "meeting": None, "all_open": False, "cases_file": None}
    last = {"batch_key": batch_key(data, selection, options), "dossiers": entries,
            "counts": {"done": 2, "skipped": 0, "failed": 0}}  # fmt: skip
    (out / "batch-report.json").write_text(json.dumps(last), encoding="utf-8")

    command = dossier_command("batch", *cases, "--data", data, "--out", out, "--as-of", AS_OF,
                              "--format", "html")  # fmt: skip
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], capture_output=True,
                          text=True, timeout=LIMIT, cwd=REPO)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "0 done, 2 skipped, 0 failed" in done.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}  # fmt: skip
    assert "dossier.run.batch" in imported
    assert not imported & {"pandas", "numpy", "jupyter_client", "papermill", "dossier.data.validate"}


# -- what a batch prints (no kernel) ----------------------------------------------------------


def results() -> list[DossierResult]:
    return [
        DossierResult("A/1/2020", "A-1-2020", "Ett", "done", 2.5, {"html": "/o/A-1-2020/A-1-2020.html"}),
        DossierResult("A/2/2021", "A-2-2021", "Två", "skipped", 0.0, {"html": "/o/A-2-2021/A-2-2021.html"}),
        DossierResult("A/3/2022", "A-3-2022", "Tre", "failed", 1.0, {}, "A/3/2022: the notebook failed\nmore"),
    ]  # fmt: skip


def test_summary_table_has_a_line_per_case_and_the_counts():
    table = summary_table(BatchReport(results(), 3.5, Path("/o")))
    lines = table.splitlines()
    assert lines[1].split()[:3] == ["A/1/2020", "done", "2.5"]
    assert lines[2].split()[:2] == ["A/2/2021", "skipped"]
    assert "A/3/2022: the notebook failed" in lines[3] and "more" not in table
    assert lines[-1].startswith("1 done, 1 skipped, 1 failed in 3.5 s")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_bar_with_counts_and_time_left():
    stream = Terminal()
    on_result, finish = progress_reporter(3, stream=stream)
    for number, result in enumerate(results(), 1):
        on_result(result, number, 3)
    finish()
    last = stream.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    assert "3/3" in last
    assert "done=1" in last and "skipped=1" in last and "failed=1" in last
    assert "<" in last  # tqdm's elapsed<remaining


def test_progress_elsewhere_is_one_line_per_dossier():
    stream = io.StringIO()
    on_result, finish = progress_reporter(3, stream=stream)
    for number, result in enumerate(results(), 1):
        on_result(result, number, 3)
    finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert "[3/3] failed A/3/2022" in lines[2] and "the notebook failed" in lines[2]


# -- the lock (no kernel) ---------------------------------------------------------------------


def test_a_second_batch_into_a_locked_folder_stops_at_once_with_exit_2(tmp_path):
    """The lock is held until the second batch has ended: it ended without waiting for it."""
    out = tmp_path / "out"
    with output_lock(out):
        run = batch(out, "RUN/168/2020", "--format", "html")
    assert run.status == 2
    assert str(out) in run.stderr and "in use" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (out / "RUN-168-2020").exists()
    assert not (out / "batch-report.json").exists()


def test_the_lock_is_checked_before_the_data_is_read(tmp_path):
    """A locked folder is named even when the export is broken: the data was never read."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, data)
    (data / "events.csv").write_text("not,the,contract\n1,2,3\n", encoding="utf-8")
    out = tmp_path / "out"
    with output_lock(out):
        run = batch(out, "RUN/168/2020", data=data)
    assert run.status == 2
    assert "in use" in run.stderr
    assert "events.csv" not in run.stderr


def test_a_batch_into_a_new_folder_with_bad_data_leaves_no_folder(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, data)
    (data / "events.csv").write_text("not,the,contract\n1,2,3\n", encoding="utf-8")
    run = batch(tmp_path / "out", "RUN/168/2020", data=data)
    assert run.status == 2 and "events.csv" in run.stderr
    assert not (tmp_path / "out").exists()


def lock_is_free(lock_file: Path) -> bool:
    """Whether another process can take the lock now."""
    probe = "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)"
    done = subprocess.run([sys.executable, "-c", probe, lock_file], timeout=30,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 or "BlockingIOError" in done.stderr, done.stderr
    return done.returncode == 0


def test_the_lock_nests_within_one_thread_and_is_free_after(tmp_path):
    out = tmp_path / "out"
    with output_lock(out):
        lock_file = next(out.iterdir())
        with output_lock(out):
            assert not lock_is_free(lock_file)
        assert not lock_is_free(lock_file)  # the inner block's end does not let go
    assert lock_is_free(lock_file)


def test_another_thread_is_refused_as_another_process_is(tmp_path):
    out = tmp_path / "out"
    refused = []

    def second() -> None:
        try:
            with output_lock(out):
                pass
        except OutputLockedError as exc:
            refused.append(str(exc))

    with output_lock(out):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=30)
    assert len(refused) == 1 and "in use" in refused[0]


def test_taking_the_lock_removes_what_a_killed_run_left_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    leftovers = [".A-1-2020.x1y2.tmp", ".A-1-2020.z3.extract", ".A-1-2020.4242.old"]
    for name in [*leftovers, "A-1-2020", ".keep"]:
        (out / name).mkdir(parents=True)
        (out / name / "file").write_text("x", encoding="utf-8")
    (out / ".batch-report.json.4242.part").write_text("{", encoding="utf-8")
    (out / ".A-1-2020.failed.ipynb.4242.part").write_text("{", encoding="utf-8")
    (out / "notes.part").write_text("a user's file", encoding="utf-8")
    with output_lock(out):
        remaining = sorted(p.name for p in out.iterdir())
    assert remaining == [".dossier.lock", ".keep", "A-1-2020", "notes.part"]


# -- a batch of synthetic cases, run again and again ------------------------------------------


@dataclass
class Incremental:
    data: Path
    original: Path  # a copy of the data before any edit
    cases: list[str]
    a: str  # the case whose rows are edited
    b: str  # a case related to a, so it shows a's case row
    runs: dict[str, Run]
    first_html: dict[str, bytes]  # each dossier's HTML after the first run


@pytest.fixture(scope="module")
def incremental(tmp_path_factory) -> Incremental:
    return built_once(tmp_path_factory, "incremental", build_incremental)


def build_incremental(root: Path) -> Incremental:
    """Six synthetic cases, HTML only, rendered; then again with no change; after one event
    of case a changed; after a's title changed; and two cases with --force."""
    data = demo_data(root / "data", cases=6)
    cases = case_ids(data)
    a, b = cases[0], cases[1]
    # Exactly one relation, so that which dossiers show a's rows is known here.
    write_table(data / "relations.csv", ["case_id", "related_case_id", "relation"],
                [{"case_id": b, "related_case_id": a, "relation": "continues"}])  # fmt: skip
    original = root / "original"
    shutil.copytree(data, original)
    out = root / "out"
    listing = root / "cases.txt"
    listing.write_text("\n".join(cases) + "\n", encoding="utf-8")
    common = ("--cases-file", listing, "--format", "html", "--workers", "2")
    runs = {"first": batch(out, *common, data=data)}
    first_html = {c: (out / slugify(c) / f"{slugify(c)}.html").read_bytes() for c in cases
                  if runs["first"].status == 0}  # fmt: skip
    runs["again"] = batch(out, *common, data=data)
    gone = cases[4]
    (out / slugify(gone) / f"{slugify(gone)}.html").unlink()
    runs["deleted"] = batch(out, *common, data=data)
    zeroed, truncated = (out / slugify(c) / f"{slugify(c)}.html" for c in cases[4:6])
    zeroed.write_bytes(b"")
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    runs["damaged"] = batch(out, *common, data=data)
    events = data / "events.csv"
    event = next(r for r in read_table(events)[1] if r["case_id"] == a)
    edit_row(events, {"event_id": event["event_id"]}, {"title": event["title"] + " (rättad)"})
    runs["event"] = batch(out, *common, data=data)
    edit_row(data / "cases.csv", {"case_id": a}, {"title": "Ett nytt namn på ärendet"})
    runs["title"] = batch(out, *common, data=data)
    runs["force"] = batch(out, cases[2], cases[3], "--format", "html", "--force", data=data)
    return Incremental(data, original, cases, a, b, runs, first_html)


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_first_run_renders_every_case_whole(incremental):
    run = incremental.runs["first"]
    assert run.status == 0, run.stderr
    assert set(run.statuses().values()) == {"done"}
    assert [d["case_id"] for d in run.report["dossiers"]] == incremental.cases
    out = run.out
    keys = current_keys(incremental.original, incremental.cases, out)
    for case_id in incremental.cases:
        entry = run.dossier(case_id)
        slug = slugify(case_id)
        assert entry["slug"] == slug
        assert entry["outputs"] == {
            "html": f"{slug}/{slug}.html",
            "notebook": f"{slug}/{slug}.ipynb",
            "manifest": f"{slug}/manifest.json",
            "extract": f"{slug}/case-extract.json",
        }
        assert entry["error"] is None and entry["seconds"] > 0
    # The last run rendered nothing of these: their files are still the first run's.
    for case_id in incremental.cases[2:]:
        assert_whole(out, case_id, keys[case_id])


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_progress_without_a_terminal_is_one_log_line_per_dossier(incremental):
    run = incremental.runs["first"]
    lines = [line for line in run.stderr.splitlines() if "] done " in line]
    assert len(lines) == len(incremental.cases)
    assert {line.split("] done ")[1].rsplit(" ", 2)[0] for line in lines} == set(incremental.cases)
    assert [line.split("[")[1].split("]")[0] for line in lines] == [f"{n}/6" for n in range(1, 7)]
    assert "6 done, 0 skipped, 0 failed" in run.stdout


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_second_run_with_nothing_changed_skips_every_case(incremental):
    run = incremental.runs["again"]
    assert run.status == 0, run.stderr
    assert set(run.statuses().values()) == {"skipped"}
    assert run.report["counts"] == {"done": 0, "skipped": 6, "failed": 0}
    assert run.report["seconds"] < incremental.runs["first"].report["seconds"] / 5


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_dossier_missing_a_file_is_rendered_again_and_nothing_else(incremental):
    run, gone = incremental.runs["deleted"], incremental.cases[4]
    assert run.status == 0, run.stderr
    statuses = run.statuses()
    assert statuses.pop(gone) == "done"
    assert set(statuses.values()) == {"skipped"}
    assert run.report["batch_key"] == incremental.runs["again"].report["batch_key"]


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_dossier_with_a_zero_byte_or_truncated_file_is_rendered_again(incremental):
    run = incremental.runs["damaged"]
    assert run.status == 0, run.stderr
    damaged = incremental.cases[4:6]
    assert run.statuses() == {c: "done" if c in damaged else "skipped" for c in incremental.cases}
    keys = current_keys(incremental.original, damaged, run.out)
    for case_id in damaged:
        slug = slugify(case_id)
        assert (run.out / slug / f"{slug}.html").read_bytes() == incremental.first_html[case_id]
        assert_whole(run.out, case_id, keys[case_id])


def test_the_batch_key_follows_every_file_of_the_export_and_the_settings(tmp_path, write_data):
    data = write_data(tmp_path / "data")
    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)))
    selection = {"case_ids": ["A/1"], "meeting": None, "all_open": False, "cases_file": None}
    key = batch_key(data, selection, options)
    assert batch_key(data, dict(selection), RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)))) == key
    assert batch_key(data, {**selection, "all_open": True}, options) != key
    assert batch_key(data, selection, RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 2)))) != key
    assert batch_key(data, selection, RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1), lang="en"))) != key
    (data / "dossier.toml").write_text("[mail]\nhost = 'x'\n", encoding="utf-8")
    with_mapping = batch_key(data, selection, options)
    assert with_mapping != key
    cases = data / "cases.csv"
    cases.write_bytes(cases.read_bytes().replace(b"open", b"OPEN", 1))
    assert batch_key(data, selection, options) not in (key, with_mapping)


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_one_changed_event_re_renders_only_its_case(incremental):
    statuses = incremental.runs["event"].statuses()
    assert statuses.pop(incremental.a) == "done"
    assert set(statuses.values()) == {"skipped"}  # b shows a's case row, not a's events
    page = incremental.runs["event"].out / slugify(incremental.a) / f"{slugify(incremental.a)}.html"
    assert "(rättad)" in page.read_text(encoding="utf-8")


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_changed_case_title_re_renders_the_case_and_the_cases_that_show_it(incremental):
    statuses = incremental.runs["title"].statuses()
    assert statuses.pop(incremental.a) == "done"
    assert statuses.pop(incremental.b) == "done"
    assert set(statuses.values()) == {"skipped"}
    out = incremental.runs["title"].out
    related = (out / slugify(incremental.b) / f"{slugify(incremental.b)}.html").read_text(
        encoding="utf-8"
    )
    assert "Ett nytt namn på ärendet" in related
    keys = current_keys(incremental.data, [incremental.a, incremental.b], out)
    for case_id, key in keys.items():
        assert_whole(out, case_id, key)


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_force_renders_current_cases_again(incremental):
    run = incremental.runs["force"]
    assert run.status == 0, run.stderr
    assert run.statuses() == dict.fromkeys(incremental.cases[2:4], "done")
    # Rendered anew: the provenance now names the edited export's files, which it did not before.
    events_sha256 = sha256(incremental.data / "events.csv")
    for case_id in incremental.cases[2:4]:
        slug = slugify(case_id)
        assert events_sha256 in (run.out / slug / f"{slug}.html").read_text(encoding="utf-8")
        assert events_sha256 not in incremental.first_html[case_id].decode("utf-8")


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_batch_writes_the_same_dossier_as_render(incremental, tmp_path):
    case_id = incremental.cases[4]
    slug = slugify(case_id)
    done = subprocess.run(
        dossier_command("render", case_id, "--data", incremental.original, "--out", tmp_path,
                        "--as-of", AS_OF, "--format", "html"),
        capture_output=True, text=True, timeout=LIMIT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / slug).iterdir()) == sorted(
        p.name for p in (incremental.runs["first"].out / slug).iterdir()
    )
    assert (tmp_path / slug / f"{slug}.html").read_bytes() == incremental.first_html[case_id]


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_index_page_lists_every_case_with_status_and_links(incremental):
    run = incremental.runs["title"]
    out = run.out
    page = index_page(run.index)
    assert page.scripts == 0
    for case_id, status in run.statuses().items():
        row = page.row(case_id)
        assert {"done": "klar", "skipped": "oförändrad"}[status] in row["cells"]
        assert row["links"], case_id
        for href in row["links"]:
            assert not href.startswith(("/", "http")) and (out / href).is_file(), href


# -- a case that fails ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing_batch(tmp_path_factory) -> tuple[Run, str, list[str]]:
    return built_once(tmp_path_factory, "failing", build_failing_batch)


def build_failing_batch(root: Path) -> tuple[Run, str, list[str]]:
    """Three synthetic cases and --timeout 8; one of them renders from a case notebook with a
    cell that waits forever, so that it runs out of time however fast the machine is."""
    from dossier.run.notebooks import create_case_notebook

    data = demo_data(root / "data", cases=3)
    cases = case_ids(data)
    stuck = cases[1]
    path, _ = create_case_notebook(stuck, slugify(stuck), root / "notebooks", data_dir=data)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "code", "id": "wait", "metadata": {}, "outputs": [],
                              "execution_count": None,
                              "source": "import threading\nthreading.Event().wait()"})  # fmt: skip
    path.write_text(json.dumps(notebook), encoding="utf-8")
    run = batch(root / "out", *cases, "--format", "html", "--workers", "2", "--timeout", "8",
                "--notebooks", root / "notebooks", data=data)  # fmt: skip
    return run, stuck, cases


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_failing_case_fails_alone_and_the_batch_exits_1(failing_batch):
    run, heavy, cases = failing_batch
    assert run.status == 1, run.stderr
    assert run.statuses() == {c: "failed" if c == heavy else "done" for c in cases}
    failed = run.dossier(heavy)
    assert failed["error"].startswith(f"{heavy}: ")
    assert re.search(r"(timed out|longer than).*\b8(\.0)? s", failed["error"]), failed["error"]
    assert "Traceback" not in run.stderr
    assert "1 failed" in run.stdout
    summary_line = next(line for line in run.stdout.splitlines() if line.startswith(heavy))
    assert "failed" in summary_line
    assert not (run.out / slugify(heavy)).exists()
    for case_id in cases:
        if case_id != heavy:
            assert (run.out / slugify(case_id) / f"{slugify(case_id)}.html").is_file()
    assert staging_leftovers(run.out) == []


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_index_page_says_which_case_failed_and_why(failing_batch):
    run, heavy, _ = failing_batch
    row = index_page(run.index).row(heavy)
    assert "misslyckades" in row["cells"]
    assert any("longer than" in cell or "timed out" in cell for cell in row["cells"])
    assert "2 klara, 0 oförändrade, 1 misslyckade." in run.index


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_failed_case_leaves_its_executed_notebook_with_the_error(failing_batch):
    run, heavy, _ = failing_batch
    kept = run.dossier(heavy)["outputs"].get("notebook")
    assert kept and (run.out / kept).parent == run.out and (run.out / kept).is_file()
    cells = json.loads((run.out / kept).read_text(encoding="utf-8"))["cells"]
    assert any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", ()))


# -- killed halfway ---------------------------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_batch_killed_halfway_finishes_on_the_next_run_with_every_dossier_whole(tmp_path):
    data = demo_data(tmp_path / "data", cases=6, seed=5)
    cases = case_ids(data)
    out = tmp_path / "out"
    command = dossier_command("batch", *cases, "--data", data, "--out", out, "--as-of", AS_OF,
                              "--format", "html", "--workers", "1")  # fmt: skip
    # A session of its own: the kill reaches the batch and its worker processes at once.
    process = subprocess.Popen(command, cwd=REPO, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        started = first_dossier_written(process, out)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=LIMIT)
    # Kernels run in sessions of their own, out of the kill's reach: they end as their parent does.
    assert alive_after(started, 5) == []
    assert not (out / "batch-report.json").exists()  # it died before the end
    rendered = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert 1 <= len(rendered) < len(cases)

    run = batch(out, *cases, "--format", "html", "--workers", "2", data=data)
    assert run.status == 0, run.stderr
    statuses = run.statuses()
    assert set(statuses.values()) <= {"done", "skipped"}
    # Every folder that was there is whole and current: exactly those are skipped.
    assert sorted(c for c, s in statuses.items() if s == "skipped") == sorted(
        c for c in cases if slugify(c) in {p.name for p in rendered}
    )
    keys = current_keys(data, cases, out)
    for case_id in cases:
        assert_whole(out, case_id, keys[case_id])
    assert staging_leftovers(out) == []
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [slugify(c) for c in cases] + ["batch-report.json", "index.html"]
    )


# -- the meeting pack -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meeting_batch(tmp_path_factory) -> Run:
    """The sample meeting's agenda, HTML and PDF, with its meeting pack."""
    return built_once(
        tmp_path_factory,
        "meeting",
        lambda root: batch(root / "out", "--meeting", MEETING, "--workers", "2"),
    )


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_dossier_pdf_that_is_not_the_dossiers_own_stops_the_pack_naming_it(meeting_batch, tmp_path):
    """An encrypted PDF in a dossier's place, its manifest made to vouch for it: the pack says
    which file it cannot bind, and how to fix it; no traceback."""
    import pikepdf

    out = tmp_path / "out"
    shutil.copytree(meeting_batch.out, out)
    (out / "batch-report.json").unlink()  # names the first folder's pack: this is a copy
    slug = "RUN-168-2020"
    pdf, manifest_file = out / slug / f"{slug}.pdf", out / slug / "manifest.json"
    with pikepdf.open(meeting_batch.out / slug / f"{slug}.pdf") as original:
        original.save(pdf, encryption=pikepdf.Encryption(owner="o", user="u"))
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    data = pdf.read_bytes()
    manifest["files"][pdf.name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    run = batch(out, "--meeting", MEETING, "--workers", "2")
    assert run.status == 2 and "Traceback" not in run.stderr, run.stderr
    assert f"{pdf}: this PDF cannot be bound into the meeting pack" in run.stderr
    assert "batch --force" in run.stderr


def pdf_text(path: Path, page: int) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, check=True)  # fmt: skip
    return done.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    return "".join(text.replace("\u2010\n", "").split())


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_meeting_batch_renders_the_agenda_in_order(meeting_batch):
    assert meeting_batch.status == 0, meeting_batch.stderr
    assert [d["case_id"] for d in meeting_batch.report["dossiers"]] == [c for _, c, _ in AGENDA]
    slug = slugify(MEETING)
    assert meeting_batch.report["meeting_pack"] == {
        "index": f"meeting-{slug}/index.html",
        "pdf": f"meeting-{slug}/{slug}.pdf",
    }


def bound_pages(pdf: Path) -> int:
    """The pages of a dossier's PDF that its meeting pack binds: not its full provenance."""
    import pikepdf

    from dossier.run.references import pages_for_pack

    with pikepdf.open(pdf) as opened:
        return pages_for_pack(opened)





@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_meeting_pack_is_a_cover_then_each_dossier_under_its_agenda_item(
    meeting_batch, tagged_pdf
):
    out = meeting_batch.out
    pack = PdfReader(pack_path(meeting_batch))
    dossiers = [out / slugify(c) / f"{slugify(c)}.pdf" for _, c, _ in AGENDA]
    lengths = [bound_pages(d) for d in dossiers]
    assert len(pack.pages) == 1 + sum(lengths)
    assert sum(lengths) < sum(len(PdfReader(d).pages) for d in dossiers)  # no tables of hashes
    # One bookmark per agenda item, and under it the dossier's own section bookmarks.
    assert tagged_pdf(pack_path(meeting_batch)).outline == [
        (f"{n}. {c} – {t}", tagged_pdf(d).outline)
        for (n, c, t), d in zip(AGENDA, dossiers, strict=True)
    ]
    items = [item for item in pack.outline if not isinstance(item, list)]
    firsts = [1, 1 + lengths[0]]
    assert [pack.get_destination_page_number(item) for item in items] == firsts
    for (_, case_id, _), first in zip(AGENDA, firsts, strict=True):
        assert case_id in pack.pages[first].extract_text()


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_meeting_pack_numbers_its_pages_through_from_the_cover_on(meeting_batch):
    path = pack_path(meeting_batch)
    pages = len(PdfReader(path).pages)
    numbers = [" ".join(pdf_text(path, n).split()) for n in range(1, pages + 1)]
    said = [re.findall(r"Sida (\d+) av (\d+)", page) for page in numbers]
    assert said == [[(str(n), str(pages))] for n in range(1, pages + 1)]


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_meeting_batch_with_one_case_changed_renders_it_alone_and_binds_the_pack_again(
    tmp_path,
):
    """The dossier that did not change is bound into the new pack as it is, renumbered."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, data)
    out = tmp_path / "out"
    first = batch(out, "--meeting", MEETING, "--workers", "2", data=data)
    assert first.status == 0, first.stderr
    (_, kept, _), (_, changed, _) = AGENDA
    kept_pdf = out / slugify(kept) / f"{slugify(kept)}.pdf"
    written = kept_pdf.stat().st_mtime_ns
    columns, rows = read_table(data / "events.csv")
    next(r for r in rows if r["case_id"] == changed)["title"] = "Rättad rubrik i ärendet"
    write_table(data / "events.csv", columns, rows)

    again = batch(out, "--meeting", MEETING, "--workers", "2", data=data)
    assert again.status == 0, again.stderr
    assert again.report["counts"] == {"done": 1, "skipped": 1, "failed": 0}
    assert kept_pdf.stat().st_mtime_ns == written
    path = pack_path(again)
    pages = len(PdfReader(path).pages)
    texts = [" ".join(pdf_text(path, n).split()) for n in range(1, pages + 1)]
    assert [re.findall(r"Sida (\d+) av (\d+)", t) for t in texts] == [
        [(str(n), str(pages))] for n in range(1, pages + 1)
    ]
    assert pages == 1 + sum(bound_pages(out / slugify(c) / f"{slugify(c)}.pdf")
                            for _, c, _ in AGENDA)  # fmt: skip
    kept_text = squeeze(" ".join(pdf_text(kept_pdf, n) for n in range(1, 3)))
    assert squeeze(kept) in squeeze(texts[1]) and squeeze(texts[1])[:200] in kept_text
    assert "Rättadrubrikiärendet" in squeeze(" ".join(texts))


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_meeting_pack_cover_names_forum_date_and_agenda(meeting_batch):
    from dossier.content.context import case_dossier

    out, path = meeting_batch.out, pack_path(meeting_batch)
    cover = squeeze(pdf_text(path, 1))
    for expected in ("Regionala utvecklingsnämnden", "13 juni 2023", "Dagordning"):
        assert squeeze(expected) in cover
    done = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, check=True)  # fmt: skip
    lines = [" ".join(line.split()) for line in done.stdout.decode("utf-8").splitlines()]
    assert "Punkt Diarienummer Ärendemening Sida" in lines
    registry = load(SAMPLE_DATA)
    first = 2  # each item's line ends with the page its dossier starts on
    for item, case_id, title in AGENDA:
        assert f"{item} {case_id} {title} {first}" in lines
        view = case_dossier(registry, case_id, DossierParameters(as_of=dt.date.fromisoformat(AS_OF), lang="sv")).view
        assert squeeze(str(view.sentence)) in cover
        first += bound_pages(out / slugify(case_id) / f"{slugify(case_id)}.pdf")
    assert squeeze("Förslag: Regiondirektörens förslag (exempel)") in cover


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_meeting_pack_is_tagged_pdf_ua_in_the_batchs_language(
    meeting_batch, tagged_pdf, conformance
):
    pack = tagged_pdf(pack_path(meeting_batch))
    assert pack.root == "/Document" and pack.marked and pack.shows_title
    assert pack.lang == "sv"
    assert pack.title == f"Ärendeunderlag: {MEETING_TITLE}"
    assert pack.xmp == {"pdfuaid:part": "1"}
    assert len(pack.figures) == len(AGENDA) and all(pack.figures)
    assert conformance(pack_path(meeting_batch), "ua1") == []


def agenda_items(path: Path) -> list[dict]:
    """The agenda on a meeting pack's index page: each item's words as read, and its links."""
    import html

    page = path.read_text(encoding="utf-8")
    return [
        {"text": " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split()),
         "links": re.findall(r'href="([^"]+)"', block)}
        for block in re.findall(r'<li id="item-\d+">(.*?)</li>', page, re.S)
    ]  # fmt: skip


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_meeting_index_is_the_agenda_with_each_case_in_a_sentence(meeting_batch):
    from dossier.content.context import case_dossier

    folder = meeting_batch.out / f"meeting-{slugify(MEETING)}"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page
    assert f"<h1>Ärendeunderlag: {MEETING_TITLE}</h1>" in page
    assert f'<a href="{slugify(MEETING)}.pdf">' in page
    items = agenda_items(folder / "index.html")
    assert len(items) == len(AGENDA)
    registry = load(SAMPLE_DATA)
    for (item, case_id, title), shown in zip(AGENDA, items, strict=True):
        assert shown["text"].startswith(f"Punkt {item} {title} {case_id} ")
        view = case_dossier(registry, case_id, DossierParameters(as_of=dt.date.fromisoformat(AS_OF), lang="sv")).view
        assert str(view.sentence) in shown["text"]
        assert [href.rsplit(".", 1)[1] for href in shown["links"]] == ["html", "pdf"]
        for href in shown["links"]:
            assert (folder / href).resolve().is_file(), href
    assert "Förslag: Regiondirektörens förslag (exempel)" in items[0]["text"]
    assert "Förslag" not in items[1]["text"]  # the agenda names no proposal for item 8
    # How each render went is the batch's index and report to say, not the agenda's.
    assert "oförändrad" not in page and "ipynb" not in page and "klara," not in page
    batch_index = index_page(meeting_batch.out / "index.html")
    assert {batch_index.row(c)["cells"][2] for _, c, _ in AGENDA} == {"klar"}


# -- Dask -------------------------------------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_dask_run_writes_the_same_dossiers_as_a_local_run(incremental, tmp_path):
    from distributed import Client, LocalCluster

    cases = incremental.cases[:3]
    out = tmp_path / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        run = batch(out, *cases, "--format", "html", "--executor", "dask",
                    "--scheduler", cluster.scheduler_address, data=incremental.original)  # fmt: skip
        with Client(cluster) as client:
            workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        left = [p for w in workers for p in w.children(recursive=True) if is_kernel(p)]
    assert_rendered_as_first(incremental, run, cases)
    assert left == []  # the workers outlive the batch; the kernels they kept warm do not


def test_a_scheduler_that_accepts_and_never_answers_is_named_within_its_timeout(tmp_path):
    """A plain socket where the scheduler should be: it takes the connection and says nothing."""
    from dossier.run.cluster import SCHEDULER_TIMEOUT

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        run = batch(tmp_path / "out", "RUN/168/2020", "--executor", "dask", "--scheduler", address)
    assert run.status == 2
    assert run.stderr == (f"dossier: --scheduler {address}: it did not answer within "
                          f"{SCHEDULER_TIMEOUT:g} s; is a Dask scheduler running there?\n")  # fmt: skip
    assert not (tmp_path / "out" / slugify("RUN/168/2020")).exists()


def test_a_scheduler_without_workers_is_named_and_nothing_waits_for_ever(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        run = batch(tmp_path / "out", "RUN/168/2020", "--executor", "dask", "--scheduler", address)
    assert run.status == 2
    assert f"dossier: --scheduler {address}: the Dask scheduler has no workers" in run.stderr
    assert f"dask worker {address}" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.kernel
def test_dossiers_waiting_on_a_cluster_whose_workers_have_gone_fail_with_the_reason(tmp_path):
    """The only worker leaves while the batch waits for its dossier: the batch does not wait
    in silence for ever; once the cluster has had no worker for its limit, the dossier fails
    naming the scheduler, and the batch ends."""
    from distributed import Client, LocalCluster

    from dossier.run.cluster import NO_WORKER_TIMEOUT

    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        address = cluster.scheduler_address
        command = dossier_command("batch", "RUN/168/2020", "--executor", "dask", "--scheduler",
                                  address, "--data", SAMPLE_DATA, "--out", out, "--as-of", AS_OF)  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, cwd=REPO)  # fmt: skip
        deadline = time.monotonic() + LIMIT
        while not any(client.processing().values()):  # the dossier is on the worker
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.05)
        cluster.scale(0)  # the worker goes, its dossier unfinished
        stdout, stderr = process.communicate(timeout=LIMIT)
    assert process.returncode == 1, stderr
    assert (f"the Dask scheduler {address} has had no worker for {NO_WORKER_TIMEOUT:g} s"
            in stdout)  # fmt: skip
    assert "0 done, 0 skipped, 1 failed" in stdout


def assert_rendered_as_first(incremental: Incremental, run: Run, cases: list[str]) -> None:
    """Every case of ``run`` done, its dossier whole and its HTML the first local run's."""
    assert run.status == 0, run.stderr
    assert run.statuses() == dict.fromkeys(cases, "done")
    keys = current_keys(incremental.original, cases, run.out)
    for case_id in cases:
        assert_whole(run.out, case_id, keys[case_id])
        slug = slugify(case_id)
        assert (run.out / slug / f"{slug}.html").read_bytes() == incremental.first_html[case_id]


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_dask_workers_that_cannot_see_the_output_folder_still_write_every_dossier(
    incremental, tmp_path, private_mounts
):
    """The workers run in a mount namespace with an empty tmpfs over the output's parent: what
    they write there, nobody else sees. The dossiers travel back to the batch, which writes them."""
    from distributed import Client

    hidden = tmp_path / "hidden"  # the output's parent, an empty tmpfs to the workers
    hidden.mkdir()
    (hidden / "seen-by-the-batch-only").touch()
    out = hidden / "out"
    dask = Path(sys.executable).with_name("dask")
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--scheduler-file", scheduler_file, "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers = subprocess.Popen(
        private_mounts('mount -t tmpfs none "$1" && exec "$2" worker --scheduler-file "$3" '
                       "--nworkers 2 --nthreads 1 --no-dashboard", hidden, dask, scheduler_file),
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    cases = incremental.cases[:3]
    try:
        with Client(scheduler_file=str(scheduler_file), timeout=LIMIT) as client:
            client.wait_for_workers(2, timeout=LIMIT)
            assert set(client.run(os.path.exists, str(hidden / "seen-by-the-batch-only")).values()) == {False}
            run = batch(out, *cases, "--format", "html", "--executor", "dask",
                        "--scheduler", client.scheduler.address, data=incremental.original)  # fmt: skip
            # Nothing landed on the workers' side of the mount: they wrote nothing into --out.
            assert set(client.run(os.path.exists, str(out)).values()) == {False}
    finally:
        for process in (workers, scheduler):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=LIMIT)
    assert_rendered_as_first(incremental, run, cases)
    assert staging_leftovers(out) == []


def first_dossier_written(process: subprocess.Popen, out: Path) -> list[psutil.Process]:
    """Wait until the running batch has put its first dossier in place; return its processes."""
    wait_for_path(out, "[!.]*/manifest.json", process)  # a dossier's folder appears whole
    return family(process.pid)  # workers, templates, kernels, …


def is_kernel(process: psutil.Process) -> bool:
    """A live kernel: started as ipykernel, or forked from a kernel template."""
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        parent = process.parent()
        return "ipykernel" in " ".join(process.cmdline()) or (
            parent is not None and "dossier.run.kernel_template" in " ".join(parent.cmdline())
        )
    except psutil.NoSuchProcess:
        return False


def test_dask_without_a_scheduler_is_a_usage_error(tmp_path):
    run = batch(tmp_path / "out", "RUN/168/2020", "--executor", "dask")
    assert run.status == 2
    assert "--scheduler" in run.stderr and "Traceback" not in run.stderr


def write_extract(job, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, content in job.extract.items():
        (folder / name).write_bytes(content)
    return folder


def test_a_note_in_a_dossier_names_the_exports_row_not_the_extracts(
    tmp_path, write_data, valid_csv
):
    """The kernel reads the case's extract, where the odd event is row 3; the export's is row 5."""
    folder = write_data(tmp_path / "data",
                        events=valid_csv["events"] + "e4,A/2/2021,2022-04,,communicated,,Sent,,,,\n")  # fmt: skip
    job = prepare_job(load(folder), "A/2/2021", folder, RenderOptions(DossierParameters(as_of=dt.date(2024, 1, 1))))
    (note,) = load(write_extract(job, tmp_path / "extract")).case_file("A/2/2021").notes
    assert (note.code, note.file, note.row) == ("event_after_closed", "events.csv", 5)
    assert note.text("en") == (
        "The event “Sent” (April 2022) lies after the case was closed (1 March 2022)."
    )


def test_rows_moving_re_render_only_the_cases_whose_notes_name_them(
    tmp_path, write_data, valid_csv
):
    header, *rows = valid_csv["events"].splitlines(keepends=True)
    odd = "e9,A/3/2022,2021,,other,,Före registreringen,,,,\n"  # a note: row 5, then row 6
    cases = valid_csv["cases"] + "A/3/2022,Tredje,2022-01,open,,N,,\n"
    options = RenderOptions(DossierParameters(as_of=dt.date(2024, 1, 1)))

    def keys(events: str) -> dict[str, str]:
        folder = write_data(tmp_path / f"data-{len(events)}", cases=cases, events=events)
        registry = load(folder)
        return {c: prepare_job(registry, c, folder, options).key for c in registry.case_ids}

    before = keys(header + "".join(rows) + odd)
    after = keys(header + "e0,A/1/2020,2020-06,,other,,Ny rad överst,,,,\n" + "".join(rows) + odd)
    # A/1/2020 has a new event; A/3/2022's note now says row 6; A/2/2021's rows moved unseen.
    assert {c for c in before if before[c] != after[c]} == {"A/1/2020", "A/3/2022"}


def test_is_current_needs_this_case_this_key_and_every_file_as_recorded(tmp_path, write_data):
    data = write_data(tmp_path / "data")
    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)), formats=("html",))
    job = prepare_job(load(data), "A/1/2020", data, options)
    folder = tmp_path / "out" / job.slug
    folder.mkdir(parents=True)
    contents = {f"{job.slug}.ipynb": b"{}", f"{job.slug}.html": b"<html></html>",
                "case-extract.json": b"{}"}  # fmt: skip
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    records = {name: {"size": len(c), "sha256": hashlib.sha256(c).hexdigest()}
               for name, c in contents.items()}  # fmt: skip

    def manifest(**changes) -> None:
        written = {**job.manifest, "files": records, **changes}
        (folder / "manifest.json").write_text(json.dumps(written), encoding="utf-8")

    manifest()
    assert is_current(job, tmp_path / "out")
    manifest(key="0" * 64)
    assert not is_current(job, tmp_path / "out")
    manifest(case_id="A-1-2020")  # the same folder, another case's dossier
    assert not is_current(job, tmp_path / "out")
    manifest()
    (folder / f"{job.slug}.html").write_bytes(b"")
    assert not is_current(job, tmp_path / "out")


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_an_html_only_meeting_batch_makes_the_index_and_no_pdf(tmp_path):
    run = batch(tmp_path / "out", "--meeting", MEETING, "--format", "html", "--workers", "2")
    assert run.status == 0, run.stderr
    pack = tmp_path / "out" / f"meeting-{MEETING}"
    assert sorted(p.name for p in pack.iterdir()) == ["index.html"]
    assert run.report["meeting_pack"] == {"index": f"meeting-{MEETING}/index.html"}
    items = agenda_items(pack / "index.html")
    assert [item["text"].split()[:2] for item in items] == [["Punkt", "7"], ["Punkt", "8"]]
    assert items[1]["links"] == ["../RUN-136-2022/RUN-136-2022.html"]


# -- stopped: Ctrl-C, SIGTERM, SIGKILL -------------------------------------------------------


@dataclass
class StoppedBatch:
    """A batch stopped once its first dossier was in place."""

    status: int
    said: list[str]  # stderr's lines but the progress lines
    out: Path
    tmp: Path  # the batch's temporary folder (its kernels' files)
    mark: str  # in the environment of every process the batch started
    written: dict[str, tuple[int, int]]  # --out as the batch left it


PROGRESS_LINE = re.compile(r"\d\d:\d\d:\d\d \[\d+/\d+\] ")


def stopped_batch(
    tmp_path: Path, tmp: Path, stop: Callable[[subprocess.Popen], None]
) -> StoppedBatch:
    """Run a batch of 8 cases on 2 workers with ``tmp`` for its TMPDIR, ``stop`` it once its
    first dossier is in place, and wait until it has ended.

    The batch cannot end on its own before it is stopped, however busy the machine: the
    cases after the first two render from case notebooks with a cell that waits forever.
    """
    from dossier.run.notebooks import create_case_notebook

    data = demo_data(tmp_path / "data", cases=8, seed=3)
    out, mark = tmp_path / "out", uuid.uuid4().hex
    notebooks = tmp_path / "notebooks"
    for case_id in case_ids(data)[2:]:
        path, _ = create_case_notebook(case_id, slugify(case_id), notebooks, data_dir=data)
        notebook = json.loads(path.read_text(encoding="utf-8"))
        notebook["cells"].append({"cell_type": "code", "id": "wait", "metadata": {}, "outputs": [],
                                  "execution_count": None,
                                  "source": "import threading\nthreading.Event().wait()"})  # fmt: skip
        path.write_text(json.dumps(notebook), encoding="utf-8")
    command = dossier_command("batch", *case_ids(data), "--data", data, "--out", out,
                              "--as-of", AS_OF, "--format", "html", "--workers", "2",
                              "--notebooks", notebooks)  # fmt: skip
    # A session of its own, as a terminal's foreground group: Ctrl-C reaches every process in it.
    # Its stderr is a file: a pipe would stay open as long as any process left behind.
    with (tmp_path / "stderr").open("w+", encoding="utf-8") as stderr:
        process = subprocess.Popen([*FROM_A_TERMINAL, *command], cwd=REPO,
                                   start_new_session=True, stderr=stderr,
                                   stdout=subprocess.DEVNULL,
                                   env={**os.environ, "TMPDIR": str(tmp), MARK: mark})  # fmt: skip
        try:
            first_dossier_written(process, out)
            stop(process)
            process.wait(timeout=LIMIT)
        finally:
            process.kill()
            process.wait()
        written = what_is_in(out)
        stderr.seek(0)
        said = [line for line in stderr.read().splitlines() if not PROGRESS_LINE.match(line)]
    return StoppedBatch(process.returncode, said, out, tmp, mark, written)


def what_is_in(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path below ``folder`` with its size and time of change."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in folder.rglob("*")}  # fmt: skip


def assert_all_ended_and_nothing_written_after(run: StoppedBatch) -> None:
    """No process of the batch is left 5 s after it ended, and none wrote into --out since."""
    left = marked_after(run.mark, 5)
    for process in left:  # not to run on past the test
        with contextlib.suppress(psutil.Error):
            process.kill()
    assert left == []
    assert what_is_in(run.out) == run.written


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_ctrl_c_stops_a_batch_with_one_line_and_leaves_no_process(tmp_path, short_tmp):
    run = stopped_batch(tmp_path, short_tmp, lambda process: os.killpg(process.pid, signal.SIGINT))
    assert_all_ended_and_nothing_written_after(run)
    assert run.status == 130
    assert run.said == ["dossier: interrupted"]
    assert staging_leftovers(run.out) == []
    assert list(run.tmp.iterdir()) == []  # the kernels' files went with them


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_sigterm_stops_a_batch_as_ctrl_c_does(tmp_path, short_tmp):
    """Sent to the batch's process alone, as a service manager or ``kill`` sends it."""
    run = stopped_batch(tmp_path, short_tmp, lambda process: process.send_signal(signal.SIGTERM))
    assert_all_ended_and_nothing_written_after(run)
    assert run.status == 128 + signal.SIGTERM
    assert run.said == ["dossier: terminated"]
    assert staging_leftovers(run.out) == []
    assert list(run.tmp.iterdir()) == []


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_killed_batch_takes_its_workers_and_kernels_with_it(tmp_path, short_tmp):
    """SIGKILL to the batch's process alone: it can end nothing, its workers end with it."""
    run = stopped_batch(tmp_path, short_tmp, lambda process: process.send_signal(signal.SIGKILL))
    assert_all_ended_and_nothing_written_after(run)
    assert run.status == -signal.SIGKILL
    # Nothing said on the terminal once every process has gone: not the resource tracker's
    # warning of "leaked semaphore objects", which it removes as its ordinary work.
    said = (tmp_path / "stderr").read_text(encoding="utf-8").splitlines()
    assert [line for line in said if not PROGRESS_LINE.match(line)] == []


def test_a_worker_told_to_end_ends_even_if_its_handler_fails():
    """SIGTERM in the middle of an import: the handler's own import fails, as if from the
    interrupted import; a library taking that for its own optional import would go on."""
    code = ("import signal, sys\n"
            "sys.modules['dossier.run.kernel'] = None  # importing it raises ImportError\n"
            "from dossier.run import workers\n"
            "try:\n"
            "    workers._end_worker_now(signal.SIGTERM, None)\n"
            "except ImportError:\n"
            "    print('went on')\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (128 + signal.SIGTERM, "")


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_workers_start_once_a_second_dossier_is_found_before_the_rest_is_prepared(
    tmp_path, monkeypatch
):
    """A batch starts its worker processes as soon as it knows it has two dossiers to render,
    so that they load their libraries while it prepares the other cases' jobs, and gives them
    each job as soon as it is prepared; the dossiers come out as ever."""
    from dossier.run import batch as batch_module
    from dossier.run import workers

    data = demo_data(tmp_path / "data", cases=4)
    cases = case_ids(data)
    events: list[str] = []
    prepare, start = batch_module.prepare_job, workers.LocalExecutor.start

    def preparing(registry, case_id, *args, **kwargs):
        events.append(f"prepare {case_id}")
        return prepare(registry, case_id, *args, **kwargs)

    def starting(executor):
        events.append(f"start {executor.workers}")
        return start(executor)

    def submitting(executor, jobs):
        events.append(" ".join(["submit", *(job.case_id for job in jobs)]))
        return submit(executor, jobs)

    submit = workers.LocalExecutor.submit
    monkeypatch.setattr(batch_module, "prepare_job", preparing)
    monkeypatch.setattr(workers.LocalExecutor, "start", starting)
    monkeypatch.setattr(workers.LocalExecutor, "submit", submitting)
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    report = batch_module.run_batch(cases, registry=load(data), data_dir=data,
                                    out_dir=tmp_path / "out", options=options, workers=2)  # fmt: skip
    assert [r.status.value for r in report.results] == ["done"] * 4, [r.error for r in report.results]
    assert events == [f"prepare {cases[0]}", f"prepare {cases[1]}", "start 2",
                      f"submit {cases[0]} {cases[1]}", f"prepare {cases[2]}", f"submit {cases[2]}",
                      f"prepare {cases[3]}", f"submit {cases[3]}"]  # fmt: skip
    assert all((tmp_path / "out" / slugify(c) / f"{slugify(c)}.html").is_file() for c in cases)


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_workers_start_before_the_data_is_read_when_two_named_cases_have_no_dossier(
    tmp_path, monkeypatch
):
    """Two cases named that have no dossier yet will render whatever the data holds: their
    workers start while the data is read. Run again with --force, where every case has its
    dossier, they start once two are found to render, as before."""
    import dossier.data.validate
    from dossier.run import workers
    from dossier.run.batch import render_batch

    data = demo_data(tmp_path / "data", cases=3)
    cases = case_ids(data)
    events: list[str] = []
    load, start = dossier.data.validate.load, workers.LocalExecutor.start

    def loading(*args, **kwargs):
        events.append("load")
        return load(*args, **kwargs)

    def starting(executor):
        events.append(f"start {executor.workers}")
        return start(executor)

    monkeypatch.setattr(dossier.data.validate, "load", loading)
    monkeypatch.setattr(workers.LocalExecutor, "start", starting)
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    out = tmp_path / "out"
    first = render_batch(cases, data_dir=data, out_dir=out, options=options, workers=2)
    assert [r.status.value for r in first.results] == ["done"] * 3
    assert events == ["start 2", "load"]
    events.clear()
    again = render_batch(cases, data_dir=data, out_dir=out, options=options, workers=2, force=True)
    assert [r.status.value for r in again.results] == ["done"] * 3
    assert events == ["load", "start 2"]


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_workers_started_for_named_cases_that_turn_out_unusable_end_with_the_batch(tmp_path):
    """Two named cases without a dossier start the workers as the data is read; when both
    cases' own rows prove unusable, nothing renders and the workers end with the batch."""
    from multiprocessing import active_children

    from dossier.run.batch import render_batch

    data = demo_data(tmp_path / "data", cases=12)
    cases = case_ids(data)
    columns, rows = read_table(data / "cases.csv")
    for row in rows:
        if row["case_id"] in cases[:2]:
            row["opened"] = "maj 2020"
    write_table(data / "cases.csv", columns, rows)
    before = set(active_children())
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    report = render_batch(cases[:2], data_dir=data, out_dir=tmp_path / "out", options=options,
                          workers=2)  # fmt: skip
    assert [r.status.value for r in report.results] == ["failed", "failed"]
    assert set(active_children()) - before == set()


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_worker_ends_without_walking_its_objects_once_more(capfd):
    """A worker's last garbage collection, as the interpreter ends, walks none of the objects
    it holds: they are frozen first (the batch waits for its workers to end)."""
    from dossier.run.workers import LocalExecutor

    executor = LocalExecutor(1)
    try:
        executor.pool.submit(held_and_watched).result(timeout=120)
    finally:
        executor.close()  # returns once the worker process has ended
    said = capfd.readouterr().err.splitlines()
    walked = [line for line in said if line.startswith("gc: objects in each generation:")]
    assert walked, said[-20:]  # the collections as it ended were told
    oldest = [int(line.rsplit(" ", 1)[1]) for line in walked]  # the generation that holds them
    assert max(oldest) < 200_000, walked


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_batchs_workers_fork_their_kernels_from_one_template(tmp_path):
    """One kernel template serves all of a batch's workers: its libraries are imported once.
    It ends with the batch, and takes the kernels with it."""
    from dossier.run.batch import run_batch
    from dossier.run.kernel_template import can_fork_kernels

    if not can_fork_kernels():
        pytest.skip("kernels are forked only on Linux")
    data = demo_data(tmp_path / "data", cases=4)
    seen: list[list[tuple[int, int]]] = []

    def forks(process: psutil.Process | None) -> bool:  # a template, or a kernel forked from one
        return process is not None and "dossier.run.kernel_template" in " ".join(process.cmdline())

    def is_template(process: psutil.Process) -> bool:
        with contextlib.suppress(psutil.NoSuchProcess):  # a kernel ending meanwhile
            return forks(process) and not forks(process.parent())
        return False

    def templates(_result, _done, _total) -> None:  # while the batch runs
        seen.append([(p.pid, p.ppid()) for p in family(os.getpid()) if is_template(p)])

    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    report = run_batch(case_ids(data), registry=load(data), data_dir=data, out_dir=tmp_path / "out",
                       options=options, workers=2, progress=templates)  # fmt: skip
    assert [r.status.value for r in report.results] == ["done"] * 4, [r.error for r in report.results]
    assert [len(found) for found in seen] == [1] * 4
    ((template, parent),) = {pair for found in seen for pair in found}
    assert parent == os.getpid()  # the batch's, not a worker's
    assert gone_within([template], 5)


def _no_result() -> None:
    """A task for a worker that is killed first: its future fails once the pool is broken."""


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_job_found_after_a_worker_died_is_reported_lost_not_raised(tmp_path):
    """Workers render while the other cases are prepared; one that dies meanwhile breaks the
    pool, which takes no more jobs: those found later are reported lost, the batch goes on."""
    from concurrent.futures.process import BrokenProcessPool

    from dossier.run.workers import LocalExecutor

    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    job = prepare_job(load(SAMPLE_DATA), "RUN/168/2020", SAMPLE_DATA, options)
    executor = LocalExecutor(1).start()
    try:
        (worker,) = executor.pool._processes.values()
        worker.kill()
        with pytest.raises(BrokenProcessPool):  # the pool has seen it die
            executor.pool.submit(_no_result).result(timeout=60)
        executor.submit([job])
        [(reported, rendered)] = list(executor.results([job]))
    finally:
        executor.stop()
    assert reported is job
    assert "the worker rendering it was lost" in rendered.error


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_batch_whose_template_cannot_listen_still_renders(tmp_path, monkeypatch):
    """Where the batch cannot open its template's socket (here: a private folder too deep for
    one), it starts none, and the dossiers come out as ever (each worker tries its own)."""
    from dossier.run import kernel_template, workers
    from dossier.run.batch import run_batch

    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr(kernel_template, "private_dir", lambda: deep)
    assert workers._new_template() is None
    data = demo_data(tmp_path / "data", cases=2)
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    report = run_batch(case_ids(data), registry=load(data), data_dir=data, out_dir=tmp_path / "out",
                       options=options, workers=2)  # fmt: skip
    assert [r.status.value for r in report.results] == ["done"] * 2, [r.error for r in report.results]


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_worker_holds_no_data_library():
    """A worker renders jobs that carry their data: having rendered one, it has imported neither
    pyarrow nor NumPy (which papermill's HDFS support would bring) nor pandas."""
    from dossier.run.workers import LocalExecutor

    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    job = prepare_job(load(SAMPLE_DATA), "RUN/168/2020", SAMPLE_DATA, options)
    executor = LocalExecutor(1)
    try:
        [(_, rendered)] = list(executor.results([job]))
        assert rendered.error is None
        assert executor.pool.submit(data_libraries).result(timeout=120) == []
    finally:
        executor.close()
