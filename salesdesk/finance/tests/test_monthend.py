"""Month-end (月末对账): the periods API, the checklist page (cut-off, unmatched money, uninvoiced
shipments, differences against finance's AR sub-ledger with its Excel export), the lock, and the
pinned query counts."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance import monthend
from salesdesk.finance.models import FinanceLedgerImport, FinanceLedgerLine, Invoice, OpeningBalance
from salesdesk.finance.services import confirm_payment
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Period
from salesdesk.ledger.periods import lock_period, month_of, next_month, previous_month
from salesdesk.ledger.services import FactInput, Share, record

from .factories import customer, order, payment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = month_of(TODAY)
LAST_MONTH = previous_month(THIS_MONTH)


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def shipment(personas, cust, amount="1000.00", *, dispatch=True, planned_on=None):
    """A paid order of one line and a shipment of all of it (dispatched today unless told)."""
    from salesdesk.logistics import services as logistics

    o = order(personas, cust, amount)
    payment(personas, cust, amount, order=o, confirm=True, received_on=TODAY)
    line = o.lines.get()
    s = logistics.create_shipment(actor=personas["clerk"], order=o, planned_on=planned_on,
                                  lines=[logistics.LineRequest(product_id=line.product_id, quantity=line.quantity)])
    if dispatch:
        s = logistics.dispatch(actor=personas["clerk"], shipment=s)
    return s


def shipped_on(personas, cust, day: date, amount="1000.00"):
    """A shipment whose goods left on ``day`` (dispatch is always now: the date is set back)."""
    s = shipment(personas, cust, amount)
    Shipment = apps.get_model("logistics", "Shipment")
    Shipment.objects.filter(pk=s.pk).update(dispatched_at=timezone.make_aware(datetime.combine(day, time(10))))
    s.refresh_from_db()
    return s


def invoice(personas, cust, amount="1000.00", *, on=TODAY, original=None, shipments=()):
    _seq["n"] += 1
    number = f"2611{_seq['n']:016d}"
    inv = Invoice.objects.create(kind="sd_special", number=number, identity=f"sd:{number}", customer=cust, issued_on=on,
                                 amount=Decimal(amount), tax_amount=Decimal("0.00"), period=month_of(on),
                                 original=original, created_by=personas["finance"])
    for s in shipments:
        s.invoices.add(inv)
    return inv


_seq = {"n": 0}


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def fact(personas, cust, kind, amount, on, **kw):
    return record([FactInput(kind=kind, business_date=on, amount=Decimal(amount), customer_id=cust.pk,
                             source_kind=kw.pop("source_kind", "test"), source_id=kw.pop("source_id", 1),
                             shares=[Share(personas["sales1"].pk, Decimal(1))], **kw)], actor=None)


# --- the periods API -------------------------------------------------------------------------------------


def test_finance_locks_a_month_through_the_api(api, personas):
    response = api("finance").post(f"/api/v1/periods/{LAST_MONTH}/lock")

    assert response.status_code == 200
    body = response.json()
    assert (body["period"], body["status"], body["locked_by_id"]) == (LAST_MONTH, "locked", personas["finance"].pk)
    assert Period.objects.get(period=LAST_MONTH).status == "locked"


def test_locking_a_locked_month_again_answers_200_still_locked(api, personas):
    api("finance").post(f"/api/v1/periods/{LAST_MONTH}/lock", {"note": "首次"})

    response = api("finance").post(f"/api/v1/periods/{LAST_MONTH}/lock", {"note": "再次"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["note"]) == ("locked", "首次")
    assert Period.objects.count() == 1


@pytest.mark.parametrize("bad", ["2026-13", "202611", "2026-1", "abc", "2026-11-01", "２０２６-１１", "9" * 40,
                                 "%E2%80%8B2026-11", "2026-11%00", "0000-01"])
def test_a_malformed_month_is_422_and_locks_nothing(api, personas, bad):
    response = api("finance").post(f"/api/v1/periods/{bad}/lock")

    assert response.status_code == 422
    assert "period" in response.json()["errors"]
    assert not Period.objects.exists()


def test_a_future_month_is_409_and_locks_nothing(api, personas):
    response = api("finance").post(f"/api/v1/periods/{next_month(THIS_MONTH)}/lock")

    assert response.status_code == 409 and response.json()["code"] == "period_in_future"
    assert not Period.objects.exists()


@pytest.mark.parametrize("username", ["clerk", "gm", "manager", "sales1", "admin", "hr"])
def test_only_finance_locks_a_month_through_the_api(api, personas, username):
    response = api(username).post(f"/api/v1/periods/{LAST_MONTH}/lock")

    assert response.status_code == 403
    assert not Period.objects.exists()


def test_the_role_check_comes_before_the_format_check(api, personas):
    assert api("clerk").post("/api/v1/periods/nonsense/lock").status_code == 403


def test_the_period_list_shows_the_months_latest_first_with_their_status(api, personas):
    cust = customer(personas)
    fact(personas, cust, FactKind.RECEIVED, "10.00", date(TODAY.year, TODAY.month, 1) - timedelta(days=40))
    lock_period(actor=personas["finance"], period=LAST_MONTH)

    response = api("clerk").get("/api/v1/periods")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(i["period"], i["status"]) for i in body["items"]] == [
        (THIS_MONTH, "open"), (LAST_MONTH, "locked"), (previous_month(LAST_MONTH), "open")]


def test_the_period_list_pages_with_limit_and_offset(api, personas):
    cust = customer(personas)
    fact(personas, cust, FactKind.RECEIVED, "10.00", date(TODAY.year - 2, 1, 1))

    body = api("gm").get("/api/v1/periods?limit=2&offset=1").json()

    assert body["count"] == 24 + TODAY.month
    assert [i["period"] for i in body["items"]] == [LAST_MONTH, previous_month(LAST_MONTH)]


def test_the_period_list_runs_a_fixed_number_of_queries(api, personas):
    cust = customer(personas)
    client = api("finance")
    client.get("/api/v1/periods")  # warm the token
    fact(personas, cust, FactKind.RECEIVED, "10.00", date(TODAY.year - 1, 1, 1))
    with query_budget(5) as few:
        assert client.get("/api/v1/periods").status_code == 200
    for back in range(1, 6):
        period = THIS_MONTH
        for _ in range(back):
            period = previous_month(period)
        lock_period(actor=personas["finance"], period=period)
    with query_budget(len(few.captured_queries)):
        assert client.get("/api/v1/periods").status_code == 200


# --- the checklist ----------------------------------------------------------------------------------------


def test_the_cut_off_counts_the_months_documents_and_what_still_waits(personas, login):
    cust = customer(personas)
    shipment(personas, cust, "1000.00")
    shipment(personas, cust, "300.00", dispatch=False, planned_on=TODAY)
    pending = payment(personas, cust, "500.00", received_on=TODAY)
    cut = monthend.cut_off(THIS_MONTH)

    assert (cut.dispatched.count, cut.dispatched.amount) == (1, Decimal("1000.00"))
    assert (cut.planned.count, [s.value for s in cut.planned_rows]) == (1, [Decimal("300.00")])
    assert (cut.pending_payments.count, cut.pending_payment_rows) == (1, [pending])
    assert (cut.receipts.count, cut.receipts.amount) == (2, Decimal("1300.00"))  # the two orders' money
    page = login("clerk").get(f"/finance/monthend/{THIS_MONTH}/").content.decode()
    assert pending.number in page and 'id="planned-shipments"' in page


def test_a_payment_recorded_for_a_later_month_is_not_pending_for_this_one(personas):
    cust = customer(personas)
    payment(personas, cust, "500.00", received_on=date(TODAY.year, TODAY.month, 1) - timedelta(days=1))
    payment(personas, cust, "700.00", received_on=TODAY)

    assert monthend.cut_off(LAST_MONTH).pending_payments.count == 1
    assert monthend.cut_off(THIS_MONTH).pending_payments.count == 2


def test_confirmed_money_on_no_order_is_listed_as_unmatched(personas):
    cust = customer(personas)
    advance = payment(personas, cust, "800.00", confirm=True, received_on=TODAY)
    o = order(personas, cust, "500.00")
    payment(personas, cust, "500.00", order=o, confirm=True, received_on=TODAY)  # fully on its order

    unmatched = monthend.unmatched_payments(THIS_MONTH)

    assert [(u.payment, u.unallocated) for u in unmatched.rows] == [(advance, Decimal("800.00"))]
    assert (unmatched.payments.count, unmatched.payments.amount) == (1, Decimal("800.00"))


def test_a_partly_allocated_payment_shows_its_unallocated_rest(personas):
    cust = customer(personas)
    o = order(personas, cust, "300.00")
    p = payment(personas, cust, "1000.00", order=o, confirm=True, received_on=TODAY)

    assert [(u.payment, u.unallocated) for u in monthend.unmatched_payments(THIS_MONTH).rows] == [
        (p, Decimal("700.00"))]


def test_a_shipment_without_an_invoice_is_uninvoiced_until_an_invoice_covers_it(personas):
    cust = customer(personas)
    s = shipment(personas, cust, "1000.00")
    assert [r.pk for r in monthend.uninvoiced_shipments(THIS_MONTH).rows] == [s.pk]

    invoice(personas, cust, shipments=[s])

    assert monthend.uninvoiced_shipments(THIS_MONTH).shipments.count == 0
    assert monthend.uninvoiced_shipments(LAST_MONTH).shipments.count == 0  # it left this month


def test_an_invoice_issued_after_the_month_end_does_not_cover_that_month(personas):
    cust = customer(personas)
    s = shipped_on(personas, cust, date(TODAY.year, TODAY.month, 1) - timedelta(days=2))
    invoice(personas, cust, on=TODAY, shipments=[s])

    assert [r.pk for r in monthend.uninvoiced_shipments(LAST_MONTH).rows] == [s.pk]
    assert monthend.uninvoiced_shipments(THIS_MONTH).shipments.count == 0


def test_a_wholly_reversed_invoice_leaves_its_shipment_uninvoiced(personas):
    cust = customer(personas)
    s = shipment(personas, cust, "1000.00")
    blue = invoice(personas, cust, shipments=[s])
    invoice(personas, cust, "400.00", original=blue)
    assert monthend.uninvoiced_shipments(THIS_MONTH).shipments.count == 0  # partly reversed: still invoiced

    invoice(personas, cust, "600.00", original=blue)

    assert [r.pk for r in monthend.uninvoiced_shipments(THIS_MONTH).rows] == [s.pk]


def test_our_closing_balance_follows_the_receivables_identity(personas):
    cust = customer(personas)
    eom = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    fact(personas, cust, FactKind.SHIPPED, "1000.00", eom)
    fact(personas, cust, FactKind.RETURNED, "100.00", eom)
    fact(personas, cust, FactKind.RECEIVED, "300.00", eom)
    fact(personas, cust, FactKind.REFUNDED, "50.00", eom)
    fact(personas, cust, FactKind.WRITTEN_OFF, "20.00", eom)
    fact(personas, cust, FactKind.INVOICED, "999.00", eom)  # invoices do not move the balance
    fact(personas, cust, FactKind.SHIPPED, "5000.00", TODAY)  # after the month end
    OpeningBalance.objects.create(customer=cust, kind="receivable", document_no="QC-1", amount=Decimal("400.00"),
                                  original_on=date(2025, 12, 1), as_of=date(2026, 1, 1), created_by=personas["finance"])
    OpeningBalance.objects.create(customer=cust, kind="advance", document_no="QC-2", amount=Decimal("30.00"),
                                  original_on=date(2025, 12, 1), as_of=date(2026, 1, 1), created_by=personas["finance"])

    balances = monthend.closing_balances(LAST_MONTH)

    # 1000 − 100 − 300 + 50 − 20 + 400 − 30
    assert balances == {cust.pk: Decimal("1000.00")}


def test_our_closing_balance_agrees_with_the_receivables_engine(personas):
    receivables = pytest.importorskip("salesdesk.finance.receivables")
    cust = customer(personas)
    shipment(personas, cust, "1000.00")
    payment(personas, cust, "250.00", confirm=True, received_on=TODAY)

    ours = monthend.closing_balances(THIS_MONTH).get(cust.pk, Decimal(0))

    assert ours == receivables.customer_balance(cust.pk, as_of=TODAY) == Decimal("-250.00")


def test_our_closing_balances_agree_with_the_receivables_engine_across_a_lock(api, personas):
    receivables = pytest.importorskip("salesdesk.finance.receivables")
    eolm = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    a, b = customer(personas), customer(personas)
    s = shipped_on(personas, a, eolm - timedelta(days=3), "1000.00")
    shipment(personas, b, "500.00")
    late = payment(personas, a, "300.00", received_on=eolm)
    payment(personas, b, "200.00", confirm=True, received_on=eolm)
    lock_period(actor=personas["finance"], period=LAST_MONTH)
    confirm_payment(actor=personas["finance"], payment=late)
    assert api("clerk").post("/api/v1/returns", {
        "shipment_id": s.pk, "returned_on": TODAY.isoformat(), "reason": "破损",
        "lines": [{"shipment_line_id": s.lines.get().pk, "quantity": "0.5"}]}).status_code == 201
    refund = api("finance").post("/api/v1/payments", {"customer_id": b.pk, "amount": "50.00", "kind": "refund",
                                                      "received_on": TODAY.isoformat(), "method": "bank_transfer"})
    api("finance").post(f"/api/v1/payments/{refund.json()['id']}/confirm")

    for period, day in ((LAST_MONTH, eolm), (THIS_MONTH, TODAY)):
        ours = monthend.closing_balances(period)
        assert {c.pk: ours.get(c.pk, Decimal(0)) for c in (a, b)} == {
            c.pk: receivables.customer_balance(c.pk, as_of=day) for c in (a, b)}, period


def test_money_received_in_a_locked_month_counts_in_the_month_it_was_booked_into(personas):
    cust = customer(personas)
    eom = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    p = payment(personas, cust, "600.00", received_on=eom)
    lock_period(actor=personas["finance"], period=LAST_MONTH)
    confirm_payment(actor=personas["finance"], payment=p)

    assert monthend.closing_balances(LAST_MONTH) == {}
    assert monthend.closing_balances(THIS_MONTH) == {cust.pk: Decimal("-600.00")}
    cut = monthend.cut_off(LAST_MONTH)
    assert (cut.booked_later.count, cut.receipts.count) == (1, 0)
    assert monthend.cut_off(THIS_MONTH).receipts.amount == Decimal("600.00")


# --- finance's AR sub-ledger and the differences ----------------------------------------------------------


def _three_customers(personas):
    same = customer(personas, name="甲方一致有限公司")
    differs = customer(personas, name="乙方差异有限公司")
    missing = customer(personas, name="丙方财务没有有限公司")
    eom = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    fact(personas, same, FactKind.SHIPPED, "1000.00", eom)
    fact(personas, differs, FactKind.SHIPPED, "2000.00", eom)
    fact(personas, missing, FactKind.SHIPPED, "300.00", eom)
    return same, differs, missing


def _finance_file(same, differs) -> bytes:
    return xlsx([
        ["应收账款余额表"],
        ["期间：上月"],
        ["客户编码", "客户名称", "期初余额", "本期借方", "本期贷方", "期末余额"],
        [same.code, "", "0", "1000", "0", "1,000.00"],
        ["", "乙方差异有限公司", "0", "1500", "0", "1500.00"],
        ["", "丁方不是我们的客户", "0", "0", "0", "88.00"],
        ["合计", "", "", "", "", "2588.00"],
    ])


def test_importing_finances_file_lists_the_differences_per_customer(personas, login):
    same, differs, missing = _three_customers(personas)
    client = login("clerk")

    response = client.post(f"/finance/monthend/{LAST_MONTH}/ledger/",
                           {"file": _upload("应收明细.xlsx", _finance_file(same, differs))})

    assert response.status_code == 302
    batch = FinanceLedgerImport.objects.get()
    assert (batch.period, batch.uploaded_by) == (LAST_MONTH, personas["clerk"])
    assert sorted((line.customer_id, line.balance) for line in batch.lines.all() if line.customer_id) == sorted(
        [(same.pk, Decimal("1000.00")), (differs.pk, Decimal("1500.00"))])
    diff = monthend.differences(LAST_MONTH)
    assert [(r.customer, r.ours, r.theirs, r.difference) for r in diff.rows] == [
        (differs, Decimal("2000.00"), Decimal("1500.00"), Decimal("500.00")),
        (missing, Decimal("300.00"), None, Decimal("300.00")),
    ]
    assert [u.customer_label for u in diff.unmatched] == ["丁方不是我们的客户"]
    assert (diff.compared, diff.equal) == (3, 1)
    page = client.get(f"/finance/monthend/{LAST_MONTH}/").content.decode()
    assert "乙方差异有限公司" in page and "丁方不是我们的客户" in page and 'id="differences-export"' in page


def test_the_difference_list_exports_to_excel_and_the_export_is_logged(personas, login):
    same, differs, _missing = _three_customers(personas)
    monthend.import_finance_ledger(actor=personas["finance"], period=LAST_MONTH, data=_finance_file(same, differs),
                                   filename="f.xlsx")

    response = login("finance").get(f"/finance/monthend/{LAST_MONTH}/differences.xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [(r[1], r[4]) for r in rows] == [("乙方差异有限公司", 500), ("丙方财务没有有限公司", 300),
                                           ("丁方不是我们的客户", -88)]
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (personas["finance"], "finance.monthend_differences", 3)


def test_debit_and_credit_balance_columns_make_a_signed_balance(personas):
    advance = customer(personas, name="预收客户有限公司")
    data = csv_file([["客户代码", "客户名称", "期末借方余额", "期末贷方余额"],
                     [advance.code, advance.name, "", "250.00"]])

    monthend.import_finance_ledger(actor=personas["clerk"], period=LAST_MONTH, data=data, filename="f.csv")

    assert FinanceLedgerLine.objects.get().balance == Decimal("-250.00")


def test_a_credit_direction_column_makes_the_balance_an_advance(personas):
    cust = customer(personas)
    data = csv_file([["客户编号", "方向", "余额"], [cust.code, "贷", "120.00"], ["X-1", "平", "0"]])

    monthend.import_finance_ledger(actor=personas["clerk"], period=LAST_MONTH, data=data, filename="f.csv")

    assert [(line.customer_id, line.balance) for line in FinanceLedgerLine.objects.order_by("id")] == [
        (cust.pk, Decimal("-120.00")), (None, Decimal("0.00"))]


def test_a_row_with_a_bad_amount_is_reported_and_the_rest_imported(personas):
    cust = customer(personas)
    data = csv_file([["客户编码", "期末余额"], [cust.code, "12元整"], [cust.code, "10.00"]])

    outcome = monthend.import_finance_ledger(actor=personas["clerk"], period=LAST_MONTH, data=data, filename="f.csv")

    assert (outcome.rows, outcome.matched, [row for row, _ in outcome.errors]) == (1, 1, [2])


def test_a_name_that_fits_two_customers_matches_neither(personas):
    customer(personas, name="华远科技有限公司", short_name="华远")
    customer(personas, name="华远贸易有限公司", short_name="华远")
    data = csv_file([["客户名称", "期末余额"], ["华远", "10.00"]])

    monthend.import_finance_ledger(actor=personas["clerk"], period=LAST_MONTH, data=data, filename="f.csv")

    assert FinanceLedgerLine.objects.get().customer_id is None


def test_a_file_without_a_customer_and_balance_header_is_refused_on_the_form(personas, login):
    data = csv_file([["日期", "摘要"], ["2026-10-01", "x"]])

    response = login("clerk").post(f"/finance/monthend/{LAST_MONTH}/ledger/", {"file": _upload("x.csv", data)})

    assert response.status_code == 200
    assert "没有找到表头" in response.content.decode()
    assert not FinanceLedgerImport.objects.exists()


def test_the_latest_import_of_the_month_is_the_one_compared(personas):
    cust = customer(personas)
    monthend.import_finance_ledger(actor=personas["clerk"], period=LAST_MONTH, filename="1.csv",
                                   data=csv_file([["客户编码", "期末余额"], [cust.code, "10.00"]]))
    monthend.import_finance_ledger(actor=personas["clerk"], period=LAST_MONTH, filename="2.csv",
                                   data=csv_file([["客户编码", "期末余额"], [cust.code, "20.00"]]))

    diff = monthend.differences(LAST_MONTH)

    assert (diff.batch.file_name, [r.theirs for r in diff.rows]) == ("2.csv", [Decimal("20.00")])


def test_salespeople_cannot_import_finances_file(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        monthend.import_finance_ledger(actor=personas["sales1"], period=LAST_MONTH, filename="f.csv",
                                       data=csv_file([["客户编码", "期末余额"], ["X", "1"]]))
    assert not FinanceLedgerImport.objects.exists()


# --- the lock on the page ---------------------------------------------------------------------------------


def test_finance_locks_the_month_from_the_checklist(personas, login):
    client = login("finance")
    page = client.get(f"/finance/monthend/{LAST_MONTH}/").content.decode()
    assert 'id="lock-form"' in page and "data-question=" in page

    response = client.post(f"/finance/monthend/{LAST_MONTH}/lock/", {"note": "已与财务核对"})

    assert response.status_code == 302 and response["Location"] == f"/finance/monthend/{LAST_MONTH}/"
    row = Period.objects.get()
    assert (row.period, row.status, row.locked_by, row.note) == (LAST_MONTH, "locked", personas["finance"], "已与财务核对")
    page = client.get(f"/finance/monthend/{LAST_MONTH}/").content.decode()
    assert 'id="locked-note"' in page and 'id="lock-form"' not in page and 'id="ledger-upload"' not in page


def test_the_clerk_sees_no_lock_button_and_cannot_lock(personas, login):
    client = login("clerk")

    assert 'id="lock-form"' not in client.get(f"/finance/monthend/{LAST_MONTH}/").content.decode()
    assert client.post(f"/finance/monthend/{LAST_MONTH}/lock/").status_code == 403
    assert not Period.objects.exists()


def test_locking_a_future_month_from_the_page_is_refused(personas, login):
    response = login("finance").post(f"/finance/monthend/{next_month(THIS_MONTH)}/lock/")

    assert response.status_code == 404
    assert not Period.objects.exists()


@pytest.mark.parametrize("bad", ["2026-13", "abc", "2026-1"])
def test_a_malformed_month_is_not_a_page(personas, login, bad):
    assert login("clerk").get(f"/finance/monthend/{bad}/").status_code == 404


def test_the_month_list_links_each_month_to_its_checklist(personas, login):
    lock_period(actor=personas["finance"], period=LAST_MONTH)

    page = login("clerk").get("/finance/monthend/").content.decode()

    assert f'href="/finance/monthend/{THIS_MONTH}/"' in page and f'data-period="{LAST_MONTH}"' in page


def test_the_payment_detail_shows_the_accounting_month_when_the_received_month_was_locked(personas, login):
    cust = customer(personas)
    p = payment(personas, cust, "600.00", received_on=date(TODAY.year, TODAY.month, 1) - timedelta(days=3))
    lock_period(actor=personas["finance"], period=LAST_MONTH)
    confirm_payment(actor=personas["finance"], payment=p)

    page = login("clerk").get(f"/finance/payments/{p.pk}/").content.decode()

    assert 'id="payment-accounting-period"' in page and THIS_MONTH in page
    other = payment(personas, cust, "1.00", confirm=True, received_on=TODAY)
    assert 'id="payment-accounting-period"' not in login("clerk").get(f"/finance/payments/{other.pk}/").content.decode()


# --- pinned query counts ------------------------------------------------------------------------------------


def _month_of_activity(personas, n: int):
    for _ in range(n):
        cust = customer(personas)
        shipment(personas, cust, "100.00")
        shipment(personas, cust, "50.00", dispatch=False, planned_on=TODAY)
        payment(personas, cust, "70.00", received_on=TODAY)
        payment(personas, cust, "80.00", confirm=True, received_on=TODAY)
        fact(personas, cust, FactKind.SHIPPED, "10.00", TODAY)
    rows = [["客户编码", "客户名称", "期末余额"]] + [[c.code, "", "1.00"]
                                              for c in apps.get_model("customers", "Customer").objects.all()]
    rows.append(["", "无此客户", "5.00"])
    monthend.import_finance_ledger(actor=personas["clerk"], period=THIS_MONTH, filename="f.csv", data=csv_file(rows))


def test_the_checklist_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login):
    client = login("finance")
    _month_of_activity(personas, 1)
    client.get(f"/finance/monthend/{THIS_MONTH}/")
    with query_budget(29) as few:
        assert client.get(f"/finance/monthend/{THIS_MONTH}/").status_code == 200
    _month_of_activity(personas, 3)
    with query_budget(len(few.captured_queries)):
        assert client.get(f"/finance/monthend/{THIS_MONTH}/").status_code == 200


def test_the_month_list_page_runs_a_fixed_number_of_queries(personas, login):
    client = login("clerk")
    client.get("/finance/monthend/")
    with query_budget(10) as few:
        assert client.get("/finance/monthend/").status_code == 200
    for back in range(1, 4):
        period = THIS_MONTH
        for _ in range(back):
            period = previous_month(period)
        lock_period(actor=personas["finance"], period=period)
    with query_budget(len(few.captured_queries)):
        assert client.get("/finance/monthend/").status_code == 200


def test_the_difference_export_runs_a_fixed_number_of_queries(personas, login):
    client = login("clerk")
    _month_of_activity(personas, 1)
    with query_budget(9) as few:
        assert client.get(f"/finance/monthend/{THIS_MONTH}/differences.xlsx").status_code == 200
    _month_of_activity(personas, 3)
    with query_budget(len(few.captured_queries)):
        assert client.get(f"/finance/monthend/{THIS_MONTH}/differences.xlsx").status_code == 200


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")

