"""The statement pages: the list with its pinned query count and export, issuing with a preview,
the detail's actions (send, the stamped scan, differences), the PDF (Chinese text, rendered and
looked at) and the Excel workbook, and the tab on the customer page."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salesdesk.core.attachments import list_for
from salesdesk.core.models import ExportLog, OutboxMessage
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance import statements
from salesdesk.finance.models import Statement
from salesdesk.org.models import CompanyProfile

from .factories import PNG
from .statement_factories import give_back, history_customer, invoice_fact, lock, opening, pay, ship

pytestmark = pytest.mark.django_db

D = Decimal
OCT1, OCT31 = date(2026, 10, 1), date(2026, 10, 31)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def _customer(personas, owner="sales1", name="天津海河机械有限公司"):
    CompanyProfile.objects.update_or_create(pk=CompanyProfile.current().pk, defaults=dict(
        name="华远润滑油销售有限公司", uscc="91110000600037341L", address="北京市朝阳区建国路88号",
        phone="010-85550000", bank_name="中国工商银行北京朝阳支行", bank_account="0200001234567890123"))
    cust = history_customer(personas, owner, name=name)
    opening(personas, cust, "12000.00", date(2026, 9, 1), document_no="QC-2026-017")
    ship(cust, "35000.00", date(2026, 10, 8), number="FH20261008-0003")
    give_back(cust, "1500.00", date(2026, 10, 12))
    lock("2026-09")
    pay(personas, cust, "10000.00", date(2026, 9, 29))  # in the locked month: booked on Oct 1
    pay(personas, cust, "20000.05", date(2026, 10, 20))
    invoice_fact(cust, "35000.00", date(2026, 10, 9))
    return cust


def _issue(personas, cust, start=OCT1, end=OCT31) -> Statement:
    return statements.issue_statement(actor=personas["clerk"], customer=cust, start=start, end=end)


def _statement_mails() -> int:
    return OutboxMessage.objects.filter(kind="mail", dedupe_key__startswith="statement-mail:").count()


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


# --- list ----------------------------------------------------------------------------------------------

# session, user, groups (menu, role checks), heartbeat, unread notifications, row count, rows with
# customer and issuer
STATEMENT_LIST_QUERIES = 10  # + the permission lookups (user, groups)


@pytest.mark.parametrize("rows", [1, 6])
def test_the_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login, rows):
    cust = _customer(personas)
    for _ in range(rows):
        _issue(personas, cust)
    client = login("clerk")
    client.get("/finance/statements/")  # warm the per-process caches (content types, menu)

    with query_budget(STATEMENT_LIST_QUERIES):
        response = client.get("/finance/statements/")

    assert response.status_code == 200
    assert response.content.decode().count('href="/finance/statements/') >= rows


def test_a_salesperson_lists_only_their_customers_statements(personas, login):
    own = _issue(personas, _customer(personas, "sales1"))
    other = _issue(personas, _customer(personas, "sales2", name="上海浦江化工有限公司"))

    page = login("sales1").get("/finance/statements/").content.decode()

    assert own.number in page and other.number not in page


def test_the_list_filters_by_status_and_month(personas, login):
    cust = _customer(personas)
    draft = _issue(personas, cust)
    september = _issue(personas, cust, date(2026, 9, 1), date(2026, 9, 30))
    statements.send_statement(actor=personas["clerk"], statement=september)

    client = login("clerk")
    sent = client.get("/finance/statements/?status=sent").content.decode()
    in_october = client.get("/finance/statements/?month=2026-10").content.decode()

    assert september.number in sent and draft.number not in sent
    assert draft.number in in_october and september.number not in in_october


def test_the_clerk_exports_the_list_to_excel_and_it_is_logged(personas, login):
    s = _issue(personas, _customer(personas))

    response = login("clerk").get("/finance/statements/?export=xlsx")

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert s.number in values and ExportLog.objects.filter(what="finance.statements", rows=1).exists()


def test_a_salesperson_may_not_export_the_list(personas, login):
    _issue(personas, _customer(personas))

    assert login("sales1").get("/finance/statements/?export=xlsx").status_code == 403
    assert ExportLog.objects.count() == 0


def test_the_warehouse_may_not_see_statements(personas, login):
    assert login("warehouse").get("/finance/statements/").status_code == 403


# --- issuing -------------------------------------------------------------------------------------------


def test_the_preview_shows_the_lines_before_anything_is_issued(personas, login):
    cust = _customer(personas)

    response = login("clerk").get(f"/finance/statements/new/?customer={cust.pk}&start=2026-10-01&end=2026-10-31")

    page = response.content.decode()
    assert response.status_code == 200 and "FH20261008-0003" in page
    assert 'id="closing-balance">15,499.95<' in page  # 12000 + 35000 − 1500 − 10000 − 20000.05
    assert "业务日期 2026-09-29" in page  # the payment received in the locked month
    assert Statement.objects.count() == 0


def test_issuing_from_the_form_makes_the_draft_and_opens_it(personas, login):
    cust = _customer(personas)

    response = login("clerk").post("/finance/statements/new/",
                                   {"customer": cust.pk, "start": "2026-10-01", "end": "2026-10-31"})

    s = Statement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/statements/{s.pk}/"
    assert (s.status, s.opening_balance, s.closing_balance) == ("draft", D("12000.00"), D("15499.95"))


def test_a_period_ending_in_the_future_is_refused_on_the_form(personas, login):
    cust = _customer(personas)

    response = login("clerk").post("/finance/statements/new/",
                                   {"customer": cust.pk, "start": "2026-10-01", "end": "2099-12-31"})

    assert response.status_code == 200 and "截止日不能晚于今天" in response.content.decode()
    assert Statement.objects.count() == 0


def test_a_salesperson_may_not_open_the_issue_form(personas, login):
    assert login("sales1").get("/finance/statements/new/").status_code == 403


# --- detail and actions --------------------------------------------------------------------------------


def test_the_detail_shows_the_lines_and_the_actions_of_a_draft(personas, login):
    s = _issue(personas, _customer(personas))

    page = login("clerk").get(f"/finance/statements/{s.pk}/").content.decode()

    assert s.number in page and "FH20261008-0003" in page and 'id="statement-send"' in page
    assert 'id="statement-confirm"' not in page  # a draft is sent before the customer answers
    assert "wangkj@example.cn" in page  # the finance contact, proposed


def test_a_salesperson_reads_their_customers_statement_without_actions(personas, login):
    s = _issue(personas, _customer(personas))

    page = login("sales1").get(f"/finance/statements/{s.pk}/").content.decode()

    assert s.number in page and 'id="statement-send"' not in page


def test_another_teams_salesperson_gets_404(personas, login):
    s = _issue(personas, _customer(personas))

    assert login("sales2").get(f"/finance/statements/{s.pk}/").status_code == 404


def test_sending_from_the_page_queues_one_mail_and_marks_it_sent(personas, login):
    s = _issue(personas, _customer(personas))

    response = login("clerk").post(f"/finance/statements/{s.pk}/send/", {"to": "duizhang@haihe.cn"})

    s.refresh_from_db()
    assert response.status_code == 302 and (s.status, s.sent_to) == ("sent", "duizhang@haihe.cn")
    assert _statement_mails() == 1


def test_uploading_the_stamped_scan_confirms_it(personas, login):
    s = _issue(personas, _customer(personas))
    client = login("clerk")
    client.post(f"/finance/statements/{s.pk}/send/", {"to": "duizhang@haihe.cn"})

    client.post(f"/finance/statements/{s.pk}/confirm/",
                {"file": SimpleUploadedFile("盖章回执.png", PNG, content_type="image/png")})

    s.refresh_from_db()
    assert s.status == "confirmed" and [a.original_name for a in list_for(s)] == ["盖章回执.png"]
    assert "客户回执" in client.get(f"/finance/statements/{s.pk}/").content.decode()


def test_recording_differences_from_the_page_disputes_it(personas, login):
    s = _issue(personas, _customer(personas))
    client = login("finance")
    client.post(f"/finance/statements/{s.pk}/send/", {"to": "duizhang@haihe.cn"})

    client.post(f"/finance/statements/{s.pk}/dispute/", {"differences": "10月20日回款应为20000.50"})

    s.refresh_from_db()
    assert (s.status, s.differences) == ("disputed", "10月20日回款应为20000.50")


def test_a_salesperson_may_not_send(personas, login):
    s = _issue(personas, _customer(personas))

    response = login("sales1").post(f"/finance/statements/{s.pk}/send/", {"to": "duizhang@haihe.cn"})

    assert response.status_code == 403
    s.refresh_from_db()
    assert s.status == "draft" and _statement_mails() == 0


# --- the print and the workbook ------------------------------------------------------------------------


def test_the_pdf_carries_both_companies_the_lines_the_capitals_and_the_confirmation_block(personas, login):
    s = _issue(personas, _customer(personas))

    response = login("clerk").get(f"/finance/statements/{s.pk}/pdf/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("客户对账单", "华远润滑油销售有限公司", "天津海河机械有限公司", "FH20261008-0003",
                     "15,499.95", "人民币壹万伍仟肆佰玖拾玖元玖角伍分", "中国工商银行北京朝阳支行",
                     "以上余额确认无误", "如有不符请列明差异", "客户（盖章）", "业务日期 2026-09-29",
                     "本期开具发票", s.number):
        assert expected in text, expected
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "statement-pdf.pdf").write_bytes(response.content)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(SCREENSHOTS / "statement-pdf.pdf"),
                    str(SCREENSHOTS / "statement-pdf")], check=True)
    assert (SCREENSHOTS / "statement-pdf-1.png").stat().st_size > 10_000


def test_the_excel_opens_and_its_lines_sum_to_the_totals(personas, login):
    s = _issue(personas, _customer(personas))

    response = login("clerk").get(f"/finance/statements/{s.pk}/xlsx/")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=7, values_only=True))
    end = next(i for i, r in enumerate(rows) if r[2] == "本期合计")
    lines, totals = rows[1:end], rows[end]
    debits = sum(D(str(r[4])) for r in lines if r[4] is not None)
    credits = sum(D(str(r[5])) for r in lines if r[5] is not None)
    assert rows[0][2] == "期初余额" and D(str(rows[0][6])) == s.opening_balance
    assert (debits, credits) == (s.debits, s.credits) == (D(str(totals[4])), D(str(totals[5])))
    assert D(str(rows[0][6])) + debits - credits == s.closing_balance == D(str(totals[6])).quantize(D("0.01"))


# --- the customer page ---------------------------------------------------------------------------------


def test_the_customer_page_has_a_statements_tab_with_an_issue_button_for_the_clerk(personas, login):
    cust = _customer(personas)
    s = _issue(personas, cust)

    page = login("clerk").get(f"/customers/{cust.pk}/?tab=panel-statements").content.decode()

    assert s.number in page and f"/finance/statements/new/?customer={cust.pk}" in page


def test_the_customer_tab_has_no_issue_button_for_the_salesperson(personas, login):
    cust = _customer(personas)

    page = login("sales1").get(f"/customers/{cust.pk}/?tab=panel-statements").content.decode()

    assert "customer-statements" in page and "/finance/statements/new/" not in page
