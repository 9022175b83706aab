"""Shared fixtures, constants and helpers: the one place for what more than one test module uses.

A small valid data folder that each test bends to show one behaviour, the sample case and the
day its dossiers speak for, dossiers rendered once per session, tagged PDFs read back, a mount
namespace of the test's own, a case notebook with the analyst's cells, and a real SMTP server.
A test module imports from here, never from another test module (test_architecture checks).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pdf_structure import TaggedPdf, conformance_failures, read_tagged_pdf

if TYPE_CHECKING:
    from dossier.run.render import DossierFiles

#: Whether the tests run in CI (``CI`` set, as CI runners and ``.ci/run`` do): there a test that
#: lacks what it needs (Chromium, axe-core, pdftotext, a mount namespace) fails, never skips.
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")

#: Fixtures whose users carry a marker by that alone: the dossiers rendered once per session
#: run a real kernel; a mount namespace of the test's own needs root. ``make test-fast``
#: leaves out the kernel, browser and root tests.
MARKED_FIXTURES = {
    "sample_dossier_sv": "kernel",
    "sample_dossier_en": "kernel",
    "big_dossier": "kernel",
    "related_dossier_pdfa": "kernel",
    "hostile_dossier": "kernel",
    "private_mounts": "root",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in MARKED_FIXTURES:
                item.add_marker(MARKED_FIXTURES[fixture])


#: A small data folder that passes every check and gives no data notes.
#: Row numbers as a spreadsheet shows them: the header is row 1, the first case row 2.
VALID_CSV: dict[str, str] = {
    "forums": (
        "forum_id,name,kind,organisation,chair,description\n"
        "N,Nämnden,committee,Regionen,,\n"
        "R,Rådet,council,,,\n"
    ),
    "cases": (
        "case_id,title,opened,status,closed,owner_forum_id,responsible,summary\n"
        "A/1/2020,Första ärendet,2020-05,open,,N,,\n"
        "A/2/2021,Andra ärendet,2021,closed,2022-03-01,N,,\n"
    ),
    "events": (
        "event_id,case_id,date,end_date,kind,forum_id,title,description,decision_ref,document,seq\n"
        "e1,A/1/2020,2020-05-30,,registered,N,Registrerat,,,,\n"
        "e2,A/1/2020,2021-02,2021-06,discussed,R,Dialog i rådet,,,,\n"
        "e3,A/2/2021,2021-03-01,,decided,N,Beslut,,§ 12,,\n"
    ),
    "meetings": (
        "meeting_id,forum_id,date,title,location,state\nM1,N,2024-06-13 09:00,Sammanträde,,planned\n"
    ),
    "agenda": "meeting_id,item,case_id,title,proposal\nM1,7,A/1/2020,,\n",
    "relations": "case_id,related_case_id,relation\nA/2/2021,A/1/2020,continues\n",
    "documents": "case_id,date,title,doc_type,link\nA/1/2020,2020-05,Tjänsteskrivelse,report,\n",
}


def write_data_folder(folder: Path, **files: str | bytes | None) -> Path:
    """Write the valid data folder into ``folder``, with some files replaced.

    Each keyword is a table name (``events=…``): text is written as UTF-8,
    bytes as they are, and None leaves the file out.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        if name not in VALID_CSV:
            raise KeyError(f"no table {name!r} in the data contract")
    for name, default in VALID_CSV.items():
        content = files.get(name, default)
        path = folder / f"{name}.csv"
        if content is None:
            path.unlink(missing_ok=True)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return folder


@pytest.fixture(scope="session")
def valid_csv() -> dict[str, str]:
    """The text of each file of the valid data folder, by table name."""
    return dict(VALID_CSV)


@pytest.fixture(scope="session")
def write_data() -> Callable[..., Path]:
    """``write_data(folder, events=…)``: write the valid data folder with overrides."""
    return write_data_folder


# --- Rendered dossiers, shared by test_render.py and test_browser.py ------------------------
# A render runs a real kernel and WeasyPrint (seconds each), so every dossier below renders
# once per test session. The tests that use them share the xdist group "render", which puts
# them on one worker, where these session fixtures are built once.

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "data" / "sample"
SAMPLE_CASE = "RUN/168/2020"
#: The sample's meeting and its agenda: (item, case, title).
SAMPLE_MEETING = "EXEMPEL-RUN-2023-06"
SAMPLE_AGENDA = [
    ("7", "RUN/168/2020", "Länsgemensam påverkansagenda"),
    ("8", "RUN/136/2022", "Översyn av samverkansformer – information (exempel)"),
]
#: The sample case's folder and file names in an output folder.
SAMPLE_SLUG = "RUN-168-2020"
RELATED_CASE = "RUN/136/2022"
#: Every render in the tests speaks for this day, so its output does not change with the clock.
AS_OF = "2023-06-01"

