"""每日发货物流单通知 through the report schedule ``waybill_daily`` (the only sender): each responsible
person gets one mail a working day listing the waybills they answer for; the warehouse's mail has no
prices; days off and empty days send nothing (no delivery at all); a repeat on the same day sends
nothing new."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from salesdesk.core.models import OutboxMessage
from salesdesk.logistics import notices, tasks
from salesdesk.logistics.models import Shipment
from salesdesk.logistics.services import LineRequest, create_shipment, dispatch
from salesdesk.orders.models import CreditShare
from salesdesk.reports import deliveries, schedule_tasks
from salesdesk.reports.models import ReportDelivery, ReportSchedule

from .factories import customer, paid, product, submitted_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calendar_2026(db):
    """The working-day calendar the notices read: 2026 as published (holidays.China)."""
    from salesdesk.core.calendar import seed_year

    seed_year(2026)


MONDAY = date(2026, 3, 9)  # a working day; the previous one is Friday 2026-03-06
NOTICE_AT = time(17, 0)  # the built-in schedule's send time: the notice's cut-off


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def dispatched(personas, owner: str, when: datetime, *, carrier="SF", waybill_no="SF1234567890123",
               price="1000.00", split: tuple[str, Decimal] | None = None) -> Shipment:
    """A paid order of ``owner``'s customer, shipped and dispatched at ``when``."""
    prod = product(price)
    cust = customer(personas, owner)
    order = submitted_order(personas, cust, [(prod, 1, price)], owner=owner)
    if split is not None:
        partner, share = split
        CreditShare.objects.filter(order=order).update(share=Decimal(1) - share)
        CreditShare.objects.create(order=order, salesperson=personas[partner], team=personas[partner].team, share=share)
    paid(personas, cust, price, order=order)
    shipment = create_shipment(actor=personas["warehouse"], order=order, lines=[LineRequest(prod.pk, Decimal(1))],
                               carrier=carrier, waybill_no=waybill_no, planned_on=when.date())
    dispatch(actor=personas["warehouse"], shipment=shipment)
    Shipment.objects.filter(pk=shipment.pk).update(dispatched_at=when)
    return Shipment.objects.select_related("order").get(pk=shipment.pk)


def send_notices(day: date, minute: int = 0) -> None:
    """The schedule job's tick at the notice time of ``day`` (the schedule existing since that
    morning, so no earlier day is caught up)."""
    ReportSchedule.objects.filter(code="waybill_daily").update(created_at=at(day, 0))
    deliveries.run_due(at(day, NOTICE_AT.hour, minute))


def notice_deliveries(day: date = MONDAY):
    return ReportDelivery.objects.filter(schedule__code="waybill_daily", period=day.isoformat())


def notice_mails(day: date = MONDAY) -> dict[str, dict]:
    """The queued waybill mails of ``day`` by recipient address."""
    ids = set(notice_deliveries(day).values_list("message_id", flat=True))
    return {m.payload["to"][0]: m.payload for m in OutboxMessage.objects.filter(kind="mail")
            if m.payload.get("message_id") in ids}


def test_each_responsible_person_gets_one_mail_with_their_waybills(personas):
    shared = dispatched(personas, "sales1", at(MONDAY, 10), split=("sales2", Decimal("0.3")))
    own = dispatched(personas, "sales2", at(MONDAY, 11), waybill_no="SF1234567890999")

    send_notices(MONDAY)

    mails = notice_mails()
    assert set(mails) == {"sales1@example.com", "sales2@example.com", "manager@example.com", "warehouse@example.com"}
    assert notice_deliveries().count() == 4 and set(notice_deliveries().values_list("status", flat=True)) == {"sent"}
    assert shared.number in mails["sales1@example.com"]["body"] and own.number not in mails["sales1@example.com"]["body"]
    assert shared.number in mails["sales2@example.com"]["body"] and own.number in mails["sales2@example.com"]["body"]
    assert shared.number in mails["manager@example.com"]["body"]  # sales1's team manager; team B has none
    assert own.number not in mails["manager@example.com"]["body"]
    for m in mails.values():
        assert "2026-03-09" in m["subject"]


def test_a_mail_lists_customer_carrier_waybill_tracking_link_and_times(personas):
    s = dispatched(personas, "sales1", at(MONDAY, 9, 30))

    send_notices(MONDAY)

    body = notice_mails()["sales1@example.com"]["body"]
    assert s.customer.name in body and s.order.number in body
    assert "顺丰" in body and "SF1234567890123" in body
    assert "https://www.kuaidi100.com/chaxun?com=shunfeng&nu=SF1234567890123" in body
    assert "2026-03-09 09:30" in body  # dispatched
    assert "计划发货日：2026-03-09" in body
    assert "¥1,000.00" in body  # the salesperson sees the value


def test_a_carrier_without_a_tracking_page_gets_no_link(personas):
    dispatched(personas, "sales1", at(MONDAY, 10), carrier="OTHER", waybill_no="ZX-001")

    send_notices(MONDAY)

    payload = notice_mails()["sales1@example.com"]
    assert "ZX001" in payload["body"] and "kuaidi100" not in payload["body"] + payload["html"]


