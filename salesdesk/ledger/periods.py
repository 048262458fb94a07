"""Accounting periods and the month-end lock (月末结账): the one place that says whether a date may
still change and which period a new fact belongs to."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput

from .models import Fact, Period, PeriodStatus
from .permissions import LOCK_PERIOD


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only (int() would take full-width ones)


def parse_period(value: str) -> str:
    """"2026-11" → "2026-11"; anything else → 422."""
    match = _PERIOD.fullmatch(value or "")
    try:
        if match is None:
            raise ValueError
        date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise InvalidInput({"period": ["会计期间格式应为 YYYY-MM / The period must be YYYY-MM."]}) from None
    return value


def locked_periods(since: str | None = None) -> set[str]:
    qs = Period.objects.filter(status=PeriodStatus.LOCKED)
    if since:
        qs = qs.filter(period__gte=since)
    return set(qs.values_list("period", flat=True))


def is_locked(day: date) -> bool:
    return Period.objects.filter(period=month_of(day), status=PeriodStatus.LOCKED).exists()


def _status_for_write(period: str) -> str | None:
    """The month's status as a writer that is about to date something in it must see it.

    On PostgreSQL (READ COMMITTED) a plain read lets a write checked before a concurrent
    :func:`lock_period` commit after it, changing a locked month. So inside a transaction the
    writer takes a share lock on the month's row (made open if missing): a lock in progress makes
    the writer wait and then see ``locked``; a lock that comes later waits for the writer to
    commit. Writers share the lock, so they do not wait for each other. SQLite runs writing
    transactions one at a time (IMMEDIATE), so a plain read is already exact there."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        row = Period.objects.filter(period=period).values_list("status", flat=True).first()
        return row
    table = connection.ops.quote_name(Period._meta.db_table)
    select = f"SELECT status FROM {table} WHERE period = %s FOR SHARE"  # noqa: S608 (names from model metadata)
    with connection.cursor() as cursor:
        cursor.execute(select, [period])
        row = cursor.fetchone()
        if row is None:  # a month nobody locked yet: make its row so there is something to hold
            cursor.execute(f"INSERT INTO {table} (period, status, note) VALUES (%s, %s, '') "  # noqa: S608
                           "ON CONFLICT (period) DO NOTHING", [period, PeriodStatus.OPEN])
            cursor.execute(select, [period])
            row = cursor.fetchone()
    return row[0] if row else None


def hold_open(periods) -> set[str]:
    """PostgreSQL, inside a transaction: share-lock the rows of ``periods`` until commit (see
    :func:`_status_for_write`) and return those already locked. Elsewhere: an empty set (SQLite's
    one-writer-at-a-time transactions make the caller's earlier read exact)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return set()
    return {p for p in sorted(periods) if _status_for_write(p) == PeriodStatus.LOCKED}


def ensure_open(day: date | None, what: str = "单据", *, locked: set[str] | None = None) -> None:
    """Refuse (409 ``period_locked``) to create or change a document dated in a locked month.
    ``locked``: the locked months, when the caller checks many rows (an import) with one query."""
    if day is None:
        return
    if locked is not None:
        refused = month_of(day) in locked
    else:
        refused = _status_for_write(month_of(day)) == PeriodStatus.LOCKED
    if refused:
        raise DomainError(
            f"{month_of(day)} 已结账，{what}不能再修改；请在未结账月份做调整 / "
            f"{month_of(day)} is locked: record a correction in an open month.",
            code="period_locked",
        )


def next_month(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_month(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def month_bounds(period: str) -> tuple[date, date]:
    """The first and the last day of a "YYYY-MM" month."""
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def current_period() -> str:
    return month_of(timezone.localdate())


def accounting_period(day: date, locked: set[str] | None = None) -> str:
    """The period a fact dated ``day`` is booked into: its own month, or the first open month after
    it when that month is locked (``locked``: the locked months, when the caller has them)."""
    period = month_of(day)
    if locked is None:
        while _status_for_write(period) == PeriodStatus.LOCKED:  # share-locks each month it passes (PostgreSQL)
            period = next_month(period)
        return period
    while period in locked:
        period = next_month(period)
    return period


def accounting_date(day: date, period: str) -> date:
    """The date a fact counts on in statements: its business date, or the first day of the later
    period it was booked into."""
    if month_of(day) == period:
        return day
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, 1)


@dataclass(frozen=True)
class PeriodRow:
    """A month as the period list shows it: open unless finance locked it."""

    period: str
    status: str
    locked_at: datetime | None = None
    locked_by: object | None = None
    note: str = ""

    @property
    def is_locked(self) -> bool:
        return self.status == PeriodStatus.LOCKED


def period_rows(until: str | None = None) -> list[PeriodRow]:
    """Every month from the first one with a business fact (or a period row) up to ``until``
    (default: the current month), latest first, each with its status — two queries."""
    until = until or current_period()
    rows = {p.period: p for p in Period.objects.select_related("locked_by")}
    first_fact = Fact.objects.aggregate(first=Min("business_date"))["first"]
    starts = [until, *(p for p in rows if p <= until)]
    if first_fact is not None:
        starts.append(month_of(first_fact))
    out: list[PeriodRow] = []
    period = min(starts)
    while period <= until:
        row = rows.get(period)
        out.append(PeriodRow(period=period, status=row.status, locked_at=row.locked_at, locked_by=row.locked_by,
                             note=row.note) if row is not None else PeriodRow(period=period, status=PeriodStatus.OPEN))
        period = next_month(period)
    out.reverse()
    return out


@transaction.atomic
def lock_period(*, actor, period: str, note: str = "") -> Period:
    """Finance locks a month. Locking is only forward-safe: a month can be locked while earlier ones
    are still open (finance decides), and a locked month stays locked; locking it again changes
    nothing (who locked it and when stay as they were)."""
    if not actor.has_perm(LOCK_PERIOD):
        raise PermissionDenied
    period = parse_period(period)
    if period > current_period():
        raise DomainError("不能锁定未来的月份 / A future month cannot be locked.", code="period_in_future")
    row, _ = Period.objects.select_for_update().get_or_create(period=period)
    if row.status != PeriodStatus.LOCKED:
        row.status = PeriodStatus.LOCKED
        row.locked_at = timezone.now()
        row.locked_by = actor
        row.note = note[:300]
        row.save()
    return row
