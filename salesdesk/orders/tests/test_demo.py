"""Demo orders: the bulk path books what the services would (facts per credit share, net zero for
cancelled and closed orders), stays within the contracts, and leaves the number counters so that
the next real order gets a fresh number."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from salesdesk.core.demo import DemoContext
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.models import Fact
from salesdesk.orders import demo
from salesdesk.orders.models import CoordinationRequest, Order
from salesdesk.orders.queries import contract_remaining

from .factories import make_contract, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(personas, monkeypatch):
    monkeypatch.setitem(demo.ORDERS, "demo", 150)
    sellers = [personas[u] for u in ("sales1", "sales2", "sales3")]
    customers = [CustomerFactory(salesperson=sellers[i % 3]) for i in range(12)]
    products = [make_product(price=p) for p in ("2380.00", "99.90", "418.00", "600.00")]
    contract = make_contract(personas, customer=customers[0], lines=[(products[0], "30", "2300.00")])
    ctx = DemoContext(scale="demo", password="x", seed=7, out=io.StringIO())
    ctx.shared.update(users=personas, salespeople=sellers, customers=customers, products=products,
                      contracts=[contract])
    demo.seed(ctx)
    return ctx, contract


def test_submitted_demo_orders_book_their_totals(seeded):
    submitted = Order.objects.filter(status="submitted")
    facts = Fact.objects.filter(order_id__in=submitted.values("id"))

    assert submitted.count() > 100
    assert facts.aggregate(s=Sum("amount"))["s"] == sum(o.total for o in submitted)


def test_cancelled_and_closed_demo_orders_net_to_zero_and_drafts_book_nothing(seeded):
    gone = Order.objects.filter(status__in=["cancelled", "closed"])
    drafts = Order.objects.filter(status="draft")

    assert Fact.objects.filter(order_id__in=gone.values("id")).aggregate(s=Sum("amount"))["s"] in (None, Decimal(0))
    assert not Fact.objects.filter(order_id__in=drafts.values("id")).exists()


def test_demo_orders_stay_within_the_contract(seeded):
    _ctx, contract = seeded

    assert min(contract_remaining(contract).values()) >= 0


def test_the_next_real_order_gets_a_fresh_number(seeded, personas):
    order = make_order(personas)

    assert Order.objects.filter(number=order.number).count() == 1
    assert order.number.startswith(f"SO{timezone.localdate():%Y%m%d}-")


def test_demo_orders_are_shared_for_finance_and_some_have_coordination(seeded):
    ctx, _contract = seeded

    assert len(ctx.shared["orders"]) == 150 == Order.objects.count()
    assert CoordinationRequest.objects.exists()
    assert Order.objects.filter(submitted_at__gt=timezone.now()).count() == 0
