"""Returns (退货) against a dispatched shipment: what may still come back per shipment line, the
valuation at the shipment's prices, and the one write that records a return with its ``returned``
ledger facts (finance counts them as a credit on the order's receivables by ``order_id``; it never
imports logistics).

Who: those who ship (clerk, warehouse) record returns; whoever sees the shipment sees its returns
(salespeople their own, finance and the GM all). A return is dated (``returned_on``) and refused in a
locked month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.core.numbering import next_number
from salesdesk.finance.services import lock_customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.periods import ensure_open
from salesdesk.ledger.services import FactInput, record
from salesdesk.orders.models import Order

from . import permissions as perms
from .choices import DISPATCHED_STATES
from .models import SalesReturn, SalesReturnLine, Shipment, ShipmentLine
from .services import _shares

ZERO = Decimal(0)

# Returns move goods like shipments do: the same roles record them, the same roles see them
# (logistics GRANTS: clerk and warehouse ship; everyone who sees shipments sees returns; the
# warehouse without prices).
ADD_RETURN = perms.ADD_SHIPMENT
VIEW_RETURN = perms.VIEW_SHIPMENT
EXPORT_RETURN = perms.EXPORT_SHIPMENT
VIEW_PRICES = perms.VIEW_PRICES


class ReturnErrorCode(StrEnum):
    NOT_DISPATCHED = "shipment_not_dispatched"


@dataclass(frozen=True)
class ReturnLineRequest:
    """``quantity`` of one shipment line coming back."""

    shipment_line_id: int
    quantity: Decimal


@dataclass(frozen=True)
class Returnable:
    """A shipment line and what is left to return of it (shipped − earlier returns)."""

    line: ShipmentLine
    returned_quantity: Decimal
    returned_amount: Decimal
    returned_tax: Decimal

    @property
    def left(self) -> Decimal:
        return self.line.quantity - self.returned_quantity


# --- queries ---------------------------------------------------------------------------------------


def returns_for(user):
    """The returns the user may see, with what their list and API show."""
    return SalesReturn.objects.visible_to(user).select_related("shipment", "order", "customer", "created_by")


def return_detail_queryset():
    return SalesReturn.objects.select_related("shipment", "order", "customer", "created_by").prefetch_related(
        Prefetch("lines", queryset=SalesReturnLine.objects.select_related("product", "shipment_line").order_by("id"))
    )


def returnable_lines(shipment: Shipment) -> list[Returnable]:
    """Each line of the shipment with what has come back of it already, in two queries."""
    lines = list(ShipmentLine.objects.filter(shipment=shipment).select_related("product", "order_line").order_by("id"))
    done = {
        row["shipment_line_id"]: row
        for row in SalesReturnLine.objects.filter(shipment_line__shipment=shipment)
        .values("shipment_line_id").annotate(q=Sum("quantity"), a=Sum("amount"), t=Sum("tax"))
    }
    return [
        Returnable(line=line, returned_quantity=(done.get(line.pk) or {}).get("q") or ZERO,
                   returned_amount=(done.get(line.pk) or {}).get("a") or ZERO,
                   returned_tax=(done.get(line.pk) or {}).get("t") or ZERO)
        for line in lines
    ]


def can_return(shipment: Shipment) -> bool:
    return shipment.status in DISPATCHED_STATES


def lines_for_products(shipment: Shipment, requests: Sequence[tuple[int, Decimal]]) -> list[ReturnLineRequest]:
    """Turn ``(product_id, quantity)`` pairs (the API's shape, as for shipments) into line requests,
    filling the shipment's earliest lines of that product first (422 for a product not shipped or
    more than is left to return)."""
    returnable = returnable_lines(shipment)
    left = {r.line.pk: r.left for r in returnable}
    by_product: dict[int, list[ShipmentLine]] = {}
    for r in returnable:
        by_product.setdefault(r.line.product_id, []).append(r.line)
    out: list[ReturnLineRequest] = []
    errors: dict[str, list[str]] = {}
    for i, (product_id, qty) in enumerate(requests):
        candidates = by_product.get(product_id)
        if not candidates:
            errors[f"lines.{i}.product_id"] = ["该发货单没有发出此产品 / The shipment did not carry this product."]
            continue
        if qty <= 0:
            errors[f"lines.{i}.quantity"] = ["数量必须大于 0 / The quantity must be positive."]
            continue
        available = sum((left[line.pk] for line in candidates), ZERO)
        if qty > available:
            errors[f"lines.{i}.quantity"] = [
                f"超出可退数量 {available.normalize():f} / More than is left to return ({available:f})."
            ]
            continue
        for line in candidates:
            take = min(qty, left[line.pk])
            if take > 0:
                out.append(ReturnLineRequest(line.pk, take))
                left[line.pk] -= take
                qty -= take
    if errors:
        raise InvalidInput(errors)
    return out


# --- valuation -------------------------------------------------------------------------------------


def line_value(returnable: Returnable, qty: Decimal) -> tuple[Decimal, Decimal]:
    """The value of ``qty`` of a shipment line coming back, at the shipment's price: when the last of
    the line comes back, whatever of its amount and tax is still unreturned (so a line returned in
    parts ties exactly to what was shipped); else the quantity at the order line's unit price,
    rounded half-up, with the tax split from it (DOMAIN.md §3)."""
    line = returnable.line
    if qty == returnable.left:
        return line.amount - returnable.returned_amount, line.tax - returnable.returned_tax
    amount = quantize_money(qty * line.order_line.unit_price)
    _, tax = split_tax(amount, line.order_line.tax_rate)
    return amount, tax


# --- the write -------------------------------------------------------------------------------------


def _check_date(returned_on: date, shipment: Shipment) -> None:
    today = timezone.localdate()
    if returned_on > today:
        raise InvalidInput({"returned_on": ["退货日期不能晚于今天 / The return date cannot be in the future."]})
    dispatched_on = timezone.localdate(shipment.dispatched_at) if shipment.dispatched_at else None
    if dispatched_on and returned_on < dispatched_on:
        raise InvalidInput({"returned_on": [
            f"退货日期不能早于发货日期 {dispatched_on:%Y-%m-%d} / The goods cannot come back before they left."]})


@transaction.atomic
def create_return(*, actor, shipment: Shipment, lines: Sequence[ReturnLineRequest], returned_on: date,
                  reason: str) -> SalesReturn:
    """Record goods coming back against a dispatched shipment: lines within what was shipped less
    earlier returns (422), valued at the shipment's prices; ``returned`` facts per line × credit
    share (product, quantity, order, contract) in the same transaction. Under the customer lock, so
    two returns of the same goods cannot both pass the check."""
    if not actor.has_perm(ADD_RETURN):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["请填写退货原因 / Say why the goods came back."]})
    lock_customer(shipment.customer_id)
    shipment = Shipment.objects.get(pk=shipment.pk)
    _check_date(returned_on, shipment)
    returnable = {r.line.pk: r for r in returnable_lines(shipment)}
    wanted: dict[int, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for i, req in enumerate(lines):
        if req.shipment_line_id not in returnable:
            errors[f"lines.{i}.shipment_line_id"] = ["不是该发货单的明细 / Not a line of this shipment."]
        elif req.quantity < 0:
            errors[f"lines.{i}.quantity"] = ["数量不能为负 / The quantity cannot be negative."]
        elif req.quantity > 0:
            wanted[req.shipment_line_id] = wanted.get(req.shipment_line_id, ZERO) + req.quantity
    for line_id, qty in wanted.items():
        left = returnable[line_id].left
        if qty > left:
            i = next(i for i, r in enumerate(lines) if r.shipment_line_id == line_id)
            errors[f"lines.{i}.quantity"] = [
                f"超出可退数量 {left.normalize():f}（已发 {returnable[line_id].line.quantity.normalize():f}，"
                f"已退 {returnable[line_id].returned_quantity.normalize():f}） / More than is left to return ({left:f})."
            ]
    if errors:
        raise InvalidInput(errors)
    if not wanted:
        raise InvalidInput({"lines": ["请至少退一行 / At least one line must come back."]})
    if not can_return(shipment):
        raise DomainError(
            f"发货单状态为“{shipment.get_status_display()}”，尚未发出，不能退货 / Only dispatched goods can come back.",
            code=ReturnErrorCode.NOT_DISPATCHED,
        )
    ensure_open(returned_on, "退货单")

    valued = [(returnable[line_id], qty, *line_value(returnable[line_id], qty)) for line_id, qty in wanted.items()]
    sales_return = SalesReturn(
        number=next_number("TH"), shipment=shipment, order_id=shipment.order_id, customer_id=shipment.customer_id,
        returned_on=returned_on, amount=sum((v[2] for v in valued), ZERO), tax=sum((v[3] for v in valued), ZERO),
        reason=reason[:300], created_by=actor,
    )
    sales_return._history_user = actor
    sales_return.save()
    created = SalesReturnLine.objects.bulk_create([
        SalesReturnLine(sales_return=sales_return, shipment_line=r.line, product_id=r.line.product_id, quantity=qty,
                        amount=amount, tax=tax)
        for r, qty, amount, tax in valued
    ])
    order = Order.objects.select_related("salesperson").prefetch_related("credit_shares").get(pk=shipment.order_id)
    shares = _shares(order)
    record([
        FactInput(kind=FactKind.RETURNED, business_date=returned_on, amount=line.amount, tax=line.tax,
                  quantity=line.quantity, customer_id=shipment.customer_id, product_id=line.product_id,
                  contract_id=order.contract_id, order_id=order.pk, source_kind="return", source_id=sales_return.pk,
                  source_line_id=line.pk, shares=shares, note=f"{sales_return.number} ← {shipment.number}")
        for line in created
    ], actor=actor)
    return sales_return
