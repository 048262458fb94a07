"""Every write of the order domain (M5): enter and edit a draft order (每日签单录入) with its credit
split, approve or reject a non-standard price, submit it (booked facts + finance told at once,
立即上报财务部), cancel it, close its unshipped remainder, copy the last order, finance's "seen"
mark; and the coordination requests to production and planning/supply with their replies.

Rules in one place (pages, API, commands and demo data call these functions):
- Prices: a line without a price takes the *reference price* — under a contract the contract
  price (only contract products are allowed), otherwise the customer's price (the catalog's
  price for the customer's price level, else the list price). A price that differs from the
  reference puts the order's ``price_check`` on ``pending``; it cannot be submitted until a sales
  manager who did not ask for the price approves it.
- Contract quantities: what is left on a contract line is its quantity less the quantity booked
  by submitted orders, net of their unbooked facts (``queries.contract_remaining``). A cancelled
  order frees everything; closing an order frees its unshipped remainder (shipped quantities come
  from the logistics facts, so until shipments exist the whole line is freed).
- Credit split: shares > 0 summing to exactly 1, one per salesperson, each with their team;
  default 100 % to the order's salesperson (default: the customer's owner). Submitting writes one
  ``booked`` fact per line and credit share (``ledger.record`` splits amounts exactly).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from salesdesk.catalog.models import Product
from salesdesk.contracts.choices import ContractStatus
from salesdesk.contracts.models import Contract
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.core.notifications import notify
from salesdesk.core.numbering import next_number
from salesdesk.core.registries import run_hooks
from salesdesk.customers.choices import CustomerStatus, Settlement
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from . import queries
from .choices import ORDER_TRANSITIONS, CoordinationKind, CoordinationStatus, OrderStatus, PriceCheck
from .errors import OrderErrorCode
from .models import CoordinationRequest, CreditShare, Order, OrderLine

ONE = Decimal(1)
ZERO = Decimal(0)
MAX_LINES = 500
NUMBER_KIND = "SO"  # SO20261127-0001
COORDINATION_KIND = "XT"  # 协调: XT20261127-0001
SELLER_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER)
OPEN_FOR_COORDINATION = frozenset({OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED})


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None  # None: the contract or customer price


@dataclass(frozen=True)
class ShareInput:
    salesperson: object  # a User
    share: Decimal


@dataclass(frozen=True)
class OrderInput:
    """An order as entered: the customer and contract are already resolved for the actor."""

    customer: object
    order_date: date
    lines: Sequence[LineInput]
    contract: Contract | None = None
    salesperson: object | None = None  # default: the customer's owner
    credit_split: Sequence[ShareInput] | None = None  # default: 100 % to the salesperson
    requested_delivery_on: date | None = None
    delivery_address: str = ""
    delivery_contact: str = ""
    delivery_phone: str = ""
    notes: str = ""


@dataclass
class PricedLine:
    """A line with its reference price, tax rate, amount and tax worked out (DOMAIN.md §3)."""

    product: Product
    quantity: Decimal
    unit_price: Decimal
    reference_price: Decimal
    tax_rate: Decimal
    contract_line_id: int | None = None
    amount: Decimal = field(init=False)
    tax: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.amount = quantize_money(self.quantity * self.unit_price)
        self.tax = split_tax(self.amount, self.tax_rate)[1]


# --- who may act ------------------------------------------------------------------------------


def _require(allowed: bool, message: str = "") -> None:
    if not allowed:
        raise PermissionDenied(message)


def may_act(actor, order: Order) -> bool:
    """The clerk acts on every order; a salesperson on orders of their own customers (or where
    they are the order's salesperson); a manager on their team's. A credit-share holder who is
    neither sees the order but does not act on it."""
    scope = salesperson_scope(actor)
    if scope is None:
        return True
    return order.salesperson_id in scope or order.customer.salesperson_id in scope


def may_act_on_contract(actor, contract: Contract) -> bool:
    scope = salesperson_scope(actor)
    if scope is None:
        return True
    return contract.salesperson_id in scope or contract.customer.salesperson_id in scope


def check_create_permissions(actor, *, salesperson_id: int | None) -> None:
    """Role-level rules of entering an order, checked before any id is resolved (403 before 404):
    a salesperson enters orders for themselves, a manager for their team."""
    _require(actor.has_perm(perms.ADD_ORDER))
    scope = salesperson_scope(actor)
    if salesperson_id is not None and scope is not None and salesperson_id not in scope:
        raise PermissionDenied("只能为自己或本组业务员录入订单 / You may enter orders only for yourself or your team.")


def price_requesters(order: Order) -> set[int]:
    """Who asked for the order's price: whoever entered it, its salesperson, and whoever saved it
    while its price waited for approval. None of them may approve it (nobody approves their own)."""
    ids = {order.created_by_id, order.salesperson_id}
    ids |= set(order.history.filter(price_check=PriceCheck.PENDING).exclude(history_user_id=None)
               .values_list("history_user_id", flat=True))
    return ids


# --- helpers ----------------------------------------------------------------------------------


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("customer", "contract", "salesperson").get(pk=order.pk)


def _save(actor, obj, reason: str | None = None):
    obj._history_user = actor
    obj._change_reason = reason[:100] if reason else None
    obj.save()
    return obj


def _check_transition(order: Order, to: str) -> None:
    if to not in ORDER_TRANSITIONS[order.status]:
        raise DomainError(
            f"“{order.get_status_display()}”的订单不能变为“{OrderStatus(to).label}” / "
            f"Not allowed for an order in status {order.status}: → {to}.",
            code=OrderErrorCode.ORDER_STATE,
        )


def _users_with_role(role: str) -> list[int]:
    User = get_user_model()
    return list(User.objects.with_role(role).filter(is_active=True).values_list("pk", flat=True))


def _is_seller(user) -> bool:
    return user.is_active and user.has_role(*SELLER_ROLES)


def _yuan(amount) -> str:
    return f"¥{quantize_money(amount):,.2f}"


def _price(price: Decimal) -> str:
    return f"{price:,.2f}" if price == quantize_money(price) else f"{price.normalize():f}"


def _order_url(order: Order) -> str:
    return reverse("order_detail", args=[order.pk])


# --- pricing and checks -----------------------------------------------------------------------


def _check_contract_customer(customer, contract: Contract | None) -> None:
    if contract is not None and contract.customer_id != customer.pk:
        raise InvalidInput({"contract_id": ["合同不属于该客户 / The contract belongs to another customer."]},
                           code=OrderErrorCode.CONTRACT_MISMATCH)


def _check_contract_active(contract: Contract | None) -> None:
    """A business rule (409), checked after every input check (422)."""
    if contract is not None and contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            f"合同 {contract.number} 不在执行中，不能下单 / Contract {contract.number} is not active.",
            code=OrderErrorCode.CONTRACT_NOT_ACTIVE, field="contract_id",
        )


def price_lines(customer, contract: Contract | None, lines: Sequence[LineInput]) -> list[PricedLine]:
    """Reference price, tax rate and amounts of each line; 422 for lines the rules refuse."""
    if not lines:
        raise InvalidInput({"lines": ["订单至少需要一行 / An order needs at least one line."]},
                           code=OrderErrorCode.INVALID_LINES)
    if len(lines) > MAX_LINES:
        raise InvalidInput({"lines": [f"一张订单最多 {MAX_LINES} 行 / At most {MAX_LINES} lines."]},
                           code=OrderErrorCode.INVALID_LINES)
    errors: dict[str, list[str]] = {}
    contract_lines = {}
    if contract is not None:
        for cl in contract.lines.order_by("line_no"):
            contract_lines.setdefault(cl.product_id, cl)
    else:
        prices = queries.customer_prices(customer, {line.product.pk for line in lines})
    priced = []
    for i, line in enumerate(lines):
        product = line.product
        if line.quantity is None or line.quantity <= 0:
            errors.setdefault(f"lines.{i}.quantity", []).append("数量必须大于 0 / The quantity must be positive.")
        if line.unit_price is not None and line.unit_price < 0:
            errors.setdefault(f"lines.{i}.unit_price", []).append("单价不能为负 / The price cannot be negative.")
        if contract is not None:
            cl = contract_lines.get(product.pk)
            if cl is None:
                errors.setdefault(f"lines.{i}.product_id", []).append(
                    f"产品 {product.sku} 不在合同 {contract.number} 中 / {product.sku} is not on the contract.")
                continue
            reference, tax_rate, contract_line_id = cl.unit_price, cl.tax_rate, cl.pk
        else:
            if not product.active:
                errors.setdefault(f"lines.{i}.product_id", []).append(
                    f"产品 {product.sku} 已停售 / {product.sku} is no longer sold.")
                continue
            reference, tax_rate, contract_line_id = prices[product.pk], product.tax_rate, None
        if f"lines.{i}.quantity" in errors or f"lines.{i}.unit_price" in errors:
            continue
        unit_price = reference if line.unit_price is None else line.unit_price
        priced.append(PricedLine(product, line.quantity, unit_price, reference, tax_rate, contract_line_id))
    if errors:
        raise InvalidInput(errors, code=OrderErrorCode.INVALID_LINES)
    return priced


def _beyond_contract(contract: Contract, priced: Sequence[PricedLine], *, exclude_order_id=None) -> dict[str, list[str]]:
    """Errors for the lines that would take more than is left on their contract line (several
    lines on one contract line count together)."""
    remaining = queries.contract_remaining(contract, exclude_order_id=exclude_order_id)
    wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    errors: dict[str, list[str]] = {}
    for i, line in enumerate(priced):
        wanted[line.contract_line_id] += line.quantity
        left = remaining.get(line.contract_line_id, ZERO)
        if wanted[line.contract_line_id] > left:
            errors[f"lines.{i}.quantity"] = [
                f"超出合同剩余数量：{line.product.sku} 剩余 {left.normalize():f} / "
                f"Beyond what is left on the contract: {left.normalize():f} of {line.product.sku}."
            ]
    return errors


def _shares(salesperson, split: Sequence[ShareInput] | None) -> list[tuple[object, Decimal]]:
    if not split:
        return [(salesperson, ONE)]
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, s in enumerate(split):
        if s.share is None or s.share <= 0:
            errors.setdefault(f"credit_split.{i}.share", []).append("分成比例必须大于 0 / A share must be positive.")
        if s.salesperson.pk in seen:
            errors.setdefault(f"credit_split.{i}.salesperson_id", []).append(
                "同一业务员只能有一行分成 / One share per salesperson.")
        seen.add(s.salesperson.pk)
        if not _is_seller(s.salesperson):
            errors.setdefault(f"credit_split.{i}.salesperson_id", []).append(
                "分成人必须是在职业务员或销售经理 / A share goes to an active salesperson.")
    total = sum((s.share for s in split if s.share is not None), ZERO)
    if not errors and total != ONE:
        errors["credit_split"] = [f"分成比例合计必须等于 1（现为 {total.normalize():f}） / Shares must sum to exactly 1."]
    if errors:
        raise InvalidInput(errors, code=OrderErrorCode.INVALID_CREDIT_SPLIT)
    return [(s.salesperson, s.share) for s in split]


def _check_header(data: OrderInput) -> None:
    if not 1990 <= data.order_date.year <= 2100:
        raise InvalidInput({"order_date": ["下单日期不在合理范围内 / The order date is out of range."]})
    if data.requested_delivery_on is not None and data.requested_delivery_on < data.order_date:
        raise InvalidInput({"requested_delivery_on": ["要求交货日期不能早于下单日期 / Delivery cannot be before the order."]})


def _salesperson(actor, data: OrderInput):
    salesperson = data.salesperson or data.customer.salesperson
    if not _is_seller(salesperson):
        raise InvalidInput({"salesperson_id": ["业务员必须是在职业务员或销售经理 / The salesperson must be an active "
                                               "salesperson."]}, code=OrderErrorCode.INVALID_SALESPERSON)
    if data.salesperson is not None:
        check_create_permissions(actor, salesperson_id=salesperson.pk)
    return salesperson


def _write_lines_and_shares(order: Order, priced: Sequence[PricedLine], shares) -> None:
    OrderLine.objects.bulk_create([
        OrderLine(order=order, line_no=n, product=p.product, contract_line_id=p.contract_line_id, quantity=p.quantity,
                  unit_price=p.unit_price, reference_price=p.reference_price, tax_rate=p.tax_rate, amount=p.amount,
                  tax=p.tax)
        for n, p in enumerate(priced, start=1)
    ])
    CreditShare.objects.bulk_create([
        CreditShare(order=order, salesperson=sp, team_id=sp.team_id, share=share) for sp, share in shares
    ])


def _fill(order: Order, data: OrderInput, salesperson, priced: Sequence[PricedLine]) -> None:
    order.customer = data.customer
    order.contract = data.contract
    order.salesperson = salesperson
    order.order_date = data.order_date
    order.requested_delivery_on = data.requested_delivery_on
    order.delivery_address = (data.delivery_address or "")[:300]
    order.delivery_contact = (data.delivery_contact or "")[:50]
    order.delivery_phone = (data.delivery_phone or "")[:30]
    order.notes = data.notes or ""
    order.total = sum((p.amount for p in priced), ZERO)
    order.tax_total = sum((p.tax for p in priced), ZERO)
    deviates = any(p.unit_price != p.reference_price for p in priced)
    order.price_check = PriceCheck.PENDING if deviates else PriceCheck.OK
    order.price_approved_by = None


def _notify_price_approvers(actor, order: Order) -> None:
    """Tell the sales manager of the salesperson's team (or every sales manager when the team has
    none) that a price waits for them; never the people who asked for it."""
    team = order.salesperson.team
    managers = [team.manager_id] if team is not None and team.manager_id else _users_with_role(Role.SALES_MANAGER)
    recipients = set(managers) - price_requesters(order) - {actor.pk}
    if recipients:
        notify(recipients, f"订单价格待审批 {order.number}：{order.customer.name}",
               f"{actor.display_name} 录入的订单含非标准价格，合计 {_yuan(order.total)}，请审批。",
               url=_order_url(order), kind="order_price", dedupe_key=None)


# --- orders -----------------------------------------------------------------------------------


@transaction.atomic
def create_order(*, actor, data: OrderInput, number_on: date | None = None) -> Order:
    """Enter a draft order (``number_on`` dates its number; default today). Under a contract the
    quantities must fit what is left on the contract (422 otherwise)."""
    _require(actor.has_perm(perms.ADD_ORDER))
    _check_header(data)
    salesperson = _salesperson(actor, data)
    _check_contract_customer(data.customer, data.contract)
    priced = price_lines(data.customer, data.contract, data.lines)
    shares = _shares(salesperson, data.credit_split)
    if data.contract is not None:
        errors = _beyond_contract(data.contract, priced)
        if errors:
            raise InvalidInput(errors, code=OrderErrorCode.CONTRACT_QUANTITY_EXCEEDED)
    _check_contract_active(data.contract)
    order = Order(number=next_number(NUMBER_KIND, number_on), created_by=actor)
    _fill(order, data, salesperson, priced)
    _save(actor, order)
    _write_lines_and_shares(order, priced, shares)
    if order.price_check == PriceCheck.PENDING:
        _notify_price_approvers(actor, order)
    return order


@transaction.atomic
def update_order(*, actor, order: Order, data: OrderInput) -> Order:
    """Replace a draft's header, lines and credit split (only drafts change). A price that still
    differs from the reference asks for approval again."""
    _require(actor.has_perm(perms.CHANGE_ORDER))
    order = _lock(order)
    _require(may_act(actor, order))
    if order.status != OrderStatus.DRAFT:
        raise DomainError("只有草稿订单可以修改 / Only a draft can be edited.", code=OrderErrorCode.ORDER_STATE)
    _check_header(data)
    salesperson = _salesperson(actor, data)
    _check_contract_customer(data.customer, data.contract)
    priced = price_lines(data.customer, data.contract, data.lines)
    shares = _shares(salesperson, data.credit_split)
    if data.contract is not None:
        errors = _beyond_contract(data.contract, priced, exclude_order_id=order.pk)
        if errors:
            raise InvalidInput(errors, code=OrderErrorCode.CONTRACT_QUANTITY_EXCEEDED)
    _check_contract_active(data.contract)
    was_pending = order.price_check == PriceCheck.PENDING
    _fill(order, data, salesperson, priced)
    _save(actor, order)
    order.lines.all().delete()
    order.credit_shares.all().delete()
    _write_lines_and_shares(order, priced, shares)
    if order.price_check == PriceCheck.PENDING and not was_pending:
        _notify_price_approvers(actor, order)
    return order


def _booked_inputs(order: Order, lines, kind: FactKind, business_date: date, quantities=None, note: str = ""):
    shares = [Share(cs.salesperson_id, cs.share, cs.team_id) for cs in order.credit_shares.order_by("id")]
    items = []
    for line in lines:
        amount, tax, quantity = line.amount, line.tax, line.quantity
        if quantities is not None:
            amount, tax, quantity = quantities[line.pk]
        items.append(FactInput(
            kind=kind, business_date=business_date, amount=amount, tax=tax, quantity=quantity,
            customer_id=order.customer_id, product_id=line.product_id, contract_id=order.contract_id,
            order_id=order.pk, source_kind=queries.SOURCE_KIND, source_id=order.pk, source_line_id=line.pk,
            shares=shares, note=note[:200],
        ))
    return items


def _settlement_terms(customer) -> str:
    parts = [f"结算方式：{customer.get_settlement_display()}"]
    if customer.settlement == Settlement.DEPOSIT and customer.deposit_rate is not None:
        parts.append(f"定金比例 {customer.deposit_rate * 100:g}%")
    if customer.settlement in (Settlement.CREDIT, Settlement.MONTHLY):
        parts.append(f"信用额度 {_yuan(customer.credit_limit)}")
        parts.append(f"账期 {customer.credit_days} 天（{customer.get_term_anchor_display()}起算）")
    return "，".join(parts)


def finance_message(order: Order, lines) -> tuple[str, str]:
    """The notification finance gets for a submitted order: the order and the customer's terms."""
    customer = order.customer
    title = f"新订单上报 {order.number}：{customer.name} {_yuan(order.total)}"
    rows = [f"{line.product.sku} {line.product.name} × {line.quantity.normalize():f}{line.product.unit} "
            f"@ {_price(line.unit_price)} = {_yuan(line.amount)}" for line in lines]
    body = "\n".join([
        f"订单号：{order.number}    下单日期：{order.order_date:%Y-%m-%d}",
        f"客户：{customer.name}（{customer.code}）    业务员：{order.salesperson.display_name}",
        f"合同：{order.contract.number}" if order.contract_id else "合同：无",
        f"金额（含税）：{_yuan(order.total)}，其中税额 {_yuan(order.tax_total)}",
        _settlement_terms(customer),
        "明细：",
        *rows,
    ])
    return title, body


