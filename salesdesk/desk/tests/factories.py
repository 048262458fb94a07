"""Desk-like data: a day's worth of the clerk's duties for one salesperson's customers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from salesdesk.contracts.models import Contract
from salesdesk.customers.models import Ticket
from salesdesk.finance.models import CollectionNote, InvoiceRequest, Receivable
from salesdesk.ledger.models import RollupDay
from salesdesk.logistics.models import CallTask
from salesdesk.logistics.services import LineRequest, create_shipment, dispatch
from salesdesk.logistics.tests.factories import customer, paid, product, submitted_order
from salesdesk.orders.models import Order
from salesdesk.team.models import SalesTarget

_seq = {"n": 0}


def _next() -> int:
    _seq["n"] += 1
    return _seq["n"]


def duties(personas, owner: str = "sales1", n: int = 1) -> None:
    """``n`` of each duty for ``owner``'s customers: an order finance has not seen, a pending
    "has the money arrived?" request, one answered today, a paid order not yet shipped, a dispatched
    shipment with its call, a credit customer 800.00 overdue, an open invoice request, an overdue ticket, an expiring contract and a
    promised payment due today."""
    today = timezone.localdate()
    for _ in range(n):
        k = _next()
        prod = product("100.00")
        cust = customer(personas, owner, name=f"客户{k}号有限公司")
        unseen = submitted_order(personas, cust, [(prod, "10", "100.00")], owner=owner)
        paid(personas, cust, "300.00", order=unseen, confirm=False)  # pending request
        ready = submitted_order(personas, cust, [(prod, "10", "100.00")], owner=owner)
        paid(personas, cust, "1000.00", order=ready)  # answered today; money covers the order
        shipped = submitted_order(personas, cust, [(prod, "5", "100.00")], owner=owner)
        paid(personas, cust, "500.00", order=shipped)
        shipment = create_shipment(actor=personas["clerk"], order=shipped, lines=[LineRequest(prod.pk, Decimal("5"))])
        dispatch(actor=personas["clerk"], shipment=shipment, waybill_no=f"SF{k:013d}", carrier="SF")
        on_credit = customer(personas, owner, name=f"赊销客户{k}号", settlement="credit",
                             credit_limit=Decimal("10000.00"), credit_days=30)
        owed = submitted_order(personas, on_credit, [(prod, "8", "100.00")], owner=owner)
        sent = create_shipment(actor=personas["clerk"], order=owed, lines=[LineRequest(prod.pk, Decimal("8"))])
        dispatch(actor=personas["clerk"], shipment=sent, waybill_no=f"ZT{k:013d}", carrier="ZTO")
        Receivable.objects.filter(customer=on_credit).update(due_on=today - timedelta(days=12))  # 800.00 overdue
        CallTask.objects.filter(shipment=sent).delete()  # one call per unit: the paid shipment's
        Order.objects.filter(pk__in=[ready.pk, shipped.pk, owed.pk]).update(finance_seen_at=timezone.now())
        InvoiceRequest.objects.create(number=f"IR-T{k:05d}", customer=cust, kind="sd_special", amount=Decimal("500.00"),
                                      requested_by=personas[owner])
        Ticket.objects.create(number=f"TK-T{k:05d}", customer=cust, category="complaint", subject="包装破损",
                              due_on=today - timedelta(days=2), created_by=personas["clerk"])
        Contract.objects.create(number=f"HT-T{k:05d}", customer=cust, salesperson=personas[owner], status="active",
                                signed_on=today - timedelta(days=300), starts_on=today - timedelta(days=300),
                                ends_on=today + timedelta(days=10), created_by=personas["clerk"])
        CollectionNote.objects.create(customer=cust, contacted_on=today - timedelta(days=3), channel="phone",
                                      promised_on=today, promised_amount=Decimal("200.00"), result="答应今天付",
                                      by=personas["clerk"])


def month(personas, owner: str = "sales1", today: date | None = None) -> None:
    """Roll-ups for the month so far and the owner's target."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    person = personas[owner]
    SalesTarget.objects.update_or_create(
        month=first, scope="salesperson", salesperson=person,
        defaults={"sales_target": Decimal("100000.00"), "collection_target": Decimal("80000.00"),
                  "updated_by": personas["manager"]})
    for i in range((today - first).days + 1):
        day = first + timedelta(days=i)
        for kind, amount in (("booked", 3000 + 100 * i), ("received", 2000)):
            RollupDay.objects.update_or_create(day=day, salesperson_id=person.pk, team_id=person.team_id or 0, kind=kind,
                                               defaults={"amount": Decimal(amount), "facts": 1})


def delivery(schedule, period: str, recipient, status: str = "sent", **fields):
    """A delivery row of a report schedule as the scheduler leaves it (a sent one keeps its rendering)."""
    from salesdesk.reports.models import ReportDelivery

    values = {"message_id": f"<desk-{_next()}@test>", "status": status}
    if status == "sent":
        values.update(sent_at=timezone.now(), subject=f"{schedule.name} {period}", body_html="<p>报表</p>")
    values.update(fields)
    return ReportDelivery.objects.create(schedule=schedule, period=period, recipient=recipient, **values)


def deliveries(personas, n: int = 1) -> None:
    """``n`` rounds of today's deliveries: the daily report sent to the GM and finance (one late), a
    monthly report failed and a five-day report uncertain."""
    from salesdesk.reports.models import ReportSchedule

    today = timezone.localdate()
    schedules = {s.code: s for s in ReportSchedule.objects.filter(code__in=["daily_performance", "monthly", "five_day"])}
    for _ in range(n):
        delivery(schedules["daily_performance"], today.isoformat(), personas["gm"], manual=True)
        delivery(schedules["daily_performance"], today.isoformat(), personas["finance"], manual=True, late=True)
        delivery(schedules["monthly"], f"{today:%Y-%m}", personas["gm"], status="failed", manual=True, error="SMTP 550")
        delivery(schedules["five_day"], f"{today:%Y-%m}-P1", personas["finance"], status="uncertain", manual=True)


def planned(personas, owner: str = "sales1", n: int = 1) -> list:
    """``n`` paid orders released through the gate onto a planned shipment, not yet sent off."""
    made = []
    for _ in range(n):
        k = _next()
        prod = product("100.00")
        cust = customer(personas, owner, name=f"待发客户{k}号")
        order = submitted_order(personas, cust, [(prod, "4", "100.00")], owner=owner)
        paid(personas, cust, "400.00", order=order)
        made.append(create_shipment(actor=personas["clerk"], order=order, lines=[LineRequest(prod.pk, Decimal("4"))]))
    return made
