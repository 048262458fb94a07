"""Writes of logistics: shipments through the payment gate, dispatch (ledger facts, receivable),
tracking, delivery, proof of delivery, cancellation, and the customer-call tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.core.numbering import next_number
from salesdesk.core.registries import run_hooks
from salesdesk.finance.balances import ZERO, allocated_to_order
from salesdesk.finance.services import lock_customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order, OrderLine

from . import permissions as perms
from .choices import (
    COUNTS_FOR_GATE,
    DISPATCHED_STATES,
    SHIPMENT_TRANSITIONS,
    CallReason,
    CallStatus,
    ShipmentStatus,
)
from .gate import pass_gate
from .models import CallTask, Shipment, ShipmentLine, TrackingEvent
from .waybills import normalize_waybill

SHIPPABLE_ORDER_STATES = {OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED}


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: Decimal


def remaining_by_line(order: Order) -> dict[int, Decimal]:
    """What is left to ship per order line: ordered − non-cancelled shipments."""
    taken = dict(
        ShipmentLine.objects.filter(order_line__order=order, shipment__status__in=COUNTS_FOR_GATE)
        .values("order_line_id").annotate(q=Sum("quantity")).values_list("order_line_id", "q")
    )
    return {line.pk: line.quantity - (taken.get(line.pk) or Decimal(0)) for line in order.lines.all()}


def _plan_lines(order: Order, requests: Sequence[LineRequest]) -> list[tuple[OrderLine, Decimal]]:
    """Match requested products to order lines within what is left (422 otherwise)."""
    remaining = remaining_by_line(order)
    lines = list(order.lines.all())
    planned: list[tuple[OrderLine, Decimal]] = []
    errors: dict[str, list[str]] = {}
    for i, req in enumerate(requests):
        qty = req.quantity
        if qty <= 0:
            errors[f"lines.{i}.quantity"] = ["数量必须大于 0 / The quantity must be positive."]
            continue
        candidates = [line for line in lines if line.product_id == req.product_id]
        if not candidates:
            errors[f"lines.{i}.product_id"] = ["订单中没有该产品 / The order has no such product."]
            continue
        left = sum((remaining[line.pk] for line in candidates), Decimal(0))
        if qty > left:
            errors[f"lines.{i}.quantity"] = [f"超出订单剩余可发数量 {left.normalize():f} / More than is left to ship ({left:f})."]
            continue
        for line in candidates:  # fill the earliest lines first
            take = min(qty, remaining[line.pk])
            if take > 0:
                planned.append((line, take))
                remaining[line.pk] -= take
                qty -= take
    if errors:
        raise InvalidInput(errors)
    if not planned:
        raise InvalidInput({"lines": ["请至少发一行 / At least one line is needed."]})
    return planned


def _line_value(line: OrderLine, qty: Decimal) -> tuple[Decimal, Decimal]:
    """Value of part of an order line: the whole line's amount when everything ships, else the
    quantity at the line price, rounded half-up; tax split from it (DOMAIN.md §3)."""
    amount = line.amount if qty == line.quantity else quantize_money(qty * line.unit_price)
    _, tax = split_tax(amount, line.tax_rate)
    return amount, tax


@transaction.atomic
def create_shipment(*, actor, order: Order, lines: Sequence[LineRequest], carrier: str = "", waybill_no: str = "",
                    warehouse: str = "", freight: Decimal = ZERO, planned_on=None, note: str = "") -> Shipment:
    """Plan a shipment: quantities first (422), then the gate under the customer lock (409)."""
    if not actor.has_perm(perms.ADD_SHIPMENT):
        raise PermissionDenied
    customer = lock_customer(order.customer_id)
    order = Order.objects.select_related("salesperson").prefetch_related("lines").get(pk=order.pk)
    if order.status not in SHIPPABLE_ORDER_STATES:
        raise DomainError(f"订单状态为“{order.get_status_display()}”，不能发货 / The order cannot ship now.",
                          code="order_not_shippable")
    planned = _plan_lines(order, lines)
    valued = [(line, qty, *_line_value(line, qty)) for line, qty in planned]
    value = sum((v[2] for v in valued), ZERO)
    pass_gate(actor=actor, customer=customer, order=order, extra_value=value)
    shipment = Shipment(
        number=next_number("FH"), order=order, customer=customer, value=value,
        tax=sum((v[3] for v in valued), ZERO), carrier=carrier, waybill_no=normalize_waybill(waybill_no),
        warehouse=warehouse, freight=quantize_money(freight), planned_on=planned_on, note=note, created_by=actor,
    )
    shipment._history_user = actor
    shipment.save()
    ShipmentLine.objects.bulk_create([
        ShipmentLine(shipment=shipment, order_line=line, product_id=line.product_id, quantity=qty, amount=amount,
                     tax=tax)
        for line, qty, amount, tax in valued
    ])
    return shipment


def _shares(order: Order) -> list[Share]:
    shares = [Share(s.salesperson_id, s.share, s.team_id) for s in order.credit_shares.all()]
    return shares or [Share(order.salesperson_id, Decimal(1), order.salesperson.team_id)]


def _move(shipment: Shipment, to: str, actor, **values) -> Shipment:
    if to not in SHIPMENT_TRANSITIONS[shipment.status]:
        raise DomainError(
            f"发货单状态“{shipment.get_status_display()}”不能变为“{ShipmentStatus(to).label}” / Not allowed: "
            f"{shipment.status} → {to}.", code="shipment_transition",
        )
    changed = Shipment.objects.filter(pk=shipment.pk, status=shipment.status).update(status=to, **values)
    if not changed:
        raise ConcurrentChange()
    shipment.refresh_from_db()
    shipment._history_user = actor
    shipment.save()
    return shipment


def refresh_order_status(*, order: Order, actor=None) -> Order:
    """Derive an order's fulfilment status from dispatched quantities and its money."""
    order = Order.objects.get(pk=order.pk)
    if order.status in {OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.CLOSED}:
        return order
    dispatched = dict(
        ShipmentLine.objects.filter(order_line__order=order, shipment__status__in=DISPATCHED_STATES)
        .values("order_line_id").annotate(q=Sum("quantity")).values_list("order_line_id", "q")
    )
    lines = list(order.lines.all())
    done = sum(1 for line in lines if (dispatched.get(line.pk) or 0) >= line.quantity)
    if not dispatched:
        status = OrderStatus.SUBMITTED
    elif done < len(lines):
        status = OrderStatus.PARTIALLY_SHIPPED
    elif allocated_to_order(order.pk) >= order.total:
        status = OrderStatus.COMPLETED
    else:
        status = OrderStatus.SHIPPED
    if status != order.status:
        Order.objects.filter(pk=order.pk).update(status=status)
        order.status = status
        order._history_user = actor
        order.save()
    return order


