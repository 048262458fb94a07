"""Invoices (发票), red invoices (红字发票), invoice requests (开票申请) and the list of shipments not yet
invoiced (已发货未开票): the writes and reads of finance's invoicing (DOMAIN.md §3, API.md Invoices).

An invoice records what the tax system issued. Its identity is unique: a 数电 invoice is its
20-digit number (no code), a legacy one its 10/12-digit code + 8-digit number. The buyer comes
from the customer's invoice profile. Amount (价税合计) and tax come from the lines (tax per line,
half-up; the invoice's tax is the sum of the line taxes) or are given as totals.

Issuing writes ``invoiced`` facts, one per linked order and credit share (with the product when a
line names one); a red invoice writes ``credited`` facts in proportion to what is left of its
original, and may not exceed it. Finance sits below logistics: shipments are linked through the
reverse relation ``Invoice.shipments`` (logistics' ``Shipment.invoices``), never imported."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesdesk.catalog.models import Product
from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money, quantize_quantity, split_tax, to_fen, to_milli
from salesdesk.core.notifications import notify
from salesdesk.core.numbering import next_number
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import MEASURES, FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import ensure_open, month_of
from salesdesk.ledger.services import FactInput, record
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order, OrderLine
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from .choices import DIGITAL_INVOICE_KINDS, InvoiceKind, InvoiceRequestStatus
from .models import Invoice, InvoiceLine, InvoiceRequest
from .permissions import ISSUE_INVOICE, REQUEST_INVOICE
from .services import _shares_for

ZERO = Decimal("0.00")
LINE_TAX_TOLERANCE = Decimal("0.06")  # the tax system's tolerance per line (DOMAIN.md §3)
MAX_LINES = 200
SOURCE_KIND = "invoice"  # the ledger's source_kind of invoice facts


class InvoiceErrorCode:
    DUPLICATE = "duplicate_invoice"  # the identity (code + number) is already recorded
    CREDIT_EXCEEDS = "credit_exceeds_invoice"  # a red invoice beyond what is left of its original
    ORDER_NOT_INVOICEABLE = "order_not_invoiceable"  # a draft or cancelled order
    REQUEST_NOT_PENDING = "invoice_request_not_pending"


# --- who may do what: finance.permissions (API.md: invoices by finance and the clerk; salespeople request)


def may(user, perm: str) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.has_perm(perm)


# --- identity (DOMAIN.md §3) ----------------------------------------------------------------------

LEGACY_CODE_LENGTHS: dict[str, frozenset[int]] = {
    InvoiceKind.PAPER_SPECIAL: frozenset({10}),
    InvoiceKind.PAPER_ORDINARY: frozenset({10, 12}),
    InvoiceKind.E_ORDINARY: frozenset({12}),
}
_SPACES = re.compile(r"[\s\-]+")


def _clean_digits(value: str | None) -> str:
    """Full-width digits become ASCII (NFKC), spaces and dashes go: what people paste from a PDF."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or ""))


def invoice_identity(kind: str, number: str, code: str = "") -> tuple[str, str, str]:
    """``(code, number, identity)`` of a valid invoice number, else 422: a 数电 invoice has a 20-digit
    number and no code (identity ``sd:<number>``); a legacy one a 10- or 12-digit code and an 8-digit
    number (identity ``lg:<code>:<number>``)."""
    code, number = _clean_digits(code), _clean_digits(number)
    errors: dict[str, list[str]] = {}
    if kind not in InvoiceKind.values:
        raise InvalidInput({"kind": ["未知的票种 / Unknown invoice kind."]})
    if kind in DIGITAL_INVOICE_KINDS:
        if code:
            errors["code"] = ["数电发票没有发票代码 / A fully digital (数电) invoice has no invoice code."]
        if not re.fullmatch(r"[0-9]{20}", number):
            errors["number"] = ["数电发票号码应为 20 位数字 / A 数电 invoice number has 20 digits."]
        identity = f"sd:{number}"
    else:
        lengths = LEGACY_CODE_LENGTHS[kind]
        if not (re.fullmatch(r"[0-9]+", code) and len(code) in lengths):
            wanted = "或".join(str(n) for n in sorted(lengths))
            errors["code"] = [f"发票代码应为 {wanted} 位数字 / The invoice code has {' or '.join(map(str, sorted(lengths)))} digits."]
        if not re.fullmatch(r"[0-9]{8}", number):
            errors["number"] = ["发票号码应为 8 位数字 / A legacy invoice number has 8 digits."]
        identity = f"lg:{code}:{number}"
    if errors:
        raise InvalidInput(errors)
    return code, number, identity


