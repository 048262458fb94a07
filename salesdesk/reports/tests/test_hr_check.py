"""The HR total waits for the clerk's check (核对): drafted at 9:00 on the first working day of the
month, sent at 15:00 only once she has marked the month checked (or at the next tick after her check
if that is later; late only after the due day), one reminder a working day until she does; the
check page and API show the report against the ledger and finance's confirmed payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from salesdesk.core.errors import DomainError
from salesdesk.core.models import Notification, OutboxMessage
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import RollupMonthCustomer
from salesdesk.reports import checks, deliveries
from salesdesk.reports.models import DeliveryStatus, ReportCheck, ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import current_period, period_key

from .factories import CustomerFactory, ProductFactory, fact

pytestmark = pytest.mark.django_db

DUE = date(2026, 11, 2)  # Monday, the first working day after October


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def at(hour: int, minute: int = 0, day: date = DUE) -> datetime:
    return local(day.year, day.month, day.day, hour, minute)


@pytest.fixture
def hr(personas):
    s = ReportSchedule.objects.get(code="hr_monthly_total")
    ReportSchedule.objects.filter(pk=s.pk).update(created_at=local(2026, 10, 1, 0, 0))
    s.refresh_from_db()
    return s


def statuses(schedule) -> list[str]:
    return list(ReportDelivery.objects.filter(schedule=schedule, period="2026-10").values_list("status", flat=True))


def report_mails() -> int:
    return OutboxMessage.objects.filter(dedupe_key__startswith="report-delivery:").count()


def check(schedule, when: datetime, personas) -> ReportCheck:
    return checks.mark_checked(actor=personas["clerk"], schedule=schedule, period="2026-10", now=when)


def test_drafted_at_nine_but_not_sent_at_three_without_a_check(hr):
    deliveries.run_due(at(9, 0))
    deliveries.run_due(at(15, 0))
    deliveries.run_due(at(17, 0))

    assert statuses(hr) == [DeliveryStatus.PENDING] and report_mails() == 0


def test_checked_in_the_morning_is_sent_at_three_not_late(hr, personas):
    deliveries.run_due(at(9, 0))
    check(hr, at(10, 0), personas)
    deliveries.run_due(at(14, 59))
    assert statuses(hr) == [DeliveryStatus.PENDING]

    deliveries.run_due(at(15, 0))

    d = ReportDelivery.objects.get(schedule=hr)
    assert (d.status, d.late, d.recipient.username) == (DeliveryStatus.SENT, False, "hr") and report_mails() == 1


def test_checked_after_three_is_sent_at_the_next_tick_not_late(hr, personas):
    deliveries.run_due(at(15, 0))
    check(hr, at(16, 10), personas)

    deliveries.run_due(at(16, 11))

    d = ReportDelivery.objects.get(schedule=hr)
    assert (d.status, d.late) == (DeliveryStatus.SENT, False)


def test_checked_the_next_day_is_sent_late(hr, personas):
    deliveries.run_due(at(15, 0))
    check(hr, at(9, 30, date(2026, 11, 3)), personas)

    deliveries.run_due(at(9, 31, date(2026, 11, 3)))

    d = ReportDelivery.objects.get(schedule=hr)
    assert (d.status, d.late) == (DeliveryStatus.SENT, True)


def test_after_the_check_it_is_sent_once_however_often_the_job_runs(hr, personas):
    check(hr, at(8, 0), personas)
    for minute in range(0, 4):
        deliveries.run_due(at(15, minute))

    assert statuses(hr) == [DeliveryStatus.SENT] and report_mails() == 1


def test_one_reminder_a_working_day_until_checked(hr, personas):
    def reminders() -> int:
        return Notification.objects.filter(kind="report_check", recipient=personas["clerk"]).count()

    deliveries.run_due(at(8, 59))
    assert reminders() == 0  # before the draft time
    for hour, minute in ((9, 0), (9, 1), (15, 0), (17, 30)):
        deliveries.run_due(at(hour, minute))
    assert reminders() == 1
    deliveries.run_due(at(9, 0, date(2026, 11, 3)))
    deliveries.run_due(at(11, 0, date(2026, 11, 3)))
    assert reminders() == 2
    deliveries.run_due(at(10, 0, date(2026, 11, 7)))  # Saturday
    assert reminders() == 2
    check(hr, at(8, 0, date(2026, 11, 9)), personas)
    deliveries.run_due(at(9, 0, date(2026, 11, 9)))
    assert reminders() == 2


def test_send_drafts_refused_before_the_check(hr, personas):
    deliveries.run_due(at(9, 0))

    with pytest.raises(DomainError):
        deliveries.send_drafts(hr, "2026-10", actor=personas["clerk"])

    assert statuses(hr) == [DeliveryStatus.PENDING] and report_mails() == 0


def test_send_now_refused_before_the_check(hr, personas):
    with pytest.raises(DomainError):
        deliveries.send_now(hr, actor=personas["clerk"], today=DUE)

    assert not ReportDelivery.objects.filter(schedule=hr).exists() and report_mails() == 0


def test_mark_checked_refused_for_finance_through_the_api_writes_nothing(hr, api):
    response = api("finance").post(f"/api/v1/reports/schedules/{hr.pk}/check", {"period": "2026-10"})

    assert response.status_code == 403
    assert not ReportCheck.objects.exists() and not ReportCheck.history.exists()


def test_the_clerk_marks_checked_through_the_api_and_a_second_time_is_409(hr, api, personas):
    first = api("clerk").post(f"/api/v1/reports/schedules/{hr.pk}/check", {"period": "2026-10", "note": "ok"})
    again = api("clerk").post(f"/api/v1/reports/schedules/{hr.pk}/check", {"period": "2026-10"})

    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["schedule_id"], body["period"], body["checked_by_id"], body["note"]) == (
        hr.pk, "2026-10", personas["clerk"].pk, "ok")
    assert again.status_code == 409 and again.json()["code"] == "already_checked"
    check_row = ReportCheck.objects.get()
    assert check_row.history.get().history_user == personas["clerk"]


def test_a_schedule_without_a_check_cannot_be_checked(api):
    monthly = ReportSchedule.objects.get(code="monthly")

    response = api("clerk").post(f"/api/v1/reports/schedules/{monthly.pk}/check", {"period": "2026-10"})

    assert response.status_code == 409 and not ReportCheck.objects.exists()


def test_a_month_not_over_cannot_be_checked(hr, personas):
    with pytest.raises(DomainError) as err:
        checks.mark_checked(actor=personas["clerk"], schedule=hr, period="2026-11", now=local(2026, 11, 20, 10, 0))

    assert err.value.code == "period_not_over" and not ReportCheck.objects.exists()


def _october(personas):
    product = ProductFactory()
    c1 = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["clerk"], FactKind.BOOKED, date(2026, 10, 9), "1000.00", customer=c1, product=product)
    fact(personas["clerk"], FactKind.RECEIVED, date(2026, 10, 12), "300.00", customer=c1)  # no payment behind it
    return c1


def test_check_figures_list_a_received_total_finance_never_confirmed(personas):
    _october(personas)

    result = checks.check_figures("2026-10")

    assert [(d.label, d.measure, d.report, d.source, d.source_kind) for d in result.differences] == [
        ("回款合计", "received", Decimal("300.00"), Decimal("0.00"), "finance")]


def test_check_figures_list_a_roll_up_that_disagrees_with_the_ledger(personas):
    _october(personas)
    row = RollupMonthCustomer.objects.get(kind=FactKind.BOOKED, salesperson_id=personas["sales1"].pk)
    row.amount += Decimal("1.00")
    row.save()

    result = checks.check_figures("2026-10")

    ledger = [d for d in result.differences if d.source_kind == "ledger"]
    assert [(d.label, d.measure, d.report, d.source) for d in ledger] == [
        (personas["sales1"].display_name, "ordered", Decimal("1001.00"), Decimal("1000.00"))]


def test_the_check_api_reads_the_figures_and_differences(hr, api, personas):
    _october(personas)

    body = api("gm").get(f"/api/v1/reports/schedules/{hr.pk}/check?period=2026-10").json()

    rows = {r["salesperson_id"]: r for r in body["rows"]}
    assert rows[personas["sales1"].pk]["ordered_amount"] == "1000.00"
    assert rows[personas["sales1"].pk]["received_amount"] == "300.00"
    assert (body["received_total"], body["finance_total"], body["checked"]) == ("300.00", "0.00", None)
    assert [d["source"] for d in body["differences"]] == ["finance"]


def test_the_check_page_marks_checked_in_place_with_htmx(hr, client, personas):
    client.force_login(personas["clerk"])
    url = reverse("report_schedule_check", kwargs={"pk": hr.pk, "period": "2026-10"})

    response = client.post(url, {"note": "与财务核对一致"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="check-panel"' in html and "<html" not in html and "与财务核对一致" in html
    assert ReportCheck.objects.get().note == "与财务核对一致"


def test_the_schedule_page_links_the_check(hr, client, personas):
    client.force_login(personas["gm"])

    html = client.get(reverse("report_schedule", kwargs={"pk": hr.pk})).content.decode()

    key = period_key(current_period(hr, timezone.localdate()))
    assert reverse("report_schedule_check", kwargs={"pk": hr.pk, "period": key}) in html


def test_check_page_query_count_is_pinned(hr, client, personas):
    client.force_login(personas["clerk"])
    url = reverse("report_schedule_check", kwargs={"pk": hr.pk, "period": "2026-10"})
    _october(personas)
    client.get(url)
    # session, user, roles, heartbeat, menu, notifications; the schedule; the HR total (the 3 periods' figures in one query,
    # pending money, new customers, targets, labels, company); the check (roll-ups, facts, names,
    # payments); the check row; the period's deliveries
    with query_budget(19):
        assert client.get(url).status_code == 200
    for owner in ("sales2", "sales3", "manager"):
        c = CustomerFactory(salesperson=personas[owner])
        fact(personas["clerk"], FactKind.SHIPPED, date(2026, 10, 20), "50.00", customer=c, product=ProductFactory())
    deliveries.plan_deliveries(hr, "2026-10")
    with query_budget(19):
        client.get(url)
