"""Shared fixtures: a small valid data folder that each test bends to show one behaviour."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dossier.run.render import DossierFiles

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
HOSTILE = " ".join(HOSTILE_TOKENS)
HOSTILE_CASE = "EVIL/<b>1</b>/2023"
HOSTILE_FIELDS = {
    "title": f"Titel {HOSTILE}",
    "summary": f"Sammanfattning {HOSTILE}",
    "responsible": f"Ansvarig {HOSTILE}",
    "forum": f"Forum {HOSTILE}",
    "event": f"Händelse {HOSTILE}",
    "description": f"Beskrivning {HOSTILE}",
    "point": f"Punkt {HOSTILE}",
    "decision": f"Beslut {HOSTILE}",
    "document": f"Handling {HOSTILE}",
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
    from dossier.run.render import RenderOptions, build_dossier

    out = tmp_path_factory.mktemp("dossiers")
    options = RenderOptions(lang=lang, as_of=dt.date.fromisoformat(as_of), pdfa=pdfa)
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
            {"forum_id": "EVIL", "name": f["forum"], "kind": "committee", "organisation": HOSTILE},
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


# --- Tagged PDF, read back as a screen reader and an archive read it ---------------------------


@dataclass(frozen=True)
class TaggedPdf:
    """What a PDF tells a screen reader and an archive about itself, read back with pikepdf."""

    lang: str | None
    marked: bool
    shows_title: bool
    title: str | None
    #: The structure tree's root element, e.g. "/Document"; None when the PDF is untagged.
    root: str | None
    #: Structure elements by type, e.g. {"/H2": 8, "/Table": 11, …}.
    tags: dict[str, int]
    #: Each Figure's alternative text, in the order of the structure tree.
    figures: list[str | None]
    #: The types of the elements directly inside each list (L): PDF/UA allows L, LI and Caption.
    list_kids: set[str]
    #: The XMP identifications: "pdfuaid:part", "pdfaid:part", "pdfaid:conformance".
    xmp: dict[str, str]
    #: Bookmarks as (title, [children]).
    outline: list[tuple[str, list]]
    attachments: list[str]


def read_tagged_pdf(path: Path) -> TaggedPdf:
    import pikepdf

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        tags: dict[str, int] = {}
        figures: list[str | None] = []
        list_kids: set[str] = set()

        def walk(element) -> None:
            if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
                return
            kind = str(element.S)
            tags[kind] = tags.get(kind, 0) + 1
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            if kind == "/Figure":
                figures.append(str(element.Alt) if "/Alt" in element else None)
            if kind == "/L":
                list_kids.update(
                    str(k.S) for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k
                )
            for kid in kids:
                walk(kid)

        tree = root.get("/StructTreeRoot")
        top = None
        if tree is not None:
            kids = tree.K if isinstance(tree.K, pikepdf.Array) else [tree.K]
            top = str(kids[0].S)
            for kid in kids:
                walk(kid)
        names = {"pdfuaid:part": "{http://www.aiim.org/pdfua/ns/id/}part",
                 "pdfaid:part": "{http://www.aiim.org/pdfa/ns/id/}part",
                 "pdfaid:conformance": "{http://www.aiim.org/pdfa/ns/id/}conformance"}  # fmt: skip
        with pdf.open_metadata() as meta:
            xmp = {short: str(meta[full]) for short, full in names.items() if full in meta}
            title = meta.get("dc:title")

        def bookmarks(items) -> list[tuple[str, list]]:
            return [(item.title, bookmarks(item.children)) for item in items]

        with pdf.open_outline() as outline:
            tree_of_bookmarks = bookmarks(outline.root)
        mark_info = root.get("/MarkInfo", {})
        preferences = root.get("/ViewerPreferences", {})
        return TaggedPdf(
            lang=str(root.Lang) if "/Lang" in root else None,
            marked=bool(mark_info.get("/Marked", False)),
            shows_title=bool(preferences.get("/DisplayDocTitle", False)),
            title=title,
            root=top,
            tags=tags,
            figures=figures,
            list_kids=list_kids,
            xmp=xmp,
            outline=tree_of_bookmarks,
            attachments=sorted(pdf.attachments),
        )


def conformance_failures(path: Path, profile: str) -> list[str]:
    """What a machine checker finds against a PDF/UA or PDF/A profile ("ua1", "3a"), one line a rule.

    The checker is page-validation (PyPI), which runs veraPDF's rules without Java.
    """
    import page

    report = page.validate_pdf(path, profile=profile)
    failures = {f.rule_id: f"{f.rule_id}: {f.message}" for f in report.failures}
    return sorted(failures.values()) or ([] if report.is_compliant else ["not compliant"])


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
        if os.environ.get("CI"):
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


# --- A case notebook with the analyst's own cells (issue 12) ----------------------------------

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
