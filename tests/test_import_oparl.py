"""``dossier import oparl``: a local OParl server's body read into a data folder, in full and then
only what changed; a busy, refusing or foreign server; an import stopped half way."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import run_on_a_terminal
from hypothesis import given, settings
from hypothesis import strategies as st
from oparl_server import OParlData, OParlServer, city

from dossier.cli import main
from dossier.ingest.oparl import import_oparl
from dossier.ingest.oparl_client import ClientSettings
from dossier.ingest.oparl_map import RESULT_KINDS
from dossier.ingest.rows import first_match

FAST = ClientSettings(backoff=0.01, retries=3, timeout=10)
TODAY = dt.date(2026, 12, 1)


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def described(folder: Path) -> dict:
    return json.loads((folder / "import.json").read_text(encoding="utf-8"))


def snapshot_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def server():
    data = OParlData(page_size=5)
    served = OParlServer(data)
    city(data, papers=24, meetings=10, items=6)
    with served as url:
        yield data, url


def test_a_body_is_read_page_after_page_into_a_checked_data_folder(server, tmp_path, capsys):
    data, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    papers = sorted(data.objects["paper"].values(), key=lambda p: p["id"])
    # Every page of every list was asked for, by links.next.
    assert sum("/body/1/paper?page=" in r for r in data.requests) == -(-len(papers) // 5) - 1
    cases = {row["case_id"]: row for row in rows(out, "cases")}
    first = papers[0]
    assert cases[first["reference"]]["title"] == first["name"]
    assert cases[first["reference"]]["opened"] == first["date"]
    assert cases[first["reference"]]["responsible"] == "Dezernat III – Planen und Bauen"
    events = [e for e in rows(out, "events") if e["case_id"] == first["reference"]]
    consultation = first["consultation"][0]
    meeting = data.objects["meeting"][consultation["meeting"]]
    item = next(i for i in meeting["agendaItem"] if i["id"] == consultation["agendaItem"])
    event = next(e for e in events if e["event_id"] == consultation["id"])
    assert event["date"] == meeting["start"][:10]
    assert event["decision_ref"] == item["number"]
    assert event["kind"] == first_match(item["result"], RESULT_KINDS, "other")
    forum = data.objects["organization"][meeting["organization"][0]]["shortName"]
    assert {"meeting_id": f"{forum} {meeting['start'][:10]}", "item": item["number"],
            "case_id": first["reference"], "title": item["name"], "proposal": "",
            "published": ""} in rows(out, "agenda")
    assert any(r["link"] == first["mainFile"]["accessUrl"] for r in rows(out, "documents"))
    states = {r["meeting_id"]: r["state"] for r in rows(out, "meetings")}
    assert states[f"{forum} {meeting['start'][:10]}"] == ("cancelled" if meeting["cancelled"] else "held")
    assert (out / "dossier.toml").read_text(encoding="utf-8").endswith('[data]\nlang = "de"\n')
    report = described(out)
    assert report["standard"] == "OParl" and report["version"] == "1.1" and report["read"] == "full"
    assert report["counts"]["cases"] == len(papers)
    capsys.readouterr()
    assert main(["check", "--data", str(out)]) == 0
    assert f"Data folder OK: {out}" in capsys.readouterr().out


@pytest.mark.parametrize("result, kind", [
    ("ungeändert beschlossen", "decided"), ("abgelehnt", "decided"), ("vertagt", "tabled"),
    ("zurückverwiesen an den Ausschuss", "referred_back"), ("zur Kenntnis genommen", "presented"),
    ("einstimmig empfohlen", "proposal"), ("zurückgezogen", "withdrawn"), ("Sonstiges", "other"),
])  # fmt: skip
def test_an_agenda_items_result_gives_the_events_kind(result, kind):
    assert first_match(result, RESULT_KINDS, "other") == kind


@pytest.mark.parametrize("status", [503, 429])
def test_a_busy_server_is_asked_again(server, tmp_path, status):
    data, url = server
    busy = "/oparl/body/1/paper?page=2"
    data.fail_once.add(busy)
    data.fail_status = status
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    assert data.requests.count(busy) == 2
    assert described(out)["retried"] == 1
    assert len(rows(out, "cases")) == len(data.objects["paper"])


def test_a_dropped_connection_is_asked_again(server, tmp_path):
    data, url = server
    dropped = "/oparl/body/1/meeting"
    data.drop_once.add(dropped)
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    assert data.requests.count(dropped) == 2
    assert described(out)["retried"] == 1
    assert len(rows(out, "meetings")) == len(data.objects["meeting"])


def test_no_more_requests_are_under_way_at_once_than_the_cap(server, tmp_path):
    data, url = server
    data.latency = 0.05  # each answer takes a while: the three lists' readers overlap
    import_oparl(url, tmp_path / "one", settings=ClientSettings(parallel=1), progress=False, today=TODAY)
    assert data.most_at_once == 1
    data.most_at_once = 0
    import_oparl(url, tmp_path / "three", settings=ClientSettings(parallel=3), progress=False, today=TODAY)
    assert data.most_at_once <= 3


def test_on_a_terminal_a_progress_bar_counts_what_was_read(server, tmp_path):
    _, url = server
    status, screen = run_on_a_terminal(["import", "oparl", url, "--out", str(tmp_path / "city")])
    assert status == 0
    papers, meetings = len(server[0].objects["paper"]), len(server[0].objects["meeting"])
    assert "OParl" in screen and f"paper {papers}" in screen and f"meeting {meetings}" in screen
    assert f"/{papers + meetings + 9}" in screen  # the total, from each list's totalElements


def test_the_second_import_takes_in_only_what_changed(server, tmp_path):
    data, url = server
    out = tmp_path / "city"
    import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
    before = {row["case_id"]: row for row in rows(out, "cases")}
    papers = sorted(data.objects["paper"].values(), key=lambda p: p["id"])
    changed, gone = papers[1], papers[2]
    data.put("paper", {**changed, "name": "Neuer Titel der Vorlage"})
    data.delete("paper", gone["id"])
    data.requests.clear()
    import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
    # Only the changes were asked for, and only they came.
    lists = [r for r in data.requests if "/body/1/" in r]
    assert lists and all("modified_since=" in r for r in lists)
    # The body is asked for at its own URL; the system and its list of bodies are not asked again.
    assert "/oparl/body/1" in data.requests and not {"/oparl/", "/oparl/bodies"} & set(data.requests)
    assert described(out)["read"].startswith("changes since ")
    after = {row["case_id"]: row for row in rows(out, "cases")}
    assert after[changed["reference"]]["title"] == "Neuer Titel der Vorlage"
    assert gone["reference"] not in after
    assert not any(e["case_id"] == gone["reference"] for e in rows(out, "events"))
    for case_id in set(after) - {changed["reference"]}:
        assert after[case_id] == before[case_id]


def test_an_oparl_1_0_server_is_read_in_full_every_time(tmp_path):
    data = OParlData(version="1.0", page_size=5)
    with OParlServer(data) as url:
        city(data, papers=8, meetings=4, items=4)
        out = tmp_path / "city"
        import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
        gone = sorted(data.objects["paper"])[0]
        reference = data.objects["paper"][gone]["reference"]
        del data.objects["paper"][gone]  # a 1.0 server may simply drop it
        data.requests.clear()
        import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
    assert not any("modified_since" in r for r in data.requests)
    assert described(out)["version"] == "1.0" and described(out)["read"] == "full"
    assert reference not in {row["case_id"] for row in rows(out, "cases")}


def test_what_real_data_repeats_or_lacks_is_merged_or_left_out_with_a_note(server, tmp_path):
    data, url = server
    papers = sorted(data.objects["paper"].values(), key=lambda p: p["id"])
    papers[0]["reference"] = ""
    papers[1]["consultation"].append(dict(papers[1]["consultation"][0]))
    papers[2]["date"] = None
    papers[4]["reference"] = papers[3]["reference"]
    consultation = papers[10]["consultation"][0]
    meeting = data.objects["meeting"][consultation["meeting"]]
    numbered = next(i for i in meeting["agendaItem"] if i["id"] == consultation["agendaItem"])
    numbered["number"] = ""
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    report = described(out)
    left_out = {(e["source"], e["reason"]) for e in report["left_out"]}
    assert (papers[0]["id"], "it has no reference (the case ID)") in left_out
    assert (papers[2]["id"], "it has no date") in left_out
    assert any(s == papers[4]["id"] and "is that of" in r for s, r in left_out)
    merged = {(e["source"], e["reason"]) for e in report["merged"]}
    assert (papers[1]["consultation"][0]["id"], "listed twice in its paper; taken once") in merged
    assert any(s == numbered["id"] and "no number" in r for s, r in merged)
    assert sum(e["event_id"] == papers[1]["consultation"][0]["id"] for e in rows(out, "events")) == 1
    assert main(["check", "--data", str(out)]) in (0, 1)


def test_a_server_that_does_not_speak_oparl_is_named_and_nothing_is_written(server, tmp_path, capsys):
    _, url = server
    foreign = url + "not-oparl"
    assert main(["import", "oparl", foreign, "--out", str(tmp_path / "city"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert foreign in error and "not OParl" in error and "text/html" in error
    assert not (tmp_path / "city").exists()
    assert main(["import", "oparl", url + "nowhere", "--out", str(tmp_path / "city")]) == 2
    assert "refused (HTTP 404" in capsys.readouterr().err


def test_a_failed_import_leaves_the_previous_folder_as_it_was(server, tmp_path, capsys):
    data, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    before = snapshot_of(out)
    data.put("paper", {**next(iter(data.objects["paper"].values())), "name": "Geändert"})
    always_busy = OParlData(page_size=5)
    with OParlServer(always_busy) as busy_url:
        always_busy.fail_once.update({"/oparl/"})
        assert main(["import", "oparl", busy_url, "--out", str(out), "--retries", "0", "--quiet"]) == 2
    assert "no answer after 1 tries (last: HTTP 503" in capsys.readouterr().err
    assert snapshot_of(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["city"]


def test_an_interrupted_import_leaves_the_previous_folder_as_it_was(server, tmp_path):
    data, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    before = snapshot_of(out)
    data.put("paper", {**next(iter(data.objects["paper"].values())), "name": "Geändert"})
    data.hold = "/oparl/body/1/paper"
    run = subprocess.Popen([sys.executable, "-m", "dossier.cli", "import", "oparl", url, "--out", str(out),
                            "--quiet"], stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        while not data.waiting.wait(0.5):  # the import is asking for the papers: stop it there
            assert run.poll() is None, run.stderr.read()
        run.send_signal(signal.SIGTERM)
        assert run.wait(60) == 128 + signal.SIGTERM
    finally:
        data.release.set()
        if run.poll() is None:
            run.kill()
    assert "dossier: terminated" in run.stderr.read()
    assert snapshot_of(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["city"]


def test_a_folder_that_fails_while_written_leaves_the_previous_one(server, tmp_path, monkeypatch, capsys):
    from dossier.ingest import folder

    _, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    before = snapshot_of(out)
    finish = folder._finish

    def disk_full_at_the_end(staging, *args):
        finish(staging, *args)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(folder, "_finish", disk_full_at_the_end)
    assert main(["import", "oparl", url, "--out", str(out), "--quiet"]) == 2
    assert f"{out}: cannot write the data folder (No space left on device)" in capsys.readouterr().err
    assert snapshot_of(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["city"]


def test_an_out_folder_that_an_import_did_not_write_is_refused(server, tmp_path, capsys):
    _, url = server
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["import", "oparl", url, "--out", str(tmp_path / "mine"), "--quiet"]) == 2
    assert "holds files that `dossier import` did not write" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


@pytest.mark.kernel
def test_an_imported_city_renders_and_the_next_batch_renders_only_what_changed(server, tmp_path):
    data, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    chosen = [row["case_id"] for row in rows(out, "cases")][:3]
    batch = ["batch", *chosen, "--data", str(out), "--out", str(tmp_path / "dossiers"),
             "--format", "html", "--workers", "1", "--as-of", TODAY.isoformat()]  # fmt: skip

    def statuses() -> dict[str, str]:
        report = json.loads((tmp_path / "dossiers" / "batch-report.json").read_text(encoding="utf-8"))
        return {d["case_id"]: d["status"] for d in report["dossiers"]}

    assert main(batch) == 0
    assert set(statuses().values()) == {"done"}
    page = next((tmp_path / "dossiers").glob("*/*.html")).read_text(encoding="utf-8")
    assert "Dezernat III – Planen und Bauen" in page
    paper = next(p for p in data.objects["paper"].values() if p["reference"] == chosen[1])
    data.put("paper", {**paper, "name": "Sanierung der Grundschule Nord, zweiter Bauabschnitt"})
    import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
    assert main(batch) == 0
    assert statuses() == {chosen[0]: "skipped", chosen[1]: "done", chosen[2]: "skipped"}
    changed = (tmp_path / "dossiers" / chosen[1].replace("/", "-") / f"{chosen[1].replace('/', '-')}.html")
    assert "zweiter Bauabschnitt" in changed.read_text(encoding="utf-8")


def test_a_language_the_server_gives_is_taken_only_when_it_is_a_language_tag(tmp_path):
    from dossier.ingest.oparl import _language

    assert _language(None, "de-DE") == ("de-DE", "the server's Content-Language")
    assert _language(None, 'de"\n[mail]\nhost = "evil"')[0] == "de"
    assert _language("sv", "de") == ("sv", "--data-lang")
    assert main(["import", "oparl", "http://127.0.0.1:9/", "--out", str(tmp_path / "x"),
                 "--data-lang", "deutsch!"]) == 2  # fmt: skip


def test_a_meetings_state_is_what_the_server_says_else_its_day_tells(server, tmp_path):
    data, url = server
    meetings = sorted((m for m in data.objects["meeting"].values() if not m["cancelled"]), key=lambda m: m["id"])
    meetings[0]["meetingState"] = "eingeladen"
    meetings[1]["meetingState"] = "durchgeführt"
    meetings[2]["cancelled"] = True
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    by_title = {r["title"]: r["state"] for r in rows(out, "meetings")}
    assert [by_title[m["name"]] for m in meetings[:4]] == [
        "planned", "held", "cancelled", "held" if meetings[3]["start"][:10] < TODAY.isoformat() else "planned"]


def test_a_system_of_several_bodies_asks_which_one(tmp_path):
    from dossier.errors import SourceError
    from dossier.ingest.oparl import _choose

    bodies = [{"id": "https://ris.example/oparl/body/1", "shortName": "Stadt", "name": "Stadt Musterstadt"},
              {"id": "https://ris.example/oparl/body/2", "shortName": "Kreis", "name": "Kreis Muster"}]  # fmt: skip
    assert _choose(bodies, "kreis", "URL") is bodies[1]
    assert _choose(bodies, "1", "URL") is bodies[0]
    assert _choose(bodies, "https://ris.example/oparl/body/2", "URL") is bodies[1]
    with pytest.raises(SourceError, match=r"URL: choose one with --body of its 2 bodies: Stadt \(https://ris"):
        _choose(bodies, None, "URL")
    with pytest.raises(SourceError, match="--body 'Land' names none of its 2 bodies"):
        _choose(bodies, "Land", "URL")


def test_changes_are_asked_for_by_the_servers_clock_not_this_machines(server, tmp_path):
    data, url = server
    data.clock = -3600.0  # the server's clock is an hour behind
    here = dt.datetime.now(dt.UTC)
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    started = dt.datetime.fromisoformat(described(out)["imported_at"])
    assert started < here - dt.timedelta(minutes=30)
    data.requests.clear()
    import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
    asked = next(r for r in data.requests if "modified_since=" in r)
    assert asked.endswith("modified_since=" + quote(started.isoformat(), safe=""))


def test_kept_state_that_cannot_be_read_means_a_full_read(server, tmp_path):
    from dossier.ingest.oparl import STATE_FILE, Snapshot

    data, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    assert Snapshot.from_bytes(b"not gzip") is None
    (out / ".import" / STATE_FILE).write_bytes(b"\x1f\x8b broken")
    data.requests.clear()
    import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
    assert described(out)["read"] == "full" and not any("modified_since" in r for r in data.requests)


def test_the_kept_state_grows_by_the_changes_and_is_written_anew_when_it_has_grown_twice(server, tmp_path):
    from dossier.ingest.oparl import STATE_FILE, Snapshot

    data, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    state = out / ".import" / STATE_FILE
    sizes, live = [state.stat().st_size], sum(len(v) for v in data.objects.values())
    paper = sorted(data.objects["paper"])[0]
    for round_ in range(2 * live // len(data.objects["paper"]) + 3):
        for url_ in sorted(data.objects["paper"]):
            data.put("paper", {**data.objects["paper"][url_], "name": f"Runde {round_}"})
        import_oparl(url, out, settings=FAST, progress=False, today=TODAY)
        sizes.append(state.stat().st_size)
        kept = Snapshot.from_bytes(state.read_bytes())
        assert kept is not None and kept.objects["paper"][paper]["name"] == f"Runde {round_}"
        assert kept.lines <= 2 * live + 100 + len(data.objects["paper"]) + 2
    assert sizes[1] > sizes[0] and min(sizes[2:]) < max(sizes)  # appended, then written anew


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)  # fmt: skip


SMALL_CITY = OParlData(base="http://x")
city(SMALL_CITY, papers=4, meetings=3, items=3)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_objects_of_any_shape_are_mapped_or_left_out_never_a_traceback(draw):
    """Whatever type a field has (a number for a string, an object for a URL), the mapping goes on."""
    import copy

    from dossier.ingest.oparl import KEEP, prune
    from dossier.ingest.oparl_map import to_rows

    data = OParlData(base="http://x", objects=copy.deepcopy(SMALL_CITY.objects))
    for kind in ("paper", "meeting", "organization"):
        for obj in data.objects[kind].values():
            for name in draw.draw(st.lists(st.sampled_from(KEEP[kind][2:]), max_size=3), label=kind):
                obj[name] = draw.draw(JSON, label=name)
    for obj in data.objects["meeting"].values():
        for item in obj.get("agendaItem") or [] if isinstance(obj.get("agendaItem"), list) else []:
            if isinstance(item, dict) and draw.draw(st.booleans(), label="spoil item"):
                item[draw.draw(st.sampled_from(("number", "name", "result", "consultation")))] = draw.draw(JSON)
    objects = {kind: {o["id"]: prune(o, KEEP[kind]) for o in found.values()} for kind, found in data.objects.items()}
    rows = to_rows(objects, TODAY)
    assert rows.counts()["cases"] <= 4


def test_what_a_killed_import_left_is_tidied_or_put_back_by_the_next(server, tmp_path):
    from dossier.ingest.folder import previous_state

    _, url = server
    out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    before = snapshot_of(out)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    dead = int(gone.stdout)
    # Killed between its two renames: the previous folder set aside, the new one not yet in place;
    # and killed while writing: its half-written sibling.
    out.rename(tmp_path / f".city.previous-{dead}")
    (tmp_path / f".city.import-{dead}-x1").mkdir()
    assert previous_state(out, "oparl.json.gz") is not None  # put back as it was
    assert snapshot_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_a_body_in_the_specifications_shape_becomes_these_rows(tmp_path):
    data = OParlData(page_size=2)
    with OParlServer(data) as url:
        fixture = (Path(__file__).parent / "fixtures" / "oparl" / "body.json").read_text(encoding="utf-8")
        for kind, objects in json.loads(fixture.replace("BASE", data.base)).items():
            if kind in data.objects:
                data.objects[kind] = {obj["id"]: obj for obj in objects}
        out = import_oparl(url, tmp_path / "city", settings=FAST, progress=False, today=TODAY)
    base = data.base + "/oparl"
    assert rows(out, "forums") == [
        {"forum_id": "StEA", "name": "Ausschuss für Stadtentwicklung", "kind": "committee", "organisation": "",
         "chair": "", "description": "Ausschuss"},
        {"forum_id": "Rat", "name": "Rat der Stadt", "kind": "council", "organisation": "", "chair": "",
         "description": "Rat"},
        {"forum_id": "61", "name": "Amt für Stadtplanung", "kind": "administration", "organisation": "",
         "chair": "", "description": "Amt"}]  # fmt: skip
    assert [(m["meeting_id"], m["date"], m["state"], m["location"], m["published"])
            for m in rows(out, "meetings")] == [
        ("Rat 2024-04-18", "2024-04-18 16:00", "held", "", ""),
        ("Rat 2024-05-16", "2024-05-16 16:00", "cancelled", "", ""),
        # The invitation's date: the day the agenda went out (a dossier names the items from it).
        ("StEA 2024-03-12", "2024-03-12 17:00", "held", "Rathaus, Raum 101", "2024-03-01")]  # fmt: skip
    assert rows(out, "cases") == [
        {"case_id": "0815/2024", "title": "Bebauungsplan Nr. 112 „Am Mühlenbach“", "opened": "2024-02-28",
         "status": "closed", "closed": "2024-04-18", "owner_forum_id": "Rat", "responsible": "Amt für Stadtplanung",
         "summary": ""},
        {"case_id": "0816/2024", "title": "Änderungsantrag zum Bebauungsplan Nr. 112", "opened": "2024-03-05",
         "status": "open", "closed": "", "owner_forum_id": "", "responsible": "", "summary": ""}]  # fmt: skip
    events = [(e["event_id"].removeprefix(base), e["date"], e["kind"], e["forum_id"], e["decision_ref"])
              for e in rows(out, "events")]  # fmt: skip
    assert events == [
        ("/paper/4711", "2024-02-28", "registered", "", ""),
        ("/consultation/5001", "2024-03-12", "proposal", "StEA", "Ö 2"),
        ("/consultation/5002", "2024-04-18", "decided", "Rat", "Ö 7"),
        ("/paper/4712", "2024-03-05", "registered", "", ""),
        ("/consultation/5101", "2024-03-12", "tabled", "StEA", ""),
    ]
    assert [(a["meeting_id"], a["item"], a["case_id"]) for a in rows(out, "agenda")] == [
        ("Rat 2024-04-18", "Ö 7", "0815/2024"), ("StEA 2024-03-12", "Ö 2", "0815/2024"),
        ("StEA 2024-03-12", "3", "0816/2024")]  # fmt: skip
    assert rows(out, "relations") == [{"case_id": "0816/2024", "related_case_id": "0815/2024", "relation": "depends_on"}]
    assert [(d["title"], d["doc_type"], d["link"].removeprefix(base)) for d in rows(out, "documents")] == [
        ("Beschlussvorlage 0815/2024", "proposal", "/file/7001/access"),
        ("Anlage 1: Planzeichnung", "attachment", "/file/7002/access")]  # fmt: skip
    report = described(out)
    assert {(e["source"].removeprefix(base), e["reason"]) for e in report["left_out"]} == {
        ("/paper/4713", "it has no reference (the case ID)"),
        (f"/paper/4711 → {base}/paper/4000", "the related paper is not among the imported cases")}
    assert {(e["source"].removeprefix(base), e["reason"]) for e in report["merged"]} == {
        ("/consultation/5001", "listed twice in its paper; taken once"),
        ("/agendaitem/281-3", "it has no number; its place on the agenda (3) is used")}
    assert main(["check", "--data", str(out)]) == 0
