"""Files the tool reads but did not make just now: whatever they hold, only its own errors.

An earlier output folder's case extracts (``--compare-with``), a case notebook, the records an
output folder keeps (manifests, a batch's report), a case extract's ``sources.json`` and
``notes.json``, the dossier PDFs a meeting pack binds: each may be anything a person (or an
attacker) left there. A reader either takes the file or raises a
:class:`~dossier.errors.DossierError` that names it; a traceback would be a bug. The files
tried are random bytes, random JSON, JSON nested too deeply, and the tool's own files with one
value replaced or some bytes overwritten.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossier.data.changes import CaseExtract, Change, Comparison, comparison
from dossier.data.earlier import Baseline, earlier_dossier
from dossier.data.sources import described_sources
from dossier.data.validate import read_notes
from dossier.errors import DossierError
from dossier.resources import notebook_hash, notebook_path
from dossier.run.batch import unchanged_batch
from dossier.run.bind import page_count, unnumbered
from dossier.run.manifest import current_files, read_record
from dossier.run.notebooks import analyst_cells, as_rendered, read_case_notebook

CASE, SLUG = "A/1/2020", "A-1-2020"
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16,
)


def _paths(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON value, as the keys and indexes that lead to it."""
    places = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            places += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            places += _paths(inner, (*path, index))
    return places


