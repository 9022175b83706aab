"""Where the bundled notebook, template and sample data are, installed or in a checkout."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from . import __version__
from .errors import ParameterError

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_bundled"
CHECKOUT = PACKAGE.parent.parent


def _find(bundled: str, checkout: str) -> Path:
    # A checkout (an editable install) reads its own files; a wheel carries copies.
    path = CHECKOUT / checkout
    return path if path.exists() else BUNDLED / bundled


def sample_data_dir() -> Path:
    return _find("sample", "data/sample")


def notebook_path() -> Path:
    return _find("case_dossier.ipynb", "notebooks/case_dossier.ipynb")


def template_dir() -> Path:
    return PACKAGE / "templates"


def data_dir(option: str | Path | None) -> Path:
    """The data folder an option names, or the bundled sample when it names none."""
    if option is None:
        return sample_data_dir()
    path = Path(option).expanduser()
    if not path.is_dir():
        raise ParameterError(
            f"--data {option}: no such folder (give the folder that holds cases.csv)"
        )
    return path.resolve()


DOSSIER_TEMPLATES = ("dossier", "sections")


@cache
def toolkit_fingerprint() -> dict[str, str]:
    """The toolkit version and the hashes of the notebook and template it renders with."""
    template = hashlib.sha256()
    # Only the templates a dossier is made of: a change to the mail or batch pages keeps dossiers current.
    for folder in DOSSIER_TEMPLATES:
        for path in sorted((template_dir() / folder).rglob("*")):
            if path.is_file():
                template.update(path.relative_to(template_dir()).as_posix().encode() + b"\0")
                template.update(path.read_bytes())
    return {
        "version": __version__,
        "notebook_sha256": notebook_hash(notebook_path()),
        "template_sha256": template.hexdigest(),
    }


def notebook_hash(path: Path, data: bytes | None = None) -> str:
    """SHA-256 of what a notebook does: each cell's type and source, in order.

    Outputs, execution counts and the metadata JupyterLab writes on every save
    are left out, so saving a notebook in Lab never makes a dossier stale. ``data``: the
    notebook's bytes as read already (``path`` then only names it in an error).
    """
    try:
        cells = json.loads(path.read_bytes() if data is None else data)["cells"]
        content = [[cell["cell_type"], _source(cell["source"])] for cell in cells]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{path}: not a Jupyter notebook ({exc}); open and save it in JupyterLab") from exc
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _source(source: str | list[str]) -> str:
    # nbformat stores a cell's source as one string or as a list of lines; both mean the same.
    return source if isinstance(source, str) else "".join(source)
