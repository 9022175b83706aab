"""``dossier import fgs``: FGS Ärendehantering 1.0 (with and without its namespace) and 2.0 (CITS
ERMS 2.x) deliveries read into a data folder; an entity bomb and foreign XML refused."""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_on_a_terminal

from dossier.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "fgs"


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def described(folder: Path) -> dict:
    return json.loads((folder / "import.json").read_text(encoding="utf-8"))


def imported(source: Path, out: Path, *more: str) -> Path:
    assert main(["import", "fgs", str(source), "--out", str(out), *more]) == 0
    return out


def test_an_fgs_1_0_case_with_its_handlingar_relations_and_appendices(tmp_path, capsys):
    out = imported(FIXTURES / "fgs1_namespaced.xml", tmp_path / "data")
    cases = {row["case_id"]: row for row in rows(out, "cases")}
    case = cases["RUN/168/2020"]
    assert case["title"] == "Länsgemensam påverkansagenda"
    assert (case["opened"], case["status"], case["closed"]) == ("2020-05-12", "closed", "2022-12-14")
    assert case["responsible"] == "Anna Åberg, Avdelningen för regional utveckling"
    assert case["owner_forum_id"] == "Avdelningen för regional utveckling"
    # Beskrivning and the organisation's own elements are kept as the case's notes.
    assert case["summary"].splitlines()[-1] == "Diarieplan: Regional utveckling"
    assert cases["RUN/136/2022"]["status"] == "open"
    events = [(e["date"], e["kind"], e["title"]) for e in rows(out, "events") if e["case_id"] == "RUN/168/2020"]
    assert events == [
        ("2020-05-12", "registered", "Skrivelse om gemensam påverkansagenda"),  # inkommen
        ("2021-01-20", "proposal", "Tjänsteskrivelse Länsgemensam påverkansagenda"),  # upprättad
        ("2021-02-18", "decided", "Länsgemensam påverkansagenda"),  # the case's Beslutat
        ("2021-02-22", "communicated", "Protokollsutdrag RUN 2021-02-18 § 12"),  # expedierad
        ("2022-12-14", "closed", "Länsgemensam påverkansagenda"),
    ]
    extract = next(e for e in rows(out, "events") if e["title"].startswith("Protokollsutdrag"))
    assert extract["document"] == "Protokollsutdrag" and "Paragraf: § 12" in extract["description"]
    assert {(r["case_id"], r["related_case_id"], r["relation"]) for r in rows(out, "relations")} == {
        ("RUN/168/2020", "RUN/136/2022", "related"), ("RUN/136/2022", "RUN/168/2020", "continues")}
    assert {"what": "relation", "source": "RUN/168/2020 → RUN/999/2019",
            "reason": "the related case is not in the delivery"} in described(out)["left_out"]  # fmt: skip
    assert [(d["title"], d["doc_type"], d["link"]) for d in rows(out, "documents")][1:] == [
        ("Tjänsteskrivelse 2021-01-20", "report", "Content/RUN-168-2020/tjansteskrivelse.pdf"),
        ("protokollsutdrag.pdf", "minutes_extract", "Content/RUN-168-2020/protokollsutdrag.pdf")]
    report = described(out)
    assert report["files"][0]["namespace"] == "http://xml.ra.se/e-arkiv/FGS-ERMS"
    assert report["data_lang"]["lang"] == "sv"
    capsys.readouterr()
    assert main(["check", "--data", str(out)]) == 0


def test_an_fgs_1_0_file_without_a_namespace_reads_the_same_way(tmp_path):
    out = imported(FIXTURES / "fgs1_no_namespace.xml", tmp_path / "data")
    assert [(c["case_id"], c["opened"], c["status"]) for c in rows(out, "cases")] == [
        ("KS 2021/0345", "2021-09-06", "open")]
    # The struck-out (makulerad) handling is no event; the remiss that opened the case is.
    assert [(e["kind"], e["title"]) for e in rows(out, "events")] == [
        ("registered", "Remiss: regional transportplan 2022–2033"), ("consultation", "Remiss från Trafikverket")]
    assert described(out)["files"][0]["namespace"] == ""
    assert {"what": "document", "source": "fgs1_no_namespace.xml: KS 2021/0999-1",
            "reason": "it belongs to no case"} in described(out)["left_out"]  # fmt: skip


def test_an_erms_2_case_file_with_records_an_action_and_own_elements(tmp_path):
    out = imported(FIXTURES / "erms2_case.xml", tmp_path / "data")
    (case,) = rows(out, "cases")
    assert (case["case_id"], case["opened"], case["status"], case["closed"]) == (
        "RS 2023-0112", "2023-03-02", "closed", "2023-06-20")
    assert case["summary"].splitlines() == ["Regionens yttrande till Trafikverket.",
                                            "Fastighetsbeteckning: Östersund Vinkeln 3", "initiative: externt"]  # fmt: skip
    events = [(e["date"], e["kind"], e["forum_id"], e["title"]) for e in rows(out, "events")]
    assert events == [
        ("2023-03-01", "consultation", "", "Remiss: regional cykelstrategi"),  # incoming, received
        ("2023-03-02", "registered", "", "Yttrande över regional cykelstrategi"),
        ("2023-05-30", "proposal", "Regional utveckling", "Förslag till yttrande"),  # internal
        ("2023-06-13", "decided", "Regionstyrelsen", "Regionstyrelsen antar yttrandet som sitt eget."),
        ("2023-06-16", "communicated", "", "Yttrande till Trafikverket"),  # outgoing, expedited
        ("2023-06-20", "closed", "", "Yttrande över regional cykelstrategi"),
    ]
    assert [d["link"] for d in rows(out, "documents")] == ["Content/RS-2023-0112/missiv.pdf",
                                                           "Content/RS-2023-0112/remiss.pdf"]  # fmt: skip
    assert described(out)["data_lang"] == {"lang": "sv", "from": "xml:lang of the delivery's root element"}
    assert (out / "dossier.toml").read_text(encoding="utf-8").endswith('[data]\nlang = "sv"\n')


