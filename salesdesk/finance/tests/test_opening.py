"""Opening balances (期初): the template, the preview's row errors in Chinese, the commit (receivables
with their dates, signed ``opening`` facts) in one transaction, importing the same file twice, the
locked month, who may do what, the tie-out against finance's totals, the API and the pages."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from salesdesk.core.errors import DomainError
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance import opening
from salesdesk.finance.choices import OpeningKind, ReceivableSource
from salesdesk.finance.models import OpeningBalance, OpeningImport, Receivable
from salesdesk.finance.receivables import customer_balance
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import lock_period, month_of

from .factories import customer

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 10, 31)
HEADER = ["客户编号或名称", "类型", "单据号", "金额", "原始日期", "到期日"]


def xlsx(*rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def acme(personas):
    return customer(personas, "sales1", name="杭州宏达机电设备有限公司", settlement="credit", credit_days=30,
                    credit_limit=Decimal("100000"))


@pytest.fixture
def cash(personas):
    return customer(personas, "sales3", name="宁波华远贸易有限公司", settlement="prepaid")


def check(personas, data, by="finance", as_of=AS_OF):
    return opening.check_file(actor=personas[by], data=data, filename="期初.xlsx", as_of=as_of)


def commit(personas, data, by="finance", as_of=AS_OF, **totals):
    return opening.import_opening(actor=personas[by], data=data, filename="期初.xlsx", as_of=as_of, **totals)


def facts():
    return Fact.objects.filter(kind=FactKind.OPENING)


# --- the template -------------------------------------------------------------------------------------


def test_the_template_has_the_six_columns_and_reads_back_as_a_valid_file(personas, acme):
    data = opening.template_workbook()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]

    assert [c.value for c in sheet[1]] == HEADER
    # The example rows name a customer that exists here: the template itself passes the check.
    assert check(personas, data).ok


# --- the preview ---------------------------------------------------------------------------------------


def test_the_preview_lists_each_row_error_in_chinese_and_writes_nothing(personas, acme):
    data = xlsx(
        ("没有这个客户", "应收", "A-1", "100.00", "2026-09-01", ""),
        (acme.code, "应收", "A-2", "一百元", "2026-09-01", ""),
        (acme.code, "应付", "A-3", "100.00", "2026-09-01", ""),
        (acme.code, "应收", "A-4", "100.00", "2026-13-01", ""),
        (acme.code, "应收", "A-5", "100.00", "2026-09-01", ""),
        (acme.name, "应收", "A-5", "100.00", "2026-09-01", ""),
        (acme.code, "预收", "A-7", "-5.00", "2026-09-01", ""),
        (acme.code, "应收", "A-8", "100.00", "2026-11-15", ""),
    )

    result = check(personas, data)

    assert [(e.row, e.column) for e in result.errors] == [
        (2, "客户编号或名称"), (3, "金额"), (4, "类型"), (5, "原始日期"), (7, "单据号"), (8, "金额"), (9, "原始日期")]
    messages = [e.message for e in result.errors]
    assert "找不到客户" in messages[0]
    assert "与第 6 行重复" in messages[4]
    assert "晚于期初日" in messages[6]
    assert not OpeningBalance.objects.exists() and not Receivable.objects.exists() and not facts().exists()


def test_a_file_without_the_columns_is_refused_as_a_whole(personas):
    with pytest.raises(opening.ImportRefused) as refused:
        check(personas, xlsx(("x", "y"), header=["名称", "备注"]))

    assert "缺少列" in refused.value.message


def test_a_missing_due_date_comes_from_the_customers_terms(personas, acme, cash):
    result = check(personas, xlsx(
        (acme.code, "应收", "A-1", "100.00", "2026-09-01", ""),
        (cash.code, "应收", "B-1", "100.00", "2026-09-01", ""),
        (acme.code, "应收", "A-2", "100.00", "2026-09-01", "2026-12-31"),
    ))

    assert [r.due_on for r in result.rows] == [date(2026, 10, 1), date(2026, 9, 1), date(2026, 12, 31)]


def test_a_customer_is_found_by_code_full_name_or_short_name(personas, acme):
    acme.short_name = "宏达机电"
    acme.save()
    result = check(personas, xlsx(
        (acme.code.lower(), "应收", "A-1", "1", "2026-09-01", ""),
        ("杭州宏达机电设备有限公司 ", "应收", "A-2", "1", "2026-09-01", ""),
        ("宏达机电", "预收", "A-3", "1", "2026-09-01", ""),
    ))

    assert result.ok and {r.customer for r in result.rows} == {acme}


# --- committing ----------------------------------------------------------------------------------------


def test_commit_creates_receivables_and_signed_opening_facts_in_one_go(personas, acme):
    result = commit(personas, xlsx(
        (acme.code, "应收", "XS-0817", "12345.60", "2026-08-17", ""),
        (acme.code, "预收", "YS-0102", "5000.00", "2026-10-20", ""),
    ))

    assert (result.written, result.created) == (True, 2)
    ob = OpeningBalance.objects.get(kind=OpeningKind.RECEIVABLE)
    rec = Receivable.objects.get()
    assert (rec.source_kind, rec.source_id, rec.number, rec.salesperson, rec.amount) == (
        ReceivableSource.OPENING, ob.pk, "XS-0817", personas["sales1"], Decimal("12345.60"))
    assert (rec.shipped_on, rec.arises_on, rec.due_on, rec.order_id) == (
        date(2026, 8, 17), date(2026, 8, 17), date(2026, 9, 16), None)
    assert sorted((f.amount, f.business_date, f.product_id, f.salesperson_id) for f in facts()) == [
        (Decimal("-5000.00"), AS_OF, None, personas["sales1"].pk),
        (Decimal("12345.60"), AS_OF, None, personas["sales1"].pk),
    ]
    assert customer_balance(acme.pk) == Decimal("7345.60")


def test_importing_the_same_file_twice_creates_nothing_new(personas, acme):
    data = xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", ""),
                (acme.code, "预收", "YS-1", "50.00", "2026-09-01", ""))
    commit(personas, data)

    again = commit(personas, data)

    assert (again.written, again.created, again.check.existing) == (False, 0, 2)
    assert (OpeningBalance.objects.count(), Receivable.objects.count(), facts().count(), OpeningImport.objects.count()) \
        == (2, 1, 2, 1)


def test_a_second_file_adds_only_its_new_documents(personas, acme):
    commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")))

    result = commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", ""),
                                   (acme.code, "应收", "XS-2", "200.00", "2026-09-02", "")))

    assert (result.created, result.check.existing) == (1, 1)
    assert Receivable.objects.count() == 2


def test_an_imported_document_with_another_amount_is_an_error(personas, acme):
    commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")))

    result = commit(personas, xlsx((acme.code, "应收", "XS-1", "120.00", "2026-09-01", "")))

    assert not result.written and "已于" in result.check.errors[0].message
    assert OpeningBalance.objects.get().amount == Decimal("100.00")


def test_any_row_error_stops_the_whole_file(personas, acme):
    result = commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", ""),
                                   ("谁", "应收", "XS-2", "100.00", "2026-09-01", "")))

    assert not result.written
    assert not OpeningBalance.objects.exists() and not Receivable.objects.exists() and not facts().exists()


def test_the_clerk_previews_but_only_finance_commits(personas, acme):
    data = xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", ""))

    assert check(personas, data, by="clerk").ok
    with pytest.raises(PermissionDenied):
        commit(personas, data, by="clerk")
    with pytest.raises(PermissionDenied):
        check(personas, data, by="sales1")

    assert not OpeningBalance.objects.exists()


def test_an_opening_date_in_a_locked_month_is_refused(personas, acme):
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    lock_period(actor=personas["finance"], period=month_of(last_month))

    with pytest.raises(DomainError) as refused:
        commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-01-01", "")), as_of=last_month)

    assert refused.value.code == "period_locked"
    assert not OpeningBalance.objects.exists() and not facts().exists()


# --- the tie-out ---------------------------------------------------------------------------------------


def test_the_tie_out_compares_our_totals_with_the_latest_totals_finance_entered(personas, acme, cash):
    commit(personas, xlsx((acme.code, "应收", "XS-1", "1000.00", "2026-09-01", ""),
                          (cash.code, "预收", "YS-1", "300.00", "2026-09-01", "")),
           expected_receivable=Decimal("1500.00"), expected_advance=Decimal("300.00"))
    commit(personas, xlsx((cash.code, "应收", "XS-9", "500.00", "2026-09-01", "")),
           expected_receivable=Decimal("1600.00"))

    rows = {r.kind: r for r in opening.tie_out()}

    receivable, advance = rows[OpeningKind.RECEIVABLE], rows[OpeningKind.ADVANCE]
    assert (receivable.ours, receivable.expected, receivable.difference, receivable.ties) == (
        Decimal("1500.00"), Decimal("1600.00"), Decimal("-100.00"), False)
    assert (advance.ours, advance.expected, advance.ties, advance.documents) == (
        Decimal("300.00"), Decimal("300.00"), True, 1)


# --- API -------------------------------------------------------------------------------------------


def post_file(api, username, data, **fields):
    client = api(username)
    upload = SimpleUploadedFile("期初.xlsx", data, content_type="application/octet-stream")
    return client.client.post("/api/v1/opening-balances/import", {"file": upload, "as_of": AS_OF.isoformat(), **fields},
                              **client.headers)


def test_api_import_writes_and_answers_201(api, personas, acme):
    response = post_file(api, "finance", xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")),
                         expected_receivable="100.00")

    assert response.status_code == 201
    assert (response.json()["created"], response.json()["receivable_total"]) == (1, "100.00")
    listed = api("finance").get("/api/v1/opening-balances").json()
    assert [(i["document_no"], i["amount"], i["due_on"]) for i in listed["items"]] == [("XS-1", "100.00", "2026-10-01")]
    tie = api("clerk").get("/api/v1/opening-balances/tie-out").json()
    assert tie[0]["difference"] == "0.00"


def test_api_dry_run_checks_for_the_clerk_and_writes_nothing(api, personas, acme):
    response = post_file(api, "clerk", xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")), dry_run="true")

    assert response.status_code == 200 and response.json()["written"] is False
    assert not OpeningBalance.objects.exists()


def test_api_clerk_may_not_commit(api, personas, acme):
    response = post_file(api, "clerk", xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")))

    assert response.status_code == 403
    assert not OpeningBalance.objects.exists()


def test_api_row_errors_are_422_by_row_and_column(api, personas, acme):
    response = post_file(api, "finance", xlsx(("没有", "应收", "XS-1", "100.00", "2026-09-01", "")))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["rows.2.客户编号或名称"]


def test_api_salesperson_gets_403_before_the_upload_is_read(api, personas):
    assert api("sales1").post("/api/v1/opening-balances/import").status_code == 403
    assert api("sales1").get("/api/v1/opening-balances").status_code == 403


# --- pages -------------------------------------------------------------------------------------------


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def upload(client, data, **fields):
    return client.post("/finance/adjust/opening/upload/", {
        "file": SimpleUploadedFile("期初.xlsx", data), "as_of": AS_OF.isoformat(), **fields})


def test_upload_previews_then_finance_commits(personas, login, acme):
    client = login("finance")
    preview = upload(client, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")),
                     expected_receivable="100.00")
    assert preview.status_code == 200 and not OpeningBalance.objects.exists()
    token = preview.context["token"]

    done = client.post(f"/finance/adjust/opening/{token}/commit/")

    assert done.status_code == 302 and done["Location"] == "/finance/adjust/opening/"
    assert OpeningBalance.objects.count() == 1
    assert OpeningImport.objects.get().expected_receivable == Decimal("100.00")


def test_the_preview_shows_row_errors_and_offers_no_commit(personas, login, acme):
    page = upload(login("finance"), xlsx(("没有这个客户", "应收", "XS-1", "100.00", "2026-09-01", "")))

    assert page.status_code == 422
    text = page.content.decode()
    assert "第 2 行" in text and "找不到客户" in text and 'id="opening-commit"' not in text


def test_the_clerks_preview_offers_no_commit(personas, login, acme):
    page = upload(login("clerk"), xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")))

    assert page.status_code == 200 and 'id="opening-commit"' not in page.content.decode()


def test_the_overview_highlights_a_difference(personas, login, acme):
    commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")),
           expected_receivable=Decimal("150.00"))

    text = login("gm").get("/finance/adjust/opening/").content.decode()

    assert "table-danger" in text and "-50.00" in text


def test_the_template_downloads(personas, login):
    response = login("clerk").get("/finance/adjust/opening/template.xlsx")

    assert response.status_code == 200 and response.content[:2] == b"PK"


LIST_QUERIES = 9  # + the permission lookups (user, groups), once per request


def test_the_balance_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login, acme, cash):
    from salesdesk.core.jobs import beat

    beat()
    client = login("finance")
    commit(personas, xlsx((acme.code, "应收", "XS-1", "100.00", "2026-09-01", "")))
    client.get("/finance/adjust/opening/balances/")
    with query_budget(LIST_QUERIES):
        client.get("/finance/adjust/opening/balances/")
    commit(personas, xlsx(*[(cash.code, "应收", f"XS-{i}", "10.00", "2026-09-01", "") for i in range(2, 8)]))

    with query_budget(LIST_QUERIES):
        assert client.get("/finance/adjust/opening/balances/").status_code == 200


def test_api_an_opening_date_in_a_locked_month_is_409_and_writes_nothing(api, personas, acme):
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    lock_period(actor=personas["finance"], period=month_of(last_month))
    client = api("finance")
    upload = SimpleUploadedFile("期初.xlsx", xlsx((acme.code, "应收", "XS-1", "100.00", "2026-01-01", "")))

    refused = client.client.post("/api/v1/opening-balances/import", {"file": upload, "as_of": last_month.isoformat()},
                                 **client.headers)

    assert refused.status_code == 409 and refused.json()["code"] == "period_locked"
    assert not OpeningBalance.objects.exists() and not facts().exists()
