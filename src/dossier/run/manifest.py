"""What went into a dossier and what came out: parameters, source hashes, case rows, toolkit
versions, and the size and SHA-256 of each of the dossier's files, by which
:func:`current_files` tells a dossier that can be trusted from one to render again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import platform
import re
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.changes import EXTRACT_FILE
from ..data.contract import MANIFEST_FILE
from ..data.text import read_regular

if TYPE_CHECKING:  # pandas: not for checking a dossier, which a batch of unchanged cases does
    from ..data.model import Registry

PACKAGES = ("dossier", "papermill", "nbconvert", "nbclient", "ipykernel", "pandas", "pyarrow",
            "matplotlib", "weasyprint", "babel", "jinja2")  # fmt: skip


@cache
def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def frame_csv(frame) -> bytes:
    """A table as contract CSV (UTF-8, header first, quoted only where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(frame.itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8")


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection"): a cell of
#: source text such as ``=HYPERLINK("http://…","Bilaga")`` would run when the file is opened.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A number, which a leading sign does not make a formula.
_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")


def spreadsheet_safe(data: bytes) -> bytes:
    """Contract CSV ``data`` as a spreadsheet may open it: no cell read as a formula.

    As OWASP advises, a cell that begins as a formula does gets a ``'`` before it (a
    spreadsheet shows the text as written), and every cell is quoted. Numbers stay as they are.
    """
    rows = csv.reader(io.StringIO(data.decode("utf-8")))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow(
            "'" + cell if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell) else cell
            for cell in row
        )
    return buffer.getvalue().encode("utf-8")


def case_slice_csv(registry: Registry, case_id: str) -> tuple[dict[str, bytes], dict[str, int]]:
    """The case's slice of every table as contract CSV files keyed by file name, and row counts."""
    from ..data.model import case_slice

    tables = case_slice(registry, case_id)
    files = {f"{name}.csv": frame_csv(frame) for name, frame in tables.items()}
    return files, {name: len(frame) for name, frame in tables.items()}


# -- what came out ----------------------------------------------------------------------------


def file_names(slug: str, formats: Iterable[str]) -> dict[str, str]:
    """The dossier's files by kind (``html``, ``pdf``, ``notebook``, ``extract``), as named in its folder."""
    names = {kind: f"{slug}.{kind}" for kind in ("html", "pdf") if kind in formats}
    names["notebook"] = f"{slug}.ipynb"
    names["extract"] = EXTRACT_FILE
    return names


def file_record(data: bytes) -> dict[str, object]:
    """What the manifest records of one of the dossier's files: its size and SHA-256."""
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


#: The largest record of its own the tool reads back from an output folder (a manifest, a
#: batch's report): a few KiB, a few MiB for a batch of thousands.
RECORD_LIMIT = 64 * 2**20


def read_record(path: Path) -> dict | None:
    """The JSON object the tool wrote at ``path``; None if it is not there or not as written.

    An output folder is the user's: what is there may be anything. Only a regular file
    of at most :data:`RECORD_LIMIT` is read, and a record that is damaged, nested too
    deeply or no JSON object counts as none (its dossier or batch is made again).
    """
    try:
        record = json.loads(read_regular(path, RECORD_LIMIT))
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def read_manifest(folder: Path) -> dict | None:
    """The manifest of the dossier in ``folder``; None if there is none or it is no JSON object."""
    return read_record(folder / MANIFEST_FILE)


def current_files(folder: Path, case_id: str, key: str | None = None) -> dict[str, bytes] | None:
    """The files of the dossier in ``folder`` by name, if it is current; None if not.

    Current means: its manifest names ``case_id`` and this folder, carries ``key``
    (when one is given), lists the file of each format it was rendered in and the
    notebook, and every file it lists has the size and SHA-256 it records. A file
    that is missing, truncated or changed, a manifest that is damaged or names
    another case: the dossier is not current and is rendered again. The bytes
    returned are those checked, so that what is attached to a mail is what passed.
    """
    manifest = read_manifest(folder)
    try:
        if manifest["case_id"] != case_id or manifest["slug"] != folder.name:
            return None
        if key is not None and manifest["key"] != key:
            return None
        records = manifest["files"]
        if sorted(records) != sorted(file_names(folder.name, manifest["formats"]).values()):
            return None
        files = {}
        for name, record in records.items():
            if (folder / name).stat().st_size != record["size"]:  # the cheap test first
                return None
            files[name] = (folder / name).read_bytes()
            if file_record(files[name]) != record:
                return None
        return files
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
