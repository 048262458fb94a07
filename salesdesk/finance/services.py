"""Writes of finance: recording payments (the clerk's "has the money arrived?"), finance's
confirmation or rejection, allocation of confirmed money to orders, and gate exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.notifications import notify
from salesdesk.core.numbering import next_number
from salesdesk.core.registries import run_hooks
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.periods import accounting_period
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import permissions as perms
from .balances import ZERO, allocated_to_order, payment_free_amounts
from .choices import ExceptionStatus, PaymentKind, PaymentStatus
from .errors import FinanceErrorCode
from .models import Allocation, GateException, Payment


def lock_customer(customer_id: int) -> Customer:
    """The gate and every movement of a customer's money serialise on the customer row: advances
    and credit belong to the customer, not to one order (DESIGN.md)."""
    return Customer.objects.select_for_update().get(pk=customer_id)


def _shares_for(order, customer: Customer) -> list[Share]:
    if order is not None:
        shares = [Share(s.salesperson_id, s.share, s.team_id) for s in order.credit_shares.all()]
        if shares:
            return shares
        return [Share(order.salesperson_id, Decimal(1), order.salesperson.team_id)]
    return [Share(customer.salesperson_id, Decimal(1), customer.salesperson.team_id)]


@dataclass(frozen=True)
class PaymentInput:
    customer: Customer
    amount: Decimal
    received_on: date
    method: str
    payer_name: str = ""
    payer_account: str = ""
    reference: str = ""
    order: object | None = None
    bill_maturity: date | None = None
    note: str = ""
    kind: str = PaymentKind.RECEIPT


@transaction.atomic
def record_payment(*, actor: User, data: PaymentInput) -> Payment:
    """Record money as pending. Naming an order makes it the clerk's request to finance: "has the
    money for this order arrived?" — finance is told at once."""
    if not actor.has_perm(perms.ADD_PAYMENT):
        raise PermissionDenied
    if data.kind == PaymentKind.REFUND and not actor.has_role(Role.FINANCE):
        raise PermissionDenied("退款只能由财务登记 / Only finance records refunds.")
    amount = quantize_money(data.amount)
    if amount <= 0:
        raise InvalidInput({"amount": ["金额必须大于 0 / The amount must be positive."]})
    if data.order is not None and data.order.customer_id != data.customer.pk:
        raise InvalidInput({"order_id": ["订单不属于该客户 / The order belongs to another customer."]})
    payment = Payment(
        number=next_number("HK"), customer=data.customer, order=data.order, amount=amount,
        received_on=data.received_on, method=data.method, payer_name=data.payer_name.strip(),
        payer_account=data.payer_account, reference=data.reference.strip(), bill_maturity=data.bill_maturity,
        note=data.note, kind=data.kind, recorded_by=actor,
    )
    payment._history_user = actor
    payment.save()
    finance = User.objects.with_role(Role.FINANCE).filter(is_active=True)
    what = f"订单 {data.order.number} " if data.order is not None else ""
    notify(finance, f"请确认回款 {payment.number}：{data.customer.name} ¥{amount:,.2f}",
           f"{what}到账日期 {data.received_on:%Y-%m-%d}，{payment.get_method_display()}，付款人 {payment.payer_name or '—'}",
           url=f"/finance/payments/{payment.pk}/", kind="payment_pending", dedupe_key=f"payment-recorded:{payment.pk}")
    return payment


def _allocate(payment: Payment, order, amount: Decimal, actor, reason: str) -> Allocation:
    return Allocation.objects.create(payment=payment, order=order, customer_id=payment.customer_id, amount=amount,
                                     reason=reason, created_by=actor)


