"""Reporting periods: day, five-day (五日报), month, quarter, year.

Five-day periods are calendar pentads 1–5, 6–10, 11–15, 16–20, 21–25 and 26–month end
(API.md "Sales reports", DOMAIN.md §10): six per month, two per 旬, so figures compare month
to month. The last pentad has 3 to 6 days.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

__all__ = [
    "PERIOD_KINDS",
    "Period",
    "PeriodKind",
    "day",
    "five_day",
    "month",
    "parse_month",
    "period_for",
    "previous",
    "quarter",
    "same_period_last_year",
    "time_progress",
    "year",
]

PeriodKind = Literal["day", "five_day", "month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)

_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only, used with fullmatch


@dataclass(frozen=True, slots=True)
class Period:
    """A closed range of calendar days; both ends belong to the period."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends before it starts: {self.start} > {self.end}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, d: date) -> bool:
        return self.start <= d <= self.end


def _as_date(d: date) -> date:
    # A datetime is a date subclass; taking its .date() here would silently pick the UTC (or
    # naive) day, while a report must use the local business day. Make the caller choose.
    if isinstance(d, datetime):
        raise TypeError("pass a date (the local business day), not a datetime")
    if not isinstance(d, date):
        raise TypeError(f"expected a date, not {type(d).__name__}")
    return d


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def day(d: date) -> Period:
    d = _as_date(d)
    return Period(d, d)


def five_day(d: date) -> Period:
    """The pentad containing ``d``; the sixth runs from the 26th to the month end."""
    d = _as_date(d)
    index = min((d.day - 1) // 5, 5)
    start = d.replace(day=index * 5 + 1)
    end = _month_end(d.year, d.month) if index == 5 else d.replace(day=index * 5 + 5)
    return Period(start, end)


def month(d: date) -> Period:
    d = _as_date(d)
    return Period(d.replace(day=1), _month_end(d.year, d.month))


def quarter(d: date) -> Period:
    d = _as_date(d)
    first = (d.month - 1) // 3 * 3 + 1
    return Period(date(d.year, first, 1), _month_end(d.year, first + 2))


def year(d: date) -> Period:
    d = _as_date(d)
    return Period(date(d.year, 1, 1), date(d.year, 12, 31))


_BUILDERS = {"day": day, "five_day": five_day, "month": month, "quarter": quarter, "year": year}


def period_for(kind: str, d: date) -> Period:
    """The period of ``kind`` that contains ``d``."""
    try:
        builder = _BUILDERS[kind]
    except KeyError:
        raise ValueError(f"unknown period kind {kind!r}; expected one of {', '.join(PERIOD_KINDS)}") from None
    return builder(d)


def previous(kind: str, d: date) -> Period:
    """The period of ``kind`` just before the one containing ``d`` (环比, vs last period)."""
    return period_for(kind, period_for(kind, d).start - timedelta(days=1))


def _one_year_earlier(d: date) -> date:
    # 29 February has no counterpart in a common year; the 28th is the same "last day".
    if d.month == 2 and d.day == 29:
        return date(d.year - 1, 2, 28)
    return d.replace(year=d.year - 1)


def same_period_last_year(kind: str, d: date) -> Period:
    """The period of ``kind`` containing the same date one year earlier (同比)."""
    return period_for(kind, _one_year_earlier(_as_date(d)))


def parse_month(s: str) -> date:
    """Parse "2026-11" → date(2026, 11, 1); 2026-1, 2026-13, 2026/11 … → ValueError."""
    m = _MONTH_RE.fullmatch(s) if isinstance(s, str) else None
    if not m:
        raise ValueError(f"expected a month as YYYY-MM, got {s!r}")
    y, mo = int(m[1]), int(m[2])
    if not (1 <= mo <= 12) or y < 1:
        raise ValueError(f"no such month: {s!r}")
    return date(y, mo, 1)


def time_progress(period: Period, as_of: date) -> Decimal:
    """Share of the period elapsed by the end of ``as_of`` (时间进度), 4 decimals half-up.

    Sales completion is judged against it: 50 % of target on the 15th of a 30-day month is
    on pace. Before the period it is 0, after it 1.
    """
    as_of = _as_date(as_of)
    if as_of < period.start:
        return Decimal("0.0000")
    elapsed = min((as_of - period.start).days + 1, period.days)
    return (Decimal(elapsed) / Decimal(period.days)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
