"""Read queries of the contract domain: the list and detail querysets, the fulfilment overview
(合同履行一览表), the monthly and quarterly summaries (月度、季度合同汇总) and the alerts (合同提醒).

Figures that orders, shipments, invoices and payments move come from the ledger's facts — one
table, ``GROUP BY`` in the database, no fan-out joins (DESIGN.md, "The ledger"). Contracted
figures come from the contract's own lines, computed when they were written."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DateField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesdesk.catalog.models import Product
from salesdesk.core.lib import periods
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import MEASURES, FactKind
from salesdesk.ledger.models import Fact
from salesdesk.org.models import User

from .choices import ContractStatus
from .models import Contract, ContractLine, Instalment

ZERO = Decimal("0.00")
ZERO_QTY = Decimal("0.000")
RATE_PLACES = Decimal("0.0001")
OPEN_STATUSES = (ContractStatus.ACTIVE, ContractStatus.EXPIRED)  # money may still come in
SIGNED_STATUSES = (ContractStatus.ACTIVE, ContractStatus.COMPLETED, ContractStatus.TERMINATED, ContractStatus.EXPIRED)
FULFILMENT_MEASURES = ("ordered", "shipped", "invoiced", "received")
_KIND_TO_MEASURE = {kind: m for m in FULFILMENT_MEASURES for kind in MEASURES[m]}


def rate(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """``part / whole`` to four decimals (half-up); ``None`` when there is no whole."""
    if not whole:
        return None
    return ((part or ZERO) / whole).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


# --- lists and pages ------------------------------------------------------------------------------


def contract_list(user) -> QuerySet[Contract]:
    return Contract.objects.visible_to(user).select_related("customer", "salesperson")


def contract_detail(user=None) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("customer", "salesperson", "created_by", "renewal_of")
    return qs if user is None else qs.visible_to(user)


def contract_lines(contract: Contract) -> QuerySet[ContractLine]:
    return contract.lines.select_related("product").order_by("line_no")


# --- the fulfilment overview (合同履行一览表) ----------------------------------------------------------


@dataclass(frozen=True)
class LineFulfilment:
    line_no: int
    product_id: int
    sku: str
    name: str
    specification: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    ordered_quantity: Decimal
    ordered_amount: Decimal
    shipped_quantity: Decimal
    shipped_amount: Decimal
    remaining_quantity: Decimal  # what is left to order under the contract (never below zero)
    invoiced_quantity: Decimal = ZERO_QTY  # invoices (less red ones) whose lines name the product
    invoiced_amount: Decimal = ZERO
    received_amount: Decimal = ZERO  # the contract's money matched to this line's shipped value (see below)
    receivable_amount: Decimal = ZERO  # shipped − received
    outstanding_amount: Decimal = ZERO  # contracted − received


@dataclass(frozen=True)
class InstalmentFulfilment:
    seq: int
    due_on: date
    amount: Decimal
    received_amount: Decimal  # confirmed money on the contract, allocated to instalments oldest first
    outstanding_amount: Decimal
    overdue: bool  # due date passed and not fully received
    note: str
    days_overdue: int = 0  # days since the due date while not fully received


@dataclass(frozen=True)
class Fulfilment:
    contract_id: int
    as_of: date
    total: Decimal
    ordered_amount: Decimal  # submitted, not cancelled orders (booked + unbooked facts)
    shipped_amount: Decimal  # dispatched, not cancelled shipments (less returns)
    invoiced_amount: Decimal
    received_amount: Decimal  # confirmed money (less refunds)
    receivable_amount: Decimal  # shipped − received
    outstanding_amount: Decimal  # total − received
    lines: list[LineFulfilment] = field(default_factory=list)
    instalments: list[InstalmentFulfilment] = field(default_factory=list)
    # What the lines do not carry: shipped / invoiced facts without a product of the contract's lines
    # (e.g. an invoice recorded as a total) and money beyond the lines' shipped value (an advance).
    other_shipped_amount: Decimal = ZERO
    other_invoiced_amount: Decimal = ZERO
    unmatched_received_amount: Decimal = ZERO

    @property
    def fulfilment_rate(self) -> Decimal | None:
        return rate(self.shipped_amount, self.total)

    @property
    def collection_rate(self) -> Decimal | None:
        return rate(self.received_amount, self.total)

    @property
    def overdue_amount(self) -> Decimal:
        return sum((i.outstanding_amount for i in self.instalments if i.overdue), ZERO)


def fact_sums(contract_id: int) -> dict[tuple[int | None, str], tuple[Decimal, Decimal]]:
    """``{(product_id, measure): (amount, quantity)}`` of a contract's facts: one ``GROUP BY``."""
    rows = (
        Fact.objects.filter(contract_id=contract_id, kind__in=list(_KIND_TO_MEASURE)).order_by()
        .values("product_id", "kind").annotate(amount=Sum("amount"), quantity=Sum("quantity"))
    )
    sums: dict[tuple[int | None, str], tuple[Decimal, Decimal]] = {}
    for row in rows:
        key = (row["product_id"], _KIND_TO_MEASURE[row["kind"]])
        amount, quantity = sums.get(key, (ZERO, ZERO_QTY))
        sums[key] = (amount + (row["amount"] or ZERO), quantity + (row["quantity"] or ZERO_QTY))
    return sums


