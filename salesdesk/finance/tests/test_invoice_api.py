"""Invoices in the API (API.md, Invoices): the POST of API.md, red invoices via ``original_id``,
the list by customer, order and period (pinned query count), the uninvoiced-shipment list and
invoice requests; refused requests change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesdesk.core.models import Notification
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance.models import Invoice, InvoiceRequest
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import lock_period

from .factories import customer, order
from .test_invoicing import invoice, red, sd_number, shipment

pytestmark = pytest.mark.django_db


def body(cust, orders=(), **extra) -> dict:
    data = {"customer_id": cust.pk, "order_ids": [o.pk for o in orders], "kind": "sd_special",
            "number": sd_number(901), "issued_on": "2026-11-20", "amount": "11300.00", "tax_amount": "1300.00"}
    data.update(extra)
    return data


def test_finance_posts_an_invoice_in_the_shape_of_api_md(personas, api):
    cust = customer(personas, invoice_title="华远集团", invoice_tax_id="91110000100000000X")
    o = order(personas, cust, "11300.00")

    response = api("finance").post("/api/v1/invoices", body(cust, [o]))

    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("kind", "code", "number", "customer_id", "issued_on", "amount", "tax_amount",
                                 "order_ids", "buyer_name", "buyer_tax_id", "original_id", "period")} == {
        "kind": "sd_special", "code": "", "number": sd_number(901), "customer_id": cust.pk, "issued_on": "2026-11-20",
        "amount": "11300.00", "tax_amount": "1300.00", "order_ids": [o.pk], "buyer_name": "华远集团",
        "buyer_tax_id": "91110000100000000X", "original_id": None, "period": "2026-11",
    }
    assert sum(f.amount for f in Fact.objects.filter(kind="invoiced", order_id=o.pk)) == Decimal("11300.00")


def test_lines_give_the_totals_with_tax_per_line(personas, api):
    cust = customer(personas)
    lines = [{"description": "货物", "amount": "199.00", "tax_rate": "0.13"} for _ in range(7)]

    data = api("clerk").post("/api/v1/invoices", body(cust, amount=None, tax_amount=None, lines=lines)).json()

    assert (data["amount"], data["tax_amount"]) == ("1393.00", "160.23")
    assert [line["tax"] for line in data["lines"]] == ["22.89"] * 7


def test_a_salesperson_gets_403_before_the_body_is_read(personas, api):
    response = api("sales1").post("/api/v1/invoices", {"nonsense": True})

    assert response.status_code == 403 and Invoice.objects.count() == 0


def test_an_order_the_user_cannot_find_is_404(personas, api):
    response = api("clerk").post("/api/v1/invoices", body(customer(personas), order_ids=[2**40]))

    assert response.status_code == 404 and Invoice.objects.count() == 0


def test_a_bad_number_is_422_on_the_number(personas, api):
    response = api("finance").post("/api/v1/invoices", body(customer(personas), number="1234"))

    assert response.status_code == 422 and "number" in response.json()["errors"]


def test_a_duplicate_is_409_naming_the_invoice_on_record(personas, api):
    first = invoice(personas, customer(personas), number=sd_number(901))

    response = api("finance").post("/api/v1/invoices", body(customer(personas)))

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_invoice" and f"#{first.pk}" in response.json()["detail"]
    assert Invoice.objects.count() == 1


def test_a_locked_month_is_409_and_writes_nothing(personas, api):
    lock_period(actor=personas["finance"], period="2026-10")

    response = api("finance").post("/api/v1/invoices", body(customer(personas), issued_on="2026-10-08"))

    assert (response.status_code, response.json()["code"]) == (409, "period_locked")
    assert Invoice.objects.count() == 0 and Fact.objects.count() == 0


def test_a_red_invoice_names_its_original_and_may_not_exceed_it(personas, api):
    cust = customer(personas)
    original = invoice(personas, cust, [order(personas, cust, "1130.00")])
    client = api("finance")

    too_much = client.post("/api/v1/invoices", body(cust, original_id=original.pk, amount="1130.01", tax_amount="0.00"))
    ok = client.post("/api/v1/invoices", body(cust, original_id=original.pk, amount="1130.00", tax_amount="130.00"))

    assert (too_much.status_code, too_much.json()["code"]) == (409, "credit_exceeds_invoice")
    assert ok.status_code == 201 and ok.json()["is_credit_note"] is True
    assert client.get(f"/api/v1/invoices/{original.pk}").json()["credited_amount"] == "1130.00"


def test_the_list_filters_by_customer_order_and_period_in_a_fixed_number_of_queries(personas, api):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    mine = invoice(personas, cust, [o])
    red(personas, mine, "100.00", "0.00")
    october = invoice(personas, customer(personas), issued_on=mine.issued_on.replace(month=10))
    client = api("clerk")

    def ids(query: str) -> list[int]:
        return [i["id"] for i in client.get(f"/api/v1/invoices?{query}").json()["items"]]

    assert ids(f"order_id={o.pk}") == [Invoice.objects.get(original=mine).pk, mine.pk]
    assert ids("period=2026-10") == [october.pk]
    assert ids(f"customer_id={cust.pk}&credit_notes=false") == [mine.pk]
    with query_budget(9) as first:
        client.get("/api/v1/invoices")
    for _ in range(3):
        invoice(personas, customer(personas), [], lines=[])
    with query_budget(len(first.captured_queries)):
        assert client.get("/api/v1/invoices").json()["count"] == 6


def test_a_bad_period_is_422(personas, api):
    assert api("clerk").get("/api/v1/invoices?period=2026-13").status_code == 422


def test_the_uninvoiced_shipments_endpoint_lists_dispatched_shipments_without_invoice(personas, api):
    cust = customer(personas)
    o = order(personas, cust, "900.00")
    first, second = shipment(personas, o, "400.00"), shipment(personas, o, "500.00")
    invoice(personas, cust, shipment_ids=[first.pk], amount="400.00", tax="0.00")

    data = api("sales1").get(f"/api/v1/invoices/uninvoiced-shipments?customer_id={cust.pk}").json()

    assert data["count"] == 1
    assert {k: data["items"][0][k] for k in ("shipment_id", "order_id", "value")} == {
        "shipment_id": second.pk, "order_id": o.pk, "value": "500.00"}


def test_a_request_is_issued_through_the_api_and_the_requester_told(personas, api):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    created = api("sales1").post("/api/v1/invoice-requests", {"customer_id": cust.pk, "order_ids": [o.pk],
                                                              "kind": "sd_ordinary", "amount": "1130.00"})
    assert created.status_code == 201 and created.json()["status"] == "requested"
    assert Notification.objects.filter(kind="invoice_requested").count() == 1

    issued = api("finance").post(f"/api/v1/invoice-requests/{created.json()['id']}/issue", {
        "number": sd_number(902), "issued_on": "2026-11-21", "amount": "1130.00", "tax_amount": "130.00"})

    assert issued.status_code == 200, issued.content
    assert issued.json()["status"] == "issued"
    inv = Invoice.objects.get(pk=issued.json()["invoice_id"])
    assert (inv.kind, list(inv.orders.all())) == ("sd_ordinary", [o])
    assert Notification.objects.filter(kind="invoice_issued", recipient=personas["sales1"]).count() == 1


def test_a_rejected_request_cannot_be_issued(personas, api):
    cust = customer(personas)
    req = api("sales1").post("/api/v1/invoice-requests", {"customer_id": cust.pk, "kind": "sd_ordinary",
                                                          "amount": "10.00"}).json()
    rejected = api("finance").post(f"/api/v1/invoice-requests/{req['id']}/reject", {"reason": "客户未对账"})

    again = api("finance").post(f"/api/v1/invoice-requests/{req['id']}/issue", {
        "number": sd_number(903), "issued_on": "2026-11-21", "amount": "10.00", "tax_amount": "0.00"})

    assert rejected.json()["status"] == "rejected"
    assert (again.status_code, again.json()["code"]) == (409, "invoice_request_not_pending")
    assert InvoiceRequest.objects.get().status == "rejected" and Invoice.objects.count() == 0