@transaction.atomic
def confirm_payment(*, actor: User, payment: Payment, period: str | None = None) -> Payment:
    """Finance has seen the money in the bank: it counts from now on. Allocated to the named order
    (as far as the order still needs it), the rest kept as the customer's advance (预收).
    Money received in a month finance has locked is booked into the first open month after it
    (its accounting period; the received date stays as the bank says)."""
    if not actor.has_perm(perms.CONFIRM_PAYMENT):
        raise PermissionDenied
    customer = lock_customer(payment.customer_id)
    now = timezone.now()
    period = period or accounting_period(payment.received_on)
    changed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
        status=PaymentStatus.CONFIRMED, confirmed_by=actor, confirmed_at=now, accounting_period=period
    )
    if not changed:
        raise DomainError("该回款已处理 / This payment was already handled.", code=FinanceErrorCode.PAYMENT_NOT_PENDING)
    payment = Payment.objects.select_related("order__salesperson", "customer").get(pk=payment.pk)
    payment._history_user = actor
    payment.save()  # the conditional UPDATE bypassed history: write the row now
    order = payment.order
    if payment.kind == PaymentKind.RECEIPT and order is not None and order.status not in {"cancelled", "closed"}:
        need = order.total - allocated_to_order(order.pk)
        if need > 0:
            _allocate(payment, order, min(need, payment.amount), actor, "confirm")
    kind = FactKind.RECEIVED if payment.kind == PaymentKind.RECEIPT else FactKind.REFUNDED
    record([FactInput(
        kind=kind, business_date=payment.received_on, amount=payment.amount, customer_id=customer.pk,
        source_kind="payment", source_id=payment.pk, shares=_shares_for(order, customer),
        order_id=order.pk if order is not None else None,
        contract_id=order.contract_id if order is not None else None, period=period,
    )], actor=actor)
    if order is not None:
        run_hooks("order_money_changed", order=order, actor=actor)
    notify([payment.recorded_by], f"回款已到账 {payment.number}：¥{payment.amount:,.2f}", customer.name,
           url=f"/finance/payments/{payment.pk}/", kind="payment_confirmed", email=False,
           dedupe_key=f"payment-confirmed:{payment.pk}")
    return payment


@transaction.atomic
def reject_payment(*, actor: User, payment: Payment, reason: str) -> Payment:
    if not actor.has_perm(perms.CONFIRM_PAYMENT):
        raise PermissionDenied
    if not reason.strip():
        raise InvalidInput({"reason": ["请填写驳回原因 / A reason is required."]})
    changed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
        status=PaymentStatus.REJECTED, confirmed_by=actor, confirmed_at=timezone.now(), reject_reason=reason[:300]
    )
    if not changed:
        raise DomainError("该回款已处理 / This payment was already handled.", code=FinanceErrorCode.PAYMENT_NOT_PENDING)
    payment.refresh_from_db()
    payment._history_user = actor
    payment.save()
    notify([payment.recorded_by], f"回款未到账 {payment.number}", reason, url=f"/finance/payments/{payment.pk}/",
           kind="payment_rejected", dedupe_key=f"payment-rejected:{payment.pk}")
    return payment


@transaction.atomic
def reallocate(*, actor: User, payment: Payment, allocations: Sequence[tuple[object, Decimal]]) -> Payment:
    """Finance sets, in one step, how much of a confirmed payment sits on each order; what is not
    listed goes back to the advance. Writes only the difference rows (allocations are immutable)."""
    if not actor.has_perm(perms.ALLOCATE_PAYMENT):
        raise PermissionDenied
    lock_customer(payment.customer_id)
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != PaymentStatus.CONFIRMED or payment.kind != PaymentKind.RECEIPT:
        raise DomainError("只能分配已确认的收款 / Only confirmed receipts can be allocated.",
                          code=FinanceErrorCode.PAYMENT_NOT_PENDING)
    wanted: dict[int, Decimal] = {}
    orders = {}
    for order, amount in allocations:
        if order.customer_id != payment.customer_id:
            raise InvalidInput({"allocations": ["订单不属于该客户 / An order belongs to another customer."]})
        amount = quantize_money(amount)
        if amount < 0:
            raise InvalidInput({"allocations": ["分配金额不能为负 / Amounts cannot be negative."]})
        wanted[order.pk] = wanted.get(order.pk, ZERO) + amount
        orders[order.pk] = order
    if sum(wanted.values(), ZERO) > payment.amount:
        raise DomainError(
            f"分配合计超过回款金额 ¥{payment.amount:,.2f} / Allocations exceed the payment.",
            code=FinanceErrorCode.OVER_ALLOCATION,
        )
    current: dict[int, Decimal] = {}
    for row in payment.allocations.all():
        current[row.order_id] = current.get(row.order_id, ZERO) + row.amount
    for order_id in sorted(set(current) | set(wanted)):
        delta = wanted.get(order_id, ZERO) - current.get(order_id, ZERO)
        if delta:
            order = orders.get(order_id) or payment.allocations.filter(order_id=order_id).first().order
            _allocate(payment, order, delta, actor, "reallocate")
            run_hooks("order_money_changed", order=order, actor=actor)
    return payment


