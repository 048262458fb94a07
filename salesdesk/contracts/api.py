"""Contracts in the API (API.md, "Contracts"): create with lines and instalments, list, get, patch,
history; activate, terminate, complete, renew; the fulfilment overview (合同履行一览表), the
monthly/quarterly summary (月度、季度合同汇总) and the alerts (合同提醒)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, HistoryOut, ListOut, history_response
from salesdesk.api.types import Money, PositiveMoney, Quantity, Rate, UnitPrice
from salesdesk.catalog.models import Product
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.customers.models import Customer
from salesdesk.org.models import User
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from . import queries, services
from .models import Contract, ContractLine, Instalment

router = Router(tags=["contracts"])

KindCode = Literal["sales", "distribution", "framework"]
StatusCode = Literal["draft", "active", "completed", "terminated", "expired"]


class LineIn(Schema):
    product_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: Quantity
    unit_price: UnitPrice | None = Field(None, description="含税单价；省略则取客户价格等级价或标准价 / incl. tax")


class InstalmentIn(Schema):
    due_on: date
    amount: PositiveMoney
    note: str | None = Field(None, max_length=100)


class ContractIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    salesperson_id: int = Field(..., ge=1, le=MAX_ID)
    number: str | None = Field(None, max_length=40, description="手工编号（唯一）；省略则自动编号 HT2026-0001")
    kind: KindCode = "sales"
    signed_on: date
    starts_on: date
    ends_on: date
    lines: list[LineIn] = Field(..., max_length=500)
    instalments: list[InstalmentIn] | None = Field(None, max_length=120,
                                                   description="回款计划：各期之和必须等于合同金额 / must sum to the total")
    payment_terms: str | None = Field(None, max_length=300)
    deposit_rate: Rate | None = None
    credit_days: int | None = Field(None, ge=0, le=3650)
    delivery_terms: str | None = Field(None, max_length=300)
    notes: str | None = Field(None, max_length=5000)
    archive_no: str | None = Field(None, max_length=50)
    paper_location: str | None = Field(None, max_length=100)


class ContractPatch(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    number: str | None = Field(None, max_length=40)
    kind: KindCode | None = None
    signed_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    lines: list[LineIn] | None = Field(None, max_length=500, description="替换全部明细 / replaces every line")
    instalments: list[InstalmentIn] | None = Field(None, max_length=120, description="替换回款计划 / replaces them")
    payment_terms: str | None = Field(None, max_length=300)
    deposit_rate: Rate | None = None
    credit_days: int | None = Field(None, ge=0, le=3650)
    delivery_terms: str | None = Field(None, max_length=300)
    notes: str | None = Field(None, max_length=5000)
    archive_no: str | None = Field(None, max_length=50, description="归档号（任何状态可改）")
    paper_location: str | None = Field(None, max_length=100, description="纸质原件存放处（任何状态可改）")


class LineOut(Schema):
    id: int
    line_no: int
    product_id: int
    sku: str
    name: str
    unit: str
    quantity: Quantity
    unit_price: UnitPrice
    tax_rate: Rate
    amount: Money
    tax: Money

    @staticmethod
    def resolve_sku(obj: ContractLine) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_name(obj: ContractLine) -> str:
        return obj.product.name

    @staticmethod
    def resolve_unit(obj: ContractLine) -> str:
        return obj.product.unit


class InstalmentOut(Schema):
    seq: int
    due_on: date
    amount: Money
    note: str


class ContractOut(Schema):
    id: int
    number: str
    status: str
    kind: str
    customer_id: int
    customer: str
    salesperson_id: int
    salesperson: str
    signed_on: date
    starts_on: date
    ends_on: date
    total: Money
    tax_total: Money
    payment_terms: str
    deposit_rate: Rate | None
    credit_days: int | None
    delivery_terms: str
    notes: str
    archive_no: str
    paper_location: str
    renewal_of_id: int | None
    activated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    lines: list[LineOut]
    instalments: list[InstalmentOut]

    @staticmethod
    def resolve_customer(obj: Contract) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_salesperson(obj: Contract) -> str:
        return obj.salesperson.display_name

    @staticmethod
    def resolve_lines(obj: Contract) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_instalments(obj: Contract) -> list:
        return list(obj.instalments.all())


class ContractFilter(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: StatusCode | None = None
    kind: KindCode | None = None
    q: str | None = Field(None, max_length=100, description="合同编号、客户名称、拼音首字母 / number, customer")
    signed_from: date | None = Field(None, description="签订日期起 / signed on or after")
    signed_to: date | None = Field(None, description="签订日期止 / signed on or before")


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class OptionalReasonIn(Schema):
    reason: str | None = Field(None, max_length=300)


class RenewIn(Schema):
    number: str | None = Field(None, max_length=40)
    signed_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None


def contracts_for(user):
    return queries.contract_detail(user).prefetch_related(
        Prefetch("lines", queryset=ContractLine.objects.select_related("product").order_by("line_no")),
        Prefetch("instalments", queryset=Instalment.objects.order_by("seq")),
    )


def filter_contracts(qs, filters: ContractFilter):
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.salesperson_id:
        qs = qs.filter(salesperson_id=filters.salesperson_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.signed_from:
        qs = qs.filter(signed_on__gte=filters.signed_from)
    if filters.signed_to:
        qs = qs.filter(signed_on__lte=filters.signed_to)
    if filters.q:
        term = " ".join(filters.q.split())
        qs = qs.filter(Q(number__icontains=term) | Q(customer__search_text__icontains=term.lower())
                       | Q(customer__code__iexact=term) | Q(archive_no__icontains=term))
    return qs


def _salesperson(user, pk: int | None) -> User | None:
    """The named salesperson: outside the user's scope → 404; not a salesperson → 422 (service)."""
    if pk is None:
        return None
    scope = salesperson_scope(user)
    if scope is not None and pk not in scope:
        raise Http404
    return get_for_user(User, pk, user)


