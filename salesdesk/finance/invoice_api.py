"""Invoices (发票), red invoices, invoice requests (开票申请) and the uninvoiced-shipment list in the
API (API.md, Invoices). Handlers parse, resolve ids for the user (404), call ``invoicing`` and
return the object; the rules and their 409/422 answers live in ``invoicing``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut, ObjectId
from salesdesk.api.types import Money, PositiveMoney, Quantity, Rate
from salesdesk.catalog.models import Product
from salesdesk.core.access import get_for_user
from salesdesk.customers.models import Customer
from salesdesk.ledger.periods import parse_period
from salesdesk.orders.models import Order

from . import invoicing
from .models import Invoice, InvoiceRequest
from .permissions import ISSUE_INVOICE, REQUEST_INVOICE, VIEW_INVOICE, VIEW_INVOICE_REQUEST

router = Router(tags=["invoices"])

KindCode = Literal["sd_special", "sd_ordinary", "paper_special", "paper_ordinary", "e_ordinary"]


# --- schemas ---------------------------------------------------------------------------------------


class InvoiceLineIn(Schema):
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    description: str | None = Field(None, max_length=200)
    quantity: Quantity | None = None
    amount: Money = Field(..., description="价税合计 (negative for a discount line)")
    tax_rate: Rate
    tax: Money | None = Field(None, description="税额; computed half-up from the rate when left out")


class InvoiceFields(Schema):
    kind: KindCode
    number: str = Field(..., min_length=1, max_length=40)
    code: str | None = Field(None, max_length=20)
    issued_on: date
    amount: PositiveMoney | None = Field(None, description="价税合计 incl. tax; with lines, their sum")
    tax_amount: PositiveMoney | None = None
    shipment_ids: list[ObjectId] = Field(default_factory=list, max_length=500)
    lines: list[InvoiceLineIn] | None = Field(None, max_length=invoicing.MAX_LINES)
    note: str | None = Field(None, max_length=300)


class InvoiceIn(InvoiceFields):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    order_ids: list[ObjectId] = Field(default_factory=list, max_length=200)
    original_id: int | None = Field(None, ge=1, le=MAX_ID, description="红字发票: the invoice it credits")


class IssueRequestIn(InvoiceFields):
    kind: KindCode | None = None  # the request's kind unless given
    order_ids: list[int] | None = Field(None, max_length=200)  # the request's orders unless given


class InvoiceLineOut(Schema):
    id: int
    product_id: int | None
    description: str
    quantity: Quantity | None
    amount: Money
    tax_rate: Rate
    tax: Money


class InvoiceOut(Schema):
    id: int
    kind: str
    code: str
    number: str
    identity: str
    customer_id: int
    customer: str
    buyer_name: str
    buyer_tax_id: str
    issued_on: date
    period: str
    amount: Money
    tax_amount: Money
    original_id: int | None
    is_credit_note: bool
    credited_amount: Money  # red invoices issued against it (0 for a red invoice)
    order_ids: list[int]
    shipment_ids: list[int]
    lines: list[InvoiceLineOut]
    note: str
    created_by_id: int
    created_at: datetime

    @staticmethod
    def resolve_customer(obj: Invoice) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_credited_amount(obj: Invoice):
        return getattr(obj, "credited", None) or 0

    @staticmethod
    def resolve_order_ids(obj: Invoice) -> list[int]:
        return [o.pk for o in obj.orders.all()]

    @staticmethod
    def resolve_shipment_ids(obj: Invoice) -> list[int]:
        return [s.pk for s in obj.shipments.all()]

    @staticmethod
    def resolve_lines(obj: Invoice) -> list:
        return list(obj.lines.all())


class InvoiceFilter(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="开票月份 YYYY-MM")
    kind: KindCode | None = None
    credit_notes: bool | None = Field(None, description="true: red invoices only; false: blue only")
    q: str | None = Field(None, max_length=100, description="发票号码、客户名称、拼音首字母")


class RequestIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    order_ids: list[ObjectId] = Field(default_factory=list, max_length=200)
    kind: KindCode
    amount: PositiveMoney
    note: str | None = Field(None, max_length=300)


class RequestOut(Schema):
    id: int
    number: str
    customer_id: int
    customer: str
    order_ids: list[int]
    kind: str
    amount: Money
    note: str
    status: str
    invoice_id: int | None
    reject_reason: str
    requested_by_id: int
    requested_at: datetime
    handled_by_id: int | None
    handled_at: datetime | None

    @staticmethod
    def resolve_customer(obj: InvoiceRequest) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_order_ids(obj: InvoiceRequest) -> list[int]:
        return [o.pk for o in obj.orders.all()]


class RequestFilter(Schema):
    status: Literal["requested", "issued", "rejected", "withdrawn"] | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class UninvoicedOut(Schema):
    shipment_id: int
    number: str
    customer_id: int
    customer: str
    order_id: int
    order_number: str
    status: str
    value: Money
    dispatched_at: datetime | None


class UninvoicedFilter(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)


# --- helpers -----------------------------------------------------------------------------------------


def _orders(user, ids) -> list[Order]:
    return [get_for_user(Order, pk, user) for pk in dict.fromkeys(ids)]


def _shipments(user, ids) -> list[int]:
    visible = invoicing.shipment_model().objects.visible_to(user)
    return [get_for_user(visible, pk, user).pk for pk in dict.fromkeys(ids)]


def _lines(user, lines: list[InvoiceLineIn] | None) -> list[invoicing.LineInput]:
    out = []
    for line in lines or []:
        product = get_for_user(Product, line.product_id, user) if line.product_id else None
        out.append(invoicing.LineInput(amount=line.amount, tax_rate=line.tax_rate, tax=line.tax, product=product,
                                       description=line.description or "", quantity=line.quantity))
    return out


def _one(user, pk: int) -> Invoice:
    return invoicing.invoices_for(user).prefetch_related("lines").get(pk=pk)


# --- invoices -----------------------------------------------------------------------------------------


@router.get("/invoices/uninvoiced-shipments", response={200: ListOut[UninvoicedOut], **COMMON_ERRORS},
            auth=requires(VIEW_INVOICE), summary="已发货未开票 / Dispatched shipments no invoice covers")
def uninvoiced_shipments(request, filters: Query[UninvoicedFilter], page: Query[PageParams]):
    qs = invoicing.uninvoiced_shipments(request.user).order_by("dispatched_at", "id")
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    result = paginate(qs, page)
    result["items"] = [
        {"shipment_id": s.pk, "number": s.number, "customer_id": s.customer_id, "customer": s.customer.name,
         "order_id": s.order_id, "order_number": s.order.number, "status": s.status, "value": s.value,
         "dispatched_at": s.dispatched_at} for s in result["items"]
    ]
    return result


@router.post("/invoices", response={201: InvoiceOut, **WRITE_ERRORS}, auth=requires(ISSUE_INVOICE),
             summary="登记发票 / Record an issued invoice or a red invoice (original_id)")
def create_invoice(request, payload: InvoiceIn):
    user = request.user
    customer = get_for_user(Customer, payload.customer_id, user)
    original = get_for_user(Invoice, payload.original_id, user) if payload.original_id else None
    invoice = invoicing.issue_invoice(actor=user, data=invoicing.InvoiceInput(
        customer=customer, kind=payload.kind, number=payload.number, code=payload.code or "",
        issued_on=payload.issued_on, amount=payload.amount, tax_amount=payload.tax_amount,
        orders=_orders(user, payload.order_ids), shipment_ids=_shipments(user, payload.shipment_ids),
        lines=_lines(user, payload.lines), original=original, note=payload.note or "",
    ))
    return Status(201, _one(user, invoice.pk))


@router.get("/invoices", response={200: ListOut[InvoiceOut], **COMMON_ERRORS}, auth=requires(VIEW_INVOICE),
            summary="发票列表 / Invoices by customer, order, period")
def list_invoices(request, filters: Query[InvoiceFilter], page: Query[PageParams]):
    qs = invoicing.invoices_for(request.user).prefetch_related("lines").order_by("-issued_on", "-id")
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.order_id:
        qs = qs.filter(orders=filters.order_id)
    if filters.period:
        qs = qs.filter(period=parse_period(filters.period))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.credit_notes is not None:
        qs = qs.filter(original__isnull=not filters.credit_notes)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(number__icontains=term) | qs.filter(customer__search_text__icontains=term.lower()) | qs.filter(
            buyer_name__icontains=term)
    return paginate(qs, page)


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, **COMMON_ERRORS}, auth=requires(VIEW_INVOICE),
            summary="发票 / One invoice")
def get_invoice(request, invoice_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(invoicing.invoices_for(request.user).prefetch_related("lines"), invoice_id, request.user)


# --- invoice requests --------------------------------------------------------------------------------


@router.get("/invoice-requests", response={200: ListOut[RequestOut], **COMMON_ERRORS},
            auth=requires(VIEW_INVOICE_REQUEST), summary="开票申请 / Invoice requests")
def list_requests(request, filters: Query[RequestFilter], page: Query[PageParams]):
    qs = invoicing.get_requests(request.user).order_by("-requested_at", "-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    return paginate(qs, page)


@router.post("/invoice-requests", response={201: RequestOut, **WRITE_ERRORS}, auth=requires(REQUEST_INVOICE),
             summary="申请开票 / A salesperson asks finance to invoice")
def create_request(request, payload: RequestIn):
    user = request.user
    customer = get_for_user(Customer, payload.customer_id, user)
    req = invoicing.request_invoice(actor=user, data=invoicing.RequestInput(
        customer=customer, kind=payload.kind, amount=payload.amount, orders=_orders(user, payload.order_ids),
        note=payload.note or ""))
    return Status(201, invoicing.get_requests(user).get(pk=req.pk))


@router.get("/invoice-requests/{request_id}", response={200: RequestOut, **COMMON_ERRORS},
            auth=requires(VIEW_INVOICE_REQUEST), summary="开票申请 / One invoice request")
def get_request(request, request_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(invoicing.get_requests(request.user), request_id, request.user)


@router.post("/invoice-requests/{request_id}/issue", response={200: RequestOut, **WRITE_ERRORS},
             auth=requires(ISSUE_INVOICE), summary="按申请开票 / Record the invoice that answers a request")
def issue_request(request, payload: IssueRequestIn, request_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.user
    req = get_for_user(invoicing.get_requests(user), request_id, user)
    orders = list(req.orders.all()) if payload.order_ids is None else _orders(user, payload.order_ids)
    invoicing.issue_invoice(actor=user, request=req, data=invoicing.InvoiceInput(
        customer=req.customer, kind=payload.kind or req.kind, number=payload.number, code=payload.code or "",
        issued_on=payload.issued_on, amount=payload.amount, tax_amount=payload.tax_amount, orders=orders,
        shipment_ids=_shipments(user, payload.shipment_ids), lines=_lines(user, payload.lines),
        note=payload.note or req.note,
    ))
    return invoicing.get_requests(user).get(pk=req.pk)


@router.post("/invoice-requests/{request_id}/reject", response={200: RequestOut, **WRITE_ERRORS},
             auth=requires(ISSUE_INVOICE), summary="驳回开票申请 / Reject a request with a reason")
def reject_request(request, payload: ReasonIn, request_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.user
    req = get_for_user(invoicing.get_requests(user), request_id, user)
    invoicing.reject_request(actor=user, request=req, reason=payload.reason)
    return invoicing.get_requests(user).get(pk=req.pk)
