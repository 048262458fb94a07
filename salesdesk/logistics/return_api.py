"""Returns (退货) in the API: record one against a dispatched shipment, list and read them. Roles that
see no prices (the warehouse) get the amounts as ``null``."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Prefetch, Q
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import model_validator

from salesdesk.api.auth import requires
from salesdesk.api.idempotency import run_once
from salesdesk.api.pagination import PageParams
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, Quantity
from salesdesk.core.access import get_for_user, resolve_ids

from . import returns
from .models import SalesReturn, SalesReturnLine, Shipment

router = Router(tags=["returns"])


class ReturnLineIn(Schema):
    """One line coming back: name the shipment line, or the product (the shipment's earliest lines of
    that product are filled first, as for shipments)."""

    shipment_line_id: int | None = Field(None, ge=1, le=MAX_ID)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    quantity: Quantity

    @model_validator(mode="after")
    def one_reference(self):
        if (self.shipment_line_id is None) == (self.product_id is None):
            raise ValueError("shipment_line_id 与 product_id 须且只须填一个 / Give shipment_line_id or product_id.")
        return self


class ReturnIn(Schema):
    shipment_id: int = Field(..., ge=1, le=MAX_ID)
    returned_on: date
    reason: str = Field(..., min_length=1, max_length=300)
    lines: list[ReturnLineIn] = Field(..., min_length=1, max_length=200)


class ReturnLineOut(Schema):
    shipment_line_id: int
    product_id: int
    quantity: Quantity
    amount: Money | None
    tax: Money | None


class ReturnOut(Schema):
    id: int
    number: str
    shipment_id: int
    shipment_number: str
    order_id: int
    order_number: str
    customer_id: int
    customer: str
    returned_on: date
    amount: Money | None
    tax: Money | None
    reason: str
    created_by_id: int
    created_at: datetime
    lines: list[ReturnLineOut]


class ReturnFilter(Schema):
    shipment_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    returned_from: date | None = None
    returned_to: date | None = None
    q: str | None = Field(None, max_length=100)


def _queryset(user):
    return returns.returns_for(user).prefetch_related(
        Prefetch("lines", queryset=SalesReturnLine.objects.order_by("id"))
    )


def out(sales_return: SalesReturn, user) -> dict:
    prices = user.has_perm(returns.VIEW_PRICES)
    return {
        **{f: getattr(sales_return, f) for f in ("id", "number", "shipment_id", "order_id", "customer_id",
                                                  "returned_on", "reason", "created_by_id", "created_at")},
        "shipment_number": sales_return.shipment.number,
        "order_number": sales_return.order.number,
        "customer": sales_return.customer.name,
        "amount": sales_return.amount if prices else None,
        "tax": sales_return.tax if prices else None,
        "lines": [{"shipment_line_id": ln.shipment_line_id, "product_id": ln.product_id, "quantity": ln.quantity,
                   "amount": ln.amount if prices else None, "tax": ln.tax if prices else None}
                  for ln in sales_return.lines.all()],
    }


@router.post("/returns", response={201: ReturnOut, **WRITE_ERRORS}, auth=requires(returns.ADD_RETURN),
             summary="登记退货 / Record goods coming back against a dispatched shipment")
def create_return(request, payload: ReturnIn):
    shipment = resolve_ids(request.user, shipment=(Shipment, payload.shipment_id))["shipment"]

    def create():
        by_line = [returns.ReturnLineRequest(ln.shipment_line_id, ln.quantity)
                   for ln in payload.lines if ln.shipment_line_id is not None]
        by_product = [(ln.product_id, ln.quantity) for ln in payload.lines if ln.product_id is not None]
        lines = by_line + (returns.lines_for_products(shipment, by_product) if by_product else [])
        return returns.create_return(actor=request.user, shipment=shipment, lines=lines,
                                     returned_on=payload.returned_on, reason=payload.reason)

    created = run_once(request, payload.dict(), create, lambda pk: SalesReturn.objects.get(pk=pk))
    return Status(201, out(_queryset(request.user).get(pk=created.pk), request.user))


@router.get("/returns", response={200: ListOut[ReturnOut], **COMMON_ERRORS}, auth=requires(returns.VIEW_RETURN),
            summary="退货列表 / Returns")
def list_returns(request, filters: Query[ReturnFilter], page: Query[PageParams]):
    qs = _queryset(request.user).order_by("-returned_on", "-id")
    for field in ("shipment_id", "order_id", "customer_id"):
        if getattr(filters, field):
            qs = qs.filter(**{field: getattr(filters, field)})
    if filters.returned_from:
        qs = qs.filter(returned_on__gte=filters.returned_from)
    if filters.returned_to:
        qs = qs.filter(returned_on__lte=filters.returned_to)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(shipment__number__icontains=term) | Q(order__number__icontains=term)
                       | Q(customer__name__icontains=term) | Q(customer__search_text__icontains=term.lower()))
    items = list(qs[page.offset: page.offset + page.limit])
    return {"count": qs.count(), "items": [out(r, request.user) for r in items]}


@router.get("/returns/{return_id}", response={200: ReturnOut, **COMMON_ERRORS}, auth=requires(returns.VIEW_RETURN),
            summary="退货单 / One return")
def get_return(request, return_id: int = Path(..., ge=1, le=MAX_ID)):
    return out(get_for_user(_queryset(request.user), return_id, request.user), request.user)