#: Source text that a careless page would turn into markup, a script, or a request.
HOSTILE_TOKENS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"quotes"',
    "'single'",
    "&amp; & ampersands",
)
_HOSTILE = " ".join(HOSTILE_TOKENS)
HOSTILE_CASE = "EVIL/<b>1</b>/2023"
HOSTILE_FIELDS = {
    "title": f"Titel {_HOSTILE}",
    "summary": f"Sammanfattning {_HOSTILE}",
    "responsible": f"Ansvarig {_HOSTILE}",
    "forum": f"Forum {_HOSTILE}",
    "event": f"Händelse {_HOSTILE}",
    "description": f"Beskrivning {_HOSTILE}",
    "point": f"Punkt {_HOSTILE}",
    "decision": f"Beslut {_HOSTILE}",
    "document": f"Handling {_HOSTILE}",
}


@dataclass(frozen=True)
class RenderedDossier:
    """A dossier rendered for the tests: where it is, and what a reader of it sees."""

    case_id: str
    lang: str
    data: Path
    out: Path
    files: DossierFiles

    @property
    def html(self) -> str:
        assert self.files.html is not None
        return self.files.html.read_text(encoding="utf-8")

    @property
    def manifest(self) -> dict:
        return json.loads(self.files.manifest.read_text(encoding="utf-8"))

    @cached_property
    def pdf_pages(self) -> list[str]:
        """The PDF's text as pdftotext extracts it, one string per page."""
        assert self.files.pdf is not None
        if shutil.which("pdftotext") is None:
            pytest.fail("pdftotext is missing: install poppler-utils (CI's .ci/run does)")
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(self.files.pdf), "-"],
            capture_output=True,
            check=True,
        )
        return done.stdout.decode("utf-8").rstrip("\f").split("\f")

    @property
    def pdf_text(self) -> str:
        """The PDF's text, hyphenation undone and whitespace dropped (see :func:`joined`)."""
        return joined("\n".join(self.pdf_pages))


def joined(text: str) -> str:
    """Text without hyphenation or whitespace: compare this way where lines may break anywhere.

    WeasyPrint breaks table cells after a slash or inside words (with U+2010, which the
    test data never holds), so a title may come out of pdftotext in several pieces.
    """
    return "".join(re.sub(r"\u2010\s*\n", "", text).split())


def render_dossier(
    tmp_path_factory: pytest.TempPathFactory,
    case_id: str,
    *,
    lang: str = "sv",
    data: Path = SAMPLE_DATA,
    pdfa: bool = False,
    as_of: str = AS_OF,
) -> RenderedDossier:
    from dossier.content.parameters import DossierParameters
    from dossier.run.render import RenderOptions, build_dossier

    out = tmp_path_factory.mktemp("dossiers")
    options = RenderOptions(DossierParameters(lang=lang, as_of=dt.date.fromisoformat(as_of)), pdfa=pdfa)
    files = build_dossier(case_id, data_dir=data, out_dir=out, options=options)
    return RenderedDossier(case_id, lang, data, out, files)


@pytest.fixture(scope="session")
def sample_dossier_sv(tmp_path_factory: pytest.TempPathFactory) -> RenderedDossier:
    """RUN/168/2020 in Swedish, as of 2023-06-01."""
    return render_dossier(tmp_path_factory, SAMPLE_CASE, lang="sv")


@pytest.fixture(scope="session")
def sample_dossier_en(tmp_path_factory: pytest.TempPathFactory) -> RenderedDossier:
    """RUN/168/2020 in English, as of 2023-06-01."""
    return render_dossier(tmp_path_factory, SAMPLE_CASE, lang="en")


@pytest.fixture(scope="session")
def sample_dossier_de(tmp_path_factory: pytest.TempPathFactory) -> RenderedDossier:
    """RUN/168/2020 in German, as of 2023-06-01."""
    return render_dossier(tmp_path_factory, SAMPLE_CASE, lang="de")


