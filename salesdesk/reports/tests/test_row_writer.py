"""The report grouped by customer, product or category written row by row (``row_writer``): the same document as the general
path (``report_json(sales_report(...))``) for every period and every kind of user, with ties, money-only
and new customers, negative figures and names that need escaping; and each row's writer equal to
``json_out.row_out`` for any figures below the exact bound."""

from __future__ import annotations

import json
from datetime import date

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.core.lib.money import from_fen
from salesdesk.ledger.choices import FactKind
from salesdesk.reports.json_out import _yuan, report_json, row_out
from salesdesk.reports.queries import REPORTED, Figures, ReportRow, sales_report
from salesdesk.reports.row_writer import EXACT_FEN, customer_parts, goods_parts, rows_report_json

from .factories import CategoryFactory, CustomerFactory, ProductFactory, fact, pending_payment

fen = st.integers(min_value=-EXACT_FEN + 1, max_value=EXACT_FEN - 1)
small_fen = st.integers(min_value=-10**9, max_value=10**9) | st.just(0)


@given(fen)
def test_money_written_through_a_float_equals_the_exact_yuan_text(amount):
    assert b"%.2f" % (amount / 100) == _yuan(amount).encode()


@given(key=st.none() | st.integers(min_value=1, max_value=10**12), label=st.text(), detail=st.text(max_size=20),
       figures=st.tuples(*[st.one_of(fen, small_fen)] * 12), measure=st.sampled_from(["ordered", "shipped", "received"]),
       pending=fen, created=st.booleans(), rank=st.integers(min_value=1, max_value=10**6), same=st.booleans())
def test_a_row_written_by_the_template_equals_row_out(key, label, detail, figures, measure, pending, created, rank,
                                                      same):
    if same:  # a year: the previous period is last year's
        figures = figures[:8] + figures[4:8]
    row = ReportRow(key=key, label=label, detail=detail, current=Figures(*figures[0:4]),
                    previous=Figures(*figures[4:8]), last_year=Figures(*figures[8:12]), measure=measure,
                    pending_received=from_fen(pending), new_customers=int(created), rank=rank)

    before_rank, after_rank = customer_parts(key, label, detail, figures, REPORTED.index(measure), same, pending,
                                             created)

    assert json.loads(b"%s%d%s" % (before_rank, rank, after_rank)) == json.loads(orjson.dumps(row_out(row)))


@given(key=st.none() | st.integers(min_value=1, max_value=10**12), label=st.text(), detail=st.text(max_size=20),
       figures=st.tuples(*[st.one_of(fen, small_fen)] * 9), measure=st.sampled_from(["ordered", "shipped"]),
       rank=st.integers(min_value=1, max_value=10**6), same=st.booleans())
def test_a_goods_row_written_by_the_template_equals_row_out(key, label, detail, figures, measure, rank, same):
    if same:
        figures = figures[:6] + figures[3:6]
    row = ReportRow(key=key, label=label, detail=detail, current=Figures(*figures[0:3], None),
                    previous=Figures(*figures[3:6], None), last_year=Figures(*figures[6:9], None), measure=measure,
                    pending_received=None, new_customers=None, rank=rank)

    before_rank, after_rank = goods_parts(key, label, detail, figures, REPORTED.index(measure), same)

    assert json.loads(b"%s%d%s" % (before_rank, rank, after_rank)) == json.loads(orjson.dumps(row_out(row)))


@pytest.fixture
def customers(personas):
    """Customers of three salespeople across November 2026, October 2026 and November 2025: two with the
    same 业绩 (a tie), one with figures only last year, one with a refund larger than its money (negative),
    one with only a pending payment, one created in November with nothing else, and names to escape."""
    clerk, product = personas["clerk"], ProductFactory()
    a = CustomerFactory(salesperson=personas["sales1"], name='上海"引号"\\反斜杠\t贸易')
    tools, toys = CategoryFactory(name="工具"), CategoryFactory(name='玩"具')
    other = ProductFactory(name="扳手\\大号", category=tools)
    ProductFactory(name="闲置产品", category=toys)
    b = CustomerFactory(salesperson=personas["sales2"], name="北京同额甲")
    c = CustomerFactory(salesperson=personas["sales3"], name="北京同额乙")
    old = CustomerFactory(salesperson=personas["sales1"], name="去年客户")
    refunded = CustomerFactory(salesperson=personas["sales2"], name="退款客户")
    only_pending = CustomerFactory(salesperson=personas["sales3"], name="只有待确认")
    fact(clerk, FactKind.BOOKED, date(2026, 11, 3), "1234.56", customer=a, product=product)
    fact(clerk, FactKind.BOOKED, date(2026, 10, 9), "1000.01", customer=a, product=product)
    fact(clerk, FactKind.BOOKED, date(2026, 11, 4), "500", customer=b, product=product)
    fact(clerk, FactKind.BOOKED, date(2026, 11, 4), "500", customer=c, product=other)
    fact(clerk, FactKind.UNBOOKED, date(2026, 11, 4), "20", customer=c, product=other)
    fact(clerk, FactKind.SHIPPED, date(2026, 11, 5), "300", customer=c, product=product)
    fact(clerk, FactKind.BOOKED, date(2025, 11, 20), "777.77", customer=old, product=product)
    fact(clerk, FactKind.RECEIVED, date(2026, 11, 6), "100", customer=refunded)
    fact(clerk, FactKind.REFUNDED, date(2026, 11, 7), "250.05", customer=refunded)
    pending_payment(personas, only_pending, "88.80", date(2026, 11, 8))
    pending_payment(personas, a, "12.34", date(2026, 11, 9))
    CustomerFactory(salesperson=personas["sales1"], name="新客户")
    return a


@pytest.mark.parametrize("kind", ["day", "five_day", "month", "quarter", "year"])
@pytest.mark.parametrize("username", ["clerk", "gm", "manager", "sales1"])
@pytest.mark.parametrize("measure", ["ordered", "shipped", "received"])
@pytest.mark.parametrize("group_by", ["customer", "product", "category"])
def test_the_document_equals_the_general_path(personas, customers, kind, username, measure, group_by):
    user = personas[username]
    day, today = date(2026, 11, 4), date(2026, 11, 20)

    ours = rows_report_json(user, kind, day, group_by, measure, today)

    general = report_json(sales_report(user, kind, day, group_by, measure=measure, today=today))
    assert json.loads(ours) == json.loads(general)
    assert json.loads(ours)["rows"] or kind == "day"


def test_an_empty_report_has_no_rows_and_zero_totals(personas, db):
    ours = json.loads(rows_report_json(personas["clerk"], "month", date(2026, 11, 4), "customer", "ordered",
                                           date(2026, 11, 20)))

    assert ours["rows"] == [] and ours["totals"]["ordered_amount"] == "0.00"
    assert ours == json.loads(report_json(sales_report(personas["clerk"], "month", date(2026, 11, 4), "customer",
                                                       measure="ordered", today=date(2026, 11, 20))))


def test_an_amount_beyond_the_exact_bound_is_written_by_the_general_path(personas, db):
    huge = 2**53 + 1  # fen: a float cannot hold it, so the fast writer would be a fen off
    assert b"%.2f" % (huge / 100) != _yuan(huge).encode()
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["clerk"], FactKind.BOOKED, date(2026, 11, 3), str(from_fen(huge)), customer=customer,
         product=ProductFactory())

    ours = json.loads(rows_report_json(personas["clerk"], "month", date(2026, 11, 4), "customer", "ordered",
                                           date(2026, 11, 20)))

    assert ours["rows"][0]["ordered_amount"] == _yuan(huge) == "90071992547409.93"
