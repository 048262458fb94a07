"""Bad-debt write-offs (坏账核销): the clerk or finance asks to write off part of a receivable, the
general manager approves or rejects (nobody decides their own request), finance records it: the
write-off is dated today (refused in a locked month) and writes ``written_off`` facts (money facts,
no product) per the order's credit shares, or to the customer's owner for an opening receivable.

API.md: "write off bad debt — general_manager approves, finance records": who may do what is the
write-off permissions of ``permissions`` (REQUEST/APPROVE/RECORD/VIEW_WRITEOFF, granted per role)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.notifications import notify
from salesdesk.core.numbering import next_number
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.periods import ensure_open
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import permissions as perms
from .balances import ZERO
from .choices import WriteOffStatus
from .errors import FinanceErrorCode
from .models import Receivable, WriteOff
from .receivables import open_items
from .services import lock_customer

# Write-offs still standing against a receivable's open amount before they are recorded.
PENDING_STATES = (WriteOffStatus.REQUESTED, WriteOffStatus.APPROVED)


class WriteOffErrorCode(StrEnum):
    NOT_REQUESTED = "writeoff_not_requested"  # approve/reject something no longer waiting
    NOT_APPROVED = "writeoff_not_approved"  # record something the GM has not approved
    OVER_OPEN = "writeoff_over_open"  # more than is still open on the receivable
    SELF_APPROVAL = FinanceErrorCode.SELF_APPROVAL


def may(user, *names: str) -> bool:
    """Whether ``user`` holds every one of ``names`` (``permissions`` constants). Everyone who reads
    write-offs sees only their customers' (``WriteOff.objects.visible_to``)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perms(names))


def writeoffs_for(user):
    return WriteOff.objects.visible_to(user).select_related("customer", "receivable", "requested_by", "approved_by",
                                                            "recorded_by")


# --- the open amount ------------------------------------------------------------------------------


def _open_items_amount(receivable: Receivable) -> Decimal:
    """What is still open on the receivable (``receivables.open_items``: money, returns and recorded
    write-offs matched to it)."""
    for item in open_items([receivable.customer_id]):
        if item.receivable.pk == receivable.pk:
            return item.open_amount
    return ZERO


def open_amount(receivable: Receivable, *, excluding: WriteOff | None = None) -> Decimal:
    """What may still be written off: the receivable's open amount less write-offs requested or
    approved but not yet recorded (each stands against it until recorded or rejected)."""
    pending = WriteOff.objects.filter(receivable=receivable, status__in=PENDING_STATES)
    if excluding is not None:
        pending = pending.exclude(pk=excluding.pk)
    return max(ZERO, _open_items_amount(receivable) - (pending.aggregate(s=Sum("amount"))["s"] or ZERO))


# --- the writes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteOffRequest:
    receivable: Receivable
    amount: Decimal
    reason: str


def _url(write_off: WriteOff) -> str:
    return f"/finance/adjust/write-offs/{write_off.pk}/"


@transaction.atomic
def request_write_off(*, actor: User, data: WriteOffRequest) -> WriteOff:
    """Ask the GM to write off ``amount`` of a receivable (up to what is still open on it)."""
    if not may(actor, perms.REQUEST_WRITEOFF):
        raise PermissionDenied
    amount = quantize_money(data.amount)
    errors: dict[str, list[str]] = {}
    if amount <= 0:
        errors["amount"] = ["金额必须大于 0 / The amount must be positive."]
    if not (data.reason or "").strip():
        errors["reason"] = ["请填写核销原因 / Say why the debt is bad."]
    if errors:
        raise InvalidInput(errors)
    receivable = data.receivable
    lock_customer(receivable.customer_id)
    left = open_amount(receivable)
    if amount > left:
        raise InvalidInput({"amount": [
            f"超过该应收款尚未收回的金额 ¥{left:,.2f} / More than is still open on the receivable ({left})."
        ]}, code=WriteOffErrorCode.OVER_OPEN)
    write_off = WriteOff(number=next_number("HX"), customer_id=receivable.customer_id, receivable=receivable,
                         amount=amount, reason=data.reason.strip()[:300], requested_by=actor)
    write_off._history_user = actor
    write_off.save()
    approvers = User.objects.with_role(Role.GENERAL_MANAGER).filter(is_active=True).exclude(pk=actor.pk)
    notify(approvers, f"坏账核销待审批 {write_off.number}：¥{amount:,.2f}",
           f"{receivable.customer.name} · {receivable.number} · {write_off.reason}", url=_url(write_off),
           kind="writeoff_pending", dedupe_key=f"writeoff-requested:{write_off.pk}")
    return write_off


