"""Payments and shipments through the API: status codes, idempotency, prices hidden from the warehouse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesdesk.finance.models import Payment
from salesdesk.logistics.models import Shipment

from .factories import customer, paid, product, submitted_order

pytestmark = pytest.mark.django_db


def payment_body(cust, order=None, amount="6000.00"):
    body = {"customer_id": cust.pk, "amount": amount, "received_on": "2026-11-20", "method": "bank_transfer",
            "payer_name": cust.name}
    if order is not None:
        body["order_id"] = order.pk
    return body


def test_payment_is_pending_until_finance_confirms(api, personas):
    cust = customer(personas)
    order = submitted_order(personas, cust, [(product(), 100, "100.00")])

    created = api("sales1").post("/api/v1/payments", payment_body(cust, order))
    assert created.status_code == 201 and created.json()["status"] == "pending"

    assert api("clerk").post(f"/api/v1/payments/{created.json()['id']}/confirm").status_code == 403
    confirmed = api("finance").post(f"/api/v1/payments/{created.json()['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["allocations"][0]["amount"] == "6000.00"


def test_confirming_twice_is_409(api, personas):
    cust = customer(personas)
    pid = api("clerk").post("/api/v1/payments", payment_body(cust)).json()["id"]
    api("finance").post(f"/api/v1/payments/{pid}/confirm")

    again = api("finance").post(f"/api/v1/payments/{pid}/confirm")

    assert again.status_code == 409 and again.json()["code"] == "payment_not_pending"


def test_payment_idempotency_key_returns_the_first_result_and_changes_nothing(api, personas):
    cust = customer(personas)
    client = api("clerk")
    first = client.post("/api/v1/payments", payment_body(cust), HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/v1/payments", payment_body(cust), HTTP_IDEMPOTENCY_KEY="k-1")
    other_body = client.post("/api/v1/payments", payment_body(cust, amount="1.00"), HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert other_body.status_code == 422
    assert Payment.objects.count() == 1


def test_idempotency_keys_are_scoped_to_the_user(api, personas):
    cust = customer(personas)
    api("clerk").post("/api/v1/payments", payment_body(cust), HTTP_IDEMPOTENCY_KEY="same")
    api("finance").post("/api/v1/payments", payment_body(cust), HTTP_IDEMPOTENCY_KEY="same")

    assert Payment.objects.count() == 2


def test_shipment_gate_refusal_is_409_payment_required_naming_the_missing_amount(api, personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "1000.00")])
    paid(personas, cust, "6000.00", order=order)
    client = api("clerk")

    ok = client.post("/api/v1/shipments", {"order_id": order.pk, "lines": [{"product_id": prod.pk, "quantity": "5"}]})
    refused = client.post("/api/v1/shipments", {"order_id": order.pk, "lines": [{"product_id": prod.pk, "quantity": "2"}]})

    assert ok.status_code == 201 and ok.json()["value"] == "5000.00"
    assert refused.status_code == 409
    assert refused.json()["code"] == "payment_required"
    assert "1000.00" in refused.json()["detail"]
    assert Shipment.objects.count() == 1


def test_shipment_idempotency_key(api, personas):
    prod = product("10.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "10.00")])
    paid(personas, cust, "100.00", order=order)
    body = {"order_id": order.pk, "lines": [{"product_id": prod.pk, "quantity": "3"}], "carrier": "SF"}

    a = api("clerk").post("/api/v1/shipments", body, HTTP_IDEMPOTENCY_KEY="ship-1")
    b = api("clerk").post("/api/v1/shipments", body, HTTP_IDEMPOTENCY_KEY="ship-1")

    assert a.json()["id"] == b.json()["id"]
    assert Shipment.objects.count() == 1


def test_warehouse_ships_and_sees_no_prices(api, personas):
    prod = product("10.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "10.00")])
    paid(personas, cust, "100.00", order=order)

    created = api("warehouse").post("/api/v1/shipments", {"order_id": order.pk,
                                                          "lines": [{"product_id": prod.pk, "quantity": "10"}]})
    sid = created.json()["id"]
    dispatched = api("warehouse").post(f"/api/v1/shipments/{sid}/dispatch", {"waybill_no": "sf 1234 5678 90123"})
    delivered = api("warehouse").post(f"/api/v1/shipments/{sid}/track", {"status": "delivered", "signer": "王五"})

    assert created.status_code == 201
    assert created.json()["value"] is None and created.json()["lines"][0]["amount"] is None
    assert dispatched.json()["status"] == "dispatched" and dispatched.json()["waybill_no"] == "SF1234567890123"
    assert delivered.json()["status"] == "delivered" and delivered.json()["signer"] == "王五"
    assert api("clerk").get(f"/api/v1/shipments/{sid}").json()["value"] == "100.00"


def test_salesperson_cannot_create_shipments_or_see_other_orders(api, personas):
    prod = product("10.00")
    order = submitted_order(personas, customer(personas, owner="sales2"), [(prod, 1, "10.00")], owner="sales2")

    assert api("sales1").post("/api/v1/shipments", {"order_id": order.pk,
                                                    "lines": [{"product_id": prod.pk, "quantity": "1"}]}).status_code == 403
    assert api("sales1").post("/api/v1/payments", payment_body(order.customer, order)).status_code == 404


def test_cancel_only_from_planned(api, personas):
    prod = product("10.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 2, "10.00")])
    paid(personas, cust, "20.00", order=order)
    sid = api("clerk").post("/api/v1/shipments", {"order_id": order.pk,
                                                  "lines": [{"product_id": prod.pk, "quantity": "1"}]}).json()["id"]
    api("clerk").post(f"/api/v1/shipments/{sid}/dispatch")

    response = api("clerk").post(f"/api/v1/shipments/{sid}/cancel")

    assert response.status_code == 409
    assert Shipment.objects.get(pk=sid).status == "dispatched"


def test_exception_request_and_approval_through_the_api(api, personas):
    prod = product("1000.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 1, "1000.00")])

    exc = api("sales1").post(f"/api/v1/orders/{order.pk}/exceptions",
                             {"amount": "1000.00", "reason": "老客户", "expires_on": "2099-12-31"})
    approved = api("manager").post(f"/api/v1/exceptions/{exc.json()['id']}/approve")
    shipped = api("clerk").post("/api/v1/shipments", {"order_id": order.pk,
                                                      "lines": [{"product_id": prod.pk, "quantity": "1"}]})

    assert exc.status_code == 201
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert shipped.status_code == 201
    assert Decimal(shipped.json()["value"]) == Decimal("1000.00")