@pytest.fixture(scope="session")
def big_dossier(tmp_path_factory: pytest.TempPathFactory) -> RenderedDossier:
    """The one case of `dossier demo-data --cases 1 --events-per-case 500`, in Swedish."""
    from dossier.data.synthetic import generate

    data = tmp_path_factory.mktemp("big-data")
    generate(data, cases=1, events_per_case=500, seed=1)
    with (data / "cases.csv").open(encoding="utf-8") as cases:
        case_id = cases.readlines()[1].split(",")[0]
    return render_dossier(tmp_path_factory, case_id, data=data)


@pytest.fixture(scope="session")
def related_dossier_pdfa(tmp_path_factory: pytest.TempPathFactory) -> RenderedDossier:
    """RUN/136/2022 (the case with decision § 224) in Swedish, as PDF/A with its data attached."""
    return render_dossier(tmp_path_factory, RELATED_CASE, lang="sv", pdfa=True)


def write_hostile_data(folder: Path) -> Path:
    """The sample data plus a case whose every text field is HTML, quotes and ampersands."""
    shutil.copytree(SAMPLE_DATA, folder)
    f = HOSTILE_FIELDS
    rows = {
        "forums": [
            {"forum_id": "EVIL", "name": f["forum"], "kind": "committee", "organisation": _HOSTILE},
        ],
        "cases": [
            {"case_id": HOSTILE_CASE, "title": f["title"], "opened": "2023-01", "status": "open",
             "owner_forum_id": "EVIL", "responsible": f["responsible"], "summary": f["summary"]},
        ],
        "events": [
            {"event_id": "evil-1", "case_id": HOSTILE_CASE, "date": "2023-01-10",
             "kind": "registered", "forum_id": "EVIL", "title": f["event"],
             "description": f["description"], "document": f["document"]},
            {"event_id": "evil-2", "case_id": HOSTILE_CASE, "date": "2023-02",
             "kind": "decided", "forum_id": "EVIL", "title": f["decision"],
             "decision_ref": "§ 7 <script>alert(3)</script>"},
            {"event_id": "evil-3", "case_id": HOSTILE_CASE, "date": "2023-03-15",
             "kind": "proposal", "forum_id": "EVIL", "title": "Förslag",
             "description": f"1. {f['point']}\n2. <img src=x onerror=alert(4)>"},
        ],
        "documents": [
            {"case_id": HOSTILE_CASE, "date": "2023-02", "title": f["document"],
             "doc_type": "report", "link": "javascript:alert(5)"},
        ],
        "relations": [
            {"case_id": HOSTILE_CASE, "related_case_id": SAMPLE_CASE, "relation": "related"},
        ],
    }  # fmt: skip
    for table, extra in rows.items():
        path = folder / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as file:
            reader = csv.DictReader(file)
            columns, existing = list(reader.fieldnames or ()), list(reader)
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, columns, restval="", lineterminator="\n")
            writer.writeheader()
            writer.writerows([*existing, *extra])
    return folder


@pytest.fixture(scope="session")
def hostile_dossier(tmp_path_factory: pytest.TempPathFactory) -> RenderedDossier:
    """The hostile case's dossier in Swedish: its source text is full of markup."""
    data = write_hostile_data(tmp_path_factory.mktemp("hostile") / "data")
    return render_dossier(tmp_path_factory, HOSTILE_CASE, lang="sv", data=data)


@pytest.fixture(scope="session")
def hostile_fields() -> dict[str, str]:
    """The hostile case's texts by field, as the source data holds them."""
    return dict(HOSTILE_FIELDS)


@pytest.fixture(scope="session")
def hostile_tokens() -> tuple[str, ...]:
    """The markup-like strings that the hostile case's text fields are made of."""
    return HOSTILE_TOKENS


def small_dossier(case_id: str, title: str, sections: int, body: str | None = None) -> str:
    """A dossier's HTML through the dossier template: ``sections`` sections, one a page (or
    ``body`` after its header), as the notebook's own cells (tagged ``dossier``) show them."""
    body = body if body is not None else "".join(
        f'<section style="break-before: {"page" if n > 1 else "auto"}"><h2 id="s{n}">Avsnitt {n}</h2>'
        f'<p>Text {n} i {case_id}. <a href="#s1">Till avsnitt 1</a></p></section>'
        for n in range(1, sections + 1)
    )
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from dossier.run.export import html_document

    header = f'<p class="case-id">{case_id}</p><h1 class="case-title">{title}</h1>'
    output = new_output("execute_result", data={"text/html": header + body}, execution_count=1)
    cell = new_code_cell("", outputs=[output], execution_count=1, metadata={"tags": ["dossier"]})
    return html_document(new_notebook(cells=[cell]), lang="sv", case_id=case_id, title=title)


