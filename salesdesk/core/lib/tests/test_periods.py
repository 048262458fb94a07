from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.core.lib.periods import (
    PERIOD_KINDS,
    Period,
    day,
    five_day,
    month,
    parse_month,
    period_for,
    previous,
    quarter,
    same_period_last_year,
    time_progress,
    year,
)


def P(start: str, end: str) -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end))


def test_day_is_the_date_itself():
    assert day(date(2026, 3, 7)) == P("2026-03-07", "2026-03-07")


@pytest.mark.parametrize(
    ("d", "start", "end"),
    [
        ("2026-03-01", "2026-03-01", "2026-03-05"),
        ("2026-03-05", "2026-03-01", "2026-03-05"),
        ("2026-03-06", "2026-03-06", "2026-03-10"),
        ("2026-03-15", "2026-03-11", "2026-03-15"),
        ("2026-03-16", "2026-03-16", "2026-03-20"),
        ("2026-03-25", "2026-03-21", "2026-03-25"),
        ("2026-03-26", "2026-03-26", "2026-03-31"),
        ("2026-03-31", "2026-03-26", "2026-03-31"),
    ],
)
def test_five_day_pentads_of_a_31_day_month(d, start, end):
    assert five_day(date.fromisoformat(d)) == P(start, end)


@pytest.mark.parametrize(
    ("d", "start", "end", "days"),
    [
        ("2026-02-26", "2026-02-26", "2026-02-28", 3),  # common year
        ("2026-02-28", "2026-02-26", "2026-02-28", 3),
        ("2024-02-26", "2024-02-26", "2024-02-29", 4),  # leap year
        ("2024-02-29", "2024-02-26", "2024-02-29", 4),
        ("2026-04-30", "2026-04-26", "2026-04-30", 5),
        ("2026-12-31", "2026-12-26", "2026-12-31", 6),
    ],
)
def test_last_pentad_runs_from_the_26th_to_month_end(d, start, end, days):
    period = five_day(date.fromisoformat(d))
    assert period == P(start, end)
    assert period.days == days


def test_month_in_february_of_a_leap_year():
    assert month(date(2024, 2, 10)) == P("2024-02-01", "2024-02-29")


@pytest.mark.parametrize(
    ("d", "start", "end"),
    [
        ("2026-01-01", "2026-01-01", "2026-03-31"),
        ("2026-03-31", "2026-01-01", "2026-03-31"),
        ("2026-04-01", "2026-04-01", "2026-06-30"),
        ("2026-06-30", "2026-04-01", "2026-06-30"),
        ("2026-07-01", "2026-07-01", "2026-09-30"),
        ("2026-10-01", "2026-10-01", "2026-12-31"),
        ("2026-12-31", "2026-10-01", "2026-12-31"),
    ],
)
def test_quarter_edges(d, start, end):
    assert quarter(date.fromisoformat(d)) == P(start, end)


@pytest.mark.parametrize("d", ["2026-01-01", "2026-12-31"])
def test_year_edges(d):
    assert year(date.fromisoformat(d)) == P("2026-01-01", "2026-12-31")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("day", P("2026-11-18", "2026-11-18")),
        ("five_day", P("2026-11-16", "2026-11-20")),
        ("month", P("2026-11-01", "2026-11-30")),
        ("quarter", P("2026-10-01", "2026-12-31")),
        ("year", P("2026-01-01", "2026-12-31")),
    ],
)
def test_period_for_dispatches_on_kind(kind, expected):
    assert period_for(kind, date(2026, 11, 18)) == expected


@pytest.mark.parametrize("kind", ["week", "Month", ""])
def test_period_for_refuses_unknown_kind(kind):
    with pytest.raises(ValueError):
        period_for(kind, date(2026, 11, 18))


@pytest.mark.parametrize(
    ("kind", "d", "expected"),
    [
        ("day", "2026-01-01", P("2025-12-31", "2025-12-31")),
        ("five_day", "2024-03-03", P("2024-02-26", "2024-02-29")),
        ("five_day", "2026-03-08", P("2026-03-01", "2026-03-05")),
        ("month", "2026-01-15", P("2025-12-01", "2025-12-31")),
        ("month", "2026-03-31", P("2026-02-01", "2026-02-28")),
        ("quarter", "2026-02-10", P("2025-10-01", "2025-12-31")),
        ("year", "2026-06-01", P("2025-01-01", "2025-12-31")),
    ],
)
def test_previous_period(kind, d, expected):
    assert previous(kind, date.fromisoformat(d)) == expected


@pytest.mark.parametrize(
    ("kind", "d", "expected"),
    [
        ("day", "2024-02-29", P("2023-02-28", "2023-02-28")),
        ("five_day", "2024-02-29", P("2023-02-26", "2023-02-28")),
        ("month", "2024-02-29", P("2023-02-01", "2023-02-28")),
        ("five_day", "2025-02-27", P("2024-02-26", "2024-02-29")),
        ("quarter", "2026-11-18", P("2025-10-01", "2025-12-31")),
        ("year", "2026-11-18", P("2025-01-01", "2025-12-31")),
    ],
)
def test_same_period_last_year(kind, d, expected):
    assert same_period_last_year(kind, date.fromisoformat(d)) == expected


def test_parse_month_gives_the_first_day():
    assert parse_month("2026-11") == date(2026, 11, 1)


@pytest.mark.parametrize(
    "raw", ["2026-1", "2026-13", "2026-00", "2026/11", "26-11", "2026-11-01", " 2026-11", "", None]
)
def test_parse_month_refuses_anything_but_yyyy_mm(raw):
    with pytest.raises(ValueError):
        parse_month(raw)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-15", "0.5000"),
        ("2026-11-10", "0.3333"),
        ("2026-11-20", "0.6667"),
        ("2026-11-01", "0.0333"),
        ("2026-11-30", "1.0000"),
        ("2026-12-05", "1.0000"),
        ("2026-10-31", "0.0000"),
    ],
)
def test_time_progress_counts_as_of_as_elapsed(as_of, expected):
    progress = time_progress(month(date(2026, 11, 1)), date.fromisoformat(as_of))
    assert str(progress) == expected
    assert progress == Decimal(expected)


def test_datetime_is_refused_so_the_caller_picks_the_local_day():
    with pytest.raises(TypeError):
        five_day(datetime(2026, 11, 18, 23, 30))


def test_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        P("2026-11-02", "2026-11-01")


def test_period_contains_both_ends():
    period = five_day(date(2026, 2, 27))
    assert date(2026, 2, 26) in period
    assert date(2026, 2, 28) in period
    assert date(2026, 3, 1) not in period


@given(d=st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31)), kind=st.sampled_from(PERIOD_KINDS))
def test_periods_contain_their_date_and_follow_the_previous_one(d, kind):
    current = period_for(kind, d)
    assert d in current
    assert previous(kind, d).end + timedelta(days=1) == current.start
