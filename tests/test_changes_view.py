"""What a reader sees of the changes, without a kernel: the sections, the sentence, the timeline.

The earlier dossier is an output folder holding only the case extract a render keeps.
"""

from __future__ import annotations

import base64
import re
import shutil
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
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    case = open_case(CASE, data_dir=data, as_of=AS_OF, compare_with=earlier)
    assert "Ärendet är nytt i den här jämförelsen" in show.changes(case)
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


def test_the_baseline_enters_the_dossiers_key_and_the_batchs(data, tmp_path):
    import datetime as dt

    from dossier.run.batch import batch_key
    from dossier.run.job import RenderOptions, prepare_job

    one = keep_extract(data, tmp_path / "one")
    same = keep_extract(data, tmp_path / "same")  # another folder, the same extract
    other = keep_extract(data, tmp_path / "other", as_of="2023-05-01")
    registry = load(data)
    selection = {"case_ids": [CASE], "meeting": None, "all_open": False, "cases_file": None}

    def keys(folder):
        options = RenderOptions(as_of=dt.date(2023, 6, 1), compare_with=folder)
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
