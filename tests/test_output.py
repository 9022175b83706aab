"""The output folder: one folder, one case.

A case's folder is named by its slug, and two case IDs can share one (``A/1/2020`` and
``A-1-2020``). The manifest names its case: a dossier is never written over another case's,
in one run or across runs, and every collision is named at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AS_OF, REPO
from processes import dossier, refused

from dossier.errors import OutputError
from dossier.run.output import claim_folders, output_lock, swap_into_place, write_files

#: Seconds a command may take in these tests before it counts as hung.
LIMIT = 300


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


# -- a folder that cannot take the dossiers -----------------------------------------------------

CASE = "RUN/168/2020"
SLUG = "RUN-168-2020"


def not_a_folder(out: Path, file: Path) -> str:
    return f"dossier: --out {out}: {file} is a file, not a folder; give a folder (one that does not exist yet is made)\n"


@pytest.mark.parametrize("command", ["render", "batch"])
@pytest.mark.parametrize("under", [False, True], ids=["a file", "under a file"])
def test_an_out_that_is_a_file_or_under_one_is_refused_at_once(tmp_path, command, under):
    file = tmp_path / "notes.txt"
    file.write_text("the user's own notes", encoding="utf-8")
    out = file / "dossiers" if under else file
    done = dossier(command, CASE, "--out", out, "--as-of", AS_OF, "--format", "html")
    assert (done.returncode, done.stderr) == (2, not_a_folder(out, file))
    assert file.read_text(encoding="utf-8") == "the user's own notes"
    assert list(tmp_path.iterdir()) == [file]


def in_private_mounts(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=LIMIT, cwd=REPO)


def statuses(stdout: str) -> dict[str, int]:
    """The lines ``what: STATUS`` the scripts below echo after each command."""
    return {line.rsplit(": ", 1)[0]: int(line.rsplit(": ", 1)[1])
            for line in stdout.splitlines() if line.startswith("* ")}  # fmt: skip


def test_a_read_only_out_is_refused_with_exit_2_and_nothing_written(tmp_path, private_mounts):
    disk = tmp_path / "disk"
    disk.mkdir()
    script = """
        mount -t tmpfs none "$1" && mkdir "$1/out" && echo mine > "$1/out/notes.txt" \
            && mount -o remount,ro "$1" || exit 99
        "$2" -m dossier.cli batch "$3" --out "$1/out" --as-of "$4" --format html
        echo "* batch into a read-only folder: $?"
        "$2" -m dossier.cli batch "$3" --out "$1/new" --as-of "$4" --format html
        echo "* batch into a new folder on a read-only disk: $?"
        "$2" -m dossier.cli render "$3" --out "$1/out" --as-of "$4" --format html --quiet
        echo "* render into a read-only folder: $?"
        echo "* files: $(find "$1" -mindepth 1 | wc -l)"
        find "$1" -mindepth 1
    """
    done = in_private_mounts(private_mounts(script, disk, sys.executable, CASE, AS_OF))
    assert statuses(done.stdout) == {
        "* batch into a read-only folder": 2,
        "* batch into a new folder on a read-only disk": 2,
        "* render into a read-only folder": 2,
        "* files": 2,
    }, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"dossier: --out {disk / 'out'} is on a read-only file system; give a folder you can write to",
        f"dossier: --out {disk / 'new'} is on a read-only file system; give a folder you can write to",
        f"dossier: --out {disk / 'out'} is on a read-only file system; give a folder you can write to",
    ]
    assert done.stdout.splitlines()[-2:] == [str(disk / "out"), str(disk / "out" / "notes.txt")]


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_a_full_disk_gives_exit_2_and_leaves_the_last_dossier_and_report_whole(
    tmp_path, private_mounts
):
    """A dossier rendered into a small disk; the disk filled; then the same batch (it only
    writes its report), the batch with --force and a render (each writes the dossier anew)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = """
        mount -t tmpfs -o size=4m none "$1" || exit 99
        "$2" -m dossier.cli batch "$3" --out "$1/out" --as-of "$4" --format html
        echo "* first batch: $?"
        (cd "$1/out" && sha256sum RUN-168-2020/* batch-report.json index.html) > "$5/before"
        cat /dev/zero > "$1/filler" 2>/dev/null
        "$2" -m dossier.cli batch "$3" --out "$1/out" --as-of "$4" --format html
        echo "* the same batch on a full disk: $?"
        "$2" -m dossier.cli batch "$3" --out "$1/out" --as-of "$4" --format html --force
        echo "* batch --force on a full disk: $?"
        "$2" -m dossier.cli render "$3" --out "$1/out" --as-of "$4" --format html --quiet
        echo "* render on a full disk: $?"
        (cd "$1/out" && sha256sum RUN-168-2020/* batch-report.json index.html) > "$5/after"
        (cd "$1/out" && find . -mindepth 1) > "$5/files"
    """
    done = in_private_mounts(private_mounts(script, disk, sys.executable, CASE, AS_OF, tmp_path))
    assert statuses(done.stdout) == {
        "* first batch": 0,
        "* the same batch on a full disk": 2,
        "* batch --force on a full disk": 2,
        "* render on a full disk": 2,
    }, done.stdout + done.stderr
    full = [line for line in done.stderr.splitlines() if line.startswith("dossier: ")]
    assert full == 3 * [
        f"dossier: --out {disk / 'out'}: the disk is full; nothing was left half-written:"
        " free some space or give another --out folder"
    ], done.stderr
    assert "Traceback" not in done.stderr
    # The first batch's dossier, report and index page, as they were, and nothing half-written.
    before = (tmp_path / "before").read_text(encoding="utf-8")
    assert before.count("\n") == 6 and (tmp_path / "after").read_text(encoding="utf-8") == before
    assert sorted((tmp_path / "files").read_text(encoding="utf-8").split()) == [
        "./.dossier.lock", f"./{SLUG}", *(f"./{SLUG}/{n}" for n in (f"{SLUG}.html", f"{SLUG}.ipynb", "case-extract.json",
                                                      "manifest.json")),
        "./batch-report.json", "./index.html",
    ]  # fmt: skip


