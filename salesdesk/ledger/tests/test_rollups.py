from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger import rollups
from salesdesk.ledger.choices import MONEY_KINDS, FactKind
from salesdesk.ledger.models import Fact, RollupDay, RollupMonthCustomer, RollupMonthProduct, RollupMonthProductAll
from salesdesk.ledger.services import FactInput, Share, record

pytestmark = pytest.mark.django_db

GOODS_KINDS = [FactKind.BOOKED, FactKind.UNBOOKED, FactKind.SHIPPED, FactKind.RETURNED, FactKind.INVOICED,
               FactKind.CREDITED]
MONEY = [FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF]


def _snapshot() -> dict[str, set]:
    return {
        "day": set(RollupDay.objects.values_list("day", "salesperson_id", "team_id", "kind", "amount", "tax", "facts")),
        "mc": set(RollupMonthCustomer.objects.values_list(
            "month", "salesperson_id", "team_id", "customer_id", "kind", "amount", "tax", "facts")),
        "mp": set(RollupMonthProduct.objects.values_list(
            "month", "salesperson_id", "team_id", "product_id", "kind", "amount", "tax", "quantity", "facts")),
        "mpa": set(RollupMonthProductAll.objects.values_list(
            "month", "product_id", "kind", "amount", "tax", "quantity", "facts")),
    }


def test_recording_adds_to_the_day_and_month_rollups(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = ProductFactory()
    shares = [Share(personas["sales1"].pk, Decimal("0.7")), Share(personas["sales2"].pk, Decimal("0.3"))]
    for amount in ("100.00", "50.01"):
        record([FactInput(kind=FactKind.SHIPPED, business_date=date(2026, 11, 3), amount=Decimal(amount), tax=Decimal("1"),
                          quantity=Decimal("2"), customer_id=customer.pk, product_id=product.pk, source_kind="t",
                          source_id=1, shares=shares)], actor=personas["clerk"])

    day = RollupDay.objects.get(day=date(2026, 11, 3), salesperson_id=personas["sales1"].pk, kind=FactKind.SHIPPED)
    assert (day.amount, day.facts) == (Decimal("105.01"), 2)  # 70.00 + 35.01 (the odd fen goes to the larger share)
    month = RollupMonthProduct.objects.get(month=date(2026, 11, 1), salesperson_id=personas["sales2"].pk)
    assert (month.amount, month.quantity) == (Decimal("45.00"), Decimal("1.200"))
    every = RollupMonthProductAll.objects.get(month=date(2026, 11, 1), product_id=product.pk)
    assert (every.amount, every.quantity, every.facts) == (Decimal("150.01"), Decimal("4.000"), 4)  # both shares
    assert rollups.differences(date(2026, 11, 1), date(2026, 11, 30)) == []


def test_money_facts_are_kept_out_of_the_product_rollup(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    record([FactInput(kind=FactKind.RECEIVED, business_date=date(2026, 11, 3), amount=Decimal("10"),
                      customer_id=customer.pk, source_kind="payment", source_id=1,
                      shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=personas["clerk"])

    assert not RollupMonthProduct.objects.exists()
    assert not RollupMonthProductAll.objects.exists()
    assert RollupMonthCustomer.objects.get().amount == Decimal("10.00")


def test_the_check_lists_a_rollup_that_drifted_from_the_facts(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    record([FactInput(kind=FactKind.BOOKED, business_date=date(2026, 11, 3), amount=Decimal("10"),
                      customer_id=customer.pk, source_kind="order", source_id=1,
                      shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=personas["clerk"])
    RollupDay.objects.update(amount=Decimal("11"))

    problems = rollups.differences(date(2026, 11, 3), date(2026, 11, 3))

    assert len(problems) == 1 and "rollupday" in problems[0]
    call_command("rebuild_rollups", "2026-11-03")
    assert rollups.differences(date(2026, 11, 3), date(2026, 11, 3)) == []


def test_the_nightly_check_notifies_the_clerk_once_a_day(personas):
    from salesdesk.core.models import Notification
    from salesdesk.ledger.tasks import check_rollups

    customer = CustomerFactory(salesperson=personas["sales1"])
    record([FactInput(kind=FactKind.BOOKED, business_date=date(2026, 11, 3), amount=Decimal("10"),
                      customer_id=customer.pk, source_kind="order", source_id=1,
                      shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=personas["clerk"])
    RollupMonthCustomer.objects.update(facts=5)

    check_rollups(date(2026, 11, 27))
    check_rollups(date(2026, 11, 27))

    assert Notification.objects.filter(recipient=personas["clerk"], kind="rollup_mismatch").count() == 1


fact_strategy = st.tuples(
    st.sampled_from(GOODS_KINDS + MONEY),
    st.integers(min_value=0, max_value=70),  # days after 2024-01-25 (month and leap-day edges)
    st.integers(min_value=1, max_value=10**9),  # fen
    st.integers(min_value=0, max_value=2),  # customer
    st.integers(min_value=0, max_value=2),  # product
    st.sampled_from([(Decimal(1),), (Decimal("0.7"), Decimal("0.3")), (Decimal("0.5"), Decimal("0.25"), Decimal("0.25"))]),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(history=st.lists(fact_strategy, min_size=1, max_size=25))
def test_rollups_equal_naive_sums_of_the_facts_and_rebuilding_changes_nothing(personas, history):
    people = [personas["sales1"], personas["sales2"], personas["sales3"]]
    with transaction.atomic():
        customers = [CustomerFactory(salesperson=people[0]) for _ in range(3)]
        products = [ProductFactory() for _ in range(3)]
        start = date(2024, 1, 25)
        for i, (kind, offset, fen, c, p, weights) in enumerate(history):
            record([FactInput(
                kind=kind, business_date=start + timedelta(days=offset), amount=Decimal(fen) / 100,
                tax=Decimal(fen // 10) / 100, quantity=None if kind in MONEY_KINDS else Decimal(c + p + 1),
                customer_id=customers[c].pk, product_id=None if kind in MONEY_KINDS else products[p].pk,
                source_kind="test", source_id=i,
                shares=[Share(u.pk, w, u.team_id) for u, w in zip(people, weights, strict=False)],
            )], actor=personas["clerk"])

        naive: dict[tuple, Decimal] = defaultdict(Decimal)
        for f in Fact.objects.filter(source_kind="test"):
            naive[(f.business_date, f.salesperson_id, f.kind)] += f.amount
        stored = {(r.day, r.salesperson_id, r.kind): r.amount for r in RollupDay.objects.all()}
        assert stored == dict(naive)
        end = start + timedelta(days=70)
        assert rollups.differences(start, end) == []
        before = _snapshot()
        rollups.rebuild(start, end)
        assert _snapshot() == before
        transaction.set_rollback(True)
