"""Rendering a dossier end to end: a real kernel, real WeasyPrint, the PDF read back by pdftotext.

The dossiers themselves are rendered once per session by fixtures in conftest.py; the tests
that read them share the xdist group "render" so that one worker renders each of them once.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from conftest import AS_OF, REPO, SAMPLE_CASE, SAMPLE_DATA
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

import dossier
from dossier.cli import main
from dossier.content.parameters import DossierParameters
from dossier.data.contract import EXTRACT_CASE
from dossier.data.validate import load
from dossier.errors import RenderError
from dossier.run.job import prepare_job, with_case_record
from dossier.run.kernel import WarmKernel
from dossier.run.render import RenderOptions, build_dossier, run_job, slugify

NOTEBOOK = REPO / "notebooks" / "case_dossier.ipynb"
SAMPLE_TITLE = "Länsgemensam påverkansagenda"

HEADINGS = {
    "sv": [
        "Beslutssammanfattning", "Tidslinje", "Ärendets historik", "Forum",
        "Relaterade ärenden", "Handlingar", "Anmärkningar om underlaget", "Ursprung",
    ],
    "en": [
        "Decision summary", "Timeline", "Case history", "Forums",
        "Related cases", "Documents", "Notes on the records", "Provenance",
    ],
    "de": [
        "Beschlussübersicht", "Zeitleiste", "Verlauf", "Beratungsfolge",
        "Verbundene Vorgänge", "Dokumente", "Hinweise zu den Daten", "Herkunft",
    ],
}  # fmt: skip
A4 = (595.28, 841.89)
SAFE_SLUG = re.compile(r"^[A-Za-z0-9._-]+$")


def squeeze(text: str) -> str:
    """``text`` without whitespace, to compare with the PDF's text however its lines broke."""
    return "".join(text.split())


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def case_events(case_id: str) -> list[dict[str, str]]:
    return [row for row in read_rows(SAMPLE_DATA / "events.csv") if row["case_id"] == case_id]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outline_titles(reader: PdfReader) -> list[str]:
    def walk(items) -> list[str]:
        titles = []
        for item in items:
            titles += walk(item) if isinstance(item, list) else [item.title]
        return titles

    return walk(reader.outline)


# --- What a reader of the PDF sees ------------------------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_pdf_shows_title_and_every_event(request, lang):
    rendered = request.getfixturevalue(f"sample_dossier_{lang}")
    text = rendered.pdf_text
    assert squeeze(SAMPLE_TITLE) in text
    titles = [event["title"] for event in case_events(SAMPLE_CASE)]
    assert len(titles) == 18
    missing = [title for title in titles if squeeze(title) not in text]
    assert not missing, f"event titles not in the PDF's text: {missing}"


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_pdf_of_related_case_shows_its_decision_paragraph(related_dossier_pdfa):
    text = related_dossier_pdfa.pdf_text
    assert squeeze("Översyn av samverkansformer i länet med fokus på Länspartnerskapet") in text
    assert "§224" in text
    for event in case_events("RUN/136/2022"):
        assert squeeze(event["title"]) in text


@pytest.mark.parametrize(
    ("lang", "page_words"),
    [("sv", "Sida {page} av {pages}"), ("en", "Page {page} of {pages}"),
     ("de", "Seite {page} von {pages}")],
    ids=["sv", "en", "de"],
)
@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_every_page_is_numbered_and_headed_with_the_case(request, lang, page_words):
    rendered = request.getfixturevalue(f"sample_dossier_{lang}")
    pages = rendered.pdf_pages
    assert len(pages) == len(PdfReader(rendered.files.pdf).pages) >= 2
    for number, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert page_words.format(page=number, pages=len(pages)) in flat
        assert f"{SAMPLE_CASE} · {SAMPLE_TITLE}" in flat, f"no running header on page {number}"


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_the_summary_of_a_500_event_case_fits_one_page(big_dossier):
    """The summary lists the latest decisions, never every one of a long case."""
    pages = [" ".join(page.split()) for page in big_dossier.pdf_pages]
    summary = [n for n, page in enumerate(pages) if "Beslutssammanfattning" in page]
    assert len(summary) == 1
    page = pages[summary[0]]
    # The latest five decisions, then how many more the history holds, then the figures.
    assert re.search(r"\d+ tidigare beslut finns i ”Ärendets historik”\.", page), page
    assert "Ärendet i siffror" in page and "Nästa sammanträde" in page
    decisions = page.split("Beslut Datum Typ Forum Paragraf Händelse")[1].split("tidigare beslut")[0]
    assert len(re.findall(r"\b20\d\d\b", decisions)) == 5


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_section_headings_are_in_the_dossier_language(request, lang):
    rendered = request.getfixturevalue(f"sample_dossier_{lang}")
    lines = {" ".join(line.split()) for page in rendered.pdf_pages for line in page.splitlines()}
    for heading in HEADINGS[lang]:
        assert heading in lines, f"heading {heading!r} is not a line of the PDF"
    for other, headings in HEADINGS.items():
        if other != lang:
            assert headings[0] not in lines, f"{headings[0]!r} from {other} in the {lang} dossier"


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_pdf_is_a4_with_one_bookmark_per_section(request, lang):
    reader = PdfReader(request.getfixturevalue(f"sample_dossier_{lang}").files.pdf)
    for number, page in enumerate(reader.pages, start=1):
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4, abs=1), f"page {number} is {size} pt, not A4"
    assert outline_titles(reader) == HEADINGS[lang]


