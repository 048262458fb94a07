"""Bad-debt write-offs and opening balances in the API.

``/write-offs``: the clerk or finance requests, the GM approves or rejects, finance records.
``/opening-balances``: the list, the tie-out, and the Excel import (multipart; ``dry_run`` checks
and writes nothing — the clerk may do that; finance commits)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, PositiveMoney
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.core.errors import InvalidInput

from . import adjustments, opening
from . import permissions as perms
from .models import Receivable, WriteOff

router = Router(tags=["write-offs and opening balances"])


# --- write-offs ----------------------------------------------------------------------------------


class WriteOffIn(Schema):
    receivable_id: int = Field(..., ge=1, le=MAX_ID)
    amount: PositiveMoney
    reason: str = Field(..., min_length=1, max_length=300)


class DecisionIn(Schema):
    note: str | None = Field(None, max_length=300)


class WriteOffOut(Schema):
    id: int
    number: str
    customer_id: int
    customer: str
    receivable_id: int
    receivable_number: str
    order_id: int | None
    amount: Money
    reason: str
    status: str
    requested_by_id: int
    requested_at: datetime
    approved_by_id: int | None
    approved_at: datetime | None
    decision_note: str
    recorded_by_id: int | None
    recorded_on: date | None

    @staticmethod
    def resolve_customer(obj: WriteOff) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_receivable_number(obj: WriteOff) -> str:
        return obj.receivable.number

    @staticmethod
    def resolve_order_id(obj: WriteOff) -> int | None:
        return obj.receivable.order_id


class WriteOffFilter(Schema):
    status: Literal["requested", "approved", "recorded", "rejected"] | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    receivable_id: int | None = Field(None, ge=1, le=MAX_ID)


def _fresh(user, pk: int) -> WriteOff:
    return adjustments.writeoffs_for(user).get(pk=pk)


@router.post("/write-offs", response={201: WriteOffOut, **WRITE_ERRORS}, auth=requires(perms.REQUEST_WRITEOFF),
             summary="申请坏账核销 / Request a bad-debt write-off")
def request_write_off(request, payload: WriteOffIn):
    receivable = resolve_ids(request.user, receivable=(Receivable.objects.select_related("customer"),
                                                       payload.receivable_id))["receivable"]
    created = adjustments.request_write_off(actor=request.user, data=adjustments.WriteOffRequest(
        receivable=receivable, amount=payload.amount, reason=payload.reason))
    return Status(201, _fresh(request.user, created.pk))


@router.get("/write-offs", response={200: ListOut[WriteOffOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_WRITEOFF),
            summary="坏账核销 / Write-offs")
def list_write_offs(request, filters: Query[WriteOffFilter], page: Query[PageParams]):
    qs = adjustments.writeoffs_for(request.user).order_by("-requested_at", "-id")
    for name in ("status", "customer_id", "receivable_id"):
        if getattr(filters, name):
            qs = qs.filter(**{name: getattr(filters, name)})
    return paginate(qs, page)


@router.get("/write-offs/{write_off_id}", response={200: WriteOffOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_WRITEOFF), summary="坏账核销 / One write-off")
def get_write_off(request, write_off_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(adjustments.writeoffs_for(request.user), write_off_id, request.user)


@router.post("/write-offs/{write_off_id}/approve", response={200: WriteOffOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_WRITEOFF), summary="总经理批准 / The GM approves")
def approve_write_off(request, payload: DecisionIn | None = None, write_off_id: int = Path(..., ge=1, le=MAX_ID)):
    write_off = get_for_user(WriteOff, write_off_id, request.user)
    adjustments.decide_write_off(actor=request.user, write_off=write_off, approve=True,
                                 note=(payload.note if payload else "") or "")
    return _fresh(request.user, write_off.pk)


@router.post("/write-offs/{write_off_id}/reject", response={200: WriteOffOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_WRITEOFF), summary="总经理驳回 / The GM rejects")
def reject_write_off(request, payload: DecisionIn | None = None, write_off_id: int = Path(..., ge=1, le=MAX_ID)):
    write_off = get_for_user(WriteOff, write_off_id, request.user)
    adjustments.decide_write_off(actor=request.user, write_off=write_off, approve=False,
                                 note=(payload.note if payload else "") or "")
    return _fresh(request.user, write_off.pk)


@router.post("/write-offs/{write_off_id}/record", response={200: WriteOffOut, **WRITE_ERRORS},
             auth=requires(perms.RECORD_WRITEOFF), summary="财务入账 / Finance records it (written_off facts)")
def record_write_off(request, write_off_id: int = Path(..., ge=1, le=MAX_ID)):
    write_off = get_for_user(WriteOff, write_off_id, request.user)
    adjustments.record_write_off(actor=request.user, write_off=write_off)
    return _fresh(request.user, write_off.pk)


# --- opening balances ----------------------------------------------------------------------------


class OpeningBalanceOut(Schema):
    id: int
    customer_id: int
    customer: str
    kind: str
    document_no: str
    amount: Money
    original_on: date
    due_on: date | None
    as_of: date
    batch_id: int | None

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.name


class OpeningFilter(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Literal["receivable", "advance"] | None = None
    q: str | None = Field(None, max_length=100)


class TieOutOut(Schema):
    kind: str
    label: str
    documents: int
    ours: Money
    expected: Money | None
    difference: Money | None


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    written: bool
    batch_id: int | None
    created: int
    skipped: int
    rows: int
    receivable_total: Money
    advance_total: Money
    errors: list[RowErrorOut]


class ImportIn(Schema):
    as_of: date
    expected_receivable: PositiveMoney | None = None
    expected_advance: PositiveMoney | None = None
    dry_run: bool = False


@router.get("/opening-balances", response={200: ListOut[OpeningBalanceOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_OPENING), summary="期初余额 / Opening balances")
def list_opening_balances(request, filters: Query[OpeningFilter], page: Query[PageParams]):
    qs = opening.balances_for(request.user).order_by("customer_id", "original_on", "id")
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(document_no__icontains=term) | qs.filter(customer__search_text__icontains=term.lower())
    return paginate(qs, page)


@router.get("/opening-balances/tie-out", response={200: list[TieOutOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_OPENING), summary="期初核对 / Imported totals against finance's totals")
def opening_tie_out(request):
    return [{"kind": r.kind, "label": r.label, "documents": r.documents, "ours": r.ours, "expected": r.expected,
             "difference": r.difference} for r in opening.tie_out()]


@router.post("/opening-balances/import", response={200: ImportOut, 201: ImportOut, **WRITE_ERRORS},
             auth=requires(perms.PREVIEW_OPENING),
             summary="导入期初余额（Excel） / Import opening balances; dry_run only checks")
def import_opening_balances(request, file: File[UploadedFile], data: Form[ImportIn]):
    content = file.read()
    if data.dry_run:
        check = opening.check_file(actor=request.user, data=content, filename=file.name or "", as_of=data.as_of)
        written, batch, created = False, None, 0
    else:
        if not opening.may(request.user, perms.COMMIT_OPENING):
            raise PermissionDenied
        result = opening.import_opening(actor=request.user, data=content, filename=file.name or "", as_of=data.as_of,
                                        expected_receivable=data.expected_receivable,
                                        expected_advance=data.expected_advance)
        check, written, batch, created = result.check, result.written, result.batch, result.created
    if check.errors:
        raise InvalidInput(_by_cell(check.errors))
    body = {"written": written, "batch_id": batch.pk if batch else None, "created": created,
            "skipped": check.existing, "rows": len(check.rows), "receivable_total": check.receivable_total,
            "advance_total": check.advance_total, "errors": []}
    return Status(201 if written else 200, body)


def _by_cell(errors) -> dict[str, list[str]]:
    """Row errors as the API's ``errors``: ``{"rows.<row>.<column>": [message, ...]}``."""
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(f"rows.{e.row}.{e.column}" if e.row else "file", []).append(e.message)
    return out
