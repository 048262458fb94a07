"""The payment gate (款到发货), case by case as the issue lists them (API.md, Shipments)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.finance.balances import allocated_to_order, free_advance
from salesdesk.finance.models import Allocation, GateException
from salesdesk.finance.services import decide_exception, request_exception
from salesdesk.logistics.models import Shipment
from salesdesk.logistics.services import LineRequest, cancel_shipment, create_shipment, dispatch

from .factories import customer, paid, product, submitted_order

pytestmark = pytest.mark.django_db


def ship(personas, order, prod, qty, who="clerk"):
    return create_shipment(actor=personas[who], order=order, lines=[LineRequest(prod.pk, Decimal(qty))])


def refused(personas, order, prod, qty) -> str:
    before = (Shipment.objects.count(), Allocation.objects.count())
    with pytest.raises(DomainError) as info:
        ship(personas, order, prod, qty)
    assert info.value.code == "payment_required"
    assert (Shipment.objects.count(), Allocation.objects.count()) == before  # nothing changed
    return info.value.message


def test_full_prepayment_releases_the_whole_order(personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "1000.00")])
    paid(personas, cust, "10000.00", order=order)

    shipment = ship(personas, order, prod, 10)

    assert shipment.value == Decimal("10000.00")


def test_partial_payment_allows_partial_shipments_and_names_the_missing_amount(personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "1000.00")])  # ¥10,000
    paid(personas, cust, "6000.00", order=order)

    ship(personas, order, prod, 5)  # ¥5,000 → ok
    message = refused(personas, order, prod, 2)  # another ¥2,000 → ¥1,000 missing

    assert "1000.00" in message


def test_pending_money_does_not_count(personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 1, "1000.00")])
    paid(personas, cust, "1000.00", order=order, confirm=False)

    assert "1000.00" in refused(personas, order, prod, 1)


def test_an_advance_paid_before_the_order_releases_it(personas):
    prod = product("500.00")
    cust = customer(personas)
    paid(personas, cust, "800.00")  # no order yet: the customer's advance
    order = submitted_order(personas, cust, [(prod, 1, "500.00")])

    ship(personas, order, prod, 1)

    assert allocated_to_order(order.pk) == Decimal("500.00")
    assert free_advance(cust.pk) == Decimal("300.00")


def test_credit_headroom_counts_other_orders_exposure(personas):
    prod = product("1000.00")
    cust = customer(personas, settlement="credit", credit_limit=Decimal("5000.00"), credit_days=30)
    first = submitted_order(personas, cust, [(prod, 4, "1000.00")])
    second = submitted_order(personas, cust, [(prod, 4, "1000.00")])

    ship(personas, first, prod, 4)  # ¥4,000 of ¥5,000 credit used
    ship(personas, second, prod, 1)  # ¥1,000 left
    message = refused(personas, second, prod, 1)

    assert "1000.00" in message


def test_a_customer_with_a_past_due_receivable_gets_no_credit(personas):
    prod = product("1000.00")
    cust = customer(personas, settlement="credit", credit_limit=Decimal("100000.00"), credit_days=30)
    old = submitted_order(personas, cust, [(prod, 1, "1000.00")])
    dispatch(actor=personas["clerk"], shipment=ship(personas, old, prod, 1))
    Shipment.objects.filter(order=old).update(dispatched_at=timezone.now() - timedelta(days=31))
    new = submitted_order(personas, cust, [(prod, 1, "1000.00")])

    assert "1000.00" in refused(personas, new, prod, 1)


def test_a_manager_exception_releases_until_it_expires(personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 3, "1000.00")])
    exc = request_exception(actor=personas["sales1"], order=order, amount=Decimal("2000.00"), reason="老客户，月底付款",
                            expires_on=timezone.localdate() + timedelta(days=3))
    decide_exception(actor=personas["manager"], exception=exc, approve=True)

    ship(personas, order, prod, 2)
    refused(personas, order, prod, 1)

    GateException.objects.filter(pk=exc.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    cancel_shipment(actor=personas["clerk"], shipment=Shipment.objects.get(order=order))
    assert "1000.00" in refused(personas, order, prod, 1)  # expired: no headroom at all


def test_nobody_approves_their_own_exception(personas):
    prod = product("1000.00")
    order = submitted_order(personas, customer(personas, owner="sales1"), [(prod, 1, "1000.00")])
    exc = request_exception(actor=personas["clerk"], order=order, amount=Decimal("100.00"), reason="急需",
                            expires_on=timezone.localdate())
    from django.contrib.auth.models import Group

    personas["clerk"].groups.add(Group.objects.get(name="sales_manager"))
    clerk = type(personas["clerk"]).objects.get(pk=personas["clerk"].pk)

    with pytest.raises(DomainError) as info:
        decide_exception(actor=clerk, exception=exc, approve=True)
    assert info.value.code == "self_approval"


def test_cancelling_a_planned_shipment_frees_its_value(personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 2, "1000.00")])
    paid(personas, cust, "1000.00", order=order)
    first = ship(personas, order, prod, 1)
    refused(personas, order, prod, 1)

    cancel_shipment(actor=personas["clerk"], shipment=first)

    assert ship(personas, order, prod, 1).value == Decimal("1000.00")


def test_quantity_beyond_what_is_left_is_422_before_the_gate(personas):
    prod = product("1000.00")
    order = submitted_order(personas, customer(personas), [(prod, 2, "1000.00")])

    with pytest.raises(InvalidInput) as info:
        ship(personas, order, prod, 3)  # no money either: the quantity is checked first
    assert "lines.0.quantity" in info.value.errors


def test_dispatch_writes_shipped_facts_and_marks_the_order(personas):
    from salesdesk.ledger.models import Fact

    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 2, "1000.00")])
    paid(personas, cust, "2000.00", order=order)

    dispatch(actor=personas["warehouse"], shipment=ship(personas, order, prod, 1, who="warehouse"))

    order.refresh_from_db()
    assert order.status == "partially_shipped"
    fact = Fact.objects.get(kind="shipped")
    assert (fact.amount, fact.quantity, fact.order_id) == (Decimal("1000.00"), Decimal("1.000"), order.pk)


def test_cancelling_an_order_gives_its_money_back_to_the_advance(personas):
    from salesdesk.orders.services import cancel_order

    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 1, "1000.00")])
    paid(personas, cust, "1000.00", order=order)

    cancel_order(actor=personas["clerk"], order=order, reason="客户取消")

    assert allocated_to_order(order.pk) == Decimal("0.00")
    assert free_advance(cust.pk) == Decimal("1000.00")
