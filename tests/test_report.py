"""What a batch leaves behind holds for a copy of its folder: the report's paths are the folder's.

A batch into a copied output folder reports the copy's own files and builds its own meeting
pack; the folder it was copied from is neither reported nor read.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from batch_runs import Run, batch
from conftest import SAMPLE_MEETING as MEETING

from dossier.run.job import slugify
from dossier.run.report import in_folder


def test_a_report_path_outside_its_folder_is_not_taken(tmp_path):
    assert in_folder({"pdf": "meeting-M/M.pdf"}, tmp_path) == {"pdf": str(tmp_path / "meeting-M/M.pdf")}
    assert in_folder(None, tmp_path) is None
    for paths in ({"pdf": "/elsewhere/M.pdf"}, {"pdf": "../other/M.pdf"}, {"pdf": 3}, ["M.pdf"]):
        assert in_folder(paths, tmp_path) is False


@pytest.fixture(scope="module")
def meeting_run(tmp_path_factory) -> Run:
    run = batch(tmp_path_factory.mktemp("report") / "out", "--meeting", MEETING, "--workers", "2")
    assert run.status == 0, run.stderr
    return run


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_the_batch_index_gives_the_day_and_links_the_meeting_pack(meeting_run):
    page = (meeting_run.out / "index.html").read_text(encoding="utf-8")
    slug = slugify(MEETING)
    shown = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Gäller per den 1 juni 2023" in shown
    assert f'<a href="meeting-{slug}/{slug}.pdf">Sammanträdets samlade PDF</a>' in page
    assert f'<a href="meeting-{slug}/index.html">Dagordning</a>' in page
    assert all((meeting_run.out / href).is_file() for href in re.findall(r'href="([^"#]+)"', page))


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_batch_in_a_copied_folder_reports_and_builds_its_own_meeting_pack(meeting_run, tmp_path):
    first = meeting_run
    slug = slugify(MEETING)
    assert first.report["meeting_pack"] == {"index": f"meeting-{slug}/index.html",
                                            "pdf": f"meeting-{slug}/{slug}.pdf"}  # fmt: skip
    for entry in first.report["dossiers"]:
        assert all(not Path(path).is_absolute() for path in entry["outputs"].values())

    copy = tmp_path / "copy"
    shutil.copytree(first.out, copy)
    shutil.rmtree(copy / f"meeting-{slug}")  # the copy's pack is gone; the original's is there
    again = batch(copy, "--meeting", MEETING, "--workers", "2")
    assert again.status == 0, again.stderr
    assert again.report["meeting_pack"] == first.report["meeting_pack"]
    assert (copy / f"meeting-{slug}" / f"{slug}.pdf").is_file()
    assert str(first.out) not in again.stdout + (copy / "batch-report.json").read_text()
    assert f"meeting pack: {copy / f'meeting-{slug}' / f'{slug}.pdf'}" in again.stdout
