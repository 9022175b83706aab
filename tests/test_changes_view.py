"""What a reader sees of the changes, without a kernel: the sections, the sentence, the timeline.

The earlier dossier is an output folder holding only the case extract a render keeps.
"""

from __future__ import annotations

import base64
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import AS_OF, SAMPLE_DATA, section
from conftest import SAMPLE_CASE as CASE
from conftest import SAMPLE_SLUG as SLUG
from conftest import edit_events_csv as edit_events

from dossier import sections as show
from dossier.content.context import open_case
from dossier.data.changes import EXTRACT_FILE, CaseExtract
from dossier.data.validate import load
from dossier.errors import ParameterError
from dossier.run.manifest import case_slice_csv


def keep_extract(data: Path, out: Path, as_of: str = AS_OF) -> Path:
    """An output folder with the case's extract as a render of ``data`` keeps it."""
    tables, _ = case_slice_csv(load(data), CASE)
    (out / SLUG).mkdir(parents=True)
    (out / SLUG / EXTRACT_FILE).write_bytes(CaseExtract(CASE, as_of, "f" * 64, tables).to_bytes())
    (out / SLUG / "manifest.json").write_text("{}", encoding="utf-8")
    return out


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, folder)
    return folder


def svg_of(html: str) -> str:
    return base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1)).decode("utf-8")


def test_no_since_and_no_comparison_show_no_section(data):
    assert show.changes(open_case(CASE, data_dir=data, as_of=AS_OF)) == ""


def test_the_same_records_say_no_changes(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier")
    for lang, said in (("sv", "Inga ändringar sedan sammanställningen per den 1 juni 2023."),
                       ("en", "No changes since the dossier as of 1 June 2023."),
                       ("de", "Keine Änderungen seit dem Dossier vom 1. Juni 2023.")):  # fmt: skip
        case = open_case(CASE, data_dir=data, as_of=AS_OF, lang=lang, compare_with=earlier)
        html = show.changes(case)
        assert 'id="changes"' in html and said in html
        assert section(html, "changes").items == []
        assert 'id="changed"' not in svg_of(show.figure(case))


def test_a_case_the_earlier_folder_lacks_is_new_in_the_comparison(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier")  # an output folder, with another dossier
    (earlier / SLUG).rename(earlier / "RUN-136-2022")
    case = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)
    assert "Ärendet är nytt i den här jämförelsen" in show.changes(case)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match=r"compare_with = .*empty' holds no dossier"):
        open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=tmp_path / "empty")
    assert "Nytt i jämförelsen med tidigare sammanställningar." in str(case.view.sentence)


def test_the_timeline_squares_the_added_and_the_changed_events(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier")
    edit_events(data, remove={"168-02"}, retitle=("168-03", "Ny rubrik"),
                add=[{"event_id": "168-99", "case_id": CASE, "date": "2023-05-15",
                      "kind": "discussed", "forum_id": "RUN", "title": "Ny diskussion"}])  # fmt: skip
    case = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)
    assert [c.kind for c in case.changes] == ["event_added", "event_changed", "event_removed"]
    svg = svg_of(show.figure(case))
    squares = re.search(r'<g id="changed">(.*?)</g>\s*</g>', svg, re.S).group(1)
    assert squares.count("<use ") == 2
    assert "Ny eller ändrad sedan sammanställningen per den 1 juni 2023" in svg


def test_a_date_known_to_the_month_is_possibly_new_and_not_counted(data):
    event = {"case_id": CASE, "kind": "other", "forum_id": "RUN"}
    edit_events(data, add=[event | {"event_id": "x1", "date": "2023-05", "title": "I maj"},
                           event | {"event_id": "x2", "date": "2023-05-20", "title": "Den 20 maj"},
                           event | {"event_id": "x3", "date": "2023-06-02", "title": "Efter dagen"}])  # fmt: skip
    case = open_case(CASE, data_dir=data, as_of=AS_OF, since="2023-05-10", lang="en")
    news = case.view.news
    assert news.heading == "New since 10 May 2023"
    assert [str(line) for line in news.lines] == ["20 May 2023, other, Regionala utvecklingsnämnden: Den 20 maj"]
    possible = [str(line) for line in news.possible]
    # The month, and the sample's events known only to the year 2023: either side of the day.
    assert "May 2023, other, Regionala utvecklingsnämnden: I maj" in possible
    assert all(line.startswith(("May 2023,", "2023,")) for line in possible)
    assert str(news.count) == (
        f"1 new event since 10 May 2023. {len(possible)} more events may be new"
        " (dated to the month or year only)."
    )
    assert "Efter dagen" not in show.changes(case)


