"""Property: the booked facts of a submitted order are exact — per line and per credit share —
checked against naive Python sums over the generated lines and shares (the oracle), to the fen.

Oracle: a line's amount is round_half_up(quantity × price) and its tax is split from it at the
line's rate; the order's total is the plain sum of the line amounts. The facts of each line must
add up to exactly the line (amount, tax, quantity) over its shares, each share's part must be
within one unit (fen / thousandth) of share × line, and all facts add up to the order's total."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.orders import services

from .factories import make_product, order_input

pytestmark = pytest.mark.django_db

FEN = Decimal("0.01")
MILLI = Decimal("0.001")
RATES = ["0.13", "0.09", "0.06", "0.03", "0.01", "0"]

lines_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5_000_000).map(lambda n: Decimal(n) / 1000),  # quantity, 3 decimals
        st.integers(min_value=0, max_value=50_000_000).map(lambda n: Decimal(n) / 10_000),  # price, 4 decimals
        st.sampled_from(RATES),
    ),
    min_size=1, max_size=6,
)


@st.composite
def shares_strategy(draw):
    """1–3 positive shares in ten-thousandths that sum to exactly 1."""
    n = draw(st.integers(min_value=1, max_value=3))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=9_999), min_size=n - 1, max_size=n - 1,
                                unique=True)))
    bounds = [0, *cuts, 10_000]
    return [Decimal(bounds[i + 1] - bounds[i]) / 10_000 for i in range(n)]


def _round(x: Decimal, unit: Decimal) -> Decimal:
    return x.quantize(unit, rounding=ROUND_HALF_UP)


def _naive_line(quantity: Decimal, price: Decimal, rate: str) -> tuple[Decimal, Decimal]:
    amount = _round(quantity * price, FEN)
    r = Decimal(rate)
    tax = _round(amount * r / (1 + r), FEN)
    return amount, tax


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(lines=lines_strategy, shares=shares_strategy())
def test_booked_facts_per_credit_share_are_exact(personas, lines, shares):
    people = [personas["sales1"], personas["sales3"], personas["sales2"]][: len(shares)]
    customer = CustomerFactory(salesperson=people[0])
    products = [make_product(price=str(price), tax_rate=rate) for _, price, rate in lines]
    data = order_input(customer, [(p, str(q), None) for p, (q, _, _) in zip(products, lines, strict=True)],
                       split=[(u, str(s)) for u, s in zip(people, shares, strict=True)])

    order = services.submit_order(actor=personas["clerk"], order=services.create_order(
        actor=personas["clerk"], data=data))

    naive = [_naive_line(q, price, rate) for q, price, rate in lines]
    assert order.total == sum(a for a, _ in naive)
    assert order.tax_total == sum(t for _, t in naive)
    facts = list(Fact.objects.filter(order_id=order.pk, kind=FactKind.BOOKED))
    assert len(facts) == len(lines) * len(shares)
    assert sum(f.amount for f in facts) == order.total
    assert sum(f.tax for f in facts) == order.tax_total
    by_line: dict[int, list[Fact]] = {}
    for f in facts:
        by_line.setdefault(f.source_line_id, []).append(f)
    for line in order.lines.order_by("line_no"):
        (quantity, _, _), (amount, tax) = lines[line.line_no - 1], naive[line.line_no - 1]
        parts = by_line[line.pk]
        assert sum(f.amount for f in parts) == amount
        assert sum(f.tax for f in parts) == tax
        assert sum(f.quantity for f in parts) == quantity
        for f in parts:
            share = shares[[u.pk for u in people].index(f.salesperson_id)]
            assert f.share == share
            assert abs(f.amount - amount * share) < FEN
            assert abs(f.tax - tax * share) < FEN
            assert abs(f.quantity - quantity * share) < MILLI
    for person, share in zip(people, shares, strict=True):
        mine = [f for f in facts if f.salesperson_id == person.pk]
        assert abs(sum(f.amount for f in mine) - order.total * share) < FEN * len(lines)
