"""A render's scratch folder: its own, in this process's private folder, and gone after it.
No kernel. What a killed render leaves goes with its process's folder (test_lifetime.py)."""

from __future__ import annotations

import pytest

from dossier.run.job import scratch_folder
from dossier.run.lifetime import private_dir


def test_each_render_has_a_scratch_folder_of_its_own_gone_after_it():
    with scratch_folder() as first, scratch_folder() as second:
        assert first != second
        assert first.parent == second.parent == private_dir()
        (first / "dossier").mkdir()
        (first / "dossier" / "file").write_text("x", encoding="utf-8")
    assert not first.exists() and not second.exists()


def test_a_scratch_folder_is_removed_when_its_render_fails():
    with pytest.raises(RuntimeError), scratch_folder() as scratch:
        (scratch / "half-written").write_bytes(b"x")
        raise RuntimeError("the export failed")
    assert not scratch.exists()
