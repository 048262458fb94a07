"""Demo payments: consistent with the demo orders, or advances only when there are none."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db.models import Sum

from salesdesk.core.demo import DemoContext
from salesdesk.core.numbering import next_number
from salesdesk.finance import demo
from salesdesk.finance.models import Allocation, Payment
from salesdesk.ledger.models import Fact

from .factories import customer, order

pytestmark = pytest.mark.django_db


def context(personas, **shared) -> DemoContext:
    ctx = DemoContext(scale="demo", password="x", seed=7, out=io.StringIO())
    ctx.shared.update(users=personas, **shared)
    return ctx


def test_payments_follow_the_demo_orders_and_count_only_when_confirmed(personas):
    customers = [customer(personas, owner, status="active") for owner in ("sales1", "sales2", "sales3") * 4]
    orders = [order(personas, c, "12000.00", owner=c.salesperson.username) for c in customers]

    demo.seed(context(personas, customers=customers, orders=orders))

    payments = list(Payment.objects.all())
    assert payments and any(p.order_id for p in payments)
    for o in orders:
        allocated = Allocation.objects.filter(order=o).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert allocated <= o.total
    for p in payments:
        facts = Fact.objects.filter(source_kind="payment", source_id=p.pk, kind="received")
        if p.status == "confirmed":
            assert facts.aggregate(s=Sum("amount"))["s"] == p.amount
        else:
            assert not facts.exists() and not Allocation.objects.filter(payment=p).exists()
    assert next_number("HK", payments[0].received_on) not in {p.number for p in payments}  # counters moved on


def test_without_orders_only_advances_are_made(personas):
    customers = [customer(personas, "sales1", status="active") for _ in range(20)]

    demo.seed(context(personas, customers=customers))

    assert Payment.objects.exists()
    assert not Payment.objects.filter(order__isnull=False).exists() and not Allocation.objects.exists()
