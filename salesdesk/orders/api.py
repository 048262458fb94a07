"""Sales orders and coordination requests in the API (API.md, "Orders"): create, edit a draft,
list, get (with the figures finance and logistics provide), submit, cancel, close, approve or
reject a price, finance's "seen", copy; coordination requests to production and supply, replies.

Roles without ``orders.view_prices`` (warehouse, planner) get every money field as ``null``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import PlainSerializer, WithJsonSchema

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, HistoryOut, ListOut, history_response
from salesdesk.api.types import Money, Quantity, Rate, UnitPrice
from salesdesk.catalog.models import Product
from salesdesk.contracts.models import Contract
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.core.errors import InvalidInput
from salesdesk.core.registries import figures_for
from salesdesk.customers.models import Customer
from salesdesk.org.models import User

from . import permissions as perms
from . import queries, services
from .filters import CoordinationFilterSet, OrderFilterSet
from .models import CoordinationRequest, Order

router = Router(tags=["orders"])

StatusCode = Literal["draft", "submitted", "partially_shipped", "shipped", "completed", "closed", "cancelled"]
PriceCheckCode = Literal["ok", "pending", "approved", "rejected"]
KindCode = Literal["production", "supply"]
ReplyCode = Literal["confirmed", "partial", "cannot"]
CoordinationStatusCode = Literal["requested", "confirmed", "partial", "cannot", "cancelled"]
FIGURES = ("paid_amount", "shipped_amount", "releasable_amount")
MONEY_FIELDS = frozenset({"total", "tax_total"})
ZERO_MONEY = Decimal("0.00")
# Output only: a stored time in Beijing time with its offset (API.md: "+08:00").
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda v: timezone.localtime(v).isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-11-27T09:30:00+08:00"}),
]
Id = Field(..., ge=1, le=MAX_ID)


# --- schemas ----------------------------------------------------------------------------------


class LineIn(Schema):
    product_id: int = Id
    quantity: Quantity
    unit_price: UnitPrice | None = Field(None, description="含税单价；不填取合同价或客户价 / default: contract or customer price")


class ShareIn(Schema):
    salesperson_id: int = Id
    share: Rate = Field(..., description="分成比例，合计必须等于 1 / shares sum to exactly 1")


class OrderIn(Schema):
    customer_id: int = Id
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID, description="默认客户负责业务员 / default: the owner")
    order_date: date | None = Field(None, description="下单日期，默认今天 / defaults to today")
    requested_delivery_on: date | None = None
    delivery_address: str | None = Field(None, max_length=300)
    delivery_contact: str | None = Field(None, max_length=50)
    delivery_phone: str | None = Field(None, max_length=30)
    notes: str | None = Field(None, max_length=5000)
    lines: list[LineIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    credit_split: list[ShareIn] | None = Field(None, max_length=20, description="默认 100% 归业务员 / default 100 %")


class OrderPatch(Schema):
    """Edit a draft: fields not sent keep their value; ``lines`` and ``credit_split`` replace all."""

    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_date: date | None = None
    requested_delivery_on: date | None = None
    delivery_address: str | None = Field(None, max_length=300)
    delivery_contact: str | None = Field(None, max_length=50)
    delivery_phone: str | None = Field(None, max_length=30)
    notes: str | None = Field(None, max_length=5000)
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=services.MAX_LINES)
    credit_split: list[ShareIn] | None = Field(None, max_length=20)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class OptionalReasonIn(Schema):
    reason: str | None = Field(None, max_length=200)


class OrderLineOut(Schema):
    id: int
    line_no: int
    product_id: int
    sku: str
    product: str
    unit: str
    contract_line_id: int | None
    quantity: Quantity
    unit_price: UnitPrice | None
    reference_price: UnitPrice | None
    tax_rate: Rate
    amount: Money | None
    tax: Money | None


class CreditShareOut(Schema):
    salesperson_id: int
    salesperson: str
    team_id: int | None
    share: Rate


class CoordinationBrief(Schema):
    id: int
    number: str
    kind: str
    status: str
    product_id: int
    quantity: Quantity
    needed_by: date
    promised_on: date | None
    promised_quantity: Quantity | None


class OrderSummaryOut(Schema):
    id: int
    number: str
    status: str
    price_check: str
    customer_id: int
    customer: str
    contract_id: int | None
    contract_number: str | None
    salesperson_id: int
    salesperson: str
    order_date: date
    requested_delivery_on: date | None
    promised_delivery_on: date | None
    total: Money | None
    tax_total: Money | None
    submitted_at: Timestamp | None
    finance_seen_at: Timestamp | None


class OrderOut(OrderSummaryOut):
    delivery_address: str
    delivery_contact: str
    delivery_phone: str
    notes: str
    cancel_reason: str
    close_reason: str
    price_approved_by_id: int | None
    created_at: Timestamp
    created_by_id: int
    lines: list[OrderLineOut]
    credit_split: list[CreditShareOut]
    coordination: list[CoordinationBrief]
    paid_amount: Money | None
    shipped_amount: Money | None
    releasable_amount: Money | None


class OrderFilter(Schema):
    q: str | None = Field(None, max_length=100, description="订单号、客户名称、拼音首字母")
    status: StatusCode | None = None
    price_check: PriceCheckCode | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    date_from: date | None = Field(None, description="下单日期起 / order date from")
    date_to: date | None = Field(None, description="下单日期止 / order date to")
    finance_seen: bool | None = Field(None, description="false: 已上报、财务未阅 / reported, not yet seen by finance")


class CoordinationIn(Schema):
    kind: KindCode
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    product_id: int = Id
    quantity: Quantity
    needed_by: date


class ReplyIn(Schema):
    status: ReplyCode
    promised_on: date | None = None
    promised_quantity: Quantity | None = None
    note: str | None = Field(None, max_length=300)


class CoordinationOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    order_id: int | None
    order_number: str | None
    contract_id: int | None
    contract_number: str | None
    customer_id: int
    customer: str
    product_id: int
    sku: str
    product: str
    unit: str
    quantity: Quantity
    needed_by: date
    promised_on: date | None
    promised_quantity: Quantity | None
    reply_note: str
    replied_by_id: int | None
    replied_by: str | None
    replied_at: Timestamp | None
    created_at: Timestamp
    created_by_id: int


class CoordinationFilter(Schema):
    q: str | None = Field(None, max_length=100)
    kind: KindCode | None = None
    status: CoordinationStatusCode | None = None
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    open: bool | None = Field(None, description="true: 待答复 / waiting for a reply")


# --- serialising ------------------------------------------------------------------------------


def _money(value, show: bool):
    return value if show else None


def order_summary(order: Order, show: bool) -> dict[str, Any]:
    return {
        "id": order.pk, "number": order.number, "status": order.status, "price_check": order.price_check,
        "customer_id": order.customer_id, "customer": order.customer.name, "contract_id": order.contract_id,
        "contract_number": order.contract.number if order.contract_id else None,
        "salesperson_id": order.salesperson_id, "salesperson": order.salesperson.display_name,
        "order_date": order.order_date, "requested_delivery_on": order.requested_delivery_on,
        "promised_delivery_on": order.promised_delivery_on,
        "total": _money(order.total, show), "tax_total": _money(order.tax_total, show),
        "submitted_at": order.submitted_at, "finance_seen_at": order.finance_seen_at,
    }


def order_payload(order: Order, user) -> dict[str, Any]:
    """The full API object of one order (loaded with ``queries.order_detail()``)."""
    show = user.has_perm(perms.VIEW_PRICES)
    figures = figures_for(Order, [order], user).get(order.pk, {})
    return {
        **order_summary(order, show),
        "delivery_address": order.delivery_address, "delivery_contact": order.delivery_contact,
        "delivery_phone": order.delivery_phone, "notes": order.notes, "cancel_reason": order.cancel_reason,
        "close_reason": order.close_reason, "price_approved_by_id": order.price_approved_by_id,
        "created_at": order.created_at, "created_by_id": order.created_by_id,
        "lines": [
            {"id": line.pk, "line_no": line.line_no, "product_id": line.product_id, "sku": line.product.sku,
             "product": line.product.name, "unit": line.product.unit, "contract_line_id": line.contract_line_id,
             "quantity": line.quantity, "unit_price": _money(line.unit_price, show),
             "reference_price": _money(line.reference_price, show), "tax_rate": line.tax_rate,
             "amount": _money(line.amount, show), "tax": _money(line.tax, show)}
            for line in order.lines.all()
        ],
        "credit_split": [
            {"salesperson_id": cs.salesperson_id, "salesperson": cs.salesperson.display_name, "team_id": cs.team_id,
             "share": cs.share}
            for cs in order.credit_shares.all()
        ],
        "coordination": [
            {"id": r.pk, "number": r.number, "kind": r.kind, "status": r.status, "product_id": r.product_id,
             "quantity": r.quantity, "needed_by": r.needed_by, "promised_on": r.promised_on,
             "promised_quantity": r.promised_quantity}
            for r in order.coordination_requests.all()
        ],
        **{name: _money(figures.get(name, ZERO_MONEY), show) for name in FIGURES},
    }


HEADER = ("customer_id", "contract_id", "salesperson_id", "order_date", "requested_delivery_on", "delivery_address",
          "delivery_contact", "delivery_phone", "notes")


def _raw(payload, names) -> dict[str, Any]:
    """Field values as parsed (Decimal, date), not as serialised: ``.dict()`` would turn the
    fixed-point types back into strings."""
    values = {name: getattr(payload, name) for name in names}
    if "lines" in values and values["lines"] is not None:
        values["lines"] = [{"product_id": li.product_id, "quantity": li.quantity, "unit_price": li.unit_price}
                           for li in values["lines"]]
    if "credit_split" in values and values["credit_split"] is not None:
        values["credit_split"] = [{"salesperson_id": s.salesperson_id, "share": s.share} for s in values["credit_split"]]
    return values


def _order(request, order_id: int) -> Order:
    return get_for_user(queries.order_detail(), order_id, request.user)


def _answer(request, order: Order) -> dict:
    return order_payload(get_for_user(queries.order_detail(), order.pk, request.user), request.user)


def _products(user, ids: list[int]) -> dict[int, Product]:
    """Every product id of the body, or 404 (one query for all lines)."""
    found = Product.objects.visible_to(user).in_bulk(set(ids))
    if len(found) != len(set(ids)):
        raise Http404
    return found


def _order_input(request, *, customer_id, contract_id, salesperson_id, order_date, lines, credit_split,
                 **header) -> services.OrderInput:
    """Resolve every id of the body for the user (404 when not visible) into the service's input."""
    user = request.user
    refs = resolve_ids(user, customer=(Customer, customer_id), contract=(Contract, contract_id),
                       salesperson=(User, salesperson_id))
    products = _products(user, [line["product_id"] for line in lines])
    split = None
    if credit_split:
        people = resolve_ids(user, **{f"s{i}": (User, s["salesperson_id"]) for i, s in enumerate(credit_split)})
        split = [services.ShareInput(people[f"s{i}"], s["share"]) for i, s in enumerate(credit_split)]
    return services.OrderInput(
        customer=refs["customer"], contract=refs["contract"], salesperson=refs["salesperson"],
        order_date=order_date or timezone.localdate(), credit_split=split,
        lines=[services.LineInput(products[line["product_id"]], line["quantity"], line["unit_price"]) for line in lines],
        **{k: v or "" if k != "requested_delivery_on" else v for k, v in header.items()},
    )


