"""Case notebooks: made from the template, the standard sections by reference, the analyst's
cells in this case's dossier only, and a save in JupyterLab that never makes a batch render."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import (
    AS_OF,
    OWN_ANALYSIS,
    RELATED_CASE,
    REMARK,
    REPO,
    SAMPLE_CASE,
    SAMPLE_DATA,
    add_own_cells,
    joined,
    save_as_lab_does,
    write_data_folder,
)
from processes import dossier, refused

from dossier.cli import main
from dossier.errors import CaseNotebookError, ParameterError

SLUG, RELATED_SLUG = "RUN-168-2020", "RUN-136-2022"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def parameters(path: Path) -> dict[str, object]:
    import ast

    cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body}


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return joined(done.stdout.decode("utf-8"))


# -- dossier notebook: no kernel --------------------------------------------------------------


def test_the_case_notebook_is_the_template_with_the_case_parameters_set(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = write_data_folder(tmp_path / "data")
    code, out, err = run(capsys, "notebook", "A/1/2020", "--data", data)
    assert code == 0, err
    path = tmp_path / "notebooks" / "cases" / "A-1-2020.ipynb"
    assert out.split() == [str(path.resolve())] and err == ""
    # Inside the project, the data folder is written relative to the notebook's own folder,
    # where JupyterLab starts its kernel.
    assert parameters(path) == {"case_id": "A/1/2020", "data_dir": "../../data", "lang": "sv",
                                "as_of": None, "since": None, "inactive_months": 6,
                                "since_meeting": None, "compare_with": None,
                                "related_dossiers": {}}  # fmt: skip
    assert (path.parent / "../../data").resolve() == data.resolve()
    nb, template = nbformat.read(path, as_version=4), nbformat.read(REPO / "notebooks" / "case_dossier.ipynb", as_version=4)
    nbformat.validate(nb)
    assert [(c.cell_type, c.source) for c in nb.cells if "parameters" not in c.metadata.get("tags", [])] == [
        (c.cell_type, c.source) for c in template.cells if "parameters" not in c.metadata.get("tags", [])
    ]
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")


def test_the_sections_come_by_reference_one_call_per_block():
    """The case notebook names no section: only the blocks, which the package fills."""
    from dossier import sections as show

    template = nbformat.read(REPO / "notebooks" / "case_dossier.ipynb", as_version=4)
    code = "\n".join(c.source for c in template.cells if c.cell_type == "code")
    calls = set(re.findall(r"show\.(\w+)\(", code))
    assert calls == {"open_case", "opening", "record", "closing"}
    sections = [s.__name__ for block in show.STANDARD_SECTIONS.values() for s in block]
    assert sections[:2] == ["header", "summary"] and sections[-1] == "provenance"
    assert len(sections) == len(set(sections))


def test_a_section_added_to_a_block_reaches_a_notebook_that_calls_the_block(monkeypatch):
    from dossier import sections as show

    case = show.open_case(SAMPLE_CASE, as_of=AS_OF)
    before = show.opening(case)
    assert '<section class="summary"' in before and "<header" in before
    def changes(d):
        return show.Html('<section class="changes"><h2>Ändringar</h2></section>')
    monkeypatch.setitem(show.STANDARD_SECTIONS, "opening", (*show.STANDARD_SECTIONS["opening"], changes))
    after = show.opening(case)
    assert after.startswith(before) and after.endswith('<section class="changes"><h2>Ändringar</h2></section>')


def test_a_render_takes_the_standard_cells_from_the_template_as_it_is_now(tmp_path, monkeypatch, capsys):
    """A case notebook made from an older template (its opening cell calls open_case without a
    parameter added since, its record block is missing) renders with today's standard cells,
    her cells where she put them and the case's parameters."""
    from dossier.run.notebooks import STANDARD_TAG, as_rendered

    monkeypatch.chdir(tmp_path)
    data = write_data_folder(tmp_path / "data")
    code, out, _ = run(capsys, "notebook", "A/1/2020", "--data", data)
    assert code == 0
    path = Path(out.strip())
    mine = json.loads(path.read_text(encoding="utf-8"))
    cells = mine["cells"]
    opening = next(c for c in cells if c.get("id") == "opening")
    opening["source"] = "case = show.open_case(case_id, data_dir=data_dir)\nshow.opening(case)"
    cells[:] = [c for c in cells if c.get("id") != "record"]  # an older template had no such block
    remark = {"cell_type": "markdown", "id": "my-remark", "metadata": {}, "source": "Min anmärkning."}
    cells.insert(cells.index(opening) + 1, remark)
    late = {"cell_type": "markdown", "id": "my-last", "metadata": {}, "source": "Sist."}
    cells.append(late)

    rendered = json.loads(as_rendered(json.dumps(mine).encode()))["cells"]
    template = nbformat.read(REPO / "notebooks" / "case_dossier.ipynb", as_version=4).cells
    standard = [c for c in rendered if STANDARD_TAG in c["metadata"].get("tags", [])]
    assert [(c["id"], "".join(c["source"])) for c in standard] == [
        (c.id, c.source) for c in template if STANDARD_TAG in c.metadata.get("tags", [])
    ]
    ids = [c["id"] for c in rendered]
    assert ids.index("my-remark") == ids.index("opening") + 1  # where she put it
    assert ids[-1] == "my-last"
    (params,) = [c for c in rendered if "parameters" in c["metadata"].get("tags", [])]
    assert 'case_id = "A/1/2020"' in "".join(params["source"])


