"""The sales report's figures, rows and totals on small hand-made histories (the property test in
test_property.py checks them against naive sums over random ones)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from salesdesk.ledger.choices import FactKind
from salesdesk.reports.queries import sales_report

from .factories import CustomerFactory, ProductFactory, fact, pending_payment, target

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 1)


@pytest.fixture
def book(personas):
    """sales1 (team A) sells 1000 booked − 200 unbooked on 3 Nov, ships 500 on 27 Nov; sales2 (team B)
    gets 300 received on 4 Nov; a pending payment of 150 for sales1's customer on 5 Nov."""
    clerk = personas["clerk"]
    c1 = CustomerFactory(salesperson=personas["sales1"], region="华北")
    c2 = CustomerFactory(salesperson=personas["sales2"], region="华东")
    p = ProductFactory()
    fact(clerk, FactKind.BOOKED, date(2026, 11, 3), "1000", customer=c1, product=p)
    fact(clerk, FactKind.UNBOOKED, date(2026, 11, 3), "200", customer=c1, product=p)
    fact(clerk, FactKind.SHIPPED, date(2026, 11, 27), "500", customer=c1, product=p)
    fact(clerk, FactKind.RECEIVED, date(2026, 11, 4), "300", customer=c2)
    pending_payment(personas, c1, "150", date(2026, 11, 5))
    return {"c1": c1, "c2": c2, "p": p}


def _row(report, key):
    return next(r for r in report.rows if r.key == key)


def test_month_report_by_salesperson_sums_the_month(personas, book):
    report = sales_report(personas["gm"], "month", date(2026, 11, 15), "salesperson")

    s1 = _row(report, personas["sales1"].pk)
    assert (s1.ordered_amount, s1.shipped_amount, s1.received_amount, s1.pending_received) == (
        Decimal("800.00"), Decimal("500.00"), Decimal("0.00"), Decimal("150.00"))
    assert _row(report, personas["sales2"].pk).received_amount == Decimal("300.00")
    assert report.source == "rollups"
    assert report.totals.ordered_amount == Decimal("800.00")


def test_five_day_report_reads_only_its_pentad(personas, book):
    report = sales_report(personas["gm"], "five_day", date(2026, 11, 28), "salesperson")

    assert (report.period.start, report.period.end) == (date(2026, 11, 26), date(2026, 11, 30))
    assert report.source == "facts"
    assert report.totals.shipped_amount == Decimal("500.00")
    assert report.totals.ordered_amount == Decimal("0.00")


def test_every_visible_salesperson_has_a_row_with_zeros(personas, book):
    report = sales_report(personas["gm"], "day", date(2026, 11, 20), "salesperson")

    keys = {r.key for r in report.rows}
    assert {personas[u].pk for u in ("sales1", "sales2", "sales3")} <= keys
    assert all(r.ordered_amount == 0 for r in report.rows)


def test_a_salesperson_sees_only_their_own_row(personas, book):
    report = sales_report(personas["sales1"], "month", NOV, "salesperson")

    assert [r.key for r in report.rows] == [personas["sales1"].pk]
    assert report.totals.received_amount == Decimal("0.00")


def test_region_grouping_reads_the_customer_region(personas, book):
    report = sales_report(personas["clerk"], "month", NOV, "region")

    assert _row(report, "华北").ordered_amount == Decimal("800.00")
    assert _row(report, "华东").received_amount == Decimal("300.00")


def test_product_grouping_has_no_received_money(personas, book):
    report = sales_report(personas["clerk"], "quarter", NOV, "product")

    row = _row(report, book["p"].pk)
    assert (row.ordered_amount, row.received_amount, row.pending_received, row.new_customers) == (
        Decimal("800.00"), None, None, None)
    assert report.totals.received_amount is None


def test_completion_rate_is_the_measure_over_the_target(personas, book):
    target(personas, NOV, "1600", salesperson=personas["sales1"])

    report = sales_report(personas["gm"], "month", NOV, "salesperson")

    row = _row(report, personas["sales1"].pk)
    assert (row.target, row.completion_rate) == (Decimal("1600.00"), Decimal("0.5000"))
    assert _row(report, personas["sales2"].pk).completion_rate is None


def _report_sql(user, kind, group_by) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        sales_report(user, kind, NOV, group_by, measure="ordered")
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
@pytest.mark.parametrize(("group_by", "table"), [("salesperson", "ledger_rollupmonthcustomer"),
                                                 ("region", "ledger_rollupmonthcustomer"),
                                                 ("product", "ledger_rollupmonthproductall"),
                                                 ("category", "ledger_rollupmonthproductall")])
def test_whole_months_read_the_rollups_and_no_facts(personas, book, kind, group_by, table):
    sql = _report_sql(personas["gm"], kind, group_by)

    assert sum(table in q for q in sql) == 1  # one query: this period, the previous one and last year
    assert not any("ledger_fact" in q for q in sql)


@pytest.mark.parametrize("group_by", ["product", "category"])
def test_a_manager_reads_the_product_rollup_per_salesperson(personas, book, group_by):
    sql = _report_sql(personas["manager"], "month", group_by)

    assert sum("ledger_rollupmonthproduct " in q for q in sql) == 1
    assert not any("ledger_rollupmonthproductall" in q or "ledger_fact" in q for q in sql)


@pytest.mark.parametrize("kind", ["day", "five_day"])
@pytest.mark.parametrize("group_by", ["salesperson", "team"])
def test_day_and_five_day_by_salesperson_or_team_read_the_day_rollup(personas, book, kind, group_by):
    sql = _report_sql(personas["manager"], kind, group_by)

    assert sum("ledger_rollupday" in q for q in sql) == 1
    assert not any("ledger_fact" in q for q in sql)


@pytest.mark.parametrize("kind", ["day", "five_day"])
def test_day_and_five_day_read_the_facts_through_the_date_index(personas, book, kind):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    sql = [q for q in _report_sql(personas["manager"], kind, "product") if 'ledger_fact' in q]

    assert len(sql) == 1 and not any("rollup" in q for q in sql)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql[0]}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "fact_date_idx" in plan, plan


@pytest.mark.parametrize("group_by", ["salesperson", "customer", "region", "team"])
def test_a_customer_created_just_after_local_midnight_is_new_in_that_day_not_the_one_before(personas, group_by):
    from datetime import datetime

    from django.utils import timezone

    customer = CustomerFactory(salesperson=personas["sales1"], region="华东")
    created = timezone.make_aware(datetime(2026, 11, 1, 0, 30))  # 31 Oct 16:30 in UTC
    type(customer).objects.filter(pk=customer.pk).update(created_at=created)
    clerk = personas["clerk"]

    november = sales_report(clerk, "day", date(2026, 11, 1), group_by)
    october = sales_report(clerk, "day", date(2026, 10, 31), group_by)

    assert november.totals.new_customers == 1 and october.totals.new_customers == 0
    if group_by == "customer":  # the API's own writer for this grouping reads them too
        from salesdesk.reports.row_writer import rows_report_json

        written = [json.loads(rows_report_json(clerk, "day", d, "customer", "ordered", d))["totals"]["new_customers"]
                   for d in (date(2026, 11, 1), date(2026, 10, 31))]
        assert written == [1, 0]
