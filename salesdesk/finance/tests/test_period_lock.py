"""A locked month cannot be changed through any page, endpoint or import (issue 7, Done when).

Every write path that carries a business date is tried against a locked month: documents dated in
it are refused (409 ``period_locked`` through the API, an error on the page, the import refused)
and nothing is written; money that arrives dated in it — a payment, a refund, a bank-statement
line — is confirmed into the first open month (its accounting period), and corrections of the
locked month's documents (a red invoice, a return) are new facts in the open month. Whatever
happens, the locked month's facts stay exactly as they were.

Shipments carry no business date a user can set in the past: dispatch is always now (a planned
date is a plan, not a fact). If finance locks the current month, a dispatch books its facts into
the next month."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from salesdesk.core.testing.personas import PASSWORD
from salesdesk.finance.models import (
    FinanceLedgerImport,
    Invoice,
    OpeningBalance,
    Payment,
    Receivable,
    WriteOff,
)
from salesdesk.finance.services import confirm_payment
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import lock_period, month_of, next_month, previous_month

from .factories import customer, order, payment
from .test_monthend import _upload, csv_file, shipment, shipped_on

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = month_of(TODAY)
LOCKED = previous_month(THIS_MONTH)
IN_LOCKED = date(TODAY.year, TODAY.month, 1) - timedelta(days=5)  # a day of the locked month


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def lock(personas, period: str = LOCKED) -> None:
    lock_period(actor=personas["finance"], period=period)


def locked_facts(period: str = LOCKED) -> tuple[int, Decimal | None]:
    """What the locked month's books hold: it must not move after the lock."""
    qs = Fact.objects.filter(period=period)
    return qs.count(), qs.aggregate(s=Sum("amount"))["s"]


# --- payments: money dated in a locked month is booked into the first open month -------------------------


def test_a_payment_received_in_a_locked_month_can_still_be_recorded(api, personas):
    cust = customer(personas)
    lock(personas)
    before = locked_facts()

    response = api("clerk").post("/api/v1/payments", {"customer_id": cust.pk, "amount": "500.00",
                                                      "received_on": IN_LOCKED.isoformat(), "method": "bank_transfer"})

    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert locked_facts() == before


def test_a_payment_received_in_a_locked_month_is_confirmed_into_the_first_open_month(api, personas):
    cust = customer(personas)
    p = payment(personas, cust, "600.00", received_on=IN_LOCKED)
    lock(personas)
    before = locked_facts()

    response = api("finance").post(f"/api/v1/payments/{p.pk}/confirm")

    assert response.status_code == 200
    assert (response.json()["received_on"], response.json()["accounting_period"]) == (IN_LOCKED.isoformat(), THIS_MONTH)
    [fact] = Fact.objects.filter(source_kind="payment", source_id=p.pk)
    assert (fact.kind, fact.business_date, fact.period) == (FactKind.RECEIVED, IN_LOCKED, THIS_MONTH)
    assert locked_facts() == before


def test_a_payment_confirmed_on_the_page_into_a_locked_month_goes_to_the_first_open_month(personas, login):
    cust = customer(personas)
    p = payment(personas, cust, "600.00", received_on=IN_LOCKED)
    lock(personas)

    response = login("finance").post(f"/finance/payments/{p.pk}/confirm/")

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.accounting_period) == ("confirmed", THIS_MONTH)


def test_two_locked_months_in_a_row_push_the_payment_past_both(personas):
    cust = customer(personas)
    earlier = previous_month(LOCKED)
    p = payment(personas, cust, "100.00", received_on=date(int(earlier[:4]), int(earlier[5:]), 15))
    lock(personas, earlier)
    lock(personas, LOCKED)

    confirm_payment(actor=personas["finance"], payment=p)

    p.refresh_from_db()
    assert p.accounting_period == THIS_MONTH
    assert Fact.objects.get(source_kind="payment", source_id=p.pk).period == THIS_MONTH


