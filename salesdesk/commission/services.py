"""Writes of commission: computing a month's run (synchronously for the API, or as a tracked job
with progress for the page), manual adjustment lines, each salesperson's confirmation or dispute
of their own lines, the sales manager's team confirmation and the general manager's approval,
which locks the run.

A run is computed outside any transaction (the engine only reads facts, targets and receivables)
and written in one short transaction at the end (DESIGN.md, "SQLite discipline"); its status
(``computing`` → ``draft``, or ``failed`` with the error) shows a crashed run, and resuming it
recomputes. Recomputing a draft replaces its computed and carried lines; adjustment lines stay
(they are people's decisions, with a reason) but their confirmations start again.

Approved months are frozen: a later change to their source rows shows up as a ``carried`` line
in the next run — the month is recomputed with today's facts and the difference to what was
approved (less what later runs already carried) is carried, item by item, with ``for_period``
naming the month it belongs to."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.notifications import notify
from salesdesk.ledger.models import Period, PeriodStatus
from salesdesk.ledger.periods import current_period, parse_period, previous_month
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import performance
from . import permissions as perms
from .models import (
    CommissionItem,
    CommissionLine,
    CommissionRun,
    ItemKind,
    LineKind,
    LineStatus,
    RunStatus,
)
from .visibility import line_scope

log = logging.getLogger("salesdesk.commission")

ZERO = Decimal("0.00")
CARRY_MONTHS = 12  # approved months looked back at for changes to carry (a run recomputes each)
PROGRESS_EVERY_SECONDS = 0.5  # progress is written at most this often (and at the end of each phase)


class CommissionErrorCode(StrEnum):
    RUN_APPROVED = "run_approved"
    RUN_NOT_DRAFT = "run_not_draft"
    RUN_NOT_RESUMABLE = "run_not_resumable"
    PERIOD_NOT_LOCKED = "period_not_locked"
    SELF_APPROVAL = "self_approval"
    OWN_LINE = "own_line"
    NOT_YOUR_LINE = "not_your_line"
    NOT_A_SALESPERSON = "not_a_salesperson"


MSG_APPROVED = "该月提成已批准，不能再修改 / This month's commission is approved and locked."


# --- reading ---------------------------------------------------------------------------------


def visible_lines(user, run: CommissionRun) -> QuerySet[CommissionLine]:
    """The lines of ``run`` that ``user`` may see (salesperson: own; manager: team; clerk, GM,
    finance, HR: all), in statement order."""
    order = Case(When(kind=LineKind.COMPUTED, then=Value(0)), When(kind=LineKind.CARRIED, then=Value(1)), default=Value(2))
    return CommissionLine.objects.filter(line_scope(user), run=run).order_by("salesperson_id", order, "id")


def runs_for(user) -> QuerySet[CommissionRun]:
    """Runs ``user`` may open (every run for those who read commission; the lines inside are
    narrowed by :func:`visible_lines`); none for others."""
    if not user.has_perm(perms.VIEW_RUN):
        return CommissionRun.objects.none()
    return CommissionRun.objects.all()


def month_start(period: str) -> date:
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, 1)


def _months_back(period: str, n: int) -> str:
    for _ in range(n):
        period = previous_month(period)
    return period


def _require(actor, permission: str) -> None:
    if actor is None or not actor.has_perm(permission):
        raise PermissionDenied


def _valid_period(period: str) -> str:
    period = parse_period(period)
    if period > current_period():
        raise InvalidInput({"period": ["只能计算本月及以前月份的提成 / Only months up to the current one can be computed."]})
    return period


def period_locked(period: str) -> bool:
    return Period.objects.filter(period=period, status=PeriodStatus.LOCKED).exists()


# --- computing ---------------------------------------------------------------------------------


@dataclass
class _NewLine:
    salesperson_id: int
    plan_id: int | None
    kind: str
    base_amount: Decimal
    commission_amount: Decimal
    items: list[dict]


class _Progress:
    """Writes ``progress_done/total`` on the run as the engine reports it, at most every
    ``PROGRESS_EVERY_SECONDS`` (and whenever a phase completes). Phase 1 is the month itself
    (one step per salesperson, as the engine counts), then one step per approved month checked
    for changes to carry."""

    def __init__(self, run_id: int, extra_steps: int):
        self.run_id = run_id
        self.extra = extra_steps
        self.main_total = 0
        self.done = 0
        self._last = 0.0

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        total = self.main_total + self.extra
        CommissionRun.objects.filter(pk=self.run_id).update(progress_done=min(self.done, total), progress_total=total)

    def main(self, done: int, total: int) -> None:
        self.main_total = max(total, 0)
        self.done = done
        self._write(force=done >= total)

    def step(self) -> None:
        self.done += 1
        self._write(force=True)


def _engine():
    from . import engine

    return engine


def _item_dict(item) -> dict:
    return {
        "kind": item.kind, "rule": (item.rule or "")[:200], "fact_id": item.fact_id,
        "source_kind": (item.source_kind or "")[:30], "source_id": item.source_id,
        "business_date": item.business_date, "for_period": item.for_period or "",
        "base": quantize_money(item.base), "rate": item.rate, "amount": quantize_money(item.amount),
        "note": (item.note or "")[:200],
    }


def _key(salesperson_id: int, fact_id, source_kind: str, source_id, rule: str) -> tuple:
    return (salesperson_id, fact_id, source_kind or "", source_id, (rule or "")[:200])


def _carried_lines(period: str, run_id: int, progress: _Progress, approved: list[CommissionRun]) -> list[_NewLine]:
    """Changes to approved earlier months: each is recomputed with today's facts; per salesperson
    and traced item the difference to its approved computed items, less what other runs already
    carried for that month, becomes a carried item (``for_period`` = the month)."""
    if not approved:
        return []
    engine = _engine()
    months = [r.period for r in approved]
    old: dict[str, dict[tuple, list]] = {m: defaultdict(lambda: [ZERO, ZERO, None]) for m in months}
    by_run = {r.pk: r.period for r in approved}
    for it in CommissionItem.objects.filter(line__run_id__in=list(by_run), line__kind=LineKind.COMPUTED).select_related(
            "line").order_by("id"):
        entry = old[by_run[it.line.run_id]][_key(it.line.salesperson_id, it.fact_id, it.source_kind, it.source_id, it.rule)]
        entry[0] += it.base
        entry[1] += it.amount
        entry[2] = entry[2] or it
    for it in CommissionItem.objects.filter(kind=ItemKind.CARRIED, for_period__in=months).exclude(
            line__run_id=run_id).select_related("line").order_by("id"):
        entry = old[it.for_period][_key(it.line.salesperson_id, it.fact_id, it.source_kind, it.source_id, it.rule)]
        entry[0] += it.base
        entry[1] += it.amount
        entry[2] = entry[2] or it
    per_person: dict[int, list[dict]] = defaultdict(list)
    for month in months:
        fresh: dict[tuple, list] = defaultdict(lambda: [ZERO, ZERO, None])
        for line in engine.compute_month(month_start(month)):
            for item in line.items:
                entry = fresh[_key(line.salesperson_id, item.fact_id, item.source_kind, item.source_id, item.rule)]
                entry[0] += quantize_money(item.base)
                entry[1] += quantize_money(item.amount)
                entry[2] = entry[2] or item
        before = old[month]
        for key in sorted(set(fresh) | set(before), key=repr):
            new_base, new_amount, new_src = fresh.get(key, (ZERO, ZERO, None))
            old_base, old_amount, old_src = before.get(key, (ZERO, ZERO, None))
            amount = new_amount - old_amount
            if amount == 0:
                continue
            src = new_src or old_src
            per_person[key[0]].append({
                "kind": ItemKind.CARRIED, "rule": key[4], "fact_id": key[1], "source_kind": key[2],
                "source_id": key[3], "business_date": src.business_date, "for_period": month,
                "base": new_base - old_base, "rate": None, "amount": amount,
                "note": f"{month} 已批准 {old_amount:.2f}，按现有数据重算 {new_amount:.2f} / "
                        f"approved {old_amount:.2f}, recomputed {new_amount:.2f}"[:200],
            })
        progress.step()
    return [
        _NewLine(salesperson_id=sp, plan_id=None, kind=LineKind.CARRIED,
                 base_amount=sum((i["base"] for i in items), ZERO),
                 commission_amount=sum((i["amount"] for i in items), ZERO), items=items)
        for sp, items in sorted(per_person.items())
    ]


def _compute_lines(run: CommissionRun) -> list[_NewLine]:
    """Everything a run writes, computed outside any transaction."""
    approved = list(CommissionRun.objects.filter(
        status=RunStatus.APPROVED, period__lt=run.period, period__gte=_months_back(run.period, CARRY_MONTHS),
    ).order_by("period"))
    progress = _Progress(run.pk, extra_steps=len(approved))
    results = _engine().compute_month(month_start(run.period), progress=progress.main)
    lines = [
        _NewLine(salesperson_id=r.salesperson_id, plan_id=r.plan_id, kind=LineKind.COMPUTED,
                 base_amount=quantize_money(r.base_amount),
                 commission_amount=sum((quantize_money(i.amount) for i in r.items), ZERO),
                 items=[_item_dict(i) for i in r.items])
        for r in results
    ]
    lines += _carried_lines(run.period, run.pk, progress, approved)
    return lines


def _write(run: CommissionRun, actor, lines: list[_NewLine]) -> CommissionRun:
    """Replace the run's computed and carried lines in one short transaction; the run becomes a draft."""
    with transaction.atomic():
        run = CommissionRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.APPROVED:
            raise DomainError(MSG_APPROVED, code=CommissionErrorCode.RUN_APPROVED)
        for old in run.lines.filter(kind__in=[LineKind.COMPUTED, LineKind.CARRIED]):
            old._history_user = actor
            old.delete()
        for kept in run.lines.filter(kind=LineKind.ADJUSTMENT):  # the statement changed: confirm again
            if kept.status != LineStatus.OPEN or kept.team_confirmed_by_id:
                kept.status, kept.confirmed_at, kept.dispute_reason = LineStatus.OPEN, None, ""
                kept.team_confirmed_by, kept.team_confirmed_at = None, None
                kept._history_user = actor
                kept.save()
        rows = bulk_create_with_history([
            CommissionLine(run=run, salesperson_id=n.salesperson_id, plan_id=n.plan_id, kind=n.kind,
                           base_amount=n.base_amount, commission_amount=n.commission_amount, created_by=actor)
            for n in lines
        ], CommissionLine, default_user=actor)
        if any(r.pk is None for r in rows):  # a backend without RETURNING: read the ids back
            rows = list(run.lines.filter(kind__in=[LineKind.COMPUTED, LineKind.CARRIED]).order_by("id"))
        CommissionItem.objects.bulk_create([
            CommissionItem(line=row, **item) for row, n in zip(rows, lines, strict=True) for item in n.items
        ], batch_size=500)
        run.status = RunStatus.DRAFT
        run.error = ""
        run.computed_at = timezone.now()
        run.computed_by = actor
        run.progress_done = run.progress_total = max(run.progress_total, run.progress_done)
        run._history_user = actor
        run.save()
        performance.compute_results(run)
    return run


