"""The gate and payment confirmation under real concurrency (threads on a file SQLite database or
PostgreSQL): shipments never exceed the customer's confirmed money; a payment is confirmed once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from salesdesk.core.errors import DomainError
from salesdesk.finance.models import Allocation, Payment
from salesdesk.finance.services import PaymentInput, confirm_payment, record_payment
from salesdesk.logistics.models import Shipment
from salesdesk.logistics.services import LineRequest, create_shipment

from .factories import customer, paid, product, submitted_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def run_parallel(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_fifty_parallel_shipments_never_exceed_the_customers_confirmed_money(personas):
    prod = product("100.00")
    cust = customer(personas)
    orders = [submitted_order(personas, cust, [(prod, 100, "100.00")]) for _ in range(2)]
    paid(personas, cust, "1500.00")  # an advance: enough for 15 of the 50 attempts, across both orders
    clerk = personas["clerk"]

    results = run_parallel(50, lambda i: create_shipment(
        actor=clerk, order=orders[i % 2], lines=[LineRequest(prod.pk, Decimal(1))]))

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert unexpected == []
    shipped = Shipment.objects.aggregate(v=Sum("value"))["v"]
    assert shipped == Decimal("1500.00")
    assert sum(1 for r in results if isinstance(r, Shipment)) == 15
    assert Allocation.objects.aggregate(s=Sum("amount"))["s"] == Decimal("1500.00")


def test_twenty_parallel_confirmations_of_one_payment_allocate_it_once(personas):
    prod = product("100.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 100, "100.00")])
    payment = record_payment(actor=personas["clerk"], data=PaymentInput(
        customer=cust, amount=Decimal("700.00"), received_on=order.order_date, method="bank_transfer", order=order))
    finance = personas["finance"]

    results = run_parallel(20, lambda i: confirm_payment(actor=finance, payment=Payment.objects.get(pk=payment.pk)))

    assert sum(1 for r in results if isinstance(r, Payment)) == 1
    assert all(isinstance(r, Payment | DomainError) for r in results)
    assert Allocation.objects.aggregate(s=Sum("amount"))["s"] == Decimal("700.00")


def test_parallel_confirmations_of_many_payments_never_allocate_more_than_the_order_needs(personas):
    prod = product("100.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "100.00")])  # needs ¥1,000
    payments = [record_payment(actor=personas["clerk"], data=PaymentInput(
        customer=cust, amount=Decimal("300.00"), received_on=order.order_date, method="bank_transfer", order=order))
        for _ in range(20)]
    finance = personas["finance"]

    run_parallel(20, lambda i: confirm_payment(actor=finance, payment=payments[i]))

    assert Allocation.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] == Decimal("1000.00")
    for p in Payment.objects.all():
        allocated = p.allocations.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert allocated <= p.amount