# -- links the tool never writes through -------------------------------------------------------


def test_a_lock_file_that_is_a_link_is_refused_and_its_target_left_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not the tool's\n", encoding="utf-8")
    (out / ".dossier.lock").symlink_to(secret)
    run = dossier("batch", "RUN/168/2020", "--out", out, "--as-of", AS_OF)
    assert run.returncode == 2, run.stderr
    assert f"{out / '.dossier.lock'} is a symbolic link" in run.stderr
    assert "Traceback" not in run.stderr
    assert secret.read_text(encoding="utf-8") == "not the tool's\n"
    assert sorted(p.name for p in out.iterdir()) == [".dossier.lock"]


def test_a_lock_file_that_is_not_a_file_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / ".dossier.lock")  # opened to read, it would hang the run
    with pytest.raises(OutputError, match=r"\.dossier\.lock is not a regular file"), output_lock(out):
        pass
    (out / ".dossier.lock").unlink()
    (out / ".dossier.lock").mkdir()
    folder = r"\.dossier\.lock is a folder where dossier writes a file"
    with pytest.raises(OutputError, match=folder), output_lock(out):
        pass


def test_files_are_written_over_links_in_their_place_never_through_them(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("kept", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").symlink_to(target)
    (out / f".index.html.{os.getpid()}.part").symlink_to(target)  # where its temporary goes
    write_files({out / "report.json": "new", out / "index.html": "page"})
    assert target.read_text(encoding="utf-8") == "kept"
    assert not (out / "report.json").is_symlink()
    assert (out / "report.json").read_text(encoding="utf-8") == "new"
    assert (out / "index.html").read_text(encoding="utf-8") == "page"
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "report.json"]


def test_a_dossier_folder_that_is_a_link_is_replaced_and_leaves_nothing_behind(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("kept", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "A-1").symlink_to(elsewhere, target_is_directory=True)
    staging = out / ".A-1.new.tmp"
    staging.mkdir()
    (staging / "A-1.html").write_text("dossier", encoding="utf-8")
    swap_into_place(staging, out / "A-1")
    assert sorted(p.name for p in out.iterdir()) == ["A-1"]
    assert not (out / "A-1").is_symlink()
    assert (elsewhere / "keep.txt").read_text(encoding="utf-8") == "kept"


def test_cases_whose_ids_print_alike_are_told_apart(tmp_path, write_data, valid_csv):
    """``KS/Å/1`` written precomposed and decomposed: one slug, and the message shows which is which."""
    extra = "KS/\u00c5/1,Förtätad,2020,open,,N,,\nKS/A\u030a/1,Sammansatt,2020,open,,N,,\n"
    data = write_data(tmp_path / "data", cases=valid_csv["cases"] + extra)
    stderr = refused(dossier("batch", "KS/\u00c5/1", "KS/A\u030a/1", "--data", data,
                             "--out", tmp_path / "out"),
                     "'KS/\u00c5/1' and 'KS/A\\u030a/1' would both be written to")  # fmt: skip
    assert "'KS/A\u030a/1'" not in stderr
    unknown = refused(dossier("render", "KS/\u00c5/2", "--data", data, "--out", tmp_path / "out"))
    assert "did you mean KS/Å/1, 'KS/A\\u030a/1'?" in unknown
