"""Property test of the receivables engine against naive sums (issue 7, "Done when"): for random
histories of shipments, returns, confirmed payments, refunds, re-allocations and write-offs,

- each customer's receivables less advances (``customer_balance``) = shipped − returned − confirmed
  receipts + refunds − write-offs (+ opening receivables − opening advances), today and as of a day
  in the middle of the history; the ledger's facts say the same;
- no open item is negative or above its amount;
- no payment has more allocated than its amount (nor less than nothing).

Each example runs in a savepoint that is rolled back, so the examples share the personas only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.finance import receivables as ar
from salesdesk.finance.choices import OpeningKind
from salesdesk.finance.models import Allocation, Payment
from salesdesk.finance.services import PaymentInput, confirm_payment, reallocate, record_payment
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact

from .factories import order
from .test_receivables import credit_customer, give_back, opening, ship, write_off

pytestmark = pytest.mark.django_db

D = Decimal
START = date(2026, 6, 1)
MIDDLE = START + timedelta(days=30)

amounts = st.integers(min_value=1, max_value=500_000).map(lambda fen: D(fen) / 100)
days = st.integers(min_value=0, max_value=60)
ops = st.one_of(
    st.tuples(st.just("ship"), st.integers(0, 2), amounts, days),
    st.tuples(st.just("return"), st.integers(0, 2), amounts, days),
    st.tuples(st.just("pay"), st.integers(0, 3), amounts, days),  # index 3: no order (advance)
    st.tuples(st.just("refund"), st.integers(0, 1), amounts, days),
    st.tuples(st.just("reallocate"), st.integers(0, 20), st.integers(0, 3), amounts),
    st.tuples(st.just("write_off"), st.integers(0, 20), amounts, days),
    st.tuples(st.just("opening"), st.integers(0, 1), amounts, st.booleans()),  # True: receivable, False: advance
)


def _naive(history: list[tuple[str, int, Decimal, date]], customer: int, as_of: date | None) -> Decimal:
    sign = {"ship": 1, "return": -1, "pay": -1, "refund": 1, "write_off": -1, "opening_receivable": 1,
            "opening_advance": -1}
    return sum((sign[kind] * amount for kind, cust, amount, on in history
                if cust == customer and (as_of is None or on <= as_of)), D("0.00"))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(history=st.lists(ops, min_size=1, max_size=12))
def test_receivables_equal_the_naive_sums_of_a_random_history(personas, history):
    with transaction.atomic():
        _run(personas, history)
        transaction.set_rollback(True)


def _run(personas, steps) -> None:
    customers = [credit_customer(personas, "sales1", days=10), credit_customer(personas, "sales2", days=0)]
    orders = [order(personas, customers[0], "900000.00"), order(personas, customers[0], "900000.00"),
              order(personas, customers[1], "900000.00")]
    shipped = {o.pk: D(0) for o in orders}
    receivables, receipts = [], []
    done: list[tuple[str, int, Decimal, date]] = []  # (kind, customer index, amount, business date)

    for step in steps:
        kind = step[0]
        if kind == "ship":
            _, i, amount, d = step
            o, on = orders[i], START + timedelta(days=d)
            receivables.append(ship(personas, o, amount, on))
            shipped[o.pk] += amount
            done.append(("ship", customers.index(o.customer), amount, on))
        elif kind == "return":  # never more than what the order shipped and did not yet get back
            _, i, amount, d = step
            o = orders[i]
            amount = min(amount, shipped[o.pk])
            if amount > 0:
                on = START + timedelta(days=d)
                give_back(personas, o, amount, on)
                shipped[o.pk] -= amount
                done.append(("return", customers.index(o.customer), amount, on))
        elif kind in ("pay", "refund"):
            _, i, amount, d = step
            o = orders[i] if kind == "pay" and i < 3 else None
            cust = o.customer if o is not None else customers[i % 2]
            on = START + timedelta(days=d)
            p = record_payment(actor=personas["finance"], data=PaymentInput(
                customer=cust, amount=amount, received_on=on, method="bank_transfer", order=o,
                kind="receipt" if kind == "pay" else "refund"))
            confirm_payment(actor=personas["finance"], payment=p)
            if kind == "pay":
                receipts.append(p)
            done.append((kind, customers.index(cust), amount, on))
        elif kind == "reallocate" and receipts:
            _, pi, oi, amount = step
            p = receipts[pi % len(receipts)]
            mine = [o for o in orders if o.customer_id == p.customer_id]
            targets = [] if oi == 3 else [(mine[oi % len(mine)], min(amount, p.amount))]
            reallocate(actor=personas["finance"], payment=p, allocations=targets)
        elif kind == "opening":
            _, i, amount, is_receivable = step
            if is_receivable:
                receivables.append(opening(personas, customers[i], OpeningKind.RECEIVABLE, amount, date(2025, 3, 1),
                                           date(2025, 4, 1)))
            else:
                opening(personas, customers[i], OpeningKind.ADVANCE, amount, date(2025, 3, 1))
            done.append(("opening_receivable" if is_receivable else "opening_advance", i, amount, date(2026, 1, 1)))
        elif kind == "write_off" and receivables:
            _, ri, amount, d = step
            r = receivables[ri % len(receivables)]
            left = next(i.open_amount for i in ar.build_ledger([r.customer_id]).items if i.receivable.pk == r.pk)
            amount = min(amount, left)
            if amount > 0:
                on = START + timedelta(days=d)
                write_off(personas, r, amount, on)
                done.append(("write_off", [c.pk for c in customers].index(r.customer_id), amount, on))

    for index, cust in enumerate(customers):
        for as_of in (None, MIDDLE):
            assert ar.customer_balance(cust.pk, as_of=as_of) == _naive(done, index, as_of), (index, as_of)
        facts = Fact.objects.filter(customer=cust).exclude(kind__in=[FactKind.INVOICED, FactKind.CREDITED])
        signed = {k: 1 for k in (FactKind.SHIPPED, FactKind.RETURNED)} | {
            k: -1 for k in (FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF)}
        by_kind = dict(facts.values("kind").annotate(t=Sum("amount")).values_list("kind", "t"))
        moves = [step for step in done if not step[0].startswith("opening")]  # (the helper writes no opening facts)
        assert sum((signed[k] * v for k, v in by_kind.items()), D(0)) == _naive(moves, index, None)
        for as_of in (None, MIDDLE):
            for item in ar.build_ledger([cust.pk], as_of=as_of).items:
                assert D(0) <= item.open_amount <= item.amount
                assert item.settled >= 0 and item.written_off >= 0
    for p in Payment.objects.filter(customer__in=customers):
        allocated = Allocation.objects.filter(payment=p).aggregate(s=Sum("amount"))["s"] or D(0)
        assert D(0) <= allocated <= p.amount
