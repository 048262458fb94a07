"""Receivables in the API (API.md, Receivables): aging as of a day, the open items, a customer's AR
ledger, and collection follow-ups (催款记录). Rows are narrowed by the caller's visibility."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, PositiveMoney, Timestamp
from salesdesk.contracts.models import Contract
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.customers.models import Customer
from salesdesk.orders.models import Order

from . import receivables as ar
from .choices import CollectionChannel
from .models import CollectionNote, Receivable

router = Router(tags=["receivables"])


def _sane_year(value: date) -> date:
    if not 1990 <= value.year <= 2100:
        raise ValueError("year out of range (1990–2100)")
    return value


Day = Annotated[date, AfterValidator(_sane_year)]
ChannelCode = Literal["phone", "visit", "wechat", "email", "letter"]


# --- aging ----------------------------------------------------------------------------------------


class AgingQuery(Schema):
    as_of: Day | None = Field(None, description="截止日 / as of (default today)")
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID, description="客户负责业务员 / the customers' owner")
    basis: Literal["due", "shipment"] = Field(
        "due", description="due: 按逾期天数 / days past due; shipment: 按发货天数 / days since shipment")


class AgingTotalsOut(Schema):
    total: Money
    overdue: Money
    advance: Money
    by_bucket: dict[str, Money]


class AgingRowOut(AgingTotalsOut):
    customer_id: int
    customer: str
    code: str
    salesperson: str


class AgingOut(Schema):
    as_of: date
    basis: str
    buckets: list[str]
    rows: list[AgingRowOut]
    totals: AgingTotalsOut


def visible_customers(user, salesperson_id: int | None = None):
    customers = Customer.objects.visible_to(user)
    if salesperson_id is not None:
        customers = customers.filter(salesperson_id=salesperson_id)
    return customers


@router.get("/receivables/aging", response={200: AgingOut, **COMMON_ERRORS}, auth=requires(ar.VIEW_RECEIVABLE),
            summary="应收账龄 / Receivables aging as of a day")
def receivables_aging(request, query: Query[AgingQuery]):
    """Open receivables per customer by days past due (``not_due`` = not yet due or not yet
    anchored); ``overdue`` is everything past due; ``advance`` the customer's unmatched money."""
    report = ar.aging(visible_customers(request.user, query.salesperson_id), as_of=query.as_of, basis=query.basis)
    return {"as_of": report.as_of, "basis": report.basis, "buckets": list(report.buckets), "rows": report.rows,
            "totals": report.totals}


# --- open items -----------------------------------------------------------------------------------


class ReceivableOut(Schema):
    id: int
    source_kind: str
    source_id: int
    number: str
    customer_id: int
    customer: str
    order_id: int | None
    order_number: str | None
    contract_id: int | None
    contract_number: str | None
    salesperson_id: int | None
    amount: Money
    written_off: Money
    settled: Money
    open_amount: Money
    shipped_on: date
    arises_on: date | None
    due_on: date | None
    days_past_due: int | None
    days_since_shipment: int
    bucket: str
    overdue: bool


def receivable_out(item: ar.OpenItem) -> dict:
    r = item.receivable
    return {
        "id": r.pk, "source_kind": r.source_kind, "source_id": r.source_id, "number": r.number,
        "customer_id": r.customer_id, "customer": r.customer.name, "order_id": r.order_id,
        "order_number": r.order.number if r.order_id else None, "contract_id": r.contract_id,
        "contract_number": r.contract.number if r.contract_id else None, "salesperson_id": r.salesperson_id,
        "amount": item.amount, "written_off": item.written_off, "settled": item.settled,
        "open_amount": item.open_amount, "shipped_on": r.shipped_on, "arises_on": r.arises_on, "due_on": r.due_on,
        "days_past_due": item.days_past_due, "days_since_shipment": item.days_since_shipment, "bucket": item.bucket,
        "overdue": item.overdue,
    }


class ReceivableQuery(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID, description="客户负责业务员 / the customer's owner")
    overdue: bool | None = Field(None, description="true: 只看逾期 / past due only; false: 未逾期 / not past due")
    as_of: Day | None = None


@router.get("/receivables", response={200: ListOut[ReceivableOut], **COMMON_ERRORS},
            auth=requires(ar.VIEW_RECEIVABLE), summary="未收应收明细 / Open receivables")
