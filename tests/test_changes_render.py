"""What changed, end to end: real renders (kernel, WeasyPrint), pdftotext, a real SMTP server.

- render, edit the data (add an event, retitle one, remove one), render again with
  --compare-with: the section lists exactly the three, in the HTML, the PDF and the mail
  body; a third render against the same baseline is byte-identical HTML;
- a meeting batch on data with two meetings of one forum: the section lists exactly the
  events between them, the pack's cover and index list them too;
- a bad --compare-with stops render, batch and mail at once (exit 2), naming the argument.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import AS_OF, PASSWORD, SAMPLE_DATA, joined, section
from conftest import MAIL_FROM as SENDER
from conftest import MAIL_TO as TO
from conftest import SAMPLE_CASE as CASE
from conftest import SAMPLE_SLUG as SLUG
from conftest import edit_events_csv as edit_events
from mails import parse, text_part

from dossier.cli import main

HOSTILE = 'Dialoger <b>med</b> samverkansrådet & "kommunerna"'


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True)  # fmt: skip
    return joined(done.stdout.decode("utf-8"))


EXPECTED_CHANGES = [
    "Ny händelse: 15 maj 2023, diskussion, Regionala utvecklingsnämnden: Ny diskussion i nämnden",
    "Ändrad händelse: maj 2020 – maj 2022, diskussion, Samverkansrådet: "
    f"{HOSTILE}. Rubrik: ”Kontinuerliga dialoger med samverkansrådet” → ”{HOSTILE}”",
    "Borttagen händelse: maj 2020, diskussion, Samverkansrådet: "
    "Första diskussion i regionens samverkansråd",
]


@pytest.mark.kernel
def test_three_edits_are_listed_in_the_dossier_its_pdf_and_the_mail(
    tmp_path, capsys, monkeypatch, smtp_server
):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, data)
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    common = ["--data", data, "--as-of", AS_OF]
    code, _, err = run(capsys, "render", CASE, *common, "--out", first)
    assert code == 0, err
    baseline = json.loads((first / SLUG / "manifest.json").read_text(encoding="utf-8"))
    assert section((first / SLUG / f"{SLUG}.html").read_text(encoding="utf-8"), "changes").items == []

    edit_events(data, remove={"168-02"}, retitle=("168-03", HOSTILE),
                add=[{"event_id": "168-99", "case_id": CASE, "date": "2023-05-15",
                      "kind": "discussed", "forum_id": "RUN", "title": "Ny diskussion i nämnden"}])  # fmt: skip
    code, _, err = run(capsys, "render", CASE, *common, "--out", second, "--compare-with", first)
    assert code == 0, err
    html = (second / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    changes = section(html, "changes")
    assert changes.heading == "Ändringar i underlaget sedan sammanställningen per den 1 juni 2023"
    assert changes.items == EXPECTED_CHANGES
    assert "&lt;b&gt;med&lt;/b&gt;" in html and "<b>med</b>" not in html  # source text is escaped
    # The summary: all three are corrections of what the records said of the earlier day.
    assert "Sedan sammanställningen per den 1 juni 2023: inga nya händelser, 3 rättelser." in html
    text = pdf_text(second / SLUG / f"{SLUG}.pdf")
    assert all(joined(line) in text for line in EXPECTED_CHANGES)
    manifest = json.loads((second / SLUG / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["compare_with"] == {"folder": str(first), "key": baseline["key"],
                                        "as_of": AS_OF}  # fmt: skip

    code, _, err = run(capsys, "render", CASE, *common, "--out", third, "--compare-with", first)
    assert code == 0, err
    assert (third / SLUG / f"{SLUG}.html").read_bytes() == html.encode("utf-8")

    monkeypatch.setenv("DOSSIER_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from dossier.data import earlier

    compared, compare = [], earlier.comparison
    monkeypatch.setattr(earlier, "comparison", lambda *sides: compared.append(sides) or compare(*sides))
    server = smtp_server()
    code, _, err = run(
        capsys, "mail", CASE, "--to", TO, "--from", SENDER, *common, "--out", third,
        "--compare-with", first, "--send", "--smtp-host", "127.0.0.1", "--smtp-port",
        str(server.port), "--tls", "starttls", "--smtp-user", "analytiker", "--ca-file",
        str(server.ca_file),
    )  # fmt: skip
    assert code == 0, err
    [envelope] = server.received
    body = text_part(parse(envelope.content)).replace("\r\n", "\n")
    listed = [line[2:] for line in re.sub(r"\n(?![-\n]|$)", " ", body).splitlines()
              if line.startswith("- ")]  # fmt: skip
    assert [line for line in listed if re.match(r"(Ny|Ändrad|Borttagen) händelse", line)] == (
        EXPECTED_CHANGES
    )
    # The mail's batch found the third render current: same data, same baseline, same key.
    assert (third / SLUG / f"{SLUG}.html").read_bytes() == html.encode("utf-8")
    # One comparison, where the earlier extract was read: the mail says the batch's own result.
    assert len(compared) == 1


MEETINGS = (
    "meeting_id,forum_id,date,title,location,state\n"
    "RUN-2023-03,RUN,2023-03-14 09:00,Regionala utvecklingsnämndens sammanträde,,held\n"
    "RUN-2023-02-X,RUN,2023-02-20,Inställt,,cancelled\n"
    "LP-2023-05,LP,2023-05-30,Länspartnerskapet,,held\n"
    "RUN-2023-06,RUN,2023-06-13 09:00,Regionala utvecklingsnämndens sammanträde,,planned\n"
)


@pytest.mark.kernel
def test_a_meeting_batch_lists_the_events_since_the_forums_previous_meeting(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, data)
    (data / "meetings.csv").write_text(MEETINGS, encoding="utf-8")
    agenda = (data / "agenda.csv").read_text(encoding="utf-8").replace("EXEMPEL-RUN-2023-06", "RUN-2023-06")
    (data / "agenda.csv").write_text(agenda, encoding="utf-8")
    event = {"case_id": CASE, "kind": "discussed", "forum_id": "RUN"}
    edit_events(data, add=[
        event | {"event_id": "m-on", "date": "2023-03-14", "title": "På förra sammanträdet"},
        event | {"event_id": "m-after", "date": "2023-03-15", "title": "Dagen efter"},
        event | {"event_id": "m-month", "date": "2023-03", "title": "Någon gång i mars"},
        event | {"event_id": "m-day", "date": "2023-06-13", "title": "På dossierns dag"},
        event | {"event_id": "m-late", "date": "2023-06-14", "title": "Efter dossierns dag"},
    ])  # fmt: skip
    out = tmp_path / "out"
    code, _, err = run(capsys, "batch", "--meeting", "RUN-2023-06", "--data", data, "--out", out,
                       "--as-of", "2023-06-13", "--workers", "1")  # fmt: skip
    assert code == 0, err
    html = (out / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    news = section(html, "news")
    assert news.heading == "Nytt sedan förra sammanträdet (14 mars 2023)"
    new = [
        "15 mars 2023, diskussion, Regionala utvecklingsnämnden: Dagen efter",
        "13 juni 2023, diskussion, Regionala utvecklingsnämnden: På dossierns dag",
    ]
    lists = re.findall(r'<ul class="(news-list|possibly-new-list)">(.*?)</ul>', html, re.S)
    assert [x for x in news.items if x in new] == new
    assert dict(lists)["news-list"].count("<li>") == 2
    possible = section(dict(lists)["possibly-new-list"].join(['<ul id="p">', "</ul>"]), "p").items
    assert "mars 2023, diskussion, Regionala utvecklingsnämnden: Någon gång i mars" in possible
    assert all(e not in html for e in ("Efter dossierns dag",))  # after the day: never shown
    assert "2 nya händelser sedan förra sammanträdet (14 mars 2023)." in html
    # The other case on the agenda: its only 2023 event is dated to the month, after the meeting.
    other = (out / "RUN-136-2022" / "RUN-136-2022.html").read_text(encoding="utf-8")
    assert section(other, "news").heading == "Nytt sedan förra sammanträdet (14 mars 2023)"

    pack = out / "meeting-RUN-2023-06"
    index = (pack / "index.html").read_text(encoding="utf-8")
    cover = pdf_text(next(pack.glob("*.pdf")))
    for line in new:
        assert line in index
        assert joined(line) in cover


def test_a_bad_compare_with_stops_every_command_naming_the_argument(tmp_path, capsys):
    not_output = tmp_path / "plain"
    not_output.mkdir()
    (not_output / "notes.txt").write_text("x", encoding="utf-8")
    old = tmp_path / "old" / SLUG
    old.mkdir(parents=True)
    (old / "manifest.json").write_text("{}", encoding="utf-8")
    cases = [
        (tmp_path / "missing", "does not exist"),
        (not_output / "notes.txt", "is a file, not a folder"),
        (not_output, "holds no dossier"),
        (tmp_path / "old", "keep no case-extract.json"),
    ]
    out = tmp_path / "out"
    for folder, said in cases:
        for command in (["render", CASE], ["batch", CASE],
                        ["mail", CASE, "--to", TO, "--from", SENDER]):  # fmt: skip
            code, _, err = run(capsys, *command, "--out", out, "--compare-with", folder)
            assert code == 2, (command, err)
            assert f"--compare-with {folder}" in err and said in err, err
            assert "Traceback" not in err
    assert not out.exists() or not any(out.glob(f"*/{SLUG}.html"))
    # The folder being written is no earlier one: its dossiers would be compared with themselves.
    (old / "case-extract.json").write_text("{}", encoding="utf-8")
    for command in (["render", CASE], ["batch", CASE], ["mail", CASE, "--to", TO, "--from", SENDER]):
        code, _, err = run(capsys, *command, "--out", tmp_path / "old", "--compare-with",
                           tmp_path / "old" / ".." / "old")  # fmt: skip
        assert code == 2 and "is the --out folder" in err, (command, err)
