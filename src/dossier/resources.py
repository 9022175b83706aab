"""Where the bundled notebook, template and sample data are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

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