def test_the_warehouse_mail_lists_every_waybill_without_prices(personas):
    a = dispatched(personas, "sales1", at(MONDAY, 10), price="1234.00")
    b = dispatched(personas, "sales2", at(MONDAY, 11), price="5678.00")

    send_notices(MONDAY)

    payload = notice_mails()["warehouse@example.com"]
    text = payload["body"] + payload["html"]
    assert a.number in text and b.number in text
    assert "¥" not in text and "1,234" not in text and "5,678" not in text and "货值" not in text
    assert "¥1,234.00" in notice_mails()["sales1@example.com"]["html"]


def test_nobody_else_gets_a_delivery(personas):
    dispatched(personas, "sales1", at(MONDAY, 10))

    send_notices(MONDAY)

    got = set(notice_deliveries().values_list("recipient__username", flat=True))
    assert got == {"sales1", "manager", "warehouse"}
    for username in ("clerk", "sales3", "gm", "finance", "hr", "planner", "admin"):
        assert f"{username}@example.com" not in notice_mails()


@pytest.mark.parametrize("day", [date(2026, 3, 7), date(2026, 3, 8), date(2026, 10, 1), date(2026, 2, 16)],
                         ids=["saturday", "sunday", "national-day", "spring-festival-weekday"])
def test_weekends_and_holidays_send_nothing(personas, day):
    dispatched(personas, "sales1", at(day, 10))

    send_notices(day)

    assert not ReportDelivery.objects.filter(schedule__code="waybill_daily").exists()
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="report-delivery:").exists()


def test_a_make_up_working_saturday_sends(personas):
    saturday = date(2026, 2, 14)  # 补班 before the Spring Festival
    dispatched(personas, "sales1", at(saturday, 10))

    send_notices(saturday)

    assert "sales1@example.com" in notice_mails(saturday)


def test_waybills_of_the_weekend_and_after_the_cut_off_go_into_the_next_working_days_mail(personas):
    late_friday = dispatched(personas, "sales1", at(date(2026, 3, 6), 18))
    saturday = dispatched(personas, "sales1", at(date(2026, 3, 7), 10))
    early_friday = dispatched(personas, "sales1", at(date(2026, 3, 6), 16))
    after_monday = dispatched(personas, "sales1", at(MONDAY, 17, 1))

    send_notices(MONDAY, minute=5)  # the tick runs after the cut-off; what left after it waits for Tuesday

    body = notice_mails()["sales1@example.com"]["body"]
    assert late_friday.number in body and saturday.number in body
    assert early_friday.number not in body and after_monday.number not in body


def test_running_twice_the_same_day_sends_once(personas):
    dispatched(personas, "sales1", at(MONDAY, 10))
    send_notices(MONDAY)

    deliveries.run_due(at(MONDAY, 17, 1))

    assert notice_deliveries().count() == 3
    assert OutboxMessage.objects.filter(dedupe_key__startswith="report-delivery:").count() == 3


def test_a_day_without_waybills_makes_no_delivery(personas):
    dispatched(personas, "sales1", at(date(2026, 3, 5), 10))  # Thursday: not in Monday's window

    send_notices(MONDAY)

    assert not notice_deliveries().exists() and not notice_mails()


def test_planned_shipments_are_not_listed(personas):
    prod = product("100.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 1, "100.00")])
    paid(personas, cust, "100.00", order=order)
    create_shipment(actor=personas["clerk"], order=order, lines=[LineRequest(prod.pk, Decimal(1))])

    send_notices(timezone.localdate())

    assert not notice_deliveries(timezone.localdate()).exists()
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="report-delivery:").exists()


def test_the_mails_go_out_after_commit(personas, django_capture_on_commit_callbacks):
    s = dispatched(personas, "sales1", at(MONDAY, 10))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        send_notices(MONDAY)

    sent = {m.to[0]: m for m in mail.outbox if s.number in m.body}
    assert set(sent) == {"sales1@example.com", "manager@example.com", "warehouse@example.com"}
    assert sent["warehouse@example.com"].alternatives  # an HTML part too


def test_logistics_has_no_periodic_job_of_its_own(personas):
    assert not hasattr(tasks, "waybill_daily_notice")  # the schedule job is the only sender


def test_the_schedule_job_sends_the_notice(personas):
    import time_machine

    dispatched(personas, "sales1", at(MONDAY, 10))
    ReportSchedule.objects.filter(code="waybill_daily").update(created_at=at(MONDAY, 0))

    with time_machine.travel(at(MONDAY, 17, 0), tick=False):
        schedule_tasks.run_report_schedules_task.call_local()

    assert set(notice_mails()) == {"sales1@example.com", "manager@example.com", "warehouse@example.com"}


def test_responsible_ids_name_the_people_with_waybills_that_day(personas):
    dispatched(personas, "sales2", at(MONDAY, 10))

    ids = notices.responsible_ids(MONDAY, at=NOTICE_AT)

    assert ids == {personas["sales2"].pk, personas["warehouse"].pk}  # team B has no manager
    assert notices.notice_rows(MONDAY, personas["sales1"], at=NOTICE_AT) == []
