"""Payments (回款) and gate exceptions in the API (API.md, Payments; Orders exceptions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.idempotency import run_once
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, PositiveMoney
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.customers.models import Customer
from salesdesk.orders.models import Order

from . import permissions as perms
from . import services
from .models import Allocation, GateException, Payment

router = Router(tags=["payments"])

MethodCode = Literal["bank_transfer", "cash", "bank_acceptance", "commercial_acceptance", "wechat", "alipay", "other"]


class PaymentIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    amount: PositiveMoney
    received_on: date
    method: MethodCode
    payer_name: str | None = Field(None, max_length=200)
    payer_account: str | None = Field(None, max_length=50)
    reference: str | None = Field(None, max_length=100)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    bill_maturity: date | None = None
    note: str | None = Field(None, max_length=300)
    kind: Literal["receipt", "refund"] = "receipt"


class AllocationOut(Schema):
    order_id: int
    order_number: str
    amount: Money
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_order_number(obj: Allocation) -> str:
        return obj.order.number


class PaymentOut(Schema):
    id: int
    number: str
    kind: str
    customer_id: int
    customer: str
    order_id: int | None
    amount: Money
    received_on: date
    method: str
    payer_name: str
    payer_differs: bool
    reference: str
    bill_maturity: date | None
    status: str
    accounting_period: str
    confirmed_at: datetime | None
    reject_reason: str
    note: str
    recorded_by_id: int
    created_at: datetime
    allocated_amount: Money
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_customer(obj: Payment) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_allocations(obj: Payment) -> list:
        return list(obj.allocations.all())

    @staticmethod
    def resolve_allocated_amount(obj: Payment):
        return sum((a.amount for a in obj.allocations.all()), start=obj.amount * 0)


class PaymentFilter(Schema):
    status: Literal["pending", "confirmed", "rejected"] | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    method: MethodCode | None = None
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = Field(None, max_length=100)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class AllocationIn(Schema):
    order_id: int = Field(..., ge=1, le=MAX_ID)
    amount: PositiveMoney


class AllocateIn(Schema):
    allocations: list[AllocationIn] = Field(..., max_length=200)


def payments_for(user):
    return Payment.objects.visible_to(user).select_related("customer").prefetch_related(
        Prefetch("allocations", queryset=Allocation.objects.select_related("order").order_by("id"))
    )


@router.post("/payments", response={201: PaymentOut, **WRITE_ERRORS}, auth=requires(perms.ADD_PAYMENT),
             summary="登记回款 / Record a payment (pending until finance confirms)")
def create_payment(request, payload: PaymentIn):
    refs = resolve_ids(request.user, customer=(Customer, payload.customer_id), order=(Order, payload.order_id))

    def create():
        return services.record_payment(actor=request.user, data=services.PaymentInput(
            customer=refs["customer"], amount=payload.amount, received_on=payload.received_on, method=payload.method,
            payer_name=payload.payer_name or "", payer_account=payload.payer_account or "",
            reference=payload.reference or "", order=refs["order"], bill_maturity=payload.bill_maturity,
            note=payload.note or "", kind=payload.kind,
        ))

    payment = run_once(request, payload.dict(), create, lambda pk: payments_for(request.user).get(pk=pk))
    return Status(201, payments_for(request.user).get(pk=payment.pk))


@router.get("/payments", response={200: ListOut[PaymentOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_PAYMENT),
            summary="回款列表 / Payments")
def list_payments(request, filters: Query[PaymentFilter], page: Query[PageParams]):
    qs = payments_for(request.user).order_by("-created_at", "-id")
    for field in ("status", "customer_id", "order_id", "method"):
        if getattr(filters, field):
            qs = qs.filter(**{field: getattr(filters, field)})
    if filters.received_from:
        qs = qs.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        qs = qs.filter(received_on__lte=filters.received_to)
    if filters.q:
        qs = qs.filter(number__icontains=filters.q) | qs.filter(payer_name__icontains=filters.q) | qs.filter(
            customer__search_text__icontains=filters.q.lower())
    return paginate(qs, page)


@router.get("/payments/{payment_id}", response={200: PaymentOut, **COMMON_ERRORS}, auth=requires(perms.VIEW_PAYMENT),
            summary="回款 / One payment")
def get_payment(request, payment_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(payments_for(request.user), payment_id, request.user)


@router.post("/payments/{payment_id}/confirm", response={200: PaymentOut, **WRITE_ERRORS},
             auth=requires(perms.CONFIRM_PAYMENT), summary="财务确认到账 / Finance confirms")
def confirm_payment(request, payment_id: int = Path(..., ge=1, le=MAX_ID)):
    payment = get_for_user(Payment, payment_id, request.user)
    services.confirm_payment(actor=request.user, payment=payment)
    return payments_for(request.user).get(pk=payment.pk)


@router.post("/payments/{payment_id}/reject", response={200: PaymentOut, **WRITE_ERRORS},
             auth=requires(perms.CONFIRM_PAYMENT), summary="财务驳回 / Finance rejects")
def reject_payment(request, payload: ReasonIn, payment_id: int = Path(..., ge=1, le=MAX_ID)):
    payment = get_for_user(Payment, payment_id, request.user)
    services.reject_payment(actor=request.user, payment=payment, reason=payload.reason)
    return payments_for(request.user).get(pk=payment.pk)


@router.post("/payments/{payment_id}/allocate", response={200: PaymentOut, **WRITE_ERRORS},
             auth=requires(perms.ALLOCATE_PAYMENT), summary="重新分配 / Re-allocate in one step")
def allocate_payment(request, payload: AllocateIn, payment_id: int = Path(..., ge=1, le=MAX_ID)):
    payment = get_for_user(Payment, payment_id, request.user)
    orders = [(get_for_user(Order, a.order_id, request.user), a.amount) for a in payload.allocations]
    services.reallocate(actor=request.user, payment=payment, allocations=orders)
    return payments_for(request.user).get(pk=payment.pk)


# --- gate exceptions -------------------------------------------------------------------------


class ExceptionIn(Schema):
    amount: PositiveMoney
    reason: str = Field(..., min_length=1, max_length=300)
    expires_on: date


class ExceptionOut(Schema):
    id: int
    order_id: int
    amount: Money
    reason: str
    expires_on: date
    status: str
    requested_by_id: int
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str


class DecisionIn(Schema):
    note: str | None = Field(None, max_length=300)


@router.post("/orders/{order_id}/exceptions", response={201: ExceptionOut, **WRITE_ERRORS},
             auth=requires(perms.ADD_EXCEPTION), summary="申请发货例外 / Request a gate exception")
def request_exception(request, payload: ExceptionIn, order_id: int = Path(..., ge=1, le=MAX_ID)):
    order = get_for_user(Order, order_id, request.user)
    return Status(201, services.request_exception(actor=request.user, order=order, amount=payload.amount,
                                                  reason=payload.reason, expires_on=payload.expires_on))


@router.get("/exceptions", response={200: ListOut[ExceptionOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_EXCEPTION), summary="发货例外 / Gate exceptions")
def list_exceptions(request, page: Query[PageParams], status: Literal["pending", "approved", "rejected"] | None = None):
    qs = GateException.objects.visible_to(request.user).order_by("-requested_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, page)


@router.post("/exceptions/{exception_id}/approve", response={200: ExceptionOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_EXCEPTION), summary="批准发货例外 / Approve")
def approve_exception(request, payload: DecisionIn | None = None, exception_id: int = Path(..., ge=1, le=MAX_ID)):
    exc = get_for_user(GateException, exception_id, request.user)
    return services.decide_exception(actor=request.user, exception=exc, approve=True, note=(payload.note if payload else "") or "")


@router.post("/exceptions/{exception_id}/reject", response={200: ExceptionOut, **WRITE_ERRORS},
             auth=requires(perms.APPROVE_EXCEPTION), summary="驳回发货例外 / Reject")
def reject_exception(request, payload: DecisionIn | None = None, exception_id: int = Path(..., ge=1, le=MAX_ID)):
    exc = get_for_user(GateException, exception_id, request.user)
    return services.decide_exception(actor=request.user, exception=exc, approve=False,
                                     note=(payload.note if payload else "") or "")
