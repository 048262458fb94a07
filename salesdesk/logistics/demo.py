"""Demo shipments (发货单), consistent with the demo orders and payments: every shipment is planned
through the payment gate (``services.create_shipment``), dispatched, tracked and delivered through
the services, each step replayed at the time it happened (``finance.demo.replaying_at``), so the
shipped facts, receivables, order statuses, call tasks and gate decisions are exactly the
services'. What comes out:

- prepaid customers whose orders are paid up: shipped, delivered, often the signed 送货单 back,
  the order completed;
- a deposit paid: the part the money covers ships, the rest waits (款到发货);
- an advance (预收) paid before the order releases it through the gate — other customers keep
  theirs unallocated;
- credit customers: shipped on credit and unpaid; those that never paid are past due, and the
  gate then refuses their next orders (counted as "refused by the gate");
- today's shipments still planned, recent customer calls (打电话通知客户) still open.

The gate is never bypassed: a refused shipment is simply not made. A shipment's life through the
services costs ~90 ms, so only the newest ``MAX_ORDERS`` orders ship (at ``large`` most of them the
newest, some older ones for aged receivables); older demo orders stay as the orders seeder left
them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Max
from django.utils import timezone

from salesdesk.core.demo import DemoContext
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.finance.balances import ZERO, allocated_to_orders, free_advance
from salesdesk.finance.demo import at_office_hours, replaying_at
from salesdesk.finance.models import Allocation
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order

from .choices import CallStatus, ShipmentStatus
from .models import CallTask, Shipment
from .services import LineRequest, create_shipment, dispatch, log_call, track

MAX_ORDERS = {"demo": 200, "large": 300}  # the newest orders (~90 ms of services per shipment)
ON_CREDIT = ("credit", "monthly")
WAREHOUSES = ["成品一库", "成品二库", "外租仓（物流园）"]
CARRIERS = ["SF", "SF", "ZTO", "YTO", "YD", "STO", "JD", "DBL", "DBL", "EMS", "JT", "OTHER"]
SIGNERS = ["张师傅", "李库管", "王经理", "前台代收", "赵主任"]
TRANSIT_NOTES = ["已到达始发分拨中心", "运输途中", "已到达目的地分拨中心", "派送中"]


def _waybill(ctx: DemoContext, carrier: str) -> str:
    """A waybill number in the carrier's format (DOMAIN.md §11)."""
    digits = lambda n: "".join(str(ctx.rng.randrange(10)) for _ in range(n))  # noqa: E731
    return {
        "SF": lambda: "SF" + digits(13), "YTO": lambda: "YT" + digits(13), "JT": lambda: "JT" + digits(13),
        "JD": lambda: "JDX" + digits(12), "ZTO": lambda: "7" + digits(13), "YD": lambda: "4" + digits(14),
        "STO": lambda: "77" + digits(13), "EMS": lambda: "1" + digits(12), "DBL": lambda: "DPK" + digits(12),
        "OTHER": lambda: "ZX" + digits(6),
    }[carrier]()


@dataclass
class _Plan:
    """One shipment to replay: when it was planned and what it carries."""

    order: Order
    day: date
    lines: list[LineRequest]
    moments: dict[str, datetime] = field(default_factory=dict)


@dataclass
class _Tally:
    counts: Counter = field(default_factory=Counter)

    def add(self, what: str) -> None:
        self.counts[what] += 1


def _ids(items) -> list[int] | None:
    if not items:
        return None
    return [getattr(o, "pk", o) for o in items]