# --- lines and totals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line as entered: the amount incl. tax (negative for a discount line) and the rate; the
    tax is computed (half-up) unless given."""

    amount: Decimal
    tax_rate: Decimal
    tax: Decimal | None = None
    product: Product | None = None
    description: str = ""
    quantity: Decimal | None = None


@dataclass(frozen=True)
class PricedLine:
    amount: Decimal
    tax: Decimal
    tax_rate: Decimal
    product: Product | None
    description: str
    quantity: Decimal | None


def price_lines(lines: Sequence[LineInput]) -> list[PricedLine]:
    """Tax per line, rounded half-up (金额 = 含税 ÷ (1+税率), 税额 = 含税 − 金额); a given tax may differ
    from it by the tax system's tolerance (±0.06) at most."""
    if len(lines) > MAX_LINES:
        raise InvalidInput({"lines": [f"发票明细最多 {MAX_LINES} 行 / At most {MAX_LINES} lines."]})
    priced, errors = [], {}
    for i, line in enumerate(lines):
        amount, rate = quantize_money(line.amount), Decimal(line.tax_rate)
        if not Decimal(0) <= rate < 1 or rate != rate.quantize(Decimal("0.0001")):
            errors[f"lines.{i}.tax_rate"] = ["税率应在 0 到 1 之间，最多 4 位小数 / A rate from 0 to 1, 4 decimals."]
            continue
        if not amount:
            errors[f"lines.{i}.amount"] = ["明细金额不能为 0 / A line amount cannot be zero."]
            continue
        computed = split_tax(amount, rate)[1]
        tax = computed if line.tax is None else quantize_money(line.tax)
        if abs(tax - computed) > LINE_TAX_TOLERANCE:
            errors[f"lines.{i}.tax"] = [
                f"税额与按税率计算的 {computed} 相差超过 0.06 / The tax differs from {computed} by more than 0.06."]
            continue
        if line.quantity is not None and line.quantity <= 0:
            errors[f"lines.{i}.quantity"] = ["数量必须大于 0 / The quantity must be positive."]
            continue
        priced.append(PricedLine(amount=amount, tax=tax, tax_rate=rate, product=line.product,
                                 description=(line.description or (line.product.name if line.product else ""))[:200],
                                 quantity=None if line.quantity is None else quantize_quantity(line.quantity)))
    if errors:
        raise InvalidInput(errors)
    return priced


def _totals(amount: Decimal | None, tax: Decimal | None, lines: list[PricedLine]) -> tuple[Decimal, Decimal]:
    """The invoice's 价税合计 and tax: with lines, their sums (a given total must agree); without,
    the totals given."""
    errors: dict[str, list[str]] = {}
    if lines:
        line_amount = sum((line.amount for line in lines), ZERO)
        line_tax = sum((line.tax for line in lines), ZERO)
        if amount is not None and quantize_money(amount) != line_amount:
            errors["amount"] = [f"价税合计应等于明细合计 {line_amount} / The amount must equal the lines' sum {line_amount}."]
        if tax is not None and quantize_money(tax) != line_tax:
            errors["tax_amount"] = [f"税额应等于各行税额之和 {line_tax} / The tax must equal the sum of line taxes {line_tax}."]
        amount, tax = line_amount, line_tax
    else:
        if amount is None:
            errors["amount"] = ["请填写价税合计 / The amount is required."]
        if tax is None:
            errors["tax_amount"] = ["请填写税额 / The tax amount is required."]
    if not errors:
        amount, tax = quantize_money(amount), quantize_money(tax)
        if amount <= 0:
            errors["amount"] = ["价税合计必须大于 0 / The amount must be positive."]
        elif not ZERO <= tax < amount:
            errors["tax_amount"] = ["税额应不小于 0 且小于价税合计 / The tax must be from 0 up to below the amount."]
    if errors:
        raise InvalidInput(errors)
    return amount, tax