def _mark_first_order(actor, order: Order) -> None:
    """The customer file's 首单日期 (and a prospect becomes an active customer) — 新客户开发情况."""
    customer = order.customer
    changed = False
    if customer.first_order_on is None or customer.first_order_on > order.order_date:
        customer.first_order_on = order.order_date
        changed = True
    if customer.status == CustomerStatus.PROSPECT:
        customer.status = CustomerStatus.ACTIVE
        changed = True
    if changed:
        customer._history_user = actor
        customer._change_reason = f"订单 {order.number} 提交"
        customer.save(update_fields=["first_order_on", "status", "updated_at"])


@transaction.atomic
def submit_order(*, actor, order: Order) -> Order:
    """Submit a draft: check its price and (under a contract) the quantities left again, write one
    ``booked`` fact per line and credit share, and tell finance at once (in-app and by e-mail
    through the outbox, in this transaction). A repeated submit of a submitted order changes
    nothing and notifies nobody again."""
    _require(actor.has_perm(perms.SUBMIT_ORDER))
    order = _lock(order)
    _require(may_act(actor, order))
    if order.status == OrderStatus.SUBMITTED:
        return order  # a retried request
    _check_transition(order, OrderStatus.SUBMITTED)
    if order.price_check == PriceCheck.PENDING:
        raise DomainError("订单含非标准价格，需销售经理批准后才能提交 / A sales manager must approve the price first.",
                          code=OrderErrorCode.PRICE_APPROVAL_REQUIRED)
    if order.price_check == PriceCheck.REJECTED:
        raise DomainError("价格已被驳回，请修改价格后重新提交 / The price was rejected; change it first.",
                          code=OrderErrorCode.PRICE_REJECTED)
    lines = list(order.lines.select_related("product").order_by("line_no"))
    if order.contract_id:
        contract = Contract.objects.select_for_update().get(pk=order.contract_id)
        _check_contract_active(contract)
        priced = [PricedLine(line.product, line.quantity, line.unit_price, line.reference_price, line.tax_rate,
                             line.contract_line_id) for line in lines]
        errors = _beyond_contract(contract, priced, exclude_order_id=order.pk)
        if errors:
            raise DomainError(next(iter(errors.values()))[0], code=OrderErrorCode.CONTRACT_QUANTITY_EXCEEDED)
    record(_booked_inputs(order, lines, FactKind.BOOKED, order.order_date), actor=actor)
    order.status = OrderStatus.SUBMITTED
    order.submitted_at = timezone.now()
    _save(actor, order)
    _mark_first_order(actor, order)
    title, body = finance_message(order, lines)
    notify(_users_with_role(Role.FINANCE), title, body, url=_order_url(order), kind="order_submitted",
           dedupe_key=f"order-submitted:{order.pk}")
    return order


