"""The HR total and the clerk's check (核对) before it goes out (issue 9; MISSION M8: "on the 1st,
total and check last month's performance and hand it to HR").

- :func:`hr_totals` — last month's figures per salesperson (ordered, shipped, received, the company's
  业绩 measure, target, completion, rank), read like the monthly sales report (the month roll-ups,
  ``queries.sales_report``). HR sees people and performance results, no customers (API.md roles):
  an HR reader gets every salesperson's row; anyone else the rows of their own visibility.
- :func:`check_figures` — what the clerk compares before she marks a month checked: per salesperson
  the report's figures (roll-ups) against a raw scan of the ledger facts, and the month's received
  total against finance's confirmed payments; every difference listed.
- :func:`mark_checked` — the clerk's "checked" (one transaction, history); a schedule that needs a
  check drafts its deliveries but sends them only once this row exists (``deliveries.run_due``).
- :func:`remind` — until she checks, one reminder a working day (dedupe key per schedule, period and
  day)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.notifications import notify
from salesdesk.finance.choices import PaymentKind, PaymentStatus
from salesdesk.finance.models import Payment
from salesdesk.ledger.choices import MEASURES
from salesdesk.ledger.models import Fact
from salesdesk.org.roles import Role

from .models import ReportCheck, ReportSchedule
from .periods import ReportPeriod
from .queries import ZERO, period_figures, sales_report
from .schedules import kind_of, period_from_key, period_key

CHECKED_MEASURES = ("ordered", "shipped", "received")
MEASURE_LABELS = {"ordered": "下单金额", "shipped": "发货金额", "received": "回款金额"}
NO_SALESPERSON = "（无业务员）"


class CheckErrorCode(StrEnum):
    NOT_NEEDED = "check_not_needed"
    ALREADY_CHECKED = "already_checked"
    PERIOD_NOT_OVER = "period_not_over"


class _Everyone:
    """The reader for whom a report covers every salesperson: HR (people and performance results of
    all, API.md) and the check itself. Stands in for a user where the report queries read
    ``salesperson_scope`` — ``None`` there means "everyone"."""

    is_authenticated = True
    is_active = True
    pk = None
    _salesperson_scope = None


EVERYONE = _Everyone()


def _period(period: str | ReportPeriod) -> ReportPeriod:
    return period_from_key(period) if isinstance(period, str) else period


# --- the HR total ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HrRow:
    """One salesperson's month: amounts incl. tax; ``performance`` in the company's measure."""

    salesperson_id: int
    name: str
    team: str
    ordered: Decimal
    shipped: Decimal
    received: Decimal
    measure: str
    performance: Decimal
    target: Decimal | None
    completion_rate: Decimal | None
    rank: int | None


def reader_of_totals(viewer):
    """Whose visibility the HR total is read under: all salespeople for HR (and for no viewer)."""
    if viewer is None or viewer.has_role(Role.HR):
        return EVERYONE
    return viewer


def hr_totals(period: str | ReportPeriod, *, viewer=None) -> list[HrRow]:
    """The month's totals per salesperson, ranked — the monthly sales report's figures (roll-ups,
    targets, the company's measure) with the people and none of the customers."""
    p = _period(period)
    report = sales_report(reader_of_totals(viewer), "month", p.start, "salesperson", today=p.end)
    return [
        HrRow(salesperson_id=r.key, name=r.label, team=r.detail, ordered=r.ordered_amount, shipped=r.shipped_amount,
              received=r.received_amount or ZERO, measure=r.measure, performance=r.performance or ZERO,
              target=r.target, completion_rate=r.completion_rate, rank=r.rank)
        for r in report.rows if r.key is not None  # facts without a salesperson are nobody's performance
    ]


def totals_of(rows: list[HrRow]) -> dict[str, Decimal | None]:
    targets = [r.target for r in rows if r.target is not None]
    return {"ordered": sum((r.ordered for r in rows), ZERO), "shipped": sum((r.shipped for r in rows), ZERO),
            "received": sum((r.received for r in rows), ZERO), "performance": sum((r.performance for r in rows), ZERO),
            "target": sum(targets, ZERO) if targets else None}


# --- the check -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A figure that is not the same in two places."""

    label: str  # the salesperson, or "回款合计"
    measure: str  # ordered, shipped or received
    report: Decimal  # what the report (roll-ups) says
    source: Decimal  # what the ledger facts or finance say
    source_name: str  # 明细账 / 财务已确认回款
    source_kind: str = "ledger"  # ledger (the facts) or finance (confirmed payments)

    @property
    def difference(self) -> Decimal:
        return self.report - self.source

    @property
    def measure_label(self) -> str:
        return MEASURE_LABELS[self.measure]


@dataclass(frozen=True)
class CheckRow:
    key: int | None
    label: str
    report: dict[str, Decimal]
    ledger: dict[str, Decimal]

    @property
    def ok(self) -> bool:
        return all(self.report[m] == self.ledger[m] for m in CHECKED_MEASURES)


@dataclass
class FigureCheck:
    period: ReportPeriod
    key: str
    rows: list[CheckRow]
    received_total: Decimal  # the report's received total (roll-ups)
    finance_total: Decimal  # finance's confirmed payments received in the month, refunds deducted
    pending_total: Decimal  # recorded, not yet confirmed by finance: not in either figure yet
    pending_count: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _ledger_scan(p: ReportPeriod) -> dict[int | None, dict[str, Decimal]]:
    """{salesperson id: {measure: amount}} summed straight from the facts of the period's days."""
    kinds = sorted(k for m in CHECKED_MEASURES for k in MEASURES[m])
    sums = {m: Sum("amount", filter=Q(kind__in=sorted(MEASURES[m]))) for m in CHECKED_MEASURES}
    rows = (Fact.objects.filter(business_date__gte=p.start, business_date__lte=p.end, kind__in=kinds)
            .order_by().values("salesperson_id").annotate(**sums))
    return {r["salesperson_id"]: {m: r[m] or ZERO for m in CHECKED_MEASURES} for r in rows}


def _finance_totals(p: ReportPeriod) -> tuple[Decimal, Decimal, int]:
    """(confirmed receipts − refunds, pending receipts − refunds, pending count) received in the period."""
    qs = Payment.objects.filter(received_on__gte=p.start, received_on__lte=p.end,
                                status__in=[PaymentStatus.CONFIRMED, PaymentStatus.PENDING])
    receipt, refund = Q(kind=PaymentKind.RECEIPT), Q(kind=PaymentKind.REFUND)
    confirmed, pending = Q(status=PaymentStatus.CONFIRMED), Q(status=PaymentStatus.PENDING)
    r = qs.order_by().aggregate(
        c_in=Sum("amount", filter=confirmed & receipt), c_out=Sum("amount", filter=confirmed & refund),
        p_in=Sum("amount", filter=pending & receipt), p_out=Sum("amount", filter=pending & refund),
        p_n=Count("pk", filter=pending))
    return ((r["c_in"] or ZERO) - (r["c_out"] or ZERO), (r["p_in"] or ZERO) - (r["p_out"] or ZERO), r["p_n"] or 0)


def check_figures(period: str | ReportPeriod) -> FigureCheck:
    """The report's month figures per salesperson against the ledger facts, and its received total
    against finance's confirmed payments. Four queries at most, whatever the number of people."""
    p = _period(period)
    (report,), _, _ = period_figures(EVERYONE, (p,), "salesperson")
    ledger = _ledger_scan(p)
    keys = set(report) | set(ledger)
    real = [k for k in keys if k is not None]
    users = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=real)} if real else {}
    empty = dict.fromkeys(CHECKED_MEASURES, ZERO)
    rows = []
    for k in keys:
        figures = report.get(k)
        rows.append(CheckRow(
            key=k, label=users.get(k, NO_SALESPERSON if k is None else str(k)),
            report={m: figures.measure(m) or ZERO for m in CHECKED_MEASURES} if figures else dict(empty),
            ledger=ledger.get(k, dict(empty))))
    rows.sort(key=lambda r: (r.key is None, r.label))
    finance_total, pending_total, pending_count = _finance_totals(p)
    received_total = sum((r.report["received"] for r in rows), ZERO)
    differences = [Difference(r.label, m, r.report[m], r.ledger[m], "明细账")
                   for r in rows for m in CHECKED_MEASURES if r.report[m] != r.ledger[m]]
    if received_total != finance_total:
        differences.append(Difference("回款合计", "received", received_total, finance_total, "财务已确认回款", "finance"))
    return FigureCheck(period=p, key=period_key(p), rows=rows, received_total=received_total,
                       finance_total=finance_total, pending_total=pending_total, pending_count=pending_count,
                       differences=differences)


