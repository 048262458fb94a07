"""Shipments (发货, 款到发货) in the API (API.md, Shipments). Warehouse users see no prices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.idempotency import run_once
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, PositiveMoney, Quantity
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.orders.models import Order

from . import permissions as perms
from . import services
from .models import CallTask, Shipment, ShipmentLine, TrackingEvent

router = Router(tags=["shipments"])

CarrierCode = Literal["SF", "ZTO", "YTO", "YD", "STO", "JD", "DBL", "EMS", "JT", "OTHER"]


class ShipmentLineIn(Schema):
    product_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: Quantity


class ShipmentIn(Schema):
    order_id: int = Field(..., ge=1, le=MAX_ID)
    lines: list[ShipmentLineIn] = Field(..., min_length=1, max_length=200)
    carrier: CarrierCode | None = None
    waybill_no: str | None = Field(None, max_length=40)
    warehouse: str | None = Field(None, max_length=50)
    freight: PositiveMoney | None = None
    planned_on: date | None = None
    note: str | None = Field(None, max_length=300)


class ShipmentLineOut(Schema):
    product_id: int
    quantity: Quantity
    amount: Money | None


class EventOut(Schema):
    status: str
    note: str
    at: datetime


class ShipmentOut(Schema):
    id: int
    number: str
    order_id: int
    order_number: str
    customer_id: int
    status: str
    value: Money | None
    carrier: str
    waybill_no: str
    warehouse: str
    planned_on: date | None
    dispatched_at: datetime | None
    delivered_at: datetime | None
    signer: str
    created_at: datetime
    lines: list[ShipmentLineOut]
    events: list[EventOut]


class TrackIn(Schema):
    status: Literal["in_transit", "delivered", "pod_returned"]
    note: str | None = Field(None, max_length=300)
    signer: str | None = Field(None, max_length=50)


class DispatchIn(Schema):
    waybill_no: str | None = Field(None, max_length=40)
    carrier: CarrierCode | None = None


class CancelIn(Schema):
    reason: str | None = Field(None, max_length=300)


class ShipmentFilter(Schema):
    status: Literal["planned", "dispatched", "in_transit", "delivered", "pod_returned", "cancelled"] | None = None
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    dispatched_on: date | None = None
    q: str | None = Field(None, max_length=100)


def shipments_for(user):
    return Shipment.objects.visible_to(user).select_related("order").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.order_by("id")),
        Prefetch("events", queryset=TrackingEvent.objects.order_by("at", "id")),
    )


def out(shipment: Shipment, user) -> dict:
    """The shipment as the user may see it: without prices for roles that do not see them."""
    prices = user.has_perm(perms.VIEW_PRICES)
    return {
        **{f: getattr(shipment, f) for f in ("id", "number", "order_id", "customer_id", "status", "carrier",
                                              "waybill_no", "warehouse", "planned_on", "dispatched_at",
                                              "delivered_at", "signer", "created_at")},
        "order_number": shipment.order.number,
        "value": shipment.value if prices else None,
        "lines": [{"product_id": ln.product_id, "quantity": ln.quantity, "amount": ln.amount if prices else None}
                  for ln in shipment.lines.all()],
        "events": list(shipment.events.all()),
    }


@router.post("/shipments", response={201: ShipmentOut, **WRITE_ERRORS}, auth=requires(perms.ADD_SHIPMENT),
             summary="新建发货单（款到发货检查） / Plan a shipment through the payment gate")
def create_shipment(request, payload: ShipmentIn):
    order = resolve_ids(request.user, order=(Order, payload.order_id))["order"]

    def create():
        return services.create_shipment(
            actor=request.user, order=order,
            lines=[services.LineRequest(ln.product_id, ln.quantity) for ln in payload.lines],
            carrier=payload.carrier or "", waybill_no=payload.waybill_no or "", warehouse=payload.warehouse or "",
            freight=payload.freight or 0, planned_on=payload.planned_on, note=payload.note or "",
        )

    shipment = run_once(request, payload.dict(), create, lambda pk: Shipment.objects.get(pk=pk))
    return Status(201, out(shipments_for(request.user).get(pk=shipment.pk), request.user))


@router.get("/shipments", response={200: ListOut[ShipmentOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_SHIPMENT),
            summary="发货单列表 / Shipments")
def list_shipments(request, filters: Query[ShipmentFilter], page: Query[PageParams]):
    qs = shipments_for(request.user).order_by("-created_at", "-id")
    for field in ("status", "order_id", "customer_id"):
        if getattr(filters, field):
            qs = qs.filter(**{field: getattr(filters, field)})
    if filters.dispatched_on:
        qs = qs.filter(dispatched_at__date=filters.dispatched_on)
    if filters.q:
        qs = qs.filter(number__icontains=filters.q) | qs.filter(waybill_no__icontains=filters.q.upper())
    result = paginate(qs, page)
    return {"count": result["count"], "items": [out(s, request.user) for s in result["items"]]}


@router.get("/shipments/{shipment_id}", response={200: ShipmentOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_SHIPMENT), summary="发货单 / One shipment")
def get_shipment(request, shipment_id: int = Path(..., ge=1, le=MAX_ID)):
    return out(get_for_user(shipments_for(request.user), shipment_id, request.user), request.user)


@router.post("/shipments/{shipment_id}/dispatch", response={200: ShipmentOut, **WRITE_ERRORS},
             auth=requires(perms.DISPATCH_SHIPMENT), summary="发货 / Dispatch")
def dispatch_shipment(request, payload: DispatchIn | None = None, shipment_id: int = Path(..., ge=1, le=MAX_ID)):
    shipment = get_for_user(Shipment, shipment_id, request.user)
    services.dispatch(actor=request.user, shipment=shipment, waybill_no=payload.waybill_no if payload else None,
                      carrier=payload.carrier if payload else None)
    return out(shipments_for(request.user).get(pk=shipment.pk), request.user)


@router.post("/shipments/{shipment_id}/track", response={200: ShipmentOut, **WRITE_ERRORS},
             auth=requires(perms.DISPATCH_SHIPMENT), summary="物流跟踪/签收 / Track or deliver")
def track_shipment(request, payload: TrackIn, shipment_id: int = Path(..., ge=1, le=MAX_ID)):
    shipment = get_for_user(Shipment, shipment_id, request.user)
    services.track(actor=request.user, shipment=shipment, status=payload.status, note=payload.note or "",
                   signer=payload.signer or "")
    return out(shipments_for(request.user).get(pk=shipment.pk), request.user)


@router.post("/shipments/{shipment_id}/deliver", response={200: ShipmentOut, **WRITE_ERRORS},
             auth=requires(perms.DISPATCH_SHIPMENT), summary="签收 / Delivered")
def deliver_shipment(request, payload: TrackIn | None = None, shipment_id: int = Path(..., ge=1, le=MAX_ID)):
    shipment = get_for_user(Shipment, shipment_id, request.user)
    services.track(actor=request.user, shipment=shipment, status="delivered",
                   note=(payload.note if payload else "") or "", signer=(payload.signer if payload else "") or "")
    return out(shipments_for(request.user).get(pk=shipment.pk), request.user)


@router.post("/shipments/{shipment_id}/cancel", response={200: ShipmentOut, **WRITE_ERRORS},
             auth=requires(perms.ADD_SHIPMENT), summary="取消（仅待发货） / Cancel a planned shipment")
def cancel_shipment(request, payload: CancelIn | None = None, shipment_id: int = Path(..., ge=1, le=MAX_ID)):
    shipment = get_for_user(Shipment, shipment_id, request.user)
    services.cancel_shipment(actor=request.user, shipment=shipment, reason=(payload.reason if payload else "") or "")
    return out(shipments_for(request.user).get(pk=shipment.pk), request.user)


class CallOut(Schema):
    id: int
    shipment_id: int
    reason: str
    status: str
    phone: str
    outcome: str


class CallIn(Schema):
    status: Literal["done", "unreachable"]
    outcome: str = Field(..., min_length=1, max_length=300)


@router.get("/calls", response={200: ListOut[CallOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_SHIPMENT),
            summary="客户致电任务 / Customer calls to make")
def list_calls(request, page: Query[PageParams], status: Literal["open", "done", "unreachable"] | None = "open"):
    qs = CallTask.objects.filter(shipment__in=Shipment.objects.visible_to(request.user)).order_by("created_at", "id")
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, page)


@router.post("/calls/{call_id}/log", response={200: CallOut, **WRITE_ERRORS}, auth=requires(perms.VIEW_SHIPMENT),
             summary="记录致电结果 / Log the call")
def log_call(request, payload: CallIn, call_id: int = Path(..., ge=1, le=MAX_ID)):
    task = _call_for(request.user, call_id)
    return services.log_call(actor=request.user, task=task, status=payload.status, outcome=payload.outcome)


def _call_for(user, call_id: int) -> CallTask:
    from django.http import Http404

    task = CallTask.objects.filter(pk=call_id, shipment__in=Shipment.objects.visible_to(user)).first()
    if task is None:
        raise Http404
    return task
