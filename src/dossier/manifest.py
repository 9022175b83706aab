"""What went into a dossier: parameters, source hashes, case rows, toolkit versions."""

from __future__ import annotations

import hashlib
import io
import platform
from functools import cache
from importlib import metadata
from pathlib import Path

from .context import toolkit_fingerprint
from .model import Registry, case_slice

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


def case_slice_csv(registry: Registry, case_id: str) -> dict[str, bytes]:
    """The case's slice of every table as contract CSV files (UTF-8), keyed by file name."""
    files = {}
    for name, frame in case_slice(registry, case_id).items():
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, lineterminator="\n")
        files[f"{name}.csv"] = buffer.getvalue().encode("utf-8")
    return files


def build_manifest(
    case_id: str, registry: Registry, parameters: dict, options, folder: Path, slug: str
) -> dict:
    """The manifest of one dossier, written as manifest.json beside its files."""
    slice_rows = {name: len(frame) for name, frame in case_slice(registry, case_id).items()}
    html = folder / f"{slug}.html"
    outputs = {fmt: f"{slug}.{fmt}" for fmt in options.formats}
    outputs["notebook"] = f"{slug}.ipynb"
    return {
        "case_id": case_id,
        "slug": slug,
        "as_of": parameters["as_of"],
        "parameters": parameters,
        "sources": [
            {"file": s.path.name, "sha256": s.sha256, "rows": s.rows, "encoding": s.encoding}
            for s in registry.sources
        ],
        "case_rows": slice_rows,
        "toolkit": toolkit_fingerprint(),
        "packages": package_versions(),
        "outputs": outputs,
        "html_sha256": hashlib.sha256(html.read_bytes()).hexdigest() if html.exists() else None,
        "pdfa": options.pdfa,
    }
