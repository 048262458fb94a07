"""The sales report page: pickers, table with totals, the chart's data, htmx partial, period
navigation, the menu entry, the Excel and PDF downloads, and a pinned number of queries whatever
the rows (for every period and grouping)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date

import openpyxl
import pytest

from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.choices import FactKind
from salesdesk.org.models import CompanyProfile

from .factories import CategoryFactory, CustomerFactory, ProductFactory, fact, pending_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def _sell(personas, i: int) -> None:
    customer = CustomerFactory(salesperson=personas[("sales1", "sales2", "sales3")[i % 3]], region=f"区域{i}")
    product = ProductFactory(category=CategoryFactory())
    fact(personas["clerk"], FactKind.BOOKED, date(2026, 11, 15 - i % 5), "1000", customer=customer, product=product)
    fact(personas["clerk"], FactKind.SHIPPED, date(2025, 11, 11 + i % 5), "600", customer=customer, product=product)
    fact(personas["clerk"], FactKind.RECEIVED, date(2026, 10, 11 + i % 5), "300", customer=customer)
    pending_payment(personas, customer, "50", date(2026, 11, 12))


def test_the_month_report_shows_rows_totals_and_the_chart_data(as_user, personas):
    _sell(personas, 0)
    html = as_user("gm").get("/reports/sales/?period=month&date=2026-11-15").content.decode()

    assert "2026年11月销售月报" in html
    assert "vendor/echarts/echarts.min.js" in html
    chart = json.loads(re.search(r'<script id="report-chart-data" type="application/json">(.*?)</script>', html,
                                 re.S).group(1))
    assert personas["sales1"].display_name in chart["labels"]
    assert chart["series"][0]["name"] == "下单金额" and "1000.00" in chart["series"][0]["data"]
    totals = html[html.index('id="report-totals"'):]
    assert 'data-money="1000.00"' in totals and "1,000.00" in totals
    assert "元（含税）" in html and "以万元显示" in html


def test_the_menu_links_the_report_for_sellers_only(as_user):
    assert 'href="/reports/sales/"' in as_user("sales1").get("/").content.decode()
    assert 'href="/reports/sales/"' not in as_user("hr").get("/").content.decode()


def test_previous_and_next_move_by_one_period(as_user):
    html = as_user("clerk").get("/reports/sales/?period=five_day&date=2024-03-03&group_by=team").content.decode()

    assert "2024年3月第1期（1日—5日）" in html
    assert "date=2024-02-26&amp;group_by=team" in html  # the 26th–29th of a leap February
    assert "date=2024-03-06&amp;group_by=team" in html


def test_an_htmx_request_gets_the_report_body_alone(as_user, personas):
    response = as_user("clerk").get("/reports/sales/?period=quarter&date=2026-11-15&group_by=region",
                                    HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="report-table"' in html and "<html" not in html
    assert "2026年第4季度" in html


def test_bad_parameters_fall_back_to_this_month_by_salesperson(as_user, personas):
    html = as_user("clerk").get("/reports/sales/?period=week&date=2026-99-01&group_by=x").content.decode()

    assert "销售月报" in html and f'data-key="{personas["sales1"].pk}"' in html


def test_the_page_downloads_the_excel_file_with_the_same_totals(as_user, personas):
    _sell(personas, 0)
    response = as_user("clerk").get("/reports/sales.xlsx?period=month&date=2026-11-15&group_by=customer")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    totals = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[1] == "合计")
    assert totals[3] == 1000 and totals[7] == 50
    assert ExportLog.objects.get().what == "reports.sales"


def test_the_pdf_prints_the_rows_and_totals_in_capitals(as_user, personas):
    _sell(personas, 0)
    response = as_user("clerk").get("/reports/sales.pdf?period=month&date=2026-11-15")

    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()
    assert "2026年11月销售月报（按业务员）" in text
    assert personas["sales1"].display_name in text and "1,000.00" in text
    assert "人民币壹仟元整" in text and "元（含税）" in text


# session, user, groups (menu), permissions, worker heartbeat, unread notifications, the company's
# measure, the figures of the three periods (one query), pending money, new customers, targets, labels
# (none by region; joined to the figures for customers, products and categories — but a day's or five
# days' customers, read by id).
PAGE_QUERIES = 13


@pytest.mark.parametrize("period", ["day", "five_day", "month", "quarter", "year"])
@pytest.mark.parametrize("group_by", ["salesperson", "customer", "product", "category", "region", "team"])
def test_every_report_page_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas, period, group_by):
    from salesdesk.core.jobs import beat

    beat()
    _sell(personas, 0)
    CompanyProfile.current()
    client = as_user("clerk")
    url = f"/reports/sales/?period={period}&date=2026-11-15&group_by={group_by}"
    client.get(url)
    labels_joined = {"product", "category", "region"} | ({"customer"} if period not in {"day", "five_day"} else set())
    budget = PAGE_QUERIES - (2 if group_by in {"product", "category"} else 0) - (1 if group_by in labels_joined else 0)
    with query_budget(budget):
        client.get(url)
    for i in range(1, 10):
        _sell(personas, i)

    with query_budget(budget):
        assert client.get(url).status_code == 200


def test_a_managers_page_runs_a_fixed_number_of_queries_too(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    _sell(personas, 0)
    CompanyProfile.current()
    client = as_user("manager")
    client.get("/reports/sales/")
    with query_budget(PAGE_QUERIES + 1) as first:  # the manager's team (their scope)
        client.get("/reports/sales/")
    for i in range(1, 10):
        _sell(personas, i)

    with query_budget(len(first.captured_queries)):
        client.get("/reports/sales/")