def test_data_outside_the_project_is_written_absolute(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "notebook", SAMPLE_CASE, "--dir", "mine", "--data", SAMPLE_DATA)
    assert code == 0
    assert Path(out.strip()) == (tmp_path / "mine" / f"{SLUG}.ipynb").resolve()
    assert parameters(Path(out.strip()))["data_dir"] == str(SAMPLE_DATA.resolve())


def test_an_existing_case_notebook_is_left_alone_unless_force(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "notebook", SAMPLE_CASE, "--data", SAMPLE_DATA)
    path = tmp_path / "notebooks" / "cases" / f"{SLUG}.ipynb"
    add_own_cells(path)
    kept = path.read_bytes()
    code, out, err = run(capsys, "notebook", SAMPLE_CASE, "--data", SAMPLE_DATA)
    assert code == 0 and out.split() == [str(path.resolve())]
    assert "is there already and was left as it is" in err and "--force" in err
    assert path.read_bytes() == kept
    code, out, err = run(capsys, "notebook", SAMPLE_CASE, "--data", SAMPLE_DATA, "--force")
    assert code == 0 and err == ""
    assert REMARK not in path.read_text(encoding="utf-8")


def test_an_unknown_case_is_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "notebook", "RUN/168/202", "--data", SAMPLE_DATA)
    assert code == 2 and out == ""
    assert "RUN/168/2020" in err and "Traceback" not in err
    assert not (tmp_path / "notebooks").exists()


