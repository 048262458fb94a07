"""Every write of the contract domain: create a contract with its lines and instalments (回款计划),
edit a draft, activate, terminate, complete, expire, renew, and file it (归档).

Amounts are computed here, once, when the rows are written (DESIGN.md, "Money"): a line's amount
is round_half_up(quantity × unit price incl. tax), its tax is split from that amount
(``split_tax``, DOMAIN.md §3), the contract total is the sum of the line amounts and its tax the
sum of the line taxes. Instalments, when given, must sum exactly to the total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from salesdesk.catalog.models import Product
from salesdesk.catalog.services import price_for
from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import format_money, quantize_money, quantize_quantity, quantize_unit_price, split_tax
from salesdesk.core.numbering import next_number, suggest_number
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from .choices import CONTRACT_TRANSITIONS, ContractKind, ContractStatus
from .errors import ContractErrorCode
from .models import Contract, ContractLine, Instalment

NUMBER_KIND = "HT"
NUMBER_PERIOD = "%Y"
HEADER_FIELDS = ("kind", "signed_on", "starts_on", "ends_on", "payment_terms", "deposit_rate", "credit_days",
                 "delivery_terms", "notes", "archive_no", "paper_location")
FILING_FIELDS = ("archive_no", "paper_location", "notes")  # may change in any status
TEXT_LIMITS = {"payment_terms": 300, "delivery_terms": 300, "archive_no": 50, "paper_location": 100, "notes": 5000}
MAX_LINES = 500
MAX_INSTALMENTS = 120
MAX_QUANTITY = Decimal(10) ** 12
MAX_TOTAL = Decimal(10) ** 13

MSG_NOT_DRAFT = "只有草稿状态的合同可以修改明细和条款 / Only a draft contract may be edited."


@dataclass(frozen=True)
class LineInput:
    """One product on a contract as entered; ``unit_price`` None takes the customer's price."""

    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class InstalmentInput:
    due_on: date
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class ComputedLine:
    line_no: int
    product: Product
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal


# --- who may do what --------------------------------------------------------------------------


def assignable_salespeople(user) -> QuerySet[User]:
    """Salespeople (and sales managers) ``user`` may name as a contract's salesperson: everyone
    for the clerk, GM and finance; their teams for a manager; themselves for a salesperson."""
    qs = User.objects.filter(groups__name__in=[Role.SALESPERSON, Role.SALES_MANAGER], is_active=True).distinct()
    scope = salesperson_scope(user)
    return qs.order_by("username") if scope is None else qs.filter(pk__in=scope).order_by("username")


def may_write(user, contract: Contract) -> bool:
    return user.has_perm(perms.CHANGE_CONTRACT) and perms.may_write_for(user, contract.customer)


def _check(user, permission: str, customer) -> None:
    if not user.has_perm(permission) or not perms.may_write_for(user, customer):
        raise PermissionDenied


# --- computing and checking ----------------------------------------------------------------------


def compute_lines(lines: Sequence[LineInput], customer) -> tuple[list[ComputedLine], dict[str, list[str]]]:
    """The lines with amount and tax split, and the errors by field (``lines.2.quantity``)."""
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = ["合同至少需要一行明细 / A contract needs at least one line."]
    if len(lines) > MAX_LINES:
        errors["lines"] = [f"明细最多 {MAX_LINES} 行 / At most {MAX_LINES} lines."]
    computed: list[ComputedLine] = []
    seen: dict[int, int] = {}
    for i, line in enumerate(lines[:MAX_LINES]):
        product = line.product
        if product.pk in seen:
            errors[f"lines.{i}.product_id"] = [
                f"产品 {product.sku} 与第 {seen[product.pk] + 1} 行重复，请合并为一行 / The product is on line "
                f"{seen[product.pk] + 1} already."
            ]
            continue
        seen[product.pk] = i
        if not product.active:
            errors[f"lines.{i}.product_id"] = [f"产品 {product.sku} 已停售 / The product is not on sale."]
        quantity = line.quantity
        if quantity is None or not quantity.is_finite() or quantity <= 0 or quantity >= MAX_QUANTITY \
                or quantity != quantize_quantity(quantity):
            errors[f"lines.{i}.quantity"] = ["数量必须大于 0，最多三位小数 / The quantity must be above 0, 3 decimals at most."]
            continue
        price = price_for(product, customer) if line.unit_price is None else line.unit_price
        if not price.is_finite() or price < 0 or price != quantize_unit_price(price):
            errors[f"lines.{i}.unit_price"] = ["单价必须是非负数，最多六位小数 / The unit price must not be negative."]
            continue
        amount = quantize_money(quantity * price)
        if amount >= MAX_TOTAL:
            errors[f"lines.{i}.quantity"] = ["金额过大 / The amount is too large."]
            continue
        _, tax = split_tax(amount, product.tax_rate)
        computed.append(ComputedLine(i + 1, product, quantity, price, product.tax_rate, amount, tax))
    return computed, errors


