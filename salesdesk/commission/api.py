"""Commission runs in the API (API.md, "Commission"): the clerk computes a month (synchronously,
or as a job with progress), adds adjustment lines; each salesperson confirms or disputes their
own lines; a sales manager confirms their team's; the general manager approves. Every answer
shows only the lines the user may see (``services.visible_lines``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from django.db.models import Count, Prefetch, Sum
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, Rate, Timestamp
from salesdesk.core.access import resolve_ids
from salesdesk.org.models import User

from . import permissions as perms
from . import services
from .models import CommissionItem, CommissionLine, CommissionRun
from .visibility import line_scope

router = Router(tags=["commission"])

PERIOD_PATTERN = r"^[0-9]{4}-[0-9]{2}$"


class CommissionRunIn(Schema):
    period: str = Field(..., min_length=7, max_length=7, pattern=PERIOD_PATTERN, examples=["2026-10"],
                        description="月份 YYYY-MM，本月及以前 / the month, up to the current one")


class CommissionItemOut(Schema):
    id: int
    kind: str
    rule: str
    fact_id: int | None
    source_kind: str
    source_id: int | None
    business_date: date | None
    for_period: str
    base: Money
    rate: Rate | None
    amount: Money
    note: str


class CommissionLineOut(Schema):
    id: int
    run_id: int
    salesperson_id: int
    salesperson: str
    kind: str
    plan_id: int | None
    base_amount: Money
    commission_amount: Money
    reason: str
    status: str
    confirmed_at: Timestamp | None
    dispute_reason: str
    team_confirmed_by_id: int | None
    team_confirmed_at: Timestamp | None
    created_by_id: int | None
    details: list[CommissionItemOut]

    @staticmethod
    def resolve_salesperson(obj: CommissionLine) -> str:
        return obj.salesperson.display_name

    @staticmethod
    def resolve_details(obj: CommissionLine) -> list:
        return list(obj.items.all())


class CommissionRunOut(Schema):
    id: int
    period: str
    status: str
    progress_done: int
    progress_total: int
    error: str
    computed_at: Timestamp | None
    computed_by_id: int | None
    approved_at: Timestamp | None
    approved_by_id: int | None
    total_commission: Money = Field(..., description="可见明细的提成合计 / sum of the lines shown")
    lines: list[CommissionLineOut]


class CommissionRunSummaryOut(Schema):
    id: int
    period: str
    status: str
    progress_done: int
    progress_total: int
    computed_at: Timestamp | None
    approved_at: Timestamp | None
    approved_by_id: int | None
    line_count: int = Field(..., description="可见明细数 / lines the user may see")
    total_commission: Money = Field(..., description="可见明细的提成合计 / sum of the lines the user may see")


class CommissionRunFilter(Schema):
    period: str | None = Field(None, pattern=PERIOD_PATTERN)
    status: Literal["computing", "failed", "draft", "approved"] | None = None


class CommissionAdjustmentIn(Schema):
    salesperson_id: int = Field(..., ge=1, le=MAX_ID)
    amount: Money = Field(..., description="正数增加、负数扣减 / positive adds, negative deducts")
    reason: str = Field(..., min_length=1, max_length=200)


class CommissionDisputeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class CommissionTeamConfirmOut(CommissionRunOut):
    confirmed: int = Field(..., description="本次确认的明细数 / lines confirmed by this request")


def _lines(user, run: CommissionRun):
    return services.visible_lines(user, run).select_related("salesperson").prefetch_related(
        Prefetch("items", queryset=CommissionItem.objects.order_by("id")))


def _run_out(user, run: CommissionRun) -> dict:
    lines = list(_lines(user, run))
    return {
        "id": run.pk, "period": run.period, "status": run.status, "progress_done": run.progress_done,
        "progress_total": run.progress_total, "error": run.error, "computed_at": run.computed_at,
        "computed_by_id": run.computed_by_id, "approved_at": run.approved_at, "approved_by_id": run.approved_by_id,
        "total_commission": sum((line.commission_amount for line in lines), Decimal("0.00")), "lines": lines,
    }


def _run(user, run_id: int) -> CommissionRun:
    run = services.runs_for(user).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def _line(user, run: CommissionRun, line_id: int) -> CommissionLine:
    line = services.visible_lines(user, run).select_related("run").filter(pk=line_id).first()
    if line is None:
        raise Http404
    return line


def _line_out(user, line: CommissionLine) -> CommissionLine:
    return _lines(user, line.run).get(pk=line.pk)


@router.post("/commission/runs", response={201: CommissionRunOut, **WRITE_ERRORS}, auth=requires(perms.COMPUTE_RUN),
             summary="计算月度提成 / Compute a month's commission (a draft is replaced)")
def create_run(request, payload: CommissionRunIn):
    run = services.compute_run(actor=request.user, period=payload.period)
    return Status(201, _run_out(request.user, run))


@router.post("/commission/runs/start", response={202: CommissionRunOut, **WRITE_ERRORS},
             auth=requires(perms.COMPUTE_RUN), summary="后台计算月度提成 / Compute a month as a job (progress on the run)")
def start_run(request, payload: CommissionRunIn):
    run = services.start_run(actor=request.user, period=payload.period)
    return Status(202, _run_out(request.user, run))


@router.get("/commission/runs", response={200: ListOut[CommissionRunSummaryOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_RUN), summary="提成计算列表 / Commission runs")
def list_runs(request, filters: Query[CommissionRunFilter], page: Query[PageParams]):
    scope = line_scope(request.user, prefix="lines__")
    qs = services.runs_for(request.user).annotate(
        line_count=Count("lines", filter=scope), total_commission=Sum("lines__commission_amount", filter=scope),
    ).order_by("-period")
    if filters.period:
        qs = qs.filter(period=filters.period)
    if filters.status:
        qs = qs.filter(status=filters.status)
    result = paginate(qs, page)
    for run in result["items"]:
        run.total_commission = run.total_commission or Decimal("0.00")
    return result


@router.get("/commission/runs/{run_id}", response={200: CommissionRunOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_RUN), summary="提成计算 / One run with the lines the user may see")
def get_run(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    return _run_out(request.user, _run(request.user, run_id))


@router.post("/commission/runs/{run_id}/resume", response={200: CommissionRunOut, **WRITE_ERRORS},
             auth=requires(perms.COMPUTE_RUN), summary="继续计算失败或中断的提成 / Resume a failed run")
def resume_run(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    run = services.resume_run(actor=request.user, run=_run(request.user, run_id))
    return _run_out(request.user, run)


@router.post("/commission/runs/{run_id}/adjustments", response={201: CommissionLineOut, **WRITE_ERRORS},
             auth=requires(perms.ADJUST_LINE), summary="手工调整提成（单独一行，须填原因） / Add an adjustment line")
def add_adjustment(request, payload: CommissionAdjustmentIn, run_id: int = Path(..., ge=1, le=MAX_ID)):
    run = _run(request.user, run_id)
    refs = resolve_ids(request.user, salesperson=(User, payload.salesperson_id))
    line = services.add_adjustment(actor=request.user, run=run, salesperson=refs["salesperson"], amount=payload.amount,
                                   reason=payload.reason)
    return Status(201, _line_out(request.user, line))


@router.post("/commission/runs/{run_id}/lines/{line_id}/confirm", response={200: CommissionLineOut, **WRITE_ERRORS},
             auth=requires(perms.CONFIRM_OWN), summary="业务员确认本人提成 / The salesperson confirms their line")
def confirm_line(request, run_id: int = Path(..., ge=1, le=MAX_ID), line_id: int = Path(..., ge=1, le=MAX_ID)):
    line = _line(request.user, _run(request.user, run_id), line_id)
    services.confirm_line(actor=request.user, line=line)
    return _line_out(request.user, line)


@router.post("/commission/runs/{run_id}/lines/{line_id}/dispute", response={200: CommissionLineOut, **WRITE_ERRORS},
             auth=requires(perms.CONFIRM_OWN), summary="业务员对本人提成提出异议 / The salesperson disputes their line")
def dispute_line(request, payload: CommissionDisputeIn, run_id: int = Path(..., ge=1, le=MAX_ID),
                 line_id: int = Path(..., ge=1, le=MAX_ID)):
    line = _line(request.user, _run(request.user, run_id), line_id)
    services.dispute_line(actor=request.user, line=line, reason=payload.reason)
    return _line_out(request.user, line)


@router.post("/commission/runs/{run_id}/team-confirm", response={200: CommissionTeamConfirmOut, **WRITE_ERRORS},
             auth=requires(perms.CONFIRM_TEAM), summary="销售经理确认本团队提成 / The manager confirms the team's lines")
def confirm_team(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    run = _run(request.user, run_id)
    count = services.confirm_team(actor=request.user, run=run)
    run.refresh_from_db()
    return {**_run_out(request.user, run), "confirmed": count}


@router.post("/commission/runs/{run_id}/approve", response={200: CommissionRunOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_RUN), summary="总经理批准提成（批准后锁定） / The GM approves, locking the run")
def approve_run(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    run = services.approve_run(actor=request.user, run=_run(request.user, run_id))
    return _run_out(request.user, run)
