"""Report schedules and deliveries in the API (API.md, "Report schedules and deliveries").

Who may: the schedules and their deliveries (statuses, no figures) are read by the admin, the clerk,
the general manager and finance; "send now" is the clerk's."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema

from salesdesk.api.auth import ActiveSessionAuth, BearerTokenAuth, _check
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS
from salesdesk.api.types import Timestamp
from salesdesk.org.roles import Role

from . import deliveries
from .models import DeliveryStatus, ReportDelivery, ReportSchedule

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
