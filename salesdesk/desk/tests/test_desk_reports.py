"""Scheduled reports on the clerk's desk: today's deliveries by schedule with their counts, resending
an uncertain or failed one in place, the 16:00 draft of the daily report with its preview and the
"checked — send now" button, the working days whose daily report never went out (missed_days),
late deliveries marked 迟发, and the HR total waiting for her check."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from salesdesk.core.lib.workdays import WorkWeek
from salesdesk.core.models import OutboxMessage
from salesdesk.desk import queries
from salesdesk.reports import deliveries
from salesdesk.reports.models import DeliveryStatus, ReportCheck, ReportDelivery, ReportSchedule

from . import factories

pytestmark = pytest.mark.django_db

FRIDAY = date(2026, 11, 27)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def daily(personas):
    schedule = ReportSchedule.objects.get(code="daily_performance")
    ReportSchedule.objects.filter(pk=schedule.pk).update(created_at=local(2026, 11, 2, 0, 0))
    schedule.refresh_from_db()
    return schedule


def sent_days(schedule, recipient, days) -> None:
    for day in days:
        factories.delivery(schedule, day.isoformat(), recipient)


# --- missed_days ------------------------------------------------------------------------------------------


def test_missed_days_lists_the_working_days_before_today_with_no_delivery_at_all(daily, personas):
    week = WorkWeek({date(2026, 11, 11): False, date(2026, 11, 14): True})  # a holiday, a make-up Saturday
    every = [date(2026, 11, 2) + timedelta(days=i) for i in range(25)]
    outage = {date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)}
    sent_days(daily, personas["gm"], [d for d in every if week.is_working_day(d) and d not in outage])
    # after the outage the scheduler sent only the latest missed day, late
    factories.delivery(daily, "2026-11-20", personas["gm"], late=True)

    missed = queries.missed_days(daily, FRIDAY, week)

    assert missed == [date(2026, 11, 18), date(2026, 11, 19)]


def test_a_make_up_saturday_without_a_report_is_missed_and_a_holiday_is_not(daily, personas):
    week = WorkWeek({date(2026, 11, 11): False, date(2026, 11, 14): True})
    every = [date(2026, 11, 2) + timedelta(days=i) for i in range(25)]
    sent_days(daily, personas["gm"], [d for d in every if d.weekday() < 5 and d != date(2026, 11, 11)])

    assert queries.missed_days(daily, FRIDAY, week) == [date(2026, 11, 14)]


def test_days_before_the_schedule_existed_are_not_missed(daily, personas):
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=local(2026, 11, 25, 17, 0))  # after that day's 16:50
    daily.refresh_from_db()

    assert queries.missed_days(daily, FRIDAY, WorkWeek()) == [date(2026, 11, 26)]


def test_missed_days_look_back_31_days_only(daily):
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=local(2026, 6, 1, 0, 0))
    daily.refresh_from_db()

    missed = queries.missed_days(daily, FRIDAY, WorkWeek())

    assert missed[0] == date(2026, 10, 27) and missed[-1] == date(2026, 11, 26) and len(missed) == 23


def test_a_day_sent_by_hand_only_is_not_missed(daily, personas):
    sent_days(daily, personas["gm"], [])
    factories.delivery(daily, "2026-11-26", personas["gm"], manual=True)

    assert date(2026, 11, 26) not in queries.missed_days(daily, FRIDAY, WorkWeek())


@time_machine.travel(local(2026, 11, 27, 9, 0), tick=False)
def test_the_desk_lists_the_missed_days_with_a_send_now_hint(as_user, daily, personas):
    sent_days(daily, personas["gm"], [date(2026, 11, 2) + timedelta(days=i) for i in range(25)
                                      if date(2026, 11, 2) + timedelta(days=i) not in (date(2026, 11, 24), date(2026, 11, 25))])

    response = as_user("clerk").get("/")

    assert response.context["reports"].missed == [date(2026, 11, 24), date(2026, 11, 25)]
    html = response.content.decode()
    assert 'id="reports-missed"' in html and "?period=day&amp;date=2026-11-24" in html
    assert reverse("report_schedule", args=[daily.pk]) in html


# --- today's deliveries --------------------------------------------------------------------------------


@time_machine.travel(local(2026, 11, 27, 10, 0), tick=False)
def test_todays_deliveries_are_grouped_by_schedule_with_a_count_per_status(as_user, daily, personas):
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=local(2026, 11, 27, 0, 0))  # no missed days
    factories.deliveries(personas)
    factories.delivery(daily, "2026-11-26", personas["gm"], status="sent",  # yesterday's, sent yesterday: not today's
                       sent_at=local(2026, 11, 26, 16, 50))
    ReportDelivery.objects.filter(period="2026-11-26").update(created_at=local(2026, 11, 26, 16, 0))

    reports = as_user("clerk").get("/").context["reports"]

    counts = {g.schedule.code: {k: v for k, v in g.counts.items() if v} for g in reports.groups}
    assert counts == {"daily_performance": {"sent": 2}, "five_day": {"uncertain": 1}, "monthly": {"failed": 1}}
    assert [g.late for g in reports.groups] == [1, 0, 0]
    assert reports.count == 2  # the failed and the uncertain ask for her


@time_machine.travel(local(2026, 11, 27, 10, 0), tick=False)
def test_a_failed_or_uncertain_delivery_of_an_earlier_day_stays_on_the_desk(as_user, daily, personas):
    old = factories.delivery(daily, "2026-11-20", personas["gm"], status="uncertain")
    ReportDelivery.objects.filter(pk=old.pk).update(created_at=local(2026, 11, 20, 16, 0))

    reports = as_user("clerk").get("/").context["reports"]

    assert [d.pk for g in reports.groups for d in g.rows] == [old.pk]


@time_machine.travel(local(2026, 11, 27, 10, 0), tick=False)
def test_each_sent_delivery_links_to_its_kept_rendering_and_late_ones_say_so(as_user, daily, personas):
    factories.deliveries(personas)
    sent = ReportDelivery.objects.filter(status="sent").order_by("id")

    html = as_user("clerk").get("/").content.decode()

    for d in sent:
        assert reverse("report_delivery", args=[d.pk]) in html
    late_row = html[html.index(f'id="delivery-{sent[1].pk}"'):]
    assert "迟发" in late_row[:late_row.index("</li>")]


@time_machine.travel(local(2026, 11, 27, 10, 0), tick=False)
def test_the_clerk_resends_an_uncertain_delivery_in_place(as_user, daily, personas):
    factories.deliveries(personas)
    uncertain = ReportDelivery.objects.get(status="uncertain")
    html = as_user("clerk").get("/").content.decode()
    assert f'hx-post="{reverse("desk_delivery_resend", args=[uncertain.pk])}"' in html

    response = as_user("clerk").post(reverse("desk_delivery_resend", args=[uncertain.pk]), HTTP_HX_REQUEST="true")

    uncertain.refresh_from_db()
    assert response.status_code == 200 and 'id="desk-reports"' in response.content.decode()
    assert "toast" in response["HX-Trigger"]
    assert uncertain.status == DeliveryStatus.SENT and uncertain.note.startswith("由")
    assert OutboxMessage.objects.filter(kind="mail", payload__message_id=uncertain.message_id).count() == 1


def test_only_the_clerk_may_resend_from_the_desk(as_user, daily, personas):
    factories.deliveries(personas)
    uncertain = ReportDelivery.objects.get(status="uncertain")

    response = as_user("finance").post(reverse("desk_delivery_resend", args=[uncertain.pk]), HTTP_HX_REQUEST="true")

    uncertain.refresh_from_db()
    assert response.status_code == 403 and uncertain.status == DeliveryStatus.UNCERTAIN
    assert not OutboxMessage.objects.filter(kind="mail").exists()


def test_a_sent_delivery_is_not_resent_from_the_desk(as_user, daily, personas):
    factories.deliveries(personas)
    sent = ReportDelivery.objects.filter(status="sent").first()

    response = as_user("clerk").post(reverse("desk_delivery_resend", args=[sent.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "只能重发" in json.loads(response["HX-Trigger"])["toast"]["message"]
    assert not OutboxMessage.objects.filter(kind="mail").exists()


# --- the daily report draft ------------------------------------------------------------------------------


def _draft(daily, at: datetime):
    return deliveries.plan_deliveries(daily, FRIDAY.isoformat(), now=at)


@time_machine.travel(local(2026, 11, 27, 15, 30), tick=False)
def test_before_16_00_the_desk_says_when_the_daily_report_is_drafted(as_user, daily):
    html = as_user("clerk").get("/").content.decode()

    assert 'id="reports-draft-waiting"' in html and "16:00" in html and 'id="reports-draft"' not in html


@time_machine.travel(local(2026, 11, 27, 16, 5), tick=False)
def test_from_16_00_the_drafted_daily_report_shows_with_a_preview_and_a_send_button(as_user, daily, personas):
    factories.month(personas, "sales1", FRIDAY)
    _draft(daily, timezone.now())

    response = as_user("clerk").get("/")

    draft = response.context["reports"].draft
    assert draft.key == "2026-11-27" and {d.recipient.username for d in draft.drafts} == {"gm", "finance"}
    labels = [row.label for row in draft.top_rows]  # the clerk sees every salesperson
    assert {personas[u].display_name for u in ("sales1", "sales2", "sales3")} <= set(labels)
    html = response.content.decode()
    assert 'id="draft-preview"' in html
    assert f'hx-post="{reverse("desk_send_drafts", args=[daily.pk, "2026-11-27"])}"' in html
    assert "/reports/sales/?period=day&amp;date=2026-11-27" in html


@time_machine.travel(local(2026, 11, 27, 16, 5), tick=False)
def test_checked_and_sent_from_the_desk_the_drafts_go_before_16_50(as_user, daily, personas):
    _draft(daily, timezone.now())

    response = as_user("clerk").post(reverse("desk_send_drafts", args=[daily.pk, "2026-11-27"]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "toast" in response["HX-Trigger"]
    assert set(ReportDelivery.objects.filter(schedule=daily).values_list("status", "late")) == {("sent", False)}
    assert OutboxMessage.objects.filter(kind="mail").count() == 2
    html = response.content.decode()
    assert 'id="reports-draft"' not in html and "已发送 2" in html


def test_only_the_clerk_sends_the_drafts(as_user, daily, personas):
    _draft(daily, timezone.now())

    response = as_user("gm").post(reverse("desk_send_drafts", args=[daily.pk, "2026-11-27"]), HTTP_HX_REQUEST="true")

    assert response.status_code == 403
    assert set(ReportDelivery.objects.filter(schedule=daily).values_list("status", flat=True)) == {"pending"}
    assert not OutboxMessage.objects.filter(kind="mail").exists()


def test_a_malformed_period_key_is_not_found(as_user, daily):
    response = as_user("clerk").post(reverse("desk_send_drafts", args=[daily.pk, "yesterday"]))

    assert response.status_code == 404


# --- the HR total waiting for the clerk's check ----------------------------------------------------------


@time_machine.travel(local(2026, 11, 2, 10, 0), tick=False)
def test_last_months_hr_total_waits_on_the_desk_until_checked(as_user, personas):
    hr = ReportSchedule.objects.get(code="hr_monthly_total")
    factories.delivery(hr, "2026-10", personas["hr"], status="pending")
    client = as_user("clerk")

    html = client.get("/").content.decode()
    assert "上月业绩待核对" in html and reverse("report_schedule_check", args=(hr.pk, "2026-10")) in html

    ReportCheck.objects.create(schedule=hr, period="2026-10", checked_by=personas["clerk"], checked_at=timezone.now())
    assert "上月业绩待核对" not in client.get("/").content.decode()


@time_machine.travel(local(2026, 11, 27, 16, 5), tick=False)
def test_drafts_of_a_schedule_that_needs_a_check_are_not_sent_from_the_desk_before_it(as_user, daily, personas):
    ReportSchedule.objects.filter(pk=daily.pk).update(needs_check=True)
    _draft(daily, timezone.now())

    response = as_user("clerk").post(reverse("desk_send_drafts", args=[daily.pk, "2026-11-27"]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "核对" in json.loads(response["HX-Trigger"])["toast"]["message"]
    assert set(ReportDelivery.objects.filter(schedule=daily).values_list("status", flat=True)) == {"pending"}
    assert not OutboxMessage.objects.filter(kind="mail").exists()
