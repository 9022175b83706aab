"""The timeline figure: lanes, legend, labels, determinism, and scale from 1 to 500 events."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.lines import Line2D

from dossier.content.figure_style import KIND_STYLES, MAX_LABEL_LINES, MAX_LABEL_WIDTH, wrap_label
from dossier.content.figures import timeline, timeline_alt, timeline_svg
from dossier.content.timeline_layout import kind_label, lanes
from dossier.data.contract import EVENT_KINDS
from dossier.data.dates import PartialDate
from dossier.data.model import Case, CaseFile, Event, Forum, event_order
from dossier.errors import ParameterError

CASE_ID = "RUN/168/2020"
TIMELINE_AS_OF = dt.date(2023, 6, 14)
SINCE = dt.date(2023, 1, 1)

FORUMS = {
    f.forum_id: f
    for f in (
        Forum("RUN", "Regionala utvecklingsnämnden", "committee"),
        Forum("SAMR", "Samverkansrådet", "council"),
        Forum("RUN-PRES", "RUN:s presidium", "presidium"),
        Forum("PG", "Partigrupperna", "party_group"),
        Forum("LP", "Länspartnerskapet", "partnership"),
        Forum("LP-PRES", "Länspartnerskapets presidium", "presidium"),
        Forum("RD", "Regiondirektören", "administration"),
        Forum("EFNS", "Europaforum Norra Sverige", "external"),
        Forum("TUR", "Transportutvecklingsrådet", "external"),
    )
}

# (date, end_date, kind, forum_id, title, decision_ref), modelled on the sample memo.
SAMPLE_EVENTS = [
    ("2019", "2022", "prepared", "RUN", "Arbete under mandatperioden", ""),
    ("2020-04-20", "", "registered", "", "Ärendet registreras", ""),
    ("2020-05", "", "discussed", "SAMR", "Första diskussion i samverkansrådet", ""),
    ("2020-05", "", "discussed", "RUN-PRES", "Dialog med presidiet", ""),
    ("2020-10", "", "discussed", "SAMR", "Fortsatt dialog", ""),
    ("2021", "", "prepared", "RD", "Internt arbete inom sakområden", ""),
    ("2021-03", "", "discussed", "RUN", "Dialog i nämnden", ""),
    ("2022", "", "other", "EFNS", "Påverkansarbete via Europaforum", ""),
    ("2022-01", "2023-06", "discussed", "TUR", "Påverkansfrågor i rådet", ""),
    ("2022-03", "2023-03", "prepared", "LP", "Översyn av samverkansformer", ""),
    ("2022-05", "", "presented", "RUN", "Bruttolista påverkansfrågor", ""),
    ("2022-05", "", "referred_back", "RUN", "Återremiss: tidplanen ses över", ""),
    ("2022-06", "", "discussed", "PG", "Diskussion i partigrupperna", ""),
    ("2022-08", "", "discussed", "RUN", "Diskussion i nämnden", ""),
    ("2022-12", "", "decided", "RUN", "Länspartnerskapets roll", "§ 224"),
    ("2023-01", "", "deferred", "RUN", "Hänskjuts till sommaren 2023", ""),
    ("2023-03", "", "decided", "LP", "Presidiets sammansättning", ""),
    ("2023-04", "", "discussed", "LP-PRES", "Presidiet planerar arbetet", ""),
    ("2023-06", "", "proposal", "RD", "Regiondirektörens förslag", ""),
]


def make_case_file(rows, forums=FORUMS, case_id=CASE_ID) -> CaseFile:
    """A case file built straight from the dataclasses, events in the model's order."""
    events = [
        Event(
            case_id,
            PartialDate.parse(date),
            kind,
            title,
            end_date=PartialDate.parse(end) if end else None,
            forum_id=forum,
            decision_ref=ref,
            row=row,
        )
        for row, (date, end, kind, forum, title, ref) in enumerate(rows, start=2)
    ]
    case = Case(
        case_id,
        "Länsgemensam påverkansagenda",
        PartialDate.parse("2020"),
        "open",
        owner_forum_id="RUN",
    )
    return CaseFile(case, tuple(sorted(events, key=event_order)), dict(forums), (), (), (), ())


