"""When a meeting and its agenda are known (dossier.data.calendar): the publication days of
agenda.csv and meetings.csv, and the [calendar] settings of the data folder's dossier.toml,
in the dossier a reader gets (a real render for the settings' way through the case extract).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from dossier.cli import main
from dossier.content.context import case_dossier
from dossier.content.parameters import DossierParameters
from dossier.data.calendar import Calendar
from dossier.data.validate import load
from dossier.errors import DataError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CASE, SLUG = "RUN/168/2020", "RUN-168-2020"
ITEM = "13 juni 2023 kl. 09:00, punkt 7"
NO_FURTHER = "Ingen vidare behandling är känd: ärendet är inte på någon känd dagordning."
CALENDAR = "Regionala utvecklingsnämnden sammanträder nästa gång 13 juni 2023 kl. 09:00"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    return folder


def publish(data: Path, table: str, day: str) -> None:
    """Give every row of ``table`` (agenda or meetings) the publication day ``day``."""
    path = data / f"{table}.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "published"])
        writer.writeheader()
        writer.writerows(row | {"published": day} for row in rows)


def next_meeting(data: Path, day: str) -> str:
    dossier = case_dossier(load(data), CASE, DossierParameters(as_of=dt.date.fromisoformat(day)))
    return str(dossier.view.next_meeting)


def test_an_agenda_is_known_from_its_publication_day(data):
    publish(data, "agenda", "2023-05-02")
    assert ITEM not in next_meeting(data, "2023-05-01")
    assert CALENDAR in next_meeting(data, "2023-05-01")
    assert ITEM in next_meeting(data, "2023-05-02")


def test_a_meetings_publication_day_holds_for_its_items_unless_an_item_has_its_own(data):
    publish(data, "meetings", "2023-06-05")
    assert ITEM not in next_meeting(data, "2023-06-01")  # within the notice, but not yet out
    assert ITEM in next_meeting(data, "2023-06-05")
    publish(data, "agenda", "2023-05-20")
    assert ITEM in next_meeting(data, "2023-06-01")


def test_without_a_publication_day_the_notice_period_holds(data):
    assert ITEM not in next_meeting(data, "2023-05-29")
    assert ITEM in next_meeting(data, "2023-05-30")  # 14 days before 13 June


def test_the_data_folders_settings_are_read_and_checked(data, capsys):
    assert load(data).calendar == Calendar(14, 6)
    (data / "dossier.toml").write_text("[calendar]\nnotice_days = 30\nhorizon_months = 1\n",
                                       encoding="utf-8")  # fmt: skip
    assert load(data).calendar == Calendar(30, 1)
    assert ITEM in next_meeting(data, "2023-05-14")
    assert next_meeting(data, "2023-01-31") == NO_FURTHER
    (data / "dossier.toml").write_text('[calendar]\nnotice_days = "två veckor"\nhorizont = 6\n',
                                       encoding="utf-8")  # fmt: skip
    with pytest.raises(DataError) as raised:
        load(data)
    said = str(raised.value)
    assert "[calendar] notice_days: 'två veckor' is not a whole number from 0 to 366" in said
    assert "'horizont' is not a setting of [calendar] (use notice_days, horizon_months)" in said
    assert main(["check", "--data", str(data)]) == 2
    assert "dossier.toml [calendar] notice_days" in capsys.readouterr().err


@pytest.mark.kernel
def test_the_settings_reach_the_rendered_dossier_through_its_extract(data, tmp_path, capsys):
    (data / "dossier.toml").write_text("[calendar]\nnotice_days = 30\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["render", CASE, "--data", str(data), "--as-of", "2023-05-20", "--out", str(out),
                 "--format", "html", "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    html = (out / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    assert ITEM in html


def test_an_exports_own_name_for_the_publication_day_is_read(data):
    publish(data, "agenda", "2023-05-02")
    path = data / "agenda.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",published\n", ",Publiceringsdatum\n", 1),
                    encoding="utf-8")  # fmt: skip
    (item, *_) = load(data).agenda_items(case_id=CASE)
    assert item.published == dt.date(2023, 5, 2)
    assert ITEM in next_meeting(data, "2023-05-02")
