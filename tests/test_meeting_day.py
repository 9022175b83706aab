"""A meeting's batch and mail speak for the meeting's day (dossier.run.batch.meeting_options).

Without --as-of: as of today while the meeting is ahead, as of the day before it once it is
past, and the pack's cover says which day; a --as-of after the meeting is refused. The
sample's meeting (13 June 2023) is past: its pack, golden, through a real batch and a real
mail draft, read with pdftotext and a mail parser.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from mails import parse, text_part

from dossier.cli import main
from dossier.content.parameters import DossierParameters
from dossier.data.validate import load
from dossier.errors import ParameterError
from dossier.run.batch import meeting_options
from dossier.run.job import RenderOptions

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
MEETING = "EXEMPEL-RUN-2023-06"
SLUG = "RUN-168-2020"
D = dt.date


def page_text(path: Path, page: int = 1) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, check=True)  # fmt: skip
    return " ".join(done.stdout.decode("utf-8").split())


def test_a_past_meeting_is_told_as_of_the_day_before_it_and_a_later_day_is_refused(tmp_path):
    sample = load(SAMPLE)
    assert meeting_options(sample, MEETING, RenderOptions()).day == D(2023, 6, 12)
    assert meeting_options(sample, MEETING, RenderOptions(DossierParameters(as_of=D(2023, 6, 1)))).day == D(2023, 6, 1)
    assert meeting_options(sample, MEETING, RenderOptions(DossierParameters(as_of=D(2023, 6, 13)))).day == D(2023, 6, 13)
    assert meeting_options(sample, None, RenderOptions()).day == dt.date.today()
    with pytest.raises(ParameterError) as refused:
        meeting_options(sample, MEETING, RenderOptions(DossierParameters(as_of=D(2023, 7, 1))))
    assert "--as-of 2023-07-01 is after the meeting EXEMPEL-RUN-2023-06 on 2023-06-13" in str(refused.value)
    with pytest.raises(ParameterError, match="--since 2023-06-13 is after 2023-06-12, the day before"):
        meeting_options(sample, MEETING, RenderOptions(DossierParameters.given(since=D(2023, 6, 13))))
    # A meeting still ahead: as of today.
    data = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    ahead = dt.date.today() + dt.timedelta(days=30)
    path = data / "meetings.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["date"] = f"{ahead.isoformat()} 09:00"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    options = meeting_options(load(data), MEETING, RenderOptions())
    assert options.day == dt.date.today()


def test_a_day_after_the_meeting_stops_batch_and_mail_naming_both_days(tmp_path, capsys):
    out = tmp_path / "out"
    for command in (["batch", "--meeting", MEETING], ["mail", "--meeting", MEETING, "--to", "a@example.se"]):
        code = main([*command, "--data", str(SAMPLE), "--out", str(out), "--as-of", "2023-07-01"])
        err = capsys.readouterr().err
        assert code == 2
        assert "--as-of 2023-07-01 is after the meeting EXEMPEL-RUN-2023-06 on 2023-06-13" in err
        assert not any(p.name.startswith(("RUN", "meeting")) for p in out.glob("*"))


@pytest.mark.kernel
def test_the_pack_and_the_mail_of_a_past_meeting_speak_for_the_day_before_it(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", "--meeting", MEETING, "--data", str(SAMPLE), "--out", str(out),
                 "--workers", "1"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    pack = out / f"meeting-{MEETING}" / f"{MEETING}.pdf"
    cover = page_text(pack)
    assert "Gäller per den 12 juni 2023, dagen före sammanträdet" in cover
    assert "Pågående sedan 2020." in cover
    first = page_text(out / SLUG / f"{SLUG}.pdf")
    assert "Gäller per" in first and "den 12 juni 2023" in first  # a fact's label and value
    assert "13 juni 2023 kl. 09:00, punkt 7" in first
    assert "Inaktivt" not in first and "Ingen vidare behandling" not in first

    capsys.readouterr()
    mailed = tmp_path / "mailed"
    code = main(["mail", "--meeting", MEETING, "--to", "anna@example.se", "--from", "b@example.se",
                 "--data", str(SAMPLE), "--out", str(mailed)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    body = " ".join(text_part(parse(Path(captured.out.strip()).read_bytes())).split())
    assert "Gäller per: den 12 juni 2023, dagen före sammanträdet" in body