def instalment_errors(instalments: Sequence[InstalmentInput], total: Decimal) -> dict[str, list[str]]:
    if not instalments:
        return {}
    errors: dict[str, list[str]] = {}
    if len(instalments) > MAX_INSTALMENTS:
        return {"instalments": [f"回款计划最多 {MAX_INSTALMENTS} 期 / At most {MAX_INSTALMENTS} instalments."]}
    for i, item in enumerate(instalments):
        if not item.amount.is_finite() or item.amount <= 0 or item.amount != quantize_money(item.amount):
            errors[f"instalments.{i}.amount"] = ["每期金额必须大于 0，最多两位小数 / Each amount must be above 0."]
        if len(item.note or "") > 100:
            errors[f"instalments.{i}.note"] = ["说明最多 100 个字符 / At most 100 characters."]
    if errors:
        return errors
    planned = sum((item.amount for item in instalments), Decimal("0.00"))
    if planned != total:
        difference = total - planned
        return {"instalments": [
            f"回款计划合计 {format_money(planned)} 元，与合同金额 {format_money(total)} 元不一致"
            f"（相差 {format_money(difference)} 元），各期金额之和必须等于合同金额 / The instalments sum to "
            f"{format_money(planned)} but the contract total is {format_money(total)} (difference "
            f"{format_money(difference)}); they must sum exactly to the total."
        ]}
    return {}


def header_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field in ("signed_on", "starts_on", "ends_on"):
        if not isinstance(values.get(field), date):
            errors[field] = ["请填写日期 / A date is required."]
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
        errors["ends_on"] = ["结束日期不能早于开始日期 / The contract cannot end before it starts."]
    if values.get("kind") not in ContractKind.values:
        errors["kind"] = ["未知的合同类型 / Unknown contract kind."]
    rate = values.get("deposit_rate")
    if rate is not None and not (rate.is_finite() and Decimal(0) <= rate <= Decimal(1)):
        errors["deposit_rate"] = ["定金比例应在 0 和 1 之间 / The deposit rate must be between 0 and 1."]
    days = values.get("credit_days")
    if days is not None and not (0 <= days <= 3650):
        errors["credit_days"] = ["账期天数应在 0 到 3650 之间 / Credit days must be 0–3650."]
    for field, limit in TEXT_LIMITS.items():
        if len(values.get(field) or "") > limit:
            errors[field] = [f"最多 {limit} 个字符 / At most {limit} characters."]
    return errors


def clean_number(raw: str | None, *, exclude_pk: int | None = None) -> tuple[str | None, dict[str, list[str]]]:
    """A typed number, stripped and checked unique (a taken number is invalid input: 422 on
    ``number``); ``None`` when the counter is to suggest one."""
    number = " ".join((raw or "").split())
    if not number:
        return None, {}
    if len(number) > 40:
        return None, {"number": ["合同编号最多 40 个字符 / At most 40 characters."]}
    qs = Contract.objects.filter(number__iexact=number)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        return None, {"number": [f"合同编号 {number} 已被使用 / The contract number {number} is taken."]}
    return number, {}


def _number_taken(candidate: str) -> bool:
    return Contract.objects.filter(number__iexact=candidate).exists()