def test_a_refund_dated_in_a_locked_month_is_booked_into_the_open_month(api, personas):
    cust = customer(personas)
    payment(personas, cust, "900.00", confirm=True, received_on=IN_LOCKED)
    lock(personas)
    before = locked_facts()

    created = api("finance").post("/api/v1/payments", {"customer_id": cust.pk, "amount": "200.00", "kind": "refund",
                                                       "received_on": IN_LOCKED.isoformat(), "method": "bank_transfer"})
    confirmed = api("finance").post(f"/api/v1/payments/{created.json()['id']}/confirm")

    assert confirmed.status_code == 200 and confirmed.json()["accounting_period"] == THIS_MONTH
    refund = Fact.objects.get(kind=FactKind.REFUNDED)
    assert (refund.period, refund.amount) == (THIS_MONTH, Decimal("-200.00"))
    assert locked_facts() == before


def test_bank_lines_dated_in_a_locked_month_are_confirmed_into_the_first_open_month(personas):
    from salesdesk.finance import importing

    cust = customer(personas)
    lock(personas)
    before = locked_facts()
    data = csv_file([["交易日期", "收入金额", "对方户名", "流水号"],
                     [IN_LOCKED.isoformat(), "750.00", cust.name, "FT-LOCK-1"]])

    outcome = importing.import_statement(actor=personas["finance"], data=data, filename="bank.csv")
    [line] = outcome.statement.lines.all()
    importing.confirm_lines(actor=personas["finance"], choices=[importing.LineChoice(line_id=line.pk, customer=cust)])

    p = Payment.objects.get()
    assert (p.received_on, p.status, p.accounting_period) == (IN_LOCKED, "confirmed", THIS_MONTH)
    assert Fact.objects.get(source_kind="payment", source_id=p.pk).period == THIS_MONTH
    assert locked_facts() == before


def test_re_allocating_money_of_a_locked_month_writes_no_fact_and_keeps_its_balance(api, personas):
    from salesdesk.finance import monthend

    cust = customer(personas)
    p = payment(personas, cust, "900.00", confirm=True, received_on=IN_LOCKED)
    o = order(personas, cust, "400.00")
    lock(personas)
    before, balance = locked_facts(), monthend.closing_balances(LOCKED)

    response = api("finance").post(f"/api/v1/payments/{p.pk}/allocate",
                                   {"allocations": [{"order_id": o.pk, "amount": "400.00"}]})

    assert response.status_code == 200 and response.json()["allocated_amount"] == "400.00"
    assert locked_facts() == before and monthend.closing_balances(LOCKED) == balance


def test_the_locked_months_closing_balance_does_not_move_when_late_money_arrives(personas):
    from salesdesk.finance import monthend

    cust = customer(personas)
    p = payment(personas, cust, "600.00", received_on=IN_LOCKED)
    payment(personas, cust, "100.00", confirm=True, received_on=IN_LOCKED)
    lock(personas)
    before = monthend.closing_balances(LOCKED)

    confirm_payment(actor=personas["finance"], payment=p)

    assert monthend.closing_balances(LOCKED) == before == {cust.pk: Decimal("-100.00")}
    assert monthend.closing_balances(THIS_MONTH) == {cust.pk: Decimal("-700.00")}


# --- invoices ----------------------------------------------------------------------------------------


def _invoice_body(cust, o, issued_on: date, number="26110000000000000077") -> dict:
    return {"customer_id": cust.pk, "order_ids": [o.pk], "kind": "sd_special", "number": number,
            "issued_on": issued_on.isoformat(), "amount": "1130.00", "tax_amount": "130.00"}


def test_an_invoice_dated_in_a_locked_month_is_refused_through_the_api(api, personas):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    lock(personas)
    before = locked_facts()

    response = api("finance").post("/api/v1/invoices", _invoice_body(cust, o, IN_LOCKED))

    assert response.status_code == 409 and response.json()["code"] == "period_locked"
    assert not Invoice.objects.exists()
    assert not Fact.objects.filter(kind=FactKind.INVOICED).exists()
    assert locked_facts() == before