def allocate_oldest_first(received: Decimal, instalments: Iterable[Instalment], as_of: date) -> list[InstalmentFulfilment]:
    """Spread the money received on a contract over its instalments, the earliest due first."""
    left = max(received, ZERO)
    out = []
    for item in sorted(instalments, key=lambda i: (i.due_on, i.seq)):
        got = min(left, item.amount)
        left -= got
        overdue = item.due_on < as_of and got < item.amount
        out.append(InstalmentFulfilment(
            seq=item.seq, due_on=item.due_on, amount=item.amount, received_amount=got,
            outstanding_amount=item.amount - got, overdue=overdue, note=item.note,
            days_overdue=(as_of - item.due_on).days if overdue else 0,
        ))
    return out


def split_by_weight(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` (≥ 0, in yuan) split in proportion to non-negative weights, exact to the fen: each
    part rounded down, the remaining fen to the largest fractions (ties to the earlier weight)."""
    fen, units = int(total * 100), [int(w * 100) for w in weights]
    whole = sum(units)
    if not whole:
        return [ZERO for _ in weights]
    parts = [fen * u // whole for u in units]
    fractions = [fen * u - p * whole for u, p in zip(units, parts, strict=True)]
    for i in sorted(range(len(units)), key=lambda i: (-fractions[i], i))[: fen - sum(parts)]:
        parts[i] += 1
    return [(Decimal(p) / 100).quantize(ZERO) for p in parts]


def fulfilment(contract: Contract, as_of: date | None = None) -> Fulfilment:
    """The 合同履行一览表 of one contract: contracted, ordered, shipped, invoiced, received,
    receivable and outstanding figures, per line and per instalment. Three queries: the facts
    grouped by product and kind, the lines, the instalments.

    Money carries no product, so per line it is matched to what was shipped: the contract's money
    (up to the lines' shipped value) is spread over the lines in proportion to their shipped value;
    money beyond it is an advance (``unmatched_received_amount``). Per instalment it is matched by
    due date, the oldest first."""
    as_of = as_of or timezone.localdate()
    sums = fact_sums(contract.pk)

    def measure(name: str) -> Decimal:
        return sum((amount for (_, m), (amount, _q) in sums.items() if m == name), ZERO)

    received = measure("received")
    shipped = measure("shipped")
    invoiced = measure("invoiced")
    rows = list(contract_lines(contract))
    shipped_by_line = [sums.get((line.product_id, "shipped"), (ZERO, ZERO_QTY))[0] for line in rows]
    matchable = min(max(received, ZERO), sum((max(v, ZERO) for v in shipped_by_line), ZERO))
    received_by_line = split_by_weight(matchable, [max(v, ZERO) for v in shipped_by_line])
    lines = []
    for line, line_received in zip(rows, received_by_line, strict=True):
        ordered_amount, ordered_qty = sums.get((line.product_id, "ordered"), (ZERO, ZERO_QTY))
        shipped_amount, shipped_qty = sums.get((line.product_id, "shipped"), (ZERO, ZERO_QTY))
        invoiced_amount, invoiced_qty = sums.get((line.product_id, "invoiced"), (ZERO, ZERO_QTY))
        product = line.product
        lines.append(LineFulfilment(
            line_no=line.line_no, product_id=line.product_id, sku=product.sku, name=product.name,
            specification=product.specification, unit=product.unit, quantity=line.quantity,
            unit_price=line.unit_price, amount=line.amount, ordered_quantity=ordered_qty,
            ordered_amount=ordered_amount, shipped_quantity=shipped_qty, shipped_amount=shipped_amount,
            remaining_quantity=max(line.quantity - ordered_qty, ZERO_QTY),
            invoiced_quantity=invoiced_qty, invoiced_amount=invoiced_amount, received_amount=line_received,
            receivable_amount=shipped_amount - line_received, outstanding_amount=line.amount - line_received,
        ))
    on_lines = {line.product_id for line in rows}
    return Fulfilment(
        contract_id=contract.pk, as_of=as_of, total=contract.total, ordered_amount=measure("ordered"),
        shipped_amount=shipped, invoiced_amount=invoiced, received_amount=received,
        receivable_amount=shipped - received, outstanding_amount=contract.total - received, lines=lines,
        instalments=allocate_oldest_first(received, contract.instalments.all(), as_of),
        other_shipped_amount=shipped - sum((a for (p, m), (a, _q) in sums.items() if m == "shipped" and p in on_lines),
                                           ZERO),
        other_invoiced_amount=invoiced - sum((a for (p, m), (a, _q) in sums.items()
                                              if m == "invoiced" and p in on_lines), ZERO),
        unmatched_received_amount=received - matchable,
    )


# --- contract summaries (月度、季度合同汇总) ------------------------------------------------------------

GROUP_KEYS = {"salesperson": "salesperson_id", "customer": "customer_id", "product": "product_id"}
SUMMARY_PERIODS = ("month", "quarter")


@dataclass(frozen=True)
class SummaryRow:
    key: int | None
    label: str
    contracts: int  # contracts signed in the period (for products: contracts with the product)
    value: Decimal  # their value incl. tax (for products: the product's line amounts)
    shipped_amount: Decimal  # shipped under those contracts to date
    received_amount: Decimal | None  # money received on them to date (not per product: None)

    @property
    def fulfilment_rate(self) -> Decimal | None:
        return rate(self.shipped_amount, self.value)

    @property
    def collection_rate(self) -> Decimal | None:  # 资金回笼
        return None if self.received_amount is None else rate(self.received_amount, self.value)


@dataclass(frozen=True)
class Summary:
    period_kind: str
    start: date
    end: date
    group_by: str
    rows: list[SummaryRow]
    totals: SummaryRow


def signed_in(user, start: date, end: date) -> QuerySet[Contract]:
    """Contracts the user may see, signed from ``start`` to ``end`` and not drafts."""
    return Contract.objects.visible_to(user).filter(signed_on__gte=start, signed_on__lte=end,
                                                    status__in=SIGNED_STATUSES)


def _labels(group_by: str, keys: set) -> dict:
    keys = {k for k in keys if k is not None}
    if not keys:
        return {}
    if group_by == "salesperson":
        return {u.pk: u.display_name for u in User.objects.filter(pk__in=keys).only("id", "name", "username",
                                                                                   "first_name", "last_name")}
    if group_by == "customer":
        return dict(Customer.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {pk: f"{sku} {name}" for pk, sku, name in Product.objects.filter(pk__in=keys).values_list("pk", "sku", "name")}


_SHIPPED = Q(kind__in=list(MEASURES["shipped"]))
_RECEIVED = Q(kind__in=list(MEASURES["received"]))


def summary(user, period_kind: str, day: date, group_by: str) -> Summary:
    """Contracts signed in the month or quarter of ``day``, grouped by salesperson, customer or
    product: how many, their value, and how much of it has been shipped and collected to date
    (履约率 = shipped ÷ value, 资金回笼率 = received ÷ value). GROUP BY queries only."""
    if period_kind not in SUMMARY_PERIODS or group_by not in GROUP_KEYS:
        raise ValueError(f"unknown period {period_kind!r} or grouping {group_by!r}")
    period = periods.period_for(period_kind, day)
    contracts = signed_in(user, period.start, period.end)
    ids = contracts.values("pk")
    facts = Fact.objects.filter(contract_id__in=ids).order_by()
    if group_by == "product":
        base = (ContractLine.objects.filter(contract__in=contracts).order_by().values("product_id")
                .annotate(n=Count("contract_id", distinct=True), value=Sum("amount")))
        base_rows = {r["product_id"]: (r["n"], r["value"] or ZERO) for r in base}
        moved = facts.filter(_SHIPPED).values("product_id").annotate(shipped=Sum("amount"))
        shipped = {r["product_id"]: r["shipped"] or ZERO for r in moved}
        received: dict = {}
    else:
        key = GROUP_KEYS[group_by]
        base = contracts.order_by().values(key).annotate(n=Count("id"), value=Sum("total"))
        base_rows = {r[key]: (r["n"], r["value"] or ZERO) for r in base}
        owner = Subquery(Contract.objects.filter(pk=OuterRef("contract_id")).values(key)[:1])
        moved = facts.annotate(k=owner).values("k").annotate(shipped=Sum("amount", filter=_SHIPPED),
                                                               received=Sum("amount", filter=_RECEIVED))
        shipped, received = {}, {}
        for r in moved:
            shipped[r["k"]] = r["shipped"] or ZERO
            received[r["k"]] = r["received"] or ZERO
    labels = _labels(group_by, set(base_rows))
    rows = [
        SummaryRow(key=k, label=labels.get(k, "—"), contracts=n, value=value, shipped_amount=shipped.get(k, ZERO),
                   received_amount=None if group_by == "product" else received.get(k, ZERO))
        for k, (n, value) in base_rows.items()
    ]
    rows.sort(key=lambda r: (-r.value, r.label))
    whole = contracts.aggregate(n=Count("id"), value=Sum("total"))
    moved_all = facts.aggregate(shipped=Sum("amount", filter=_SHIPPED), received=Sum("amount", filter=_RECEIVED))
    totals = SummaryRow(key=None, label="合计", contracts=whole["n"] or 0, value=whole["value"] or ZERO,
                        shipped_amount=moved_all["shipped"] or ZERO, received_amount=moved_all["received"] or ZERO)
    return Summary(period_kind, period.start, period.end, group_by, rows, totals)


# --- alerts (合同提醒) -------------------------------------------------------------------------------


def expiring(user, within_days: int = 30, as_of: date | None = None) -> QuerySet[Contract]:
    """Active contracts that end within ``within_days`` days (today included), soonest first."""
    as_of = as_of or timezone.localdate()
    return contract_list(user).filter(
        status=ContractStatus.ACTIVE, ends_on__gte=as_of, ends_on__lte=as_of + timedelta(days=within_days)
    ).order_by("ends_on", "number")


@dataclass(frozen=True)
class DueInstalment:
    contract: Contract
    instalment: InstalmentFulfilment
    as_of: date

    @property
    def days_left(self) -> int:
        """Days until due (negative: days overdue)."""
        return (self.instalment.due_on - self.as_of).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def received_by_contract(contract_ids: Iterable[int]) -> dict[int, Decimal]:
    """Money received (less refunds) per contract, one ``GROUP BY``."""
    rows = (Fact.objects.filter(contract_id__in=list(contract_ids), kind__in=list(MEASURES["received"])).order_by()
            .values("contract_id").annotate(received=Sum("amount")))
    return {r["contract_id"]: r["received"] or ZERO for r in rows}


def instalments_due(user, within_days: int = 7, as_of: date | None = None) -> list[DueInstalment]:
    """Instalments of running contracts that fall due within ``within_days`` days or are overdue,
    and are not fully received (money is allocated to a contract's instalments oldest first).
    Three queries whatever the number of contracts."""
    as_of = as_of or timezone.localdate()
    horizon = as_of + timedelta(days=within_days)
    running = Contract.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
    ids = list(Instalment.objects.filter(contract__in=running, due_on__lte=horizon).order_by()
               .values_list("contract_id", flat=True).distinct())
    if not ids:
        return []
    received = received_by_contract(ids)
    by_contract: dict[int, list[Instalment]] = defaultdict(list)
    contracts: dict[int, Contract] = {}
    for item in Instalment.objects.filter(contract_id__in=ids).select_related("contract__customer",
                                                                               "contract__salesperson"):
        by_contract[item.contract_id].append(item)
        contracts[item.contract_id] = item.contract
    out = []
    for contract_id, items in by_contract.items():
        for row in allocate_oldest_first(received.get(contract_id, ZERO), items, as_of):
            if row.due_on <= horizon and row.outstanding_amount > 0:
                out.append(DueInstalment(contracts[contract_id], row, as_of))
    out.sort(key=lambda d: (d.instalment.due_on, d.contract.number, d.instalment.seq))
    return out


def idle(user, days: int = 30, as_of: date | None = None) -> QuerySet[Contract]:
    """Active contracts with no order for ``days`` days: the last booked order (or, without
    any, the contract's start) lies more than ``days`` days back. ``last_order_on`` is annotated."""
    as_of = as_of or timezone.localdate()
    last_booked = Subquery(
        Fact.objects.filter(contract_id=OuterRef("pk"), kind=FactKind.BOOKED).order_by("-business_date")
        .values("business_date")[:1], output_field=DateField(),
    )
    return (
        contract_list(user).filter(status=ContractStatus.ACTIVE)
        .annotate(last_order_on=last_booked, quiet_since=Coalesce(last_booked, "starts_on", output_field=DateField()))
        .filter(quiet_since__lt=as_of - timedelta(days=days)).order_by("quiet_since", "number")
    )