# --- orders -----------------------------------------------------------------------------------


@router.post("/orders", response={201: OrderOut, **WRITE_ERRORS}, auth=requires(perms.ADD_ORDER),
             summary="录入订单（草稿） / Enter an order (draft)")
def create_order(request, payload: OrderIn):
    services.check_create_permissions(request.user, salesperson_id=payload.salesperson_id)
    data = _order_input(request, **_raw(payload, (*HEADER, "lines", "credit_split")))
    order = services.create_order(actor=request.user, data=data)
    return Status(201, _answer(request, order))


@router.get("/orders", response={200: ListOut[OrderSummaryOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_ORDER),
            summary="订单列表 / Orders")
def list_orders(request, filters: Query[OrderFilter], page: Query[PageParams]):
    data = {"q": filters.q, "status": filters.status, "price_check": filters.price_check,
            "customer": filters.customer_id, "salesperson_id": filters.salesperson_id, "contract": filters.contract_id,
            "date_from": filters.date_from, "date_to": filters.date_to, "finance_seen": filters.finance_seen}
    filterset = OrderFilterSet(data={k: v for k, v in data.items() if v is not None},
                               queryset=queries.orders_for(request.user), request=request, api=True)
    if not filterset.is_valid():
        raise InvalidInput({k: list(v) for k, v in filterset.errors.items()})
    result = paginate(filterset.qs.order_by("-order_date", "-id"), page)
    show = request.user.has_perm(perms.VIEW_PRICES)
    result["items"] = [order_summary(o, show) for o in result["items"]]
    return result


@router.get("/orders/{order_id}", response={200: OrderOut, **COMMON_ERRORS}, auth=requires(perms.VIEW_ORDER),
            summary="订单 / One order")
def get_order(request, order_id: int = Path(..., ge=1, le=MAX_ID)):
    return order_payload(_order(request, order_id), request.user)


@router.patch("/orders/{order_id}", response={200: OrderOut, **WRITE_ERRORS}, auth=requires(perms.CHANGE_ORDER),
              summary="修改草稿订单 / Edit a draft order")
def patch_order(request, payload: OrderPatch, order_id: int = Path(..., ge=1, le=MAX_ID)):
    changes = _raw(payload, [name for name in (*HEADER, "lines", "credit_split") if name in payload.model_fields_set])
    if changes.get("salesperson_id") is not None:
        services.check_create_permissions(request.user, salesperson_id=changes["salesperson_id"])
    order = _order(request, order_id)
    current = {
        "customer_id": order.customer_id, "contract_id": order.contract_id, "salesperson_id": order.salesperson_id,
        "order_date": order.order_date, "requested_delivery_on": order.requested_delivery_on,
        "delivery_address": order.delivery_address, "delivery_contact": order.delivery_contact,
        "delivery_phone": order.delivery_phone, "notes": order.notes,
        "lines": [{"product_id": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
                  for line in order.lines.all()],
        "credit_split": [{"salesperson_id": cs.salesperson_id, "share": cs.share} for cs in order.credit_shares.all()],
    }
    merged = {**current, **changes}
    for name in ("customer_id", "order_date", "lines"):
        if merged[name] is None:
            merged[name] = current[name]
    if merged["customer_id"] != order.customer_id:  # another customer: its contract, owner and split
        for name in ("contract_id", "salesperson_id", "credit_split"):
            if name not in changes:
                merged[name] = None
    data = _order_input(request, **merged)
    services.update_order(actor=request.user, order=order, data=data)
    return _answer(request, order)


@router.get("/orders/{order_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_ORDER), summary="订单变更记录 / Change history")
def order_history(request, page: Query[PageParams], order_id: int = Path(..., ge=1, le=MAX_ID)):
    answer = history_response(get_for_user(Order, order_id, request.user), page.limit, page.offset)
    if not request.user.has_perm(perms.VIEW_PRICES):  # warehouse, planner: no amounts, old or new
        for item in answer["items"]:
            item["changes"] = {k: v for k, v in item["changes"].items() if k not in MONEY_FIELDS}
    return answer


@router.post("/orders/{order_id}/submit", response={200: OrderOut, **WRITE_ERRORS}, auth=requires(perms.SUBMIT_ORDER),
             summary="提交订单并上报财务 / Submit (finance is notified at once)")
def submit_order(request, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = services.submit_order(actor=request.user, order=_order(request, order_id))
    return _answer(request, order)


@router.post("/orders/{order_id}/cancel", response={200: OrderOut, **WRITE_ERRORS}, auth=requires(perms.CANCEL_ORDER),
             summary="取消订单 / Cancel a draft or submitted order")
def cancel_order(request, payload: ReasonIn, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = services.cancel_order(actor=request.user, order=_order(request, order_id), reason=payload.reason)
    return _answer(request, order)


@router.post("/orders/{order_id}/close", response={200: OrderOut, **WRITE_ERRORS}, auth=requires(perms.CLOSE_ORDER),
             summary="关闭未发货余量 / Close the unshipped remainder")
def close_order(request, payload: ReasonIn, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = services.close_order(actor=request.user, order=_order(request, order_id), reason=payload.reason)
    return _answer(request, order)


@router.post("/orders/{order_id}/approve-price", response={200: OrderOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_PRICE), summary="批准非标准价格 / Approve a non-standard price")
def approve_price(request, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = services.approve_price(actor=request.user, order=_order(request, order_id))
    return _answer(request, order)


@router.post("/orders/{order_id}/reject-price", response={200: OrderOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_PRICE), summary="驳回非标准价格 / Reject a non-standard price")
def reject_price(request, payload: OptionalReasonIn | None = None, order_id: int = Path(..., ge=1, le=MAX_ID)):
    reason = payload.reason if payload is not None else ""
    order = services.reject_price(actor=request.user, order=_order(request, order_id), reason=reason or "")
    return _answer(request, order)


@router.post("/orders/{order_id}/seen", response={200: OrderOut, **WRITE_ERRORS}, auth=requires(perms.MARK_SEEN),
             summary="财务标记已阅 / Finance has seen the order")
def mark_seen(request, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = services.mark_seen(actor=request.user, order=_order(request, order_id))
    return _answer(request, order)


@router.post("/orders/{order_id}/copy", response={201: OrderOut, **WRITE_ERRORS}, auth=requires(perms.ADD_ORDER),
             summary="复制订单（按今日价格） / Copy an order at today's prices")
def copy_order(request, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = services.copy_order(actor=request.user, source=_order(request, order_id))
    return Status(201, _answer(request, order))


# --- coordination -----------------------------------------------------------------------------


def coordination_payload(req: CoordinationRequest) -> dict[str, Any]:
    doc = req.order or req.contract
    return {
        "id": req.pk, "number": req.number, "kind": req.kind, "status": req.status, "order_id": req.order_id,
        "order_number": req.order.number if req.order_id else None, "contract_id": req.contract_id,
        "contract_number": req.contract.number if req.contract_id else None,
        "customer_id": doc.customer_id, "customer": doc.customer.name, "product_id": req.product_id,
        "sku": req.product.sku, "product": req.product.name, "unit": req.product.unit, "quantity": req.quantity,
        "needed_by": req.needed_by, "promised_on": req.promised_on, "promised_quantity": req.promised_quantity,
        "reply_note": req.reply_note, "replied_by_id": req.replied_by_id,
        "replied_by": req.replied_by.display_name if req.replied_by else None, "replied_at": req.replied_at,
        "created_at": req.created_at, "created_by_id": req.created_by_id,
    }


def _coordination(request, request_id: int) -> CoordinationRequest:
    return get_for_user(queries.coordination_for(request.user), request_id, request.user)


@router.post("/coordination", response={201: CoordinationOut, **WRITE_ERRORS}, auth=requires(perms.ADD_COORDINATION),
             summary="向生产部/计划供应部提出协调 / Ask production or supply")
def create_coordination(request, payload: CoordinationIn):
    refs = resolve_ids(request.user, order=(queries.order_base(), payload.order_id),
                       contract=(Contract.objects.select_related("customer"), payload.contract_id),
                       product=(Product, payload.product_id))
    req = services.request_coordination(
        actor=request.user, kind=payload.kind, product=refs["product"], quantity=payload.quantity,
        needed_by=payload.needed_by, order=refs["order"], contract=refs["contract"],
    )
    return Status(201, coordination_payload(_coordination(request, req.pk)))


@router.get("/coordination", response={200: ListOut[CoordinationOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_COORDINATION), summary="协调列表 / Coordination requests")
def list_coordination(request, filters: Query[CoordinationFilter], page: Query[PageParams]):
    data = {"q": filters.q, "kind": filters.kind, "status": filters.status, "order": filters.order_id,
            "contract": filters.contract_id, "open": filters.open}
    filterset = CoordinationFilterSet(data={k: v for k, v in data.items() if v is not None},
                                      queryset=queries.coordination_for(request.user), request=request, api=True)
    if not filterset.is_valid():
        raise InvalidInput({k: list(v) for k, v in filterset.errors.items()})
    result = paginate(filterset.qs.order_by("needed_by", "id"), page)
    result["items"] = [coordination_payload(r) for r in result["items"]]
    return result


@router.get("/coordination/{request_id}", response={200: CoordinationOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_COORDINATION), summary="协调 / One coordination request")
def get_coordination(request, request_id: int = Path(..., ge=1, le=MAX_ID)):
    return coordination_payload(_coordination(request, request_id))


@router.post("/coordination/{request_id}/reply", response={200: CoordinationOut, **WRITE_ERRORS},
             auth=requires(perms.REPLY_COORDINATION), summary="录入生产/供应答复 / Record the reply")
def reply_coordination(request, payload: ReplyIn, request_id: int = Path(..., ge=1, le=MAX_ID)):
    req = services.reply_coordination(
        actor=request.user, request=_coordination(request, request_id), status=payload.status,
        promised_on=payload.promised_on, promised_quantity=payload.promised_quantity, note=payload.note or "",
    )
    return coordination_payload(_coordination(request, req.pk))


@router.get("/coordination/{request_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_COORDINATION), summary="协调答复记录 / Reply history")
def coordination_history(request, page: Query[PageParams], request_id: int = Path(..., ge=1, le=MAX_ID)):
    return history_response(_coordination(request, request_id), page.limit, page.offset)
