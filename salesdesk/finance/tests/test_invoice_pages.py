"""The invoice pages: list (filters, Excel, pinned query count), detail, the issue form (lines,
red-invoice mode, refusals on the form), invoice requests, the uninvoiced-shipment page and the
invoice tab on the order page."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from salesdesk.core.models import ExportLog, Notification
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance.models import Invoice, InvoiceRequest
from salesdesk.ledger.models import Fact

from .factories import customer, order
from .test_invoicing import DAY, invoice, red, sd_number, shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def _some_invoices(personas, n: int, owner="sales1"):
    for _ in range(n):
        cust = customer(personas, owner)
        o = order(personas, cust, "1130.00", owner=owner)
        original = invoice(personas, cust, [o], shipment_ids=[shipment(personas, o, "1130.00").pk])
        red(personas, original, "100.00", "11.50")


# --- list ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["finance", "sales1"])
def test_the_invoice_list_runs_a_fixed_number_of_queries(personas, login, username):
    _some_invoices(personas, 2)
    client = login(username)
    client.get("/finance/invoices/")  # warm the session

    with query_budget(12) as first:
        assert client.get("/finance/invoices/").status_code == 200
    _some_invoices(personas, 4)
    with query_budget(len(first.captured_queries)):
        response = client.get("/finance/invoices/")

    assert response.content.decode().count('class="badge text-bg-danger"') == 6  # the red ones


def test_the_invoice_list_filters_by_period_kind_and_colour(personas, login):
    cust = customer(personas)
    blue = invoice(personas, cust)
    credit = red(personas, blue, "100.00", "0.00")
    october = invoice(personas, cust, kind="paper_special", code="3300194130", number="00000001",
                      issued_on=DAY.replace(month=10))
    client = login("clerk")

    def numbers(**query) -> set[str]:
        html = client.get("/finance/invoices/", query).content.decode()
        return {i.number for i in (blue, credit, october) if i.number in html}

    assert numbers(period="2026-10") == {october.number}
    assert numbers(kind="paper_special") == {october.number}
    assert numbers(colour="red") == {credit.number}
    assert numbers(q="3300194130") == {october.number}


def test_a_salesperson_sees_only_their_customers_invoices(personas, login):
    mine = invoice(personas, customer(personas, "sales1"))
    theirs = invoice(personas, customer(personas, "sales2"))

    html = login("sales1").get("/finance/invoices/").content.decode()

    assert mine.number in html and theirs.number not in html


def test_the_excel_export_is_logged_and_signs_red_invoices_negative(personas, login):
    original = invoice(personas, customer(personas))
    red(personas, original, "130.00", "0.00")

    response = login("finance").get("/finance/invoices/", {"export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    amounts = sorted(row[4] for row in sheet.iter_rows(min_row=3, values_only=True))
    assert amounts == [-130.0, 1130.0]
    assert ExportLog.objects.get().rows == 2


# --- detail ------------------------------------------------------------------------------------------------


def test_the_detail_shows_lines_orders_and_red_invoices(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    original = invoice(personas, cust, [o])
    credit = red(personas, original, "130.00", "0.00")

    html = login("finance").get(f"/finance/invoices/{original.pk}/").content.decode()

    assert o.number in html and credit.number in html and "¥1000.00" in html  # what is left to credit
    assert f"/finance/invoices/new/?original={original.pk}" in html


# --- the issue form ----------------------------------------------------------------------------------------


def _lines(*rows) -> dict:
    data = {"lines-TOTAL_FORMS": str(max(3, len(rows))), "lines-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"lines-{i}-{k}": v for k, v in row.items()})
    for i in range(len(rows), 3):
        data[f"lines-{i}-tax_rate"] = "0.13"
    return data


def _form(cust, **extra) -> dict:
    data = {"customer": cust.pk, "kind": "sd_special", "number": sd_number(77), "issued_on": DAY.isoformat(),
            "amount": "", "tax_amount": "", "note": "", **_lines()}
    data.update(extra)
    return data


def test_finance_records_an_invoice_with_lines_from_the_form(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "2260.00")
    prod = o.lines.get().product
    data = _form(cust, orders=[o.pk], **_lines({"sku": prod.sku, "quantity": "2", "amount": "2260.00",
                                                 "tax_rate": "0.13"}))

    response = login("finance").post("/finance/invoices/new/", data)

    inv = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/invoices/{inv.pk}/"
    assert (inv.amount, inv.tax_amount, list(inv.orders.all())) == (Decimal("2260.00"), Decimal("260.00"), [o])
    assert Fact.objects.get(source_kind="invoice").product == prod


def test_a_refused_invoice_comes_back_on_the_form_and_writes_nothing(personas, login):
    cust = customer(personas)
    invoice(personas, cust, number=sd_number(77))

    response = login("finance").post("/finance/invoices/new/", _form(cust, amount="100.00", tax_amount="0.00"))

    assert response.status_code == 200 and "已登记" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_a_line_error_is_shown_on_its_row(personas, login):
    cust = customer(personas)
    data = _form(cust, **_lines({"description": "服务费", "amount": "369.63", "tax_rate": "0.13", "tax": "40.00"}))

    html = login("clerk").post("/finance/invoices/new/", data).content.decode()

    assert "相差超过 0.06" in html and Invoice.objects.count() == 0


def test_the_red_invoice_form_offers_what_is_left_and_records_it(personas, login):
    original = invoice(personas, customer(personas))
    red(personas, original, "130.00", "0.00")
    client = login("finance")

    page = client.get(f"/finance/invoices/new/?original={original.pk}").content.decode()
    response = client.post("/finance/invoices/new/", _form(original.customer, original=original.pk,
                                                          number=sd_number(78), amount="1000.00",
                                                          tax_amount="130.00"))

    assert 'value="1000.00"' in page
    credit = Invoice.objects.get(number=sd_number(78))
    assert response.status_code == 302 and credit.original == original


def test_the_form_without_a_customer_asks_for_one(personas, login):
    cust = customer(personas, name="北京华远有限公司")

    html = login("clerk").get("/finance/invoices/new/", {"customer_q": "华远"}).content.decode()

    assert f"customer={cust.pk}" in html


# --- invoice requests ------------------------------------------------------------------------------------------


def test_a_salesperson_requests_an_invoice_from_the_order_and_finance_issues_it(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    sales = login("sales1")

    assert o.number in sales.get(f"/finance/invoices/requests/new/?order={o.pk}").content.decode()
    response = sales.post("/finance/invoices/requests/new/", {"customer": cust.pk, "kind": "sd_special",
                                                               "amount": "1130.00", "orders": [o.pk], "note": "月底报账"})
    req = InvoiceRequest.objects.get()
    assert response["Location"] == f"/finance/invoices/requests/{req.pk}/"
    assert Notification.objects.filter(kind="invoice_requested", recipient=personas["finance"]).count() == 1

    finance = login("finance")
    form = finance.get(f"/finance/invoices/new/?request={req.pk}").content.decode()
    assert req.number in form and 'value="1130.00"' in form
    finance.post("/finance/invoices/new/", _form(cust, request=req.pk, orders=[o.pk], amount="1130.00",
                                                 tax_amount="130.00"))

    req.refresh_from_db()
    assert req.status == "issued" and req.invoice.number == sd_number(77)


def test_finance_rejects_a_request_from_its_page(personas, login):
    cust = customer(personas)
    client = login("sales1")
    client.post("/finance/invoices/requests/new/", {"customer": cust.pk, "kind": "sd_ordinary", "amount": "50.00"})
    req = InvoiceRequest.objects.get()

    login("finance").post(f"/finance/invoices/requests/{req.pk}/reject/", {"reason": "请先对账"})

    req.refresh_from_db()
    assert (req.status, req.reject_reason) == ("rejected", "请先对账")
    assert "请先对账" in client.get(f"/finance/invoices/requests/{req.pk}/").content.decode()


def test_the_request_list_runs_a_fixed_number_of_queries(personas, login):
    from salesdesk.finance import invoicing

    def some(n):
        for _ in range(n):
            cust = customer(personas)
            invoicing.request_invoice(actor=personas["sales1"], data=invoicing.RequestInput(
                customer=cust, kind="sd_special", amount=Decimal("10.00"), orders=[order(personas, cust, "10.00")]))

    some(2)
    client = login("finance")
    client.get("/finance/invoices/requests/")
    with query_budget(11) as first:
        client.get("/finance/invoices/requests/")
    some(3)
    with query_budget(len(first.captured_queries)):
        assert client.get("/finance/invoices/requests/").status_code == 200


# --- uninvoiced shipments ------------------------------------------------------------------------------------------


def test_the_uninvoiced_page_sums_per_customer_and_runs_a_fixed_number_of_queries(personas, login):
    def some(n):
        for _ in range(n):
            o = order(personas, customer(personas), "500.00")
            shipment(personas, o, "200.00"), shipment(personas, o, "300.00")

    some(2)
    client = login("clerk")
    client.get("/finance/invoices/uninvoiced/")
    with query_budget(11) as first:
        client.get("/finance/invoices/uninvoiced/")
    some(3)
    with query_budget(len(first.captured_queries)):
        html = client.get("/finance/invoices/uninvoiced/").content.decode()

    assert "共 10 张发货单，货值 ¥2500.00" in html
    assert html.count("/finance/invoices/new/?customer=") == 10


def test_the_uninvoiced_export_lists_the_shipments(personas, login):
    o = order(personas, customer(personas), "500.00")
    s = shipment(personas, o, "500.00")

    response = login("finance").get("/finance/invoices/uninvoiced/", {"export": "xlsx"})

    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[5]) for r in rows] == [(s.number, 500.0)]


# --- the order page ------------------------------------------------------------------------------------------------


def test_the_order_page_shows_its_invoices_and_what_is_left_to_invoice(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "3000.00")
    original = invoice(personas, cust, [o], amount="2000.00", tax="0.00")
    red(personas, original, "500.00", "0.00")

    html = login("sales1").get(f"/orders/{o.pk}/?tab=panel-invoices", HTTP_HX_REQUEST="true").content.decode()

    assert original.number in html and "¥1500.00" in html  # invoiced less credited
    assert f"/finance/invoices/requests/new/?order={o.pk}" in html
