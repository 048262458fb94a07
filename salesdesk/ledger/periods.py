"""Accounting periods and the month-end lock (月末结账): the one place that says whether a date may
still change and which period a new fact belongs to."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput

from .models import Period, PeriodStatus
from .permissions import LOCK_PERIOD


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(value: str) -> str:
    """"2026-11" → "2026-11"; anything else → 422."""
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        date(int(year), int(month), 1)
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


def ensure_open(day: date | None, what: str = "单据") -> None:
    """Refuse (409 ``period_locked``) to create or change a document dated in a locked month."""
    if day is not None and is_locked(day):
        raise DomainError(
            f"{month_of(day)} 已结账，{what}不能再修改；请在未结账月份做调整 / "
            f"{month_of(day)} is locked: record a correction in an open month.",
            code="period_locked",
        )


def next_month(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def accounting_period(day: date, locked: set[str] | None = None) -> str:
    """The period a fact dated ``day`` is booked into: its own month, or the first open month after
    it when that month is locked (``locked``: the locked months, when the caller has them)."""
    period = month_of(day)
    if locked is None:
        locked = locked_periods(since=period)
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


@transaction.atomic
def lock_period(*, actor, period: str, note: str = "") -> Period:
    """Finance locks a month. Locking is only forward-safe: a month can be locked while earlier ones
    are still open (finance decides), and a locked month stays locked."""
    if not actor.has_perm(LOCK_PERIOD):
        raise PermissionDenied
    period = parse_period(period)
    if period > month_of(timezone.localdate()):
        raise DomainError("不能锁定未来的月份 / A future month cannot be locked.", code="period_in_future")
    row, _ = Period.objects.select_for_update().get_or_create(period=period)
    if row.status != PeriodStatus.LOCKED:
        row.status = PeriodStatus.LOCKED
        row.locked_at = timezone.now()
        row.locked_by = actor
        row.note = note[:300]
        row.save()
    return row
