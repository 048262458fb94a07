"""Targets in the API: ``GET /targets?month=YYYY-MM`` (each reader sees the lines they may see: a
salesperson their own, their team's and the company's) and ``PUT /targets/{YYYY-MM}`` (the clerk)
that upserts the month's lines in one transaction and answers with the month as it now stands."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from ninja import Field, Path, Query, Router, Schema

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import PositiveMoney, Timestamp
from salesdesk.core.errors import InvalidInput
from salesdesk.org.models import SalesTeam, User

from . import permissions as perms
from . import services
from .models import SalesTarget
from .queries import month_targets

router = Router(tags=["targets"])

MONTH_PATTERN = r"^[0-9]{4}-[0-9]{2}$"


class TargetOut(Schema):
    id: int
    month: str = Field(..., description="YYYY-MM")
    scope: str = Field(..., description="salesperson | team | company")
    salesperson_id: int | None
    salesperson: str | None
    team_id: int | None
    team: str | None
    sales_target: PositiveMoney = Field(..., description="销售目标（按公司业绩口径，含税）")
    collection_target: PositiveMoney = Field(..., description="回款目标")
    note: str
    updated_at: Timestamp

    @staticmethod
    def resolve_month(obj: SalesTarget) -> str:
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_salesperson(obj: SalesTarget) -> str | None:
        return obj.salesperson.display_name if obj.salesperson_id else None

    @staticmethod
    def resolve_team(obj: SalesTarget) -> str | None:
        return obj.team.name if obj.team_id else None


class TargetIn(Schema):
    scope: str = Field(..., description="salesperson | team | company")
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    sales_target: PositiveMoney
    collection_target: PositiveMoney
    note: str | None = Field(None, max_length=200)


class TargetFilter(Schema):
    month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYY-MM；默认本月 / default: this month")


def _month(text: str | None) -> date:
    from django.utils import timezone

    return services.parse_month(text) if text else timezone.localdate().replace(day=1)


def _known_ids(payload: list[TargetIn]) -> None:
    """An unknown salesperson or team id in the body answers 404, as any unknown id does."""
    people = {p.salesperson_id for p in payload if p.salesperson_id}
    teams = {p.team_id for p in payload if p.team_id}
    if people and User.objects.filter(pk__in=people).count() != len(people):
        raise Http404
    if teams and SalesTeam.objects.filter(pk__in=teams).count() != len(teams):
        raise Http404


@router.get("/targets", response={200: ListOut[TargetOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_TARGET),
            summary="销售目标 / A month's targets the user may see")
def list_targets(request, filters: Query[TargetFilter], page: Query[PageParams]):
    return paginate(month_targets(_month(filters.month), request.user), page)


@router.put("/targets/{month}", response={200: ListOut[TargetOut], **WRITE_ERRORS},
            auth=requires(perms.ADD_TARGET, perms.CHANGE_TARGET),
            summary="保存一个月的目标（按范围与对象更新或新增，不会重复）/ Upsert a month's targets")
def put_targets(request, payload: list[TargetIn], month: str = Path(..., pattern=MONTH_PATTERN)):
    first = services.parse_month(month)
    _known_ids(payload)
    if len(payload) > 2000:
        raise InvalidInput({"__all__": ["一次最多 2000 条 / At most 2000 lines."]})
    entries = [services.TargetEntry(p.scope, p.sales_target, p.collection_target, p.salesperson_id, p.team_id, p.note)
               for p in payload]
    services.save_month_targets(actor=request.user, month=first, entries=entries, reason="API")
    qs = month_targets(first, request.user)
    return {"count": qs.count(), "items": list(qs)}
