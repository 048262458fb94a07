"""The fulfilment overview (合同履行一览表) against naive Python sums: contracted figures from the
generated lines, ordered/shipped/invoiced/received figures from facts recorded with
``ledger.record()`` directly (orders and payments are built elsewhere)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.contracts import queries, services
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record

from .factories import make_contract

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
RATES = [Decimal(r) for r in ("0.13", "0.09", "0.06", "0.05", "0.03", "0.01", "0")]
SIGNED = {FactKind.UNBOOKED: -1, FactKind.RETURNED: -1, FactKind.CREDITED: -1, FactKind.REFUNDED: -1}


def fact(contract, kind, amount, *, product=None, quantity=None, shares=None, day=date(2026, 3, 1)) -> FactInput:
    return FactInput(
        kind=kind, business_date=day, amount=Decimal(amount), customer_id=contract.customer_id,
        source_kind="test", source_id=1, shares=shares or [Share(contract.salesperson_id, Decimal(1))],
        product_id=product.pk if product else None, quantity=None if quantity is None else Decimal(quantity),
        contract_id=contract.pk,
    )


def test_the_api_gives_the_overview_in_the_shape_of_api_md(api, personas):
    product = ProductFactory()
    contract = make_contract(personas, lines=[services.LineInput(product, Decimal("10"), Decimal("1130.00"))],
                             instalments=[services.InstalmentInput(date(2026, 2, 1), Decimal("5000.00")),
                                          services.InstalmentInput(date(2099, 1, 1), Decimal("6300.00"))],
                             activate=True)
    other = make_contract(personas)
    record([
        fact(contract, FactKind.BOOKED, "4520.00", product=product, quantity="4"),
        fact(contract, FactKind.UNBOOKED, "1130.00", product=product, quantity="1"),
        fact(contract, FactKind.SHIPPED, "2260.00", product=product, quantity="2"),
        fact(contract, FactKind.INVOICED, "2260.00", product=product, quantity="2"),
        fact(contract, FactKind.RECEIVED, "3000.00"),
        fact(other, FactKind.BOOKED, "99.00", product=product, quantity="1"),  # another contract: not counted
    ], actor=personas["clerk"])

    data = api("clerk").get(f"/api/v1/contracts/{contract.pk}/fulfilment").json()

    assert {k: data[k] for k in ("total", "ordered_amount", "shipped_amount", "invoiced_amount", "received_amount",
                                 "receivable_amount", "outstanding_amount")} == {
        "total": "11300.00", "ordered_amount": "3390.00", "shipped_amount": "2260.00", "invoiced_amount": "2260.00",
        "received_amount": "3000.00", "receivable_amount": "-740.00", "outstanding_amount": "8300.00",
    }
    assert [{k: line[k] for k in ("product_id", "quantity", "ordered_quantity", "shipped_quantity",
                                  "remaining_quantity")} for line in data["lines"]] == [
        {"product_id": product.pk, "quantity": "10", "ordered_quantity": "3", "shipped_quantity": "2",
         "remaining_quantity": "7"},
    ]
    line = data["lines"][0]
    assert (line["invoiced_amount"], line["received_amount"], line["receivable_amount"]) == ("2260.00", "2260.00", "0.00")
    assert data["unmatched_received_amount"] == "740.00"  # money beyond what the lines shipped: an advance
    assert [{k: i[k] for k in ("due_on", "amount", "received_amount", "overdue")} for i in data["instalments"]] == [
        {"due_on": "2026-02-01", "amount": "5000.00", "received_amount": "3000.00", "overdue": True},
        {"due_on": "2099-01-01", "amount": "6300.00", "received_amount": "0.00", "overdue": False},
    ]


def test_credit_shares_of_one_order_add_up_to_the_order(personas):
    product = ProductFactory()
    contract = make_contract(personas, lines=[services.LineInput(product, Decimal("3"), Decimal("33.33"))])
    shares = [Share(personas["sales1"].pk, Decimal("0.7")), Share(personas["sales3"].pk, Decimal("0.3"))]
    record([fact(contract, FactKind.BOOKED, "99.99", product=product, quantity="3", shares=shares)], actor=None)

    result = queries.fulfilment(contract)

    assert (result.ordered_amount, result.lines[0].ordered_quantity, result.lines[0].remaining_quantity) == (
        Decimal("99.99"), Decimal("3.000"), Decimal("0.000"))


def test_money_received_pays_instalments_oldest_first_and_only_unpaid_past_ones_are_overdue(personas):
    today = date(2026, 6, 15)
    contract = make_contract(personas, instalments=[
        services.InstalmentInput(date(2026, 7, 1), Decimal("3300.00")),
        services.InstalmentInput(date(2026, 3, 1), Decimal("4000.00")),
        services.InstalmentInput(date(2026, 5, 1), Decimal("4000.00")),
    ])
    record([fact(contract, FactKind.RECEIVED, "5000.00"), fact(contract, FactKind.REFUNDED, "500.00")], actor=None)

    result = queries.fulfilment(contract, as_of=today)

    assert [(i.due_on, i.received_amount, i.overdue) for i in result.instalments] == [
        (date(2026, 3, 1), Decimal("4000.00"), False),
        (date(2026, 5, 1), Decimal("500.00"), True),
        (date(2026, 7, 1), Decimal("0.00"), False),
    ]
    assert result.overdue_amount == Decimal("3500.00")


def test_money_per_line_follows_what_each_line_shipped_and_the_rest_is_an_advance(personas):
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    contract = make_contract(personas, lines=[services.LineInput(p, Decimal("10"), Decimal("100.00")) for p in (a, b, c)])
    record([
        fact(contract, FactKind.SHIPPED, "300.00", product=a, quantity="3"),
        fact(contract, FactKind.SHIPPED, "200.00", product=a, quantity="2"),  # a second shipment of line 1
        fact(contract, FactKind.SHIPPED, "100.00", product=b, quantity="1"),
        fact(contract, FactKind.INVOICED, "500.00", product=a, quantity="5"),
        fact(contract, FactKind.CREDITED, "100.00", product=a, quantity="1"),
        fact(contract, FactKind.INVOICED, "50.00"),  # an invoice recorded as a total
        fact(contract, FactKind.RECEIVED, "400.00"),
        fact(contract, FactKind.RECEIVED, "500.00"),  # more than was shipped: 300.00 is an advance
    ], actor=None)

    result = queries.fulfilment(contract)

    assert [(line.shipped_amount, line.invoiced_amount, line.invoiced_quantity, line.received_amount,
             line.receivable_amount, line.outstanding_amount) for line in result.lines] == [
        (Decimal("500.00"), Decimal("400.00"), Decimal("4.000"), Decimal("500.00"), Decimal("0.00"),
         Decimal("500.00")),
        (Decimal("100.00"), Decimal("0.00"), Decimal("0.000"), Decimal("100.00"), Decimal("0.00"), Decimal("900.00")),
        (Decimal("0.00"), Decimal("0.00"), Decimal("0.000"), Decimal("0.00"), Decimal("0.00"), Decimal("1000.00")),
    ]
    assert (result.unmatched_received_amount, result.other_invoiced_amount) == (Decimal("300.00"), Decimal("50.00"))


def test_the_overview_runs_three_queries_whatever_the_number_of_lines_and_facts(personas):
    products = [ProductFactory() for _ in range(6)]
    contract = make_contract(personas, lines=[services.LineInput(p, Decimal("5"), Decimal("10")) for p in products])
    record([fact(contract, FactKind.BOOKED, "10.00", product=p, quantity="1") for p in products] * 3, actor=None)
    contract = type(contract).objects.get(pk=contract.pk)

    with query_budget(3):  # facts GROUP BY product and kind, lines with products, instalments
        result = queries.fulfilment(contract)

    assert result.ordered_amount == Decimal("180.00")


# --- property test: naive sums as the oracle ---------------------------------------------------------

line_strategy = st.tuples(
    st.integers(min_value=0, max_value=5_000_000_000),  # unit price in millionths of a yuan (≤ 5000 yuan)
    st.integers(min_value=1, max_value=2_000_000),  # quantity in thousandths (≤ 2000)
    st.sampled_from(RATES),
)
event_strategy = st.tuples(
    st.sampled_from([FactKind.BOOKED, FactKind.UNBOOKED, FactKind.SHIPPED, FactKind.RETURNED, FactKind.INVOICED,
                     FactKind.CREDITED]),
    st.integers(min_value=0, max_value=7),  # which line (modulo the number of lines)
    st.integers(min_value=1, max_value=500_000),  # quantity in thousandths
    st.integers(min_value=0, max_value=100_000_000),  # amount in fen
    st.sampled_from([(Decimal(1),), (Decimal("0.7"), Decimal("0.3")), (Decimal("0.3333"), Decimal("0.6667"))]),
)
money_strategy = st.tuples(st.sampled_from([FactKind.RECEIVED, FactKind.REFUNDED]),
                           st.integers(min_value=1, max_value=100_000_000))
# invoices recorded as a total (no lines): invoiced facts without a product
total_invoice_strategy = st.tuples(st.sampled_from([FactKind.INVOICED, FactKind.CREDITED]),
                                   st.integers(min_value=1, max_value=10_000_000))


def naive_tax(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=8),
    events=st.lists(event_strategy, max_size=24),
    money=st.lists(money_strategy, max_size=6),
    totals=st.lists(total_invoice_strategy, max_size=3),
    cut=st.integers(min_value=1, max_value=4),
)
def test_contracted_and_moved_figures_equal_naive_sums(personas, lines, events, money, totals, cut):
    """Several shipments, returns, invoices and red invoices per line, payments and refunds, and
    invoices recorded as totals: every figure of the overview equals a naive sum over the facts."""
    with transaction.atomic():
        customer = CustomerFactory(salesperson=personas["sales1"])
        products = [ProductFactory(tax_rate=rate) for _, _, rate in lines]
        inputs = [services.LineInput(p, Decimal(q) / 1000, Decimal(price) / 1_000_000)
                  for p, (price, q, _) in zip(products, lines, strict=True)]
        amounts = [(Decimal(price) / 1_000_000 * Decimal(q) / 1000).quantize(CENT, rounding=ROUND_HALF_UP)
                   for price, q, _ in lines]
        total = sum(amounts, Decimal(0))
        # instalments: the total cut into parts that sum exactly to it (a zero total has none)
        parts = [(total / cut).quantize(CENT, rounding=ROUND_HALF_UP)] * (cut - 1)
        parts.append(total - sum(parts, Decimal(0)))
        instalments = [services.InstalmentInput(date(2026, 1, 1) + timedelta(days=30 * i), amount)
                       for i, amount in enumerate(parts)] if all(p > 0 for p in parts) else []

        contract = services.create_contract(
            actor=personas["clerk"], customer=customer, salesperson=personas["sales1"], lines=inputs,
            instalments=instalments,
            data={"signed_on": date(2026, 1, 1), "starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31)},
        )

        assert contract.total == total
        assert contract.tax_total == sum((naive_tax(a, r) for a, (_, _, r) in zip(amounts, lines, strict=True)),
                                         Decimal(0))

        facts, expect_amount, expect_qty, expect_line_amount = [], {}, {}, {}
        for kind, which, qty, fen, shares in events:
            product = products[which % len(products)]
            sign = SIGNED.get(kind, 1)
            facts.append(FactInput(
                kind=kind, business_date=date(2026, 2, 1), amount=Decimal(fen) / 100, quantity=Decimal(qty) / 1000,
                customer_id=customer.pk, source_kind="test", source_id=1, product_id=product.pk,
                contract_id=contract.pk, shares=[Share(personas["sales1"].pk, s) for s in shares[:1]] + [
                    Share(personas["sales3"].pk, s) for s in shares[1:]],
            ))
            measure = {"booked": "ordered", "unbooked": "ordered", "shipped": "shipped", "returned": "shipped",
                       "invoiced": "invoiced", "credited": "invoiced"}[kind]
            expect_amount[measure] = expect_amount.get(measure, 0) + sign * Decimal(fen) / 100
            key = (product.pk, measure)
            expect_qty[key] = expect_qty.get(key, 0) + sign * Decimal(qty) / 1000
            expect_line_amount[key] = expect_line_amount.get(key, 0) + sign * Decimal(fen) / 100
        for kind, fen in money:
            facts.append(FactInput(kind=kind, business_date=date(2026, 2, 1), amount=Decimal(fen) / 100,
                                   customer_id=customer.pk, source_kind="test", source_id=2, contract_id=contract.pk,
                                   shares=[Share(personas["sales1"].pk, Decimal(1))]))
            expect_amount["received"] = expect_amount.get("received", 0) + SIGNED.get(kind, 1) * Decimal(fen) / 100
        for kind, fen in totals:
            facts.append(FactInput(kind=kind, business_date=date(2026, 2, 1), amount=Decimal(fen) / 100,
                                   customer_id=customer.pk, source_kind="test", source_id=3, contract_id=contract.pk,
                                   shares=[Share(personas["sales1"].pk, Decimal(1))]))
            expect_amount["invoiced"] = expect_amount.get("invoiced", 0) + SIGNED.get(kind, 1) * Decimal(fen) / 100
            expect_amount["other_invoiced"] = expect_amount.get("other_invoiced", 0) + SIGNED.get(kind, 1) * Decimal(
                fen) / 100
        if facts:
            record(facts, actor=None)

        result = queries.fulfilment(contract, as_of=date(2026, 6, 1))

        received = expect_amount.get("received", Decimal(0))
        shipped = expect_amount.get("shipped", Decimal(0))
        assert result.total == total
        assert result.ordered_amount == expect_amount.get("ordered", 0)
        assert result.shipped_amount == shipped
        assert result.invoiced_amount == expect_amount.get("invoiced", 0)
        assert result.received_amount == received
        assert result.receivable_amount == shipped - received
        assert result.outstanding_amount == total - received
        for line, (price, q, _), amount, product in zip(result.lines, lines, amounts, products, strict=True):
            ordered = expect_qty.get((product.pk, "ordered"), Decimal(0))
            assert line.amount == amount
            assert line.unit_price == Decimal(price) / 1_000_000
            assert line.quantity == Decimal(q) / 1000
            assert line.ordered_quantity == ordered
            assert line.shipped_quantity == expect_qty.get((product.pk, "shipped"), Decimal(0))
            assert line.remaining_quantity == max(Decimal(q) / 1000 - ordered, Decimal(0))
            line_shipped = expect_line_amount.get((product.pk, "shipped"), Decimal(0))
            assert line.shipped_amount == line_shipped
            assert line.invoiced_amount == expect_line_amount.get((product.pk, "invoiced"), Decimal(0))
            assert line.invoiced_quantity == expect_qty.get((product.pk, "invoiced"), Decimal(0))
            assert Decimal(0) <= line.received_amount <= max(line_shipped, Decimal(0))
            assert line.receivable_amount == line_shipped - line.received_amount
            assert line.outstanding_amount == amount - line.received_amount
        # money per line: matched to the lines' shipped value (never more than was shipped or received)
        shipped_on_lines = sum((max(expect_line_amount.get((p.pk, "shipped"), Decimal(0)), Decimal(0))
                                for p in products), Decimal(0))
        matched = min(max(received, Decimal(0)), shipped_on_lines)
        assert sum((line.received_amount for line in result.lines), Decimal(0)) == matched
        assert result.unmatched_received_amount == received - matched
        assert result.other_invoiced_amount == expect_amount.get("other_invoiced", 0)
        assert result.other_shipped_amount == 0
        left = max(received, Decimal(0))
        for row, planned in zip(result.instalments, instalments, strict=True):
            got = min(left, planned.amount)
            left -= got
            assert (row.amount, row.received_amount) == (planned.amount, got)
            assert row.overdue == (planned.due_on < date(2026, 6, 1) and got < planned.amount)
            assert row.days_overdue == ((date(2026, 6, 1) - planned.due_on).days if row.overdue else 0)
            assert row.outstanding_amount == planned.amount - got
        transaction.set_rollback(True)
