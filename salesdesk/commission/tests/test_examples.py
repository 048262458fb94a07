"""DOMAIN.md §6's four worked examples, to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesdesk.commission.engine import compute_month, tiered
from salesdesk.commission.models import ItemKind
from salesdesk.ledger.choices import FactKind

from .factories import CategoryFactory, CustomerFactory, ProductFactory, assign, fact, order, plan, receivable, target

pytestmark = pytest.mark.django_db

D = Decimal
AUG = date(2026, 8, 1)
TIERS_2 = [("0", "0.02"), ("100000", "0.03"), ("300000", "0.04")]


def _line(lines, user):
    return next(line for line in lines if line.salesperson_id == user.pk)


# --- example 2: tiers on the month's 回款 -----------------------------------------------------------------


@pytest.mark.parametrize(("method", "collected", "expected"), [
    ("marginal", "450000", "14000.00"),
    ("whole", "450000", "18000.00"),
    ("whole", "300000.00", "9000.00"),
    ("whole", "300000.01", "12000.00"),
    ("marginal", "300000.00", "8000.00"),
    ("marginal", "300000.01", "8000.00"),
])
def test_example2_tiers_on_monthly_collections(personas, method, collected, expected):
    sales1 = personas["sales1"]
    assign(plan(rate=0, tier_on="base", tier_method=method, tiers=TIERS_2), salesperson=sales1)
    customer = CustomerFactory(salesperson=sales1)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 10), collected, customer=customer)

    line = _line(compute_month(AUG), sales1)

    assert line.commission_amount == D(expected)
    assert line.base_amount == D(collected)
    assert line.commission_amount == sum(i.amount for i in line.items)


@pytest.mark.parametrize(("method", "amount", "expected"), [
    ("marginal", "450000", "14000.00"), ("whole", "450000", "18000.00"),
    ("whole", "300000.00", "9000.00"), ("whole", "300000.01", "12000.00"),
    ("marginal", "300000.00", "8000.00"), ("marginal", "300000.01", "8000.00"),
])
def test_example2_tiered_function(method, amount, expected):
    tiers = [(D(t), D(r)) for t, r in TIERS_2]
    assert tiered(D(amount), tiers, method) == D(expected)


def test_example2_marginal_items_name_each_tier(personas):
    sales1 = personas["sales1"]
    assign(plan(rate=0, tier_on="base", tier_method="marginal", tiers=TIERS_2), salesperson=sales1)
    customer = CustomerFactory(salesperson=sales1)
    [received] = fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 10), "450000", customer=customer)

    line = _line(compute_month(AUG), sales1)

    assert [(i.rule, i.base, i.amount) for i in line.items] == [
        ("回款提成 第1档 2%（超额累进）", D("100000"), D("2000.00")),
        ("回款提成 第2档 3%（超额累进）", D("200000"), D("6000.00")),
        ("回款提成 第3档 4%（超额累进）", D("150000"), D("6000.00")),
    ]
    assert {i.fact_id for i in line.items} == {received.pk}
    assert {i.kind for i in line.items} == {ItemKind.COMMISSION}


def test_example2_credit_split_70_30_pays_each_salesperson_on_their_share(personas):
    sales1, sales3 = personas["sales1"], personas["sales3"]
    p = plan(rate=D("0.03"))
    assign(p, salesperson=sales1)
    assign(p, salesperson=sales3)
    customer = CustomerFactory(salesperson=sales1)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 10), "100000", customer=customer,
         shares=[(sales1, D("0.7")), (sales3, D("0.3"))])

    lines = compute_month(AUG)

    assert _line(lines, sales1).commission_amount == D("2100.00")
    assert _line(lines, sales3).commission_amount == D("900.00")
    assert _line(lines, sales1).base_amount == D("70000.00")


# --- example 1: rate by collection age, interest on late money ---------------------------------------------

AGE_RULES = [(1, None, "0.02"), (2, 10, "0.015"), (2, 20, "0")]


def _example1(personas):
    sales1 = personas["sales1"]
    assign(plan(rate=0, age_rules=AGE_RULES, interest_rate_monthly=D("0.01"), interest_from_months=2,
                interest_from_day=11), salesperson=sales1)
    customer = CustomerFactory(salesperson=sales1)
    o = order(personas, customer, [(ProductFactory(), 100, "1000.00")])
    receivable(customer, "100000", date(2026, 7, 20), order=o)
    return sales1, customer, o


def test_example1_collections_by_age_earn_1800(personas):
    sales1, customer, o = _example1(personas)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 25), "60000", customer=customer, order_id=o.pk)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 9, 5), "40000", customer=customer, order_id=o.pk)

    august = _line(compute_month(date(2026, 8, 1)), sales1)
    september = _line(compute_month(date(2026, 9, 1)), sales1)

    assert august.commission_amount == D("1200.00")
    assert september.commission_amount == D("600.00")
    assert august.commission_amount + september.commission_amount == D("1800.00")
    assert [i.rule for i in september.items] == ["回款提成 销售2026-07-20 2026-09-10前回款 1.5%"]


def test_example1_late_collection_earns_nothing_and_is_charged_interest(personas):
    sales1, customer, o = _example1(personas)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 25), "60000", customer=customer, order_id=o.pk)
    [late] = fact(personas["finance"], FactKind.RECEIVED, date(2026, 10, 15), "40000", customer=customer,
                  order_id=o.pk)

    october = _line(compute_month(date(2026, 10, 1)), sales1)

    # 40 000 × 1 % × 34 days (9/11 → 10/15) / 30 = 453.33 (DOMAIN's "≈450")
    assert [(i.kind, i.amount) for i in october.items] == [(ItemKind.COMMISSION, D("0.00")),
                                                           (ItemKind.INTEREST, D("-453.33"))]
    assert october.items[1].rule == "迟回款利息 月息1% 自2026-09-11起34天"
    assert october.items[1].fact_id == late.pk
    assert october.commission_amount == D("-453.33")


def test_example1_collection_between_the_11th_and_20th_earns_nothing_without_interest(personas):
    sales1, customer, o = _example1(personas)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 9, 15), "100000", customer=customer, order_id=o.pk)

    line = _line(compute_month(date(2026, 9, 1)), sales1)

    assert line.commission_amount == D("0.00")
    assert {i.kind for i in line.items} == {ItemKind.COMMISSION}


# --- example 3: gross margin and category rates -------------------------------------------------------------


def _example3(personas, tax_basis="gross", below_floor_factor="1"):
    sales1 = personas["sales1"]
    cat_a, cat_b = CategoryFactory(code="A", name="A类"), CategoryFactory(code="B", name="B类")
    assign(plan(rate=0, base="margin", date_basis="shipment", tax_basis=tax_basis,
                below_floor_factor=D(below_floor_factor),
                categories=[(cat_a, "margin", "0.10"), (cat_b, "shipped", "0.01")]), salesperson=sales1)
    customer = CustomerFactory(salesperson=sales1)
    a = ProductFactory(category=cat_a, price=D("2000"), cost=D("1400"), floor_price=D("1800"))
    b = ProductFactory(category=cat_b, price=D("1130"), cost=D("900"), floor_price=D("1200"))
    return sales1, customer, a, b


def test_example3_margin_and_category_total_6439_73(personas):
    sales1, customer, a, b = _example3(personas)
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 3), "200000", customer=customer, product=a, quantity=100)
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 4), "113000", customer=customer, product=b, quantity=100)

    line = _line(compute_month(AUG), sales1)

    # A: 176 991.15 − 123 893.81 = 53 097.34 GP × 10 %; B: 113 000 含税 × 1 %
    assert [(i.rule, i.base, i.amount) for i in line.items] == [
        ("A类 毛利提成 10%", D("53097.34"), D("5309.73")),
        ("B类 发货提成 1%", D("113000.00"), D("1130.00")),
    ]
    assert line.commission_amount == D("6439.73")


def test_example3_category_b_on_net_revenue_is_1000(personas):
    sales1, customer, a, b = _example3(personas, tax_basis="net")
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 3), "200000", customer=customer, product=a, quantity=100)
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 4), "113000", customer=customer, product=b, quantity=100)

    line = _line(compute_month(AUG), sales1)

    assert [i.amount for i in line.items] == [D("5309.73"), D("1000.00")]
    assert line.commission_amount == D("6309.73")


def test_example3_sold_below_floor_price_pays_half_the_rate(personas):
    sales1, customer, _a, b = _example3(personas, below_floor_factor="0.5")
    cheap = order(personas, customer, [(b, 100, "1130.00")])  # floor 1 200
    fact(personas["warehouse"], FactKind.SHIPPED, date(2026, 8, 4), "113000", customer=customer, product=b, quantity=100,
         order_id=cheap.pk)

    line = _line(compute_month(AUG), sales1)

    assert [(i.rule, i.rate, i.amount) for i in line.items] == [
        ("B类 发货提成 1%×50%（低于底价）", D("0.005"), D("565.00"))]


# --- example 4: target gate, completion tiers, override, overdue deduction ---------------------------------


def _example4(personas, collected):
    sales1 = personas["sales1"]
    assign(plan(rate=0, tier_on="completion", tier_method="marginal", gate_completion=D("0.6"), overdue_days=90,
                overdue_rate=D("0.01"), tiers=[("0", "0.02"), ("1", "0.03")]), salesperson=sales1)
    target(personas, AUG, salesperson=sales1, collection="500000")
    payer = CustomerFactory(salesperson=sales1)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 20), collected, customer=payer)
    debtor = CustomerFactory(salesperson=sales1)
    o = order(personas, debtor, [(ProductFactory(), 80, "1000.00")], order_date=date(2026, 3, 1))
    # 103 days past due on 8/31 (72 on 7/31: deducted first in August)
    receivable(debtor, "80000", date(2026, 4, 20), order=o, due_on=date(2026, 5, 20))
    return sales1


def test_example4_completion_tiers_and_overdue_deduction_net_10700(personas):
    sales1 = _example4(personas, "550000")

    line = _line(compute_month(AUG), sales1)

    assert [(i.kind, i.rule, i.amount) for i in line.items] == [
        (ItemKind.COMMISSION, "回款提成 完成率第1档 2%（超额累进）", D("10000.00")),
        (ItemKind.COMMISSION, "回款提成 完成率第2档 3%（超额累进）", D("1500.00")),
        (ItemKind.DEDUCTION, "逾期应收扣减 1%（逾期90天以上）", D("-800.00")),
    ]
    assert line.commission_amount == D("10700.00")


def test_example4_below_60_percent_pays_nothing_and_says_why(personas):
    sales1 = _example4(personas, "250000")

    line = _line(compute_month(AUG), sales1)

    gate = line.items[0]
    assert gate.kind == ItemKind.GATE
    assert gate.amount == D("0.00")
    assert gate.rule == "未达门槛 目标完成率 50% < 60%（回款目标 500,000.00）"
    assert [i.kind for i in line.items[1:]] == [ItemKind.DEDUCTION]
    assert line.commission_amount == D("-800.00")


def test_example4_manager_override_on_team_collections_is_9000(personas):
    manager, sales1, sales3 = personas["manager"], personas["sales1"], personas["sales3"]
    assign(plan(rate=0, override_rate=D("0.005")), salesperson=manager)
    customer = CustomerFactory(salesperson=sales1)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 5), "1000000", customer=customer, salesperson=sales1)
    fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 6), "800000", customer=customer, salesperson=sales3)

    line = _line(compute_month(AUG), manager)

    [override] = [i for i in line.items if i.kind == ItemKind.OVERRIDE]
    assert override.base == D("1800000.00")
    assert override.amount == D("9000.00")
    assert override.rule.startswith("经理团队提成 0.5%")
    assert line.commission_amount == D("9000.00")
