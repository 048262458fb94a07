"""Visibility in every report (issue 8 item 6): with every persona, the page, the Excel file and the
API answer hold only the rows the user may see, and their totals are the totals of those rows;
roles without reports get 403 and nothing is logged as exported."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.ledger.choices import FactKind

from .factories import CustomerFactory, ProductFactory, fact

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 3)
QUERY = "period=month&date=2026-11-03&group_by=salesperson"
AMOUNTS = {"sales1": Decimal("100.00"), "sales2": Decimal("20.00"), "sales3": Decimal("3.00")}
# persona → the salespeople whose rows they see (None: 403)
SEES = {
    "clerk": {"sales1", "sales2", "sales3"}, "gm": {"sales1", "sales2", "sales3"},
    "finance": {"sales1", "sales2", "sales3"}, "sales1": {"sales1"}, "sales2": {"sales2"}, "sales3": {"sales3"},
    "manager": {"sales1", "sales3"}, "admin": None, "hr": None, "warehouse": None, "planner": None,
}


@pytest.fixture
def sales(personas):
    """Each salesperson books an order of their own customer (sales1 100, sales2 20, sales3 3)."""
    product = ProductFactory()
    for username, amount in AMOUNTS.items():
        customer = CustomerFactory(salesperson=personas[username])
        fact(personas["clerk"], FactKind.BOOKED, DAY, amount, customer=customer, product=product)
    return personas


def _expected(personas, username):
    names = SEES[username]
    return {personas[n].pk for n in names}, sum((AMOUNTS[n] for n in names), Decimal("0.00"))


@pytest.mark.parametrize("username", sorted(SEES))
def test_the_api_answers_only_the_users_rows_with_their_totals(sales, api, username):
    response = api(username).get(f"/api/v1/reports/sales?{QUERY}")

    if SEES[username] is None:
        assert response.status_code == 403
        return
    body = response.json()
    ids, total = _expected(sales, username)
    salespeople = {r["key"] for r in body["rows"] if r["key"] in {sales[n].pk for n in AMOUNTS}}
    assert salespeople == ids
    assert Decimal(body["totals"]["ordered_amount"]) == total
    assert sum(Decimal(r["ordered_amount"]) for r in body["rows"]) == total


@pytest.mark.parametrize("username", sorted(SEES))
def test_the_excel_file_holds_only_the_users_rows_with_their_totals(sales, api, username):
    response = api(username).get(f"/api/v1/reports/sales.xlsx?{QUERY}")

    if SEES[username] is None:
        assert response.status_code == 403
        assert not ExportLog.objects.exists()
        return
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[1]]
    totals = next(r for r in rows if r[1] == "合计")
    labels = {r[1] for r in rows[:rows.index(totals)]}
    names = {sales[n].display_name for n in AMOUNTS}
    assert labels & names == {sales[n].display_name for n in SEES[username]}
    _, total = _expected(sales, username)
    assert Decimal(str(totals[3])) == total
    assert ExportLog.objects.get().user == sales[username]


@pytest.mark.parametrize("username", sorted(SEES))
def test_the_page_shows_only_the_users_rows_with_their_totals(sales, client, username):
    assert client.login(username=username, password=PASSWORD)

    response = client.get(f"/reports/sales/?{QUERY}")

    if SEES[username] is None:
        assert response.status_code == 403
        return
    html = response.content.decode()
    keys = {int(k) for k in re.findall(r'<tr data-key="(\d+)"', html)}
    ids, total = _expected(sales, username)
    assert keys & {sales[n].pk for n in AMOUNTS} == ids
    totals = html[html.index('id="report-totals"'):]
    assert f'data-money="{total}"' in totals


@pytest.mark.parametrize("username", ["sales1", "manager"])
@pytest.mark.parametrize("group_by", ["customer", "product", "category", "region", "team"])
def test_other_groupings_total_only_what_the_user_sees(sales, api, username, group_by):
    body = api(username).get(f"/api/v1/reports/sales?period=five_day&date=2026-11-03&group_by={group_by}").json()

    _, total = _expected(sales, username)
    assert Decimal(body["totals"]["ordered_amount"]) == total
    assert sum(Decimal(r["ordered_amount"]) for r in body["rows"]) == total