def allocate_free_advance(*, actor, customer_id: int, order, amount: Decimal) -> Decimal:
    """Move up to ``amount`` of the customer's free advance onto ``order``, oldest payments first.
    The caller holds the customer lock. Returns what was moved."""
    moved = ZERO
    for payment_id, free in payment_free_amounts(customer_id):
        if moved >= amount:
            break
        take = min(free, amount - moved)
        Allocation.objects.create(payment_id=payment_id, order=order, customer_id=customer_id, amount=take,
                                  reason="gate", created_by=actor)
        moved += take
    return moved


def return_order_money_to_advance(*, actor, order) -> Decimal:
    """A cancelled order gives its allocated money back to the customer's advance."""
    lock_customer(order.customer_id)
    total = ZERO
    per_payment: dict[int, Decimal] = {}
    for row in Allocation.objects.filter(order=order):
        per_payment[row.payment_id] = per_payment.get(row.payment_id, ZERO) + row.amount
    for payment_id, amount in sorted(per_payment.items()):
        if amount:
            Allocation.objects.create(payment_id=payment_id, order=order, customer_id=order.customer_id,
                                      amount=-amount, reason="cancel", created_by=actor)
            total += amount
    return total


# --- gate exceptions ------------------------------------------------------------------------


def manager_limit() -> Decimal:
    return Decimal(str(getattr(settings, "GATE_EXCEPTION_MANAGER_LIMIT", "50000")))


@transaction.atomic
def request_exception(*, actor: User, order, amount: Decimal, reason: str, expires_on: date) -> GateException:
    if not actor.has_perm(perms.ADD_EXCEPTION):
        raise PermissionDenied
    if actor.has_role(Role.SALESPERSON) and not actor.has_role(Role.CLERK) and order.customer.salesperson_id != actor.pk:
        raise PermissionDenied
    amount = quantize_money(amount)
    errors = {}
    if amount <= 0:
        errors["amount"] = ["金额必须大于 0 / The amount must be positive."]
    if expires_on < timezone.localdate():
        errors["expires_on"] = ["有效期不能早于今天 / The expiry cannot be in the past."]
    if not reason.strip():
        errors["reason"] = ["请填写理由 / A reason is required."]
    if errors:
        raise InvalidInput(errors)
    exc = GateException(order=order, amount=amount, reason=reason.strip()[:300], expires_on=expires_on,
                        requested_by=actor)
    exc._history_user = actor
    exc.save()
    approvers = User.objects.with_role(Role.GENERAL_MANAGER if amount > manager_limit() else Role.SALES_MANAGER)
    notify(approvers.filter(is_active=True).exclude(pk=actor.pk), f"发货例外待审批：订单 {order.number} ¥{amount:,.2f}",
           reason, url=f"/finance/exceptions/{exc.pk}/", kind="exception_pending")
    return exc


@transaction.atomic
def decide_exception(*, actor: User, exception: GateException, approve: bool, note: str = "") -> GateException:
    """A sales manager approves up to the configured amount, the GM above it; nobody approves their
    own request."""
    if not actor.has_perm(perms.APPROVE_EXCEPTION):
        raise PermissionDenied
    if exception.requested_by_id == actor.pk:
        raise DomainError("不能审批自己的申请 / Nobody approves their own request.", code=FinanceErrorCode.SELF_APPROVAL)
    if approve and exception.amount > manager_limit() and not actor.has_role(Role.GENERAL_MANAGER):
        raise DomainError(
            f"超过 ¥{manager_limit():,.2f} 的例外需总经理审批 / Above the manager's limit the GM approves.",
            code=FinanceErrorCode.OVER_APPROVAL_LIMIT,
        )
    changed = GateException.objects.filter(pk=exception.pk, status=ExceptionStatus.PENDING).update(
        status=ExceptionStatus.APPROVED if approve else ExceptionStatus.REJECTED,
        decided_by=actor, decided_at=timezone.now(), decision_note=note[:300],
    )
    if not changed:
        raise ConcurrentChange("该申请已处理 / This request was already decided.")
    exception.refresh_from_db()
    exception._history_user = actor
    exception.save()
    notify([exception.requested_by], f"发货例外{'已批准' if approve else '被驳回'}：¥{exception.amount:,.2f}", note,
           url=f"/finance/exceptions/{exception.pk}/", kind="exception_decided", email=False)
    return exception
