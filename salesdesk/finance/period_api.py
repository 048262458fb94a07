"""Accounting periods in the API (API.md, Periods): the list of months with their status, and
finance's month-end lock (月末结账)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Path, Query, Router, Schema

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams
from salesdesk.api.schemas import COMMON_ERRORS, WRITE_ERRORS, ListOut
from salesdesk.ledger import periods
from salesdesk.ledger.permissions import LOCK_PERIOD, VIEW_PERIOD

router = Router(tags=["periods"])

PERIOD_PATH = Path(..., max_length=20, description="会计期间 YYYY-MM / the month, e.g. 2026-11")


class AccountingPeriodOut(Schema):
    period: str
    status: str
    locked_at: datetime | None = None
    locked_by_id: int | None = None
    note: str = ""


class LockIn(Schema):
    note: str | None = Field(None, max_length=300)


def _out(row) -> dict:
    locked_by = getattr(row, "locked_by", None)
    return {"period": row.period, "status": row.status, "locked_at": row.locked_at,
            "locked_by_id": locked_by.pk if locked_by is not None else None, "note": row.note}


@router.get("/periods", response={200: ListOut[AccountingPeriodOut], **COMMON_ERRORS}, auth=requires(VIEW_PERIOD),
            summary="会计期间 / Months and whether they are locked (latest first)")
def list_periods(request, page: Query[PageParams]):
    rows = periods.period_rows()
    return {"count": len(rows), "items": [_out(r) for r in rows[page.offset: page.offset + page.limit]]}


@router.post("/periods/{period}/lock", response={200: AccountingPeriodOut, **WRITE_ERRORS}, auth=requires(LOCK_PERIOD),
             summary="月末结账 / Finance locks a month (documents dated in it can no longer change)")
def lock_period(request, payload: LockIn | None = None, period: str = PERIOD_PATH):
    row = periods.lock_period(actor=request.user, period=period, note=(payload.note if payload else "") or "")
    return _out(row)