# --- Tagged PDF, read back as a screen reader and an archive read it (pdf_structure.py) ------


@pytest.fixture(scope="session")
def tagged_pdf() -> Callable[[Path], TaggedPdf]:
    """``tagged_pdf(path)``: what the PDF says about itself (see :class:`TaggedPdf`)."""
    return read_tagged_pdf


@pytest.fixture(scope="session")
def conformance() -> Callable[[Path, str], list[str]]:
    """``conformance(path, "ua1")``: the checker's failures, one line a rule; empty when it passes."""
    return conformance_failures


# --- A mount namespace of the test's own --------------------------------------------------------


@pytest.fixture(scope="session")
def private_mounts() -> Callable[..., list[str]]:
    """``private_mounts(script, *args)``: the command that runs the shell ``script`` (with
    ``args`` as ``$1``…) in a mount namespace of its own, where a tmpfs it mounts (a small disk,
    a read-only folder, a folder hidden from a process) is seen by no process outside.

    Needs util-linux's ``unshare`` and the right to mount (root); without them the test is
    skipped, or fails where ``CI`` is set.
    """
    try:
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               capture_output=True, text=True, timeout=60)  # fmt: skip
        reason = probe.stderr.strip() if probe.returncode else None
    except FileNotFoundError:
        reason = "unshare is missing (apt-get install util-linux)"
    if reason:
        message = f"needs a mount namespace of its own (unshare --mount, as root): {reason}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def command(script: str, *args: str | Path) -> list[str]:
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                *map(str, args)]  # fmt: skip

    return command


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """An empty folder with a short path, for a run's TMPDIR: its kernels' sockets are files in
    it, and a socket's path has room for 107 bytes (``tmp_path`` under xdist leaves too few)."""
    folder = Path(tempfile.mkdtemp(prefix="dossier-test-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- A case notebook with the analyst's own cells --------------------------------------------

#: The analyst's remark and the first words her own code cell shows, in the case notebook below.
REMARK = "Analytikerns anmärkning: remissvaren från kommunerna väntas i augusti."
OWN_ANALYSIS = "Egen analys:"


def add_own_cells(path: Path) -> None:
    """Put a Markdown remark and a code cell of the analyst's into the case notebook at
    ``path``, right after the place the notebook marks for them, as she would in JupyterLab."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell

    nb = nbformat.read(path, as_version=4)
    place = next(i for i, c in enumerate(nb.cells) if c.get("id") == "your-cells")
    code = ("from IPython.display import Markdown\n\nevents = case.events\n"
            f"Markdown(f\"{OWN_ANALYSIS} {{len(events[events.precision != 'day'])}} händelser utan känd dag\")")  # fmt: skip
    nb.cells[place + 1 : place + 1] = [new_markdown_cell(REMARK), new_code_cell(code)]
    nbformat.write(nb, path)


def save_as_lab_does(path: Path) -> None:
    """Write outputs, execution counts and Lab's metadata into the notebook at ``path``, as a
    save in JupyterLab after running it does."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells, 1):
        cell.metadata["jupyter"] = {"source_hidden": False}
        cell.metadata["collapsed"] = False
        if cell.cell_type == "code":
            cell.execution_count = number
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>ran</p>"})]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, path)


# --- The sample's records edited, and what a reader sees of a section ---------------------------


def edit_events_csv(data: Path, *, remove=(), retitle=None, add=()) -> None:
    path = data / "events.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0])
    rows = [r for r in rows if r["event_id"] not in remove]
    for r in rows:
        if retitle and r["event_id"] == retitle[0]:
            r["title"] = retitle[1]
    rows += [dict.fromkeys(columns, "") | row for row in add]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


class Section(HTMLParser):
    """The text of each list item of the element with ``id``, as a reader sees it."""

    def __init__(self, id_: str) -> None:
        super().__init__()
        self.id, self.depth, self.items, self.heading, self.text = id_, 0, [], "", None
        self.in_heading = False

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag == "section"
        elif dict(attrs).get("id") == self.id:
            self.depth = 1
        if self.depth and tag == "li":
            self.text = ""
        self.in_heading = bool(self.depth) and tag == "h2"

    def handle_endtag(self, tag):
        if self.depth and tag == "li":
            self.items.append(self.text)
            self.text = None
        if self.depth and tag == "section":
            self.depth -= 1
        self.in_heading = False

    def handle_data(self, data):
        if self.text is not None:
            self.text += data
        if self.in_heading:
            self.heading += data


def section(html: str, id_: str) -> Section:
    parser = Section(id_)
    parser.feed(html)
    return parser


def pdftotext(path: Path) -> str:
    """The text of the PDF at ``path`` as pdftotext extracts it (pages end with a form feed)."""
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True)  # fmt: skip
    return done.stdout.decode("utf-8")


# --- Mail: a real SMTP server on loopback, and the messages read back ---------------------------

USER = "analytiker"
PASSWORD = "Hemligt-lösen-7Qz!"  # grepped for in every output: it must never show
MAIL_TO = "Anna Åberg <anna@example.se>"
MAIL_FROM = "Analysenheten <analys@example.se>"


@dataclass
class SmtpServer:
    """A running test SMTP server and what it received."""

    port: int
    ca_file: Path
    tls: str
    received: list = field(default_factory=list)
    greetings: list = field(default_factory=list)  # every EHLO: a client that connected
    logins: list = field(default_factory=list)  # every AUTH attempt, with what it carried

    def options(self, *, user: str = USER) -> list[str]:
        return ["--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(self.port),
                "--tls", self.tls, "--smtp-user", user, "--ca-file", str(self.ca_file)]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory):
    """A CA made for the test, its PEM file, and a server certificate for 127.0.0.1."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca.issue_cert("127.0.0.1", "localhost"), ca_file


@pytest.fixture
def smtp_server(certificate) -> Iterator[Callable[..., SmtpServer]]:
    """``smtp_server(tls="starttls"|"ssl", certificate=(cert, ca_file))``: a real SMTP server
    on loopback with AUTH; by default with the test's own CA."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    controllers = []

    def start(tls: str = "starttls", certificate=certificate) -> SmtpServer:
        cert, ca_file = certificate
        server = SmtpServer(free_port(), ca_file, tls)

        class Handler:
            async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
                server.greetings.append(hostname)
                session.host_name = hostname  # the hook's duty, or the server forgets the EHLO
                return responses

            async def handle_DATA(self, smtp, session, envelope):
                server.received.append(envelope)
                return "250 2.0.0 Message accepted"

        def authenticator(smtp, session, envelope, mechanism, auth_data):
            server.logins.append(auth_data)
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
                  and auth_data.password == PASSWORD.encode())  # fmt: skip
            return AuthResult(success=ok, handled=False)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        kwargs = {"auth_required": True, "authenticator": authenticator}
        if tls == "ssl":
            # TLS from the first byte; aiosmtpd only counts STARTTLS as TLS for its AUTH check.
            kwargs |= {"ssl_context": context, "auth_require_tls": False}
        else:
            kwargs |= {"tls_context": context, "require_starttls": True}
        controller = Controller(Handler(), hostname="127.0.0.1", port=server.port, **kwargs)
        controller.start()
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """``dossier ARGS`` with its stderr on a pseudo-terminal of 120 columns: its exit status and
    what the terminal was sent (progress bars draw only on a terminal, and only with a width)."""
    import fcntl
    import pty
    import struct
    import sys
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    run = subprocess.run([sys.executable, "-m", "dossier.cli", *args], stderr=follower,
                         stdout=subprocess.PIPE, timeout=300)  # fmt: skip
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once all is read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return run.returncode, shown.decode("utf-8", "replace")


def run_in_process(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """``dossier ARGS`` in this process: the exit status, stdout and stderr."""
    from dossier.cli import main

    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- Both sample cases and the sample meeting's pack, rendered once per module that asks


def render_all(out: Path, data: Path, case_ids: list[str], meeting: str | None) -> Path:
    from dossier.content.parameters import DossierParameters
    from dossier.data.validate import load
    from dossier.run.batch import run_batch
    from dossier.run.job import RenderOptions

    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)))
    report = run_batch(case_ids, registry=load(data), data_dir=data, out_dir=out,
                       options=options, workers=2, meeting=meeting)  # fmt: skip
    assert not report.failed, [r.error for r in report.results]
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder with both sample cases' dossiers and the sample meeting's pack."""
    out = tmp_path_factory.mktemp("rendered") / "dossiers"
    return render_all(out, SAMPLE_DATA, [SAMPLE_CASE, RELATED_CASE], SAMPLE_MEETING)
