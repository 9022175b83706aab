"""A render's scratch folder: its own, in the machine's temporary folder, and gone after it,
even after a render killed with its worker. No kernel."""

from __future__ import annotations

import fcntl
import tempfile

import pytest

from dossier.run.job import SCRATCH_PREFIX, scratch_folder


@pytest.fixture
def temporary_folder(tmp_path, monkeypatch):
    """The machine's temporary folder, as the process sees it, is this test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_a_render_removes_the_scratch_folders_of_killed_renders_and_no_other(temporary_folder):
    killed = temporary_folder / f"{SCRATCH_PREFIX}killed"
    running = temporary_folder / f"{SCRATCH_PREFIX}running"
    starting = temporary_folder / f"{SCRATCH_PREFIX}starting"  # made, its lock not yet in place
    unrelated = temporary_folder / "somebody-elses"
    for folder in (killed, running, starting, unrelated):
        (folder / "extract").mkdir(parents=True)
    (killed / ".in-use").touch()
    (running / ".in-use").touch()
    (unrelated / ".in-use").touch()
    with open(running / ".in-use") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a render in another process holds it
        with scratch_folder() as scratch:
            assert scratch.parent == temporary_folder and scratch.name.startswith(SCRATCH_PREFIX)
            assert sorted(p.name for p in temporary_folder.iterdir()) == sorted(
                [running.name, starting.name, unrelated.name, scratch.name]
            )
            (scratch / "dossier").mkdir()
            (scratch / "dossier" / "file").write_text("x", encoding="utf-8")
        assert not scratch.exists()
    assert sorted(p.name for p in temporary_folder.iterdir()) == sorted(
        [running.name, starting.name, unrelated.name]
    )


def test_a_scratch_folder_is_removed_when_its_render_fails(temporary_folder):
    with pytest.raises(RuntimeError), scratch_folder() as scratch:
        (scratch / "half-written").write_bytes(b"x")
        raise RuntimeError("the export failed")
    assert list(temporary_folder.iterdir()) == []