def _lines(user, lines: list[LineIn] | None) -> list[services.LineInput] | None:
    if lines is None:
        return None
    products = Product.objects.visible_to(user).in_bulk({line.product_id for line in lines})
    if len(products) != len({line.product_id for line in lines}):
        raise Http404
    return [services.LineInput(products[line.product_id], line.quantity, line.unit_price) for line in lines]


def _instalments(items: list[InstalmentIn] | None) -> list[services.InstalmentInput] | None:
    if items is None:
        return None
    return [services.InstalmentInput(i.due_on, i.amount, i.note or "") for i in items]


def _one(user, pk: int) -> Contract:
    return contracts_for(user).get(pk=pk)


@router.post("/contracts", response={201: ContractOut, **WRITE_ERRORS}, auth=requires(perms.ADD_CONTRACT),
             summary="新建合同 / Create a contract (draft)")
def create_contract(request, payload: ContractIn):
    user = request.user
    customer = resolve_ids(user, customer=(Customer, payload.customer_id))["customer"]
    salesperson = _salesperson(user, payload.salesperson_id)
    lines = _lines(user, payload.lines)
    data = payload.dict(exclude={"customer_id", "salesperson_id", "lines", "instalments"})
    contract = services.create_contract(
        actor=user, customer=customer, salesperson=salesperson, data=data, lines=lines,
        instalments=_instalments(payload.instalments) or [],
    )
    return Status(201, _one(user, contract.pk))