ORDER_RELEASED_HOOK = "order_released"


def return_allocated_money_to_advance(*, actor, order: Order) -> None:
    """"Money allocated to it goes back to the customer's advance" (API.md, Orders) — on cancel, and
    on closing the remainder for what was allocated beyond the value shipped.

    Orders sit below finance and must not import it (DESIGN.md: dependencies point one way), so
    this announces the named hook ``order_released`` (``order=``, ``actor=``) inside the business
    transaction; the Payments issue registers the function that moves the money
    (``register_hook(ORDER_RELEASED_HOOK, ...)`` in finance's ``AppConfig.ready``). Until then
    nothing is allocated to orders and nothing needs to move."""
    run_hooks(ORDER_RELEASED_HOOK, order=order, actor=actor)


def _remainders(order: Order, lines) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """(amount, tax, quantity) still booked and not shipped, per order line. Shipped quantities
    of a product are taken from its lines in line order."""
    booked = queries.booked_by_line(order)
    shipped = dict(queries.shipped_by_product(order))
    out = {}
    for line in lines:
        b = booked.get(line.pk)
        if b is None or b.quantity <= 0:
            continue
        take = min(b.quantity, max(shipped.get(line.product_id, ZERO), ZERO))
        shipped[line.product_id] = shipped.get(line.product_id, ZERO) - take
        left = b.quantity - take
        if left <= 0:
            continue
        if left == b.quantity:
            out[line.pk] = (b.amount, b.tax, left)  # the whole line: exactly what was booked
        else:
            amount = min(quantize_money(left * line.unit_price), b.amount)
            out[line.pk] = (amount, split_tax(amount, line.tax_rate)[1], left)
    return out