def suggested_number(on: date | None = None) -> str:
    """The number the counter would give (the form's placeholder), skipping typed ones."""
    return suggest_number(NUMBER_KIND, on, period_format=NUMBER_PERIOD)


def _raise(errors: dict[str, list[str]]) -> None:
    if not errors:
        return
    keys = set(errors)
    if keys == {"instalments"}:
        code = ContractErrorCode.INSTALMENTS_MISMATCH
    elif keys == {"number"}:
        code = ContractErrorCode.NUMBER_TAKEN
    elif all(k.startswith("lines") for k in keys):
        code = ContractErrorCode.INVALID_LINES
    else:
        code = ContractErrorCode.INVALID
    raise InvalidInput(errors, code=code)


def _header_values(data: Mapping[str, Any], base: Contract | None = None) -> dict[str, Any]:
    values = {f: getattr(base, f) for f in HEADER_FIELDS} if base is not None else {
        "kind": ContractKind.SALES, "payment_terms": "", "delivery_terms": "", "notes": "", "archive_no": "",
        "paper_location": "", "deposit_rate": None, "credit_days": None,
    }
    for field in HEADER_FIELDS:
        if field in data:
            value = data[field]
            if field in TEXT_LIMITS:
                value = (value or "").strip()
            values[field] = value
    rate = values.get("deposit_rate")
    if rate is not None and not isinstance(rate, Decimal):
        try:
            values["deposit_rate"] = Decimal(str(rate))
        except ArithmeticError:
            values["deposit_rate"] = Decimal(-1)  # refused by header_errors
    return values


def _write_lines(contract: Contract, lines: list[ComputedLine]) -> None:
    ContractLine.objects.bulk_create([
        ContractLine(contract=contract, line_no=line.line_no, product=line.product, quantity=line.quantity,
                     unit_price=line.unit_price, tax_rate=line.tax_rate, amount=line.amount, tax=line.tax)
        for line in lines
    ])


def _write_instalments(contract: Contract, instalments: Sequence[InstalmentInput]) -> None:
    ordered = sorted(instalments, key=lambda i: i.due_on)
    Instalment.objects.bulk_create([
        Instalment(contract=contract, seq=n, due_on=item.due_on, amount=item.amount, note=(item.note or "").strip())
        for n, item in enumerate(ordered, start=1)
    ])


def _totals(lines: list[ComputedLine]) -> tuple[Decimal, Decimal]:
    return (sum((line.amount for line in lines), Decimal("0.00")), sum((line.tax for line in lines), Decimal("0.00")))


def _salesperson_errors(actor, salesperson) -> dict[str, list[str]]:
    if not assignable_salespeople(actor).filter(pk=salesperson.pk).exists():
        return {"salesperson_id": ["业务员必须是您可以指派的在职业务员 / Not a salesperson you may assign."]}
    return {}


# --- writes -----------------------------------------------------------------------------------------


@transaction.atomic
def create_contract(
    *, actor, customer, salesperson, data: Mapping[str, Any], lines: Sequence[LineInput],
    instalments: Sequence[InstalmentInput] = (), renewal_of: Contract | None = None,
) -> Contract:
    """A new draft. ``customer`` and ``salesperson`` are resolved for the actor already (404
    for what they may not see); everything else is checked here, and nothing is written unless
    all of it is right."""
    _check(actor, perms.ADD_CONTRACT, customer)
    values = _header_values(data)
    errors = header_errors(values) | _salesperson_errors(actor, salesperson)
    number, number_errors = clean_number(data.get("number"))
    computed, line_errors = compute_lines(lines, customer)
    errors |= number_errors | line_errors
    total, tax_total = _totals(computed)
    if total >= MAX_TOTAL:
        errors["lines"] = ["合同金额过大 / The contract total is too large."]
    if not line_errors:
        errors |= instalment_errors(instalments, total)
    _raise(errors)
    contract = Contract(
        number=number or next_number(NUMBER_KIND, values["signed_on"], period_format=NUMBER_PERIOD,
                                     taken=_number_taken),
        customer=customer, salesperson=salesperson, status=ContractStatus.DRAFT, total=total, tax_total=tax_total,
        renewal_of=renewal_of, created_by=actor, **values,
    )
    contract._history_user = actor
    if renewal_of is not None:
        contract._change_reason = f"续签自 {renewal_of.number}"[:100]
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:  # a concurrent request took the typed number first
        _raise(clean_number(number)[1] or {"number": ["合同编号已被使用 / The number is taken."]})
        raise
    _write_lines(contract, computed)
    _write_instalments(contract, instalments)
    return contract


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update(of=("self",)).select_related("customer").get(pk=contract.pk)