def test_since_meeting_says_the_meeting_and_counts_from_the_day_after(data):
    event = {"case_id": CASE, "kind": "other", "forum_id": "RUN"}
    edit_events(data, add=[event | {"event_id": "y1", "date": "2023-03-14", "title": "Mötesdagen"},
                           event | {"event_id": "y2", "date": "2023-03-15", "title": "Dagen efter"}])  # fmt: skip
    case = open_case(CASE, data_dir=data, as_of=AS_OF, since_meeting="2023-03-14")
    assert case.view.news.heading == "Nytt sedan förra sammanträdet (14 mars 2023)"
    assert [str(x).rsplit(": ", 1)[1] for x in case.view.news.lines] == ["Dagen efter"]
    with pytest.raises(ParameterError, match="since_meeting"):
        open_case(CASE, data_dir=data, as_of=AS_OF, since="2023-01-01", since_meeting="2023-03-14")


def test_a_dossier_is_compared_once_where_the_earlier_extract_is_read(data, tmp_path, monkeypatch):
    """The batch reads and compares the earlier dossier once; the notebook takes that result as
    data (a baseline file), and shows what a notebook comparing for itself would show."""
    import datetime as dt

    from dossier.content.parameters import DossierParameters
    from dossier.data import changes, earlier
    from dossier.run.job import RenderOptions, prepare_job

    folder = keep_extract(data, tmp_path / "earlier", as_of="2022-06-01")
    edit_events(data, retitle=("168-03", "Ny rubrik"))
    counted = {"read": 0, "compared": 0}
    read, compare = changes.CaseExtract.from_bytes.__func__, earlier.comparison

    def counting_read(cls, data):
        counted["read"] += 1
        return read(cls, data)

    def counting_compare(*sides):
        counted["compared"] += 1
        return compare(*sides)

    monkeypatch.setattr(changes.CaseExtract, "from_bytes", classmethod(counting_read))
    monkeypatch.setattr(earlier, "comparison", counting_compare)
    views = {}
    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)), compare_with=folder)
    job = prepare_job(load(data), CASE, data, options, views=views)
    assert counted == {"read": 1, "compared": 1}
    extract = tmp_path / "extract"  # as the render writes it for the notebook
    extract.mkdir()
    for name, content in {**job.extract, "baseline.json": job.baseline}.items():
        (extract / name).write_bytes(content)
    taken = open_case(CASE, data_dir=extract, as_of=AS_OF, compare_with=folder)
    assert counted == {"read": 1, "compared": 1}  # taken as data: nothing read or compared again
    own = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=folder)
    assert taken.view.changes == own.view.changes == views[CASE].changes
    assert taken.parameters == own.parameters
    assert own.view.changes.lines  # the retitled event


def test_a_baseline_file_reads_back_as_it_was_written(data, tmp_path):
    import datetime as dt

    from dossier.data.earlier import Baseline

    earlier = CaseExtract.from_bytes((keep_extract(data, tmp_path / "e", as_of="2022-06-01") / SLUG
                                      / EXTRACT_FILE).read_bytes())  # fmt: skip
    edit_events(data, remove={"168-02"}, retitle=("168-03", "Ny <b>rubrik</b>"))
    baseline = Baseline.of(earlier, load(data).case_file(CASE), dt.date(2023, 6, 1))
    assert baseline.comparison.changes and baseline.found
    assert Baseline.from_bytes(baseline.to_bytes()) == baseline
    assert Baseline.from_bytes(Baseline().to_bytes()) == Baseline()
    written = baseline.to_bytes()
    for damaged, why in ((b"[]", "no baseline"), (b'{"format": true}', "no baseline"),
                         (b'{"format": 1}', "counts are not whole numbers"),
                         (written.replace(b'"event_', b'"nonsense_', 1), "of no known kind"),
                         (written.replace(b'"date"', b'"datum"', 1), "lacks a field of its record")):  # fmt: skip
        with pytest.raises(ValueError, match=why):
            Baseline.from_bytes(damaged)


def test_the_baseline_enters_the_dossiers_key_and_the_batchs(data, tmp_path):
    import datetime as dt

    from dossier.content.parameters import DossierParameters
    from dossier.run.batch import batch_key
    from dossier.run.job import RenderOptions, prepare_job

    one = keep_extract(data, tmp_path / "one")
    same = keep_extract(data, tmp_path / "same")  # another folder, the same extract
    other = keep_extract(data, tmp_path / "other", as_of="2023-05-01")
    registry = load(data)
    selection = {"case_ids": [CASE], "meeting": None, "all_open": False, "cases_file": None}

    def keys(folder):
        options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1)), compare_with=folder)
        job = prepare_job(registry, CASE, data, options)
        return job.key, batch_key(data, selection, options), job.manifest.get("compare_with")

    (key_one, batch_one, recorded), (key_same, batch_same, _) = keys(one), keys(same)
    assert (key_one, batch_one) == (key_same, batch_same)
    assert recorded == {"folder": str(one), "key": "f" * 64, "as_of": AS_OF}
    key_other, batch_other, _ = keys(other)
    key_none, batch_none, nothing = keys(None)
    assert len({key_one, key_other, key_none}) == 3
    assert len({batch_one, batch_other, batch_none}) == 3
    assert nothing is None


