"""Properties of the engine over random months: a line is the sum of its items; moving a payment
moves its commission; the credit split adds up; tiers behave."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.commission.engine import compute_month, tiered
from salesdesk.ledger.choices import FactKind

from .factories import CustomerFactory, ProductFactory, assign, fact, plan

pytestmark = pytest.mark.django_db

D = Decimal
AUG, SEP = date(2026, 8, 1), date(2026, 9, 1)
DB = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)

money = st.decimals(min_value=D("0.01"), max_value=D("500000"), places=2)
rates = st.decimals(min_value=D(0), max_value=D("0.2"), places=4)


@st.composite
def tier_sets(draw):
    """Tiers from 0 with ascending thresholds and non-decreasing rates."""
    n = draw(st.integers(1, 4))
    thresholds = sorted(set(draw(st.lists(st.integers(1, 400000), min_size=n - 1, max_size=n - 1))))
    rate_list = sorted(draw(st.lists(rates, min_size=len(thresholds) + 1, max_size=len(thresholds) + 1)))
    return [(D(0), rate_list[0])] + [(D(t), r) for t, r in zip(thresholds, rate_list[1:], strict=True)]


@given(tiers=tier_sets(), a=money, b=money)
def test_marginal_tiers_are_monotone(tiers, a, b):
    low, high = sorted((a, b))
    assert tiered(low, tiers, "marginal") <= tiered(high, tiers, "marginal")


@given(tiers=tier_sets(), amount=money)
def test_marginal_never_pays_more_than_whole(tiers, amount):
    assert tiered(amount, tiers, "marginal") <= tiered(amount, tiers, "whole")


events = st.lists(st.tuples(st.sampled_from([FactKind.RECEIVED, FactKind.REFUNDED, FactKind.SHIPPED, FactKind.RETURNED]),
                            st.integers(0, 30), money, st.sampled_from(["sales1", "sales3", "split"])),
                  min_size=1, max_size=8)


@DB
@given(history=events, tiers=tier_sets(), flavour=st.sampled_from(["flat", "marginal", "whole", "shipped"]))
def test_a_line_is_the_sum_of_its_items(personas, history, tiers, flavour):
    with transaction.atomic():
        fields = {"rate": D("0.03")}
        if flavour in ("marginal", "whole"):
            fields = {"rate": D(0), "tier_on": "base", "tier_method": flavour}
        if flavour == "shipped":
            fields |= {"base": "shipped", "date_basis": "shipment"}
        p = plan(tiers=tiers if flavour in ("marginal", "whole") else (), **fields)
        assign(p, team=personas["sales1"].team)
        customer = CustomerFactory(salesperson=personas["sales1"])
        product = ProductFactory()
        for kind, day, amount, who in history:
            shares = ([(personas["sales1"], D("0.7")), (personas["sales3"], D("0.3"))] if who == "split"
                      else [(personas[who], D(1))])
            fact(personas["finance"], kind, AUG + timedelta(days=day), amount, customer=customer, shares=shares,
                 product=product)

        lines = compute_month(AUG)

        assert lines
        for line in lines:
            assert line.commission_amount == sum((i.amount for i in line.items), D(0))
            assert all(i.rule and i.fact_id for i in line.items)
        transaction.set_rollback(True)


@DB
@given(others=st.lists(st.tuples(st.integers(0, 59), money), max_size=5), moved=money,
       rate=rates, from_day=st.integers(0, 30), to_day=st.integers(0, 29))
def test_moving_a_payment_moves_its_commission(personas, others, moved, rate, from_day, to_day):
    """Flat rate: a payment moved from August to September takes exactly its own commission along."""
    def months(moved_to: date):
        with transaction.atomic():
            sales1 = personas["sales1"]
            assign(plan(rate=rate), salesperson=sales1)
            customer = CustomerFactory(salesperson=sales1)
            for day, amount in others:
                fact(personas["finance"], FactKind.RECEIVED, AUG + timedelta(days=day), amount, customer=customer)
            fact(personas["finance"], FactKind.RECEIVED, moved_to, moved, customer=customer)
            result = compute_month(AUG)[0].commission_amount, compute_month(SEP)[0].commission_amount
            transaction.set_rollback(True)
        return result

    aug_before, sep_before = months(AUG + timedelta(days=from_day))
    aug_after, sep_after = months(SEP + timedelta(days=to_day))
    own = (moved * rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")

    assert aug_before - aug_after == own
    assert sep_after - sep_before == own


@DB
@given(amount=money, rate=rates, share=st.sampled_from(["0.7", "0.5", "0.25", "0.9"]))
def test_split_commission_adds_up_to_the_commission_on_the_total(personas, amount, rate, share):
    """Flat rate: the salespeople's lines add up to the commission on the whole order — to the fen
    when no rounding is involved, within one fen (each share rounds once) otherwise."""
    with transaction.atomic():
        sales1, sales3 = personas["sales1"], personas["sales3"]
        p = plan(rate=rate)
        assign(p, salesperson=sales1)
        assign(p, salesperson=sales3)
        customer = CustomerFactory(salesperson=sales1)
        fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 10), amount, customer=customer,
             shares=[(sales1, D(share)), (sales3, D(1) - D(share))])

        total = sum((line.commission_amount for line in compute_month(AUG)), D(0))
        transaction.set_rollback(True)
    on_total = (amount * rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert abs(total - on_total) <= D("0.01")


@DB
@given(tens=st.integers(1, 50000), percent=st.integers(0, 10))
def test_70_30_split_of_whole_tens_at_whole_percent_adds_up_to_the_fen(personas, tens, percent):
    with transaction.atomic():
        sales1, sales3 = personas["sales1"], personas["sales3"]
        p = plan(rate=D(percent) / 100)
        assign(p, salesperson=sales1)
        assign(p, salesperson=sales3)
        customer = CustomerFactory(salesperson=sales1)
        fact(personas["finance"], FactKind.RECEIVED, date(2026, 8, 10), tens * 10, customer=customer,
             shares=[(sales1, D("0.7")), (sales3, D("0.3"))])

        total = sum((line.commission_amount for line in compute_month(AUG)), D(0))
        transaction.set_rollback(True)
    assert total == D(tens * 10) * percent / 100
