"""Case notebooks: a case's own copy of the template, where the analyst keeps her cells.

``dossier notebook CASE_ID`` writes ``<folder>/<slug>.ipynb`` from the template
with the case's parameters set (:func:`create_case_notebook`). It holds the
standard sections by reference: its cells call one :mod:`dossier.sections`
function per block of sections (``show.opening``, ``show.record``,
``show.closing``), so a section added to the package, or fixed, reaches every
case notebook without an edit. Every cell it is made with carries the tag
``dossier``; a cell without it (and not the parameters) is the analyst's own,
and renders into the dossier where she put it.

``render``, ``batch`` and ``mail`` render a case from its own notebook when the
notebooks folder holds one, from the template otherwise (:func:`notebook_for`).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import warnings
from pathlib import Path

from ..data.text import read_regular, size_text
from ..errors import CaseNotebookError, ParameterError, shown
from ..resources import notebook_hash, notebook_path

#: Where case notebooks are kept, under the project's folder, unless told otherwise.
DEFAULT_FOLDER = Path("notebooks") / "cases"
#: The tag of every cell a case notebook is made with; the analyst's own cells lack it.
STANDARD_TAG = "dossier"
#: Tags of cells that hold parameters: the template's, and the one papermill injects.
PARAMETER_TAGS = {"parameters", "injected-parameters"}
#: The key of the notebook's metadata that names the case a case notebook is of.
METADATA_KEY = "dossier"


def case_notebook_path(folder: str | Path, slug: str) -> Path:
    """Where the case notebook of the case of ``slug`` is (or would be) in ``folder``.

    ``slug`` is the case ID as a file name (:func:`~dossier.run.job.slugify`), as the
    case's dossier folder is named: ``RUN/168/2020`` has ``RUN-168-2020.ipynb``.
    """
    return Path(folder) / f"{slug}.ipynb"


def notebook_for(folder: str | Path | None, slug: str) -> Path:
    """The notebook that renders the case of ``slug``: its own in ``folder``, else the template.

    Anything there by the case notebook's name counts as there (a folder, a pipe, a dangling
    link): :func:`read_case_notebook` then says what is wrong with it.
    """
    if folder is not None:
        own = case_notebook_path(folder, slug)
        if own.is_file():
            return own.resolve()
        if own.is_symlink() or own.exists():
            return own.absolute()
    return notebook_path()


#: The largest case notebook read. One is committed without outputs, a few hundred KiB;
#: saved in JupyterLab with its figures, a few MiB.
NOTEBOOK_LIMIT = 64 * 2**20


def read_case_notebook(path: Path, case_id: str | None = None) -> bytes:
    """The bytes of the case notebook at ``path``, checked: a notebook, and ``case_id``'s.

    Cases whose IDs differ only where their slugs do not (``A/1`` and ``A-1``) would share a
    notebook: a case notebook names its case (:func:`notebook_case`), and one that names
    another case is refused. Raises ParameterError naming the file and the fix.
    """
    try:
        raw = read_regular(path, NOTEBOOK_LIMIT)
    except OSError as exc:
        problem = "a link to nothing" if path.is_symlink() else exc.strerror
        raise CaseNotebookError(f"{path}: cannot read it ({problem}); remove it or make it the "
                                f"case's notebook again with `dossier notebook`") from None  # fmt: skip
    except ValueError as exc:
        raise CaseNotebookError(f"{path}: {exc}; a case notebook is a notebook file of at most "
                                f"{size_text(NOTEBOOK_LIMIT)}: save it without its outputs, or "
                                "remove it") from None  # fmt: skip
    notebook = parsed_notebook(path, raw)
    if case_id is not None and (named := notebook_case(path, notebook)) != case_id:
        raise CaseNotebookError(f"{path}: is the notebook of case {shown(named)}, not of {shown(case_id)}, "
                                "whose file name is the same; keep one of them in another folder "
                                "(--notebooks DIR)")  # fmt: skip
    return raw


def parsed_notebook(path: Path, raw: bytes) -> dict:
    """The notebook ``raw`` (the bytes of ``path``) as a checked nbformat 4 notebook."""
    import nbformat

    try:
        notebook = json.loads(raw)
        # nbformat asserts (not raises) that the version numbers are whole numbers.
        if not isinstance(notebook, dict) or notebook.get("nbformat") != 4 or not isinstance(
            notebook.get("nbformat_minor"), int
        ):
            raise ValueError("not in nbformat 4")
        with warnings.catch_warnings():  # cells without ids: nbformat mends them, and warns
            warnings.simplefilter("ignore")
            nbformat.validate(notebook, version=4)
        return notebook
    # nbformat's checks meet a crafted notebook with TypeError and kin, before they say why.
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError,
            nbformat.ValidationError) as exc:  # fmt: skip
        problem = _first_line(exc)
        raise CaseNotebookError(f"{path}: not a Jupyter notebook ({problem}); open and save it in "
                                "JupyterLab, or make it again with `dossier notebook`") from None  # fmt: skip


def _first_line(exc: BaseException) -> str:
    """What ``exc`` says in its first line; a notebook nested too deeply for its own message says so."""
    try:
        if not isinstance(exc, RecursionError):
            return str(exc).partition("\n")[0]
    except RecursionError:  # nbformat's message prints the offending part, as deep as it is
        pass
    return "nested too deeply"


def notebook_case(path: Path, notebook: dict) -> str:
    """The case the case notebook ``notebook`` (at ``path``) is of.

    Its metadata says (``dossier.case_id``, written by :func:`create_case_notebook`); a
    notebook without it is of the case its parameters cell names.
    """
    named = notebook.get("metadata", {}).get(METADATA_KEY, {})
    if isinstance(named, dict) and isinstance(named.get("case_id"), str):
        return named["case_id"]
    for cell in notebook["cells"]:
        if "parameters" in _tags(cell):
            found = re.search(r"^case_id = (.*?)\s*(?:#.*)?$", _text(cell["source"]), re.MULTILINE)
            with contextlib.suppress(ValueError, SyntaxError):
                value = ast.literal_eval(found.group(1)) if found else None
                if isinstance(value, str):
                    return value
    raise CaseNotebookError(f"{path}: names no case (no case_id in its parameters cell); make it "
                            "again with `dossier notebook CASE_ID`")  # fmt: skip


def analyst_cells(path: Path, data: bytes | None = None) -> int:
    """How many cells of the notebook at ``path`` are the analyst's own (see the module's docstring).

    ``data``: the notebook's bytes as read already.
    """
    try:
        cells = json.loads(path.read_bytes() if data is None else data)["cells"]
        return sum(1 for cell in cells if is_analyst_cell(cell))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{path}: not a Jupyter notebook ({exc}); open and save it in JupyterLab") from exc


def is_analyst_cell(cell: dict) -> bool:
    """Whether ``cell`` is one the analyst added: neither a standard cell nor the parameters."""
    return not _tags(cell) & (PARAMETER_TAGS | {STANDARD_TAG})


def notebook_record(path: Path, data: bytes) -> dict[str, object]:
    """What a dossier's manifest says of the notebook at ``path``, whose bytes are ``data``."""
    return {
        "path": str(path),
        "case_notebook": path != notebook_path(),
        "sha256": notebook_hash(path, data),
        "analyst_cells": analyst_cells(path, data),
    }