# -- one cut of the day on both sides: what the summary says ---------------------------------

EARLIER = "2022-06-01"


def _changes_said(case) -> tuple[str, list[str]]:
    return str(case.view.changes.count), [str(line) for line in case.view.changes.lines]


def test_a_dossier_of_an_earlier_day_as_baseline_counts_what_came_after_it_as_new(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier", as_of=EARLIER)
    later = [e for e in load(data).case_file(CASE).as_of(date(2023, 6, 1)).events
             if e.start > date(2022, 6, 1)]  # fmt: skip
    assert len(later) == 9
    for lang, said in (("sv", "Sedan sammanställningen per den 1 juni 2022: 9 nya händelser, inga rättelser."),
                       ("en", "Since the dossier as of 1 June 2022: 9 new events, no corrections.")):  # fmt: skip
        case = open_case(CASE, data_dir=data, as_of=AS_OF, lang=lang, compare_with=earlier)
        count, lines = _changes_said(case)
        assert count == said
        assert said in str(case.view.sentence)
        assert len([line for line in lines if line.startswith(("Ny händelse", "Event added"))]) == 9


def test_a_closing_after_the_day_is_no_change(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier", as_of=EARLIER)
    cases = (data / "cases.csv").read_text(encoding="utf-8").splitlines()
    cases = [line.replace(",open,,", ",closed,2023-09-01,", 1) if line.startswith(CASE) else line
             for line in cases]  # fmt: skip
    (data / "cases.csv").write_text("\n".join(cases) + "\n", encoding="utf-8")
    assert load(data).case(CASE).status == "closed"
    case = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)
    count, lines = _changes_said(case)
    assert count == "Sedan sammanställningen per den 1 juni 2022: 9 nya händelser, inga rättelser."
    assert not [line for line in lines if "avslutat" in line or "september 2023" in line], lines
    assert "Ärendets uppgifter ändrade" not in show.changes(case)


def test_a_correction_of_what_the_earlier_dossier_showed_is_counted_apart(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier", as_of=EARLIER)
    edit_events(data, retitle=("168-03", "Ny rubrik"))
    case = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)
    count, lines = _changes_said(case)
    assert count == "Sedan sammanställningen per den 1 juni 2022: 9 nya händelser, 1 rättelse."
    assert [line for line in lines if "Rubrik:" in line] == [
        "Ändrad händelse: maj 2020 – maj 2022, diskussion, Samverkansrådet: Ny rubrik. "
        "Rubrik: ”Kontinuerliga dialoger med samverkansrådet” → ”Ny rubrik”"
    ]
    alone = open_case(CASE, data_dir=data, as_of=EARLIER, lang="en", compare_with=earlier)
    assert _changes_said(alone)[0] == "Since the dossier as of 1 June 2022: no new events, 1 correction."


def test_a_document_filed_since_is_said_when_no_event_came(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier", as_of="2023-01-31")
    with open(data / "documents.csv", "a", encoding="utf-8") as handle:
        handle.write(f"{CASE},2023-02-10,PM om läget,report,\n")
    case = open_case(CASE, data_dir=data, as_of="2023-02-28", compare_with=earlier)
    assert _changes_said(case) == (
        "Sedan sammanställningen per den 31 januari 2023: inga nya händelser, 1 annan ny uppgift, "
        "inga rättelser.", ["Ny handling: 10 februari 2023, rapport: PM om läget"])


def _rewrite_extract(folder: Path, edit) -> None:
    path = folder / SLUG / EXTRACT_FILE
    extract = CaseExtract.from_bytes(path.read_bytes())
    tables = {name: edit(name, data) for name, data in extract.tables.items()}
    path.write_bytes(CaseExtract(extract.case_id, extract.as_of, extract.key, tables).to_bytes())


def test_an_earlier_dossier_with_records_no_dossier_writes_is_refused(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier", as_of=EARLIER)
    # Its related case's row is gone: the link names a case the records do not hold.
    _rewrite_extract(earlier, lambda name, data: b"\n".join(
        line for line in data.split(b"\n") if not line.startswith(b"RUN/136/2022"))
        if name == "cases.csv" else data)  # fmt: skip
    with pytest.raises(ParameterError, match=re.escape(
            "case-extract.json is damaged: its records make no case file "
            "(case 'RUN/136/2022' is not in cases.csv")):  # fmt: skip
        open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)


def test_an_earlier_dossier_made_before_the_publication_day_column_is_compared(data, tmp_path):
    earlier = keep_extract(data, tmp_path / "earlier", as_of=EARLIER)

    def without_published(name: str, data: bytes) -> bytes:
        if name not in ("meetings.csv", "agenda.csv"):
            return data
        return b"".join(line.rsplit(b",", 1)[0] + b"\n" for line in data.splitlines(keepends=True))

    _rewrite_extract(earlier, without_published)
    case = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)
    assert _changes_said(case)[0] == "Sedan sammanställningen per den 1 juni 2022: 9 nya händelser, inga rättelser."
