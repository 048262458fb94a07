"""Roll-ups: sums of facts per day × salesperson, month × salesperson × customer, month ×
salesperson × product and month × product (every salesperson together), kept by ``record()`` in the
recording transaction (DESIGN.md, "The ledger").

Writes are upserts that add to the stored sums, in sorted key order so two transactions touching
the same keys take their row locks in the same order and cannot deadlock. ``rebuild`` recomputes a
date range from facts; ``differences`` compares them (the nightly check)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Count, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from salesdesk.core.lib.money import from_fen, from_milli, to_fen, to_milli

from .choices import MONEY_KINDS
from .models import Fact, RollupDay, RollupMonthCustomer, RollupMonthProduct, RollupMonthProductAll


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    date_field: str  # "day" or "month"
    keys: tuple[str, ...]  # besides the date: the dimension columns, then kind
    measures: tuple[str, ...]

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.date_field, *self.keys)


DAY = Table(RollupDay, "day", ("salesperson_id", "team_id", "kind"), ("amount", "tax", "facts"))
MONTH_CUSTOMER = Table(
    RollupMonthCustomer, "month", ("salesperson_id", "team_id", "customer_id", "kind"), ("amount", "tax", "facts")
)
MONTH_PRODUCT = Table(
    RollupMonthProduct, "month", ("salesperson_id", "team_id", "product_id", "kind"),
    ("amount", "tax", "quantity", "facts"),
)
MONTH_PRODUCT_ALL = Table(RollupMonthProductAll, "month", ("product_id", "kind"), ("amount", "tax", "quantity", "facts"))
TABLES = (DAY, MONTH_CUSTOMER, MONTH_PRODUCT, MONTH_PRODUCT_ALL)
GOODS_TABLES = (MONTH_PRODUCT, MONTH_PRODUCT_ALL)  # goods facts with a product only


def _month(d: date) -> date:
    return d.replace(day=1)


def _key(table: Table, fact: Fact) -> tuple | None:
    if table in GOODS_TABLES and (fact.product_id is None or fact.kind in MONEY_KINDS):
        return None
    values = {
        "day": fact.business_date, "month": _month(fact.business_date),
        "salesperson_id": fact.salesperson_id or 0, "team_id": fact.team_id or 0,
        "customer_id": fact.customer_id or 0, "product_id": fact.product_id or 0, "kind": fact.kind,
    }
    return tuple(values[c] for c in table.key_columns)


def _sums(table: Table, facts: Iterable[Fact]) -> dict[tuple, list[int]]:
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(table.measures))
    for fact in facts:
        key = _key(table, fact)
        if key is None:
            continue
        row = sums[key]
        for i, measure in enumerate(table.measures):
            if measure == "facts":
                row[i] += 1
            elif measure == "quantity":
                row[i] += to_milli(fact.quantity or 0)
            else:
                row[i] += to_fen(getattr(fact, measure) or 0)
    return sums


def _upsert(table: Table, sums: dict[tuple, list[int]]) -> None:
    if not sums:
        return
    name = connection.ops.quote_name(table.model._meta.db_table)
    columns = [*table.key_columns, *table.measures]
    conflict = ", ".join(table.key_columns)
    updates = ", ".join(f"{m} = {name}.{m} + excluded.{m}" for m in table.measures)
    # names come from model metadata, values are bound parameters
    sql = (
        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    rows = [(*key, *measures) for key, measures in sorted(sums.items())]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def apply(facts: Sequence[Fact]) -> None:
    """Add newly recorded facts to every roll-up (``ledger.services.after_record_hooks``)."""
    for table in TABLES:
        _upsert(table, _sums(table, facts))


# --- rebuilding and checking from facts ---------------------------------------------------------------


def _fact_groups(table: Table, start: date, end: date) -> dict[tuple, list[int]]:
    """The table's rows for [start, end] computed from facts by SQL."""
    facts = Fact.objects.filter(business_date__gte=start, business_date__lte=end)
    if table in GOODS_TABLES:
        facts = facts.exclude(product_id=None).exclude(kind__in=MONEY_KINDS)
    dims = {
        "day": models.F("business_date"), "month": TruncMonth("business_date", output_field=models.DateField()),
        "salesperson_id": Coalesce("salesperson_id", Value(0)), "team_id": Coalesce("team_id", Value(0)),
        "customer_id": Coalesce("customer_id", Value(0)), "product_id": Coalesce("product_id", Value(0)),
        "kind": models.F("kind"),
    }
    aggregates = {
        "amount": Sum("amount"), "tax": Sum("tax"), "quantity": Coalesce(Sum("quantity"), Value(0)),
        "facts": Count("id"),
    }
    rows = (
        facts.annotate(**{f"k_{c}": dims[c] for c in table.key_columns})
        .values(*[f"k_{c}" for c in table.key_columns])
        .annotate(**{f"m_{m}": aggregates[m] for m in table.measures})
    )
    out: dict[tuple, list[int]] = {}
    for row in rows:
        key = tuple(_as_date(row[f"k_{c}"]) if c in {"day", "month"} else row[f"k_{c}"] for c in table.key_columns)
        out[key] = [_as_int(m, row[f"m_{m}"]) for m in table.measures]
    return out


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _as_int(measure: str, value) -> int:
    if measure == "facts":
        return int(value)
    if measure == "quantity":
        return to_milli(value or 0)
    return to_fen(value or 0)


def _stored(table: Table, start: date, end: date) -> dict[tuple, list[int]]:
    rows = table.model.objects.filter(**{f"{table.date_field}__gte": start, f"{table.date_field}__lte": end})
    return {
        tuple(getattr(r, c) for c in table.key_columns): [_as_int(m, getattr(r, m)) for m in table.measures]
        for r in rows.iterator()
    }


def _span(table: Table, start: date, end: date) -> tuple[date, date]:
    """Month tables are rebuilt and checked by whole months."""
    if table.date_field == "month":
        last = (_month(end) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return _month(start), last
    return start, end


@transaction.atomic
def rebuild(start: date, end: date) -> int:
    """Recompute every roll-up row of [start, end] (month tables: the whole months) from facts."""
    written = 0
    for table in TABLES:
        lo, hi = _span(table, start, end)
        table.model.objects.filter(**{f"{table.date_field}__gte": lo, f"{table.date_field}__lte": hi}).delete()
        groups = _fact_groups(table, lo, hi)
        table.model.objects.bulk_create(
            [
                table.model(**dict(zip(table.key_columns, key, strict=True)), **_measure_values(table, measures))
                for key, measures in sorted(groups.items())
            ],
            batch_size=2000,
        )
        written += len(groups)
    return written


def _measure_values(table: Table, measures: list[int]) -> dict:
    out = {}
    for name, value in zip(table.measures, measures, strict=True):
        out[name] = value if name == "facts" else from_milli(value) if name == "quantity" else from_fen(value)
    return out


def differences(start: date, end: date) -> list[str]:
    """Where the roll-ups of [start, end] differ from the facts (empty when they agree)."""
    problems: list[str] = []
    for table in TABLES:
        lo, hi = _span(table, start, end)
        expected = _fact_groups(table, lo, hi)
        stored = {k: v for k, v in _stored(table, lo, hi).items() if any(v)}
        for key in sorted(set(expected) | set(stored), key=str):
            if expected.get(key) != stored.get(key):
                problems.append(
                    f"{table.model._meta.db_table} {key}: facts {expected.get(key)} ≠ roll-up {stored.get(key)}"
                )
    return problems
