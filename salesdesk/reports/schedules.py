"""What a schedule means in time: the period a run covers, its key, when it is drafted and due, and
the built-in schedules that exist right after ``migrate`` (API.md, "Report schedules and deliveries").

Period keys are short stable strings: ``2026-11-27`` (a day), ``2026-11-P6`` (the sixth five-day
period of November), ``2026-11`` (a month), ``2026-Q4`` (a quarter), ``2026`` (a year).

Due times: a daily schedule covers each working day (make-up Saturdays included) and is due that day
at ``send_at``; the others cover the period that ended last and are due on the first working day after
it — two periods may fall due on the same day (after a holiday: September's last five days and
October's first five both on 8 October), and then both are sent. After an outage only the latest missed
period of each schedule is considered (sent once, late) — or the latest periods, when they share a due
day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from salesdesk.core.lib.workdays import WorkWeek

from .periods import ReportPeriod, report_period

RULE_KINDS = {"daily": "day", "five_day": "five_day", "monthly": "month", "quarterly": "quarter", "annual": "year"}
LATE_AFTER = timedelta(minutes=15)  # sent this long after its due time, a delivery is marked late
CATCH_UP = timedelta(days=7)  # non-daily periods due this long before the latest one are caught up too

_KEY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})|-P([1-6]))?|-Q([1-4]))?$")


def period_key(period: ReportPeriod) -> str:
    s = period.start
    if period.kind == "day":
        return s.isoformat()
    if period.kind == "five_day":
        return f"{s:%Y-%m}-P{period.pentad}"
    if period.kind == "month":
        return f"{s:%Y-%m}"
    if period.kind == "quarter":
        return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
    return f"{s.year}"


def period_from_key(key: str) -> ReportPeriod:
    """The period a key names; ValueError for anything else."""
    m = _KEY.match(key or "")
    if not m:
        raise ValueError(f"bad period key {key!r}")
    year, month, day, pentad, quarter = m.groups()
    y = int(year)
    if day:
        return report_period("day", date(y, int(month), int(day)))
    if pentad:
        return report_period("five_day", date(y, int(month), 5 * (int(pentad) - 1) + 1))
    if month:
        return report_period("month", date(y, int(month), 1))
    if quarter:
        return report_period("quarter", date(y, 3 * (int(quarter) - 1) + 1, 1))
    return report_period("year", date(y, 1, 1))


def kind_of(schedule) -> str:
    return RULE_KINDS[schedule.period_rule]


def current_period(schedule, today: date) -> ReportPeriod:
    """The period "send now" sends: today for a daily schedule, else the period that ended last."""
    kind = kind_of(schedule)
    if kind == "day":
        return report_period("day", today)
    return report_period(kind, today).previous()


def _at(day: date, at: time | None) -> datetime | None:
    if at is None:
        return None
    return timezone.make_aware(datetime.combine(day, at))


@dataclass(frozen=True)
class Run:
    """One period of a schedule that is due (or being drafted) now."""

    period: ReportPeriod
    due: datetime
    draft: datetime | None

    @property
    def key(self) -> str:
        return period_key(self.period)

    def is_late(self, now: datetime) -> bool:
        return now > self.due + LATE_AFTER


def runs(schedule, today: date, week: WorkWeek) -> list[Run]:
    """The periods of ``schedule`` to look at on ``today``, oldest first. Daily: the last working day
    before today (a catch-up after an outage) and today, when it is a working day. Others: the periods
    due on the latest due day up to today (one, or several when a holiday made them fall due together)
    and those due in the :data:`CATCH_UP` days before it."""
    kind = kind_of(schedule)
    out: list[Run] = []
    if kind == "day":
        previous = week.previous_working_day(today)
        days = [previous, today] if week.is_working_day(today) else [previous]
        for day in days:
            out.append(Run(report_period("day", day), _at(day, schedule.send_at), _at(day, schedule.draft_at)))
        return out
    period = report_period(kind, today).previous()
    due_day = week.next_working_day(period.end)
    while due_day > today:  # a holiday after it: an earlier period is the latest one due
        period = period.previous()
        due_day = week.next_working_day(period.end)
    latest = due_day
    # The latest due day's periods, and any due in the week before it: after an outage each missed
    # five-day, monthly or HR period is sent once (late); plans are idempotent, so looking again is free.
    while due_day == latest or due_day >= latest - CATCH_UP:
        out.append(Run(period, _at(due_day, schedule.send_at), _at(due_day, schedule.draft_at)))
        period = period.previous()
        due_day = week.next_working_day(period.end)
    return out[::-1]


ROLES_GM_FINANCE = ["general_manager", "finance"]

# code → fields of the built-in schedule.
# The waybill notice goes to the people responsible for a day's waybills (salespeople and credit-share
# holders, their managers, the warehouse); those with nothing that day get no delivery (deliveries.py).
WAYBILL_ROLES = ["salesperson", "sales_manager", "warehouse"]
BUILTINS: dict[str, dict] = {
    "daily_performance": dict(name="销售日报（业绩）", report_kind="sales", period_rule="daily", draft_at=time(16, 0),
                              send_at=time(16, 50), recipient_roles=ROLES_GM_FINANCE),
    "five_day": dict(name="销售五日报", report_kind="sales", period_rule="five_day", send_at=time(9, 0),
                     recipient_roles=ROLES_GM_FINANCE),
    "monthly": dict(name="销售月报", report_kind="sales", period_rule="monthly", send_at=time(9, 0),
                    recipient_roles=ROLES_GM_FINANCE),
    "quarterly": dict(name="销售季报", report_kind="sales", period_rule="quarterly", send_at=time(9, 0),
                      recipient_roles=ROLES_GM_FINANCE),
    "annual": dict(name="销售年报", report_kind="sales", period_rule="annual", send_at=time(9, 0),
                   recipient_roles=ROLES_GM_FINANCE),
    "hr_monthly_total": dict(name="上月业绩汇总（交人事）", report_kind="hr_total", period_rule="monthly",
                             draft_at=time(9, 0), send_at=time(15, 0), recipient_roles=["hr"], needs_check=True),
    "contract_summary_monthly": dict(name="合同月度汇总", report_kind="contract_summary", period_rule="monthly",
                                     send_at=time(9, 30), recipient_roles=ROLES_GM_FINANCE, group_by="customer"),
    "contract_summary_quarterly": dict(name="合同季度汇总", report_kind="contract_summary", period_rule="quarterly",
                                       send_at=time(9, 30), recipient_roles=ROLES_GM_FINANCE, group_by="customer"),
    "waybill_daily": dict(name="每日运单通知", report_kind="waybill", period_rule="daily", send_at=time(17, 0),
                          recipient_roles=WAYBILL_ROLES, group_by="customer", attach_excel=False),
    # each working-day morning, the receivables past due to those who answer for them (nothing → no mail)
    "overdue_receivables": dict(name="逾期应收提醒", report_kind="overdue", period_rule="daily", send_at=time(9, 0),
                                recipient_roles=["salesperson", "sales_manager", "clerk"], group_by="customer"),
}


def create_builtins(schedule_model) -> int:
    """Create the built-in schedules that are missing (never touching edited ones); returns how many."""
    existing = set(schedule_model.objects.filter(code__in=BUILTINS).values_list("code", flat=True))
    known = {f.name for f in schedule_model._meta.get_fields()}  # an early migration's model lacks later fields
    made = [schedule_model(code=code, builtin=True, **{k: v for k, v in fields.items() if k in known})
            for code, fields in BUILTINS.items() if code not in existing]
    schedule_model.objects.bulk_create(made)
    return len(made)