def _candidates(ctx: DemoContext) -> list[Order]:
    """Orders that may ship: those the orders seeder left (or all in the database), newest first;
    at ``large`` a sample of them."""
    ids = _ids(ctx.shared.get("orders"))
    qs = Order.objects.filter(status__in=(OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED))
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    limit = MAX_ORDERS.get(ctx.scale, MAX_ORDERS["demo"])
    if ctx.scale == "large":  # the newest, and some older ones for aged receivables
        newest = list(qs.order_by("-order_date", "-id").values_list("pk", flat=True)[: limit * 4 // 5])
        rest = list(qs.exclude(pk__in=newest).order_by("id").values_list("pk", flat=True))
        older = ctx.rng.sample(rest, min(len(rest), limit - len(newest)))
        qs = Order.objects.filter(pk__in=newest + older)
    return list(qs.select_related("customer").prefetch_related("lines").order_by("-order_date", "-id")[:limit])


def _whole(lines, budget: Decimal) -> list[LineRequest]:
    """Whole lines that fit in ``budget``; else as many units of the first line as it pays for."""
    chosen, spent = [], ZERO
    for line in lines:
        if spent + line.amount <= budget:
            chosen.append(LineRequest(line.product_id, line.quantity))
            spent += line.amount
    if chosen:
        return chosen
    first = lines[0]
    units = (budget / first.unit_price).to_integral_value(rounding=ROUND_FLOOR) if first.unit_price > 0 else 0
    units = min(units, first.quantity.to_integral_value(rounding=ROUND_FLOOR))
    return [LineRequest(first.product_id, Decimal(units))] if units >= 1 else []


def _plans(ctx: DemoContext, orders: list[Order], today: date) -> list[_Plan]:
    rng = ctx.rng
    paid = allocated_to_orders([o.pk for o in orders])
    paid_on = dict(Allocation.objects.filter(order__in=orders).values("order_id")
                   .annotate(d=Max("payment__received_on")).values_list("order_id", "d"))
    advances: dict[int, Decimal] = {}
    plans: list[_Plan] = []
    for order in orders:
        lines = sorted(order.lines.all(), key=lambda ln: ln.line_no)
        if not lines or order.total <= 0:
            continue
        money = paid.get(order.pk, ZERO)
        start = order.order_date + timedelta(days=rng.randrange(1, 5))
        if order.customer.settlement in ON_CREDIT:
            ship = [LineRequest(ln.product_id, ln.quantity) for ln in lines]  # on credit, the gate permitting
        elif money >= order.total:
            ship = [LineRequest(ln.product_id, ln.quantity) for ln in lines]
            start = max(start, paid_on.get(order.pk, start) + timedelta(days=rng.randrange(0, 3)))
        elif money > 0:
            ship = _whole(lines, money)  # the deposit covers part of it
            start = max(start, paid_on.get(order.pk, start) + timedelta(days=rng.randrange(0, 3)))
        else:
            if order.customer_id not in advances:
                advances[order.customer_id] = free_advance(order.customer_id)
            # an advance paid before the order releases it — for about half the customers that have one
            if advances[order.customer_id] < order.total or order.customer_id % 2:
                continue
            advances[order.customer_id] -= order.total
            ship = [LineRequest(ln.product_id, ln.quantity) for ln in lines]
        if not ship:
            continue
        day = min(start, today)
        if len(ship) > 1 and rng.random() < 0.25:  # two deliveries a few days apart
            later = min(day + timedelta(days=rng.randrange(2, 7)), today)
            plans += [_Plan(order, day, ship[:1]), _Plan(order, later, ship[1:])]
        else:
            plans.append(_Plan(order, day, ship))
    return plans


def _timeline(ctx: DemoContext, plan: _Plan, now: datetime) -> None:
    """When each step of the shipment happened (steps after now did not happen yet)."""
    rng = ctx.rng
    created = at_office_hours(ctx, plan.day, 8, 15)
    steps = {"created": created}
    steps["dispatched"] = created + timedelta(hours=rng.randrange(1, 4))
    steps["call_dispatched"] = steps["dispatched"] + timedelta(hours=20 + rng.randrange(6))
    steps["in_transit"] = steps["dispatched"] + timedelta(hours=18 + rng.randrange(8))
    steps["delivered"] = steps["dispatched"] + timedelta(days=rng.randrange(2, 5), hours=rng.randrange(4))
    steps["call_delivered"] = steps["delivered"] + timedelta(days=1, hours=rng.randrange(3))
    steps["pod_returned"] = steps["delivered"] + timedelta(days=rng.randrange(5, 15))
    if plan.day >= now.date() and rng.random() < 0.5:
        steps["dispatched"] = now + timedelta(days=1)  # today's: still planned at the warehouse
    plan.moments = {k: v for k, v in steps.items() if v <= now}


def _replay(ctx: DemoContext, plan: _Plan, users: dict, tally: _Tally) -> None:
    rng = ctx.rng
    clerk, warehouse = users["clerk"], users["warehouse"]
    m = plan.moments
    if "created" not in m:
        return
    carrier = rng.choice(CARRIERS)
    try:
        with replaying_at(m["created"]):
            shipment = create_shipment(
                actor=rng.choice([clerk, warehouse]), order=plan.order, lines=plan.lines, warehouse=rng.choice(WAREHOUSES),
                freight=Decimal(rng.choice([0, 0, 30, 80, 150, 300])), planned_on=plan.day, carrier=carrier,
            )
    except DomainError as exc:  # payment_required: the gate held (e.g. a past-due credit customer)
        tally.add(f"refused:{exc.code}")
        return
    except InvalidInput:  # nothing left to ship on the order
        tally.add("nothing_left")
        return
    tally.add("created")
    if "dispatched" not in m:
        return
    with replaying_at(m["dispatched"]):
        shipment = dispatch(actor=warehouse, shipment=shipment, waybill_no=_waybill(ctx, carrier))
    tally.add("dispatched")
    if "call_dispatched" in m and rng.random() < 0.9:
        _call(ctx, shipment, "dispatched", m["call_dispatched"], clerk, tally)
    if "in_transit" in m:
        with replaying_at(m["in_transit"]):
            shipment = track(actor=warehouse, shipment=shipment, status=ShipmentStatus.IN_TRANSIT,
                             note=rng.choice(TRANSIT_NOTES))
    if "delivered" in m and rng.random() < 0.95:
        with replaying_at(m["delivered"]):
            shipment = track(actor=warehouse, shipment=shipment, status=ShipmentStatus.DELIVERED,
                             signer=rng.choice(SIGNERS), note="客户已签收")
        tally.add("delivered")
        if "call_delivered" in m and rng.random() < 0.7:
            _call(ctx, shipment, "delivered", m["call_delivered"], clerk, tally)
        if "pod_returned" in m and rng.random() < 0.7:
            with replaying_at(m["pod_returned"]):
                track(actor=warehouse, shipment=shipment, status=ShipmentStatus.POD_RETURNED, note="签收回单已返回")
            tally.add("pod_returned")


def _call(ctx: DemoContext, shipment: Shipment, reason: str, moment: datetime, clerk, tally: _Tally) -> None:
    task = CallTask.objects.filter(shipment=shipment, reason=reason, status=CallStatus.OPEN).first()
    if task is None:
        return
    reached = ctx.rng.random() < 0.9
    outcome = ("已电话通知客户发货，告知承运商与运单号" if reason == "dispatched" else "客户确认收货无误") if reached \
        else "电话未接通，稍后再联系"
    with replaying_at(moment):
        log_call(actor=clerk, task=task, status=CallStatus.DONE if reached else CallStatus.UNREACHABLE, outcome=outcome)
    tally.add("called")


def seed(ctx: DemoContext) -> None:
    if not ctx.business:
        return
    users = ctx.shared["users"]
    now = timezone.now()
    orders = _candidates(ctx)
    plans = _plans(ctx, orders, timezone.localdate())
    for plan in plans:
        _timeline(ctx, plan, now)
    plans.sort(key=lambda p: (p.moments.get("created", now), p.order.pk))
    tally = _Tally()
    for plan in plans:
        _replay(ctx, plan, users, tally)
    ctx.shared["shipments"] = list(Shipment.objects.filter(order__in=orders).values_list("pk", flat=True))
    open_calls = CallTask.objects.filter(shipment__order__in=orders, status=CallStatus.OPEN).count()
    ctx.out.write(f"    shipments for {len(orders)} orders: {dict(sorted(tally.counts.items()))}, "
                  f"{open_calls} customer calls open\n")
