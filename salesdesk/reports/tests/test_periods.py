"""Report periods at their edges: five-day periods ending on the 28th, 29th, 30th and 31st, quarter and
year edges, leap years, the previous period and the same period last year, time progress and the
targets' month share; with hypothesis, periods tile the calendar."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.reports.periods import KINDS, growth, growth_text, prorate, rate, report_period


def _range(kind: str, d: str) -> tuple[str, str]:
    p = report_period(kind, date.fromisoformat(d))
    return p.start.isoformat(), p.end.isoformat()


@pytest.mark.parametrize(("d", "start", "end", "days"), [
    ("2026-02-26", "2026-02-26", "2026-02-28", 3),  # common February: 26–28
    ("2024-02-29", "2024-02-26", "2024-02-29", 4),  # leap February: 26–29
    ("2026-04-27", "2026-04-26", "2026-04-30", 5),  # 30-day month: 26–30
    ("2026-12-31", "2026-12-26", "2026-12-31", 6),  # 31-day month: 26–31
    ("2026-12-25", "2026-12-21", "2026-12-25", 5),
    ("2026-03-01", "2026-03-01", "2026-03-05", 5),
    ("2026-03-10", "2026-03-06", "2026-03-10", 5),
])
def test_five_day_periods_and_the_last_one_runs_to_month_end(d, start, end, days):
    p = report_period("five_day", date.fromisoformat(d))

    assert (p.start.isoformat(), p.end.isoformat(), p.days) == (start, end, days)


@pytest.mark.parametrize(("d", "previous"), [
    ("2024-03-03", ("2024-02-26", "2024-02-29")),  # back into a leap February's last pentad
    ("2026-03-03", ("2026-02-26", "2026-02-28")),
    ("2026-01-02", ("2025-12-26", "2025-12-31")),  # across the year
    ("2026-02-26", ("2026-02-21", "2026-02-25")),
])
def test_the_previous_five_day_period(d, previous):
    p = report_period("five_day", date.fromisoformat(d)).previous()

    assert (p.start.isoformat(), p.end.isoformat()) == previous


@pytest.mark.parametrize(("kind", "d", "expected"), [
    ("quarter", "2026-03-31", ("2026-01-01", "2026-03-31")),
    ("quarter", "2026-04-01", ("2026-04-01", "2026-06-30")),
    ("quarter", "2026-09-30", ("2026-07-01", "2026-09-30")),
    ("quarter", "2026-10-01", ("2026-10-01", "2026-12-31")),
    ("year", "2026-12-31", ("2026-01-01", "2026-12-31")),
    ("year", "2027-01-01", ("2027-01-01", "2027-12-31")),
    ("month", "2024-02-29", ("2024-02-01", "2024-02-29")),
    ("month", "2100-02-15", ("2100-02-01", "2100-02-28")),  # 2100 is not a leap year
])
def test_quarter_year_and_month_edges(kind, d, expected):
    assert _range(kind, d) == expected


@pytest.mark.parametrize(("kind", "d", "expected"), [
    ("day", "2024-02-29", ("2023-02-28", "2023-02-28")),  # a leap day compares with the 28th
    ("five_day", "2024-02-27", ("2023-02-26", "2023-02-28")),  # 26–29 compares with 26–28
    ("five_day", "2025-02-27", ("2024-02-26", "2024-02-29")),
    ("month", "2024-02-10", ("2023-02-01", "2023-02-28")),
    ("quarter", "2026-01-01", ("2025-01-01", "2025-03-31")),
    ("year", "2026-06-30", ("2025-01-01", "2025-12-31")),
])
def test_the_same_period_last_year(kind, d, expected):
    p = report_period(kind, date.fromisoformat(d)).last_year()

    assert (p.start.isoformat(), p.end.isoformat()) == expected


@pytest.mark.parametrize(("kind", "d", "today", "progress"), [
    ("month", "2026-11-01", "2026-11-15", "0.5000"),
    ("month", "2026-11-01", "2026-10-31", "0.0000"),  # not begun
    ("month", "2026-11-01", "2026-12-01", "1.0000"),  # over
    ("five_day", "2024-02-26", "2024-02-27", "0.5000"),  # 2 of 4 days
    ("quarter", "2026-01-01", "2026-03-31", "1.0000"),
    ("year", "2024-01-01", "2024-02-29", "0.1639"),  # 60 of 366
    ("day", "2026-11-27", "2026-11-27", "1.0000"),
])
def test_time_progress_is_elapsed_days_over_period_days(kind, d, today, progress):
    p = report_period(kind, date.fromisoformat(d))

    assert p.time_progress(date.fromisoformat(today)) == Decimal(progress)


def test_short_periods_take_their_share_of_the_month_target():
    pentad = report_period("five_day", date(2024, 2, 27))  # 4 of 29 days

    assert prorate(Decimal("2900.00"), pentad.month_share()) == Decimal("400.00")
    assert report_period("quarter", date(2026, 5, 1)).month_share() == 1
    assert report_period("quarter", date(2026, 5, 1)).months == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]


def test_only_whole_months_read_the_rollups():
    assert [k for k in KINDS if report_period(k, date(2026, 11, 3)).reads_rollups] == ["month", "quarter", "year"]


def test_labels_name_the_period_as_people_say_it():
    labels = [report_period(k, date(2026, 11, 27)).label for k in KINDS]

    assert labels == ["2026年11月27日", "2026年11月第6期（26日—30日）", "2026年11月", "2026年第4季度", "2026年"]


def test_rates_and_growth_have_four_decimals_and_none_without_a_base():
    assert rate(Decimal("1"), Decimal("3")) == Decimal("0.3333")
    assert rate(Decimal("1"), Decimal("0")) is None and rate(Decimal("1"), None) is None
    assert growth(Decimal("50"), Decimal("-100")) == Decimal("1.5000")
    assert growth(Decimal("50"), Decimal("0")) is None


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(d=days, kind=st.sampled_from(KINDS))
def test_periods_contain_their_day_and_tile_the_calendar(d, kind):
    p = report_period(kind, d)

    assert d in p
    assert p.previous().end + timedelta(days=1) == p.start
    assert p.next().start == p.end + timedelta(days=1)
    assert report_period(kind, p.start) == p == report_period(kind, p.end)


@given(d=days, kind=st.sampled_from(KINDS))
def test_the_same_period_last_year_is_the_same_kind_one_year_back(d, kind):
    p, last = report_period(kind, d), report_period(kind, d).last_year()

    assert last.kind == kind and last.start.year == p.start.year - 1
    assert (last.start.month, min(last.start.day, 28)) == (p.start.month, min(p.start.day, 28))
    if kind != "day":
        assert abs(last.days - p.days) <= 1  # a leap February or a leap year


@given(d=days)
def test_five_day_periods_split_every_month_into_six(d):
    first = report_period("five_day", d.replace(day=1))
    pentads = [first]
    while pentads[-1].end.month == d.month and len(pentads) < 7:
        pentads.append(pentads[-1].next())

    inside = [p for p in pentads if p.start.month == d.month and p.start.year == d.year]
    assert [p.start.day for p in inside] == [1, 6, 11, 16, 21, 26]
    assert sum(p.days for p in inside) == report_period("month", d).days


# --- the API's text forms computed in integers equal the Decimal rules -----------------------------------

FEN_AMOUNTS = st.integers(min_value=-10**13, max_value=10**13)  # ±1,000 亿 yuan in fen


@given(current=FEN_AMOUNTS, before=FEN_AMOUNTS)
def test_growth_in_integers_is_the_decimal_growth_as_text(current, before):
    expected = growth(Decimal(current) / 100, Decimal(before) / 100)

    assert growth_text(current, before) == (None if expected is None else f"{expected:.4f}")


@pytest.mark.parametrize(("current", "before", "text"), [(3, 2, "0.5000"), (1, 3, "-0.6667"), (2, 3, "-0.3333"),
                                                        (-1, 2, "-1.5000"), (100001, 100000, "0.0000"),
                                                        (99999, 100000, "-0.0000"), (100005, 100000, "0.0001"),
                                                        (0, 5, "-1.0000"), (5, 0, None), (None, 5, None)])
def test_growth_text_rounds_half_up_and_keeps_the_sign(current, before, text):
    assert growth_text(current, before) == text


@given(FEN_AMOUNTS)
def test_money_from_fen_is_the_decimal_money_text(fen):
    from salesdesk.core.lib.money import from_fen
    from salesdesk.reports.json_out import _money, _yuan

    assert _yuan(fen) == _money(from_fen(fen))