def _on_order_money_changed(*, order, actor=None, **kwargs) -> None:
    refresh_order_status(order=order, actor=actor)


@transaction.atomic
def dispatch(*, actor, shipment: Shipment, waybill_no: str | None = None, carrier: str | None = None) -> Shipment:
    """The goods left: shipped facts per line × credit share, the receivable arises, the customer
    is to be called."""
    if not actor.has_perm(perms.DISPATCH_SHIPMENT):
        raise PermissionDenied
    values = {"dispatched_at": timezone.now()}
    if waybill_no is not None:
        values["waybill_no"] = normalize_waybill(waybill_no)
    if carrier is not None:
        values["carrier"] = carrier
    shipment = _move(shipment, ShipmentStatus.DISPATCHED, actor, **values)
    order = Order.objects.select_related("salesperson").prefetch_related("credit_shares").get(pk=shipment.order_id)
    today = timezone.localdate()
    record([
        FactInput(kind=FactKind.SHIPPED, business_date=today, amount=line.amount, tax=line.tax,
                  quantity=line.quantity, customer_id=shipment.customer_id, product_id=line.product_id,
                  contract_id=order.contract_id, order_id=order.pk, source_kind="shipment", source_id=shipment.pk,
                  source_line_id=line.pk, shares=_shares(order))
        for line in shipment.lines.all()
    ], actor=actor)
    TrackingEvent.objects.create(shipment=shipment, status=ShipmentStatus.DISPATCHED, note="", at=timezone.now(),
                                 by=actor)
    _call_task(shipment, CallReason.DISPATCHED)
    run_hooks("shipment_dispatched", shipment=shipment, actor=actor)
    refresh_order_status(order=order, actor=actor)
    return shipment