def _unbook(actor, order: Order, note: str) -> None:
    lines = list(order.lines.order_by("line_no"))
    remainders = _remainders(order, lines)
    open_lines = [line for line in lines if line.pk in remainders]
    if open_lines:
        record(_booked_inputs(order, open_lines, FactKind.UNBOOKED, timezone.localdate(), remainders, note),
               actor=actor)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["请填写原因 / A reason is required."]})
    return reason[:300]


@transaction.atomic
def cancel_order(*, actor, order: Order, reason: str) -> Order:
    """Cancel a draft or a submitted order. A submitted one is unbooked (its facts reversed) and
    the money allocated to it goes back to the customer's advance; finance is told."""
    _require(actor.has_perm(perms.CANCEL_ORDER))
    order = _lock(order)
    _require(may_act(actor, order))
    reason = _reason(reason)
    if order.status not in (OrderStatus.DRAFT, OrderStatus.SUBMITTED):
        raise DomainError(f"“{order.get_status_display()}”的订单不能取消 / Only draft or submitted orders can be "
                          "cancelled.", code=OrderErrorCode.ORDER_STATE)
    was_submitted = order.status == OrderStatus.SUBMITTED
    if was_submitted:
        _unbook(actor, order, f"取消：{reason}")
    order.status = OrderStatus.CANCELLED
    order.cancel_reason = reason
    _save(actor, order, f"取消：{reason}")
    if was_submitted:
        return_allocated_money_to_advance(actor=actor, order=order)
        notify(_users_with_role(Role.FINANCE), f"订单已取消 {order.number}：{order.customer.name}",
               f"原因：{reason}（{actor.display_name}）", url=_order_url(order), kind="order_cancelled",
               dedupe_key=f"order-cancelled:{order.pk}")
    return order