def _prepare(actor, period: str) -> CommissionRun:
    """The run of ``period``, created or reset to ``computing`` (refused when approved)."""
    with transaction.atomic():
        run = CommissionRun.objects.select_for_update().filter(period=period).first()
        if run is None:
            try:
                with transaction.atomic():
                    run = CommissionRun(period=period, status=RunStatus.COMPUTING, computed_by=actor)
                    run._history_user = actor
                    run.save()
            except IntegrityError:
                raise ConcurrentChange() from None
            return run
        if run.status == RunStatus.APPROVED:
            raise DomainError(MSG_APPROVED, code=CommissionErrorCode.RUN_APPROVED)
        run.status, run.error, run.progress_done = RunStatus.COMPUTING, "", 0
        run._history_user = actor
        run.save()
    return run


def compute(run: CommissionRun, actor=None) -> CommissionRun:
    """Compute ``run`` (already marked ``computing``) and write it; any error leaves it
    ``failed`` with the error for people to see, and is raised again. Jobs call this."""
    try:
        lines = _compute_lines(run)
        return _write(run, actor, lines)
    except Exception as exc:
        CommissionRun.objects.filter(pk=run.pk).exclude(status=RunStatus.APPROVED).update(
            status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        if not isinstance(exc, DomainError):
            log.exception("commission run %s failed", run.period)
        raise


def compute_run(*, actor, period: str) -> CommissionRun:
    """The clerk computes ``period`` now (``POST /api/v1/commission/runs``): any month up to the
    current one; a draft is replaced; an approved month is refused (409)."""
    _require(actor, perms.COMPUTE_RUN)
    period = _valid_period(period)
    run = _prepare(actor, period)
    return compute(run, actor)


def start_run(*, actor, period: str) -> CommissionRun:
    """Like :func:`compute_run` but as a job: the run shows ``computing`` with its progress until
    the job writes the draft (or marks it ``failed``)."""
    _require(actor, perms.COMPUTE_RUN)
    period = _valid_period(period)
    run = _prepare(actor, period)
    _enqueue(run, actor)
    run.refresh_from_db()
    return run


def resume_run(*, actor, run: CommissionRun) -> CommissionRun:
    """Compute a failed run (or one a crashed worker left ``computing``) again, as a job."""
    _require(actor, perms.COMPUTE_RUN)
    if run.status not in {RunStatus.FAILED, RunStatus.COMPUTING}:
        raise DomainError("只有计算失败或中断的提成才能继续计算 / Only a failed or interrupted run can be resumed.",
                          code=CommissionErrorCode.RUN_NOT_RESUMABLE)
    run = _prepare(actor, run.period)
    _enqueue(run, actor)
    run.refresh_from_db()
    return run


MSG_QUEUE_DOWN = ("后台任务队列暂时不可用，提成没有开始计算；请稍后点击“继续计算” / "
                  "The job queue is unavailable, so the run did not start; resume it later.")


def _enqueue(run: CommissionRun, actor) -> None:
    """Queue the run's job once ``computing`` is committed. A queue that is down leaves the run ``failed``
    with the reason (not ``computing`` with no job behind it) for the clerk to resume, and raises
    ``QueueUnavailable`` (503 in the API, a message on the page)."""
    from salesdesk.core.jobs import QueueUnavailable, enqueue

    from .tasks import JOB_NAME, compute_run_task

    actor_id = actor.pk if actor is not None else None

    def send() -> None:
        try:
            enqueue(compute_run_task, record_as=JOB_NAME, message=MSG_QUEUE_DOWN, run_id=run.pk, actor_id=actor_id)
        except QueueUnavailable:
            with transaction.atomic():
                left = CommissionRun.objects.select_for_update().filter(pk=run.pk, status=RunStatus.COMPUTING).first()
                if left is not None:
                    left.status, left.error = RunStatus.FAILED, MSG_QUEUE_DOWN
                    left._history_user = actor
                    left.save()
            raise

    transaction.on_commit(send)


def compute_job(*, run_id: int, actor_id: int | None) -> str:
    """The job's body: compute the run unless it was approved or computed meanwhile."""
    run = CommissionRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in {RunStatus.COMPUTING, RunStatus.FAILED}:
        return "skipped"
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    run = compute(run, actor)
    return f"{run.period}: {run.lines.count()} lines"


# --- lines -------------------------------------------------------------------------------------


def _lock_draft(run: CommissionRun) -> CommissionRun:
    run = CommissionRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.APPROVED:
        raise DomainError(MSG_APPROVED, code=CommissionErrorCode.RUN_APPROVED)
    if run.status != RunStatus.DRAFT:
        raise DomainError("提成尚未计算完成 / The run is not a computed draft.", code=CommissionErrorCode.RUN_NOT_DRAFT)
    return run


@transaction.atomic
def add_adjustment(*, actor, run: CommissionRun, salesperson, amount: Decimal, reason: str) -> CommissionLine:
    """The clerk adds a manual line with a reason (a separate line, never an edit of a computed
    one). Refused on an approved run and on one's own statement."""
    _require(actor, perms.ADJUST_LINE)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    amount = quantize_money(amount)
    if amount == 0:
        errors["amount"] = ["调整金额不能为 0 / The adjustment must not be zero."]
    if not reason:
        errors["reason"] = ["请填写调整原因 / A reason is required."]
    if not salesperson.is_active or not salesperson.has_role(Role.SALESPERSON, Role.SALES_MANAGER):
        errors["salesperson_id"] = ["只能调整业务员或销售经理的提成 / Only salespeople and sales managers earn commission."]
    if errors:
        raise InvalidInput(errors)
    run = _lock_draft(run)
    if salesperson.pk == actor.pk:
        raise DomainError("不能调整本人的提成 / Nobody adjusts their own commission.", code=CommissionErrorCode.OWN_LINE)
    line = CommissionLine(run=run, salesperson=salesperson, kind=LineKind.ADJUSTMENT, base_amount=ZERO,
                          commission_amount=amount, reason=reason[:200], created_by=actor)
    line._history_user = actor
    line.save()
    CommissionItem.objects.create(line=line, kind=ItemKind.ADJUSTMENT, rule="手工调整 / manual adjustment",
                                  base=ZERO, amount=amount, note=reason[:200])
    notify([salesperson], f"{run.period} 提成有手工调整：¥{amount:,.2f}", reason,
           url=f"/commission/runs/{run.pk}/", kind="commission_adjusted", email=False,
           dedupe_key=f"commission-adjusted:{line.pk}")
    return line


def _own_line(actor, line: CommissionLine) -> CommissionLine:
    _require(actor, perms.CONFIRM_OWN)
    _lock_draft(line.run)
    line = CommissionLine.objects.select_for_update().get(pk=line.pk)
    if line.salesperson_id != actor.pk:
        raise PermissionDenied("只能确认本人的提成 / Only the salesperson confirms their own line.")
    return line


@transaction.atomic
def confirm_line(*, actor, line: CommissionLine) -> CommissionLine:
    """The salesperson agrees with their line."""
    line = _own_line(actor, line)
    line.status, line.confirmed_at = LineStatus.CONFIRMED, timezone.now()
    line._history_user = actor
    line.save()
    return line


@transaction.atomic
def dispute_line(*, actor, line: CommissionLine, reason: str) -> CommissionLine:
    """The salesperson disputes their line with a reason; the clerks are told."""
    reason = (reason or "").strip()
    if not reason:
        _require(actor, perms.CONFIRM_OWN)
        raise InvalidInput({"reason": ["请填写异议原因 / A reason is required."]})
    line = _own_line(actor, line)
    line.status, line.confirmed_at, line.dispute_reason = LineStatus.DISPUTED, timezone.now(), reason[:500]
    line._history_user = actor
    line.save()
    clerks = User.objects.with_role(Role.CLERK).filter(is_active=True)
    notify(clerks, f"{line.run.period} 提成有异议：{actor.display_name}", reason,
           url=f"/commission/runs/{line.run_id}/", kind="commission_disputed",
           dedupe_key=f"commission-disputed:{line.pk}:{line.confirmed_at.isoformat()}")
    return line


@transaction.atomic
def confirm_team(*, actor, run: CommissionRun) -> int:
    """The sales manager confirms their team's lines (not their own); recorded on each line.
    Returns how many lines were newly confirmed."""
    _require(actor, perms.CONFIRM_TEAM)
    run = _lock_draft(run)
    team = actor.managed_salesperson_ids() - {actor.pk}
    now = timezone.now()
    count = 0
    for line in run.lines.select_for_update().filter(salesperson_id__in=sorted(team), team_confirmed_by__isnull=True):
        line.team_confirmed_by, line.team_confirmed_at = actor, now
        line._history_user = actor
        line.save()
        count += 1
    return count


@transaction.atomic
def approve_run(*, actor, run: CommissionRun) -> CommissionRun:
    """The general manager approves a draft, which locks it. The month must be locked in the
    ledger first; nobody approves a run holding a line of their own."""
    _require(actor, perms.APPROVE_RUN)
    run = _lock_draft(run)
    if not period_locked(run.period):
        raise DomainError(f"{run.period} 尚未结账，财务结账后才能批准提成 / "
                          f"Finance must lock {run.period} before the commission is approved.",
                          code=CommissionErrorCode.PERIOD_NOT_LOCKED)
    if run.lines.filter(salesperson=actor).exists():
        raise DomainError("提成中有本人的明细，不能自己批准 / Nobody approves a run holding their own line.",
                          code=CommissionErrorCode.SELF_APPROVAL)
    run.status, run.approved_at, run.approved_by = RunStatus.APPROVED, timezone.now(), actor
    run._history_user = actor
    run.save()
    people = set(run.lines.values_list("salesperson_id", flat=True))
    notify(sorted(people), f"{run.period} 提成已批准", "请在提成页面查看本人的提成明细。",
           url=f"/commission/runs/{run.pk}/", kind="commission_approved", email=False,
           dedupe_key=f"commission-approved:{run.pk}")
    return run


# --- the monthly routine (tasks.py) --------------------------------------------------------------


def clerks() -> Iterable[User]:
    return User.objects.with_role(Role.CLERK).filter(is_active=True)


REMINDER_WORKDAY = 3  # default: remind from the 3rd working day (settings.COMMISSION_REMINDER_WORKDAY overrides)


def reminder_workday() -> int:
    from django.conf import settings

    return int(getattr(settings, "COMMISSION_REMINDER_WORKDAY", REMINDER_WORKDAY))


@dataclass(frozen=True)
class RoutineResult:
    period: str
    drafted: bool = False
    reminded: int = 0

    def __str__(self) -> str:
        return f"{self.period}: drafted={self.drafted} reminded={self.reminded}"


def monthly_routine(today: date) -> RoutineResult:
    """The daily job: once finance has locked last month and no run exists for it, draft it
    (as the system, the clerks are told); from the N-th working day of this month
    (:func:`reminder_workday`), remind the clerks each working day while last month has no
    approved run (once a day: the reminder's key names the day)."""
    from salesdesk.core.lib.workdays import calendar_for

    period = previous_month(f"{today.year:04d}-{today.month:02d}")
    drafted = False
    run = CommissionRun.objects.filter(period=period).first()
    if run is None and period_locked(period):
        run = _prepare(None, period)
        try:
            run = compute(run, None)
            drafted = True
            notify(clerks(), f"{period} 提成草稿已自动生成", "财务已结账，系统已计算上月提成草稿，请核对后提交审批。",
                   url=f"/commission/runs/{run.pk}/", kind="commission_drafted", dedupe_key=f"commission-drafted:{period}")
        except Exception:
            log.exception("automatic commission draft of %s failed", period)
            run.refresh_from_db()
    if run is not None and run.status == RunStatus.APPROVED:
        return RoutineResult(period, drafted=drafted)
    first = today.replace(day=1)
    week = calendar_for(first, today)
    if not week.is_working_day(today) or week.working_days_between(first, today) < reminder_workday():
        return RoutineResult(period, drafted=drafted)
    if run is None:
        state = "财务尚未结账，尚未计算" if not period_locked(period) else "尚未计算"
    else:
        state = {RunStatus.DRAFT: "草稿待确认、待总经理批准", RunStatus.FAILED: "计算失败，请继续计算",
                 RunStatus.COMPUTING: "正在计算"}.get(run.status, run.get_status_display())
    sent = notify(clerks(), f"请完成 {period} 提成核算（{state}）",
                  f"{period} 的提成尚未批准。 / The commission of {period} is not approved yet.",
                  url="/commission/", kind="commission_reminder", dedupe_key=f"commission-reminder:{period}:{today.isoformat()}")
    return RoutineResult(period, drafted=drafted, reminded=len(sent))
