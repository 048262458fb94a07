"""Bank-statement import (银行流水导入): reading the bank's file, matching lines to customers and
pending payments, bulk confirmation in one transaction, and re-import creating nothing new."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salesdesk.core.testing.personas import PASSWORD
from salesdesk.finance import importing
from salesdesk.finance.models import Allocation, BankStatementLine, Payment
from salesdesk.ledger.models import Fact

from .factories import customer, order, payment

pytestmark = pytest.mark.django_db

HEADER = ["交易日期", "交易流水号", "摘要", "借方发生额", "贷方发生额", "余额", "对方户名", "对方账号"]


def workbook(rows) -> bytes:
    """An ICBC-like export: title rows, the header, the lines, a totals row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["中国工商银行 账户明细查询"])
    sheet.append(["账号：0200001234567890123", None, "币种：人民币"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", None, None, "800.00", "8012.34"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def world(personas):
    """Customer A (named exactly as the payer) with a pending ¥5,000 on an order; customer B that
    paid before from account 6222…; a statement with both, bank interest and a payment out."""
    a = customer(personas, "sales1", name="甲方钢铁有限公司", short_name="甲方钢铁")
    b = customer(personas, "sales2", name="乙方化工有限公司")
    o = order(personas, a, "5000.00")
    pending = payment(personas, a, "5000.00", order=o, received_on=date(2026, 11, 18))
    payment(personas, b, "100.00", confirm=True, payer_name="张三", payer_account="6222020200112233")
    data = workbook([
        ["2026-11-20", "FT001", "货款", None, "5,000.00", "105000.00", "甲方钢铁有限公司", "0200009999"],
        ["2026/11/21", "FT002", "代付货款", None, "3000", "108000.00", "张三", "6222 0202 0011 2233"],
        ["20261121", "FT003", "利息", None, "12.34", "108012.34", "中国工商银行", ""],
        ["2026-11-22", "FT004", "转出", "800.00", None, "107212.34", "某供应商", "1234"],
    ])
    return {"a": a, "b": b, "order": o, "pending": pending, "data": data}


def finance_client() -> Client:
    client = Client()
    assert client.login(username="finance", password=PASSWORD)
    return client


def upload(client: Client, data: bytes, name="流水.xlsx"):
    return client.post("/finance/bank/", {"file": SimpleUploadedFile(name, data)}, follow=True)


def test_the_statement_is_read_past_title_rows_and_keeps_money_in_only(world):
    result = importing.parse_statement(world["data"], "流水.xlsx")

    assert [(line.txn_date, line.amount, line.reference) for line in result.lines] == [
        (date(2026, 11, 20), Decimal("5000.00"), "FT001"),
        (date(2026, 11, 21), Decimal("3000.00"), "FT002"),
        (date(2026, 11, 21), Decimal("12.34"), "FT003"),
    ]
    assert result.outgoing == 1 and result.errors == []
    assert result.lines[1].payer_account == "6222020200112233"  # spaces removed


def test_lines_are_matched_to_customers_and_pending_payments(world, personas):
    importing.import_statement(actor=personas["finance"], data=world["data"], filename="流水.xlsx")

    proposals = importing.propose(list(importing.open_lines()), personas["finance"])

    by_ref = {p.line.reference: p for p in proposals}
    assert by_ref["FT001"].customer == world["a"] and by_ref["FT001"].candidates[0].reason == "name"
    assert by_ref["FT001"].payment == world["pending"]  # same amount, same customer, two days apart
    assert by_ref["FT002"].customer == world["b"] and by_ref["FT002"].candidates[0].reason == "account"
    assert by_ref["FT002"].payment is None  # nobody recorded it: a new payment
    assert by_ref["FT003"].candidates == []


def test_a_short_name_or_an_earlier_payer_name_matches_too(personas):
    c = customer(personas, name="丙方建设集团有限公司", short_name="丙方建设")
    d = customer(personas, name="丁方贸易有限公司")
    payment(personas, d, "10.00", confirm=True, payer_name="李四")
    data = workbook([["2026-11-20", "S1", "", None, "1.00", "", "丙方建设", ""],
                     ["2026-11-20", "S2", "", None, "2.00", "", "李四", ""]])
    importing.import_statement(actor=personas["finance"], data=data, filename="s.xlsx")

    proposals = {p.line.reference: p for p in importing.propose(list(importing.open_lines()), personas["finance"])}

    assert (proposals["S1"].customer, proposals["S1"].candidates[0].reason) == (c, "short_name")
    assert (proposals["S2"].customer, proposals["S2"].candidates[0].reason) == (d, "payer")


def test_a_pending_payment_outside_the_date_window_is_not_proposed(world, personas):
    Payment.objects.filter(pk=world["pending"].pk).update(received_on=date(2026, 11, 1))
    importing.import_statement(actor=personas["finance"], data=world["data"], filename="流水.xlsx")

    [first, *_] = importing.propose(list(importing.open_lines()), personas["finance"])

    assert first.customer == world["a"] and first.payment is None


def test_finance_confirms_matches_in_bulk_then_a_reimport_creates_nothing_new(world, personas):
    client = finance_client()
    page = upload(client, world["data"])
    assert "新增 3 行" in page.content.decode()
    lines = {line.reference: line for line in BankStatementLine.objects.all()}
    payments_before = Payment.objects.count()

    response = client.post("/finance/bank/confirm/", {
        "action": "confirm", "line": [lines["FT001"].pk, lines["FT002"].pk],
        f"customer_{lines['FT001'].pk}": world["a"].pk, f"customer_{lines['FT002'].pk}": world["b"].pk,
    }, follow=True)

    assert "其中确认已登记的回款 1 笔，新建并确认 1 笔" in response.content.decode()
    pending = Payment.objects.get(pk=world["pending"].pk)
    assert pending.status == "confirmed"
    assert Allocation.objects.get(payment=pending).order == world["order"]
    created = Payment.objects.get(reference="FT002")
    assert (created.customer, created.amount, created.status, created.payer_account) == (
        world["b"], Decimal("3000.00"), "confirmed", "6222020200112233")
    assert Payment.objects.count() == payments_before + 1
    assert Fact.objects.filter(kind="received", source_kind="payment", source_id__in=[pending.pk, created.pk]).count() == 2
    assert BankStatementLine.objects.get(reference="FT001").payment == pending

    again = upload(client, world["data"])

    assert "新增 0 行，3 行此前已导入" in again.content.decode()
    assert BankStatementLine.objects.count() == 3
    assert Payment.objects.count() == payments_before + 1
    assert list(BankStatementLine.objects.filter(status="open").values_list("reference", flat=True)) == ["FT003"]


def test_a_bulk_confirmation_with_one_refused_line_writes_nothing(world, personas):
    importing.import_statement(actor=personas["finance"], data=world["data"], filename="流水.xlsx")
    lines = {line.reference: line for line in BankStatementLine.objects.all()}
    importing.ignore_lines(actor=personas["finance"], line_ids=[lines["FT003"].pk])
    before = (Payment.objects.count(), Allocation.objects.count(), Fact.objects.count())

    response = finance_client().post("/finance/bank/confirm/", {
        "action": "confirm", "line": [lines["FT001"].pk, lines["FT003"].pk],
        f"customer_{lines['FT001'].pk}": world["a"].pk, f"code_{lines['FT003'].pk}": world["b"].code,
    }, follow=True)

    assert "已被处理" in response.content.decode()
    assert (Payment.objects.count(), Allocation.objects.count(), Fact.objects.count()) == before
    assert Payment.objects.get(pk=world["pending"].pk).status == "pending"
    assert BankStatementLine.objects.get(pk=lines["FT001"].pk).status == "open"


def test_an_unmatched_line_is_confirmed_for_a_customer_typed_by_code(world, personas):
    importing.import_statement(actor=personas["finance"], data=world["data"], filename="流水.xlsx")
    line = BankStatementLine.objects.get(reference="FT003")

    finance_client().post("/finance/bank/confirm/", {"action": "confirm", "line": [line.pk],
                                                     f"code_{line.pk}": world["b"].code.lower()})

    line.refresh_from_db()
    assert (line.status, line.customer, line.payment.amount) == ("confirmed", world["b"], Decimal("12.34"))


def test_a_selected_line_without_a_customer_is_refused(world, personas):
    importing.import_statement(actor=personas["finance"], data=world["data"], filename="流水.xlsx")
    line = BankStatementLine.objects.get(reference="FT003")
    before = Payment.objects.count()

    response = finance_client().post("/finance/bank/confirm/", {"action": "confirm", "line": [line.pk]}, follow=True)

    assert "没有指定客户" in response.content.decode()
    assert Payment.objects.count() == before and BankStatementLine.objects.get(pk=line.pk).status == "open"


def test_a_gbk_csv_with_one_signed_amount_column_is_read(personas):
    text = ("招商银行交易明细\n交易日,交易金额,借贷标志,对方名称,对方帐号,流水号,用途\n"
            "2026-11-03,\"1,200.50\",贷,戊方公司,62001,CMB01,货款\n"
            "2026-11-03,300.00,借,某物流,62002,CMB02,运费\n")

    result = importing.parse_statement(text.encode("gb18030"), "cmb.csv")

    assert [(line.amount, line.payer_name, line.payer_account, line.reference) for line in result.lines] == [
        (Decimal("1200.50"), "戊方公司", "62001", "CMB01")]
    assert result.outgoing == 1


def test_a_file_without_a_statement_header_is_refused_and_nothing_is_stored(personas):
    response = upload(finance_client(), "姓名,电话\n张三,138\n".encode(), name="x.csv")

    assert "没有找到表头" in response.content.decode()
    assert BankStatementLine.objects.count() == 0


@pytest.mark.parametrize("username", ["clerk", "sales1", "manager", "gm"])
def test_only_finance_imports_statements(world, username):
    client = Client()
    client.login(username=username, password=PASSWORD)

    assert client.get("/finance/bank/").status_code == 403
    assert client.post("/finance/bank/", {"file": SimpleUploadedFile("s.xlsx", world["data"])}).status_code == 403
    assert BankStatementLine.objects.count() == 0