@transaction.atomic
def close_order(*, actor, order: Order, reason: str) -> Order:
    """A sales manager closes a submitted order's unshipped remainder: ``unbooked`` facts for what
    was booked and not shipped, so the contract gets that quantity back."""
    _require(actor.has_perm(perms.CLOSE_ORDER))
    order = _lock(order)
    reason = _reason(reason)
    _check_transition(order, OrderStatus.CLOSED)
    _unbook(actor, order, f"关闭余量：{reason}")
    order.status = OrderStatus.CLOSED
    order.close_reason = reason
    _save(actor, order, f"关闭：{reason}")
    return_allocated_money_to_advance(actor=actor, order=order)
    notify(_users_with_role(Role.FINANCE), f"订单余量已关闭 {order.number}：{order.customer.name}",
           f"原因：{reason}（{actor.display_name}）", url=_order_url(order), kind="order_closed",
           dedupe_key=f"order-closed:{order.pk}")
    return order


def _decide_price(actor, order: Order, to: str, reason: str = "") -> Order:
    _require(actor.has_perm(perms.APPROVE_PRICE))
    order = _lock(order)
    if actor.pk in price_requesters(order):
        raise PermissionDenied("不能审批自己提出的价格 / Nobody approves their own price.")
    if order.price_check != PriceCheck.PENDING or order.status != OrderStatus.DRAFT:
        raise DomainError("该订单没有待审批的价格 / No price waits for approval on this order.",
                          code=OrderErrorCode.PRICE_CHECK_STATE)
    order.price_check = to
    order.price_approved_by = actor if to == PriceCheck.APPROVED else None
    verb = "批准" if to == PriceCheck.APPROVED else "驳回"
    _save(actor, order, f"价格{verb}" + (f"：{reason}" if reason else ""))
    recipients = {order.created_by_id, order.salesperson_id} - {actor.pk}
    notify(recipients, f"订单价格已{verb} {order.number}", f"{actor.display_name} {verb}了非标准价格。{reason}".strip(),
           url=_order_url(order), kind="order_price")
    return order


