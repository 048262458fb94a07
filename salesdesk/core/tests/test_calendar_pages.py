"""The working-day calendar pages: listed by year with the year's working days; the admin adds,
edits and deletes days, and an edited day becomes manual."""

from __future__ import annotations

from datetime import date

import pytest

from salesdesk.core import calendar
from salesdesk.core.models import CalendarDay
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget

pytestmark = pytest.mark.django_db

# session, user, groups, the year's rows, then the frame (heartbeat, unread count)
CALENDAR_LIST_QUERIES = 6


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


@pytest.fixture
def year_2026():
    CalendarDay.objects.filter(day__year=2026).delete()
    calendar.seed_year(2026)


def test_the_list_shows_the_years_exceptions_and_its_working_days(as_user, year_2026):
    html = as_user("clerk").get("/core/calendar/?year=2026").content.decode()

    assert '<strong id="working-days">248</strong>' in html and "2026-02-14" in html and "国庆节" in html


def test_the_clerk_reads_but_gets_no_edit_buttons(as_user, year_2026):
    html = as_user("clerk").get("/core/calendar/?year=2026").content.decode()

    assert "/core/calendar/new/" not in html and "/delete/" not in html


def test_the_list_runs_a_fixed_number_of_queries(as_user, year_2026):
    from salesdesk.core.jobs import beat

    beat()
    client = as_user("admin")
    client.get("/core/calendar/?year=2030")
    with query_budget(CALENDAR_LIST_QUERIES):
        client.get("/core/calendar/?year=2030")
    with query_budget(CALENDAR_LIST_QUERIES):
        client.get("/core/calendar/?year=2026")


def test_the_admin_adds_a_day_off(as_user):
    response = as_user("admin").post("/core/calendar/new/", {"day": "2030-03-04", "is_workday": "0", "name": "停电检修"})

    row = CalendarDay.objects.get(day=date(2030, 3, 4))
    assert response.status_code == 302 and (row.is_workday, row.name, row.source) == (False, "停电检修", "manual")


def test_a_day_already_in_the_calendar_cannot_be_added_twice(as_user, year_2026):
    response = as_user("admin").post("/core/calendar/new/", {"day": "2026-10-01", "is_workday": "1", "name": "x"})

    assert response.status_code == 200 and not CalendarDay.objects.get(day=date(2026, 10, 1)).is_workday


def test_editing_a_seeded_day_makes_it_manual(as_user, year_2026):
    row = CalendarDay.objects.get(day=date(2026, 2, 14))

    as_user("admin").post(f"/core/calendar/{row.pk}/edit/", {"day": "2026-02-14", "is_workday": "0", "name": "取消补班"})

    row.refresh_from_db()
    assert (row.is_workday, row.source) == (False, "manual")


def test_deleting_a_day_returns_it_to_the_working_week(as_user, year_2026):
    row = CalendarDay.objects.get(day=date(2026, 10, 5))

    as_user("admin").post(f"/core/calendar/{row.pk}/delete/")

    assert not CalendarDay.objects.filter(day=date(2026, 10, 5)).exists()
