from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact, ImmutableFactError
from salesdesk.ledger.services import FactInput, Share, record, split_by_shares


def _booked(personas, amount="10000.00", shares=None, **kw) -> FactInput:
    shares = shares or [Share(personas["sales1"].pk, Decimal("1"))]
    return FactInput(
        kind=kw.pop("kind", FactKind.BOOKED), business_date=date(2026, 11, 27), amount=Decimal(amount),
        customer_id=kw.pop("customer_id", None) or CustomerFactory(salesperson=personas["sales1"]).pk,
        source_kind="order", source_id=1, shares=shares, **kw,
    )


@pytest.mark.django_db
def test_one_fact_per_credit_share_summing_exactly_to_the_document(personas):
    shares = [Share(personas["sales1"].pk, Decimal("0.7")), Share(personas["sales2"].pk, Decimal("0.3"))]

    facts = record([_booked(personas, "100.01", shares, tax="11.51", quantity="3")], actor=personas["clerk"])

    assert [(f.salesperson_id, f.amount, f.tax, f.quantity) for f in facts] == [
        (personas["sales1"].pk, Decimal("70.01"), Decimal("8.06"), Decimal("2.100")),
        (personas["sales2"].pk, Decimal("30.00"), Decimal("3.45"), Decimal("0.900")),
    ]
    assert Fact.objects.aggregate(s=Sum("amount"))["s"] == Decimal("100.01")


@pytest.mark.django_db
def test_reversing_kinds_are_stored_negative(personas):
    record([_booked(personas, "500.00"), _booked(personas, "200.00", kind=FactKind.UNBOOKED)], actor=None)

    assert Fact.objects.of_measure("ordered").aggregate(s=Sum("amount"))["s"] == Decimal("300.00")


@pytest.mark.django_db
def test_the_accounting_period_defaults_to_the_business_month(personas):
    (fact,) = record([_booked(personas)], actor=None)

    assert fact.period == "2026-11"


@pytest.mark.django_db
def test_facts_cannot_be_edited_or_deleted(personas):
    (fact,) = record([_booked(personas)], actor=None)

    fact.amount = Decimal("1.00")
    with pytest.raises(ImmutableFactError):
        fact.save()
    with pytest.raises(ImmutableFactError):
        fact.delete()
    with pytest.raises(ImmutableFactError):
        Fact.objects.all().update(amount=0)
    with pytest.raises(ImmutableFactError):
        Fact.objects.all().delete()
    assert Fact.objects.get().amount == Decimal("10000.00")


@pytest.mark.django_db
def test_money_facts_refuse_a_product(personas):
    with pytest.raises(ValueError, match="no product"):
        record([_booked(personas, kind=FactKind.RECEIVED, product_id=5)], actor=None)
    assert not Fact.objects.exists()


@pytest.mark.django_db
def test_visible_to_limits_a_salesperson_to_their_own_facts_and_a_manager_to_the_team(personas):
    record([_booked(personas, shares=[Share(personas[u].pk, Decimal(1))]) for u in ("sales1", "sales2", "sales3")],
           actor=None)

    def seen(username):
        return sorted(Fact.objects.visible_to(personas[username]).values_list("salesperson__username", flat=True))

    assert seen("sales1") == ["sales1"]
    assert seen("manager") == ["sales1", "sales3"]
    assert seen("clerk") == ["sales1", "sales2", "sales3"]
    assert seen("hr") == []


shares_strategy = st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6).map(
    lambda weights: [Decimal(w) / Decimal(sum(weights)) for w in weights]
)


@given(total=st.integers(min_value=-10**14, max_value=10**14), weights=st.lists(
    st.integers(min_value=1, max_value=9999), min_size=1, max_size=6))
def test_split_by_shares_is_exact_and_fair(total, weights):
    # shares with four decimals that sum to exactly 1, as RateField stores them
    raw = [Decimal(w) for w in weights]
    shares = [(r / sum(raw)).quantize(Decimal("0.0001")) for r in raw]
    shares[-1] += Decimal(1) - sum(shares)
    if shares[-1] <= 0:
        return

    parts = split_by_shares(total, shares)

    assert sum(parts) == total
    assert all(abs(p - Decimal(total) * s) < 1 for p, s in zip(parts, shares, strict=True))


def test_split_refuses_shares_not_summing_to_one():
    with pytest.raises(ValueError, match="sum to 1"):
        split_by_shares(100, [Decimal("0.5"), Decimal("0.4")])
