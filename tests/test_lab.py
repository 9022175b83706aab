"""A case notebook as the analyst runs it: opened from its folder by a real Jupyter server.

The server (jupyter_server, on 127.0.0.1 with a token) starts a kernel for the notebook as
JupyterLab does, in the notebook's own folder; the test runs the notebook's cells one by one
through the server's REST API and the kernel's websocket, as Lab's "Run All" does, and reads
what each cell shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import OWN_ANALYSIS, REMARK, SAMPLE_CASE, SAMPLE_DATA, add_own_cells

from dossier.cli import main

SLUG = "RUN-168-2020"
SAMPLE_TITLE = "Länsgemensam påverkansagenda"


@dataclass
class Server:
    url: str
    token: str

    def answers(self) -> bool:
        """True once the server answers; False while it refuses connections."""
        try:
            self.request("GET", "/api/status")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError):
                return False
            raise
        return True

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = response.read()
        return json.loads(answer) if answer else {}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with its own copy of the data and the sample case's notebook, made in the
    project's folder as the README says, with the analyst's remark and code cell in it."""
    shutil.copytree(SAMPLE_DATA, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    assert main(["notebook", SAMPLE_CASE, "--data", "data"]) == 0
    add_own_cells(tmp_path / "notebooks" / "cases" / f"{SLUG}.ipynb")
    return tmp_path


@pytest.fixture
def server(project: Path, tmp_path_factory) -> Iterator[Server]:
    """A Jupyter server on a free loopback port, serving the project's notebooks folder."""
    token = secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("runtime")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(runtime / "config")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",
         "--ServerApp.open_browser=False", "--ServerApp.allow_root=True",
         f"--ServerApp.root_dir={project / 'notebooks'}", f"--IdentityProvider.token={token}"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # The server says where it listens once it does; its log is read on until it ends.
        url = None
        for line in process.stderr:
            if match := re.search(r"(http://127\.0\.0\.1:\d+)/", line):
                url = match.group(1)
                break
        assert url, "the Jupyter server ended before it said where it listens"
        threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
        server = Server(url, token)
        # It says so just before it binds the port (in its event loop's first turn): until the
        # port answers, a connection is refused; the server ending is a failure.
        while not server.answers():
            with contextlib.suppress(subprocess.TimeoutExpired):
                pytest.fail(f"the Jupyter server ended with status {process.wait(timeout=0.05)}")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=60)


