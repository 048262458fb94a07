"""Contract pages: list (pinned queries, filters, export), the form with its grids and pasted
lines, the detail with its tabs and actions, the fulfilment and summary prints."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.contracts import services
from salesdesk.contracts.models import Contract
from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record

from .factories import make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def pdf_text(content: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return result.stdout.decode()


# --- list ---------------------------------------------------------------------------------------------

# session, user, groups (menu), permissions (view + export + add), heartbeat, unread notifications,
# salesperson choices (filter), row count, rows with customer and salesperson
CONTRACT_LIST_QUERIES = 10


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    make_contract(personas)
    client = as_user("clerk")
    client.get("/contracts/")
    with query_budget(CONTRACT_LIST_QUERIES):
        client.get("/contracts/")
    for owner in ("sales1", "sales2", "sales3") * 5:
        make_contract(personas, owner)
    with query_budget(CONTRACT_LIST_QUERIES):
        response = client.get("/contracts/")
    assert response.status_code == 200
    assert response.content.decode().count("/contracts/") > 16


def test_a_salesperson_lists_only_their_contracts(as_user, personas):
    own, other = make_contract(personas, "sales1"), make_contract(personas, "sales2")

    html = as_user("sales1").get("/contracts/").content.decode()

    assert own.number in html or f"/contracts/{own.pk}/" in html
    assert f"/contracts/{other.pk}/" not in html


def test_the_export_is_logged_and_names_the_exporter(as_user, personas):
    make_contract(personas)

    response = as_user("clerk").get("/contracts/?export=xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "王丽" in sheet["A1"].value
    assert ExportLog.objects.get().what == "contracts.contracts"


# --- form ---------------------------------------------------------------------------------------------


def form_data(customer, salesperson, **over):
    data = {
        "customer": customer.code, "salesperson": salesperson.pk, "kind": "sales", "signed_on": "2026-03-01",
        "starts_on": "2026-03-01", "ends_on": "2026-12-31", "number": "", "action": "save",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "HM46", "lines-0-quantity": "10", "lines-0-unit_price": "1130",
        "lines-1-sku": "", "lines-1-quantity": "", "lines-1-unit_price": "",
        "instalments-TOTAL_FORMS": "2", "instalments-INITIAL_FORMS": "0",
        "instalments-0-due_on": "2026-04-01", "instalments-0-amount": "5000", "instalments-0-note": "首付",
        "instalments-1-due_on": "2026-06-30", "instalments-1-amount": "6300", "instalments-1-note": "",
    }
    data.update(over)
    return data


def test_the_clerk_creates_a_contract_with_lines_and_instalments(as_user, personas):
    ProductFactory(sku="HM46")
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("clerk").post("/contracts/new/", form_data(customer, personas["sales1"]))

    contract = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    assert (contract.total, contract.instalments.count(), contract.status) == (Decimal("11300.00"), 2, "draft")


def test_blank_rows_the_new_form_shows_are_ignored_when_it_is_posted_back(as_user, personas):
    """The new-contract page renders three blank line rows as initial forms (INITIAL_FORMS=3):
    rows left blank must not come back as "required"."""
    ProductFactory(sku="HM46")
    customer = CustomerFactory(salesperson=personas["sales1"])
    data = form_data(customer, personas["sales1"], **{"lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "3",
                                                       "lines-2-sku": "", "lines-2-quantity": "", "lines-2-unit_price": ""})

    response = as_user("clerk").post("/contracts/new/", data)

    assert response.status_code == 302
    assert Contract.objects.get().lines.count() == 1


def test_instalments_off_by_a_cent_show_the_message_and_save_nothing(as_user, personas):
    ProductFactory(sku="HM46")
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("clerk").post("/contracts/new/", form_data(customer, personas["sales1"],
                                                                  **{"instalments-1-amount": "6299.99"}))

    assert response.status_code == 200
    html = response.content.decode()
    assert "回款计划合计 11299.99 元，与合同金额 11300.00 元不一致" in html
    assert not Contract.objects.exists()


def test_an_unknown_sku_is_shown_on_its_row(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("clerk").post("/contracts/new/", form_data(customer, personas["sales1"]))

    assert "没有这个产品编码" in response.content.decode()
    assert not Contract.objects.exists()


def test_pasted_lines_are_added_to_the_grid_without_saving(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    pasted = "产品编码\t数量\t单价\nHM46\t12\t1,130.00\nGL5\t3\t\nBAD\tx\t1\n"

    response = as_user("clerk").post("/contracts/new/", form_data(customer, personas["sales1"], action="paste",
                                                                  paste=pasted))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="GL5"' in html and 'value="12"' in html
    assert "第 4 行：数量“x”不是数字" in html
    assert not Contract.objects.exists()


def test_a_salesperson_cannot_file_a_contract_for_someone_elses_customer(as_user, personas):
    ProductFactory(sku="HM46")
    customer = CustomerFactory(salesperson=personas["sales2"])

    response = as_user("sales1").post("/contracts/new/", form_data(customer, personas["sales1"]))

    assert response.status_code == 200
    assert "找不到该客户" in response.content.decode()
    assert not Contract.objects.exists()


def test_an_active_contract_cannot_be_edited_in_the_form(as_user, personas):
    contract = make_contract(personas, activate=True)

    response = as_user("clerk").get(f"/contracts/{contract.pk}/edit/")

    assert response.status_code == 302


# --- detail and actions ---------------------------------------------------------------------------------

# session, user, groups, permissions, the contract, panels' permission, lines, instalments, renewals,
# attachment count check, heartbeat, unread notifications
DETAIL_QUERIES = 12


def test_the_detail_page_shows_lines_and_runs_a_fixed_number_of_queries(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    few = make_contract(personas)
    many = make_contract(personas, lines=[services.LineInput(ProductFactory(), Decimal(1), Decimal(2))
                                          for _ in range(8)])
    client = as_user("clerk")
    client.get(f"/contracts/{few.pk}/")
    with query_budget(DETAIL_QUERIES):
        client.get(f"/contracts/{few.pk}/")
    with query_budget(DETAIL_QUERIES):
        response = client.get(f"/contracts/{many.pk}/")
    html = response.content.decode()
    assert "人民币壹拾陆元整" in html
    assert html.count('id="contract-lines"') == 1


def test_the_detail_page_is_404_for_a_contract_the_user_may_not_see(as_user, personas):
    contract = make_contract(personas, "sales2")

    assert as_user("sales1").get(f"/contracts/{contract.pk}/").status_code == 404


def test_activate_from_the_page(as_user, personas):
    contract = make_contract(personas)

    response = as_user("sales1").post(f"/contracts/{contract.pk}/activate/")

    contract.refresh_from_db()
    assert response.status_code == 302
    assert contract.status == "active"


def test_filing_is_saved_on_an_active_contract(as_user, personas):
    contract = make_contract(personas, activate=True)

    as_user("clerk").post(f"/contracts/{contract.pk}/filing/", {"archive_no": "GD-01", "paper_location": "A柜"})

    contract.refresh_from_db()
    assert (contract.archive_no, contract.paper_location) == ("GD-01", "A柜")


def test_the_fulfilment_tab_reads_the_facts(as_user, personas):
    product = ProductFactory()
    contract = make_contract(personas, lines=[services.LineInput(product, Decimal("10"), Decimal("100"))],
                             activate=True)
    record([FactInput(kind=FactKind.BOOKED, business_date=date(2026, 3, 1), amount=Decimal("400"),
                      quantity=Decimal(4), product_id=product.pk, customer_id=contract.customer_id, source_kind="t",
                      source_id=1, contract_id=contract.pk, shares=[Share(personas["sales1"].pk, Decimal(1))])],
           actor=None)

    html = as_user("clerk").get(f"/contracts/{contract.pk}/?tab=panel-fulfilment",
                                HTTP_HX_REQUEST="true").content.decode()

    assert "400.00" in html and ">6<" in html  # ordered amount; 6 left to order


# --- prints ----------------------------------------------------------------------------------------------


def _contract_with_figures(personas):
    product = ProductFactory(sku="HM46-200", name="抗磨液压油")
    contract = make_contract(personas, lines=[services.LineInput(product, Decimal("10"), Decimal("1130.00"))],
                             instalments=[services.InstalmentInput(date(2026, 2, 1), Decimal("11300.00"))],
                             activate=True)
    record([FactInput(kind=FactKind.RECEIVED, business_date=date(2026, 3, 1), amount=Decimal("3000"),
                      customer_id=contract.customer_id, source_kind="t", source_id=1, contract_id=contract.pk,
                      shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=None)
    return contract


def test_the_fulfilment_pdf_has_the_chinese_text_company_and_amounts_in_words(as_user, personas):
    contract = _contract_with_figures(personas)

    response = as_user("clerk").get(f"/contracts/{contract.pk}/fulfilment.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "合同履行一览表" in text
    assert "华远润滑油销售有限公司" in text and "91110000600037341L" in text
    assert contract.number in text and "抗磨液压油" in text
    assert "人民币壹万壹仟叁佰元整" in text  # total
    assert "人民币叁仟元整" in text  # received
    assert "人民币捌仟叁佰元整" in text  # outstanding
    assert "逾期" in text


def test_the_fulfilment_excel_holds_the_figures(as_user, personas):
    contract = _contract_with_figures(personas)

    response = as_user("sales1").get(f"/contracts/{contract.pk}/fulfilment.xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert "合同履行一览表" in values[0]
    assert 11300 in values and 3000 in values and 8300 in values
    assert ExportLog.objects.get().what == "contracts.fulfilment"


def test_summary_page_excel_and_pdf(as_user, personas):
    contract = _contract_with_figures(personas)

    client = as_user("manager")
    page = client.get("/contracts/summary/?period=quarter&date=2026-02-10&group_by=salesperson")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        "/contracts/summary.xlsx?period=quarter&date=2026-02-10&group_by=customer").content)).active
    pdf = client.get("/contracts/summary.pdf?period=month&date=2026-01-20&group_by=salesperson")

    assert "张伟" in page.content.decode()
    assert "26.55%" in page.content.decode()  # 3000 / 11300 collected
    assert any(row[0] == contract.customer.name for row in sheet.iter_rows(values_only=True))
    text = pdf_text(pdf.content)
    assert "月度合同汇总" in text and "张伟" in text and "人民币壹万壹仟叁佰元整" in text


def test_a_salesperson_may_see_the_summary_but_not_export_it(as_user, personas):
    client = as_user("sales1")

    assert client.get("/contracts/summary/").status_code == 200
    assert client.get("/contracts/summary.xlsx").status_code == 403
    assert not ExportLog.objects.exists()


def test_the_alerts_page_lists_what_is_due(as_user, personas):
    from django.utils import timezone

    today = timezone.localdate()
    make_contract(personas, "sales1", activate=True, signed_on=date(2020, 1, 1), starts_on=date(2020, 1, 1),
                  ends_on=today.replace(year=today.year + 5),
                  instalments=[services.InstalmentInput(date(2020, 6, 1), Decimal("11300.00"))])
    make_contract(personas, "sales2", activate=True, starts_on=today, ends_on=today)

    mine = as_user("sales1").get("/contracts/alerts/").content.decode()
    assert "逾期" in mine and "从未下单" in mine
    assert "李娜" not in mine  # sales2's expiring contract is not shown to sales1
