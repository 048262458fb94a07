"""``GET /api/v1/reports/sales`` and ``.xlsx`` (API.md, "Sales reports"): the contract's shape, 422 on
bad parameters, the comparisons, targets and completion, the Excel file's layout, and query counts
that do not grow with the rows."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from salesdesk.core.models import ExportLog
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.choices import FactKind
from salesdesk.org.models import CompanyProfile, SalesTeam

from .factories import CategoryFactory, CustomerFactory, ProductFactory, fact, pending_payment, target

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {"key", "label", "ordered_amount", "shipped_amount", "received_amount", "pending_received_amount",
                 "new_customers", "target_amount", "completion_rate"}


@pytest.fixture
def november(personas):
    """sales1: booked 1000 on 3 Nov 2026, 400 in Oct 2026 and 500 in Nov 2025; 250 received on 4 Nov;
    a pending payment of 80 on 5 Nov; target 2000 for Nov."""
    clerk = personas["clerk"]
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = ProductFactory()
    fact(clerk, FactKind.BOOKED, date(2026, 11, 3), "1000", customer=customer, product=product)
    fact(clerk, FactKind.BOOKED, date(2026, 10, 9), "400", customer=customer, product=product)
    fact(clerk, FactKind.BOOKED, date(2025, 11, 20), "500", customer=customer, product=product)
    fact(clerk, FactKind.RECEIVED, date(2026, 11, 4), "250", customer=customer)
    pending_payment(personas, customer, "80", date(2026, 11, 5))
    target(personas, date(2026, 11, 1), "2000", salesperson=personas["sales1"])
    return customer


def _row(body, key):
    return next(r for r in body["rows"] if r["key"] == key)


def test_the_answer_has_the_contract_fields_as_strings(api, personas, november):
    body = api("clerk").get("/api/v1/reports/sales?period=month&date=2026-11-15&group_by=salesperson").json()

    assert body["period"]["start"] == "2026-11-01" and body["period"]["end"] == "2026-11-30"
    row = _row(body, personas["sales1"].pk)
    assert CONTRACT_KEYS <= set(row) and CONTRACT_KEYS <= set(body["totals"])
    assert row["ordered_amount"] == "1000.00" and row["received_amount"] == "250.00"
    assert row["pending_received_amount"] == "80.00"
    assert (row["target_amount"], row["completion_rate"]) == ("2000.00", "0.5000")
    assert row["label"] == personas["sales1"].display_name and row["rank"] == 1
    assert body["amounts_include_tax"] is True and body["measure"] == "ordered"


def test_the_previous_period_and_last_year_come_with_their_growth(api, personas, november):
    body = api("clerk").get("/api/v1/reports/sales?period=month&date=2026-11-15").json()

    row = _row(body, personas["sales1"].pk)
    assert row["previous"]["ordered_amount"] == "400.00" and row["previous_growth_rate"] == "1.5000"
    assert row["last_year"]["ordered_amount"] == "500.00" and row["last_year_growth_rate"] == "1.0000"
    assert body["period"]["previous"] == {"start": "2026-10-01", "end": "2026-10-31"}
    assert body["period"]["last_year"] == {"start": "2025-11-01", "end": "2025-11-30"}


def test_completion_follows_the_company_measure(api, personas, november):
    profile = CompanyProfile.current()
    profile.performance_measure = "received"
    profile.save()

    body = api("gm").get("/api/v1/reports/sales?period=month&date=2026-11-15").json()

    row = _row(body, personas["sales1"].pk)
    assert (body["measure"], row["performance_amount"], row["completion_rate"]) == ("received", "250.00", "0.1250")


def test_a_five_day_target_is_the_month_target_prorated_by_days(api, personas, november):
    body = api("gm").get("/api/v1/reports/sales?period=five_day&date=2026-11-03").json()

    row = _row(body, personas["sales1"].pk)
    assert row["target_amount"] == "333.33"  # 2000 × 5 / 30
    assert body["source"] == "facts" and body["period"]["days"] == 5


def test_team_rows_carry_the_team_target(api, personas, november):
    team = SalesTeam.objects.get(code="A")
    target(personas, date(2026, 11, 1), "5000", team=team)

    body = api("manager").get("/api/v1/reports/sales?period=quarter&date=2026-11-15&group_by=team").json()

    assert [r["key"] for r in body["rows"]] == [team.pk]
    # the quarter's 业绩: Oct 400 + Nov 1000, against November's target (the only month with one)
    assert (body["rows"][0]["target_amount"], body["rows"][0]["completion_rate"]) == ("5000.00", "0.2800")
    assert body["totals"]["target_amount"] == "5000.00"


def test_grouped_by_product_money_is_not_applicable(api, november):
    body = api("clerk").get("/api/v1/reports/sales?period=year&date=2026-11-15&group_by=product").json()

    assert body["rows"] and all(r["received_amount"] is None and r["pending_received_amount"] is None
                                for r in body["rows"])
    assert body["totals"]["received_amount"] is None and body["totals"]["ordered_amount"] == "1400.00"


def test_defaults_are_this_month_by_salesperson(api):
    body = api("clerk").get("/api/v1/reports/sales").json()

    assert (body["period"]["kind"], body["group_by"]) == ("month", "salesperson")


@pytest.mark.parametrize("query", ["period=week", "group_by=colour", "date=2026-13-01", "date=0001-01-01",
                                   "date=yesterday", "period=", "date=2026-11-03T10:00"])
def test_bad_parameters_answer_422(api, query):
    for path in ("/api/v1/reports/sales", "/api/v1/reports/sales.xlsx"):
        response = api("clerk").get(f"{path}?{query}")

        assert response.status_code == 422, (path, query)
        assert response.json()["errors"]
    assert not ExportLog.objects.exists()


def test_the_excel_file_has_a_frozen_header_a_totals_row_and_money_as_numbers(api, personas, november):
    response = api("clerk").get("/api/v1/reports/sales.xlsx?period=month&date=2026-11-15")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "C5"
    assert "含税" in sheet["A2"].value
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["排名", "业务员", "说明", "下单金额(含税)"]
    rows = [r for r in sheet.iter_rows(min_row=5) if r[1].value]
    totals = next(r for r in rows if r[1].value == "合计")
    assert totals[3].value == 1000 and totals[3].number_format == "#,##0.00" and totals[3].font.bold
    sales1 = next(r for r in rows if r[1].value == personas["sales1"].display_name)
    assert (sales1[3].value, sales1[6].value, sales1[7].value) == (1000, 250, 80)
    assert sales1[9].value == 2000 and sales1[10].value == 0.5 and sales1[10].number_format == "0.00%"
    assert ExportLog.objects.get().what == "reports.sales"


def test_the_excel_file_equals_the_json_answer(api, november):
    json_body = api("gm").get("/api/v1/reports/sales?period=quarter&date=2026-11-15&group_by=customer").json()
    sheet = openpyxl.load_workbook(io.BytesIO(api("gm").get(
        "/api/v1/reports/sales.xlsx?period=quarter&date=2026-11-15&group_by=customer").content)).active

    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[1]]
    by_label = {r[1]: r for r in rows}
    for row in [*json_body["rows"], json_body["totals"]]:
        excel = by_label[row["label"]]
        assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in excel[3:8]] == [
            Decimal(row[k]) for k in ("ordered_amount", "shipped_amount", "invoiced_amount", "received_amount",
                                      "pending_received_amount")]


# The token (with its user), the user's and the groups' permissions, the company's measure, the user's
# groups (their scope), three periods of figures, pending money, new customers, targets, labels (none
# by region: the region is its own label) — and for a manager the team's members (their scope). Customers
# of a day or five-day report have their labels read by id, not joined to the figures: one more.
API_QUERIES = {"salesperson": 10, "customer": 9, "team": 10, "region": 9}
MANAGER_EXTRA = 1
FACTS_LABELS = {"customer": 1}


def _sell(personas, i: int, product) -> None:
    customer = CustomerFactory(salesperson=personas[("sales1", "sales3", "sales2")[i % 3]], region=f"区{i}")
    fact(personas["clerk"], FactKind.BOOKED, date(2026, 11, 11 + i % 5), "10", customer=customer, product=product)
    fact(personas["clerk"], FactKind.RECEIVED, date(2025, 11, 11 + i % 5), "10", customer=customer)
    pending_payment(personas, customer, "5", date(2026, 11, 11 + i % 5))


@pytest.mark.parametrize("username", ["clerk", "manager"])
@pytest.mark.parametrize("period", ["five_day", "month"])
@pytest.mark.parametrize("group_by", sorted(API_QUERIES))
def test_the_api_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas, username, period, group_by):
    client = api(username)
    url = f"/api/v1/reports/sales?period={period}&date=2026-11-15&group_by={group_by}"
    product = ProductFactory()
    _sell(personas, 0, product)
    CompanyProfile.current()
    client.get(url)
    budget = API_QUERIES[group_by] + (MANAGER_EXTRA if username == "manager" else 0)
    budget += FACTS_LABELS.get(group_by, 0) if period == "five_day" else 0
    with query_budget(budget):
        assert client.get(url).status_code == 200
    for i in range(1, 13):
        _sell(personas, i, product)

    with query_budget(budget):
        response = client.get(url)
    assert response.json()["totals"]["ordered_amount"] != "10.00"  # the rows did grow


@pytest.mark.parametrize("group_by", ["product", "category"])
def test_grouped_by_product_the_queries_are_fixed_too(api, personas, group_by):
    client = api("clerk")
    category = CategoryFactory()
    url = f"/api/v1/reports/sales?period=month&date=2026-11-15&group_by={group_by}"
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["clerk"], FactKind.SHIPPED, date(2026, 11, 1), "10", customer=customer,
         product=ProductFactory(category=category))
    CompanyProfile.current()
    client.get(url)
    with query_budget(API_QUERIES["customer"] - 2):  # no pending money nor new customers by product
        client.get(url)
    for i in range(8):
        fact(personas["clerk"], FactKind.SHIPPED, date(2026, 11, 1 + i), "10", customer=customer,
             product=ProductFactory(category=CategoryFactory()))

    with query_budget(API_QUERIES["customer"] - 2):
        client.get(url)


def test_the_excel_file_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas):
    client = api("clerk")
    url = "/api/v1/reports/sales.xlsx?period=month&date=2026-11-15&group_by=customer"
    product = ProductFactory()
    _sell(personas, 0, product)
    CompanyProfile.current()
    client.get(url)
    budget = API_QUERIES["customer"] + 2  # the company's name for the title, the export log
    with query_budget(budget):
        client.get(url)
    for i in range(1, 13):
        _sell(personas, i, product)

    with query_budget(budget):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("group_by", ["salesperson", "customer", "product"])
def test_the_direct_json_equals_the_response_schema_serialisation(api, personas, november, group_by):

    from salesdesk.reports.api import ReportOut
    from salesdesk.reports.json_out import report_json, report_out
    from salesdesk.reports.queries import sales_report

    body = api("clerk").get(f"/api/v1/reports/sales?period=month&date=2026-11-15&group_by={group_by}").json()
    report = sales_report(personas["clerk"], "month", date(2026, 11, 15), group_by)

    assert json.loads(report_json(report)) == ReportOut.model_validate(report_out(report)).model_dump(mode="json") == body