@transaction.atomic
def approve_price(*, actor, order: Order) -> Order:
    """A sales manager who did not ask for the price approves it; the order may then be submitted."""
    return _decide_price(actor, order, PriceCheck.APPROVED)


@transaction.atomic
def reject_price(*, actor, order: Order, reason: str = "") -> Order:
    """The price is refused: the draft stays unsubmittable until its prices change."""
    return _decide_price(actor, order, PriceCheck.REJECTED, (reason or "").strip()[:200])


@transaction.atomic
def mark_seen(*, actor, order: Order) -> Order:
    """Finance has looked at a reported order (the desk lists those not yet seen)."""
    _require(actor.has_perm(perms.MARK_SEEN))
    order = _lock(order)
    if order.status == OrderStatus.DRAFT:
        raise DomainError("草稿订单尚未上报 / A draft has not been reported yet.", code=OrderErrorCode.ORDER_STATE)
    if order.finance_seen_at is None:
        order.finance_seen_at = timezone.now()
        _save(actor, order, "财务已阅")
    return order


@transaction.atomic
def copy_order(*, actor, source: Order, order_date: date | None = None) -> Order:
    """"Copy last order": a new draft for the same customer with the same products and quantities
    at today's prices (the contract's while it is active), the same salesperson and credit split."""
    _require(actor.has_perm(perms.ADD_ORDER))
    _require(may_act(actor, source))
    contract = source.contract if source.contract_id and source.contract.status == ContractStatus.ACTIVE else None
    lines = [LineInput(line.product, line.quantity) for line in source.lines.select_related("product").order_by("line_no")
             if contract is not None or line.product.active]
    if not lines:
        raise InvalidInput({"lines": ["原订单的产品均已停售 / None of the products is sold any more."]},
                           code=OrderErrorCode.INVALID_LINES)
    salesperson = source.salesperson if _is_seller(source.salesperson) else None
    shares = [ShareInput(cs.salesperson, cs.share) for cs in source.credit_shares.select_related("salesperson")]
    if salesperson is None or not all(_is_seller(s.salesperson) for s in shares):
        shares = None
    scope = salesperson_scope(actor)
    if salesperson is not None and scope is not None and salesperson.pk not in scope:
        salesperson, shares = None, None
    return create_order(actor=actor, data=OrderInput(
        customer=source.customer, contract=contract, salesperson=salesperson, credit_split=shares,
        order_date=order_date or timezone.localdate(), lines=lines, delivery_address=source.delivery_address,
        delivery_contact=source.delivery_contact, delivery_phone=source.delivery_phone,
    ))


