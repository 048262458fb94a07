"""Document numbers: ``SO20261127-0001`` from a locked counter row per kind and period.

The counter is bumped with an UPDATE in the caller's transaction, which holds the row lock (the
write lock on SQLite) until commit, so concurrent requests get distinct numbers. A transaction
that rolls back rolls its bump back too, so no number of a committed document is ever reused
and the sequence has no gaps from failed attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import NumberCounter


def _period(on: date | None, period_format: str) -> str:
    return (on or timezone.localdate()).strftime(period_format) if period_format else ""


def next_number(
    kind: str,
    on: date | None = None,
    *,
    period_format: str = "%Y%m%d",
    width: int = 4,
    taken: Callable[[str], bool] | None = None,
) -> str:
    """Take the next number of ``kind`` for the period of ``on`` (default: today, Beijing time).

    ``taken`` tells whether a candidate already exists (for kinds whose numbers may also be typed
    by users, such as contracts): such numbers are skipped."""
    period = _period(on, period_format)
    with transaction.atomic():
        NumberCounter.objects.bulk_create([NumberCounter(kind=kind, period=period)], ignore_conflicts=True)
        while True:
            NumberCounter.objects.filter(kind=kind, period=period).update(last=F("last") + 1)
            last = NumberCounter.objects.values_list("last", flat=True).get(kind=kind, period=period)
            number = f"{kind}{period}-{last:0{width}d}"
            if taken is None or not taken(number):
                return number


def suggest_number(kind: str, on: date | None = None, *, period_format: str = "%Y%m%d", width: int = 4) -> str:
    """The number ``next_number`` would most likely give, without taking it (for a form's default)."""
    period = _period(on, period_format)
    last = NumberCounter.objects.filter(kind=kind, period=period).values_list("last", flat=True).first() or 0
    return f"{kind}{period}-{last + 1:0{width}d}"
