"""A dossier's parameters: one value, checked once, by one rule wherever they are given.

The command line (``dossier render``'s options) and a notebook's parameters cell
(``open_case``) take and refuse the same values, for the same reasons; the day defaults
to today in one place; nothing is read from disk to make the options.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import SAMPLE_CASE as CASE
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.cli import build_parser
from dossier.cli.options import render_options
from dossier.content.parameters import ON_COMMAND_LINE, DossierParameters
from dossier.errors import ParameterError
from dossier.run.job import RenderOptions

PARSER = build_parser()
SRC = Path(__file__).resolve().parent.parent / "src" / "dossier"

days = st.one_of(st.none(), st.dates(dt.date(990, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat),
                 st.sampled_from(["2023-02-30", "1.6.2023", "2023-6-1", " "]))  # fmt: skip


def from_command_line(lang, as_of, since, months) -> DossierParameters | str:
    """What ``dossier render`` makes of the options, or the message it refuses them with."""
    argv = ["render", CASE, "--lang", lang, "--inactive-months", str(months)]
    argv += [*(["--as-of", as_of] if as_of is not None else []), *(["--since", since] if since is not None else [])]
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return render_options(PARSER.parse_args(argv)).parameters
    except SystemExit:  # refused as argparse reads the command line
        return said.getvalue()
    except ParameterError as exc:
        return str(exc)


def from_notebook(lang, as_of, since, months) -> DossierParameters | str:
    if isinstance(months, str):  # the command line's text; a notebook's number
        months = int(months) if months.strip().isdigit() else months
    try:
        return DossierParameters.given(lang=lang, as_of=as_of, since=since, inactive_months=months)
    except ParameterError as exc:
        return str(exc)


@settings(max_examples=200, deadline=None)
@given(lang=st.sampled_from(["sv", "en", "de", "fr"]), as_of=days, since=days,
       months=st.one_of(st.integers(-3, 1300), st.sampled_from(["1.5", "abc", "", "6 "])))  # fmt: skip
def test_the_command_line_and_the_notebook_take_and_refuse_the_same_values(lang, as_of, since, months):
    shell, notebook = from_command_line(lang, as_of, since, months), from_notebook(lang, as_of, since, months)
    if isinstance(notebook, DossierParameters):
        assert shell == notebook
    else:
        assert isinstance(shell, str), (notebook, shell)


def test_each_message_names_the_parameter_as_it_was_given():
    refused = from_command_line("sv", "2023-06-01", "2023-07-01", 6)
    assert "--since 2023-07-01 is after --as-of 2023-06-01: a dossier knows nothing after its day" in refused
    refused = from_notebook("sv", "2023-06-01", "2023-07-01", 6)
    assert "since = '2023-07-01' is after as_of = '2023-06-01': a dossier knows nothing after its day" in refused
    assert from_notebook("sv", "2023-13-01", None, 6) == "as_of = '2023-13-01' is not a date (use YYYY-MM-DD)"
    assert "inactive_months = 0: use a whole number of months from 1 to 1200" in from_notebook("sv", None, None, 0)
    assert "'0': use a whole number of months from 1 to 1200" in from_command_line("sv", None, None, 0)
    assert "'1.5': use a whole number of months from 1 to 1200" in from_command_line("sv", None, None, "1.5")
    refused = from_notebook("sv", "2023-06-01", None, 6.0)
    assert refused == "inactive_months = 6.0: use a whole number of months from 1 to 1200"
    with pytest.raises(ParameterError, match="since = '2023-01-01' with since_meeting = '2023-03-14'"):
        DossierParameters.given(as_of="2023-06-01", since="2023-01-01", since_meeting="2023-03-14")


def test_a_day_the_meeting_sets_is_named_as_the_meeting():
    with pytest.raises(ParameterError, match=r"since_meeting = '2023-06-01' is on or after as_of = '2023-06-01'"):
        DossierParameters.given(as_of="2023-06-01", since_meeting="2023-06-01")


@pytest.mark.parametrize(
    ("value", "said"),
    [("2023-06-01", "is not a day"), (dt.datetime(2023, 6, 1), "is not a day"), (dt.date(999, 1, 1), "outside"),
     (dt.date.max, "outside"), (None, "is not a day")],
)  # fmt: skip
def test_the_value_itself_is_checked_on_creation_and_on_replace(value, said):
    with pytest.raises(ParameterError, match=f"as_of = .* {said}"):
        DossierParameters(as_of=value)
    with pytest.raises(ParameterError, match=f"as_of = .* {said}"):
        dataclasses.replace(DossierParameters(as_of=dt.date(2023, 6, 1)), as_of=value)
    with pytest.raises(ParameterError, match=f"since_meeting = .* {said}"):
        DossierParameters(as_of=dt.date(2023, 6, 1), since_meeting=value or "")


@pytest.mark.parametrize("text", ["20230601", "2023-W22-1", 20230601, "2023-06-01T00:00", "2023-6-1"])
def test_one_reader_of_a_day_takes_only_what_it_asks_for(text):
    with pytest.raises(ParameterError, match=r"is not a date \(use YYYY-MM-DD\)"):
        DossierParameters.given(as_of=text)


def test_a_day_not_given_is_today_and_says_so():
    chosen = DossierParameters.given()
    assert (chosen.as_of, chosen.day_given) == (dt.date.today(), False)
    assert DossierParameters.given(as_of="2023-06-01").day_given
    assert RenderOptions().parameters.as_of == dt.date.today()


def test_the_meetings_day_sets_what_is_new_and_survives_a_change_of_day():
    chosen = DossierParameters(as_of=dt.date(2023, 6, 12), since_meeting=dt.date(2023, 3, 14))
    assert chosen.since == dt.date(2023, 3, 15)
    options = RenderOptions(chosen).with_parameters(as_of=dt.date(2023, 6, 1))
    assert (options.parameters.since, options.parameters.since_meeting) == (dt.date(2023, 3, 15), dt.date(2023, 3, 14))
    assert options.settings("parameter") == {"lang": "sv", "as_of": "2023-06-01", "since": "2023-03-15",
                                             "inactive_months": 6, "since_meeting": "2023-03-14"}  # fmt: skip


def test_making_the_options_reads_nothing(tmp_path):
    """An earlier folder that is not there is refused where a run starts, not when the value is made."""
    from dossier.run.job import check_compare_with

    options = RenderOptions(DossierParameters(as_of=dt.date(2023, 6, 1), naming=ON_COMMAND_LINE),
                            compare_with=tmp_path / "missing")  # fmt: skip
    with pytest.raises(ParameterError, match=r"--compare-with .*missing does not exist"):
        check_compare_with(options, tmp_path / "out")


def test_today_is_taken_for_the_day_in_one_place_only():
    """The one default for the day: no other module of the product asks the clock for it."""
    asking = []
    for path in sorted(SRC.rglob("*.py")):
        if "ingest" in path.parts:  # an import is dated by the day it runs, not a dossier's day
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "today":
                asking.append(path.relative_to(SRC).as_posix())
    assert asking == ["content/parameters.py"]