# --- coordination with production and planning/supply -----------------------------------------


def _coordination_error(field_name: str, message: str) -> InvalidInput:
    return InvalidInput({field_name: [message]}, code=OrderErrorCode.INVALID_COORDINATION)


@transaction.atomic
def request_coordination(
    *, actor, kind: str, product: Product, quantity: Decimal, needed_by: date, order: Order | None = None,
    contract: Contract | None = None,
) -> CoordinationRequest:
    """Ask production or planning/supply (按合同要求同生产部及计划供应部做好衔接) for a product of an order
    or a contract: how much, needed by when. The planners are told."""
    _require(actor.has_perm(perms.ADD_COORDINATION))
    if (order is None) == (contract is None):
        raise _coordination_error("order_id", "请指定订单或合同（二选一） / Give an order or a contract, not both.")
    if order is not None:
        _require(may_act(actor, order))
    else:
        _require(may_act_on_contract(actor, contract))
    if kind not in CoordinationKind.values:
        raise _coordination_error("kind", "对象必须是生产部或计划供应部 / Kind is production or supply.")
    if quantity is None or quantity <= 0:
        raise _coordination_error("quantity", "数量必须大于 0 / The quantity must be positive.")
    if not 1990 <= needed_by.year <= 2100:
        raise _coordination_error("needed_by", "需求日期不在合理范围内 / The date is out of range.")
    lines = order.lines if order is not None else contract.lines
    if not lines.filter(product=product).exists():
        raise _coordination_error("product_id", f"产品 {product.sku} 不在该单据中 / {product.sku} is not on the document.")
    if order is not None and order.status not in OPEN_FOR_COORDINATION:
        raise DomainError(f"“{order.get_status_display()}”的订单不能再提协调 / The order is no longer open.",
                          code=OrderErrorCode.COORDINATION_STATE)
    if contract is not None and contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        raise DomainError(f"合同 {contract.number} 已结束 / The contract has ended.", code=OrderErrorCode.COORDINATION_STATE)
    req = CoordinationRequest(
        number=next_number(COORDINATION_KIND), kind=kind, order=order, contract=contract, product=product,
        quantity=quantity, needed_by=needed_by, created_by=actor,
    )
    _save(actor, req)
    source = order.number if order is not None else contract.number
    notify(_users_with_role(Role.PLANNER),
           f"{req.get_kind_display()}协调 {req.number}：{product.name} × {quantity.normalize():f}{product.unit}",
           f"单据 {source}，需求日期 {needed_by:%Y-%m-%d}（{actor.display_name} 提出）",
           url=reverse("coordination_detail", args=[req.pk]), kind="coordination")
    return req