def sample_case() -> CaseFile:
    """The sample case without two of its dialogs: 17 events in 9 forums, 2019 – juni 2023."""
    rows = [r for r in SAMPLE_EVENTS if r[4] not in ("Fortsatt dialog", "Dialog i nämnden")]
    return make_case_file(rows)


def one_event_case() -> CaseFile:
    return make_case_file([("2022-12-13", "", "decided", "RUN", "Beslut", "§ 224")])


def large_case(n: int = 500, seed: int = 168) -> CaseFile:
    """``n`` events over twelve years and twelve forums, with every kind and precision."""
    rng = random.Random(seed)
    forums = dict(FORUMS)
    for i in range(3):
        forums[f"EXT{i}"] = Forum(
            f"EXT{i}", f"Extern arbetsgrupp för regional utveckling {i + 1}", "external"
        )
    ids = [*forums, ""]
    weights = [8, 3, 2, 2, 3, 1, 4, 1, 1, 1, 1, 1, 1]
    kinds = list(EVENT_KINDS)
    rows = []
    for _ in range(n):
        day = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(12 * 365))
        precision = rng.choices(["day", "month", "year"], [8, 3, 1])[0]
        date = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": str(day.year)}
        kind = rng.choice(kinds)
        end = ""
        if rng.random() < 0.04:
            end = str(min(day.year + rng.randrange(1, 4), 2023))
            date["day"] = date["year"] = str(day.year)
            precision = "year"
        ref = f"§ {rng.randrange(1, 300)}" if kind == "decided" else ""
        forum = rng.choices(ids, weights)[0]
        rows.append((date[precision], end, kind, forum, f"Händelse {len(rows)}", ref))
    return make_case_file(rows, forums)


def legend(fig, gid):
    found = [lg for lg in fig.legends if lg.get_gid() == gid]
    return found[0] if found else None


def legend_texts(fig, gid):
    found = legend(fig, gid)
    return [t.get_text() for t in found.get_texts()] if found else []


def test_svg_is_deterministic_within_a_process():
    case_file = sample_case()
    first = timeline_svg(case_file, as_of=TIMELINE_AS_OF, since=SINCE)
    second = timeline_svg(case_file, as_of=TIMELINE_AS_OF, since=SINCE)
    assert first == second
    assert first.lstrip().startswith("<?xml")
    assert "<dc:date>" not in first


def test_svg_is_deterministic_across_processes_without_pyplot():
    # Another hash seed and a GUI backend asked for: neither may change the SVG,
    # and drawing must not import pyplot (which would pick up that backend).
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_figures import sample_case, TIMELINE_AS_OF, SINCE\n"
        "from dossier.content.figures import timeline_svg\n"
        "svg = timeline_svg(sample_case(), as_of=TIMELINE_AS_OF, since=SINCE)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "sys.stdout.write(svg)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "MPLBACKEND": "tkagg"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", env=env
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout == timeline_svg(sample_case(), as_of=TIMELINE_AS_OF, since=SINCE)


def test_lanes_follow_first_involvement_with_no_forum_last():
    fig = timeline(sample_case(), as_of=TIMELINE_AS_OF)
    ax = fig.axes[0]
    shown = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert shown == [
        "Regionala utvecklingsnämnden",
        "Samverkansrådet",
        "RUN:s presidium",
        "Regiondirektören",
        "Europaforum Norra Sverige",
        "Transportutvecklingsrådet",
        "Länspartnerskapet",
        "Partigrupperna",
        "Länspartnerskapets presidium",
        "(inget forum)",
    ]
    # Lane 0 is drawn at the top.
    low, high = ax.get_ylim()
    assert low > high


def test_no_forum_lane_in_english():
    names = [name for _, name in lanes(sample_case(), "en")]
    assert names[-1] == "(no forum)"
    assert [fid for fid, _ in lanes(one_event_case())] == ["RUN"]