def message(session: str, code: str) -> dict:
    """An execute_request as JupyterLab sends it over the kernel's websocket."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "analyst",
                   "session": session, "date": dt.datetime.now(dt.UTC).isoformat(), "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }  # fmt: skip


async def run_cells(server: Server, kernel_id: str, cells: list[str]) -> list[dict]:
    """Run ``cells`` in order on the kernel; each cell's outputs and its reply's status."""
    from tornado.websocket import websocket_connect

    ws_url = server.url.replace("http://", "ws://")
    socket = await websocket_connect(f"{ws_url}/api/kernels/{kernel_id}/channels?token={server.token}")
    session, results = uuid.uuid4().hex, []
    try:
        for code in cells:
            request = message(session, code)
            await socket.write_message(json.dumps(request))
            outputs, status, idle = [], None, False
            while status is None or not idle:
                answer = json.loads(await asyncio.wait_for(socket.read_message(), timeout=300))
                if answer.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                    continue
                kind = answer["msg_type"]
                if kind == "execute_reply":
                    status = answer["content"]["status"]
                elif kind == "status":
                    idle = answer["content"]["execution_state"] == "idle"
                elif kind in ("execute_result", "display_data", "error", "stream"):
                    outputs.append({"output_type": kind, **answer["content"]})
            results.append({"status": status, "outputs": outputs})
    finally:
        socket.close()
    return results


@pytest.mark.kernel
def test_the_case_notebook_runs_top_to_bottom_from_its_folder_in_a_jupyter_server(project, server):
    path = f"cases/{SLUG}.ipynb"
    stored = server.request("GET", f"/api/contents/{path}")
    nb = nbformat.from_dict(stored["content"])
    # Its data folder is written relative to the notebook's own folder, where the kernel runs.
    parameters = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert 'data_dir = "../../data"' in parameters
    session = server.request("POST", "/api/sessions", {"path": path, "type": "notebook", "name": "",
                                                       "kernel": {"name": "python3"}})  # fmt: skip
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    results = asyncio.run(run_cells(server, session["kernel"]["id"], code))
    server.request("DELETE", f"/api/sessions/{session['id']}")

    failed = [(cell.splitlines()[0], r) for cell, r in zip(code, results, strict=True) if r["status"] != "ok"]
    assert not failed
    assert not [o for r in results for o in r["outputs"] if o["output_type"] in ("error", "stream")]
    shown = [o["data"] for r in results for o in r["outputs"]]
    html = "\n".join(data.get("text/html", "") for data in shown)
    assert SAMPLE_CASE in html and SAMPLE_TITLE in html
    # The timeline (an SVG image) and the tables of the record, each section in place.
    assert re.search(r'<section class="timeline".*<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]{1000,}', html, re.S)
    for table in ("decisions", "history-table", "forums-table", "documents-table", "provenance-table"):
        assert f'<table class="{table}"' in html, table
    assert "<style>" in html and ".jp-RenderedHTMLCommon.jp-RenderedHTML" in html
    # The analyst's own code cell ran there too, with the case's DataFrames.
    assert any(OWN_ANALYSIS in data.get("text/markdown", "") for data in shown)
    assert REMARK in [c.source for c in nb.cells if c.cell_type == "markdown"]


# -- JupyterLab itself, in Chromium ------------------------------------------------------------

CHROMIUM = Path(os.environ.get("DOSSIER_TEST_CHROMIUM", "/usr/bin/chromium"))
#: Where to keep the screenshot besides the test's folder: the README's picture is made this way.
PICTURE = os.environ.get("DOSSIER_LAB_PICTURE")


@pytest.mark.kernel
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}")
def test_the_case_notebook_reads_in_jupyterlab_as_in_the_dossier(project, server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.url}/lab/tree/cases/{SLUG}.ipynb?token={server.token}")
            # Lab starts the notebook's kernel, or asks which one (a dialog) when it cannot tell.
            dialog, idle = page.locator(".jp-Dialog"), page.get_by_text("Python 3 (ipykernel) | Idle")
            dialog.or_(idle).first.wait_for(timeout=180_000)
            if dialog.is_visible():
                dialog.get_by_role("button", name="Select", exact=True).click()
            idle.wait_for(timeout=180_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            # The last section's output: every cell before it has run.
            page.wait_for_selector(".jp-OutputArea-output section.provenance", state="attached", timeout=300_000)

            assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            cell = "section.history td"
            assert page.eval_on_selector(cell, "e => getComputedStyle(e).textAlign") == "left"
            # Outside the dossier's sections Lab's own rule stands: the style is scoped.
            outside = page.evaluate("""() => {
                const output = document.querySelector('.jp-OutputArea-output section.history').parentElement;
                const table = document.createElement('table');
                table.innerHTML = '<tbody><tr><td>x</td></tr></tbody>';
                output.appendChild(table);
                const align = getComputedStyle(table.querySelector('td')).textAlign;
                table.remove();
                return align;
            }""")  # fmt: skip
            assert outside == "right"
            points = "section.summary ol.points"
            assert page.eval_on_selector(points, "e => getComputedStyle(e).listStyleType") == "none"
            numbers = page.locator(f"{points} li").all_text_contents()
            assert [text.split(".")[0] for text in numbers] == ["1", "2"]  # each point numbered once
            width = page.eval_on_selector("section.timeline figure img", "e => e.getBoundingClientRect().width")
            assert width >= 600

            # The picture: her remark between the summary and the timeline.
            page.keyboard.press("Control+b")  # the file browser folded away
            news = page.get_by_role("button", name="No", exact=True)
            if news.count():
                news.first.click()  # Lab's question about its news, out of the picture
                news.first.wait_for(state="detached")
            remark = page.locator(".jp-RenderedMarkdown p", has_text=REMARK)
            remark.scroll_into_view_if_needed()
            page.mouse.wheel(0, -350)
            remark.wait_for()
            shot = page.screenshot(path=str(tmp_path / "lab.png"))
            assert shot.startswith(b"\x89PNG")
            if PICTURE:
                Path(PICTURE).write_bytes(shot)
        finally:
            browser.close()