@transaction.atomic
def update_contract(
    *, actor, contract: Contract, data: Mapping[str, Any], lines: Sequence[LineInput] | None = None,
    instalments: Sequence[InstalmentInput] | None = None, customer=None, salesperson=None,
) -> Contract:
    """Edit a contract. A draft: anything (lines and instalments are replaced when given). Any
    other status: only the filing fields (归档号, 纸质原件存放处) and notes — else 409."""
    _check(actor, perms.CHANGE_CONTRACT, contract.customer)
    if customer is not None and customer.pk != contract.customer_id:
        _check(actor, perms.CHANGE_CONTRACT, customer)
    contract = _locked(contract)
    customer = customer or contract.customer
    values = _header_values(data, contract)
    errors = header_errors(values)
    if salesperson is not None and salesperson.pk != contract.salesperson_id:
        errors |= _salesperson_errors(actor, salesperson)
    number = None
    if "number" in data and (data["number"] or "").strip() and data["number"].strip() != contract.number:
        number, number_errors = clean_number(data["number"], exclude_pk=contract.pk)
        errors |= number_errors
    computed: list[ComputedLine] | None = None
    total = contract.total
    if lines is not None:
        computed, line_errors = compute_lines(lines, customer)
        errors |= line_errors
        total = _totals(computed)[0]
    if instalments is not None:
        if not errors:
            errors |= instalment_errors(instalments, total)
    elif computed is not None and not errors:
        existing = [InstalmentInput(i.due_on, i.amount) for i in contract.instalments.all()]
        errors |= instalment_errors(existing, total)
    _raise(errors)
    touches_terms = (
        lines is not None or instalments is not None or number is not None
        or (customer.pk != contract.customer_id) or (salesperson is not None and salesperson.pk != contract.salesperson_id)
        or any(values[f] != getattr(contract, f) for f in HEADER_FIELDS if f not in FILING_FIELDS)
    )
    if touches_terms and contract.status != ContractStatus.DRAFT:
        raise DomainError(MSG_NOT_DRAFT, code=ContractErrorCode.NOT_DRAFT)
    for field, value in values.items():
        setattr(contract, field, value)
    if number:
        contract.number = number
    contract.customer = customer
    if salesperson is not None:
        contract.salesperson = salesperson
    reasons = []
    if computed is not None:
        contract.lines.all().delete()
        _write_lines(contract, computed)
        contract.total, contract.tax_total = _totals(computed)
        reasons.append("明细已更新")
    if instalments is not None:
        contract.instalments.all().delete()
        _write_instalments(contract, instalments)
        reasons.append("回款计划已更新")
    contract._history_user = actor
    contract._change_reason = "，".join(reasons) or None
    contract.save()
    return contract


def _move(contract: Contract, *, actor, to: str, expected: str | None = None, reason: str = "",
          extra: Mapping[str, Any] | None = None) -> Contract:
    """Race-safe status change: one conditional UPDATE on the old status, "one row changed" is
    success; the UPDATE bypasses model history, so the history row is written here."""
    current = contract.status
    if (expected is not None and current != expected) or to not in CONTRACT_TRANSITIONS.get(current, frozenset()):
        raise DomainError(
            f"合同 {contract.number} 当前为“{ContractStatus(current).label}”，不能变为“{ContractStatus(to).label}” / "
            f"Not allowed: {current} → {to}.",
            code=ContractErrorCode.NOT_DRAFT if to == ContractStatus.ACTIVE else ContractErrorCode.TRANSITION,
        )
    changed = Contract.objects.filter(pk=contract.pk, status=current).update(
        status=to, updated_at=timezone.now(), **(extra or {})
    )
    if not changed:
        raise ConcurrentChange()
    contract.refresh_from_db()
    contract._history_user = actor
    contract._change_reason = reason[:100] or None
    contract.save(update_fields=["updated_at"])
    return contract


