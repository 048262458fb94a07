"""Demo payments and shipments (finance and logistics seeders) over a small world of orders of every
settlement and age: each situation the demo is meant to show exists, and the gate held for every
order."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from salesdesk.core.demo import DemoContext
from salesdesk.customers.models import Customer
from salesdesk.finance import demo as finance_demo
from salesdesk.finance.balances import ZERO, allocated_to_orders, free_advance
from salesdesk.finance.choices import ExceptionStatus
from salesdesk.finance.models import GateException, Payment
from salesdesk.ledger.models import Fact
from salesdesk.logistics import demo as logistics_demo
from salesdesk.logistics.choices import COUNTS_FOR_GATE, DISPATCHED_STATES
from salesdesk.logistics.gate import has_past_due
from salesdesk.logistics.models import CallTask, Shipment
from salesdesk.orders.models import Order

from .factories import customer, product, submitted_order

AGES = [2, 10, 25, 50, 100, 200]  # days since each customer's orders were placed
TERMS = ([{}] * 6 + [{"settlement": "deposit", "deposit_rate": Decimal("0.30")}] * 2
         + [{"settlement": "credit", "credit_limit": Decimal("200000.00"), "credit_days": 30}] * 3
         + [{"settlement": "monthly", "credit_limit": Decimal("100000.00"), "credit_days": 30}])


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Customers of every settlement with orders of every age, then the finance and logistics
    seeders as ``seed_demo`` runs them; made once, rolled back at the end."""
    from salesdesk.core.testing.personas import make_personas

    with django_db_blocker.unblock(), transaction.atomic():
        personas = make_personas()
        prods = [product(price) for price in ("800.00", "1500.00", "2600.00")]
        today = timezone.localdate()
        customers, orders = [], []
        for i, terms in enumerate(TERMS):
            owner = ("sales1", "sales2", "sales3")[i % 3]
            cust = customer(personas, owner, status="active", **terms)
            customers.append(cust)
            for j, age in enumerate(AGES):
                lines = [(prods[j % 3], 1 + (i + j) % 4, prods[j % 3].price)]
                if j % 2:
                    lines.append((prods[(j + 1) % 3], 2, prods[(j + 1) % 3].price))
                order = submitted_order(personas, cust, lines, owner=owner)
                Order.objects.filter(pk=order.pk).update(order_date=today - timedelta(days=age))
                orders.append(order.pk)
        ctx = DemoContext(scale="demo", password="x", seed=11, out=io.StringIO())
        ctx.shared.update(users=personas, salespeople=[personas[u] for u in ("sales1", "sales2", "sales3")],
                          customers=customers, orders=orders)
        finance_demo.seed(ctx)
        logistics_demo.seed(ctx)
        yield ctx
        transaction.set_rollback(True)


@pytest.fixture
def seeded(world, db):
    return world


def _by_settlement(*settlements) -> list[int]:
    return list(Customer.objects.filter(settlement__in=settlements).values_list("pk", flat=True))


def test_some_prepaid_customers_are_paid_up_and_delivered(seeded):
    completed = Order.objects.filter(status="completed", customer__settlement="prepaid")

    assert completed.exists()
    assert Shipment.objects.filter(order__in=completed, status__in=["delivered", "pod_returned"]).exists()


def test_some_customers_keep_an_unallocated_advance(seeded):
    assert any(free_advance(pk) > 0 for pk in Customer.objects.values_list("pk", flat=True))


def test_some_credit_customers_have_dispatched_unpaid_shipments_some_past_due(seeded):
    credit = _by_settlement("credit", "monthly")
    shipped = Shipment.objects.filter(customer_id__in=credit, status__in=DISPATCHED_STATES)
    values = dict(shipped.values("order_id").annotate(v=Sum("value")).values_list("order_id", "v"))
    paid = allocated_to_orders(values)

    assert any(v > paid.get(order_id, ZERO) for order_id, v in values.items())
    assert any(has_past_due(c, timezone.localdate()) for c in Customer.objects.filter(pk__in=credit))


def test_some_payments_wait_in_finances_queue(seeded):
    assert Payment.objects.filter(status="pending", order__isnull=False).exists()


def test_some_customer_calls_are_open_and_some_logged(seeded):
    assert CallTask.objects.filter(status="open").exists()
    assert CallTask.objects.filter(status__in=["done", "unreachable"]).exclude(outcome="").exists()


def test_dispatches_wrote_shipped_facts_dated_when_they_happened(seeded):
    shipment = Shipment.objects.filter(status__in=DISPATCHED_STATES).order_by("dispatched_at").first()
    facts = Fact.objects.filter(source_kind="shipment", source_id=shipment.pk, kind="shipped")

    assert facts.aggregate(s=Sum("amount"))["s"] == shipment.value
    assert {f.business_date for f in facts} == {timezone.localdate(shipment.dispatched_at)}
    assert timezone.localdate(shipment.dispatched_at) < timezone.localdate()  # replayed in the past, not all today


def test_confirmed_payments_wrote_received_facts(seeded):
    for p in Payment.objects.filter(status="confirmed"):
        facts = Fact.objects.filter(source_kind="payment", source_id=p.pk, kind="received")
        assert facts.aggregate(s=Sum("amount"))["s"] == p.amount


def test_no_order_shipped_more_than_the_gate_allowed(seeded):
    """Prepaid and deposit orders: shipments never exceed the money on the order (plus approved
    exceptions); credit customers: what is shipped and unpaid over all their orders stays within
    the credit limit."""
    values = defaultdict(lambda: ZERO)
    for row in Shipment.objects.filter(status__in=COUNTS_FOR_GATE).values("order_id").annotate(v=Sum("value")):
        values[row["order_id"]] = row["v"]
    paid = allocated_to_orders(values)
    granted = dict(GateException.objects.filter(status=ExceptionStatus.APPROVED).values("order_id")
                   .annotate(s=Sum("amount")).values_list("order_id", "s"))
    exposure = defaultdict(lambda: ZERO)
    orders = Order.objects.filter(pk__in=values).select_related("customer")
    assert orders.exists()
    for order in orders:
        over = values[order.pk] - paid.get(order.pk, ZERO) - granted.get(order.pk, ZERO)
        assert values[order.pk] <= order.total
        if order.customer.settlement in ("credit", "monthly"):
            exposure[order.customer_id] += max(over, ZERO)
        else:
            assert over <= 0, f"{order.number} shipped {values[order.pk]} with {paid.get(order.pk, ZERO)} paid"
    for customer_id, amount in exposure.items():
        assert amount <= Customer.objects.get(pk=customer_id).credit_limit


def test_some_unpaid_prepaid_orders_wait_for_their_money(seeded):
    prepaid = Order.objects.filter(customer__settlement="prepaid", status="submitted", shipments__isnull=True)
    unpaid = [o for o in prepaid if allocated_to_orders([o.pk]).get(o.pk, ZERO) == 0]

    assert unpaid  # 款到发货: nothing shipped without money
