"""Ledger facts of bulk demo documents (``seed_demo --scale large``): exactly the rows ``record()``
would write — one per credit share, signed by kind, amounts split by ``split_by_shares``, the
accounting period moved past locked months — inserted with ``executemany`` instead of one model
object per fact. The roll-ups that ``record()`` keeps through its hook ``rollups.apply`` are kept
here the same way — the same keys (``rollups._key``) and the same upsert (``rollups._upsert``) —
but summed in integers as the facts are made and upserted every ``HOOK_BATCH`` facts, instead of
converting every fact back from Decimal. While any other hook listens to new facts, the writer
goes through ``record()`` itself, so nothing misses any."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from salesdesk.core.demo import BulkInserter, db_date, db_decimal
from salesdesk.core.lib.money import from_fen, from_milli

from . import rollups
from .choices import MONEY_KINDS, NEGATIVE_KINDS, FactKind
from .models import Fact
from .periods import accounting_period, locked_periods
from .services import FactInput, Share, after_record_hooks, record, split_by_shares

FIELDS = ("kind", "business_date", "period", "amount", "tax", "quantity", "customer_id", "salesperson_id", "team_id",
          "share", "product_id", "contract_id", "order_id", "source_kind", "source_id", "source_line_id",
          "recorded_by_id", "note")
BATCH = 2000
HOOK_BATCH = 200_000


class _FactKey:
    """What ``rollups._key`` reads of a fact, without a model instance per fact."""

    __slots__ = ("business_date", "customer_id", "kind", "product_id", "salesperson_id", "team_id")

    def __init__(self, kind, day, customer_id, salesperson_id, team_id, product_id):
        self.kind, self.business_date, self.customer_id = kind, day, customer_id
        self.salesperson_id, self.team_id, self.product_id = salesperson_id, team_id, product_id


class FactWriter:
    """``add()`` the facts of one document line (amounts as integer fen, quantity in thousandths);
    ``finish()`` writes what is left and returns how many facts were written."""

    def __init__(self, actor):
        self.actor = actor
        self.via_record = any(hook is not rollups.apply for hook in after_record_hooks)
        self.rollups = rollups.apply in after_record_hooks
        self.sums: dict[rollups.Table, dict[tuple, list[int]]] = {table: {} for table in rollups.TABLES}
        self.summed = 0
        self.pending: list[FactInput] = []
        self.locked = locked_periods()
        self.periods: dict[date, str] = {}
        self.shares: dict[object, object] = {}
        self.inserter = BulkInserter(Fact, FIELDS, batch=BATCH)
        self.count = 0

    def _period(self, day: date) -> str:
        if day not in self.periods:
            self.periods[day] = accounting_period(day, self.locked)
        return self.periods[day]

    def _share(self, value):
        if value not in self.shares:
            self.shares[value] = db_decimal(Fact, "share", value)
        return self.shares[value]

    def add(self, *, kind: FactKind, day: date, amount: int, tax: int, quantity: int | None, customer_id: int,
            shares: Sequence[Share], source_kind: str, source_id: int, source_line_id: int | None = None,
            product_id: int | None = None, contract_id: int | None = None, order_id: int | None = None,
            note: str = "") -> None:
        if kind in MONEY_KINDS and product_id is not None:
            raise ValueError("money facts carry no product")
        if self.via_record:
            self.pending.append(FactInput(
                kind=kind, business_date=day, amount=from_fen(amount), tax=from_fen(tax),
                quantity=None if quantity is None else from_milli(quantity), customer_id=customer_id,
                source_kind=source_kind, source_id=source_id, source_line_id=source_line_id, shares=shares,
                product_id=product_id, contract_id=contract_id, order_id=order_id, note=note,
            ))
            if len(self.pending) >= BATCH:
                self.count += len(record(self.pending, actor=self.actor))
                self.pending = []
            return
        sign = -1 if kind in NEGATIVE_KINDS else 1
        if len(shares) == 1:
            amounts, taxes, quantities = [sign * amount], [sign * tax], [None if quantity is None else sign * quantity]
        else:
            parts = [s.share for s in shares]
            amounts, taxes = split_by_shares(sign * amount, parts), split_by_shares(sign * tax, parts)
            quantities = [None] * len(shares) if quantity is None else split_by_shares(sign * quantity, parts)
        day_db, period, actor_id = db_date(day), self._period(day), self.actor.pk
        for s, a, t, q in zip(shares, amounts, taxes, quantities, strict=True):
            self.inserter.add((str(kind), day_db, period, a, t, q, customer_id, s.salesperson_id, s.team_id,
                               self._share(s.share), product_id, contract_id, order_id, source_kind, source_id,
                               source_line_id, actor_id, note))
            if self.rollups:
                self._sum(_FactKey(str(kind), day, customer_id, s.salesperson_id, s.team_id, product_id),
                          {"amount": a, "tax": t, "quantity": q or 0, "facts": 1})
            self.count += 1
        if self.summed >= HOOK_BATCH:
            self._upsert()

    def _sum(self, fact: _FactKey, values: dict[str, int]) -> None:
        """What ``rollups._sums`` adds for one fact, in integers."""
        for table, sums in self.sums.items():
            key = rollups._key(table, fact)
            if key is not None:
                row = sums.get(key)
                if row is None:
                    row = sums[key] = [0] * len(table.measures)
                for i, measure in enumerate(table.measures):
                    row[i] += values[measure]
        self.summed += 1

    def _upsert(self) -> None:
        for table, sums in self.sums.items():
            rollups._upsert(table, sums)
            sums.clear()
        self.summed = 0

    def finish(self) -> int:
        if self.pending:
            self.count += len(record(self.pending, actor=self.actor))
            self.pending = []
        self.inserter.finish()
        if self.summed:
            self._upsert()
        return self.count
