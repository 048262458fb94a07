"""Report schedules and deliveries: built-ins after migrate, send now, idempotent automatic sends,
crashed sends becoming uncertain, working days, and pinned query counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import CalendarDay, OutboxMessage
from salesdesk.core.testing.queries import query_budget
from salesdesk.reports import deliveries
from salesdesk.reports.models import DeliveryStatus, ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import BUILTINS, period_from_key, period_key

pytestmark = pytest.mark.django_db


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def daily(personas):
    s = ReportSchedule.objects.get(code="daily_performance")
    ReportSchedule.objects.filter(pk=s.pk).update(created_at=local(2026, 11, 27, 0, 0))  # no catch-up before it
    s.refresh_from_db()
    return s


def test_builtin_schedules_exist_after_migrate():
    assert set(ReportSchedule.objects.values_list("code", flat=True)) >= set(BUILTINS)
    daily = ReportSchedule.objects.get(code="daily_performance")
    assert daily.recipient_roles == ["general_manager", "finance"]


@pytest.mark.parametrize("key", ["2026-11-27", "2026-11-P6", "2026-11", "2026-Q4", "2026"])
def test_period_keys_round_trip(key):
    assert period_key(period_from_key(key)) == key


def test_daily_recipients_are_the_gm_and_finance(daily, personas):
    assert {u.username for u in deliveries.recipients(daily)} == {"gm", "finance"}


def test_send_now_makes_one_manual_delivery_per_recipient_and_queues_mail(daily, api):
    response = api("clerk").post(f"/api/v1/reports/schedules/{daily.pk}/send")
    assert response.status_code == 200, response.content
    made = response.json()["deliveries"]
    assert len(made) == 2 and all(d["status"] == "sent" and d["manual"] for d in made)
    messages = OutboxMessage.objects.filter(kind="mail")
    assert messages.count() == 2
    ids = {m.payload["message_id"] for m in messages}
    assert ids == set(ReportDelivery.objects.values_list("message_id", flat=True))
    assert all(m.payload["attachments"] for m in messages)


def test_send_now_refused_for_finance_writes_nothing(daily, api):
    assert api("finance").post(f"/api/v1/reports/schedules/{daily.pk}/send").status_code == 403
    assert not ReportDelivery.objects.exists() and not OutboxMessage.objects.exists()


def test_automatic_send_twice_sends_once_per_recipient(daily):
    friday = local(2026, 11, 27, 16, 51)  # a working day
    deliveries.run_due(friday)
    deliveries.run_due(friday + timedelta(minutes=1))
    rows = ReportDelivery.objects.filter(schedule=daily, period="2026-11-27")
    assert rows.count() == 2 and set(rows.values_list("status", flat=True)) == {"sent"}
    assert OutboxMessage.objects.filter(kind="mail").count() == 2


def test_plan_deliveries_is_idempotent(daily):
    first = deliveries.plan_deliveries(daily, "2026-11-27")
    again = deliveries.plan_deliveries(daily, "2026-11-27")
    assert [d.pk for d in first] == [d.pk for d in again] and len(first) == 2


def test_draft_at_four_then_sent_at_ten_to_five(daily):
    deliveries.run_due(local(2026, 11, 27, 16, 0))
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {"pending"}
    deliveries.run_due(local(2026, 11, 27, 16, 50))
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_clerk_sent_by_hand_so_the_automatic_run_skips(daily, personas):
    with mock.patch("django.utils.timezone.localdate", return_value=datetime(2026, 11, 27).date()):
        deliveries.send_now(daily, actor=personas["clerk"])
    deliveries.run_due(local(2026, 11, 27, 16, 55))
    assert not ReportDelivery.objects.filter(manual=False).exists()
    assert OutboxMessage.objects.count() == 2


def test_crashed_send_becomes_uncertain_and_is_not_resent(daily):
    [d, _] = deliveries.plan_deliveries(daily, "2026-11-27", now=local(2026, 11, 27, 16, 0))
    ReportDelivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.SENDING, claimed_at=local(2026, 11, 27, 16, 50))
    deliveries.run_due(local(2026, 11, 27, 17, 5))
    d.refresh_from_db()
    assert d.status == DeliveryStatus.UNCERTAIN
    deliveries.run_due(local(2026, 11, 27, 17, 6))
    assert ReportDelivery.objects.filter(pk=d.pk, status="uncertain").exists()
    assert OutboxMessage.objects.count() == 1  # the other recipient only


def test_clerk_resends_uncertain_with_the_same_message_id(daily, personas):
    [d, _] = deliveries.plan_deliveries(daily, "2026-11-27")
    ReportDelivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.UNCERTAIN)
    assert deliveries.resend(d, actor=personas["clerk"])
    assert OutboxMessage.objects.get().payload["message_id"] == d.message_id


def test_failed_render_goes_back_to_pending_with_backoff(daily):
    with mock.patch.dict(deliveries.RENDERERS, {"sales": mock.Mock(side_effect=RuntimeError("boom"))}):
        deliveries.run_due(local(2026, 11, 27, 16, 50))
    rows = ReportDelivery.objects.all()
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    assert all("boom" in d.error and d.available_at > local(2026, 11, 27, 16, 50) for d in rows)


def test_non_working_day_sends_nothing(daily):
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=local(2026, 11, 28, 0, 0))
    deliveries.run_due(local(2026, 11, 28, 16, 50))  # Saturday; Friday was sent
    deliveries.run_due(local(2026, 11, 29, 16, 50))
    assert not ReportDelivery.objects.exists()


def test_make_up_saturday_is_a_working_day(daily):
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=local(2026, 11, 28, 0, 0))
    CalendarDay.objects.create(day=datetime(2026, 11, 28).date(), is_workday=True)
    deliveries.run_due(local(2026, 11, 28, 16, 50))
    assert ReportDelivery.objects.filter(period="2026-11-28").count() == 2


def test_after_an_outage_only_the_latest_missed_day_is_sent_late(daily):
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=local(2026, 11, 1, 0, 0))
    deliveries.run_due(local(2026, 11, 27, 9, 0))  # Friday morning: Thursday and Wednesday were missed
    rows = ReportDelivery.objects.all()
    assert set(rows.values_list("period", flat=True)) == {"2026-11-26"}
    assert all(d.late and d.status == "sent" for d in rows)


def test_five_day_report_goes_on_the_working_day_after_its_period(personas):
    s = ReportSchedule.objects.get(code="five_day")
    ReportSchedule.objects.filter(pk=s.pk).update(created_at=local(2026, 1, 1, 0, 0))
    deliveries.run_due(local(2026, 11, 26, 9, 1))  # Thursday after 21–25
    assert set(ReportDelivery.objects.filter(schedule=s, late=False).values_list("period", flat=True)) == {"2026-11-P5"}


def test_a_five_day_report_missed_in_an_outage_is_caught_up_once_marked_late(personas):
    s = ReportSchedule.objects.get(code="five_day")
    ReportSchedule.objects.filter(pk=s.pk).update(created_at=local(2026, 1, 1, 0, 0))
    deliveries.run_due(local(2026, 11, 26, 9, 1))  # the worker was down on Monday 23rd, when 16–20 was due
    deliveries.run_due(local(2026, 11, 26, 9, 2))
    late = ReportDelivery.objects.filter(schedule=s, period="2026-11-P4")
    assert late.count() == late.filter(late=True, status="sent").count() == len(deliveries.recipients(s)) > 0
    assert not ReportDelivery.objects.filter(schedule=s, period="2026-11-P3").exists()  # due 16th: a week before


def test_schedule_list_page_query_count_is_pinned(client, personas):
    client.force_login(personas["clerk"])
    client.get(reverse("report_schedules"))
    with query_budget(8):  # session, user, roles, heartbeat, menu, notifications, schedules, recipients
        assert client.get(reverse("report_schedules")).status_code == 200
    ReportSchedule.objects.first().recipients.add(personas["sales1"], personas["sales2"])
    with query_budget(8):
        client.get(reverse("report_schedules"))


def test_delivery_list_endpoint_query_count_does_not_grow(daily, api):
    client = api("clerk")
    deliveries.plan_deliveries(daily, "2026-11-26")
    client.get("/api/v1/reports/deliveries")
    with query_budget(10, exact=False) as ctx:
        client.get("/api/v1/reports/deliveries")
    deliveries.plan_deliveries(daily, "2026-11-27")
    with query_budget(len(ctx.captured_queries)):
        body = client.get(f"/api/v1/reports/deliveries?schedule_id={daily.pk}").json()
    assert body["count"] == 4 and set(body["items"][0]) >= {"id", "schedule_id", "period", "recipient_id", "status",
                                                             "sent_at"}


def test_schedule_list_endpoint_query_count_is_pinned(api, personas):
    client = api("gm")
    client.get("/api/v1/reports/schedules")
    with query_budget(10, exact=False) as ctx:
        body = client.get("/api/v1/reports/schedules").json()
    ReportSchedule.objects.get(code="monthly").recipients.add(personas["sales1"])
    with query_budget(len(ctx.captured_queries)):
        client.get("/api/v1/reports/schedules")
    assert body["count"] >= len(BUILTINS)


def test_send_now_sends_a_missed_past_day_as_manual_deliveries(daily, personas):
    made = deliveries.send_now(daily, actor=personas["clerk"], today=date(2026, 11, 27), period="2026-11-24")

    assert made and {(d.period, d.manual, d.status) for d in made} == {("2026-11-24", True, "sent")}


@pytest.mark.parametrize("period", ["2026-11-30", "2026-11", "2026-13-01", "junk"])
def test_send_now_refuses_a_future_or_foreign_period_and_writes_nothing(daily, personas, period):
    with pytest.raises(InvalidInput):
        deliveries.send_now(daily, actor=personas["clerk"], today=date(2026, 11, 27), period=period)

    assert not ReportDelivery.objects.filter(schedule=daily).exists()
