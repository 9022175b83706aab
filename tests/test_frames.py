"""The case as pandas DataFrames for the analyst's own cells: partial dates as readable columns."""

from __future__ import annotations

import pandas as pd
import pytest

from dossier import sections as show


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_data):
    return write_data(tmp_path_factory.mktemp("frames"), events=(
        "event_id,case_id,date,end_date,kind,forum_id,title,description,decision_ref,document,seq\n"
        "e1,A/1/2020,2020-05-30,,registered,N,Registrerat,,,,\n"
        "e2,A/1/2020,2021-02,2021-06,discussed,R,Dialog i rådet,,,,\n"
        "e3,A/1/2020,2022,,referred_back,N,Återremiss,Mer underlag,§ 12,,\n"
        "e4,A/1/2020,2023-01,,discussed,R,Samråd,,,,\n"
    ))  # fmt: skip


def test_events_have_start_end_precision_and_the_dossiers_label(data):
    case = show.open_case("A/1/2020", data_dir=data, as_of="2023-06-01")
    events = case.events
    assert list(events.columns[:4]) == ["start", "end", "precision", "label"]
    assert events[["start", "end", "precision", "label"]].to_dict("records") == [
        {"start": pd.Timestamp("2020-05-30"), "end": pd.Timestamp("2020-05-30"), "precision": "day",
         "label": "30 maj 2020"},
        {"start": pd.Timestamp("2021-02-01"), "end": pd.Timestamp("2021-06-30"), "precision": "month",
         "label": "februari 2021 – juni 2021"},
        {"start": pd.Timestamp("2022-01-01"), "end": pd.Timestamp("2022-12-31"), "precision": "year",
         "label": "2022"},
        {"start": pd.Timestamp("2023-01-01"), "end": pd.Timestamp("2023-01-31"), "precision": "month",
         "label": "januari 2023"},
    ]  # fmt: skip
    assert list(events["forum"]) == ["Nämnden", "Rådet", "Nämnden", "Rådet"]
    # The label is the one the history section shows, the same words.
    history = show.history(case)
    assert all(label in history for label in events["label"])


def test_decisions_and_forums_in_english(data):
    case = show.open_case("A/1/2020", data_dir=data, as_of="2023-06-01", lang="en")
    decisions = case.decisions
    assert decisions[["label", "kind", "forum", "paragraph", "title"]].to_dict("records") == [
        {"label": "2022", "kind": "referred_back", "forum": "Nämnden", "paragraph": "§ 12",
         "title": "Återremiss"},
    ]  # fmt: skip
    forums = case.forums.set_index("forum_id")
    assert forums.loc["R", "handled"] == 2
    assert forums.loc["R", ["first", "last"]].tolist() == ["February 2021", "January 2023"]
    assert forums.loc["R", "start"] == pd.Timestamp("2021-02-01")
    assert forums.loc["R", "end"] == pd.Timestamp("2023-01-31")


def test_a_period_still_running_has_no_end(tmp_path, write_data):
    data = write_data(tmp_path, events=(
        "event_id,case_id,date,end_date,kind,forum_id,title,description,decision_ref,document,seq\n"
        "e1,A/1/2020,2023-03,2023-12,discussed,R,Dialog i rådet,,,,\n"
    ))  # fmt: skip
    events = show.open_case("A/1/2020", data_dir=data, as_of="2023-06-01").events
    assert events.loc[0, "label"] == "mars 2023 – pågår"
    assert pd.isna(events.loc[0, "end"])
