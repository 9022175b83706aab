"""PartialDate: parsing, precision, spans, ordering and formatting in Swedish and English."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dossier.data.dates import LAST_YEAR, PartialDate, add_months, format_day, months_between

SV_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")  # fmt: skip
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
DE_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2019", PartialDate(2019), "year"),
        ("2020-05", PartialDate(2020, 5), "month"),
        ("2022-05-30", PartialDate(2022, 5, 30), "day"),
        ("  2020-05 ", PartialDate(2020, 5), "month"),
        ("2024-02-29", PartialDate(2024, 2, 29), "day"),
    ],
)
def test_parse_keeps_the_precision_the_text_gives(text, expected, precision):
    parsed = PartialDate.parse(text)
    assert parsed == expected
    assert parsed.precision == precision
    assert parsed.isoformat() == text.strip()


@pytest.mark.parametrize(
    "text",
    ["2023-02-30", "2022-13", "2022-00", "2022-05-00", "2023-02-29", "2022-5", "2022-05-1", "20220530",
     "30/05/2022", "maj 2020", "", "2022-05-30T10:00", "２０２０", "٢٠٢٠"],
)  # fmt: skip
def test_parse_rejects_what_is_not_a_partial_date(text):
    with pytest.raises(ValueError, match=r"is not a date \(use YYYY-MM-DD, YYYY-MM or YYYY\)"):
        PartialDate.parse(text)


@pytest.mark.parametrize("text", ["0999", "0001-01-01", "0000-05"])
def test_a_date_in_form_but_outside_the_years_says_the_years(text):
    with pytest.raises(ValueError, match=r"is outside the years dossier reads, 1000 to 9999"):
        PartialDate.parse(text)


def test_a_day_needs_a_month_and_the_year_four_digits():
    with pytest.raises(ValueError):
        PartialDate(2020, None, 5)
    with pytest.raises(ValueError, match="999 is outside the years dossier reads, 1000 to 9999"):
        PartialDate(999)
    with pytest.raises(ValueError):
        PartialDate(2023, 2, 30)
    with pytest.raises(ValueError):
        PartialDate(2023, 0)
    with pytest.raises(ValueError):
        PartialDate(2023, 5, 0)


@pytest.mark.parametrize(
    ("date", "sv", "en", "de"),
    [
        (PartialDate(2020, 5), "maj 2020", "May 2020", "Mai 2020"),
        (PartialDate(2022, 5, 30), "30 maj 2022", "30 May 2022", "30. Mai 2022"),
        (PartialDate(2019), "2019", "2019", "2019"),
        (PartialDate(2023, 3), "mars 2023", "March 2023", "März 2023"),
        (PartialDate(2023, 1, 5), "5 januari 2023", "5 January 2023", "5. Januar 2023"),
    ],
)
def test_format_at_the_dates_own_precision(date, sv, en, de):
    assert date.format("sv") == sv
    assert date.format("en") == en
    assert date.format("de") == de
    assert date.format() == sv


def test_format_day_formats_a_full_date():
    assert format_day(dt.date(2022, 5, 30), "sv") == "30 maj 2022"
    assert format_day(dt.date(2022, 5, 30), "en") == "30 May 2022"
    assert format_day(dt.date(2022, 5, 30), "de") == "30. Mai 2022"


def test_str_is_the_contract_text():
    assert str(PartialDate(2020, 5)) == "2020-05"
    assert str(PartialDate(2020, 5, 3)) == "2020-05-03"


@pytest.mark.parametrize(
    ("date", "start", "end"),
    [
        (PartialDate(2024, 2), dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (PartialDate(2023, 2), dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
        (PartialDate(2000, 2), dt.date(2000, 2, 1), dt.date(2000, 2, 29)),
        (PartialDate(1900, 2), dt.date(1900, 2, 1), dt.date(1900, 2, 28)),
        (PartialDate(2020, 4), dt.date(2020, 4, 1), dt.date(2020, 4, 30)),
        (PartialDate(2020, 12), dt.date(2020, 12, 1), dt.date(2020, 12, 31)),
        (PartialDate(2019), dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
        (PartialDate(2022, 5, 30), dt.date(2022, 5, 30), dt.date(2022, 5, 30)),
    ],
)
def test_span_runs_from_the_first_to_the_last_day(date, start, end):
    assert date.start == start
    assert date.end == end
    assert date.span == (start, end)


def test_a_partial_date_sorts_at_the_start_of_its_span():
    assert PartialDate(2020, 6) > PartialDate(2020, 5, 31)
    assert PartialDate(2020, 5) < PartialDate(2020, 5, 2)
    assert PartialDate(2021) > PartialDate(2020, 12, 31)
    assert PartialDate(2021) < PartialDate(2021, 1, 2)


def test_on_a_tie_the_year_comes_before_the_month_before_the_day():
    day, month, year = PartialDate(2020, 1, 1), PartialDate(2020, 1), PartialDate(2020)
    assert sorted([day, month, year]) == [year, month, day]
    assert year < month < day
    assert year != month != day
    assert not day < year


def test_a_partial_date_does_not_compare_with_other_types():
    with pytest.raises(TypeError):
        _ = PartialDate(2020) < dt.date(2020, 1, 1)


def test_sorting_a_mixed_list():
    dates = [PartialDate.parse(t) for t in ("2022-05-30", "2019", "2022-05", "2020", "2020-05")]
    assert [d.isoformat() for d in sorted(dates)] == [
        "2019", "2020", "2020-05", "2022-05", "2022-05-30",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2020, 1, 15), dt.date(2020, 2, 14), 0),
        (dt.date(2020, 1, 15), dt.date(2020, 2, 15), 1),
        (dt.date(2020, 5, 1), dt.date(2022, 5, 1), 24),
        (dt.date(2022, 5, 1), dt.date(2020, 5, 1), 0),
        # A month after 31 January is the end of February, as people count it.
        (dt.date(2020, 1, 31), dt.date(2020, 2, 29), 1),
        (dt.date(2023, 1, 31), dt.date(2023, 2, 28), 1),
        (dt.date(2023, 1, 31), dt.date(2023, 2, 27), 0),
        (dt.date(2023, 3, 31), dt.date(2023, 4, 30), 1),
        (dt.date(2023, 3, 31), dt.date(2023, 5, 30), 1),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), 12),
    ],
)
def test_months_between_counts_whole_calendar_months(start, end, months):
    assert months_between(start, end) == months


def test_the_year_0999_is_refused_naming_the_supported_years():
    with pytest.raises(ValueError, match="'0999-05' is outside the years dossier reads, 1000 to 9999"):
        PartialDate.parse("0999-05")
    with pytest.raises(ValueError, match="outside the years dossier reads, 1000 to 9999"):
        add_months(dt.date(9999, 11, 30), 2)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2023, 1, 10), 6, dt.date(2023, 7, 10)),
        (dt.date(2023, 11, 30), 3, dt.date(2024, 2, 29)),
        (dt.date(2023, 3, 15), -3, dt.date(2022, 12, 15)),
    ],
)
def test_add_months_clamps_to_the_last_day(day, months, expected):
    assert add_months(day, months) == expected


@st.composite
def partial_dates(draw) -> PartialDate:
    day = draw(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return PartialDate.from_date(day)


@settings(max_examples=200, deadline=None)
@given(partial_dates())
def test_parse_round_trips_isoformat(date):
    text = date.isoformat()
    assert PartialDate.parse(text) == date
    assert len(text) == {"year": 4, "month": 7, "day": 10}[date.precision]


@settings(max_examples=100, deadline=None)
@given(partial_dates())
def test_format_shows_exactly_the_known_parts(date):
    if date.precision == "year":
        expected = {"sv": str(date.year), "en": str(date.year), "de": str(date.year)}
    elif date.precision == "month":
        expected = {
            "sv": f"{SV_MONTHS[date.month - 1]} {date.year}",
            "en": f"{EN_MONTHS[date.month - 1]} {date.year}",
            "de": f"{DE_MONTHS[date.month - 1]} {date.year}",
        }
    else:
        expected = {
            "sv": f"{date.day} {SV_MONTHS[date.month - 1]} {date.year}",
            "en": f"{date.day} {EN_MONTHS[date.month - 1]} {date.year}",
            "de": f"{date.day}. {DE_MONTHS[date.month - 1]} {date.year}",
        }
    for lang, said in expected.items():
        assert date.format(lang) == said


@settings(max_examples=100, deadline=None)
@given(partial_dates(), partial_dates())
def test_order_follows_span_start_then_precision(a, b):
    rank = {"year": 0, "month": 1, "day": 2}
    assert (a < b) == ((a.start, rank[a.precision]) < (b.start, rank[b.precision]))
    assert a.start <= a.end


DAYS = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9998, 12, 31))


@settings(max_examples=300, deadline=None)
@given(DAYS, DAYS)
def test_months_between_and_add_months_agree(start, end):
    # The count is the most whole months that fit: one more would pass the end.
    months = months_between(start, end)
    if end < start:
        assert months == 0
        return
    assert add_months(start, months) <= end
    assert add_months(start, months + 1) > end


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9899, 12, 31)),
       st.integers(min_value=0, max_value=1200))  # fmt: skip
def test_adding_months_then_counting_them_gives_them_back(start, months):
    assume(start.year * 12 + start.month - 1 + months < (LAST_YEAR + 1) * 12)
    later = add_months(start, months)
    assert months_between(start, later) == months
    # Clamped to the month's end, the day never moves past the start's day of the month.
    assert later.day == start.day or (
        later.day < start.day and (later + dt.timedelta(days=1)).day == 1
    )


@settings(max_examples=200, deadline=None)
@given(DAYS, DAYS, DAYS)
def test_months_between_grows_with_the_end_and_shrinks_with_the_start(a, b, c):
    first, middle, last = sorted((a, b, c))
    assert months_between(first, middle) <= months_between(first, last)
    assert months_between(middle, last) <= months_between(first, last)
