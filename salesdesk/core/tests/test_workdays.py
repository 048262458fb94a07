"""The working-day calendar: the table's exceptions over Monday–Friday, seeded from holidays.China
where missing, never overwriting the admin's rows; one query per question."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from salesdesk.core import calendar
from salesdesk.core.lib import workdays
from salesdesk.core.models import CalendarDay
from salesdesk.core.testing.queries import query_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2026():
    CalendarDay.objects.filter(day__year__in=[2026, 2027]).delete()  # whatever migrate seeded
    calendar.seed_year(2026)


def test_a_make_up_saturday_is_a_working_day(year_2026):
    assert workdays.is_working_day(date(2026, 2, 14))  # 补班 before the Spring Festival


def test_a_holiday_monday_is_not_a_working_day(year_2026):
    assert not workdays.is_working_day(date(2026, 10, 5))  # National Day break


def test_an_ordinary_weekday_and_weekend_follow_the_working_week(year_2026):
    assert workdays.is_working_day(date(2026, 3, 9)) and not workdays.is_working_day(date(2026, 3, 7))


def test_next_working_day_jumps_the_spring_festival_break(year_2026):
    assert workdays.next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)


def test_previous_working_day_before_the_day_after_national_day_is_september_30(year_2026):
    assert workdays.previous_working_day(date(2026, 10, 8)) == date(2026, 9, 30)


def test_working_days_between_counts_a_year_as_published(year_2026):
    assert workdays.working_days_between(date(2026, 1, 1), date(2026, 12, 31)) == 248  # DOMAIN.md §5


def test_first_working_day_of_october_is_after_the_break(year_2026):
    assert workdays.first_working_day_of_month(date(2026, 10, 15)) == date(2026, 10, 8)


@pytest.mark.parametrize("ask", [
    lambda: workdays.is_working_day(date(2026, 2, 14)),
    lambda: workdays.next_working_day(date(2026, 2, 14)),
    lambda: workdays.previous_working_day(date(2026, 10, 8)),
    lambda: workdays.working_days_between(date(2026, 1, 1), date(2026, 12, 31)),
    lambda: workdays.first_working_day_of_month(date(2026, 10, 1)),
], ids=["is", "next", "previous", "between", "first-of-month"])
def test_each_question_runs_one_query(year_2026, ask):
    with query_budget(1):
        ask()


def test_an_admins_edit_counts_from_the_next_call(year_2026, personas):
    assert workdays.is_working_day(date(2026, 3, 9))
    calendar.save_day(actor=personas["admin"], day=date(2026, 3, 9), is_workday=False, name="公司停电")

    assert not workdays.is_working_day(date(2026, 3, 9))


def test_seeding_never_overwrites_a_year_that_has_rows(personas):
    CalendarDay.objects.filter(day__year=2026).delete()
    calendar.save_day(actor=personas["admin"], day=date(2026, 10, 1), is_workday=True, name="公司值班")

    result = calendar.seed_year(2026)

    assert result.skipped == "exists" and list(CalendarDay.objects.filter(day__year=2026).values_list(
        "day", "is_workday", "source")) == [(date(2026, 10, 1), True, "manual")]


def test_seeding_writes_the_exceptions_with_their_chinese_names():
    CalendarDay.objects.filter(day__year=2026).delete()

    calendar.seed_year(2026)

    rows = {r.day: r for r in CalendarDay.objects.filter(day__year=2026)}
    assert rows[date(2026, 2, 14)].is_workday and rows[date(2026, 2, 14)].source == "holidays"
    assert rows[date(2026, 10, 1)].name == "国庆节" and not rows[date(2026, 10, 1)].is_workday
    assert date(2026, 10, 3) not in rows  # a holiday on a Saturday is no exception to the working week


def test_a_year_without_its_published_arrangement_is_not_seeded():
    CalendarDay.objects.filter(day__year=2027).delete()

    result = calendar.seed_year(2027)

    assert result.skipped == "unpublished" and not CalendarDay.objects.filter(day__year=2027).exists()


def test_statutory_only_seeds_the_holidays_of_an_unpublished_year():
    CalendarDay.objects.filter(day__year=2027).delete()

    calendar.seed_year(2027, statutory_only=True)

    assert not workdays.is_working_day(date(2027, 1, 1))  # 元旦, a Friday
    assert not CalendarDay.objects.filter(day__year=2027, is_workday=True).exists()


def test_the_command_seeds_the_given_years_and_says_what_it_did():
    CalendarDay.objects.filter(day__year__in=[2025, 2026, 2027]).delete()
    out = StringIO()

    call_command("seed_calendar", "--years", "2025", "2026", "2027", stdout=out)

    text = out.getvalue()
    assert re.search(r"^2025: \d+ days seeded", text, re.M) and re.search(r"^2026: \d+ days seeded", text, re.M)
    assert CalendarDay.objects.filter(day__year=2025, is_workday=True).exists()
    assert "2027: holidays.China has no 调休" in text


@time_machine.travel(date(2026, 3, 1), tick=False)
def test_after_migrate_this_year_is_seeded_where_missing_and_kept_where_present(personas):
    CalendarDay.objects.filter(day__year=2026).delete()
    calendar.seed_after_migrate()
    seeded = CalendarDay.objects.filter(day__year=2026).count()
    calendar.save_day(actor=personas["admin"], day=date(2026, 3, 9), is_workday=False, name="停电")

    calendar.seed_after_migrate()

    assert seeded > 20 and CalendarDay.objects.filter(day__year=2026).count() == seeded + 1


def test_a_clerk_may_not_edit_the_calendar(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        calendar.save_day(actor=personas["clerk"], day=date(2026, 3, 9), is_workday=False)
    assert not CalendarDay.objects.filter(day=date(2026, 3, 9)).exists()