# --- marking a period checked ----------------------------------------------------------------------


def check_of(schedule: ReportSchedule, key: str) -> ReportCheck | None:
    return ReportCheck.objects.filter(schedule=schedule, period=key).select_related("checked_by").first()


def is_checked(schedule: ReportSchedule, key: str) -> bool:
    return ReportCheck.objects.filter(schedule=schedule, period=key).exists()


def parse_period(schedule: ReportSchedule, key: str) -> ReportPeriod:
    """The schedule's period named by ``key``; 422 for a malformed key or another kind of period."""
    try:
        p = period_from_key(key)
    except ValueError:
        p = None
    if p is None or p.kind != kind_of(schedule):
        raise InvalidInput({"period": ["期间无效 / Invalid period for this schedule."]})
    return p


def mark_checked(*, actor, schedule: ReportSchedule, period: str, note: str = "",
                 now: datetime | None = None) -> ReportCheck:
    """The clerk has checked the period's figures: its drafted deliveries may go out (at the send
    time on the due day, or at the next tick if that is past). Refused for anyone but the clerk
    (PermissionDenied), for a schedule without a check, a period not over yet or checked before."""
    if not actor.has_role(Role.CLERK):
        raise PermissionDenied
    if not schedule.needs_check:
        raise DomainError("该报表发送前无需核对 / This schedule needs no check.", code=CheckErrorCode.NOT_NEEDED)
    p = parse_period(schedule, period)
    now = now or timezone.now()
    if p.end >= timezone.localtime(now).date():
        raise DomainError("期间尚未结束，不能核对 / The period is not over yet.", code=CheckErrorCode.PERIOD_NOT_OVER)
    already = DomainError("该期间已核对 / This period was already checked.", code=CheckErrorCode.ALREADY_CHECKED)
    key = period_key(p)
    try:
        with transaction.atomic():
            if ReportCheck.objects.select_for_update().filter(schedule=schedule, period=key).exists():
                raise already
            check = ReportCheck(schedule=schedule, period=key, checked_by=actor, checked_at=now, note=note[:200])
            check._history_user = actor
            check.save()
    except IntegrityError:  # a concurrent check won
        raise already from None
    return check


# --- reminders -------------------------------------------------------------------------------------


def reminder_key(schedule: ReportSchedule, key: str, day: date) -> str:
    return f"report-check-reminder:{schedule.pk}:{key}:{day.isoformat()}"


def remind(schedule: ReportSchedule, key: str, *, now: datetime) -> int:
    """Tell the clerks the period waits for their check — at most once per schedule, period and day
    (the caller decides that today is a working day and the draft time has come)."""
    clerks = get_user_model().objects.filter(groups__name=Role.CLERK, is_active=True)
    url = reverse("report_schedule_check", kwargs={"pk": schedule.pk, "period": key})
    made = notify(clerks, f"请核对：{schedule.name} {key}", "核对无误后标记“已核对”，报表将在发送时间发出。", url=url,
                  kind="report_check", dedupe_key=reminder_key(schedule, key, timezone.localtime(now).date()))
    return len(made)