def test_a_folder_of_both_versions_is_one_data_folder(tmp_path, capsys):
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    for name in ("fgs1_namespaced.xml", "fgs1_no_namespace.xml", "erms2_case.xml"):
        (delivery / name).write_bytes((FIXTURES / name).read_bytes())
    out = imported(delivery, tmp_path / "data", "--data-lang", "sv-SE")
    assert len(rows(out, "cases")) == 4
    assert [f["standard"] for f in described(out)["files"]] == [
        "FGS Ärendehantering 2.0 (CITS ERMS 2.x)", "FGS Ärendehantering 1.0", "FGS Ärendehantering 1.0"]
    assert described(out)["data_lang"] == {"lang": "sv-SE", "from": "--data-lang"}
    capsys.readouterr()
    assert main(["check", "--data", str(out)]) == 0


def test_an_entity_bomb_is_refused_before_it_expands(tmp_path, capsys):
    # In a child process with 512 MB of address space: expanded, the bomb needs gigabytes.
    limit = 512 * 1024 * 1024
    run = subprocess.run(
        [sys.executable, "-c", "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, "
         f"({limit}, {limit})); from dossier.cli import main; sys.exit(main(sys.argv[1:]))",
         "import", "fgs", str(FIXTURES / "entity_bomb.xml"), "--out", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "entity_bomb.xml: the XML declares entities" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "data").exists() and list(tmp_path.iterdir()) == []
    assert resource.getrlimit(resource.RLIMIT_AS)  # the limit was the child's own


@pytest.mark.parametrize("content, says", [
    ("<?xml version='1.0'?><EARD/>", "the root element is <EARD>, neither FGS Ärendehantering 1.0"),
    ("<Leveransobjekt><ArkivobjektListaArenden>", "line 1: not well-formed XML"),
])  # fmt: skip
def test_xml_that_is_not_fgs_is_refused_naming_the_file(tmp_path, capsys, content, says):
    source = tmp_path / "export.xml"
    source.write_text(content, encoding="utf-8")
    assert main(["import", "fgs", str(source), "--out", str(tmp_path / "data")]) == 2
    assert f"{source}" in (error := capsys.readouterr().err) and says in error
    assert not (tmp_path / "data").exists()


def test_a_delivery_streams_through_in_the_memory_of_one_case(tmp_path):
    """A delivery of 40 MB is read in far less memory than its size (peak resident size)."""
    source = tmp_path / "big.xml"
    case = (FIXTURES / "fgs1_namespaced.xml").read_text(encoding="utf-8")
    body = case[case.index("<ArkivobjektArende "):case.index("</ArkivobjektListaArenden>")]
    with open(source, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<Leveransobjekt xmlns="http://xml.ra.se/e-arkiv/FGS-ERMS">'
                     "<ArkivobjektListaArenden>")  # fmt: skip
        for number in range(8000):
            handle.write(body.replace("RUN/168/2020", f"RUN/{number}/2020").replace("RUN/136/2022", f"RUN/{number}/2022")
                         .replace('Systemidentifierare="UUID:', f'Systemidentifierare="UUID:{number}-'))  # fmt: skip
        handle.write("</ArkivobjektListaArenden></Leveransobjekt>")
    size = source.stat().st_size
    assert size > 40_000_000
    measure = ("import resource, sys; from pathlib import Path; from dossier.ingest.fgs import import_fgs; "
               f"import_fgs(Path({str(source)!r}), Path({str(tmp_path / 'data')!r})); "
               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)")  # fmt: skip
    baseline = ("import resource; import dossier.ingest.fgs; "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)")
    peak = int(subprocess.run([sys.executable, "-c", measure], capture_output=True, text=True, check=True).stdout)
    base = int(subprocess.run([sys.executable, "-c", baseline], capture_output=True, text=True, check=True).stdout)
    assert len(rows(tmp_path / "data", "cases")) == 16_000
    assert peak - base < size / 4, f"read {size / 1e6:.0f} MB in {(peak - base) / 1e6:.0f} MB more than at rest"


@pytest.mark.kernel
def test_a_dossier_renders_from_an_imported_fgs_delivery(tmp_path):
    out = imported(FIXTURES / "fgs1_namespaced.xml", tmp_path / "data", "--quiet")
    assert main(["render", "RUN/168/2020", "--data", str(out), "--out", str(tmp_path / "dossiers"),
                 "--format", "html", "--as-of", "2023-06-01", "--quiet"]) == 0  # fmt: skip
    page = (tmp_path / "dossiers" / "RUN-168-2020" / "RUN-168-2020.html").read_text(encoding="utf-8")
    for seen in ("Länsgemensam påverkansagenda", "Protokollsutdrag RUN 2021-02-18 § 12",
                 "Anna Åberg, Avdelningen för regional utveckling", "RUN/136/2022"):
        assert seen in page


def test_on_a_terminal_a_bar_shows_the_bytes_read(tmp_path):
    source = FIXTURES / "fgs1_namespaced.xml"
    status, screen = run_on_a_terminal(["import", "fgs", str(source), "--out", str(tmp_path / "data")])
    assert status == 0
    assert "FGS: 100%" in screen and "read 1 file(s): 2 cases" in screen
    status, screen = run_on_a_terminal(["import", "fgs", str(source), "--out", str(tmp_path / "data"), "--quiet"])
    assert status == 0 and screen == ""