# --- exact proportional splits --------------------------------------------------------------------


def split_int(total: int, weights: Sequence[int]) -> list[int]:
    """Split an integer (fen, thousandths) in proportion to integer weights (of any sign, non-zero
    sum) so the parts sum exactly to ``total``: floors, then the remainder unit by unit to the
    largest fractions (ties to the earlier part). A zero-sum weighting puts it all on the first."""
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    if whole < 0:  # the same ratios with a positive denominator
        weights, whole = [-w for w in weights], -whole
    parts = [total * w // whole for w in weights]
    fractions = [total * w - p * whole for w, p in zip(weights, parts, strict=True)]
    for i in sorted(range(len(weights)), key=lambda i: (-fractions[i], i))[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _from_fen(n: int) -> Decimal:
    return (Decimal(n) / 100).quantize(Decimal("0.01"))


def _from_milli(n: int) -> Decimal:
    return (Decimal(n) / 1000).quantize(Decimal("0.001"))


# --- issuing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceInput:
    """What finance (or the clerk) enters from the issued invoice. ``original`` makes it a red
    invoice (红字发票) of that invoice."""

    customer: Customer
    kind: str
    number: str
    issued_on: date
    amount: Decimal | None = None  # 价税合计; with lines it must equal their sum (or be left out)
    tax_amount: Decimal | None = None
    code: str = ""
    orders: Sequence[Order] = ()
    shipment_ids: Sequence[int] = ()
    lines: Sequence[LineInput] = ()
    original: Invoice | None = None
    note: str = ""


@dataclass
class _Piece:
    """Part of an invoice's amount booked on one order (and product): one fact before shares."""

    order: Order | None
    product_id: int | None
    amount: int  # fen, signed (a discount line is negative)
    tax: int
    quantity: int | None = None  # thousandths
    line_id: int | None = None


def shipment_model():
    """logistics' Shipment, reached through the reverse relation (finance never imports logistics)."""
    return Invoice._meta.get_field("shipments").related_model


# Shipment statuses after dispatch (logistics' DISPATCHED_STATES): only dispatched goods are invoiced.
NOT_DISPATCHED = frozenset({"planned", "cancelled"})
INVOICEABLE_STATUSES = frozenset({OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
                                  OrderStatus.COMPLETED, OrderStatus.CLOSED})


def _check_orders(customer: Customer, orders: Sequence[Order]) -> list[Order]:
    ids = sorted({o.pk for o in orders})
    found = {o.pk: o for o in Order.objects.filter(pk__in=ids).select_related("salesperson")}
    if any(o.customer_id != customer.pk for o in found.values()) or len(found) != len(ids):
        raise InvalidInput({"order_ids": ["订单不属于该客户 / An order belongs to another customer."]})
    closed = [o.number for o in found.values() if o.status not in INVOICEABLE_STATUSES]
    if closed:
        raise DomainError(f"订单 {', '.join(closed)} 未提交或已取消，不能开票 / Draft or cancelled orders cannot be invoiced.",
                          code=InvoiceErrorCode.ORDER_NOT_INVOICEABLE, field="order_ids")
    return sorted(found.values(), key=lambda o: (o.order_date, o.pk))


def _check_shipments(customer: Customer, shipment_ids: Sequence[int]) -> list:
    ids = sorted(set(shipment_ids))
    if not ids:
        return []
    shipments = list(shipment_model().objects.filter(pk__in=ids))
    if len(shipments) != len(ids) or any(s.customer_id != customer.pk for s in shipments):
        raise InvalidInput({"shipment_ids": ["发货单不属于该客户 / A shipment belongs to another customer."]})
    if any(s.status in NOT_DISPATCHED for s in shipments):
        raise InvalidInput({"shipment_ids": ["只能关联已发出的发货单 / Only dispatched shipments can be invoiced."]})
    return shipments


def _invoiced_so_far(order_ids: list[int]) -> tuple[dict[int, int], dict[tuple[int, int | None], int]]:
    """Fen invoiced (less credited) per order and per (order, product) before this invoice."""
    per_order: dict[int, int] = defaultdict(int)
    per_product: dict[tuple[int, int | None], int] = defaultdict(int)
    rows = (Fact.objects.filter(order_id__in=order_ids, kind__in=list(MEASURES["invoiced"])).order_by()
            .values("order_id", "product_id").annotate(amount=Sum("amount")))
    for r in rows:
        fen = to_fen(r["amount"] or ZERO)
        per_order[r["order_id"]] += fen
        per_product[(r["order_id"], r["product_id"])] += fen
    return per_order, per_product


def _blue_pieces(orders: list[Order], lines: list[InvoiceLine], amount: Decimal, tax: Decimal) -> list[_Piece]:
    """Book an invoice on its orders: each line (or the whole invoice, without lines) fills the
    orders holding its product — or all linked orders — oldest first, each up to what is left to
    invoice on it; what is beyond goes to the last. Tax and quantity follow the amount exactly."""
    chunks = [(line.amount, line.tax, line.quantity, line.product_id, line.pk) for line in lines] or [
        (amount, tax, None, None, None)]
    if not orders:
        return [_Piece(None, pid, to_fen(a), to_fen(t), None if q is None else to_milli(q), lid)
                for a, t, q, pid, lid in chunks]
    ids = [o.pk for o in orders]
    done_order, done_product = _invoiced_so_far(ids)
    line_value: dict[tuple[int, int], int] = defaultdict(int)
    for order_id, product_id, value in OrderLine.objects.filter(order_id__in=ids).values_list(
            "order_id", "product_id", "amount"):
        line_value[(order_id, product_id)] += to_fen(value)
    left_order = {o.pk: to_fen(o.total) - done_order.get(o.pk, 0) for o in orders}
    left_product = {k: v - done_product.get(k, 0) for k, v in line_value.items()}
    pieces: list[_Piece] = []
    for a, t, q, product_id, line_id in chunks:
        fen = to_fen(a)
        holders = [o for o in orders if product_id is not None and (o.pk, product_id) in line_value]
        candidates = holders or orders
        takes = [0] * len(candidates)
        rest = fen
        for i, o in enumerate(candidates):
            if rest <= 0:
                break
            room = left_product.get((o.pk, product_id), 0) if holders else left_order[o.pk]
            take = rest if i == len(candidates) - 1 else min(rest, max(room, 0))
            takes[i], rest = take, rest - take
        if rest:  # a discount line (negative) or nothing to fill: the whole on the first order
            takes[0] += rest
        taxes = split_int(to_fen(t), takes) if any(takes) else [to_fen(t)] + [0] * (len(takes) - 1)
        qtys = split_int(to_milli(q), takes) if q is not None and any(takes) else [None] * len(takes)
        for o, take, piece_tax, qty in zip(candidates, takes, taxes, qtys, strict=True):
            if not take and not piece_tax:
                continue
            left_order[o.pk] -= take
            if holders:
                left_product[(o.pk, product_id)] -= take
            pieces.append(_Piece(o, product_id, take, piece_tax, qty, line_id))
    return pieces


def credit_left(original: Invoice) -> tuple[Decimal, Decimal]:
    """What is left of an invoice to credit: its amount and tax less its earlier red invoices'."""
    done = original.credit_notes.aggregate(amount=Sum("amount"), tax=Sum("tax_amount"))
    return original.amount - (done["amount"] or ZERO), original.tax_amount - (done["tax"] or ZERO)


def _red_pieces(original: Invoice, amount: Decimal, tax: Decimal, full: bool) -> list[_Piece]:
    """A red invoice reverses its original in proportion to what is left of each of the original's
    (order, product) parts; a red invoice that takes all that is left reverses the quantities too."""
    red_ids = list(original.credit_notes.values_list("pk", flat=True))
    groups: dict[tuple[int | None, int | None], list[int]] = {}
    rows = (Fact.objects.filter(source_kind=SOURCE_KIND, source_id__in=[original.pk, *red_ids]).order_by()
            .values("order_id", "product_id").annotate(amount=Sum("amount"), tax=Sum("tax"), qty=Sum("quantity")))
    for r in rows:
        entry = groups.setdefault((r["order_id"], r["product_id"]), [0, 0, 0])
        entry[0] += to_fen(r["amount"] or ZERO)
        entry[1] += to_fen(r["tax"] or ZERO)
        entry[2] += to_milli(r["qty"] or 0)
    keys = sorted(groups, key=lambda k: (k[0] or 0, k[1] or 0))
    if not keys:
        return [_Piece(None, None, to_fen(amount), to_fen(tax))]
    amounts = split_int(to_fen(amount), [groups[k][0] for k in keys])
    taxes = split_int(to_fen(tax), [groups[k][1] for k in keys]) if any(groups[k][1] for k in keys) else (
        split_int(to_fen(tax), [groups[k][0] for k in keys]))
    orders = {o.pk: o for o in Order.objects.filter(pk__in=[k[0] for k in keys if k[0]]).select_related("salesperson")}
    return [
        _Piece(orders.get(order_id), product_id, a, t, groups[(order_id, product_id)][2] if full else None)
        for (order_id, product_id), a, t in zip(keys, amounts, taxes, strict=True) if a or t
    ]


def _record_pieces(invoice: Invoice, pieces: list[_Piece], customer: Customer, actor, *, red: bool) -> None:
    """One fact per piece and credit share. Facts hold magnitudes: a blue invoice's discount piece
    is a ``credited`` fact, a red invoice's reversal of a discount an ``invoiced`` one."""
    items = []
    for p in pieces:
        negative = p.amount < 0 or (p.amount == 0 and p.tax < 0)
        kind = FactKind.CREDITED if red != negative else FactKind.INVOICED
        items.append(FactInput(
            kind=kind, business_date=invoice.issued_on, amount=_from_fen(abs(p.amount)), tax=_from_fen(abs(p.tax)),
            quantity=None if not p.quantity or p.product_id is None else _from_milli(abs(p.quantity)),
            customer_id=customer.pk, source_kind=SOURCE_KIND, source_id=invoice.pk, source_line_id=p.line_id,
            product_id=p.product_id, order_id=p.order.pk if p.order else None,
            contract_id=p.order.contract_id if p.order else None, shares=_shares_for(p.order, customer),
            note=f"{'红字' if red else ''}发票 {invoice.number}"[:200],
        ))
    record(items, actor=actor)


def _duplicate(identity: str) -> DomainError | None:
    existing = Invoice.objects.select_related("customer").filter(identity=identity).first()
    if existing is None:
        return None
    label = f"{existing.code} {existing.number}".strip()
    return DomainError(
        f"发票 {label} 已登记（{existing.customer.name}，{existing.issued_on:%Y-%m-%d}，编号 #{existing.pk}）/ "
        f"Invoice {label} is already recorded (#{existing.pk}).",
        code=InvoiceErrorCode.DUPLICATE, field="number",
    )


def _anchor(order_ids: list[int], shipment_ids: list[int], on: date) -> None:
    """Receivables whose term runs from the invoice (票到 N 天) start now (the receivables module)."""
    from . import receivables

    receivables.anchor_receivables(order_ids=order_ids, shipment_ids=shipment_ids, event="invoice", on=on)


@transaction.atomic
def issue_invoice(*, actor: User, data: InvoiceInput, request: InvoiceRequest | None = None) -> Invoice:
    """Record an issued invoice (or, with ``original``, a red invoice) with its lines, orders and
    shipments; write its ledger facts; start the receivables that run from the invoice; close the
    invoice request it answers. 422 for bad input, 409 for a locked month, a duplicate identity, a
    red invoice beyond its original, or an order that cannot be invoiced."""
    if not may(actor, ISSUE_INVOICE):
        raise PermissionDenied
    code, number, identity = invoice_identity(data.kind, data.number, data.code)
    lines = price_lines(data.lines)
    amount, tax = _totals(data.amount, data.tax_amount, lines)
    customer = Customer.objects.get(pk=data.customer.pk)
    if data.issued_on > timezone.localdate():
        raise InvalidInput({"issued_on": ["开票日期不能晚于今天 / The issue date cannot be in the future."]})
    original = None
    if data.original is not None:
        original = Invoice.objects.select_for_update().get(pk=data.original.pk)  # serialises red invoices
        if original.original_id is not None:
            raise InvalidInput({"original_id": ["红字发票不能再冲红 / A red invoice cannot be credited."]})
        if original.customer_id != customer.pk:
            raise InvalidInput({"original_id": ["原发票属于其他客户 / The original belongs to another customer."]})
        if data.issued_on < original.issued_on:
            raise InvalidInput({"issued_on": ["红字发票日期不能早于原发票 / A red invoice cannot predate its original."]})
        orders = list(original.orders.all())
    else:
        orders = _check_orders(customer, data.orders)
    shipments = _check_shipments(customer, data.shipment_ids)
    if original is None and shipments:
        known = {o.pk for o in orders}
        extra = Order.objects.filter(pk__in={s.order_id for s in shipments} - known)
        orders = _check_orders(customer, [*orders, *extra])
    if request is not None:
        if request.customer_id != customer.pk:
            raise InvalidInput({"customer_id": ["与开票申请的客户不一致 / Not the request's customer."]})
    ensure_open(data.issued_on, "发票")
    duplicate = _duplicate(identity)
    if duplicate is not None:
        raise duplicate
    full = False
    if original is not None:
        left, tax_left = credit_left(original)
        if amount > left or tax > tax_left:
            raise DomainError(
                f"红字金额 ¥{amount:,.2f}（税额 ¥{tax:,.2f}）超过原发票 {original.number} 剩余可冲红的 ¥{left:,.2f}"
                f"（税额 ¥{tax_left:,.2f}）/ The red invoice exceeds what is left of the original ({left}).",
                code=InvoiceErrorCode.CREDIT_EXCEEDS, field="amount",
            )
        full = amount == left and tax == tax_left
    if request is not None:
        changed = InvoiceRequest.objects.filter(pk=request.pk, status=InvoiceRequestStatus.REQUESTED).update(
            status=InvoiceRequestStatus.ISSUED, handled_by=actor, handled_at=timezone.now())
        if not changed:
            raise DomainError("该开票申请已处理 / This invoice request was already handled.",
                              code=InvoiceErrorCode.REQUEST_NOT_PENDING)

    invoice = Invoice(
        kind=data.kind, code=code, number=number, identity=identity, customer=customer, original=original,
        issued_on=data.issued_on, amount=amount, tax_amount=tax,
        buyer_name=(customer.invoice_title or customer.name)[:200],
        buyer_tax_id=(customer.invoice_tax_id or customer.uscc or "")[:20],
        period=month_of(data.issued_on), note=(data.note or "")[:300], created_by=actor,
    )
    invoice._history_user = actor
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:  # the same invoice recorded at the same moment by someone else
        raise _duplicate(identity) or ConcurrentChange() from None
    saved_lines = InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, product=line.product, description=line.description, quantity=line.quantity,
                    amount=line.amount, tax_rate=line.tax_rate, tax=line.tax)
        for line in lines
    ])
    if any(line.pk is None for line in saved_lines):  # backends without RETURNING on bulk insert
        saved_lines = list(invoice.lines.order_by("pk"))
    invoice.orders.set(orders)
    if shipments:
        invoice.shipments.set([s.pk for s in shipments])
    if original is None:
        pieces = _blue_pieces(orders, saved_lines, amount, tax)
    else:
        pieces = _red_pieces(original, amount, tax, full)
    _record_pieces(invoice, pieces, customer, actor, red=original is not None)
    if original is None:
        _anchor([o.pk for o in orders], [s.pk for s in shipments], data.issued_on)
    if request is not None:
        request.refresh_from_db()
        request.invoice = invoice
        request._history_user = actor
        request.save()
        notify([request.requested_by], f"已开票 {invoice.number}：{customer.name} ¥{amount:,.2f}",
               f"开票申请 {request.number} 已开具{invoice.get_kind_display()}，开票日期 {data.issued_on:%Y-%m-%d}",
               url=f"/finance/invoices/{invoice.pk}/", kind="invoice_issued", email=False,
               dedupe_key=f"invoice-request-issued:{request.pk}")
    return invoice


