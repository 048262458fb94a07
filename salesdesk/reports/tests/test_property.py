"""The oracle test (issue 8, "Done when"): random histories of facts recorded through
``ledger.services.record`` — several salespeople, customers, products and days, with corrections
(unbooked, returned, credited, refunded) and credit splits — and a few pending payments; then, for
every period kind and every grouping, as a user who sees everything, a manager or a salesperson, the
report equals naive Python sums over the generated facts: current period, previous period, same
period last year, pending money, new customers and the totals."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.finance.choices import PaymentKind
from salesdesk.finance.services import PaymentInput, record_payment
from salesdesk.ledger.choices import MEASURES, FactKind
from salesdesk.org.visibility import salesperson_scope
from salesdesk.reports.periods import KINDS, ReportPeriod, report_period
from salesdesk.reports.queries import GOODS_GROUPINGS, GROUPINGS, sales_report

from .factories import CategoryFactory, CustomerFactory, ProductFactory, fact

pytestmark = pytest.mark.django_db

KINDS_RECORDED = [FactKind.BOOKED, FactKind.UNBOOKED, FactKind.SHIPPED, FactKind.RETURNED, FactKind.INVOICED,
                  FactKind.CREDITED, FactKind.RECEIVED, FactKind.REFUNDED]
EDGES = [date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31), date(2025, 12, 31), date(2026, 1, 1),
         date(2026, 2, 25), date(2026, 2, 26), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 5),
         date(2026, 3, 6), date(2026, 3, 31), date(2026, 4, 1)]
days = st.one_of(st.sampled_from(EDGES), st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 4, 30)))
SPLITS = [((0, "1"),), ((0, "0.7"), (1, "0.3")), ((1, "0.5"), (2, "0.25"), (0, "0.25"))]

event = st.tuples(
    st.sampled_from(KINDS_RECORDED), days, st.integers(min_value=1, max_value=10**8),  # fen
    st.integers(min_value=0, max_value=3),  # customer
    st.integers(min_value=0, max_value=2),  # product
    st.sampled_from(range(len(SPLITS))),
)
pending = st.tuples(st.integers(min_value=0, max_value=3), days, st.integers(min_value=1, max_value=10**7),
                    st.booleans())  # customer, received_on, fen, refund?


def _oracle(facts, period: ReportPeriod, group_by: str, scope, key_of) -> dict:
    """{key: {measure: Decimal}} by plain loops over the facts."""
    goods = group_by in GOODS_GROUPINGS
    measures = ("ordered", "shipped", "invoiced") if goods else ("ordered", "shipped", "invoiced", "received")
    out: dict = defaultdict(lambda: dict.fromkeys(measures, Decimal("0.00")))
    for f in facts:
        if f.business_date not in period or (scope is not None and f.salesperson_id not in scope):
            continue
        if goods and f.product_id is None:
            continue
        for m in measures:
            if f.kind in MEASURES[m]:
                out[key_of(f)][m] += f.amount
    return out


def _figures(figures, goods: bool) -> dict:
    d = {"ordered": figures.ordered, "shipped": figures.shipped, "invoiced": figures.invoiced}
    if not goods:
        d["received"] = figures.received
    return d


def _zero(goods: bool) -> dict:
    return dict.fromkeys(("ordered", "shipped", "invoiced") if goods else ("ordered", "shipped", "invoiced",
                                                                           "received"), Decimal("0.00"))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(history=st.lists(event, min_size=1, max_size=20), payments=st.lists(pending, max_size=3),
       viewer=st.sampled_from(["gm", "manager", "sales1"]), pick=st.integers(min_value=0, max_value=19))
def test_every_report_equals_naive_sums_of_the_generated_facts(personas, history, payments, viewer, pick):
    people = [personas["sales1"], personas["sales2"], personas["sales3"]]
    user = personas[viewer]
    with transaction.atomic():
        categories = [CategoryFactory(code="RC1"), CategoryFactory(code="RC2")]
        products = [ProductFactory(category=categories[0]), ProductFactory(category=categories[1]),
                    ProductFactory(category=None)]
        customers = [CustomerFactory(salesperson=people[i % 3], region=r)
                     for i, r in enumerate(["华北", "华东", "华北", ""])]
        facts = []
        for kind, day, fen, c, p, split in history:
            facts += fact(personas["clerk"], kind, day, Decimal(fen) / 100, customer=customers[c], product=products[p],
                          shares=[(people[i], w) for i, w in SPLITS[split]])
        recorded = []
        for c, day, fen, refund in payments:
            kind = PaymentKind.REFUND if refund else PaymentKind.RECEIPT
            recorded.append(record_payment(actor=personas["finance"], data=PaymentInput(
                customer=customers[c], amount=Decimal(fen) / 100, received_on=day, method="bank_transfer", kind=kind)))

        scope = salesperson_scope(user)
        region = {c.pk: c.region for c in customers}
        category = {p.pk: p.category_id for p in products}
        owner = {c.pk: c.salesperson_id for c in customers}
        team_of = {u.pk: u.team_id for u in personas.values()}
        key_of = {
            "salesperson": lambda f: f.salesperson_id, "customer": lambda f: f.customer_id,
            "product": lambda f: f.product_id, "category": lambda f: category[f.product_id],
            "region": lambda f: region[f.customer_id], "team": lambda f: f.team_id,
        }
        customer_key = {"salesperson": lambda pk: owner[pk], "customer": lambda pk: pk, "region": lambda pk: region[pk],
                        "team": lambda pk: team_of[owner[pk]]}
        on = history[pick % len(history)][1]  # a day with a fact: the reports are not all zeros

        for kind in KINDS:
            period = report_period(kind, on)
            for group_by in GROUPINGS:
                goods = group_by in GOODS_GROUPINGS
                report = sales_report(user, kind, on, group_by, measure="ordered")
                rows = {r.key: r for r in report.rows}
                for which, p in (("current", period), ("previous", period.previous()),
                                 ("last_year", period.last_year())):
                    expected = _oracle(facts, p, group_by, scope, key_of[group_by])
                    for key in set(expected) | set(rows):
                        got = _figures(getattr(rows[key], which), goods) if key in rows else _zero(goods)
                        assert got == expected.get(key, _zero(goods)), (kind, group_by, which, key)
                    totals = _figures(getattr(report.totals, which), goods)
                    assert totals == {m: sum((v[m] for v in expected.values()), Decimal("0.00"))
                                      for m in _zero(goods)}, (kind, group_by, which)
                if goods:
                    assert all(r.received_amount is None and r.pending_received is None for r in report.rows)
                    continue
                money: dict = defaultdict(Decimal)
                for pay in recorded:
                    if pay.received_on in period and (scope is None or owner[pay.customer_id] in scope):
                        sign = -1 if pay.kind == PaymentKind.REFUND else 1
                        money[customer_key[group_by](pay.customer_id)] += sign * pay.amount
                assert {k: r.pending_received for k, r in rows.items() if r.pending_received} == \
                    {k: v for k, v in money.items() if v}, (kind, group_by)
                assert report.totals.pending_received == sum(money.values(), Decimal("0.00"))
                created: dict = defaultdict(int)
                for c in customers:
                    if timezone.localtime(c.created_at).date() in period and (scope is None or owner[c.pk] in scope):
                        created[customer_key[group_by](c.pk)] += 1
                assert {k: r.new_customers for k, r in rows.items() if r.new_customers} == dict(created)
        transaction.set_rollback(True)


def test_the_oracle_sees_new_customers_of_today(personas):
    """The property test's dates lie in the past; today's customers count in today's report."""
    CustomerFactory(salesperson=personas["sales1"])
    today = timezone.localdate()

    report = sales_report(personas["gm"], "day", today, "salesperson")

    row = next(r for r in report.rows if r.key == personas["sales1"].pk)
    assert (row.new_customers, report.totals.new_customers) == (1, 1)