def test_long_forum_names_wrap_and_are_never_cut():
    long = (
        "Ledningsgruppen för kompetensförsörjning och strukturfondspartnerskapets "
        "gemensamma beredningsgrupp i Jämtlands län"
    )
    forums = {
        "X": Forum("X", long, "network"),
        "RUN": Forum("RUN", "Regionala utvecklingsnämnden", "committee"),
        "RUNP": Forum("RUNP", "Regionala utvecklingsnämndens presidium", "presidium"),
        "W": Forum("W", "Regionfullmäktigeberedningensarbetsgruppsordförandekonferens", "network"),
    }
    rows = [("2021-02-03", "", "discussed", fid, "Möte", "") for fid in forums]
    fig = timeline(make_case_file(rows, forums), as_of=TIMELINE_AS_OF)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "…" not in "".join(ticks)
    assert ticks[0].count("\n") >= 2
    # Every word of every name is there, so names that begin alike stay apart.
    assert [" ".join(t.replace("-\n", "").split()) for t in ticks] == [f.name for f in forums.values()]
    # Each lane is tall enough for its name: no two names overlap.
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].get_yticklabels()]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
def test_legend_shows_exactly_the_kinds_present(lang):
    case_file = sample_case()
    fig = timeline(case_file, as_of=TIMELINE_AS_OF, lang=lang)
    present = {e.kind for e in case_file.events}
    expected = [kind_label(k, lang) for k in EVENT_KINDS if k in present]
    assert sorted(legend_texts(fig, "legend-kinds")) == sorted(expected)
    assert len(expected) == 9
    if lang == "sv":
        assert "Beslut" in expected and "Återremiss" in expected
    if lang == "de":
        assert "Beschluss" in expected and "Zurückverweisung" in expected


def test_kind_shapes_are_distinct_without_colour():
    shapes = {(style.marker, style.filled) for style in KIND_STYLES.values()}
    assert set(KIND_STYLES) == set(EVENT_KINDS)
    assert len(shapes) == len(EVENT_KINDS)


def test_decision_paragraph_is_text_in_the_svg():
    svg = timeline_svg(sample_case(), as_of=TIMELINE_AS_OF)
    assert "§ 224" in svg
    # A long forum name wraps onto two lines, each its own text element.
    assert "Regionala" in svg and "utvecklingsnämnden" in svg
    assert "Länspartnerskapets presidium" in svg


def test_as_of_line_is_drawn_and_labelled():
    fig = timeline(sample_case(), as_of=TIMELINE_AS_OF)
    ax = fig.axes[0]
    lines = [line for line in ax.lines if line.get_gid() == "as-of"]
    assert len(lines) == 1
    assert list(lines[0].get_xdata()) == [mdates.date2num(TIMELINE_AS_OF)] * 2
    label = next(t for t in ax.texts if t.get_gid() == "as-of-label")
    assert label.get_text() == "per den 14 juni 2023"
    svg = timeline_svg(sample_case(), as_of=TIMELINE_AS_OF, lang="en")
    assert 'id="as-of"' in svg
    assert "as of 14 June 2023" in svg
    assert "Stand 14. Juni 2023" in timeline_svg(sample_case(), as_of=TIMELINE_AS_OF, lang="de")


def drawn_after(fig, day: dt.date) -> list[float]:
    """Every x the figure draws something at (markers, bars, brackets, ticks) after ``day``."""
    ax = fig.axes[0]
    fig.canvas.draw()
    last = mdates.date2num(day) + 1  # a marker or span may cover the whole of the day
    xs = [x for line in ax.lines if line.get_gid() != "as-of" for x in line.get_xdata()]
    xs += [patch.get_x() + patch.get_width() for patch in ax.patches]
    xs += [x for c in ax.collections for seg in c.get_segments() for x, _ in seg]
    xs += list(ax.get_xticks()) + list(ax.get_xticks(minor=True))
    return [x for x in xs if x > last + 1e-9]