def test_an_invoice_dated_in_a_locked_month_is_refused_on_the_page(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    lock(personas)

    response = login("clerk").post(f"/finance/invoices/new/?customer={cust.pk}", {
        "kind": "sd_special", "number": "26110000000000000078", "issued_on": IN_LOCKED.isoformat(),
        "amount": "1130.00", "tax_amount": "130.00", "orders": [o.pk], "note": "",
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
    })

    assert response.status_code == 200  # the form again, with the refusal on it
    assert "已结账" in response.content.decode()
    assert not Invoice.objects.exists()


def test_an_invoice_request_cannot_be_answered_with_an_invoice_dated_in_a_locked_month(api, personas):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    created = api("sales1").post("/api/v1/invoice-requests", {"customer_id": cust.pk, "order_ids": [o.pk],
                                                              "kind": "sd_special", "amount": "1130.00"})
    assert created.status_code == 201
    lock(personas)

    response = api("finance").post(f"/api/v1/invoice-requests/{created.json()['id']}/issue", {
        "number": "26110000000000000079", "issued_on": IN_LOCKED.isoformat(), "amount": "1130.00",
        "tax_amount": "130.00"})

    assert response.status_code == 409 and response.json()["code"] == "period_locked"
    assert not Invoice.objects.exists()
    assert api("finance").get(f"/api/v1/invoice-requests/{created.json()['id']}").json()["status"] == "requested"


def test_a_red_invoice_against_a_locked_months_invoice_is_a_new_fact_in_the_open_month(api, personas):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    original = api("finance").post("/api/v1/invoices", _invoice_body(cust, o, IN_LOCKED))
    assert original.status_code == 201
    lock(personas)
    before = locked_facts()

    red = api("finance").post("/api/v1/invoices", {**_invoice_body(cust, o, TODAY, "26110000000000000080"),
                                                   "original_id": original.json()["id"]})

    assert red.status_code == 201 and red.json()["period"] == THIS_MONTH
    assert set(Fact.objects.filter(kind=FactKind.CREDITED).values_list("period", flat=True)) == {THIS_MONTH}
    assert locked_facts() == before


def test_a_red_invoice_dated_in_the_locked_month_is_refused(api, personas):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    original = api("finance").post("/api/v1/invoices", _invoice_body(cust, o, IN_LOCKED)).json()
    lock(personas)

    red = api("finance").post("/api/v1/invoices", {**_invoice_body(cust, o, IN_LOCKED, "26110000000000000081"),
                                                   "original_id": original["id"]})

    assert red.status_code == 409 and red.json()["code"] == "period_locked"
    assert Invoice.objects.count() == 1


# --- returns -----------------------------------------------------------------------------------------


def test_a_return_dated_in_a_locked_month_is_refused_through_the_api(api, personas):
    cust = customer(personas)
    s = shipped_on(personas, cust, IN_LOCKED)
    lock(personas)
    before = locked_facts()
    line = s.lines.get()

    response = api("clerk").post("/api/v1/returns", {
        "shipment_id": s.pk, "returned_on": IN_LOCKED.isoformat(), "reason": "破损",
        "lines": [{"shipment_line_id": line.pk, "quantity": "1"}]})

    assert response.status_code == 409 and response.json()["code"] == "period_locked"
    assert not s.returns.exists()
    assert not Fact.objects.filter(kind=FactKind.RETURNED).exists()
    assert locked_facts() == before


def test_a_return_dated_in_a_locked_month_is_refused_on_the_page(personas, login):
    cust = customer(personas)
    s = shipped_on(personas, cust, IN_LOCKED)
    lock(personas)
    line = s.lines.get()

    response = login("clerk").post(f"/logistics/returns/new/?shipment={s.pk}", {
        "shipment": s.pk, "returned_on": IN_LOCKED.isoformat(), "reason": "破损", f"qty_{line.pk}": "1"})

    assert response.status_code == 409
    assert "已结账" in response.content.decode()
    assert not s.returns.exists()


def test_goods_of_a_locked_month_returned_today_are_a_credit_in_the_open_month(api, personas):
    cust = customer(personas)
    s = shipped_on(personas, cust, IN_LOCKED)
    lock(personas)
    before = locked_facts()
    line = s.lines.get()

    response = api("clerk").post("/api/v1/returns", {
        "shipment_id": s.pk, "returned_on": TODAY.isoformat(), "reason": "破损",
        "lines": [{"shipment_line_id": line.pk, "quantity": "1"}]})

    assert response.status_code == 201
    assert set(Fact.objects.filter(kind=FactKind.RETURNED).values_list("period", flat=True)) == {THIS_MONTH}
    assert locked_facts() == before


# --- write-offs (recorded today: refused while finance has locked the current month) -------------------


def _approved_write_off(personas) -> WriteOff:
    from salesdesk.finance import adjustments

    cust = customer(personas)
    receivable = Receivable.objects.create(
        source_kind="opening", source_id=cust.pk, number="QC-WO-1", customer=cust, salesperson=personas["sales1"],
        amount=Decimal("800.00"), shipped_on=date(2025, 6, 1), arises_on=date(2025, 6, 1), due_on=date(2025, 7, 1),
        period="2025-06")
    write_off = adjustments.request_write_off(actor=personas["clerk"], data=adjustments.WriteOffRequest(
        receivable=receivable, amount=Decimal("300.00"), reason="客户注销"))
    return adjustments.decide_write_off(actor=personas["gm"], write_off=write_off, approve=True)


def test_a_write_off_cannot_be_recorded_into_a_locked_month_through_the_api(api, personas):
    write_off = _approved_write_off(personas)
    lock(personas, THIS_MONTH)
    before = locked_facts(THIS_MONTH)

    response = api("finance").post(f"/api/v1/write-offs/{write_off.pk}/record")

    assert response.status_code == 409 and response.json()["code"] == "period_locked"
    write_off.refresh_from_db()
    assert (write_off.status, write_off.recorded_on) == ("approved", None)
    assert not Fact.objects.filter(kind=FactKind.WRITTEN_OFF).exists()
    assert locked_facts(THIS_MONTH) == before


def test_a_write_off_cannot_be_recorded_into_a_locked_month_on_the_page(personas, login):
    write_off = _approved_write_off(personas)
    lock(personas, THIS_MONTH)

    response = login("finance").post(f"/finance/adjust/write-offs/{write_off.pk}/record/", follow=True)

    assert "已结账" in response.content.decode()
    write_off.refresh_from_db()
    assert write_off.status == "approved"


# --- opening balances --------------------------------------------------------------------------------


def _opening_file(cust) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户编号或名称", "类型", "单据号", "金额", "原始日期", "到期日"])
    sheet.append([cust.code, "应收", "XS-OLD-1", "1000.00", "2025-08-17", "2025-09-16"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_opening_import_as_of_a_locked_month_is_refused_through_the_api(api, personas):
    cust = customer(personas)
    lock(personas)
    before = locked_facts()

    response = api("finance").client.post(
        "/api/v1/opening-balances/import", {"file": _upload("期初.xlsx", _opening_file(cust)),
                                            "as_of": IN_LOCKED.isoformat()},
        HTTP_AUTHORIZATION=api("finance").headers["HTTP_AUTHORIZATION"])

    assert response.status_code == 409 and response.json()["code"] == "period_locked"
    assert not OpeningBalance.objects.exists() and not Receivable.objects.exists()
    assert locked_facts() == before


def test_an_opening_import_as_of_a_locked_month_is_refused_on_the_page(personas, login):
    cust = customer(personas)
    lock(personas)
    client = login("finance")

    preview = client.post("/finance/adjust/opening/upload/", {"file": _upload("期初.xlsx", _opening_file(cust)),
                                                              "as_of": IN_LOCKED.isoformat()})
    token = preview.context["token"]
    assert token  # the preview checks the rows, not the month: the commit must refuse it
    response = client.post(f"/finance/adjust/opening/{token}/commit/", follow=True)

    assert "已结账" in response.content.decode()
    assert not OpeningBalance.objects.exists()


# --- month-end's own import -------------------------------------------------------------------------------


def test_finances_ledger_of_a_locked_month_is_refused_on_the_page(personas, login):
    cust = customer(personas)
    lock(personas)

    response = login("clerk").post(f"/finance/monthend/{LOCKED}/ledger/", {
        "file": _upload("f.csv", csv_file([["客户编码", "期末余额"], [cust.code, "1.00"]]))})

    assert response.status_code == 200
    assert "已结账" in response.content.decode()
    assert not FinanceLedgerImport.objects.exists()


# --- shipments ---------------------------------------------------------------------------------------


def test_a_dispatch_after_finance_locked_the_current_month_books_into_the_next_month(api, personas):
    cust = customer(personas)
    planned = shipment(personas, cust, "400.00", dispatch=False)
    lock(personas, THIS_MONTH)

    response = api("clerk").post(f"/api/v1/shipments/{planned.pk}/dispatch")

    assert response.status_code == 200
    shipped = Fact.objects.get(kind=FactKind.SHIPPED, source_id=planned.pk)
    assert (shipped.business_date, shipped.period) == (TODAY, next_month(THIS_MONTH))
