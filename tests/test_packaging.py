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