# --- invoice requests (开票申请) -----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInput:
    customer: Customer
    kind: str
    amount: Decimal
    orders: Sequence[Order] = ()
    note: str = ""


@transaction.atomic
def request_invoice(*, actor: User, data: RequestInput) -> InvoiceRequest:
    """A salesperson asks finance to invoice a customer's orders; finance is told at once."""
    if not may(actor, REQUEST_INVOICE):
        raise PermissionDenied
    if not Customer.objects.visible_to(actor).filter(pk=data.customer.pk).exists():
        raise PermissionDenied
    if data.kind not in InvoiceKind.values:
        raise InvalidInput({"kind": ["未知的票种 / Unknown invoice kind."]})
    amount = quantize_money(data.amount)
    if amount <= 0:
        raise InvalidInput({"amount": ["金额必须大于 0 / The amount must be positive."]})
    orders = _check_orders(data.customer, data.orders)
    req = InvoiceRequest(number=next_number("KP"), customer=data.customer, kind=data.kind, amount=amount,
                         note=(data.note or "")[:300], requested_by=actor)
    req._history_user = actor
    req.save()
    req.orders.set(orders)
    what = "、".join(o.number for o in orders[:5]) + ("…" if len(orders) > 5 else "")
    notify(User.objects.with_role(Role.FINANCE).filter(is_active=True),
           f"开票申请 {req.number}：{data.customer.name} ¥{amount:,.2f}",
           f"{req.get_kind_display()}{'，订单 ' + what if what else ''}；申请人 {actor.display_name}。{req.note}",
           url=f"/finance/invoices/requests/{req.pk}/", kind="invoice_requested",
           dedupe_key=f"invoice-requested:{req.pk}")
    return req


