"""The working-week rules over a table of exceptions, without a database."""

from __future__ import annotations

from datetime import date

from salesdesk.core.lib.workdays import WorkWeek

# 2026 (as published): Sat 2/14 and Sat 2/28 are 补班; 2/16–2/20 and Mon 2/23 are off; Mon 10/5 is off.
SPRING = {
    date(2026, 2, 14): True, date(2026, 2, 16): False, date(2026, 2, 17): False, date(2026, 2, 18): False,
    date(2026, 2, 19): False, date(2026, 2, 20): False, date(2026, 2, 23): False, date(2026, 2, 28): True,
}
WEEK = WorkWeek(SPRING | {date(2026, 10, 5): False, date(2026, 10, 1): False, date(2026, 10, 2): False})


def test_without_exceptions_monday_to_friday_work():
    plain = WorkWeek()
    assert [plain.is_working_day(date(2026, 3, d)) for d in range(9, 16)] == [True] * 5 + [False] * 2


def test_a_make_up_saturday_is_a_working_day():
    assert WEEK.is_working_day(date(2026, 2, 14))


def test_a_holiday_monday_is_not_a_working_day():
    assert not WEEK.is_working_day(date(2026, 10, 5))


def test_next_working_day_skips_the_spring_festival_break():
    assert WEEK.next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)


def test_next_working_day_after_a_friday_can_be_a_make_up_saturday():
    assert WEEK.next_working_day(date(2026, 2, 27)) == date(2026, 2, 28)


def test_previous_working_day_of_a_tuesday_after_a_holiday_monday_is_the_friday_before():
    assert WEEK.previous_working_day(date(2026, 10, 6)) == date(2026, 9, 30)


def test_working_days_between_counts_both_ends_and_the_exceptions():
    # Feb 9–28 2026: 10 plain weekdays 9–13 & 24–27 (9), the 补班 Saturdays 14 and 28 (2), none in 16–23
    assert WEEK.working_days_between(date(2026, 2, 9), date(2026, 2, 28)) == 11


def test_working_days_between_an_empty_range_is_zero():
    assert WEEK.working_days_between(date(2026, 3, 2), date(2026, 3, 1)) == 0


def test_first_working_day_of_a_month_starting_on_a_holiday():
    assert WEEK.first_working_day_of_month(date(2026, 10, 20)) == date(2026, 10, 6)