def test_nothing_is_drawn_after_the_as_of_line():
    # Periods and month- and year-only dates that run past the day end on its line.
    rows = [
        ("2021-05", "2022-08", "discussed", "SAMR", "Dialog", ""),
        ("2022", "", "other", "RUN", "Året 2022", ""),
        ("2022-01", "2025", "prepared", "RD", "Långt arbete", ""),
        ("2022-05", "", "decided", "RUN", "Beslut", "§ 1"),
        ("2022-07", "", "proposal", "RD", "Förslag efter dagen", ""),
    ]
    case_file = make_case_file(rows)
    day = dt.date(2022, 6, 1)
    fig = timeline(case_file, as_of=day, since=dt.date(2022, 1, 1))
    assert drawn_after(fig, day) == []
    ax = fig.axes[0]
    assert max(p.get_x() + p.get_width() for p in ax.patches) == mdates.date2num(day) + 1
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "2023" not in " ".join(labels) and "2025" not in " ".join(labels)
    # The proposal of July 2022 is not drawn at all: one marker fewer than events.
    markers = sum(len(line.get_xdata()) for line in ax.lines
                  if line.get_marker() not in (None, "None") and line.get_markerfacecolor() != "#F0E442")  # fmt: skip
    assert markers == 4
    assert timeline_alt(case_file, as_of=day).startswith(
        "Tidslinje för RUN/168/2020: 4 händelser i 3 forum, maj 2021 – 1 juni 2022. "
    )


def test_x_range_covers_every_event_and_the_as_of_date():
    case_file = sample_case()
    later = dt.date(2025, 2, 1)
    low, high = timeline(case_file, as_of=later).axes[0].get_xlim()
    assert low < mdates.date2num(dt.date(2019, 1, 1))
    assert high > mdates.date2num(later)


def test_since_highlights_new_events_with_a_legend_entry():
    case_file = sample_case()
    fig = timeline(case_file, as_of=TIMELINE_AS_OF, since=SINCE)
    assert legend_texts(fig, "legend-notation")[-1] == "Nytt sedan den 1 januari 2023"
    halo = next(
        line
        for line in fig.axes[0].lines
        if line.get_marker() == "o" and line.get_markerfacecolor() == "#F0E442"
    )
    # Jan, Mar, Apr, Jun 2023, and the Transportutvecklingsrådet period that starts in 2022
    # ends within 2023 but began before, so it does not count as new.
    assert len(halo.get_xdata()) == 4
    without = timeline(case_file, as_of=TIMELINE_AS_OF)
    assert "Nytt sedan den 1 januari 2023" not in legend_texts(without, "legend-notation")


def test_notation_legend_explains_periods_and_imprecise_dates():
    fig = timeline(sample_case(), as_of=TIMELINE_AS_OF, lang="en")
    assert legend_texts(fig, "legend-notation") == [
        "Period (from – to)",
        "Known to the month or year",
    ]
    assert legend(timeline(one_event_case(), as_of=TIMELINE_AS_OF), "legend-notation") is None


def test_month_names_follow_the_language():
    short = make_case_file(
        [
            ("2022-12-13", "", "decided", "RUN", "Beslut", "§ 224"),
            ("2023-05", "", "proposal", "RD", "Förslag", ""),
        ]
    )
    for lang, may in (("sv", "maj"), ("en", "May"), ("de", "Mai")):
        fig = timeline(short, as_of=TIMELINE_AS_OF, lang=lang)
        fig.canvas.draw()
        ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert may in ticks, ticks


def test_one_event_renders():
    fig = timeline(one_event_case(), as_of=TIMELINE_AS_OF)
    assert 1.0 < fig.get_figheight() < 3.0
    assert fig.get_figwidth() == pytest.approx(7.0)
    assert "§ 224" in timeline_svg(one_event_case(), as_of=TIMELINE_AS_OF)


def test_no_events_renders_a_note():
    empty = make_case_file([])
    fig = timeline(empty, as_of=TIMELINE_AS_OF)
    assert any(t.get_text() == "Inga händelser att visa." for t in fig.axes[0].texts)
    assert timeline_alt(empty, as_of=TIMELINE_AS_OF) == "Tidslinje för RUN/168/2020: inga händelser."


