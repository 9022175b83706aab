"""The output folder: one folder, one case.

A case's folder is named by its slug, and two case IDs can share one (``A/1/2020`` and
``A-1-2020``). The manifest names its case: a dossier is never written over another case's,
in one run or across runs, and every collision is named at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dossier.errors import OutputError
from dossier.run.output import claim_folders

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2023-06-01"
#: Seconds a command may take in these tests before it counts as hung.
LIMIT = 300


def dossier(*args: str | Path) -> subprocess.CompletedProcess:
    """``dossier ARGS`` as a user runs it: a child process."""
    return subprocess.run([sys.executable, "-m", "dossier.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=LIMIT, cwd=REPO)  # fmt: skip


@pytest.fixture
def look_alike_data(tmp_path, write_data, valid_csv) -> Path:
    """The valid data folder plus cases whose IDs differ only where their slugs do not."""
    extra = ("A-1-2020,Samma mapp som A/1/2020,2020,open,,N,,\n"
             "A 1 2020,Också samma mapp,2020,open,,N,,\n"
             "B/1/2021,Ett,2021,open,,N,,\n"
             "B-1-2021,Två,2021,open,,N,,\n")  # fmt: skip
    return write_data(tmp_path / "data", cases=valid_csv["cases"] + extra)


def fake_dossier(out: Path, slug: str, case_id: str) -> Path:
    """A folder as an earlier run left it, whose manifest names ``case_id``."""
    folder = out / slug
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"case_id": case_id, "slug": slug}),
                                          encoding="utf-8")  # fmt: skip
    return folder


def test_every_collision_is_named_at_once(tmp_path):
    out = tmp_path / "out"
    fake_dossier(out, "A-1-2020", "A/1/2020")
    fake_dossier(out, "A-2-2021", "A/2/2021")  # its own case: no collision
    with pytest.raises(OutputError) as refused:
        claim_folders(["A-1-2020", "A 1 2020", "A/2/2021", "B/1/2021", "B-1-2021"], out)
    lines = str(refused.value).splitlines()
    assert lines[0] == "3 folders would hold two cases' dossiers:"
    assert lines[1:4] == [
        f"  'A-1-2020' would replace the dossier of 'A/1/2020' in {out / 'A-1-2020'}",
        f"  'A-1-2020' and 'A 1 2020' would both be written to {out / 'A-1-2020'}",
        f"  'B/1/2021' and 'B-1-2021' would both be written to {out / 'B-1-2021'}",
    ]
    assert "--out" in lines[4]


def test_a_folder_of_the_same_case_or_with_no_manifest_is_the_case_s_own(tmp_path):
    out = tmp_path / "out"
    fake_dossier(out, "A-1-2020", "A/1/2020")
    (out / "B-1-2021").mkdir()  # a crash before the manifest: nothing says whose it is
    claim_folders(["A/1/2020", "B-1-2021", "C/1/2022"], out)
    claim_folders(["A/1/2020"], tmp_path / "no-such-folder")


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_a_second_case_with_the_same_folder_is_refused_and_the_first_dossier_stays(
    tmp_path, look_alike_data
):
    out = tmp_path / "out"
    first = dossier("render", "A/1/2020", "--data", look_alike_data, "--out", out,
                    "--as-of", AS_OF, "--format", "html")  # fmt: skip
    assert first.returncode == 0, first.stderr
    folder = out / "A-1-2020"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    second = dossier("render", "A-1-2020", "--data", look_alike_data, "--out", out,
                     "--as-of", AS_OF, "--format", "html")  # fmt: skip
    assert second.returncode == 2
    assert "'A-1-2020' would replace the dossier of 'A/1/2020'" in second.stderr
    assert "Traceback" not in second.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    # A batch names every collision at once, with the earlier run's, and renders nothing.
    batch = dossier("batch", "A-1-2020", "A 1 2020", "A/2/2021", "B/1/2021", "B-1-2021",
                    "--data", look_alike_data, "--out", out, "--as-of", AS_OF, "--format", "html")  # fmt: skip
    assert batch.returncode == 2
    assert batch.stderr.splitlines()[:4] == [
        "dossier: 3 folders would hold two cases' dossiers:",
        f"  'A-1-2020' would replace the dossier of 'A/1/2020' in {folder}",
        f"  'A-1-2020' and 'A 1 2020' would both be written to {folder}",
        f"  'B/1/2021' and 'B-1-2021' would both be written to {out / 'B-1-2021'}",
    ]
    assert "Traceback" not in batch.stderr
    assert sorted(p.name for p in out.iterdir()) == [".dossier.lock", "A-1-2020"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
