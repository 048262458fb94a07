"""Demo data: each app may have a ``demo.py`` with ``seed(ctx: DemoContext)``; ``seed_demo``
calls them in INSTALLED_APPS order (lower apps first), so later apps build on earlier data.

The ``demo`` scale goes through the services (or the bulk paths that mirror them) row by row.
The ``large`` scale writes hundreds of thousands of rows, so its seeders build plain tuples and
insert them with ``BulkInserter`` (``executemany``, ids assigned here, so no read-back), take
document numbers with ``DemoNumbers`` (the counters are moved past them) and size everything by
``ctx.scaled()``: the full load is ``LARGE_LINES`` order lines; ``SALESDESK_DEMO_LINES`` (or
``DemoContext(lines=...)``) shrinks every table in proportion, which is how the tests run it."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import import_module
from typing import Any, TextIO

from django.apps import apps as django_apps
from django.db import connection, models
from django.utils import timezone
from faker import Faker

SCALES = ("users", "demo", "large")
LARGE_LINES = 2_000_000  # order lines of the full ``large`` scale; everything else is sized from it


def _large_lines() -> int:
    return int(os.environ.get("SALESDESK_DEMO_LINES") or LARGE_LINES)


@dataclass
class DemoContext:
    scale: str
    password: str
    seed: int
    out: TextIO
    lines: int = field(default_factory=_large_lines)  # order lines at ``large`` (tests pass a few thousand)
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)
    shared: dict[str, Any] = field(default_factory=dict)  # what one app's seeder leaves for the next

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (demo data, not security)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(self.seed)

    @property
    def business(self) -> bool:
        """Whether to add business data (every scale but ``users``)."""
        return self.scale != "users"

    @property
    def large(self) -> bool:
        return self.scale == "large"

    def scaled(self, full: int, minimum: int = 1) -> int:
        """``full`` (a count at the full ``large`` load) in proportion to ``self.lines``."""
        return max(minimum, full * self.lines // LARGE_LINES)


def seeders() -> list[tuple[str, Any]]:
    found = []
    for config in django_apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed"):
            found.append((config.label, module.seed))
    return found


# --- bulk writing for the large scale ---------------------------------------------------------------


class DemoNumbers:
    """Document numbers in ``next_number``'s format, taken in memory from the current counters and
    written back at the end (``save``), so a later ``next_number`` never hands out one of them."""

    def __init__(self, kind: str, *, period_format: str = "%Y%m%d", width: int = 4, taken: Iterable[str] = ()):
        from .models import NumberCounter

        self.kind, self.period_format, self.width = kind, period_format, width
        self.start = dict(NumberCounter.objects.filter(kind=kind).values_list("period", "last"))
        self.last: dict[str, int] = defaultdict(int, self.start)
        self.taken = set(taken)  # numbers typed by users that fit the pattern (contracts)

    def take(self, day: date) -> str:
        period = day.strftime(self.period_format)
        while True:
            self.last[period] += 1
            number = f"{self.kind}{period}-{self.last[period]:0{self.width}d}"
            if number not in self.taken:
                return number

    def save(self) -> None:
        from .models import NumberCounter

        NumberCounter.objects.bulk_create(
            [NumberCounter(kind=self.kind, period=p, last=n) for p, n in self.last.items() if p not in self.start],
            batch_size=500,
        )
        for period, last in self.last.items():
            if period in self.start and self.start[period] < last:
                NumberCounter.objects.filter(kind=self.kind, period=period, last__lt=last).update(last=last)


class BulkInserter:
    """``INSERT`` many rows of one model with ``executemany``: the caller gives values already in
    their database form (money as integer fen via ``to_fen``, dates via ``db_date``); every other
    column gets the field's default. Ids are assigned here (``ids(n)``), so the caller knows them
    without reading anything back; ``finish()`` moves PostgreSQL's sequence past them."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, batch: int = 5000, history=None,
                 history_reason: str | None = None):
        """``history``: the user of a ``+`` history row written with each row (the model must have
        ``history = HistoricalRecords()``), as ``bulk_create_with_history`` would."""
        self.model, self.batch = model, batch
        meta = model._meta
        _roomy_cache()
        self.history: BulkInserter | None = None
        if history is not None:
            if meta.pk.attname not in fields:
                raise ValueError("history rows carry the row's id: assign ids (ids()) and pass the id field")
            hmodel = model.history.model
            kept = {f.attname for f in hmodel._meta.concrete_fields}
            self.history_index = [i for i, name in enumerate(fields) if name in kept]
            self.history = BulkInserter(
                hmodel, [fields[i] for i in self.history_index]
                + ["history_date", "history_type", "history_user_id", "history_change_reason"], batch=batch)
            self.history_tail = (db_datetime(timezone.now()), "+", history.pk, history_reason)
        given = [meta.get_field(name) for name in fields]
        rest = [f for f in meta.concrete_fields if f not in given and not f.primary_key]
        now = timezone.now()
        defaults = []
        for f in rest:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now.date() if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField) else now
            else:
                value = f.get_default()
            value = f.get_db_prep_save(value, connection)
            defaults.append(str(value) if isinstance(value, str) else value)  # choices enums → plain str
        self.defaults = tuple(defaults)
        columns = [f.column for f in given] + [f.column for f in rest]
        self.with_id = meta.pk.attname in fields
        quote = connection.ops.quote_name
        # Only quoted names from the model's meta go into the statement; the values are parameters.
        self.sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(columns))})")
        self.rows: list[tuple] = []
        self.written = 0
        self._next_id: int | None = None

    def ids(self, n: int) -> range:
        """``n`` fresh primary keys (past every existing row)."""
        if self._next_id is None:
            top = self.model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0
            self._next_id = top + 1
        start, self._next_id = self._next_id, self._next_id + n
        return range(start, start + n)

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.defaults)
        if self.history is not None:
            self.history.add(tuple(row[i] for i in self.history_index) + self.history_tail)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.written += len(self.rows)
            self.rows = []

    def finish(self) -> int:
        self.flush()
        if self.history is not None:
            self.history.finish()
        if self.with_id and connection.vendor == "postgresql":
            from django.core.management.color import no_style

            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                    cursor.execute(sql)
        return self.written


def _roomy_cache() -> None:
    """SQLite's default page cache (~8 MB) makes inserts into large indexes wait on reads of pages
    it just evicted; this connection (the seeding command) may take 256 MB."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")


_DATES: dict[date, Any] = {}
_DATETIMES: dict[datetime, Any] = {}


def db_date(day: date | None) -> Any:
    """A date in the database's form (cached: the demo has a few hundred distinct days)."""
    if day is None:
        return None
    if day not in _DATES:
        _DATES[day] = connection.ops.adapt_datefield_value(day)
    return _DATES[day]


def db_datetime(moment: datetime | None) -> Any:
    """An aware datetime in the database's form (SQLite: naive UTC text)."""
    if moment is None:
        return None
    if moment not in _DATETIMES:
        if len(_DATETIMES) > 100_000:
            _DATETIMES.clear()
        _DATETIMES[moment] = connection.ops.adapt_datetimefield_value(moment)
    return _DATETIMES[moment]


def db_decimal(model: type[models.Model], name: str, value) -> Any:
    """A ``DecimalField`` value (rates, shares) in the database's form."""
    return model._meta.get_field(name).get_db_prep_save(value, connection)