def test_500_events_fit_a_page():
    # How long they take is a figure for bench/, not a margin a busy machine can break.
    case_file = large_case()
    svg = timeline_svg(case_file, as_of=TIMELINE_AS_OF, since=dt.date(2023, 1, 1))
    fig = timeline(case_file, as_of=TIMELINE_AS_OF)
    assert fig.get_figheight() < 11
    decisions = sum(1 for e in case_file.events if e.kind == "decided")
    labelled = len(re.findall(r'id="decision-label', svg))
    # Crowded lanes label only decisions whose paragraphs fit side by side.
    assert 0 < labelled < decisions


def test_unknown_language_is_refused():
    with pytest.raises(ParameterError):
        timeline(sample_case(), as_of=TIMELINE_AS_OF, lang="fr")


def test_alt_text_says_what_the_figure_shows_and_points_to_the_history():
    assert timeline_alt(sample_case(), as_of=TIMELINE_AS_OF, lang="sv") == (
        "Tidslinje för RUN/168/2020: 17 händelser i 9 forum, 2019 – juni 2023. "
        "Flest händelser: Regionala utvecklingsnämnden (6), Regiondirektören (2), "
        "Länspartnerskapet (2). "
        "Beslut (4), de senaste: mars 2023 (Länspartnerskapet); uppskov januari 2023 "
        "(Regionala utvecklingsnämnden); december 2022 (Regionala utvecklingsnämnden, § 224). "
        "Senaste händelse: förslag juni 2023 (Regiondirektören). "
        "Alla händelser står i tabellen ”Ärendets historik”."
    )
    english = timeline_alt(sample_case(), as_of=dt.date(2023, 9, 1), lang="en")
    assert english.startswith(
        "Timeline of RUN/168/2020: 17 events in 9 forums, 2019 to June 2023. Most events: "
    )
    assert "Decisions (4), the latest: March 2023 (Länspartnerskapet); deferred January 2023" in (
        english
    )
    assert english.endswith(
        "As of 1 September 2023. Every event is listed in the table “Case history”."
    )
    german = timeline_alt(sample_case(), as_of=dt.date(2023, 9, 1), lang="de")
    assert german.startswith(
        "Zeitleiste von RUN/168/2020: 17 Ereignisse in 9 Gremien, 2019 bis Juni 2023. "
    )
    assert "Beschlüsse (4), die letzten: März 2023 (Länspartnerskapet); Zurückstellung Januar 2023" in (
        german
    )
    assert german.endswith("Stand 1. September 2023. Jedes Ereignis steht in der Tabelle „Verlauf“.")


def test_alt_text_for_one_event_and_one_forum():
    assert timeline_alt(one_event_case(), as_of=dt.date(2022, 12, 13)) == (
        "Tidslinje för RUN/168/2020: 1 händelse, 13 december 2022. "
        "Alla händelser står i tabellen ”Ärendets historik”."
    )
    two = make_case_file(
        [("2020", "", "discussed", "RUN", "a", ""), ("2021-03", "", "decided", "RUN", "b", "§ 1")]
    )
    assert timeline_alt(two, as_of=dt.date(2021, 3, 31), lang="en") == (
        "Timeline of RUN/168/2020: 2 events in 1 forum, 2020 to March 2021. "
        "Decisions (1): March 2021 (Regionala utvecklingsnämnden, § 1). "
        "Latest event: decision March 2021 (Regionala utvecklingsnämnden, § 1). "
        "Every event is listed in the table “Case history”."
    )


def test_forum_names_and_paragraphs_are_shown_literally_and_escaped():
    forum = Forum("B", "Budget $ & <plan>", "committee")
    rows = [("2021-02-03", "", "decided", "B", "Beslut", "§ 5 $x$")]
    svg = timeline_svg(make_case_file(rows, {"B": forum}), as_of=TIMELINE_AS_OF)
    # No mathtext from dollar signs, and markup in the data stays text.
    assert "Budget $ &amp; &lt;plan&gt;" in svg
    assert "<plan>" not in svg
    assert "§ 5 $x$" in svg