@transaction.atomic
def decide_write_off(*, actor: User, write_off: WriteOff, approve: bool, note: str = "") -> WriteOff:
    """The GM approves or rejects a requested write-off; never their own request."""
    if not may(actor, perms.APPROVE_WRITEOFF):
        raise PermissionDenied
    if write_off.requested_by_id == actor.pk:
        raise DomainError("不能审批自己的申请 / Nobody approves their own request.",
                          code=WriteOffErrorCode.SELF_APPROVAL)
    changed = WriteOff.objects.filter(pk=write_off.pk, status=WriteOffStatus.REQUESTED).update(
        status=WriteOffStatus.APPROVED if approve else WriteOffStatus.REJECTED,
        approved_by=actor, approved_at=timezone.now(), decision_note=(note or "").strip()[:300],
    )
    if not changed:
        raise DomainError("该申请已处理 / This request was already decided.", code=WriteOffErrorCode.NOT_REQUESTED)
    write_off.refresh_from_db()
    write_off._history_user = actor
    write_off.save()  # the conditional UPDATE bypassed history: write the row now
    verdict = "已批准，待财务入账" if approve else "被驳回"
    notify([write_off.requested_by_id], f"坏账核销{verdict} {write_off.number}：¥{write_off.amount:,.2f}",
           write_off.decision_note, url=_url(write_off), kind="writeoff_decided",
           dedupe_key=f"writeoff-decided:{write_off.pk}")
    if approve:
        finance = User.objects.with_role(Role.FINANCE).filter(is_active=True).exclude(pk=write_off.requested_by_id)
        notify(finance, f"坏账核销待入账 {write_off.number}：¥{write_off.amount:,.2f}", write_off.reason,
               url=_url(write_off), kind="writeoff_approved", email=False,
               dedupe_key=f"writeoff-approved:{write_off.pk}")
    return write_off


def _shares(receivable: Receivable) -> list[Share]:
    order = receivable.order
    if order is not None:
        shares = [Share(s.salesperson_id, s.share, s.team_id) for s in order.credit_shares.all()]
        if shares:
            return shares
        return [Share(order.salesperson_id, Decimal(1), order.salesperson.team_id)]
    owner = receivable.salesperson or receivable.customer.salesperson
    return [Share(owner.pk, Decimal(1), owner.team_id)]


@transaction.atomic
def record_write_off(*, actor: User, write_off: WriteOff) -> WriteOff:
    """Finance books an approved write-off today: ``written_off`` facts, status recorded. The amount
    must still be open (money may have come in since the request)."""
    if not may(actor, perms.RECORD_WRITEOFF):
        raise PermissionDenied
    today = timezone.localdate()
    lock_customer(write_off.customer_id)
    write_off = WriteOff.objects.select_related(
        "receivable__order__salesperson", "receivable__salesperson", "receivable__customer__salesperson",
    ).get(pk=write_off.pk)
    if write_off.status != WriteOffStatus.APPROVED:
        raise DomainError("只有总经理批准的核销才能入账 / Only an approved write-off can be recorded.",
                          code=WriteOffErrorCode.NOT_APPROVED)
    ensure_open(today, "坏账核销")
    receivable = write_off.receivable
    left = open_amount(receivable, excluding=write_off)
    if write_off.amount > left:
        raise DomainError(
            f"该应收款尚未收回的金额只剩 ¥{left:,.2f}，不能核销 ¥{write_off.amount:,.2f} / "
            f"Only {left} is still open on the receivable.", code=WriteOffErrorCode.OVER_OPEN)
    changed = WriteOff.objects.filter(pk=write_off.pk, status=WriteOffStatus.APPROVED).update(
        status=WriteOffStatus.RECORDED, recorded_by=actor, recorded_on=today)
    if not changed:
        raise ConcurrentChange()
    write_off.refresh_from_db()
    write_off._history_user = actor
    write_off.save()
    record([FactInput(
        kind=FactKind.WRITTEN_OFF, business_date=today, amount=write_off.amount, customer_id=write_off.customer_id,
        source_kind="write_off", source_id=write_off.pk, shares=_shares(receivable),
        order_id=receivable.order_id, contract_id=receivable.contract_id, note=f"{write_off.number} {receivable.number}",
    )], actor=actor)
    notify([write_off.requested_by_id], f"坏账已核销 {write_off.number}：¥{write_off.amount:,.2f}",
           receivable.customer.name, url=_url(write_off), kind="writeoff_recorded", email=False,
           dedupe_key=f"writeoff-recorded:{write_off.pk}")
    return write_off