@router.get("/contracts", response={200: ListOut[ContractOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_CONTRACT),
            summary="合同列表 / Contracts")
def list_contracts(request, filters: Query[ContractFilter], page: Query[PageParams]):
    return paginate(filter_contracts(contracts_for(request.user), filters).order_by("-signed_on", "-id"), page)


# --- summary and alerts (before /contracts/{id}) ------------------------------------------------------


class PeriodOut(Schema):
    kind: str
    start: date
    end: date


class SummaryRowOut(Schema):
    key: int | None
    label: str
    contracts: int
    value: Money
    shipped_amount: Money
    received_amount: Money | None = Field(None, description="null when grouped by product (money is not per product)")
    fulfilment_rate: str | None = Field(None, description="shipped ÷ value, 4 decimals; null without value")
    collection_rate: str | None = Field(None, description="资金回笼 = received ÷ value; null without value")


class SummaryOut(Schema):
    period: PeriodOut
    group_by: str
    rows: list[SummaryRowOut]
    totals: SummaryRowOut


class SummaryQuery(Schema):
    period: Literal["month", "quarter"] = "month"
    date: dt.date | None = Field(None, description="任一日期，取其所在月/季 / any day of the period (default today)")
    group_by: Literal["salesperson", "customer", "product"] = "salesperson"


def _rate_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def summary_row(row: queries.SummaryRow) -> dict[str, Any]:
    return {
        "key": row.key, "label": row.label, "contracts": row.contracts, "value": row.value,
        "shipped_amount": row.shipped_amount, "received_amount": row.received_amount,
        "fulfilment_rate": _rate_text(row.fulfilment_rate), "collection_rate": _rate_text(row.collection_rate),
    }


@router.get("/contracts/summary", response={200: SummaryOut, **COMMON_ERRORS}, auth=requires(perms.VIEW_CONTRACT),
            summary="月度、季度合同汇总 / Contract summary for a month or quarter")
def contract_summary(request, params: Query[SummaryQuery]):
    result = queries.summary(request.user, params.period, params.date or timezone.localdate(), params.group_by)
    return {
        "period": {"kind": result.period_kind, "start": result.start, "end": result.end},
        "group_by": result.group_by, "rows": [summary_row(r) for r in result.rows],
        "totals": summary_row(result.totals),
    }


class AlertContractOut(Schema):
    id: int
    number: str
    customer_id: int
    customer: str
    salesperson_id: int
    salesperson: str
    ends_on: date
    total: Money
    last_order_on: date | None = None


class AlertInstalmentOut(Schema):
    contract_id: int
    number: str
    customer: str
    salesperson_id: int
    seq: int
    due_on: date
    amount: Money
    received_amount: Money
    outstanding_amount: Money
    overdue: bool
    days_overdue: int


class AlertsOut(Schema):
    as_of: date
    expiring: list[AlertContractOut]
    instalments: list[AlertInstalmentOut]
    idle: list[AlertContractOut]


class AlertsQuery(Schema):
    expiring_days: int = Field(30, ge=0, le=3650, description="到期提醒天数 / contracts ending within N days")
    due_days: int = Field(7, ge=0, le=3650, description="回款提醒天数 / instalments due within N days or overdue")
    idle_days: int = Field(30, ge=1, le=3650, description="无订单天数 / active contracts without an order for N days")


def _alert_contract(c: Contract) -> dict[str, Any]:
    return {"id": c.pk, "number": c.number, "customer_id": c.customer_id, "customer": c.customer.name,
            "salesperson_id": c.salesperson_id, "salesperson": c.salesperson.display_name, "ends_on": c.ends_on,
            "total": c.total, "last_order_on": getattr(c, "last_order_on", None)}


@router.get("/contracts/alerts", response={200: AlertsOut, **COMMON_ERRORS}, auth=requires(perms.VIEW_CONTRACT),
            summary="合同提醒：即将到期、待回款、长期无订单 / Contract alerts")
def contract_alerts(request, params: Query[AlertsQuery]):
    user, today = request.user, timezone.localdate()
    due = queries.instalments_due(user, params.due_days, today)
    return {
        "as_of": today,
        "expiring": [_alert_contract(c) for c in queries.expiring(user, params.expiring_days, today)[:500]],
        "instalments": [
            {"contract_id": d.contract.pk, "number": d.contract.number, "customer": d.contract.customer.name,
             "salesperson_id": d.contract.salesperson_id, "seq": d.instalment.seq, "due_on": d.instalment.due_on,
             "amount": d.instalment.amount, "received_amount": d.instalment.received_amount,
             "outstanding_amount": d.instalment.outstanding_amount, "overdue": d.instalment.overdue,
             "days_overdue": d.days_overdue}
            for d in due[:500]
        ],
        "idle": [_alert_contract(c) for c in queries.idle(user, params.idle_days, today)[:500]],
    }


# --- one contract -------------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}", response={200: ContractOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CONTRACT), summary="合同 / One contract")
def get_contract(request, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(contracts_for(request.user), contract_id, request.user)


@router.patch("/contracts/{contract_id}", response={200: ContractOut, **WRITE_ERRORS},
              auth=requires(perms.CHANGE_CONTRACT),
              summary="修改合同（草稿：全部；其他状态：归档号、存放处、备注） / Edit a contract")
def patch_contract(request, payload: ContractPatch, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    user = request.user
    contract = get_for_user(queries.contract_detail(), contract_id, user)
    changes = payload.dict(exclude_unset=True)
    customer = resolve_ids(user, customer=(Customer, changes.pop("customer_id", None)))["customer"]
    salesperson = _salesperson(user, changes.pop("salesperson_id", None))
    lines = _lines(user, payload.lines if "lines" in changes else None)
    instalments = _instalments(payload.instalments or [] if "instalments" in changes else None)
    changes.pop("lines", None)
    changes.pop("instalments", None)
    services.update_contract(actor=user, contract=contract, data=changes, lines=lines, instalments=instalments,
                             customer=customer, salesperson=salesperson)
    return _one(user, contract.pk)


@router.post("/contracts/{contract_id}/activate", response={200: ContractOut, **WRITE_ERRORS},
             auth=requires(perms.ACTIVATE_CONTRACT), summary="合同生效 / Activate a draft → active")
def activate_contract(request, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    contract = get_for_user(queries.contract_detail(), contract_id, request.user)
    services.activate_contract(actor=request.user, contract=contract)
    return _one(request.user, contract.pk)


@router.post("/contracts/{contract_id}/terminate", response={200: ContractOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_CONTRACT), summary="终止合同 / Terminate → terminated")
def terminate_contract(request, payload: ReasonIn, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    contract = get_for_user(queries.contract_detail(), contract_id, request.user)
    services.terminate_contract(actor=request.user, contract=contract, reason=payload.reason)
    return _one(request.user, contract.pk)


@router.post("/contracts/{contract_id}/complete", response={200: ContractOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_CONTRACT), summary="合同完成 / Complete → completed")
def complete_contract(request, payload: OptionalReasonIn, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    contract = get_for_user(queries.contract_detail(), contract_id, request.user)
    services.complete_contract(actor=request.user, contract=contract, reason=payload.reason or "")
    return _one(request.user, contract.pk)


@router.post("/contracts/{contract_id}/renew", response={201: ContractOut, **WRITE_ERRORS},
             auth=requires(perms.ADD_CONTRACT), summary="续签：新草稿合同 / Renew: a new draft linked to this one")
def renew_contract(request, payload: RenewIn, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    contract = get_for_user(queries.contract_detail(), contract_id, request.user)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    renewal = services.renew_contract(actor=request.user, contract=contract, data=data)
    return Status(201, _one(request.user, renewal.pk))


@router.get("/contracts/{contract_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CONTRACT), summary="合同变更记录 / Change history")
def contract_history(request, page: Query[PageParams], contract_id: int = Path(..., ge=1, le=MAX_ID)):
    return history_response(get_for_user(Contract, contract_id, request.user), page.limit, page.offset)


class FulfilmentLineOut(Schema):
    line_no: int
    product_id: int
    sku: str
    name: str
    unit: str
    quantity: Quantity
    unit_price: UnitPrice
    amount: Money
    ordered_quantity: Quantity
    ordered_amount: Money
    shipped_quantity: Quantity
    shipped_amount: Money
    remaining_quantity: Quantity = Field(..., description="合同数量 − 已下单数量（不小于 0）/ left to order")
    invoiced_quantity: Quantity
    invoiced_amount: Money
    received_amount: Money = Field(..., description="contract money spread over lines by shipped value")
    receivable_amount: Money
    outstanding_amount: Money


class FulfilmentInstalmentOut(Schema):
    seq: int
    due_on: date
    amount: Money
    received_amount: Money
    outstanding_amount: Money
    overdue: bool
    days_overdue: int


class FulfilmentOut(Schema):
    contract_id: int
    number: str
    as_of: date
    total: Money
    ordered_amount: Money
    shipped_amount: Money
    invoiced_amount: Money
    received_amount: Money
    receivable_amount: Money = Field(..., description="shipped − received")
    outstanding_amount: Money = Field(..., description="total − received")
    fulfilment_rate: str | None
    collection_rate: str | None
    other_shipped_amount: Money = Field(..., description="shipped value not on the contract's lines")
    other_invoiced_amount: Money = Field(..., description="invoiced without lines (totals only)")
    unmatched_received_amount: Money = Field(..., description="money beyond the lines' shipped value (advance)")
    lines: list[FulfilmentLineOut]
    instalments: list[FulfilmentInstalmentOut]


def fulfilment_out(contract: Contract, result: queries.Fulfilment) -> dict[str, Any]:
    return {
        "contract_id": contract.pk, "number": contract.number, "as_of": result.as_of, "total": result.total,
        "ordered_amount": result.ordered_amount, "shipped_amount": result.shipped_amount,
        "invoiced_amount": result.invoiced_amount, "received_amount": result.received_amount,
        "receivable_amount": result.receivable_amount, "outstanding_amount": result.outstanding_amount,
        "fulfilment_rate": _rate_text(result.fulfilment_rate), "collection_rate": _rate_text(result.collection_rate),
        "other_shipped_amount": result.other_shipped_amount, "other_invoiced_amount": result.other_invoiced_amount,
        "unmatched_received_amount": result.unmatched_received_amount,
        "lines": [line.__dict__ for line in result.lines],
        "instalments": [i.__dict__ for i in result.instalments],
    }


@router.get("/contracts/{contract_id}/fulfilment", response={200: FulfilmentOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CONTRACT), summary="合同履行一览表 / Fulfilment overview")
def contract_fulfilment(request, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    contract = get_for_user(Contract, contract_id, request.user)
    return fulfilment_out(contract, queries.fulfilment(contract))