def test_a_span_of_a_thousand_years_still_draws(tmp_path):
    """A typo such as 1020 for 2020 passes validation; the timeline must still draw."""
    import datetime as dt

    from dossier.content.figures import timeline
    from dossier.data.dates import PartialDate
    from dossier.data.model import Case, CaseFile, Event

    case = Case("X/1/2020", "Titel", PartialDate(1020), "open")
    events = (
        Event("X/1/2020", PartialDate(1020, 5, 30), "registered", "Skrivfel i året"),
        Event("X/1/2020", PartialDate(2020, 5), "decided", "Beslut", decision_ref="§ 1"),
    )
    figure = timeline(CaseFile(case, events, {}, (), (), (), ()), as_of=dt.date(2023, 6, 1))
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert any(label.startswith("1") and len(label) == 4 for label in labels)
    assert 2 <= len(labels) <= 12


# Periods stacked, the since band, shapes that print apart


def test_overlapping_periods_of_one_forum_are_stacked_not_merged():
    rows = [
        ("2019", "2022", "prepared", "RUN", "Beredning under mandatperioden", ""),
        ("2020-05", "2022-05", "discussed", "RUN", "Dialog", ""),
        ("2021-02", "2021-09", "consultation", "RUN", "Remiss", ""),
        ("2022-08", "", "discussed", "RUN", "Diskussion", ""),
        ("2021-03", "", "discussed", "SAMR", "Dialog i rådet", ""),
    ]
    fig = timeline(make_case_file(rows), as_of=TIMELINE_AS_OF)
    ax = fig.axes[0]
    bars = sorted((p for p in ax.patches if p.get_gid() == "period"), key=lambda p: p.get_x())
    assert len(bars) == 3
    # Each period has its own sub-lane: no two bars share any height.
    spans = [(p.get_y(), p.get_y() + p.get_height()) for p in bars]
    assert all(a[1] <= b[0] or b[1] <= a[0] for i, a in enumerate(spans) for b in spans[i + 1 :])
    # ... all of them inside the forum's lane, above the next forum's name.
    lanes_y = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(), strict=True))
    samr = lanes_y["Samverkansrådet"]
    assert all(bottom < samr - 0.5 for _, bottom in spans)
    # The single event keeps the lane's first row, above the periods: no bar runs through it.
    august = (mdates.date2num(dt.date(2022, 8, 1)) + mdates.date2num(dt.date(2022, 9, 1))) / 2
    at = [y for line in ax.lines for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
          if x == august]  # fmt: skip
    assert at and max(at) < min(top for top, _ in spans)


def test_since_band_ends_on_the_as_of_line():
    fig = timeline(sample_case(), as_of=TIMELINE_AS_OF, since=SINCE)
    ax = fig.axes[0]
    band = next(p for p in ax.patches if p.get_gid() == "since")
    line = next(line for line in ax.lines if line.get_gid() == "as-of")
    assert band.get_x() == mdates.date2num(SINCE)
    assert band.get_x() + band.get_width() == line.get_xdata()[0] == mdates.date2num(TIMELINE_AS_OF)


def test_the_month_bracket_is_flat_and_cannot_be_read_as_the_beredning_square():
    """At A4 width the bracket under a month-only date looked like a hollow square."""
    fig = timeline(sample_case(), as_of=TIMELINE_AS_OF)
    fig.canvas.draw()
    points = 72 / fig.dpi
    # The legend's key: a flat line with caps, many times wider than tall.
    notation = legend(fig, "legend-notation")
    (key,) = notation.findobj(lambda a: isinstance(a, Line2D) and len(a.get_xdata()) == 4)
    xs, ys = key.get_transform().transform(np.column_stack([key.get_xdata(), key.get_ydata()])).T
    assert (ys.max() - ys.min()) * points <= 1.3
    assert (xs.max() - xs.min()) >= 8 * (ys.max() - ys.min())
    # In the lanes: caps far shorter than the Beredning square (6 points) is tall.
    ax = fig.axes[0]
    brackets = [segment for c in ax.collections for segment in c.get_segments()]
    assert brackets
    for segment in brackets:
        (_, y0), (_, y1) = ax.transData.transform(segment[:2])
        assert abs(y1 - y0) * points <= 1.3