@transaction.atomic
def reject_request(*, actor: User, request: InvoiceRequest, reason: str) -> InvoiceRequest:
    if not may(actor, ISSUE_INVOICE):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["请填写驳回原因 / A reason is required."]})
    changed = InvoiceRequest.objects.filter(pk=request.pk, status=InvoiceRequestStatus.REQUESTED).update(
        status=InvoiceRequestStatus.REJECTED, handled_by=actor, handled_at=timezone.now(), reject_reason=reason[:300])
    if not changed:
        raise DomainError("该开票申请已处理 / This invoice request was already handled.",
                          code=InvoiceErrorCode.REQUEST_NOT_PENDING)
    request.refresh_from_db()
    request._history_user = actor
    request.save()
    notify([request.requested_by], f"开票申请被驳回 {request.number}", reason,
           url=f"/finance/invoices/requests/{request.pk}/", kind="invoice_request_rejected",
           dedupe_key=f"invoice-request-rejected:{request.pk}")
    return request


# --- reads ----------------------------------------------------------------------------------------


def _credited_subquery():
    return Subquery(
        Invoice.objects.filter(original=OuterRef("pk")).order_by().values("original")
        .annotate(s=Sum("amount")).values("s")[:1],
        output_field=Invoice._meta.get_field("amount"),
    )