def _refresh_promised_delivery(actor, order: Order) -> Order:
    """The order can be delivered when every promised part is ready: the latest promised date of
    its confirmed or partly confirmed requests."""
    dates = [d for d in order.coordination_requests.filter(
        status__in=[CoordinationStatus.CONFIRMED, CoordinationStatus.PARTIAL]).values_list("promised_on", flat=True) if d]
    promised = max(dates) if dates else None
    if order.promised_delivery_on != promised:
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.promised_delivery_on = promised
        _save(actor, order, "生产/供应答复")
    return order


@transaction.atomic
def reply_coordination(
    *, actor, request: CoordinationRequest, status: str, promised_on: date | None = None,
    promised_quantity: Decimal | None = None, note: str = "",
) -> CoordinationRequest:
    """Record production's or supply's answer — by the planner, or by the clerk after a phone
    call: confirmed (the whole quantity by a date), partial (part of it by a date) or cannot.
    Every reply is kept in the history; a changed promised date moves the order's promised
    delivery date and tells the clerks and the salesperson."""
    _require(actor.has_perm(perms.REPLY_COORDINATION))
    req = CoordinationRequest.objects.select_for_update(of=("self",)).select_related("order", "contract").get(pk=request.pk)
    errors: dict[str, list[str]] = {}
    if status not in (CoordinationStatus.CONFIRMED, CoordinationStatus.PARTIAL, CoordinationStatus.CANNOT):
        errors["status"] = ["答复必须是确认、部分确认或无法满足 / Reply confirmed, partial or cannot."]
    elif status == CoordinationStatus.CANNOT:
        promised_on, promised_quantity = None, None
    else:
        if promised_on is None:
            errors["promised_on"] = ["请填写承诺日期 / The promised date is required."]
        elif not 1990 <= promised_on.year <= 2100:
            errors["promised_on"] = ["承诺日期不在合理范围内 / The date is out of range."]
        if status == CoordinationStatus.CONFIRMED:
            if promised_quantity is not None and promised_quantity != req.quantity:
                errors["promised_quantity"] = ["全部确认时承诺数量应等于需求数量，否则请选“部分确认” / "
                                               "A confirmation promises the whole quantity; use partial."]
            promised_quantity = req.quantity
        elif promised_quantity is None or not ZERO < promised_quantity < req.quantity:
            errors["promised_quantity"] = ["部分确认的数量应大于 0 且小于需求数量 / A partial quantity is between 0 and "
                                           "the quantity asked for."]
    if errors:
        raise InvalidInput(errors, code=OrderErrorCode.INVALID_REPLY)
    if req.status == CoordinationStatus.CANCELLED:
        raise DomainError("该协调已撤销 / The request was withdrawn.", code=OrderErrorCode.COORDINATION_STATE)
    old = (req.status, req.promised_on, req.promised_quantity)
    req.status, req.promised_on, req.promised_quantity = status, promised_on, promised_quantity
    req.reply_note = (note or "").strip()[:300]
    req.replied_by, req.replied_at = actor, timezone.now()
    _save(actor, req, "答复")
    if req.order_id:
        req.order = _refresh_promised_delivery(actor, req.order)
    if old != (req.status, req.promised_on, req.promised_quantity):
        _notify_reply(actor, req, date_changed=old[1] != req.promised_on)
    return req


def _notify_reply(actor, req: CoordinationRequest, *, date_changed: bool) -> None:
    doc = req.order or req.contract
    recipients = set(_users_with_role(Role.CLERK)) | {doc.salesperson_id, req.created_by_id}
    recipients.discard(actor.pk)
    if req.status == CoordinationStatus.CANNOT:
        what = "无法满足"
    else:
        what = f"承诺 {req.promised_on:%Y-%m-%d} 交付 {req.promised_quantity.normalize():f}{req.product.unit}"
    prefix = "承诺日期变更" if date_changed and req.status != CoordinationStatus.CANNOT else "协调答复"
    body = f"{req.get_kind_display()}答复：{what}。{req.reply_note}".strip()
    if req.order_id:
        promised = req.order.promised_delivery_on
        body += f"\n订单承诺交货日期：{promised:%Y-%m-%d}" if promised else "\n订单暂无承诺交货日期"
    notify(recipients, f"{prefix} {doc.number}：{req.product.name}", body,
           url=reverse("coordination_detail", args=[req.pk]), kind="coordination")