def _call_task(shipment: Shipment, reason: str) -> None:
    contact = shipment.customer.contacts.order_by("-is_primary", "id").first()
    phone = (contact.mobile or contact.phone) if contact else ""
    CallTask.objects.get_or_create(shipment=shipment, reason=reason, defaults={"phone": phone or shipment.order.delivery_phone})


@transaction.atomic
def track(*, actor, shipment: Shipment, status: str, note: str = "", signer: str = "") -> Shipment:
    if not actor.has_perm(perms.DISPATCH_SHIPMENT):
        raise PermissionDenied
    values: dict = {}
    if status == ShipmentStatus.DELIVERED:
        values.update(delivered_at=timezone.now(), signer=signer[:50])
    if status == ShipmentStatus.POD_RETURNED:
        values.update(pod_returned_at=timezone.now())
    if status == ShipmentStatus.DISPATCHED:
        return dispatch(actor=actor, shipment=shipment)
    if status == shipment.status == ShipmentStatus.IN_TRANSIT:
        TrackingEvent.objects.create(shipment=shipment, status=status, note=note[:300], at=timezone.now(), by=actor)
        return shipment
    shipment = _move(shipment, status, actor, **values)
    TrackingEvent.objects.create(shipment=shipment, status=status, note=note[:300], at=timezone.now(), by=actor)
    if status == ShipmentStatus.DELIVERED:
        _call_task(shipment, CallReason.DELIVERED)
        run_hooks("shipment_delivered", shipment=shipment, actor=actor)
    return shipment


@transaction.atomic
def cancel_shipment(*, actor, shipment: Shipment, reason: str = "") -> Shipment:
    """Only a planned shipment can be cancelled; its value no longer counts at the gate."""
    if not actor.has_perm(perms.ADD_SHIPMENT):
        raise PermissionDenied
    lock_customer(shipment.customer_id)
    shipment = _move(shipment, ShipmentStatus.CANCELLED, actor, note=reason[:300] or shipment.note)
    return shipment


@transaction.atomic
def return_pod(*, actor, shipment: Shipment, scan=None, note: str = "") -> Shipment:
    """The signed and stamped 送货单 is back (回单): the shipment is marked and the scan stored with
    it, in one transaction — a refused file leaves the shipment delivered."""
    shipment = track(actor=actor, shipment=shipment, status=ShipmentStatus.POD_RETURNED, note=note)
    if scan is not None:
        from salesdesk.core.attachments import attach

        attach(actor=actor, owner=shipment, uploaded_file=scan, description="签收回单 / signed delivery note")
    return shipment


@transaction.atomic
def log_call(*, actor, task: CallTask, status: str, outcome: str) -> CallTask:
    if not actor.has_perm(perms.DISPATCH_SHIPMENT) and not actor.has_perm(perms.VIEW_SHIPMENT):
        raise PermissionDenied
    if status not in (CallStatus.DONE, CallStatus.UNREACHABLE):
        raise InvalidInput({"status": ["结果须为“已致电”或“未接通” / The status must be done or unreachable."]})
    if not outcome.strip():
        raise InvalidInput({"outcome": ["请填写通话结果 / Say what came of the call."]})
    changed = CallTask.objects.filter(pk=task.pk, status="open").update(
        status=status, outcome=outcome[:300], done_by=actor, done_at=timezone.now()
    )
    if not changed:
        raise ConcurrentChange()
    task.refresh_from_db()
    return task