# --- Files, reproducibility, manifest --------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_dossier_folder_holds_exactly_the_five_files(sample_dossier_sv):
    out, slug = sample_dossier_sv.out, "RUN-168-2020"
    # The lock file stays: removing it would race with the next run that takes it.
    assert sorted(p.name for p in out.iterdir()) == [".dossier.lock", slug]
    assert sorted(p.name for p in (out / slug).iterdir()) == sorted(
        [f"{slug}.html", f"{slug}.pdf", f"{slug}.ipynb", "manifest.json", "case-extract.json"]
    )
    assert sample_dossier_sv.files.pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_executed_notebook_ran_every_cell_with_the_parameters(sample_dossier_sv):
    nb = nbformat.read(sample_dossier_sv.files.notebook, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert f'case_id = "{SAMPLE_CASE}"' in injected[0].source
    assert f'as_of = "{AS_OF}"' in injected[0].source
    sections = code[code.index(injected[0]) + 1 :]
    assert len(sections) == 3  # opening, record, closing: the standard sections by block
    for cell in sections:
        assert cell.execution_count is not None
        assert [o.output_type for o in cell.outputs] == ["execute_result"], cell.source


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_same_inputs_give_byte_identical_html(sample_dossier_sv, tmp_path):
    # The second render goes through the command line as `make demo` runs it: a relative
    # --out folder, and a timeout that is not whole seconds.
    out = tmp_path.resolve() / "again"
    done = subprocess.run(
        [sys.executable, "-m", "dossier.cli", "render", SAMPLE_CASE, "--out", "again",
         "--as-of", AS_OF, "--timeout", "599.5"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = out / "RUN-168-2020"
    assert done.stdout.split() == [
        str(folder / name)
        for name in ("RUN-168-2020.html", "RUN-168-2020.pdf", "RUN-168-2020.ipynb", "manifest.json")
    ]
    first, second = (
        sample_dossier_sv.files.html.read_bytes(),
        (folder / "RUN-168-2020.html").read_bytes(),
    )
    if first != second:
        at = next(i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b)
        pytest.fail(
            f"HTML differs at byte {at}: {first[at - 80 : at + 80]!r} vs {second[at - 80 : at + 80]!r}"
        )
    # The same manifest, but for the executed notebook's record: papermill stamps each cell's time.
    again = json.loads((folder / "manifest.json").read_text("utf-8"))
    first_manifest = sample_dossier_sv.manifest
    for manifest in (again, first_manifest):
        assert manifest["files"].pop("RUN-168-2020.ipynb")["size"] > 0
    assert again == first_manifest


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_manifest_says_what_went_in(sample_dossier_sv):
    manifest = sample_dossier_sv.manifest
    assert manifest["case_id"] == SAMPLE_CASE
    assert manifest["as_of"] == AS_OF
    assert manifest["parameters"] == {
        "case_id": SAMPLE_CASE, "lang": "sv", "as_of": AS_OF, "since": None, "inactive_months": 6,
        "since_meeting": None, "related_dossiers": {},  # rendered alone: no related case's dossier beside it
    }  # fmt: skip
    assert manifest["data_dir"] == str(SAMPLE_DATA.resolve())

    files = sorted(SAMPLE_DATA.glob("*.csv"))
    sources = {source["file"]: source for source in manifest["sources"]}
    assert sorted(sources) == [path.name for path in files]
    for path in files:
        assert sources[path.name]["sha256"] == sha256(path), path.name
        assert sources[path.name]["rows"] == len(read_rows(path)), path.name

    events = case_events(SAMPLE_CASE)
    relations = [r for r in read_rows(SAMPLE_DATA / "relations.csv") if SAMPLE_CASE in (r["case_id"], r["related_case_id"])]  # fmt: skip
    agenda = [r for r in read_rows(SAMPLE_DATA / "agenda.csv") if r["case_id"] == SAMPLE_CASE]
    cases = {SAMPLE_CASE} | {r["case_id"] for r in relations} | {r["related_case_id"] for r in relations}  # fmt: skip
    meetings = [r for r in read_rows(SAMPLE_DATA / "meetings.csv") if r["meeting_id"] in {a["meeting_id"] for a in agenda}]  # fmt: skip
    case_rows = [r for r in read_rows(SAMPLE_DATA / "cases.csv") if r["case_id"] in cases]
    forums = {e["forum_id"] for e in events} | {m["forum_id"] for m in meetings} | {c["owner_forum_id"] for c in case_rows}  # fmt: skip
    documents = [r for r in read_rows(SAMPLE_DATA / "documents.csv") if r["case_id"] == SAMPLE_CASE]
    assert manifest["case_rows"] == {
        "cases": len(case_rows), "events": len(events), "forums": len(forums - {""}),
        "meetings": len(meetings), "agenda": len(agenda), "relations": len(relations),
        "documents": len(documents),
    }  # fmt: skip
    assert manifest["case_rows"]["events"] == 18

    toolkit = manifest["toolkit"]
    assert toolkit["version"] == dossier.__version__
    from dossier.resources import notebook_hash

    assert toolkit["notebook_sha256"] == notebook_hash(NOTEBOOK)
    assert re.fullmatch(r"[0-9a-f]{64}", toolkit["template_sha256"])

    packages = manifest["packages"]
    assert packages["python"] == platform.python_version()
    for name in ("dossier", "papermill", "nbconvert", "nbclient", "weasyprint", "pandas", "jinja2"):
        assert packages[name] == metadata.version(name), name
    assert manifest["html_sha256"] == sha256(sample_dossier_sv.files.html)
    files = sample_dossier_sv.files
    assert manifest["files"] == {
        path.name: {"size": path.stat().st_size, "sha256": sha256(path)}
        for path in (files.html, files.pdf, files.notebook, files.extract)
    }


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_provenance_section_shows_the_hashes(sample_dossier_sv):
    html = sample_dossier_sv.html
    manifest = sample_dossier_sv.manifest
    for source in manifest["sources"]:
        assert source["sha256"] in html, source["file"]
    assert manifest["toolkit"]["notebook_sha256"] in html
    assert manifest["toolkit"]["template_sha256"] in html


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_pdfa_says_so_and_carries_manifest_and_case_data(related_dossier_pdfa):
    rendered = related_dossier_pdfa
    reader = PdfReader(rendered.files.pdf)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(=\"|>)3", xmp), xmp
    assert re.search(r"pdfaid:conformance(=\"|>)A", xmp), xmp

    attachments = {name: contents[0] for name, contents in reader.attachments.items()}
    manifest = rendered.manifest
    # The manifest inside the PDF is the dossier's, less the record of the PDF itself.
    pdf_name = rendered.files.pdf.name
    inside = json.loads(attachments["manifest.json"])
    assert pdf_name not in inside["files"]
    assert inside == {
        **manifest,
        "files": {n: r for n, r in manifest["files"].items() if n != pdf_name},
    }
    assert manifest["pdfa"] is True
    for table, rows in manifest["case_rows"].items():
        assert f"{table}.csv" in attachments, f"{table}.csv is not attached"
        attached = list(csv.DictReader(attachments[f"{table}.csv"].decode("utf-8").splitlines()))
        assert len(attached) == rows, table
    events = list(
        csv.DictReader(attachments["events.csv"].decode("utf-8").splitlines(keepends=True))
    )
    assert events == case_events("RUN/136/2022")


# --- A failed render leaves the good dossier alone -------------------------------------------


@pytest.mark.kernel
def test_failed_render_keeps_the_old_dossier_and_the_evidence(tmp_path):
    out = tmp_path / "out"
    case_id, slug = "RUN/136/2022", "RUN-136-2022"
    options = RenderOptions(DossierParameters(as_of=dt.date.fromisoformat(AS_OF)), formats=("html",))
    build_dossier(case_id, data_dir=SAMPLE_DATA, out_dir=out, options=options)
    before = {p.name: p.read_bytes() for p in (out / slug).iterdir()}
    assert sorted(before) == sorted(
        [f"{slug}.html", f"{slug}.ipynb", "manifest.json", "case-extract.json"]
    )

    # The notebook opens the case its job hands it (the case extract's case record), not the
    # source folder. A damaged record (a worker's full disk, a bug in writing it) makes the
    # notebook's first real cell fail.
    registry = load(SAMPLE_DATA)
    job = with_case_record(prepare_job(registry, case_id, SAMPLE_DATA, options), registry)
    good = job.extract[EXTRACT_CASE]
    bad = good[: len(good) // 2]
    kernel = WarmKernel.start(cwd=NOTEBOOK.parent)
    try:
        with pytest.raises(RenderError) as failure:
            run_job(replace(job, extract=job.extract | {EXTRACT_CASE: bad}), out, kernel)
    finally:
        kernel.shutdown()

    message = str(failure.value)
    assert "`from dossier import sections as show`" in message
    assert "ParameterError" in message and "case.json: damaged" in message
    assert "render the dossier again" in message
    failed = out / f"{slug}.failed.ipynb"
    assert failure.value.notebook == str(failed)
    assert str(failed) in message

    assert {p.name: p.read_bytes() for p in (out / slug).iterdir()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted([".dossier.lock", slug, failed.name])
    assert not [p for p in out.rglob(".*") if p.is_dir()], "a staging folder was left behind"

    nb = nbformat.read(failed, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]  # fmt: skip
    assert [e.ename for e in errors] == ["ParameterError"]
    assert "case.json: damaged" in errors[0].evalue


# --- Slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_id", "slug"),
    [
        ("RUN/168/2020", "RUN-168-2020"),
        ("KS 2021/0345", "KS-2021-0345"),
        ("Ärende/Å", "Arende-A"),
        ("Länsgemensam påverkansagenda", "Lansgemensam-paverkansagenda"),
    ],
)
def test_slug_of_a_case_id(case_id, slug):
    assert slugify(case_id) == slug


@pytest.mark.parametrize(
    "case_id", ["../../x", "a\\b", ".", "..", "", " ", "/", "...", "./.hidden", "\x00", "ÅÄÖ/../.."]
)
def test_slug_never_leaves_the_output_folder(case_id, tmp_path):
    slug = slugify(case_id)
    assert SAFE_SLUG.match(slug), slug
    assert not slug.startswith(".")
    assert (tmp_path / slug).resolve().parent == tmp_path.resolve()


@given(st.text())
def test_slug_is_a_safe_file_name_for_any_text(case_id):
    slug = slugify(case_id)
    out = Path("/srv/dossiers")
    assert SAFE_SLUG.match(slug), slug
    assert not slug.startswith(".")
    assert (out / slug).resolve().parent == out
    assert len(f"{slug}.failed.ipynb") <= 255  # a file name's limit on common file systems
    assert slugify(slug) == slug


# --- Bad input: exit 2, nothing written --------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("case_id", "hint"),
    [("NOPE/1/2020", "is not in cases.csv"), ("RUN/168/202", "did you mean RUN/168/2020")],
)
def test_unknown_case_exits_2_and_writes_nothing(case_id, hint, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", case_id, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{case_id!r}" in err and hint in err
    assert not out.exists()


@pytest.mark.kernel
def test_data_fault_with_strict_exits_2_names_the_place_and_writes_nothing(
    tmp_path, capsys, valid_csv, write_data
):
    data = write_data(tmp_path / "data", events=valid_csv["events"].replace("2020-05-30", "2020-13-45"))  # fmt: skip
    out = tmp_path / "out"
    assert main(["render", "A/1/2020", "--data", str(data), "--out", str(out), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "events.csv row 2" in err and "date" in err and "2020-13-45" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argument", "said"),
    [(["--lang", "xx"], "invalid choice: 'xx'"), (["--as-of", "2023-13-01"], "'2023-13-01' is not a date"),
     (["--as-of", "0999-12-31"], "'0999-12-31' is outside the years dossier reads, 1000 to 9999")],
)  # fmt: skip
def test_bad_option_is_a_usage_error(argument, said, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["render", SAMPLE_CASE, "--out", str(out), *argument])
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err
    assert not out.exists()


def test_a_since_after_the_as_of_day_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["render", SAMPLE_CASE, "--out", str(out), "--as-of", "2023-06-01",
                 "--since", "2023-07-01"])  # fmt: skip
    assert code == 2
    assert "--since 2023-07-01 is after --as-of 2023-06-01" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("seconds", ["0", "-5", "nan", "inf", "1e12"])
@pytest.mark.parametrize("command", ["render", "batch"])
def test_a_timeout_that_is_no_number_of_seconds_is_refused(command, seconds, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped:  # refused as the command line is read
        main([command, SAMPLE_CASE, "--out", str(out), f"--timeout={seconds}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --timeout:" in err and "above 0 and at most 86400" in err
    assert not out.exists()


# --- The notebook as committed, and run directly with papermill ------------------------------


def committed_notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


CLEAN_HOW = "clean it with `.venv/bin/nbstripout --keep-id notebooks/*.ipynb` (and run `make hooks` once so git does it)"


def test_notebook_is_committed_without_outputs():
    code = [cell for cell in committed_notebook().cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], f"{NOTEBOOK} has outputs: {CLEAN_HOW}"
        assert cell.execution_count is None, f"{NOTEBOOK} has execution counts: {CLEAN_HOW}"


def test_saving_in_lab_leaves_the_notebook_hash_alone(tmp_path):
    from dossier.resources import notebook_hash

    saved = committed_notebook()
    for number, cell in enumerate(saved.cells, 1):
        cell.metadata["jupyter"] = {"source_hidden": False}
        if cell.cell_type == "code":
            cell.execution_count = number
            cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    saved.metadata["widgets"] = {"state": {}}
    path = tmp_path / "saved.ipynb"
    nbformat.write(saved, path)
    assert notebook_hash(path) == notebook_hash(NOTEBOOK)

    saved.cells[-1].source += "\n# a change that does something"
    nbformat.write(saved, path)
    assert notebook_hash(path) != notebook_hash(NOTEBOOK)


def test_notebook_has_one_parameters_cell_with_the_documented_defaults():
    tagged = [c for c in committed_notebook().cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    defaults = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(tagged[0].source).body
        if isinstance(node, ast.Assign)
    }
    assert defaults | {"data_dir": None} == {
        "case_id": "RUN/168/2020", "lang": "sv", "as_of": None, "since": None,
        "inactive_months": 6, "data_dir": None, "since_meeting": None, "compare_with": None,
        "related_dossiers": {},
    }  # fmt: skip


def run_papermill(output: Path, **parameters):
    """The notebook as an analyst runs it with papermill; on a kernel that talks over ipc
    sockets, as every kernel of the tests does (TCP ports would be raced for)."""
    import papermill

    from dossier.run.kernel import WarmKernel

    kernel = WarmKernel.start(NOTEBOOK.parent)
    try:
        return papermill.execute_notebook(
            str(NOTEBOOK), str(output), parameters=parameters or None, km=kernel.manager,
            kernel_name=kernel.name, progress_bar=False,
        )  # fmt: skip
    finally:
        kernel.shutdown()


@pytest.mark.kernel
def test_notebook_runs_with_its_defaults(tmp_path):
    nb = run_papermill(tmp_path / "out.ipynb")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    header = code[1].outputs[0].data["text/html"]
    assert SAMPLE_CASE in header and SAMPLE_TITLE in header


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("parameters", "ename", "evalue"),
    [
        ({"case_id": "RUN/168/202"}, "UnknownCaseError", "RUN/168/2020"),
        ({"lang": "xx"}, "ParameterError", "'xx'"),
        ({"as_of": "2023-02-30"}, "ParameterError", "'2023-02-30'"),
    ],
)
def test_bad_parameter_stops_the_notebook_right_after_the_parameters(
    tmp_path, parameters, ename, evalue
):
    from papermill.exceptions import PapermillExecutionError

    output = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError):
        run_papermill(output, **parameters)
    code = [c for c in nbformat.read(output, as_version=4).cells if c.cell_type == "code"]
    injected = next(i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", []))  # fmt: skip
    failing = code[injected + 1]
    errors = [o for o in failing.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == [ename]
    assert evalue in errors[0].evalue
    assert not [o for c in code[: injected + 1] for o in c.outputs if o.output_type == "error"]
    assert all(c.execution_count is None for c in code[injected + 2 :])


# --- What render says as it goes -------------------------------------------------------------


@pytest.mark.kernel
def test_render_says_each_stage_on_stderr_and_the_files_on_stdout(tmp_path, capsys):
    out = tmp_path / "out"
    # A Swedish dossier; the tool's own messages are English whatever the dossier's language.
    code = main(["render", SAMPLE_CASE, "--out", str(out), "--as-of", AS_OF, "--lang", "sv"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    folder = out / slugify(SAMPLE_CASE)
    assert captured.err.splitlines() == [
        f"Reading the data in {REPO / 'data' / 'sample'} …",
        "Running the notebook case_dossier.ipynb …",
        "Writing the HTML …",
        "Writing the PDF …",
        f"Written to {folder}",
    ]
    assert [Path(line).parent for line in captured.out.split()] == [folder] * 4


@pytest.mark.kernel
def test_render_of_the_pdf_alone_says_it_writes_the_pdf_alone(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["render", SAMPLE_CASE, "--out", str(out), "--as-of", AS_OF, "--format", "pdf"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.splitlines()[2:] == ["Writing the PDF …", f"Written to {out / slugify(SAMPLE_CASE)}"]


def test_render_on_a_terminal_shows_a_bar_that_ends_with_the_last_stage():
    import fcntl
    import os
    import struct
    import termios

    from dossier.run.render import STAGES, stage_reporter

    leader, follower = os.openpty()
    # A terminal 100 columns wide (a new pseudo-terminal has none, and a bar then has no room).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    with open(follower, "w", encoding="utf-8", closefd=True) as terminal:
        stage, finish = stage_reporter(terminal)
        stage("reading", data="/data")
        stage("running", notebook="RUN-168-2020.ipynb")
        stage("html")
        stage("pdf")
        stage("written", folder="/ut/RUN-168-2020")
        finish()
    shown = b""
    while chunk := _read_available(leader):
        shown += chunk
    os.close(leader)
    screen = shown.decode("utf-8")
    assert "Reading the data in /data …" in screen
    assert "Running the notebook RUN-168-2020.ipynb …" in screen
    assert "Written to /ut/RUN-168-2020" in screen and f"{len(STAGES)}/{len(STAGES)}" in screen


def _read_available(fd: int) -> bytes:
    """What the terminal holds now; b"" once it holds nothing (its writer has closed)."""
    import os
    import select

    if not select.select([fd], [], [], 0)[0]:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the follower is closed and all was read
        return b""


@pytest.mark.kernel
def test_a_forum_name_of_20000_letters_renders_in_time_and_whole_in_the_tables(tmp_path):
    """A name without a space as long as a forums.csv field may be: the figure cuts it (its
    start and end), the tables give it whole, within the page, and the render ends within
    the normal timeout."""
    data = Path(shutil.copytree(SAMPLE_DATA, tmp_path / "data"))
    name = "Nämndsammanträdesprotokollsförteckning" * 527  # 20,026 letters, no space
    rows = read_rows(data / "forums.csv")
    for row in rows:
        if row["forum_id"] == "RUN":
            row["name"] = name
    with open(data / "forums.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "dossier.cli", "render", SAMPLE_CASE, "--data",
                           data, "--out", out, "--as-of", AS_OF, "--quiet"],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    pdf = out / "RUN-168-2020" / "RUN-168-2020.pdf"
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    # Every letter of each time the page shows the name is on the PDF's page: pdftotext reads
    # none that runs off its edge (it reads the cells of a row, and the page's head and foot,
    # in between, so the name is counted by its parts).
    html = (out / "RUN-168-2020" / "RUN-168-2020.html").read_text(encoding="utf-8")
    shown = re.sub(r"<[^>]*>", "", html.replace("<wbr>", "")).count(name)
    assert shown >= 8  # the forums table, the case history, the decisions, the facts, …
    part = "Nämndsammanträdesprotokollsförteckning"
    assert squeeze(text).count(part) >= 0.95 * shown * name.count(part)


@pytest.mark.kernel
def test_a_render_stopped_at_its_timeout_says_one_line_and_no_library_log(tmp_path):
    """A cell deaf to the deadline's interrupt has its kernel killed: the user reads why, once,
    without papermill's "Kernel died while waiting for execute reply." above it."""
    notebooks = tmp_path / "notebooks"
    made = subprocess.run([sys.executable, "-m", "dossier.cli", "notebook", SAMPLE_CASE, "--dir",
                           notebooks], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip())
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(120)"))  # fmt: skip
    nbformat.write(notebook, path)
    done = subprocess.run([sys.executable, "-m", "dossier.cli", "render", SAMPLE_CASE, "--notebooks",
                           notebooks, "--out", tmp_path / "out", "--as-of", AS_OF, "--timeout", "5",
                           "--quiet"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"dossier: {SAMPLE_CASE}: the notebook ran longer than the timeout")
    assert done.stderr.count("\n") == 1, done.stderr