def _replaced(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(copy[path[0]], path[1:], new)
    return copy


@st.composite
def documents(draw, valid: bytes) -> bytes:
    """A file a reader may meet where ``valid`` (the tool's own JSON) should be."""
    kind = draw(st.sampled_from(["bytes", "json", "deep", "replaced", "overwritten"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        depth = draw(st.integers(1, 200_000))
        return b'{"a": ' * depth + b"1" + b"}" * depth if draw(st.booleans()) else b"[" * depth + b"]" * depth
    if kind == "replaced":
        loaded = json.loads(valid)
        path = draw(st.sampled_from(_paths(loaded)))
        return json.dumps(_replaced(loaded, path, draw(json_values))).encode()
    return overwritten(draw, valid)


def overwritten(draw, valid: bytes) -> bytes:
    """``valid`` with a few bytes written over, or cut short."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, max(0, len(data) - 1)))
        data[start : start + draw(st.integers(0, 8))] = draw(st.binary(max_size=8))
    return bytes(data[: draw(st.integers(0, len(data)))]) if draw(st.booleans()) else bytes(data)


def _tables() -> dict[str, bytes]:
    from conftest import VALID_CSV

    return {f"{t}.csv": VALID_CSV[t].encode() for t in ("cases", "events", "relations", "documents")}


VALID_EXTRACT = CaseExtract(CASE, "2023-06-01", "key", _tables()).to_bytes()


@SETTINGS
@given(data=documents(VALID_EXTRACT))
def test_an_earlier_case_extract_is_taken_or_refused_by_name(tmp_path, data):
    folder = tmp_path / "old"
    (folder / SLUG).mkdir(parents=True, exist_ok=True)
    (folder / SLUG / "case-extract.json").write_bytes(data)
    try:
        taken = earlier_dossier(folder, CASE, "--compare-with old")
    except DossierError as exc:
        assert "case-extract.json" in str(exc)
        return
    if taken is not None:  # what a comparison then reads of it reads without fault
        extract = taken.extract
        assert CaseExtract.from_bytes(taken.data) == extract
        earlier = extract.case_file()
        comparison(earlier, extract.day, earlier, dt.date(2021, 1, 1))


def _valid_baseline() -> bytes:
    """A comparison as a render hands it to its notebook: an event added, one changed, a link."""
    extract = CaseExtract.from_bytes(VALID_EXTRACT)
    event = dict(extract.records().events[0])
    changes = (Change("event_added", event), Change("event_changed", event, (("title", "Förr", event["title"]),)),
               Change("related_added", {"case_id": "A/2/2021", "relation": "follows", "inverse": ""}))  # fmt: skip
    return Baseline("key", "2023-06-01", Comparison(changes, 1, 1, 1)).to_bytes()


VALID_BASELINE = _valid_baseline()


@SETTINGS
@given(data=documents(VALID_BASELINE))
def test_a_comparison_handed_to_the_notebook_is_taken_or_refused_by_name(data):
    """What a baseline file says reaches the page only if every line of it can be shown."""
    from dossier.content.view import changes_view

    try:
        taken = Baseline.from_bytes(data)
    except ValueError:
        return
    case_file = CaseExtract.from_bytes(VALID_EXTRACT).case_file()
    for lang in ("sv", "en"):
        shown = changes_view(case_file, taken, lang)
        assert all(str(line) for line in shown.lines)


VALID_NOTEBOOK = json.dumps(
    json.loads(notebook_path().read_bytes()) | {"metadata": {"dossier": {"case_id": CASE}}}
).encode()


@SETTINGS
@given(data=documents(VALID_NOTEBOOK))
def test_a_case_notebook_is_taken_or_refused_by_name(tmp_path, data):
    path = tmp_path / f"{SLUG}.ipynb"
    path.write_bytes(data)
    try:
        taken = read_case_notebook(path, CASE)
    except DossierError as exc:
        assert str(path) in str(exc)
        return
    as_rendered(taken)
    analyst_cells(path, taken)
    notebook_hash(path, taken)


def test_a_notebook_nested_too_deeply_for_its_own_message_is_refused_by_name(tmp_path):
    """nbformat's message on such a notebook prints it, and that recursion is no traceback."""
    path = tmp_path / f"{SLUG}.ipynb"
    deep = b'{"a": ' * 900 + b"1" + b"}" * 900
    path.write_bytes(b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + deep + b"]}")
    with pytest.raises(DossierError, match="nested too deeply"):
        read_case_notebook(path, CASE)


@pytest.mark.parametrize("minor", [None, "5", 5.0])
def test_a_notebook_whose_version_is_not_a_whole_number_is_refused_by_name(tmp_path, minor):
    path = tmp_path / f"{SLUG}.ipynb"
    path.write_bytes(json.dumps(json.loads(VALID_NOTEBOOK) | {"nbformat_minor": minor}).encode())
    with pytest.raises(DossierError, match="nbformat 4"):
        read_case_notebook(path, CASE)


VALID_MANIFEST = json.dumps({"case_id": CASE, "slug": SLUG, "key": "k", "formats": ["html"],
                             "files": {f"{SLUG}.html": {"size": 1, "sha256": "0" * 64}},
                             "notebook": {"analyst_cells": 1}}).encode()  # fmt: skip
VALID_REPORT = json.dumps({"batch_key": "k", "counts": {"failed": 0}, "meeting_pack": None,
                           "dossiers": [{"case_id": CASE, "slug": SLUG, "title": "T", "key": "k",
                                         "sentence": [], "news": []}]}).encode()  # fmt: skip


@SETTINGS
@given(manifest=documents(VALID_MANIFEST), report=documents(VALID_REPORT))
def test_an_output_folders_records_are_taken_or_passed_over(tmp_path, manifest, report):
    """A damaged record counts as none: its dossier or batch is made again, nothing raised."""
    out = tmp_path / "out"
    (out / SLUG).mkdir(parents=True, exist_ok=True)
    (out / SLUG / "manifest.json").write_bytes(manifest)
    (out / SLUG / f"{SLUG}.html").write_bytes(b"x")
    (out / "batch-report.json").write_bytes(report)
    record = read_record(out / SLUG / "manifest.json")
    assert record is None or isinstance(record, dict)
    current_files(out / SLUG, CASE, "k")
    unchanged_batch(out, "k", "sv")


VALID_SOURCES = json.dumps([{"file": "cases.csv", "sha256": "0" * 64, "rows": 2, "encoding": "utf-8"}]).encode()
VALID_NOTES = json.dumps([{"case_id": CASE, "code": "closed_without_date", "fields": [["date", "2020", True]],
                           "file": "cases.csv", "row": 2}]).encode()  # fmt: skip


@SETTINGS
@given(sources=documents(VALID_SOURCES), notes=documents(VALID_NOTES))
def test_a_case_extracts_own_records_are_taken_or_refused_by_name(tmp_path, sources, notes):
    for name, data, read in (("sources.json", sources, described_sources), ("notes.json", notes, read_notes)):
        path = tmp_path / name
        path.write_bytes(data)
        try:
            read(path)
        except DossierError as exc:
            assert name in str(exc)


@pytest.fixture(scope="module")
def dossier_pdf(tmp_path_factory) -> bytes:
    """A small tagged PDF as a dossier's is, its page numbered in the bottom margin."""
    from conftest import small_dossier

    from dossier.run.export import write_pdf

    path = tmp_path_factory.mktemp("pdf") / f"{SLUG}.pdf"
    write_pdf(small_dossier(CASE, "Första", 1), path)
    return path.read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_dossier_pdf_the_pack_binds_is_taken_or_refused_by_name(tmp_path, dossier_pdf, data):
    pdf = data.draw(st.binary(max_size=300) | st.just(dossier_pdf).map(lambda valid: overwritten(data.draw, valid)))
    path = tmp_path / f"{SLUG}.pdf"
    path.write_bytes(pdf)
    for read in (page_count, unnumbered):
        try:
            read(path)
        except DossierError as exc:
            assert str(path) in str(exc)


def test_the_tools_own_files_are_taken(tmp_path, dossier_pdf):
    """What the properties start from is what the tool writes: each is read without fault."""
    for name, data in (("case-extract.json", VALID_EXTRACT),):
        (tmp_path / SLUG).mkdir()
        (tmp_path / SLUG / name).write_bytes(data)
    assert earlier_dossier(tmp_path, CASE, "--compare-with old").data == VALID_EXTRACT
    (tmp_path / f"{SLUG}.ipynb").write_bytes(VALID_NOTEBOOK)
    assert read_case_notebook(tmp_path / f"{SLUG}.ipynb", CASE) == VALID_NOTEBOOK
    (tmp_path / "notes.json").write_bytes(VALID_NOTES)
    assert read_notes(tmp_path / "notes.json")[CASE]
    (tmp_path / f"{SLUG}.pdf").write_bytes(dossier_pdf)
    assert page_count(tmp_path / f"{SLUG}.pdf") == 1