def list_receivables(request, query: Query[ReceivableQuery], page: Query[PageParams]):
    """Receivables with something still open, oldest due first per customer."""
    refs = resolve_ids(request.user, customer=(Customer, query.customer_id), contract=(Contract, query.contract_id),
                       order=(Order, query.order_id))
    items = ar.visible_open_items(request.user, **refs, salesperson_id=query.salesperson_id, as_of=query.as_of,
                          overdue=query.overdue)
    shown = ar.hydrate(items[page.offset:page.offset + page.limit])
    return {"count": len(items), "items": [receivable_out(i) for i in shown]}


class CustomerLedgerOut(Schema):
    customer_id: int
    customer: str
    as_of: date
    receivable_amount: Money
    open_amount: Money
    overdue: Money
    advance: Money
    balance: Money
    by_bucket: dict[str, Money]
    items: list[ReceivableOut]


def customer_ledger(customer: Customer, as_of: date | None) -> dict:
    """A customer's AR ledger (应收账款明细): every receivable counted as of the day with what was
    written off and matched, and the totals."""
    ledger = ar.build_ledger([customer.pk], as_of=as_of)
    pos = ar.positions(ledger).get(customer.pk) or ar.Position(customer.pk, by_bucket=dict.fromkeys(ar.BUCKETS, ar.ZERO))
    return {
        "customer_id": customer.pk, "customer": customer.name, "as_of": ledger.as_of,
        "receivable_amount": sum((i.amount for i in ledger.items), Decimal("0.00")),
        "open_amount": pos.receivable, "overdue": pos.overdue, "advance": pos.advance, "balance": pos.balance,
        "by_bucket": pos.by_bucket, "items": [receivable_out(i) for i in ledger.items],
    }


@router.get("/customers/{customer_id}/receivables", response={200: CustomerLedgerOut, **COMMON_ERRORS},
            auth=requires(ar.VIEW_RECEIVABLE), summary="客户应收明细账 / A customer's AR ledger")
def customer_receivables(request, customer_id: int = Path(..., ge=1, le=MAX_ID), as_of: Day | None = None):
    return customer_ledger(get_for_user(Customer, customer_id, request.user), as_of)


# --- collection follow-ups ------------------------------------------------------------------------


class CollectionIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    receivable_id: int | None = Field(None, ge=1, le=MAX_ID)
    contacted_on: Day
    channel: ChannelCode
    contact_name: str | None = Field(None, max_length=50)
    promised_on: Day | None = None
    promised_amount: PositiveMoney | None = None
    result: str = Field(..., min_length=1, max_length=500)


class CollectionOut(Schema):
    id: int
    customer_id: int
    customer: str
    receivable_id: int | None
    contacted_on: date
    channel: str
    contact_name: str
    promised_on: date | None
    promised_amount: Money | None
    result: str
    by_id: int
    by: str
    created_at: Timestamp

    @staticmethod
    def resolve_customer(obj: CollectionNote) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_by(obj: CollectionNote) -> str:
        return obj.by.display_name


class CollectionQuery(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel: ChannelCode | None = None
    promised_from: Day | None = None
    promised_to: Day | None = None


def notes_for(user):
    return CollectionNote.objects.visible_to(user).select_related("customer", "by")


@router.get("/collections", response={200: ListOut[CollectionOut], **COMMON_ERRORS},
            auth=requires(ar.VIEW_RECEIVABLE), summary="催款记录 / Collection follow-ups")
def list_collections(request, query: Query[CollectionQuery], page: Query[PageParams]):
    qs = notes_for(request.user).order_by("-contacted_on", "-id")
    if query.customer_id:
        qs = qs.filter(customer_id=query.customer_id)
    if query.channel:
        qs = qs.filter(channel=query.channel)
    if query.promised_from:
        qs = qs.filter(promised_on__gte=query.promised_from)
    if query.promised_to:
        qs = qs.filter(promised_on__lte=query.promised_to)
    return paginate(qs, page)


@router.post("/collections", response={201: CollectionOut, **WRITE_ERRORS}, auth=requires(ar.ADD_COLLECTION_NOTE),
             summary="登记催款记录 / Record a collection follow-up")
def create_collection(request, payload: CollectionIn):
    refs = resolve_ids(request.user, customer=(Customer, payload.customer_id),
                       receivable=(Receivable, payload.receivable_id))
    note = ar.record_collection_note(
        actor=request.user, customer=refs["customer"], receivable=refs["receivable"],
        contacted_on=payload.contacted_on, channel=CollectionChannel(payload.channel),
        contact_name=payload.contact_name or "", promised_on=payload.promised_on,
        promised_amount=payload.promised_amount, result=payload.result,
    )
    return Status(201, notes_for(request.user).get(pk=note.pk))
