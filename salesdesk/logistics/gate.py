"""The payment gate (款到发货), API.md "Shipments": one function, under a lock on the customer.

1. free advance (confirmed, unallocated money of the customer) is allocated to this order as far
   as needed;
2. headroom = confirmed money allocated to the order + approved, unexpired exceptions on the order
   + free credit (credit/monthly customers only: credit limit − exposure on the customer's other
   orders, zero while any receivable is past due by more than the grace days);
3. the value of all the order's non-cancelled shipments (this one included) must not exceed the
   headroom; else ``payment_required`` naming the missing amount, and nothing changes (step 1 is
   undone with the rest of the transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from salesdesk.core.errors import DomainError
from salesdesk.customers.choices import Settlement
from salesdesk.customers.models import Customer
from salesdesk.finance.balances import ZERO, allocated_to_orders, free_advance
from salesdesk.finance.choices import ExceptionStatus
from salesdesk.finance.models import GateException
from salesdesk.finance.services import allocate_free_advance

from .choices import COUNTS_FOR_GATE, DISPATCHED_STATES
from .models import Shipment

PAYMENT_REQUIRED = "payment_required"


@dataclass(frozen=True)
class Headroom:
    allocated: Decimal
    exceptions: Decimal
    free_credit: Decimal

    @property
    def total(self) -> Decimal:
        return self.allocated + self.exceptions + self.free_credit


def grace_days() -> int:
    return int(getattr(settings, "GATE_GRACE_DAYS", 0))


def shipment_values(order_ids: list[int], statuses=COUNTS_FOR_GATE) -> dict[int, Decimal]:
    rows = (Shipment.objects.filter(order_id__in=order_ids, status__in=statuses)
            .values("order_id").annotate(v=Sum("value")))
    return {r["order_id"]: r["v"] or ZERO for r in rows}


def exceptions_for(order_id: int, as_of: date) -> Decimal:
    return GateException.objects.filter(
        order_id=order_id, status=ExceptionStatus.APPROVED, expires_on__gte=as_of
    ).aggregate(s=Sum("amount"))["s"] or ZERO


def has_past_due(customer: Customer, as_of: date) -> bool:
    """Any receivable past due by more than the grace days: money is matched to an order's
    dispatched shipments oldest first, so an order is past due when the value it dispatched before
    the cut-off exceeds the money allocated to it."""
    cutoff = as_of - timedelta(days=customer.credit_days + grace_days())
    early = (Shipment.objects.filter(customer=customer, status__in=DISPATCHED_STATES, dispatched_at__date__lt=cutoff)
             .values("order_id").annotate(v=Sum("value")))
    due = {r["order_id"]: r["v"] for r in early}
    if not due:
        return False
    paid = allocated_to_orders(due)
    return any(value > paid.get(order_id, ZERO) for order_id, value in due.items())


def free_credit(customer: Customer, order_id: int, as_of: date) -> Decimal:
    if customer.settlement not in (Settlement.CREDIT, Settlement.MONTHLY) or customer.credit_limit <= 0:
        return ZERO
    if has_past_due(customer, as_of):
        return ZERO
    other_ids = list(
        Shipment.objects.filter(customer=customer, status__in=COUNTS_FOR_GATE).exclude(order_id=order_id)
        .values_list("order_id", flat=True).distinct()
    )
    values = shipment_values(other_ids)
    paid = allocated_to_orders(other_ids)
    exposure = sum((max(ZERO, values.get(i, ZERO) - paid.get(i, ZERO)) for i in other_ids), ZERO)
    exposure += opening_exposure(customer)
    return max(ZERO, customer.credit_limit - exposure)


def opening_exposure(customer: Customer) -> Decimal:
    """Unpaid opening balances (期初) count against credit; provided by the receivables module."""
    from salesdesk.core.registries import figures_for

    figures = figures_for(Customer, [customer], None).get(customer.pk, {})
    return figures.get("unpaid_opening_balance", ZERO)


def headroom(customer: Customer, order, as_of: date) -> Headroom:
    return Headroom(
        allocated=allocated_to_orders([order.pk]).get(order.pk, ZERO),
        exceptions=exceptions_for(order.pk, as_of),
        free_credit=free_credit(customer, order.pk, as_of),
    )


def pass_gate(*, actor, customer: Customer, order, extra_value: Decimal) -> Headroom:
    """Run the gate for ``extra_value`` more on ``order``. The caller holds the customer lock and
    runs inside the transaction that creates the shipment; raising undoes the advance allocation."""
    as_of = timezone.localdate()
    shipped = shipment_values([order.pk]).get(order.pk, ZERO) + extra_value
    allocated = allocated_to_orders([order.pk]).get(order.pk, ZERO)
    need = shipped - allocated
    if need > 0:
        advance = free_advance(customer.pk)
        if advance > 0:
            allocate_free_advance(actor=actor, customer_id=customer.pk, order=order, amount=min(need, advance))
    room = headroom(customer, order, as_of)
    if shipped > room.total:
        missing = shipped - room.total
        raise DomainError(
            f"款未到账，不能发货：还差 ¥{missing:,.2f}（{missing:.2f}） / Payment required: {missing:.2f} missing.",
            code=PAYMENT_REQUIRED,
        )
    return room


def releasable_amount(customer: Customer, order) -> Decimal:
    """What the gate would let ship now: headroom (counting the free advance it would allocate)
    less the value of the order's non-cancelled shipments."""
    as_of = timezone.localdate()
    room = headroom(customer, order, as_of)
    shipped = shipment_values([order.pk]).get(order.pk, ZERO)
    return max(ZERO, room.total + max(ZERO, free_advance(customer.pk)) - shipped)