def invoices_for(user) -> QuerySet[Invoice]:
    """Invoices the user may see, with what the list, the detail and the API need beside them:
    the customer, the original, the credited total (red invoices against each), ids of orders and
    shipments prefetched (two queries whatever the number of rows)."""
    return (
        Invoice.objects.visible_to(user)
        .select_related("customer", "original", "created_by")
        .annotate(credited=Coalesce(_credited_subquery(), Value(0), output_field=Invoice._meta.get_field("amount")))
        .prefetch_related(Prefetch("orders", queryset=Order.objects.only("id", "number", "customer_id").order_by("id")),
                          Prefetch("shipments", queryset=shipment_model().objects.only("id", "number").order_by("id")))
    )


def get_requests(user) -> QuerySet[InvoiceRequest]:
    return (InvoiceRequest.objects.visible_to(user)
            .select_related("customer", "requested_by", "handled_by", "invoice")
            .prefetch_related(Prefetch("orders", queryset=Order.objects.only("id", "number").order_by("id"))))


def invoiced_by_order(order_ids) -> dict[int, Decimal]:
    """Invoiced less credited per order, from the ledger (one GROUP BY)."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = (Fact.objects.filter(order_id__in=ids, kind__in=list(MEASURES["invoiced"])).order_by()
            .values("order_id").annotate(total=Sum("amount")))
    return {r["order_id"]: r["total"] or ZERO for r in rows}


def live_invoices():
    """Blue invoices not wholly reversed by red ones: a shipment linked to one counts as invoiced."""
    return (Invoice.objects.filter(original__isnull=True)
            .annotate(credited=Coalesce(_credited_subquery(), Value(0), output_field=Invoice._meta.get_field("amount")))
            .filter(credited__lt=F("amount")))


def uninvoiced_shipments(user) -> QuerySet:
    """已发货未开票: dispatched shipments the user may see that no live invoice covers, with their
    customer and order (logistics' shipments, reached without importing logistics)."""
    shipments = shipment_model().objects
    covered = Invoice.shipments.through.objects.filter(invoice__in=live_invoices()).values("shipment_id")
    visible = shipments.visible_to(user).values("pk")  # a subquery: visibility joins must not multiply sums
    return (shipments.filter(pk__in=visible).exclude(status__in=NOT_DISPATCHED).exclude(pk__in=covered)
            .select_related("customer", "order__salesperson"))


@dataclass(frozen=True)
class UninvoicedCustomer:
    customer_id: int
    code: str
    name: str
    shipments: int
    value: Decimal
    oldest: object  # the earliest dispatch time
    newest: object


def uninvoiced_by_customer(rows: QuerySet) -> list[UninvoicedCustomer]:
    """The uninvoiced shipments summed per customer, the largest value first (one GROUP BY)."""
    grouped = (rows.order_by().values("customer_id", "customer__code", "customer__name")
               .annotate(n=Count("id"), value=Sum("value"), oldest=Min("dispatched_at"), newest=Max("dispatched_at")))
    out = [UninvoicedCustomer(r["customer_id"], r["customer__code"], r["customer__name"], r["n"], r["value"] or ZERO,
                              r["oldest"], r["newest"]) for r in grouped]
    out.sort(key=lambda c: (-c.value, c.code))
    return out


@dataclass
class OrderInvoicing:
    """The invoice panel of an order: its invoices (with red ones) and the invoiced total."""

    invoices: list[Invoice] = field(default_factory=list)
    invoiced: Decimal = ZERO
    requests: list[InvoiceRequest] = field(default_factory=list)


def order_invoicing(user, order: Order) -> OrderInvoicing:
    invoices = list(invoices_for(user).filter(orders=order).order_by("issued_on", "id"))
    requests = list(InvoiceRequest.objects.visible_to(user).filter(orders=order)
                    .select_related("requested_by").order_by("-requested_at", "-id")[:20])
    return OrderInvoicing(invoices=invoices, invoiced=invoiced_by_order([order.pk]).get(order.pk, ZERO),
                          requests=requests)
