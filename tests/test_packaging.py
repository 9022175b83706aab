"""The declared surfaces: __all__, the console script, environment.yml in step with pyproject."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import dossier

ROOT = Path(__file__).resolve().parents[1]


def test_all_names_exist_and_are_sorted():
    assert dossier.__all__ == sorted(dossier.__all__)
    for name in dossier.__all__:
        assert hasattr(dossier, name), name


def test_public_surface_is_declared():
    public = {
        n
        for n in vars(dossier)
        if not n.startswith("_") and not isinstance(getattr(dossier, n), type(dossier))
    }
    assert public - {"annotations"} <= set(dossier.__all__)


def _requirements(lines):
    found = {}
    for line in lines:
        match = re.match(r"\s*-?\s*\"?([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _requirements(project["dependencies"] + project["optional-dependencies"]["test"])
    conda = _requirements((ROOT / "environment.yml").read_text().splitlines())
    conda["matplotlib"] = conda.pop("matplotlib-base")
    conda.pop("python")
    assert conda == declared


def test_console_script_points_at_cli_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"dossier": "dossier.cli:main"}


def test_make_hooks_makes_git_commit_notebooks_without_outputs(tmp_path):
    import shutil
    import subprocess

    import nbformat

    # The commands `make hooks` runs, carried out in a scratch repository rather than this one.
    planned = subprocess.run(["make", "-n", "-s", "hooks"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.splitlines()  # fmt: skip
    git_config = [line for line in planned if line.startswith("git config ")]
    assert len(git_config) == 3, planned
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    for line in git_config:
        subprocess.run(line, shell=True, cwd=repo, check=True)
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    saved = nbformat.read(ROOT / "notebooks" / "case_dossier.ipynb", as_version=4)
    code = next(c for c in saved.cells if c.cell_type == "code")
    code.execution_count = 3
    code.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nbformat.write(saved, repo / "case.ipynb")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.se", "commit", "-qm", "x"],
                   cwd=repo, check=True)  # fmt: skip
    committed = subprocess.run(["git", "show", "HEAD:case.ipynb"], cwd=repo, capture_output=True,
                               text=True, check=True).stdout  # fmt: skip
    stripped = nbformat.reads(committed, as_version=4)
    assert all(c.outputs == [] and c.execution_count is None for c in stripped.cells if c.cell_type == "code")
    assert [c.id for c in stripped.cells] == [c.id for c in saved.cells]
    assert (repo / "case.ipynb").read_text(encoding="utf-8") != committed  # the work tree keeps them
def browser_tests(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run one browser test as CI would, with Chromium not where the tests look for it."""
    env = {**os.environ, **env, "DOSSIER_TEST_CHROMIUM": str(ROOT / "no-chromium-here")}
    env.pop("PYTEST_XDIST_WORKER", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
               "tests/test_browser.py", "-k", "opens_offline"]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_browser_tests_fail_in_ci_without_chromium_and_are_skipped_elsewhere():
    ci = browser_tests({"CI": "true"})
    assert ci.returncode != 0
    assert "no-chromium-here (apt-get install chromium); CI runs the browser tests" in ci.stdout
    elsewhere = browser_tests({"CI": ""})
    assert elsewhere.returncode == 0, elsewhere.stdout
    assert "1 skipped" in elsewhere.stdout
