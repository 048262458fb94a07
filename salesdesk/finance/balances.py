"""Money figures derived from immutable rows (STYLE.md 13): what is allocated to an order, what a
customer has as free advance. One function each; SQL sums stored integers."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum

from .choices import PaymentKind, PaymentStatus
from .models import Allocation, Payment
from .receivables import opening_claims

ZERO = Decimal("0.00")


def allocated_to_orders(order_ids: Iterable[int]) -> dict[int, Decimal]:
    """Confirmed money allocated to each order (one GROUP BY query)."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = Allocation.objects.filter(order_id__in=ids).values("order_id").annotate(total=Sum("amount"))
    return {r["order_id"]: r["total"] or ZERO for r in rows}


def allocated_to_order(order_id: int) -> Decimal:
    return allocated_to_orders([order_id]).get(order_id, ZERO)


def free_advance(customer_id: int) -> Decimal:
    """Confirmed money of the customer not allocated to any order, less refunds paid out, less what
    its unpaid opening receivables (期初应收) take of it — money matched to those is not spent twice
    at the gate (finance.receivables matches opening receivables by unallocated money)."""
    receipts = Payment.objects.filter(
        customer_id=customer_id, status=PaymentStatus.CONFIRMED, kind=PaymentKind.RECEIPT
    ).aggregate(s=Sum("amount"))["s"] or ZERO
    refunds = Payment.objects.filter(
        customer_id=customer_id, status=PaymentStatus.CONFIRMED, kind=PaymentKind.REFUND
    ).aggregate(s=Sum("amount"))["s"] or ZERO
    allocated = Allocation.objects.filter(customer_id=customer_id).aggregate(s=Sum("amount"))["s"] or ZERO
    unallocated = receipts - refunds - allocated
    if unallocated <= 0:
        return unallocated
    return unallocated - min(unallocated, opening_claims([customer_id]).get(customer_id, ZERO))


def payment_free_amounts(customer_id: int) -> list[tuple[int, Decimal]]:
    """(payment id, unallocated amount) of the customer's confirmed receipts, oldest first."""
    payments = list(
        Payment.objects.filter(customer_id=customer_id, status=PaymentStatus.CONFIRMED, kind=PaymentKind.RECEIPT)
        .order_by("received_on", "id").values_list("id", "amount")
    )
    used = dict(
        Allocation.objects.filter(payment_id__in=[p for p, _ in payments]).values("payment_id")
        .annotate(total=Sum("amount")).values_list("payment_id", "total")
    )
    return [(pid, amount - (used.get(pid) or ZERO)) for pid, amount in payments if amount - (used.get(pid) or ZERO) > 0]
