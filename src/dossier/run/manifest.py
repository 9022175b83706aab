"""What went into a dossier: parameters, source hashes, case rows, toolkit versions."""

from __future__ import annotations

import csv
import io
import platform
from functools import cache
from importlib import metadata

from ..data.model import Registry, case_slice

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


def case_slice_csv(registry: Registry, case_id: str) -> tuple[dict[str, bytes], dict[str, int]]:
    """The case's slice of every table as contract CSV files keyed by file name, and row counts."""
    tables = case_slice(registry, case_id)
    files = {f"{name}.csv": frame_csv(frame) for name, frame in tables.items()}
    return files, {name: len(frame) for name, frame in tables.items()}