def test_the_notebooks_folder_from_the_option_dossier_toml_or_the_default(tmp_path, monkeypatch, capsys):
    from dossier.cli.options import notebooks_folder

    monkeypatch.chdir(tmp_path)
    assert notebooks_folder(None) is None  # no folder: every case renders from the template
    (tmp_path / "notebooks" / "cases").mkdir(parents=True)
    assert notebooks_folder(None) == tmp_path / "notebooks" / "cases"
    (tmp_path / "analys").mkdir()
    (tmp_path / "dossier.toml").write_text('[notebooks]\nfolder = "analys"\n', encoding="utf-8")
    assert notebooks_folder(None) == tmp_path / "analys"
    assert notebooks_folder("notebooks/cases") == tmp_path / "notebooks" / "cases"
    (tmp_path / "dossier.toml").write_text('[notebooks]\ndir = "analys"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match=r"\[notebooks\] takes one setting, folder = "):
        notebooks_folder(None)
    code, _, err = run(capsys, "render", SAMPLE_CASE, "--notebooks", "saknas", "--out", "out")
    assert code == 2 and "--notebooks saknas: no such folder" in err and "dossier notebook" in err
    assert not (tmp_path / "out").exists()


def test_notebook_for_a_case_with_its_own_and_one_without(tmp_path):
    from dossier.resources import notebook_path
    from dossier.run.notebooks import analyst_cells, folder_hashes, notebook_for

    assert notebook_for(None, SLUG) == notebook_path()
    assert notebook_for(tmp_path, SLUG) == notebook_path()
    own = tmp_path / f"{SLUG}.ipynb"
    shutil.copy(notebook_path(), own)
    assert notebook_for(tmp_path, SLUG) == own.resolve()
    assert notebook_for(tmp_path, RELATED_SLUG) == notebook_path()
    assert analyst_cells(own) == 0
    hashes = folder_hashes(tmp_path)
    save_as_lab_does(own)
    assert folder_hashes(tmp_path) == hashes  # a save in Lab: nothing that counts
    add_own_cells(own)
    assert analyst_cells(own) == 2 and folder_hashes(tmp_path) != hashes


# -- the analyst's cells in her case's dossier, and nowhere else: real kernels ----------------


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder with the sample case's own notebook holding a remark and a code cell."""
    folder = tmp_path_factory.mktemp("project")
    main(["notebook", SAMPLE_CASE, "--dir", str(folder / "notebooks" / "cases"), "--data", str(SAMPLE_DATA)])
    add_own_cells(folder / "notebooks" / "cases" / f"{SLUG}.ipynb")
    return folder


def expected_analysis() -> str:
    from dossier import sections as show

    events = show.open_case(SAMPLE_CASE, as_of=AS_OF).events
    return f"{OWN_ANALYSIS} {len(events[events.precision != 'day'])} händelser utan känd dag"


@pytest.mark.kernel
def test_render_puts_the_remark_into_this_case_dossier_only(project, tmp_path, capsys):
    notebooks, out = project / "notebooks" / "cases", tmp_path / "out"
    for case_id in (SAMPLE_CASE, RELATED_CASE):
        code, _, err = run(capsys, "render", case_id, "--notebooks", notebooks, "--out", out,
                           "--as-of", AS_OF, "--quiet")  # fmt: skip
        assert code == 0, err
        assert err == ""  # --quiet
    own, other = out / SLUG, out / RELATED_SLUG
    html = (own / f"{SLUG}.html").read_text(encoding="utf-8")
    # Where she put them: after the decision summary, before the timeline.
    assert html.index('id="summary"') < html.index(REMARK) < html.index(expected_analysis()) < html.index('id="timeline"')
    assert joined(REMARK) in pdf_text(own / f"{SLUG}.pdf")
    assert joined(expected_analysis()) in pdf_text(own / f"{SLUG}.pdf")
    assert REMARK not in (other / f"{RELATED_SLUG}.html").read_text(encoding="utf-8")
    assert joined(REMARK) not in pdf_text(other / f"{RELATED_SLUG}.pdf")
    assert OWN_ANALYSIS not in (other / f"{RELATED_SLUG}.html").read_text(encoding="utf-8")
    # The manifest says which notebook, and its hash of what it does.
    from dossier.resources import notebook_hash, notebook_path

    case_notebook = (notebooks / f"{SLUG}.ipynb").resolve()
    assert json.loads((own / "manifest.json").read_text())["notebook"] == {
        "path": str(case_notebook), "case_notebook": True,
        "sha256": notebook_hash(case_notebook), "analyst_cells": 2,
    }  # fmt: skip
    # The provenance names the notebook each dossier was rendered from.
    assert notebook_hash(case_notebook) in html
    assert notebook_hash(notebook_path()) not in html
    assert notebook_hash(notebook_path()) in (other / f"{RELATED_SLUG}.html").read_text(encoding="utf-8")
    assert json.loads((other / "manifest.json").read_text())["notebook"] == {
        "path": str(notebook_path()), "case_notebook": False,
        "sha256": notebook_hash(notebook_path()), "analyst_cells": 0,
    }  # fmt: skip


def checkout(folder: Path) -> dict[str, str]:
    """A copy of this checkout's package and template in ``folder`` (the test may save its
    template as Lab does, which the real one must never be); the environment that runs it."""
    shutil.copytree(REPO / "src", folder / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "case_dossier.ipynb", folder / "notebooks")
    return {**os.environ, "PYTHONPATH": str(folder / "src")}


def batch(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dossier.cli", "batch", SAMPLE_CASE, RELATED_CASE, "--data", str(SAMPLE_DATA),
               "--out", "out", "--as-of", AS_OF, "--workers", "2", *args]  # fmt: skip
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.kernel
def test_batch_marks_the_dossier_with_her_cells_and_a_save_in_lab_renders_nothing(tmp_path):
    env = checkout(tmp_path / "checkout")
    project = tmp_path / "project"
    project.mkdir()
    # The default folder: notebooks/cases under the folder the batch runs in.
    made = subprocess.run([sys.executable, "-m", "dossier.cli", "notebook", SAMPLE_CASE, "--data", str(SAMPLE_DATA)],
                          cwd=project, env=env, capture_output=True, text=True, check=True)  # fmt: skip
    own = Path(made.stdout.strip())
    assert own == project / "notebooks" / "cases" / f"{SLUG}.ipynb"
    add_own_cells(own)

    first = batch(env, project)
    assert first.returncode == 0, first.stderr
    assert "2 done, 0 skipped, 0 failed" in first.stdout
    out = project / "out"
    assert REMARK in (out / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    assert REMARK not in (out / RELATED_SLUG / f"{RELATED_SLUG}.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r"<td[^>]*>(RUN/\d+/\d+)</td>\s*<td[^>]*>(.*?)</td>", index, re.S))
    assert "2 egna celler" in rows[SAMPLE_CASE] and "egna celler" not in rows[RELATED_CASE]
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert [d["analyst_cells"] for d in report["dossiers"]] == [2, 0]

    # Run and saved in JupyterLab, the case notebook and the template: nothing to render.
    save_as_lab_does(own)
    save_as_lab_does(tmp_path / "checkout" / "notebooks" / "case_dossier.ipynb")
    again = batch(env, project)
    assert again.returncode == 0, again.stderr
    assert "0 done, 2 skipped, 0 failed" in again.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2 egna celler" in index  # the skipped dossier keeps its mark

    # A change that does something is seen: her notebook's dossier alone renders again.
    nb = nbformat.read(own, as_version=4)
    nb.cells[[c.source for c in nb.cells].index(REMARK)].source = REMARK + " Och en rad till."
    nbformat.write(nb, own)
    changed = batch(env, project)
    assert changed.returncode == 0, changed.stderr
    assert "1 done, 1 skipped, 0 failed" in changed.stdout
    assert "Och en rad till." in (out / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")


@pytest.mark.kernel
def test_a_damaged_case_notebook_is_refused_by_name_before_anything_renders(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / f"{SLUG}.ipynb").write_text('{"cells": [', encoding="utf-8")  # a save cut short
    code, out, err = run(capsys, "render", SAMPLE_CASE, "--notebooks", notebooks, "--out", tmp_path / "out", "--quiet")
    assert code == 2 and out == ""
    assert f"{notebooks / SLUG}.ipynb: not a Jupyter notebook" in err and "Traceback" not in err
    assert not (tmp_path / "out" / SLUG).exists()


# -- one notebook per case, even where two cases' IDs have one file name ----------------------


@pytest.fixture
def twin_notebooks(tmp_path, write_data, valid_csv) -> tuple[Path, Path, Path]:
    """A data folder with cases A/1/2020 and A-1-2020 (one file name), and A/1/2020's notebook
    holding her remark; returns the data folder, the notebooks folder and the notebook."""
    extra = "A-1-2020,Samma filnamn som A/1/2020,2020,open,,N,,\n"
    data = write_data(tmp_path / "data", cases=valid_csv["cases"] + extra)
    folder = tmp_path / "notebooks"
    made = dossier("notebook", "A/1/2020", "--dir", folder, "--data", data)
    assert made.returncode == 0, made.stderr
    own = Path(made.stdout.strip())
    add_own_cells(own)
    return data, folder, own


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_case_notebook_is_never_taken_over_by_a_case_of_the_same_file_name(twin_notebooks, force):
    data, folder, own = twin_notebooks
    kept = own.read_bytes()
    stderr = refused(dossier("notebook", "A-1-2020", "--dir", folder, "--data", data, *force),
                     str(own), "'A/1/2020'", "'A-1-2020'", "--dir")  # fmt: skip
    assert "left as it is" in stderr
    assert own.read_bytes() == kept


def test_a_case_notebook_names_its_case(twin_notebooks):
    _, _, own = twin_notebooks
    assert nbformat.read(own, as_version=4).metadata["dossier"] == {"case_id": "A/1/2020"}


def test_a_render_refuses_the_notebook_of_another_case(twin_notebooks, tmp_path):
    data, folder, own = twin_notebooks
    out = tmp_path / "out"
    refused(dossier("render", "A-1-2020", "--notebooks", folder, "--data", data, "--out", out),
            str(own), "'A/1/2020'", "'A-1-2020'")  # fmt: skip
    assert not (out / "A-1-2020").exists()


def test_a_batch_counts_the_case_with_another_cases_notebook_as_failed(twin_notebooks, tmp_path):
    data, folder, own = twin_notebooks
    out = tmp_path / "out"
    finished = dossier("batch", "A-1-2020", "--notebooks", folder, "--data", data, "--out", out)
    assert finished.returncode == 1, finished.stderr
    assert "Traceback" not in finished.stderr
    assert "0 done, 0 skipped, 1 failed" in finished.stdout
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert report["dossiers"][0]["status"] == "failed"
    assert str(own) in report["dossiers"][0]["error"]
    assert not (out / "A-1-2020" / "A-1-2020.html").exists()


def test_a_notebook_made_before_cases_were_named_is_of_the_case_its_parameters_name(tmp_path):
    from dossier.run.notebooks import read_case_notebook

    made = dossier("notebook", SAMPLE_CASE, "--dir", tmp_path, "--data", SAMPLE_DATA)
    own = Path(made.stdout.strip())
    nb = nbformat.read(own, as_version=4)
    del nb.metadata["dossier"]
    nbformat.write(nb, own)
    assert read_case_notebook(own, SAMPLE_CASE)
    with pytest.raises(CaseNotebookError, match="is the notebook of case 'RUN/168/2020'"):
        read_case_notebook(own, RELATED_CASE)


# -- a notebooks folder as an attacker leaves it: refused by name, never a hang ---------------


def _template_with(**changes) -> bytes:
    from dossier.resources import notebook_path

    return json.dumps(json.loads(notebook_path().read_bytes()) | changes).encode()


NOTEBOOK_ATTACKS = {
    "folder": (lambda path: path.mkdir(), "Is a directory"),
    "dangling-link": (lambda path: path.symlink_to(path.parent / "gone.ipynb"), "a link to nothing"),
    "pipe": (lambda path: os.mkfifo(path), "is a pipe or a device"),
    "deep": (lambda path: path.write_bytes(b"[" * 100_000 + b"]" * 100_000), "nested too deeply"),
    "metadata-string": (lambda path: path.write_bytes(_template_with(metadata="x")), "'x' is not of type 'object'"),
    "cells-a-number": (lambda path: path.write_bytes(_template_with(cells=5)), "not a Jupyter notebook"),
    "too-large": (lambda path: path.write_bytes(b"") or os.truncate(path, 65 * 2**20), "larger than 64 MiB"),
}  # fmt: skip


@pytest.mark.parametrize("command", ["render", "batch"])
@pytest.mark.parametrize("attack", NOTEBOOK_ATTACKS)
def test_a_case_notebook_that_cannot_be_used_is_refused_by_name(tmp_path, command, attack):
    make, said = NOTEBOOK_ATTACKS[attack]
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    notebooks.mkdir()
    make(notebooks / f"{SLUG}.ipynb")
    finished = dossier(command, SAMPLE_CASE, "--notebooks", notebooks, "--out", out, "--format", "html",
                       timeout=120)  # fmt: skip
    refused(finished, str(notebooks / f"{SLUG}.ipynb"), said)
    assert not (out / SLUG).exists()


def test_a_pipe_among_the_case_notebooks_never_hangs_a_batch(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    os.mkfifo(notebooks / "utkast.ipynb")
    finished = dossier("batch", SAMPLE_CASE, "--notebooks", notebooks, "--out", tmp_path / "out",
                       timeout=120)  # fmt: skip
    refused(finished, str(notebooks / "utkast.ipynb"), "is a pipe or a device")
