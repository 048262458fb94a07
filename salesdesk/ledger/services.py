"""``record()``: the one way business figures move (DESIGN.md, "The ledger")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from salesdesk.core.errors import DomainError
from salesdesk.core.lib.money import from_fen, from_milli, quantize_money, quantize_quantity, to_fen, to_milli

from .choices import MONEY_KINDS, NEGATIVE_KINDS, FactKind
from .models import Fact
from .periods import accounting_period, hold_open, locked_periods

ONE = Decimal(1)


@dataclass(frozen=True)
class Share:
    """A salesperson's part of a document's credit (业绩分成)."""

    salesperson_id: int
    share: Decimal
    team_id: int | None = None


@dataclass(frozen=True)
class FactInput:
    """One event's effect before it is split into credit shares. ``amount``, ``tax`` and
    ``quantity`` are magnitudes; ``record`` applies the kind's sign."""

    kind: FactKind
    business_date: date
    amount: Decimal
    customer_id: int
    source_kind: str
    source_id: int
    shares: Sequence[Share]
    tax: Decimal = Decimal(0)
    quantity: Decimal | None = None
    product_id: int | None = None
    contract_id: int | None = None
    order_id: int | None = None
    source_line_id: int | None = None
    period: str | None = None  # accounting period; default: the business date's month, or the first open one after it
    note: str = ""
    extra: dict = field(default_factory=dict)
    negative: bool = False  # a kind without a fixed sign stored negative (an opening advance)


# Called with the created facts inside the recording transaction (roll-ups register here).
after_record_hooks: list[Callable[[list[Fact]], None]] = []


def split_by_shares(total: int, shares: Sequence[Decimal]) -> list[int]:
    """Split an integer amount (fen or thousandths) by shares so the parts sum exactly to it:
    each part is rounded down and the remainder goes, unit by unit, to the largest fractions
    (ties to the earlier share)."""
    if not shares:
        raise ValueError("at least one share is needed")
    if sum(shares) != ONE:
        raise ValueError(f"shares must sum to 1, got {sum(shares)}")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [Decimal(magnitude) * s for s in shares]
    parts = [int(e) for e in exact]  # floor for non-negative values
    remainder = magnitude - sum(parts)
    by_fraction = sorted(range(len(shares)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_fraction[:remainder]:
        parts[i] += 1
    return [sign * p for p in parts]


def _facts_for(item: FactInput, actor, locked: set[str]) -> list[Fact]:
    if item.kind in MONEY_KINDS and item.product_id is not None:
        raise ValueError("money facts carry no product")
    sign = -1 if item.kind in NEGATIVE_KINDS or item.negative else 1
    amount_parts = split_by_shares(sign * to_fen(abs(quantize_money(item.amount))), [s.share for s in item.shares])
    tax_parts = split_by_shares(sign * to_fen(abs(quantize_money(item.tax))), [s.share for s in item.shares])
    qty_parts = (
        split_by_shares(sign * to_milli(abs(quantize_quantity(item.quantity))), [s.share for s in item.shares])
        if item.quantity is not None
        else [None] * len(item.shares)
    )
    period = accounting_period(item.business_date, locked) if item.period is None else item.period
    if period in locked:
        raise DomainError(f"{period} 已结账 / {period} is locked.", code="period_locked")
    return [
        Fact(
            kind=item.kind, business_date=item.business_date, period=period,
            amount=from_fen(a), tax=from_fen(t), quantity=None if q is None else from_milli(q),
            customer_id=item.customer_id, salesperson_id=s.salesperson_id, team_id=s.team_id, share=s.share,
            product_id=item.product_id, contract_id=item.contract_id, order_id=item.order_id,
            source_kind=item.source_kind, source_id=item.source_id, source_line_id=item.source_line_id,
            recorded_by=actor, note=item.note,
        )
        for s, a, t, q in zip(item.shares, amount_parts, tax_parts, qty_parts, strict=True)
    ]


@transaction.atomic
def record(items: Sequence[FactInput], *, actor) -> list[Fact]:
    """Write the facts of one or more events, one per credit share, in the caller's transaction."""
    locked = locked_periods() if items else set()
    facts = [f for item in items for f in _facts_for(item, actor, locked)]
    # PostgreSQL: keep the months booked into open until commit; one finance locked since the read
    # above is booked past (or refused, for a fixed period) like any locked month
    while newly := hold_open({f.period for f in facts}) - locked:
        locked |= newly
        facts = [f for item in items for f in _facts_for(item, actor, locked)]
    created = Fact.objects.bulk_create(facts)
    for hook in after_record_hooks:
        hook(created)
    return created