@transaction.atomic
def activate_contract(*, actor, contract: Contract) -> Contract:
    """Draft → active (生效): orders may be placed under it from now on."""
    _check(actor, perms.ACTIVATE_CONTRACT, contract.customer)
    return _move(contract, actor=actor, to=ContractStatus.ACTIVE, expected=ContractStatus.DRAFT,
                 reason="合同生效", extra={"activated_at": timezone.now()})


@transaction.atomic
def terminate_contract(*, actor, contract: Contract, reason: str) -> Contract:
    """Active or expired → terminated (ended early by agreement), with the reason."""
    _check(actor, perms.CHANGE_CONTRACT, contract.customer)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput({"reason": ["请填写终止原因 / A reason is required."]})
    return _move(contract, actor=actor, to=ContractStatus.TERMINATED, reason=f"终止：{reason}")


@transaction.atomic
def complete_contract(*, actor, contract: Contract, reason: str = "") -> Contract:
    """Active or expired → completed (everything delivered and paid, or closed as done)."""
    _check(actor, perms.CHANGE_CONTRACT, contract.customer)
    reason = " ".join((reason or "").split())
    return _move(contract, actor=actor, to=ContractStatus.COMPLETED, reason=f"完成：{reason}" if reason else "合同完成")


def expire_contracts(as_of: date | None = None) -> int:
    """Mark active contracts whose end date has passed as expired (the nightly job). Each
    contract in its own short transaction, race-safe; returns how many expired."""
    as_of = as_of or timezone.localdate()
    expired = 0
    ids = list(Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=as_of).values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            contract = Contract.objects.filter(pk=pk).first()
            if contract is None or contract.status != ContractStatus.ACTIVE:
                continue
            try:
                _move(contract, actor=None, to=ContractStatus.EXPIRED, expected=ContractStatus.ACTIVE,
                      reason=f"已过结束日期 {contract.ends_on:%Y-%m-%d}")
            except ConcurrentChange:
                continue
            expired += 1
    return expired


@transaction.atomic
def renew_contract(*, actor, contract: Contract, data: Mapping[str, Any] | None = None) -> Contract:
    """A new draft continuing ``contract`` (续签): same customer, products and prices, the period
    following the old one with the same length; the renewal link is kept on the new contract."""
    if contract.status == ContractStatus.DRAFT:
        raise DomainError("草稿合同不能续签 / A draft cannot be renewed.", code=ContractErrorCode.TRANSITION)
    customer = contract.customer
    _check(actor, perms.ADD_CONTRACT, customer)
    length = contract.ends_on - contract.starts_on
    starts = contract.ends_on + timedelta(days=1)
    today = timezone.localdate()
    defaults = {f: getattr(contract, f) for f in ("kind", "payment_terms", "deposit_rate", "credit_days",
                                                  "delivery_terms")}
    defaults.update(signed_on=today, starts_on=starts, ends_on=starts + length, notes="")
    defaults.update(data or {})
    salesperson = contract.salesperson
    if not assignable_salespeople(actor).filter(pk=salesperson.pk).exists():
        salesperson = customer.salesperson
    lines = [LineInput(line.product, line.quantity, line.unit_price)
             for line in contract.lines.select_related("product").order_by("line_no")]
    return create_contract(actor=actor, customer=customer, salesperson=salesperson, data=defaults, lines=lines,
                           renewal_of=contract)


@transaction.atomic
def file_contract(*, actor, contract: Contract, archive_no: str, paper_location: str) -> Contract:
    """归档: the archive number and where the signed paper original is kept."""
    return update_contract(actor=actor, contract=contract,
                           data={"archive_no": archive_no, "paper_location": paper_location})

