"""The engine's rules beyond the worked examples: which plan, which facts, claw-backs, tax basis,
overdue deductions given back, interest arithmetic, plan validation and the query budget."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.commission.engine import (
    compute_month,
    late_interest,
    marginal_parts,
    plan_for,
    plan_problems,
)
from salesdesk.commission.models import ItemKind
from salesdesk.core.errors import DomainError
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.choices import FactKind

from .factories import (
    CategoryFactory,
    CustomerFactory,
    ProductFactory,
    assign,
    fact,
    order,
    plan,
    receivable,
    target,
)

pytestmark = pytest.mark.django_db

D = Decimal
AUG, SEP = date(2026, 8, 1), date(2026, 9, 1)


def _line(lines, user):
    return next((line for line in lines if line.salesperson_id == user.pk), None)


# --- which plan --------------------------------------------------------------------------------------------


def test_own_assignment_beats_the_team_plan(personas):
    team_plan, own_plan = plan(), plan()
    assign(team_plan, team=personas["sales1"].team)
    assign(own_plan, salesperson=personas["sales1"])

    assert plan_for(personas["sales1"].pk, AUG) == own_plan
    assert plan_for(personas["sales3"].pk, AUG) == team_plan


def test_the_version_valid_on_the_months_first_day_prices_it(personas):
    old = plan(code="std", valid_from=date(2026, 1, 1), valid_to=date(2026, 8, 31), rate=D("0.02"))
    new = plan(code="std", valid_from=date(2026, 9, 1), rate=D("0.03"))
    assign(old, salesperson=personas["sales1"])

    assert plan_for(personas["sales1"].pk, date(2026, 8, 15)) == old
    assert plan_for(personas["sales1"].pk, SEP) == new


def test_an_expired_assignment_gives_no_plan_and_no_line(personas):
    assign(plan(), salesperson=personas["sales1"], valid_to=date(2026, 7, 31))
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "1000", customer=CustomerFactory(
        salesperson=personas["sales1"]))

    assert plan_for(personas["sales1"].pk, AUG) is None
    assert compute_month(AUG) == []


def test_salesperson_ids_limits_the_lines(personas):
    p = plan()
    assign(p, salesperson=personas["sales1"])
    assign(p, salesperson=personas["sales2"])

    lines = compute_month(AUG, salesperson_ids=[personas["sales2"].pk])

    assert [line.salesperson_id for line in lines] == [personas["sales2"].pk]


def test_a_line_without_facts_is_zero(personas):
    assign(plan(), salesperson=personas["sales1"])

    [line] = compute_month(AUG)

    assert (line.base_amount, line.commission_amount, line.items) == (D("0.00"), D("0.00"), [])


# --- facts and months --------------------------------------------------------------------------------------


def test_each_fact_gives_an_item_naming_its_rule_and_fact(personas):
    assign(plan(rate=D("0.03")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    [received] = fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "1000", customer=customer,
                      source_kind="payment", source_id=77)

    [item] = compute_month(AUG)[0].items

    assert (item.kind, item.rule, item.base, item.rate, item.amount) == (
        ItemKind.COMMISSION, "回款提成 3%", D("1000.00"), D("0.0300"), D("30.00"))
    assert (item.fact_id, item.source_kind, item.source_id, item.business_date) == (
        received.pk, "payment", 77, date(2026, 8, 3))


def test_facts_of_other_months_do_not_count(personas):
    assign(plan(rate=D("0.03")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 7, 31), "1000", customer=customer)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 9, 1), "1000", customer=customer)

    assert compute_month(AUG)[0].commission_amount == D("0.00")


def test_shipped_base_reads_shipments_not_money(personas):
    assign(plan(base="shipped", date_basis="shipment", rate=D("0.02")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 3), "5000", customer=customer, product=ProductFactory())
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 4), "9999", customer=customer)

    [line] = compute_month(AUG)

    assert (line.base_amount, line.commission_amount) == (D("5000.00"), D("100.00"))


def test_invoiced_margin_reads_invoices(personas):
    assign(plan(base="margin", date_basis="invoice", rate=D("0.10")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = ProductFactory(cost=D("565.00"), tax_rate=D("0.13"))
    fact(personas["clerk"], FactKind.INVOICED, date(2026, 8, 3), "1130", customer=customer, product=product, quantity=1)
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 3), "1130", customer=customer, product=product)

    [line] = compute_month(AUG)

    # net revenue 1 000.00 − net cost 500.00
    assert (line.base_amount, line.commission_amount) == (D("500.00"), D("50.00"))


# --- claw-back ---------------------------------------------------------------------------------------------


def test_a_refund_reduces_the_base_of_its_month(personas):
    assign(plan(rate=D("0.03")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "10000", customer=customer)
    fact(personas["finance"], FactKind.REFUNDED, date(2026, 8, 20), "2000", customer=customer)

    [line] = compute_month(AUG)

    assert [(i.kind, i.rule, i.amount) for i in line.items] == [
        (ItemKind.COMMISSION, "回款提成 3%", D("300.00")), (ItemKind.CLAWBACK, "退款冲减 回款提成 3%", D("-60.00"))]
    assert line.base_amount == D("8000.00")


def test_a_return_claws_back_shipped_commission_in_its_month(personas):
    assign(plan(base="shipped", date_basis="shipment", rate=D("0.02")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = ProductFactory()
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 3), "5000", customer=customer, product=product)
    fact(personas["warehouse"], FactKind.RETURNED, date(2026, 9, 3), "1000", customer=customer, product=product)

    [line] = compute_month(SEP)

    assert [(i.kind, i.amount) for i in line.items] == [(ItemKind.CLAWBACK, D("-20.00"))]


def test_without_clawback_refunds_are_ignored(personas):
    assign(plan(rate=D("0.03"), clawback=False), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "10000", customer=customer)
    fact(personas["finance"], FactKind.REFUNDED, date(2026, 8, 20), "2000", customer=customer)

    assert compute_month(AUG)[0].commission_amount == D("300.00")


def test_written_off_debt_claws_back_all_commission_paid_on_the_orders_collections(personas):
    sales1 = personas["sales1"]
    assign(plan(rate=D("0.03")), salesperson=sales1)
    customer = CustomerFactory(salesperson=sales1)
    o = order(personas, customer, [(ProductFactory(), 10, "1000.00")])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 7, 3), "4000", customer=customer, order_id=o.pk)
    fact(personas["finance"], FactKind.WRITTEN_OFF, date(2026, 8, 10), "3000", customer=customer, order_id=o.pk)
    fact(personas["finance"], FactKind.WRITTEN_OFF, date(2026, 8, 11), "3000", customer=customer, order_id=o.pk)

    [line] = compute_month(AUG)
    [later] = compute_month(SEP)

    assert [(i.kind, i.base, i.amount) for i in line.items] == [(ItemKind.CLAWBACK, D("4000.00"), D("-120.00"))]
    assert later.items == []


def test_written_off_debt_on_a_shipped_base_claws_back_the_written_off_part(personas):
    assign(plan(base="shipped", date_basis="shipment", rate=D("0.02")), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    o = order(personas, customer, [(ProductFactory(), 10, "1000.00")])
    fact(personas["finance"], FactKind.WRITTEN_OFF, date(2026, 8, 10), "3000", customer=customer, order_id=o.pk)

    [line] = compute_month(AUG)

    assert [(i.kind, i.amount) for i in line.items] == [(ItemKind.CLAWBACK, D("-60.00"))]


# --- tax basis, tiers, gate --------------------------------------------------------------------------------


def test_net_basis_takes_the_orders_tax_share_off_money(personas):
    assign(plan(rate=D("0.10"), tax_basis="net"), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    o = order(personas, customer, [(ProductFactory(tax_rate=D("0.13")), 1, "1130.00")])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "1130", customer=customer, order_id=o.pk)

    [line] = compute_month(AUG)

    assert (line.base_amount, line.commission_amount) == (D("1000.00"), D("100.00"))


def test_marginal_tiers_cut_facts_in_date_order(personas):
    assign(plan(rate=0, tier_on="base", tiers=[("0", "0.01"), ("1000", "0.02")]), salesperson=personas["sales1"])
    customer = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "800", customer=customer)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 4), "500", customer=customer)

    [line] = compute_month(AUG)

    assert [(i.base, i.rate, i.amount) for i in line.items] == [
        (D("800.00"), D("0.01"), D("8.00")), (D("200.00"), D("0.01"), D("2.00")), (D("300.00"), D("0.02"), D("6.00"))]


def test_without_a_target_a_gated_plan_pays_nothing_and_says_so(personas):
    assign(plan(rate=D("0.02"), gate_completion=D("0.6")), salesperson=personas["sales1"])
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "1000", customer=CustomerFactory(
        salesperson=personas["sales1"]))

    [line] = compute_month(AUG)

    assert [(i.kind, i.rule, i.amount) for i in line.items] == [
        (ItemKind.GATE, "未设定回款目标，无法计算目标完成率，本月不计提成", D("0.00"))]
    assert line.base_amount == D("1000.00")


def test_the_gate_is_passed_at_exactly_the_threshold(personas):
    assign(plan(rate=D("0.02"), gate_completion=D("0.6")), salesperson=personas["sales1"])
    target(personas, AUG, salesperson=personas["sales1"], collection="1000")
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "600", customer=CustomerFactory(
        salesperson=personas["sales1"]))

    assert compute_month(AUG)[0].commission_amount == D("12.00")


def test_a_shipped_base_gates_on_the_sales_target(personas):
    assign(plan(base="shipped", date_basis="shipment", rate=D("0.02"), gate_completion=D("0.6")),
           salesperson=personas["sales1"])
    target(personas, AUG, salesperson=personas["sales1"], collection="100", sales="10000")
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 3), "5000", customer=CustomerFactory(
        salesperson=personas["sales1"]), product=ProductFactory())

    assert compute_month(AUG)[0].items[0].kind == ItemKind.GATE


# --- overdue deduction -------------------------------------------------------------------------------------


def test_overdue_deduction_is_given_back_when_the_money_comes(personas):
    from salesdesk.finance.tests.factories import payment

    sales1 = personas["sales1"]
    assign(plan(rate=0, overdue_days=90, overdue_rate=D("0.01")), salesperson=sales1)
    customer = CustomerFactory(salesperson=sales1)
    o = order(personas, customer, [(ProductFactory(), 50, "1000.00")])
    receivable(customer, "50000", date(2026, 6, 20), order=o, due_on=date(2026, 7, 20))  # 103 days on 10/31

    [october] = compute_month(date(2026, 10, 1))
    payment(personas, customer, "50000.00", order=o, confirm=True, received_on=date(2026, 11, 20))
    [november] = compute_month(date(2026, 11, 1))

    assert [(i.kind, i.amount) for i in october.items] == [(ItemKind.DEDUCTION, D("-500.00"))]
    assert [(i.kind, i.rule, i.amount) for i in november.items if i.kind != ItemKind.COMMISSION] == [
        (ItemKind.RETURNED, "逾期扣减返还 1%（已收回或已转出）", D("500.00"))]


# --- arithmetic and validation -----------------------------------------------------------------------------


def test_late_interest_counts_days_over_30():
    assert late_interest(D("40000"), D("0.01"), date(2026, 9, 11), date(2026, 10, 15)) == (34, D("453.33"))
    assert late_interest(D("40000"), D("0.01"), date(2026, 9, 11), date(2026, 9, 1)) == (0, D("0.00"))


def test_marginal_parts_of_a_decrease_run_downwards():
    tiers = [(D(0), D("0.01")), (D(100), D("0.02"))]
    assert marginal_parts(D(150), D(50), tiers) == [(2, D(-50), D("0.02")), (1, D(-50), D("0.01"))]


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"base": "received", "date_basis": "shipment"}, "不能按"),
    ({"base": "margin", "date_basis": "receipt"}, "不能按"),
    ({"base": "shipped", "date_basis": "shipment", "interest_rate_monthly": D("0.01"), "interest_from_months": 2},
     "回款基数"),
])
def test_plan_problems_refuse_senseless_combinations(fields, fragment):
    p = plan(**fields)
    assert any(fragment in problem for problem in plan_problems(p))


def test_a_category_priced_on_money_is_refused():
    p = plan(categories=[(CategoryFactory(), "received", "0.01")])
    assert plan_problems(p)


def test_compute_month_refuses_an_invalid_plan(personas):
    assign(plan(base="received", date_basis="invoice"), salesperson=personas["sales1"])
    with pytest.raises(DomainError):
        compute_month(AUG)


def test_progress_reports_every_line(personas):
    p = plan()
    for name in ("sales1", "sales2", "sales3"):
        assign(p, salesperson=personas[name])
    seen = []

    compute_month(AUG, progress=lambda done, total: seen.append((done, total)))

    assert seen == [(1, 3), (2, 3), (3, 3)]


# --- queries -----------------------------------------------------------------------------------------------


def _full_plan(personas, people):
    p = plan(rate=0, tier_on="completion", gate_completion=D("0.1"), tiers=[("0", "0.02"), ("1", "0.03")],
             overdue_days=30, overdue_rate=D("0.01"), override_rate=D("0.005"), below_floor_factor=D("0.5"),
             categories=[(CategoryFactory(), "shipped", "0.01")])
    for user in people:
        assign(p, salesperson=user)
        target(personas, AUG, salesperson=user, collection="10000")
    return p


def _month_of_facts(personas, user, n):
    customer = CustomerFactory(salesperson=user)
    o = order(personas, customer, [(ProductFactory(), 1, "1000.00")])
    receivable(customer, "1000", date(2026, 5, 1), order=o)
    for i in range(n):
        fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 1 + i), "1000", customer=customer, order_id=o.pk)
        fact(personas["finance"], FactKind.WRITTEN_OFF, date(2026, 8, 1 + i), "10", customer=customer, order_id=o.pk)


def test_compute_month_runs_a_fixed_number_of_queries(personas):
    people = [personas["sales1"], personas["sales2"], personas["sales3"], personas["manager"]]
    _full_plan(personas, people)
    _month_of_facts(personas, personas["sales1"], 1)
    with CaptureQueriesContext(connection) as few:
        compute_month(AUG)
    for user in people:
        _month_of_facts(personas, user, 4)

    with query_budget(len(few.captured_queries)):
        lines = compute_month(AUG)

    assert len(lines) == 4


def test_a_thousand_salespeople_in_one_month(personas):
    from salesdesk.ledger.models import Fact
    from salesdesk.org.models import User

    team = personas["sales1"].team
    users = User.objects.bulk_create([User(username=f"bulk{i}", team=team) for i in range(1000)])
    assign(plan(rate=D("0.03"), overdue_days=90, overdue_rate=D("0.01")), team=team)
    customer = CustomerFactory(salesperson=personas["sales1"])
    Fact.objects.bulk_create([
        Fact(kind=FactKind.RECEIVED, business_date=date(2026, 8, 1 + i % 28), period="2026-08", amount=D("1000.00"),
             customer=customer, salesperson=u, team=team, source_kind="bulk", source_id=i)
        for i, u in enumerate(users) for _ in range(3)])

    began = time.monotonic()
    lines = compute_month(AUG)
    elapsed = time.monotonic() - began

    bulk = [line for line in lines if line.salesperson_id in {u.pk for u in users}]
    assert len(bulk) == 1000
    assert all(line.commission_amount == D("90.00") for line in bulk)
    assert elapsed < 30


def test_a_flat_plan_month_takes_seven_queries(personas):
    p = plan(rate=D("0.03"))
    for name in ("sales1", "sales2", "sales3"):
        assign(p, salesperson=personas[name])
        fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 3), "1000", customer=CustomerFactory(
            salesperson=personas[name]))

    # assignments, people, plans + tiers + category rates + age rules, facts
    with query_budget(7):
        compute_month(AUG)