# A 500-event case


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory):
    """A 500-event case from `dossier demo-data`: active 2018 to 2022, then quiet for years."""
    from dossier.content.context import case_dossier
    from dossier.content.parameters import DossierParameters
    from dossier.data.synthetic import generate
    from dossier.data.validate import load

    folder = tmp_path_factory.mktemp("demo")
    generate(folder, cases=1, events_per_case=500, seed=1)
    registry = load(folder)
    (case_id,) = list(registry.cases["case_id"])
    dossier = case_dossier(registry, case_id, DossierParameters(as_of=dt.date(2026, 11, 29)))
    assert len(dossier.case_file.events) == 500
    return dossier


def text_boxes(fig, *gids):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [
        (t.get_gid(), t.get_text(), t.get_window_extent(renderer))
        for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_gid() in gids)
        if t.get_text() and t.get_visible()
    ]


@pytest.mark.parametrize("which", ["demo", "spread"])
def test_paragraph_labels_of_500_events_never_overlap(which, request):
    if which == "demo":
        d = request.getfixturevalue("demo_case")
        fig = timeline(d.case_file, as_of=d.as_of, since=dt.date(2022, 1, 1))
    else:
        fig = timeline(large_case(), as_of=TIMELINE_AS_OF, since=SINCE)
    boxes = text_boxes(fig, "decision-label", "event-count-label", "as-of-label")
    labels = [b for b in boxes if b[0] == "decision-label"]
    assert len(labels) >= 10
    crossing = [
        (a[1], b[1])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[2].overlaps(b[2]) and "decision-label" in (a[0], b[0])
    ]
    assert crossing == []
    # Nor do they run into the date axis's labels or the forum names.
    ticks = [t.get_window_extent() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    ticks += [t.get_window_extent() for t in fig.axes[0].get_yticklabels()]
    assert not any(box.overlaps(tick) for _, _, box in labels for tick in ticks)


def test_a_crowded_lane_counts_its_events_per_quarter_and_loses_none(demo_case):
    d = demo_case
    fig = timeline(d.case_file, as_of=d.as_of)
    ax = fig.axes[0]
    counts = [t for t in ax.texts if t.get_gid() == "event-count-label"]
    assert counts, "the busiest forum is drawn as counts"
    assert "Händelser i kvartalet som inte visas var för sig" in legend_texts(fig, "legend-notation")
    boxes = [p for p in ax.patches if p.get_gid() == "event-count"]
    assert len(boxes) == len(counts) >= 8  # every box holds two digits, and says its count
    low, _ = ax.get_xlim()
    last = max(e.end for e in d.case_file.events)
    assert all(low <= b.get_x() and b.get_x() + b.get_width() <= mdates.date2num(last) + 92
               for b in boxes)  # fmt: skip
    # Nothing is lost: each event is either counted or drawn as its own marker.
    counted = sum(int(t.get_text()) for t in counts)
    markers = sum(
        len(line.get_xdata())
        for line in ax.lines
        if line.get_marker() not in (None, "None", "") and line.get_markerfacecolor() != "#F0E442"
    )
    assert counted + markers == len(d.case_file.events)


def test_the_axis_spans_the_activity_and_breaks_over_years_without_events(demo_case):
    d = demo_case
    fig = timeline(d.case_file, as_of=d.as_of)
    ax = fig.axes[0]
    fig.canvas.draw()
    years = {t.get_text().split("\n")[-1] for t in ax.get_xticklabels() if t.get_text()}
    last_year = max(e.end for e in d.case_file.events).year
    # Ticks for the years of activity and the day; none for the quiet years between.
    # (A tick on 1 January after the last active year closes the stretch; none after that.)
    assert not years & {str(y) for y in range(last_year + 2, d.as_of.year)}
    assert {"2019", "2020", "2021", "2022", "2026"} <= years
    to_pixels = ax.transData.transform
    line = next(line for line in ax.lines if line.get_gid() == "as-of")
    as_of_x = to_pixels((line.get_xdata()[0], 0))[0]
    last_x = to_pixels((mdates.date2num(max(e.end for e in d.case_file.events)), 0))[0]
    left, right = ax.get_window_extent().x0, ax.get_window_extent().x1
    # Four quiet years take less than a seventh of the axis (they took half of it).
    assert (as_of_x - last_x) < (right - left) / 7
    assert [p for p in ax.patches if p.get_gid() == "axis-break"]
    assert "Uppehåll utan händelser (axeln bruten)" in legend_texts(fig, "legend-notation")
    alt = timeline_alt(d.case_file, as_of=d.as_of)
    assert "Därefter inga händelser fram till den 29 november 2026" in alt
    assert alt.endswith("Alla händelser står i tabellen ”Ärendets historik”.")
    # The sample's own day follows its last event closely: no break there.
    sample = timeline(sample_case(), as_of=TIMELINE_AS_OF)
    assert not [p for p in sample.axes[0].patches if p.get_gid() == "axis-break"]


def test_years_without_events_between_two_busy_spells_are_cut_out_and_told():
    rows = [
        ("2012-03-04", "", "registered", "", "Registrerat", ""),
        ("2012-09-10", "", "decided", "RUN", "Beslut", "§ 12"),
        ("2013", "", "prepared", "RD", "Utredning", ""),
        ("2019-02-01", "", "discussed", "RUN", "Diskussion", ""),
        ("2020-10-20", "", "decided", "RUN", "Beslut igen", "§ 140"),
    ]
    case_file = make_case_file(rows)
    fig = timeline(case_file, as_of=dt.date(2020, 12, 1), lang="en")
    ax = fig.axes[0]
    fig.canvas.draw()
    years = {t.get_text() for t in ax.get_xticklabels() if t.get_text()}
    assert {"2013", "2019", "2020"} <= years
    assert not years & {"2015", "2016", "2017", "2018"}
    (cut,) = [p for p in ax.patches if p.get_gid() == "axis-break"]
    assert cut.get_x() < mdates.date2num(dt.date(2015, 1, 1))
    assert cut.get_x() + cut.get_width() > mdates.date2num(dt.date(2018, 12, 1))
    alt = timeline_alt(case_file, as_of=dt.date(2020, 12, 1), lang="en")
    assert "No events between 2013 and 1 February 2019; that time is left out of the time axis." in (
        alt
    )
    assert "No events after that" not in alt and "As of 1 December 2020." in alt


def test_many_overlapping_periods_stay_apart_and_the_figure_fits_a_page():
    rows = [(f"{2010 + i % 10}", "2023", "prepared", "RUN", f"Utredning {i}", "") for i in range(60)]
    fig = timeline(make_case_file(rows), as_of=TIMELINE_AS_OF)
    bars = [p for p in fig.axes[0].patches if p.get_gid() == "period"]
    spans = sorted((p.get_y(), p.get_y() + p.get_height()) for p in bars)
    assert len(spans) == 60
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert fig.get_figheight() < 6


@pytest.mark.parametrize("spaced", [False, True])
def test_a_long_forum_name_is_cut_to_its_start_and_end_at_a_cost_that_does_not_grow(spaced):
    def label(length: int) -> tuple[str, int]:
        word = "Nämndsammanträdesprotokoll" + ("s " if spaced else "s")
        name = (word * (length // len(word) + 1))[:length - 3] + "SLT"
        measured = []
        measure = lambda text: measured.append(len(text)) or len(text) / 20  # noqa: E731
        return wrap_label(name, MAX_LABEL_WIDTH, measure), sum(measured)

    short, cost = label(2_000)
    long, long_cost = label(20_000)
    for wrapped in (short, long):
        lines = wrapped.split("\n")
        assert len(lines) == MAX_LABEL_LINES
        assert lines[0].startswith("Nämndsammanträdes") and lines[-1].startswith("…")
        assert lines[-1].endswith("SLT")  # its end: names alike at the start stay apart
    assert long_cost < 2 * cost  # the letters measured: as many for 20,000 as for 2,000
