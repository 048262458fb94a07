"""Report schedules and deliveries in the API (API.md, "Report schedules and deliveries").

Who may: the schedules and their deliveries (statuses, no figures) are read by the admin, the clerk,
the general manager and finance; "send now" is the clerk's. A schedule that needs a check (the HR
total): its figures and differences are read by the clerk, the general manager and finance; marking
a period checked is the clerk's."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema

from salesdesk.api.auth import ActiveSessionAuth, BearerTokenAuth, _check
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS
from salesdesk.api.types import Money, Timestamp
from salesdesk.org.roles import Role

from . import checks, deliveries
from .models import DeliveryStatus, ReportDelivery, ReportSchedule
from .queries import performance_measure
from .schedules import period_key as schedule_period_key

router = Router(tags=["reports"])

READERS = frozenset({Role.ADMIN, Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE})
SENDERS = frozenset({Role.CLERK})


def _role_check(user, roles: frozenset[str]):
    from django.core.exceptions import PermissionDenied

    _check(user, (), False)
    if not user.has_role(*roles):
        raise PermissionDenied
    return user


class _BearerRole(BearerTokenAuth):
    def __init__(self, roles: frozenset[str]):
        super().__init__()
        self.roles = roles

    def authenticate(self, request, token):
        user = super().authenticate(request, token)
        return None if user is None else _role_check(user, self.roles)


class _SessionRole(ActiveSessionAuth):
    def __init__(self, roles: frozenset[str]):
        super().__init__()
        self.roles = roles

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return None if user is None else _role_check(user, self.roles)


def requires_role(roles: frozenset[str]) -> list:
    """Like ``requires`` for a role instead of a permission: 403 before anything else is read."""
    return [_BearerRole(roles), _SessionRole(roles)]


class ScheduleOut(Schema):
    id: int
    code: str
    name: str
    report_kind: str
    group_by: str
    period_rule: str
    draft_at: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", description="HH:MM, Beijing time")
    send_at: str = Field(..., pattern=r"^\d{2}:\d{2}$", description="HH:MM, Beijing time")
    recipient_roles: list[str]
    recipient_ids: list[int]
    send_html: bool
    attach_excel: bool
    attach_pdf: bool
    active: bool
    builtin: bool


class DeliveryOut(Schema):
    id: int
    schedule_id: int
    period: str = Field(..., description="期间键: 2026-11-27 / 2026-11-P6 / 2026-11 / 2026-Q4 / 2026")
    recipient_id: int
    status: DeliveryStatus
    manual: bool
    late: bool
    attempts: int
    sent_at: Timestamp | None


class SendOut(Schema):
    deliveries: list[DeliveryOut]


class DeliveryQuery(PageParams):
    schedule_id: int | None = Field(None, ge=1, le=MAX_ID, description="报表计划 / schedule")
    period: str | None = Field(None, max_length=20, pattern=r"^[0-9A-Z-]*$", description="期间键 / period key")


class ScheduleListOut(Schema):
    count: int
    items: list[ScheduleOut]


class DeliveryListOut(Schema):
    count: int
    items: list[DeliveryOut]


def schedule_out(s: ReportSchedule) -> dict:
    return {**{f: getattr(s, f) for f in ("id", "code", "name", "report_kind", "group_by", "period_rule",
                                          "recipient_roles", "send_html", "attach_excel", "attach_pdf",
                                          "active", "builtin")},
            "draft_at": s.draft_at.strftime("%H:%M") if s.draft_at else None, "send_at": s.send_at.strftime("%H:%M"),
            "recipient_ids": sorted(u.pk for u in s.recipients.all())}


@router.get("/reports/schedules", response={200: ScheduleListOut, **COMMON_ERRORS}, auth=requires_role(READERS),
            summary="报表计划 / Report schedules")
def list_schedules(request, page: Query[PageParams]):
    """Every schedule, the built-in ones included (their ``code`` is stable)."""
    qs = ReportSchedule.objects.prefetch_related("recipients").order_by("id")
    result = paginate(qs, page)
    return {"count": result["count"], "items": [schedule_out(s) for s in result["items"]]}


@router.post("/reports/schedules/{schedule_id}/send", response={200: SendOut, **WRITE_ERRORS},
             auth=requires_role(SENDERS), summary="立即发送 / Send the current period now")
def send_schedule(request, schedule_id: int = Path(..., ge=1, le=MAX_ID)):
    """Sends the current period to every recipient again, now, through the outbox; answers the new
    deliveries (marked manual). Each recipient gets the report under their own visibility."""
    schedule = get_object_or_404(ReportSchedule, pk=schedule_id)
    made = deliveries.send_now(schedule, actor=request.user)
    return {"deliveries": made}


@router.get("/reports/deliveries", response={200: DeliveryListOut, **COMMON_ERRORS}, auth=requires_role(READERS),
            summary="报表投递 / Report deliveries")
def list_deliveries(request, query: Query[DeliveryQuery]):
    """Deliveries newest first, optionally of one schedule and one period."""
    qs = ReportDelivery.objects.order_by("-id")
    if query.schedule_id is not None:
        qs = qs.filter(schedule_id=query.schedule_id)
    if query.period:
        qs = qs.filter(period=query.period)
    return paginate(qs, query)


# --- the check (核对) of a schedule that needs one -------------------------------------------------

FIGURE_READERS = frozenset({Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE})
PERIOD_KEY = Field(..., max_length=20, pattern=r"^[0-9A-Z-]+$", description="期间键, e.g. 2026-10")


class CheckIn(Schema):
    period: str = PERIOD_KEY
    note: str = Field("", max_length=200)


class CheckOut(Schema):
    id: int
    schedule_id: int
    period: str
    checked_by_id: int
    checked_at: Timestamp
    note: str


class CheckQuery(Schema):
    period: str = PERIOD_KEY


class HrRowOut(Schema):
    salesperson_id: int
    name: str
    team: str
    ordered_amount: Money
    shipped_amount: Money
    received_amount: Money
    performance_amount: Money = Field(..., description="业绩 in the company's measure")
    target_amount: Money | None
    completion_rate: str | None = Field(..., description="performance ÷ target, 4 decimals; null without a target")
    rank: int | None


class DifferenceOut(Schema):
    label: str = Field(..., description="the salesperson, or 回款合计 for the month's received total")
    measure: str = Field(..., description="ordered | shipped | received")
    report_amount: Money = Field(..., description="what the report (month roll-ups) says")
    source: str = Field(..., description="ledger (明细账, the facts) or finance (confirmed payments)")
    source_amount: Money
    difference: Money


class FiguresCheckOut(Schema):
    period: str
    measure: str
    checked: CheckOut | None
    rows: list[HrRowOut]
    received_total: Money = Field(..., description="the report's received total")
    finance_total: Money = Field(..., description="finance's confirmed payments received in the period, refunds deducted")
    pending_total: Money = Field(..., description="recorded, not yet confirmed by finance")
    pending_count: int
    differences: list[DifferenceOut]


def _check_schedule(schedule_id: int) -> ReportSchedule:
    return get_object_or_404(ReportSchedule, pk=schedule_id, needs_check=True)


@router.get("/reports/schedules/{schedule_id}/check", response={200: FiguresCheckOut, **COMMON_ERRORS},
            auth=requires_role(FIGURE_READERS), summary="核对数据 / The figures to check")
def read_check(request, query: Query[CheckQuery], schedule_id: int = Path(..., ge=1, le=MAX_ID)):
    """The period's totals per salesperson (as HR gets them), the report against the ledger facts
    and finance's confirmed payments with every difference, and the check if there is one. 404 for
    a schedule that needs no check."""
    schedule = _check_schedule(schedule_id)
    period = checks.parse_period(schedule, query.period)
    key = schedule_period_key(period)
    rows = checks.hr_totals(period)
    figures = checks.check_figures(period)
    return {
        "period": key, "measure": rows[0].measure if rows else performance_measure(),
        "checked": checks.check_of(schedule, key),
        "rows": [{"salesperson_id": r.salesperson_id, "name": r.name, "team": r.team, "ordered_amount": r.ordered,
                  "shipped_amount": r.shipped, "received_amount": r.received, "performance_amount": r.performance,
                  "target_amount": r.target, "rank": r.rank,
                  "completion_rate": None if r.completion_rate is None else f"{r.completion_rate:.4f}"} for r in rows],
        "received_total": figures.received_total, "finance_total": figures.finance_total,
        "pending_total": figures.pending_total, "pending_count": figures.pending_count,
        "differences": [{"label": d.label, "measure": d.measure, "report_amount": d.report, "source_amount": d.source,
                         "source": d.source_kind, "difference": d.difference}
                        for d in figures.differences],
    }


@router.post("/reports/schedules/{schedule_id}/check", response={200: CheckOut, **WRITE_ERRORS},
             auth=requires_role(SENDERS), summary="标记已核对 / Mark a period checked")
def mark_check(request, body: CheckIn, schedule_id: int = Path(..., ge=1, le=MAX_ID)):
    """The clerk has checked the period: its drafted deliveries go out at the send time (or at the
    next run if that has passed). 409 when already checked, when the period is not over, or when the
    schedule needs no check."""
    schedule = get_object_or_404(ReportSchedule, pk=schedule_id)
    return checks.mark_checked(actor=request.user, schedule=schedule, period=body.period, note=body.note)
