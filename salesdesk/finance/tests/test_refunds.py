"""Refunds (退款): a payment of kind ``refund`` that finance records and confirms; confirmed, it
writes a negative ``refunded`` fact, takes money out of the customer's advance and raises the
balance the customer owes — end to end through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesdesk.finance.balances import free_advance
from salesdesk.finance.models import Payment
from salesdesk.finance.receivables import customer_balance
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact

from .factories import customer, payment

pytestmark = pytest.mark.django_db


def refund_body(cust, amount="300.00"):
    return {"customer_id": cust.pk, "amount": amount, "received_on": "2026-11-20", "method": "bank_transfer",
            "kind": "refund", "note": "多付退回"}


def test_a_confirmed_refund_reduces_the_advance_and_raises_the_balance(api, personas):
    cust = customer(personas)
    payment(personas, cust, "1000.00", confirm=True)  # an advance of 1000.00: the customer is owed
    assert (free_advance(cust.pk), customer_balance(cust.pk)) == (Decimal("1000.00"), Decimal("-1000.00"))

    created = api("finance").post("/api/v1/payments", refund_body(cust))
    assert created.status_code == 201 and (created.json()["kind"], created.json()["status"]) == ("refund", "pending")
    confirmed = api("finance").post(f"/api/v1/payments/{created.json()['id']}/confirm")

    assert confirmed.status_code == 200 and confirmed.json()["allocations"] == []
    assert (free_advance(cust.pk), customer_balance(cust.pk)) == (Decimal("700.00"), Decimal("-700.00"))
    fact = Fact.objects.get(kind=FactKind.REFUNDED)
    assert (fact.amount, fact.product_id, fact.source_id) == (Decimal("-300.00"), None, created.json()["id"])


def test_a_pending_refund_changes_nothing(api, personas):
    cust = customer(personas)
    payment(personas, cust, "1000.00", confirm=True)

    api("finance").post("/api/v1/payments", refund_body(cust))

    assert free_advance(cust.pk) == Decimal("1000.00")
    assert not Fact.objects.filter(kind=FactKind.REFUNDED).exists()


@pytest.mark.parametrize("username", ["clerk", "sales1"])
def test_only_finance_records_a_refund(api, personas, username):
    cust = customer(personas)

    refused = api(username).post("/api/v1/payments", refund_body(cust))

    assert refused.status_code == 403
    assert not Payment.objects.exists()


@pytest.mark.parametrize("username", ["clerk", "sales1", "gm"])
def test_only_finance_confirms_a_refund(api, personas, username):
    cust = customer(personas)
    pid = api("finance").post("/api/v1/payments", refund_body(cust)).json()["id"]

    assert api(username).post(f"/api/v1/payments/{pid}/confirm").status_code == 403

    assert Payment.objects.get(pk=pid).status == "pending"
    assert not Fact.objects.filter(kind=FactKind.REFUNDED).exists()


def test_a_refund_cannot_be_reallocated_to_an_order(api, personas):
    cust = customer(personas)
    pid = api("finance").post("/api/v1/payments", refund_body(cust)).json()["id"]
    api("finance").post(f"/api/v1/payments/{pid}/confirm")

    refused = api("finance").post(f"/api/v1/payments/{pid}/allocate", {"allocations": []})

    assert refused.status_code == 409
