"""The periods of the sales reports (销售日报、五日报、月报、季报、年报): which days a report covers,
its previous period (环比) and the same period last year (同比), how far into it we are (时间进度),
which months its targets come from, and whether it reads facts or roll-ups.

The calendar arithmetic itself lives in ``salesdesk.core.lib.periods`` (framework-free); this module
gives a report what it needs on top of it. Five-day periods are the calendar pentads 1–5, 6–10,
11–15, 16–20, 21–25 and 26–month end (API.md, DOMAIN.md §10)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from salesdesk.core.lib import periods as cal

KINDS: tuple[str, ...] = cal.PERIOD_KINDS  # day, five_day, month, quarter, year
ROLLUP_KINDS = frozenset({"month", "quarter", "year"})  # whole months: read the month roll-ups

# What the clerk calls each report (DOMAIN.md §10) and its period (for pickers).
REPORT_NAMES = {"day": "销售日报", "five_day": "销售五日报", "month": "销售月报", "quarter": "销售季报", "year": "销售年报"}
KIND_LABELS = {"day": "日", "five_day": "五日", "month": "月", "quarter": "季", "year": "年"}

EARLIEST = date(1990, 1, 1)  # reports refuse dates outside this range (no period arithmetic at year 1)
LATEST = date(2100, 12, 31)


@dataclass(frozen=True)
class ReportPeriod:
    """A report's period: its kind and the closed range of days it covers."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def reads_rollups(self) -> bool:
        """Month, quarter and year cover whole months and read the month roll-ups; day and five-day
        read the facts through their date index (DESIGN.md, "The ledger")."""
        return self.kind in ROLLUP_KINDS

    @property
    def first_month(self) -> date:
        return self.start.replace(day=1)

    @property
    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        out, month = [], self.first_month
        while month <= self.end:
            out.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return out

    @property
    def pentad(self) -> int:
        """1–6 for a five-day period (its place in the month)."""
        return min((self.start.day - 1) // 5, 5) + 1

    @property
    def label(self) -> str:
        s = self.start
        if self.kind == "day":
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == "five_day":
            return f"{s.year}年{s.month}月第{self.pentad}期（{s.day}日—{self.end.day}日）"
        if self.kind == "month":
            return f"{s.year}年{s.month}月"
        if self.kind == "quarter":
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        return f"{s.year}年"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> ReportPeriod:
        """The period of the same kind just before this one (环比)."""
        return report_period(self.kind, self.start - timedelta(days=1))

    def next(self) -> ReportPeriod:
        return report_period(self.kind, self.end + timedelta(days=1))

    def last_year(self) -> ReportPeriod:
        """The same period one year earlier (同比): the same day, pentad, month, quarter or year.
        A 29 February compares with the 28th."""
        p = cal.same_period_last_year(self.kind, self.start)
        return ReportPeriod(self.kind, p.start, p.end)

    def time_progress(self, today: date) -> Decimal:
        """时间进度: the share of the period's days elapsed by the end of ``today`` (0 before the
        period, 1 after it), 4 decimals half-up. Completion is judged against it."""
        return cal.time_progress(cal.Period(self.start, self.end), today)

    def month_share(self) -> Decimal:
        """The part of its month a period shorter than a month covers (a day 1/30, the 26th–31st
        6/31); 1 for whole months. Month targets are prorated by it for day and five-day reports."""
        if self.reads_rollups:
            return Decimal(1)
        month_days = calendar.monthrange(self.start.year, self.start.month)[1]
        return Decimal(self.days) / Decimal(month_days)


def report_period(kind: str, day: date) -> ReportPeriod:
    """The period of ``kind`` that contains ``day``; ValueError for an unknown kind."""
    p = cal.period_for(kind, day)
    return ReportPeriod(kind, p.start, p.end)


def prorate(amount: Decimal, share: Decimal) -> Decimal:
    """A month target's part for a shorter period, rounded half-up to the fen."""
    return (amount * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rate(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """A ratio with 4 decimals half-up; None when it has no meaning (no or zero denominator)."""
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def growth(current: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Growth over an earlier figure (环比/同比增长率): (current − before) ÷ |before|; None without
    an earlier figure."""
    if current is None or not before:
        return None
    return ((Decimal(current) - Decimal(before)) / abs(Decimal(before))).quantize(Decimal("0.0001"),
                                                                                 rounding=ROUND_HALF_UP)


def ratio_text(numerator: int, denominator: int) -> str:
    """``numerator ÷ denominator`` (denominator > 0) rounded half-up to 4 decimals, as text: what
    ``f"{rate(n, d):.4f}"`` gives, computed in integers for the tens of thousands of rows of a report."""
    q, r = divmod(abs(numerator) * 10000, denominator)
    if 2 * r >= denominator:
        q += 1
    return f"{'-' if numerator < 0 else ''}{q // 10000}.{q % 10000:04d}"


def growth_text(current: int | None, before: int | None) -> str | None:
    """``growth`` of two amounts in fen, as text with 4 decimals (the API's form)."""
    if current is None or not before:
        return None
    return ratio_text(current - before, abs(before))