def folder_hashes(folder: str | Path | None) -> dict[str, str]:
    """The hash (:func:`~dossier.resources.notebook_hash`) of each case notebook in ``folder``, by name.

    What a batch's key needs to know of the case notebooks: a remark added to one makes the
    batch look again, and a save in JupyterLab (outputs only) does not.
    """
    if folder is None or not Path(folder).is_dir():
        return {}
    return {
        path.name: notebook_hash(path, read_case_notebook(path))
        for path in sorted(Path(folder).glob("*.ipynb"))
    }


def create_case_notebook(
    case_id: str, slug: str, folder: str | Path, *, data_dir: Path, project: str | Path = ".",
    force: bool = False,
) -> tuple[Path, bool]:
    """Write the case notebook of ``case_id`` into ``folder`` from the template.

    Parameters
    ----------
    case_id, slug
        The case's registry number (it must be in the data: the caller checks) and its slug.
    folder
        The notebooks folder; made if missing.
    data_dir
        The data folder. Inside ``project`` (default: the current folder) it is written
        relative to ``folder``, the notebook's own folder, where JupyterLab starts the
        notebook's kernel: the project may move as a whole. Outside it, it is written
        absolute. (A render gives the notebook the case's extract instead.)
    force
        Replace a case notebook that is there already (the analyst's cells in it are lost).

    Returns
    -------
    The notebook's path, and whether it was written (False: one was there and is left alone).
    """
    path = case_notebook_path(folder, slug)
    if path.exists() or path.is_symlink():
        _check_replaceable(path, case_id)
        if not force:
            return path, False
    template = json.loads(notebook_path().read_bytes())
    template.setdefault("metadata", {})[METADATA_KEY] = {"case_id": case_id}
    data = Path(data_dir).resolve()
    if data.is_relative_to(Path(project).resolve()):  # the project moves as a whole
        data = Path(os.path.relpath(data, Path(folder).resolve()))
    values = {"case_id": case_id, "data_dir": data.as_posix()}
    for cell in template["cells"]:
        if "parameters" in _tags(cell):
            cell["source"] = _set_parameters(_text(cell["source"]), values)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(template, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        part.replace(path)  # whole or not at all
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        problem = "it is a file, not a folder" if path.parent.is_file() else exc.strerror
        raise ParameterError(f"{path.parent}: cannot write the case notebook there ({problem}); "
                             "give --dir a folder") from None  # fmt: skip
    return path, True


def _check_replaceable(path: Path, case_id: str) -> None:
    """Refuse to keep or replace what is at ``path`` if it is not ``case_id``'s notebook file.

    A folder or a pipe there is not a notebook to replace; another case's notebook (their
    case IDs have one slug) holds her cells of that case, which ``--force`` must not lose.
    """
    if not path.is_file():
        raise ParameterError(f"{path}: is there and is not a notebook file; move it away, or "
                             "keep the case notebooks in another folder (--dir)")  # fmt: skip
    try:
        named = notebook_case(path, parsed_notebook(path, read_regular(path, NOTEBOOK_LIMIT)))
    except (OSError, ValueError, ParameterError):
        return  # not a notebook that names a case: --force may replace it
    if named != case_id:
        raise ParameterError(f"{path}: is the notebook of case {shown(named)}, whose file name is the "
                             f"same as {shown(case_id)}'s; it is left as it is, --force or not: keep "
                             "this case's notebook in another folder (--dir)")  # fmt: skip


def as_rendered(case_notebook: bytes) -> bytes:
    """The case notebook as a render runs it: its standard cells as the template has them now.

    A case notebook keeps a copy of the template's standard cells (tagged ``dossier``) so that
    it runs in JupyterLab as it lies. A render takes each of them from the current template
    instead, so that what the template's cells gain later (a parameter handed to
    ``open_case``, a block of sections) reaches every case's dossier without an edit to her
    notebook. Her own cells keep their places: each follows the standard cell it followed in
    her notebook (one whose cell the template no longer has goes at the end, never lost);
    the parameters cell keeps the case's values.
    """
    cells = json.loads(case_notebook)["cells"]
    template = json.loads(notebook_path().read_bytes())
    own: dict[str | None, list[dict]] = {}
    parameters, anchor = None, None
    for cell in cells:
        tags = _tags(cell)
        if "parameters" in tags:
            parameters = cell
        elif STANDARD_TAG in tags:
            anchor = cell.get("id")
        else:
            own.setdefault(anchor, []).append(cell)
    merged = list(own.pop(None, []))
    for cell in template["cells"]:
        merged.append(parameters if parameters is not None and "parameters" in _tags(cell) else cell)
        merged += own.pop(cell.get("id"), [])
    for rest in own.values():
        merged += rest
    return (json.dumps(template | {"cells": merged}, indent=1, ensure_ascii=False) + "\n").encode()


def _set_parameters(source: str, values: dict[str, str]) -> str:
    """The parameters cell's ``source`` with ``values`` set, each line's comment kept."""
    for name, value in values.items():
        pattern = re.compile(rf"^{name} = [^#\n]*?(\s*#.*)?$", re.MULTILINE)
        if not pattern.search(source):
            raise ParameterError(f"{notebook_path()}: its parameters cell has no {name} = …; restore it")
        literal = f"{name} = {json.dumps(value, ensure_ascii=False)}"
        source = pattern.sub(lambda m, literal=literal: literal + (m.group(1) or ""), source)
    return source


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)
