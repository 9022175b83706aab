"""The manifest as the one test of a current dossier: its case, its key, and each file's size and
SHA-256. No kernel: the dossiers here are folders written by the test in the manifest's format."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from processes import dossier

from dossier.run.manifest import current_files

CASE = "A/1/2020"
SLUG = "A-1-2020"
KEY = "1" * 64


def write_dossier(out: Path, case_id: str = CASE, slug: str = SLUG, key: str = KEY,
                  formats: tuple[str, ...] = ("html", "pdf")) -> Path:  # fmt: skip
    """A dossier folder as a render leaves it: its files, and a manifest that records them."""
    folder = out / slug
    folder.mkdir(parents=True)
    contents = {f"{slug}.ipynb": b'{"cells": []}', "case-extract.json": b'{"format": 1}\n'}
    if "html" in formats:
        contents[f"{slug}.html"] = "<!DOCTYPE html><html><p>Ärende</p></html>\n".encode()
    if "pdf" in formats:
        contents[f"{slug}.pdf"] = b"%PDF-1.7 " + bytes(range(256)) + b"%%EOF"
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    records = {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
               for name, data in contents.items()}  # fmt: skip
    manifest = {"case_id": case_id, "slug": slug, "key": key, "formats": list(formats),
                "files": records}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def edit_manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_a_whole_dossier_is_current_and_its_checked_bytes_are_returned(tmp_path):
    folder = write_dossier(tmp_path)
    files = current_files(folder, CASE, KEY)
    assert files is not None
    assert sorted(files) == [f"{SLUG}.html", f"{SLUG}.ipynb", f"{SLUG}.pdf", "case-extract.json"]
    assert all(files[name] == (folder / name).read_bytes() for name in files)
    assert current_files(folder, CASE) == files  # without a key: the files alone


@pytest.mark.parametrize(
    "damage",
    [
        "zero-byte pdf",
        "truncated html",
        "changed byte, same size",
        "missing notebook",
        "extra format not rendered",
    ],
)
def test_a_damaged_file_makes_the_dossier_stale(tmp_path, damage):
    folder = write_dossier(tmp_path)
    pdf, html, notebook = (folder / f"{SLUG}.{kind}" for kind in ("pdf", "html", "ipynb"))
    if damage == "zero-byte pdf":
        pdf.write_bytes(b"")
    elif damage == "truncated html":
        html.write_bytes(html.read_bytes()[:20])
    elif damage == "changed byte, same size":
        data = bytearray(pdf.read_bytes())
        data[20] ^= 1
        pdf.write_bytes(bytes(data))
    elif damage == "missing notebook":
        notebook.unlink()
    elif damage == "extra format not rendered":
        edit_manifest(folder, formats=["html"])  # lists a PDF its formats do not make
    assert current_files(folder, CASE, KEY) is None


def test_a_manifest_of_another_case_key_or_folder_is_not_current(tmp_path):
    folder = write_dossier(tmp_path)
    assert current_files(folder, "A-1-2020", KEY) is None  # the folder's slug, another case
    assert current_files(folder, CASE, "2" * 64) is None
    moved = folder.rename(tmp_path / "elsewhere")
    assert current_files(moved, CASE, KEY) is None


#: A manifest written before files were recorded: such a dossier is rendered again, once.
OLD_MANIFEST = {
    "case_id": CASE,
    "slug": SLUG,
    "key": KEY,
    "formats": ["html"],
    "html_sha256": "0" * 64,
}
#: A manifest whose record names a file outside its folder.
ESCAPING = {**OLD_MANIFEST, "files": {f"../{SLUG}.html": {"size": 1, "sha256": "0" * 64},
                                      f"{SLUG}.ipynb": {"size": 1, "sha256": "0" * 64}}}  # fmt: skip


@pytest.mark.parametrize(
    "manifest",
    [b"", b"{not json", b"[]", json.dumps(OLD_MANIFEST).encode(), json.dumps(ESCAPING).encode()],
    ids=["empty", "broken", "not an object", "no file records", "a path out of the folder"],
)
def test_a_damaged_or_old_manifest_is_not_current(tmp_path, manifest):
    folder = write_dossier(tmp_path)
    (folder / "manifest.json").write_bytes(manifest)
    assert current_files(folder, CASE, KEY) is None


def test_an_html_only_dossier_needs_no_pdf(tmp_path):
    folder = write_dossier(tmp_path, formats=("html",))
    assert sorted(current_files(folder, CASE, KEY) or {}) == [
        f"{SLUG}.html", f"{SLUG}.ipynb", "case-extract.json"
    ]


def test_no_folder_is_not_current(tmp_path):
    assert current_files(tmp_path / SLUG, CASE, KEY) is None


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.kernel
def test_records_an_output_folder_holds_are_read_back_only_as_written(tmp_path, write_data):
    """A manifest or a batch's report nested too deeply, or a pipe in a manifest's place: the
    batch takes the dossier for damaged and renders it again, no traceback, no hang."""
    data, out = write_data(tmp_path / "data"), tmp_path / "out"
    batch = ("batch", CASE, "--data", data, "--out", out, "--format", "html")
    first = dossier(*batch)
    assert first.returncode == 0, first.stderr
    (out / SLUG / "manifest.json").write_bytes(DEEP)
    (out / "batch-report.json").write_bytes(DEEP)
    again = dossier(*batch, timeout=120)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert "1 done, 0 skipped" in again.stdout
    (out / SLUG / "manifest.json").unlink()
    os.mkfifo(out / SLUG / "manifest.json")
    (out / "batch-report.json").write_bytes(b'{"batch_key": [], "counts": "x"}')
    third = dossier(*batch, timeout=120)
    assert third.returncode == 0 and "Traceback" not in third.stderr, third.stderr
    assert "1 done, 0 skipped" in third.stdout
    assert json.loads((out / SLUG / "manifest.json").read_text(encoding="utf-8"))["case_id"] == CASE


def test_a_manifest_nested_too_deeply_is_no_manifest(tmp_path):
    from dossier.run.manifest import read_manifest

    (tmp_path / "manifest.json").write_bytes(DEEP)
    assert read_manifest(tmp_path) is None
    assert current_files(tmp_path, CASE, KEY) is None
