"""The commission engine: prices one month for every salesperson with a plan (DOMAIN.md §6).

Pure reading — facts, targets, order lines, products and receivables at call time; nothing is
written (``services.compute_run`` stores what :func:`compute_month` returns). Every query
aggregates in SQL and the number of queries per month is fixed (it depends on which features the
month's plans use, never on the number of salespeople or facts).

The rules, as decided for SalesDesk (docs and the tests hold them):

Which facts, which month
    A fact counts in the month of its ``business_date`` (the receipt, shipment or invoice date):
    ``received`` → 回款/退款 facts (date basis *receipt*); ``shipped`` → 发货/退货 (*shipment*);
    ``invoiced`` → 开票/红冲 (*invoice*); ``margin`` → the goods facts of the plan's date basis
    (发货/退货 for *shipment*, 开票/红冲 for *invoice*). Any other base/date combination is refused
    (:func:`plan_problems`): money carries no product, goods carry no receipt date.
    Credit follows the facts: a 70/30 order has one fact per share, so each salesperson's line is
    priced from their own facts.

Tax basis
    ``gross`` prices amounts incl. tax, ``net`` the fact's amount less its stored tax (for money,
    which carries no tax: less the tax share of its order, or ÷ 1.13 without an order).
    Gross margin is always net of VAT (VAT is not margin): net revenue = amount − tax; cost =
    ``Product.cost`` × quantity, taken as incl. tax at the product's rate and made net by
    ÷ (1 + rate), each to the fen; GP = net revenue − net cost (a product without cost counts 0).

Rates
    Goods facts of a category (or a sub-category) with a :class:`PlanCategoryRate` are priced by that row (its own
    base, its rate) and stay out of tiers; everything else by the plan: collection-age rules when
    the plan has them (received base only), else tiers (``tier_on`` base: thresholds are money on
    the month's cumulative base; ``completion``: thresholds are completion ratios, cut at
    ratio × target), else the flat ``rate``. Marginal tiers cut each fact at the thresholds in
    date order (one item per fact and tier); whole tiers price every fact at the rate of the
    month's total. A line sold below 底价 (order-line unit price < the product's current
    ``floor_price``) earns rate × ``below_floor_factor``; money of an order earns it on the part
    proportional to the order's below-floor lines.

Collection age (example 1)
    A collection pays the order's receivables oldest first (as receivables.py matches: due date,
    dispatch date, id), after every earlier credit of the order (receipts, refunds, returns,
    write-offs, in date order). Each matched part is aged against its shipment's date: the rule
    with the earliest deadline it meets gives the rate (deadline: day ``until_day`` — or the end —
    of the ``months_after``-th month after the sale's month). Money meeting no rule earns nothing
    and, if the plan charges interest, costs amount × monthly rate × days / 30 (to the fen), days
    counted from day ``interest_from_day`` of the ``interest_from_months``-th month after the sale
    to the collection date (example 1: 40 000 on 10/15 after a July sale → 34 days → −453.33).
    Money beyond the order's receivables (paid before shipping) and money without an order earn
    the first rule's rate. Refunds are charged back at the first rule's rate.

Target gate and completion
    Completion = the month's gross amount of the plan's measure (revenue for margin) ÷ the
    salesperson's target for the month (``collection_target`` for a received base, else
    ``sales_target``). Below ``gate_completion`` — or without a target when the plan needs one —
    the salesperson's own commission is nothing: one ``gate`` item (amount 0) says why. The month's
    own pricing — late interest and the returns/refunds inside its base included — is skipped;
    write-off claw-backs, overdue deductions and the manager override still apply.

Claw-back (``clawback`` on; off: negative facts and write-offs are ignored)
    Returns, credit notes and refunds are negative facts: they reduce the base of the month they
    happen in (``clawback`` items at the rate of that month). A written-off debt takes back what
    the plan paid on that sale: on a received base, the full commission on the order's
    collections credited to the salesperson (collections × the plan's first rate — first age rule,
    first tier or flat rate), once per order, in the month of its first write-off; on other bases,
    the commission the order's lines earn per yuan (category, floor and first rate) × the amount
    written off. A write-off without an order takes nothing back.

Manager override
    A salesperson whose plan has ``override_rate`` gets, per team they manage, override_rate × the
    team's base for the month (facts credited to the team, on the plan's base, date and tax basis).

Overdue deduction
    Receivables of the salesperson's customers (Customer.salesperson) more than ``overdue_days``
    past due at month end, × ``overdue_rate``. The deduction is cumulative: each month's item is
    rate × balance now − last month's rate × balance then (a ``deduction`` when it grows, a
    ``returned`` item when money came in or the debt left the books), so the deductions to date
    always equal rate × the current overdue balance.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Min, Q, Sum

from salesdesk.core.errors import DomainError
from salesdesk.core.lib.money import quantize_money
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact

from .models import Base, CommissionPlan, DateBasis, ItemKind, PlanAssignment, TaxBasis, TierMethod, TierOn

ZERO = Decimal("0.00")
ONE = Decimal(1)
DEFAULT_TAX_RATE = Decimal("0.13")
TIERED_METHODS = {TierMethod.MARGINAL: "超额累进", TierMethod.WHOLE: "全额累进"}


@dataclass
class ItemResult:
    """One priced part of a line: what (kind), by which rule (Chinese), on which base at which
    rate, and the fact (and document) it came from."""

    kind: str
    rule: str
    base: Decimal
    rate: Decimal | None
    amount: Decimal
    fact_id: int | None = None
    source_kind: str = ""
    source_id: int | None = None
    business_date: date | None = None
    for_period: str = ""
    note: str = ""


@dataclass
class LineResult:
    """One salesperson's month: ``commission_amount`` is the sum of the items' amounts;
    ``base_amount`` the month's own base (plan measure plus category-priced bases)."""

    salesperson_id: int
    plan_id: int | None
    base_amount: Decimal
    commission_amount: Decimal
    items: list[ItemResult] = field(default_factory=list)


# --- arithmetic -------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def day_of(month: date, day: int | None) -> date:
    """Day ``day`` of ``month`` (clamped to its end); ``None`` = the month's end."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=last if day is None else max(1, min(day, last)))


def tiered(amount, tiers: list[tuple[Decimal, Decimal]], method: str) -> Decimal:
    """Commission on ``amount`` by tiers [(threshold, rate)] (thresholds ascending, the first 0).
    超额累进 (marginal): each part between two thresholds at its own rate. 全额累进 (whole): the
    whole amount at the rate of the highest tier whose threshold it exceeds — 300 000.00 stays in
    the tier starting at 100 000, 300 000.01 moves to the one starting at 300 000."""
    amount = Decimal(amount)
    if not tiers:
        return ZERO
    ordered = sorted((Decimal(t), Decimal(r)) for t, r in tiers)
    if method == TierMethod.WHOLE:
        return quantize_money(amount * whole_tier(amount, ordered)[1])
    return quantize_money(sum((part * rate for _, part, rate in marginal_parts(ZERO, amount, ordered)), ZERO))


def whole_tier(amount: Decimal, tiers: list[tuple[Decimal, Decimal]]) -> tuple[int, Decimal]:
    """(tier number from 1, rate) of the tier a whole amount falls in."""
    number, rate = 1, tiers[0][1]
    for i, (threshold, tier_rate) in enumerate(tiers[1:], 2):
        if amount > threshold:
            number, rate = i, tier_rate
    return number, rate


def marginal_parts(start: Decimal, end: Decimal, tiers: list[tuple[Decimal, Decimal]]) -> list[tuple[int, Decimal, Decimal]]:
    """A cumulative base moving from ``start`` to ``end``, cut at the thresholds: (tier number
    from 1, signed part, rate), in the direction of the move. Below the first threshold counts in
    the first tier, above the last in the last."""
    sign = 1 if end >= start else -1
    low, high = (start, end) if sign > 0 else (end, start)
    out = []
    for i, (threshold, rate) in enumerate(tiers):
        lower = threshold if i else Decimal("-Infinity")
        upper = tiers[i + 1][0] if i + 1 < len(tiers) else Decimal("Infinity")
        part = min(high, upper) - max(low, lower)
        if part > 0:
            out.append((i + 1, sign * part, rate))
    return out if sign > 0 else list(reversed(out))


def age_deadline(sale: date, months_after: int, until_day: int | None) -> date:
    return day_of(add_months(sale, months_after), until_day)


def age_rate(plan: CommissionPlan, sale: date, collected: date):
    """The age rule a collection on ``collected`` for a sale on ``sale`` meets (earliest deadline
    first), or ``None`` when it meets none (late)."""
    rules = sorted(plan.age_rules.all(), key=lambda r: age_deadline(sale, r.months_after, r.until_day))
    for rule in rules:
        if collected <= age_deadline(sale, rule.months_after, rule.until_day):
            return rule
    return None


def interest_start(plan: CommissionPlan, sale: date) -> date | None:
    if not plan.interest_rate_monthly or plan.interest_from_months is None:
        return None
    return day_of(add_months(sale, plan.interest_from_months), plan.interest_from_day or 1)


def late_interest(amount: Decimal, monthly_rate: Decimal, start: date, collected: date) -> tuple[int, Decimal]:
    """(days, interest) on money collected late: amount × monthly rate × days / 30, to the fen;
    days from ``start`` to the collection date (0 when not after it)."""
    days = max(0, (collected - start).days)
    return days, quantize_money(Decimal(amount) * monthly_rate * days / 30)


def _pct(rate: Decimal) -> str:
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.0001')).normalize():f}%"


def _money(x: Decimal) -> str:
    return f"{x:,.2f}"


# --- plans ------------------------------------------------------------------------------------------

# Which date basis each base may use, and which fact kinds it reads under it.
DATE_BASES: dict[str, tuple[str, ...]] = {
    Base.RECEIVED: (DateBasis.RECEIPT,),
    Base.SHIPPED: (DateBasis.SHIPMENT,),
    Base.INVOICED: (DateBasis.INVOICE,),
    Base.MARGIN: (DateBasis.SHIPMENT, DateBasis.INVOICE),
}
RECEIVED_KINDS = (FactKind.RECEIVED, FactKind.REFUNDED)
SHIPPED_KINDS = (FactKind.SHIPPED, FactKind.RETURNED)
INVOICED_KINDS = (FactKind.INVOICED, FactKind.CREDITED)
NEGATIVE = {FactKind.REFUNDED: "退款", FactKind.RETURNED: "退货", FactKind.CREDITED: "红冲"}
BASE_LABEL = {Base.RECEIVED: "回款", Base.SHIPPED: "发货", Base.INVOICED: "开票", Base.MARGIN: "毛利"}


def measure_kinds(base: str, date_basis: str) -> tuple[str, ...]:
    if base == Base.RECEIVED:
        return RECEIVED_KINDS
    if base == Base.INVOICED or (base == Base.MARGIN and date_basis == DateBasis.INVOICE):
        return INVOICED_KINDS
    return SHIPPED_KINDS


def plan_problems(plan: CommissionPlan) -> list[str]:
    """Why a plan cannot be priced (bilingual messages; empty when it can). Forms show these."""
    problems = []
    if plan.date_basis not in DATE_BASES[plan.base]:
        problems.append(f"提成基数“{plan.get_base_display()}”不能按“{plan.get_date_basis_display()}”计入月份 / "
                        f"base {plan.base} cannot be dated by {plan.date_basis}.")
    tiers = list(plan.tiers.all())
    if plan.tier_on != TierOn.NONE and tiers and tiers[0].threshold != 0:
        problems.append("第一档的起点必须为 0 / The first tier must start at 0.")
    ages = list(plan.age_rules.all())
    if (ages or plan.interest_rate_monthly) and plan.base != Base.RECEIVED:
        problems.append("按回款账龄计提和迟回款利息只适用于回款基数 / Age rules and interest need a received base.")
    if ages and plan.tier_on != TierOn.NONE:
        problems.append("账龄比例与分档不能同时使用 / Age rules and tiers cannot be combined.")
    if plan.interest_rate_monthly and plan.interest_from_months is None:
        problems.append("请填写计息起始月份 / Say from which month after the sale interest runs.")
    for row in plan.category_rates.all():
        if row.base == Base.RECEIVED:
            problems.append(f"类别“{row.category}”不能按回款计提（回款不带产品）/ Money carries no product category.")
    return problems


def _valid(qs, day: date):
    return qs.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def resolve_plans(salesperson_ids: Iterable[int] | None, month: date) -> dict[int, CommissionPlan]:
    """The plan version valid on the month's first day for each active user with an assignment
    valid that day (own assignment beats the team's; among several, the latest ``valid_from``).
    A fixed number of queries (tiers, category rates and age rules prefetched)."""
    from salesdesk.org.models import User

    day = month_start(month)
    own: dict[int, str] = {}
    by_team: dict[int, str] = {}
    for code, sp, team in (_valid(PlanAssignment.objects.all(), day).order_by("-valid_from", "-id")
                           .values_list("plan_code", "salesperson_id", "team_id")):
        if sp is not None:
            own.setdefault(sp, code)
        else:
            by_team.setdefault(team, code)
    if not own and not by_team:
        return {}
    people = User.objects.filter(Q(id__in=list(own)) | Q(team_id__in=list(by_team)), is_active=True)
    if salesperson_ids is not None:
        people = people.filter(id__in=list(salesperson_ids))
    codes = {uid: own.get(uid) or by_team.get(team_id) for uid, team_id in people.values_list("id", "team_id")}
    codes = {uid: code for uid, code in codes.items() if code}
    if not codes:
        return {}
    versions: dict[str, CommissionPlan] = {}
    for plan in (_valid(CommissionPlan.objects.filter(code__in=set(codes.values()), active=True), day)
                 .prefetch_related("tiers", "category_rates__category", "age_rules").order_by("code", "-valid_from")):
        versions.setdefault(plan.code, plan)
    return {uid: versions[code] for uid, code in codes.items() if code in versions}


def plan_for(salesperson_id: int, month: date) -> CommissionPlan | None:
    """The plan that prices ``salesperson_id``'s month, or ``None``."""
    return resolve_plans([salesperson_id], month).get(salesperson_id)


# --- reading the month ------------------------------------------------------------------------------


@dataclass
class _Row:
    """Facts of one document (and product) for one salesperson, summed in SQL."""

    salesperson_id: int
    kind: str
    source_kind: str
    source_id: int
    business_date: date
    order_id: int | None
    product_id: int | None
    team_id: int | None
    amount: Decimal
    tax: Decimal
    quantity: Decimal
    fact_id: int


@dataclass
class _Product:
    category_ids: tuple[int, ...]  # own category, then its parents
    tax_rate: Decimal
    cost: Decimal | None
    floor_price: Decimal | None


@dataclass
class _Order:
    total: Decimal = ZERO
    tax_total: Decimal = ZERO
    below_total: Decimal = ZERO  # amount of lines below 底价
    lines: list = field(default_factory=list)  # (product_id, amount, tax, quantity, below)
    by_product: dict = field(default_factory=dict)  # product_id → (amount, below amount)

    def below_fraction(self, product_id: int | None) -> Decimal:
        if product_id is None:
            return self.below_total / self.total if self.total > 0 else ZERO
        amount, below = self.by_product.get(product_id, (ZERO, ZERO))
        return below / amount if amount > 0 else ZERO


@dataclass
class _Context:
    start: date
    end: date
    rows: dict[int, list[_Row]]
    products: dict[int, _Product]
    orders: dict[int, _Order]
    targets: dict[int, tuple[Decimal, Decimal]]  # salesperson → (sales, collection)
    portions: dict[int, list[tuple[Decimal, date | None]]]  # fact_id → [(part, sale date | None)]
    order_collections: dict[tuple[int, int], tuple[Decimal, date | None]]  # (order, sp) → (collected, first write-off)
    team_rows: dict[int, list[_Row]]  # team → rows
    managed: dict[int, list[tuple[int, str]]]  # manager → [(team, name)]
    overdue_now: dict[int, Decimal]
    overdue_before: dict[int, tuple[Decimal, Decimal]]  # salesperson → (last month's rate, balance)


def _rows(qs) -> list[_Row]:
    return [_Row(r["salesperson_id"], r["kind"], r["source_kind"], r["source_id"], r["business_date"], r["order_id"],
                 r["product_id"], r["team_id"], r["amount"] or ZERO, r["tax"] or ZERO, r["quantity"] or ZERO, r["fact_id"])
            for r in qs.values("salesperson_id", "kind", "source_kind", "source_id", "business_date", "order_id",
                               "product_id", "team_id")
            .annotate(amount=Sum("amount"), tax=Sum("tax"), quantity=Sum("quantity"), fact_id=Min("id"))
            .order_by("business_date", "fact_id")]


def _products(ids: set[int]) -> dict[int, _Product]:
    from salesdesk.catalog.models import Category, Product

    if not ids:
        return {}
    parents = dict(Category.objects.values_list("id", "parent_id"))
    out = {}
    for pk, category_id, tax_rate, cost, floor in Product.objects.filter(pk__in=ids).values_list(
            "id", "category_id", "tax_rate", "cost", "floor_price"):
        chain, seen = [], set()
        while category_id is not None and category_id not in seen:
            chain.append(category_id)
            seen.add(category_id)
            category_id = parents.get(category_id)
        out[pk] = _Product(tuple(chain), tax_rate, cost, floor)
    return out


def _orders(order_ids: set[int]) -> dict[int, _Order]:
    from salesdesk.orders.models import Order, OrderLine

    if not order_ids:
        return {}
    out = {pk: _Order(total or ZERO, tax or ZERO) for pk, total, tax in
           Order.objects.filter(pk__in=order_ids).values_list("id", "total", "tax_total")}
    for order_id, product_id, amount, tax, quantity, unit_price, floor in OrderLine.objects.filter(
            order_id__in=order_ids).values_list("order_id", "product_id", "amount", "tax", "quantity", "unit_price",
                                                 "product__floor_price"):
        o = out.get(order_id)
        if o is None:
            continue
        below = floor is not None and unit_price < floor
        o.lines.append((product_id, amount, tax, quantity, below))
        a, b = o.by_product.get(product_id, (ZERO, ZERO))
        o.by_product[product_id] = (a + amount, b + (amount if below else ZERO))
        if below:
            o.below_total += amount
    return out


# Credits that pay an order's receivables (sign as stored): receipts +, refunds − (stored −),
# returns (stored −) are credits of their magnitude, write-offs +.
CREDIT_KINDS = (FactKind.RECEIVED, FactKind.REFUNDED, FactKind.RETURNED, FactKind.WRITTEN_OFF)


def _credit(kind: str, amount: Decimal) -> Decimal:
    return -amount if kind == FactKind.RETURNED else amount


def _split(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split in proportion to ``weights`` to the fen, the last part taking the rest."""
    total = sum(weights, ZERO)
    if total == 0:
        return [amount] + [ZERO] * (len(weights) - 1)
    parts = [quantize_money(amount * w / total) for w in weights[:-1]]
    return [*parts, amount - sum(parts, ZERO)]


def collection_portions(rows: list[_Row], start: date, end: date) -> dict[int, list[tuple[Decimal, date | None]]]:
    """Which sale each collection pays: for every ``received`` row with an order, its parts by the
    shipment date of the receivable it settles (``None``: beyond the order's receivables). The
    order's receivables are taken oldest first (receivables.py's order) after every earlier credit
    of the order; three queries, whatever the number of orders."""
    from salesdesk.finance.models import Receivable

    wanted = [r for r in rows if r.kind == FactKind.RECEIVED and r.order_id is not None]
    order_ids = {r.order_id for r in wanted}
    if not order_ids:
        return {}
    receivables: dict[int, list[tuple[Decimal, date]]] = defaultdict(list)
    for order_id, amount, shipped_on, _due in (Receivable.objects.filter(order_id__in=order_ids)
                                               .order_by("order_id", F("due_on").asc(nulls_last=True), "shipped_on", "id")
                                               .values_list("order_id", "amount", "shipped_on", "due_on")):
        receivables[order_id].append((amount, shipped_on))
    prior: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for order_id, kind, total in (Fact.objects.filter(order_id__in=order_ids, kind__in=CREDIT_KINDS, business_date__lt=start)
                                  .values_list("order_id", "kind").annotate(total=Sum("amount")).order_by()):
        prior[order_id] += _credit(kind, total or ZERO)
    events: dict[int, list] = defaultdict(list)  # whole events of the month (all credit shares)
    for order_id, kind, source_kind, source_id, day, total, _first in (
            Fact.objects.filter(order_id__in=order_ids, kind__in=CREDIT_KINDS, business_date__gte=start,
                                business_date__lte=end)
            .values_list("order_id", "kind", "source_kind", "source_id", "business_date")
            .annotate(total=Sum("amount"), first=Min("id")).order_by("business_date", "first")):
        events[order_id].append((kind, source_kind, source_id, day, total or ZERO))
    whole: dict[tuple, list[tuple[Decimal, date | None]]] = {}
    for order_id, order_events in events.items():
        cum = prior[order_id]
        for kind, source_kind, source_id, day, total in order_events:
            credit = _credit(kind, total)
            if kind == FactKind.RECEIVED and credit > 0:
                whole[(order_id, source_kind, source_id, day)] = _settle(receivables.get(order_id, []), cum, credit)
            cum += credit
    out = {}
    for r in wanted:
        parts = whole.get((r.order_id, r.source_kind, r.source_id, r.business_date))
        if not parts:
            continue
        split = _split(r.amount, [p for p, _ in parts])
        out[r.fact_id] = [(a, sale) for a, (_, sale) in zip(split, parts, strict=True) if a]
    return out


def _settle(receivables: list[tuple[Decimal, date]], already: Decimal, amount: Decimal) -> list[tuple[Decimal, date | None]]:
    """Money ``amount`` arriving after ``already`` was credited: its parts per receivable, oldest first."""
    out: list[tuple[Decimal, date | None]] = []
    low, high = already, already + amount
    cum = ZERO
    for value, shipped_on in receivables:
        part = min(high, cum + value) - max(low, cum)
        if part > 0:
            out.append((part, shipped_on))
        cum += value
    beyond = high - max(low, cum)
    if beyond > 0:
        out.append((beyond, None))
    return out


def _overdue_by_owner(salesperson_days: dict[int, int], as_of: date) -> dict[int, Decimal]:
    """Open receivables more than the salesperson's N days past due at ``as_of``, per customer owner."""
    from salesdesk.customers.models import Customer
    from salesdesk.finance.receivables import build_ledger

    if not salesperson_days:
        return {}
    customers = Customer.objects.filter(salesperson_id__in=list(salesperson_days)).values("pk")
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item in build_ledger(customers, as_of=as_of, with_related=False).items:
        owner = item.receivable.owner_id
        days = salesperson_days.get(owner)
        if days is not None and item.open_amount > 0 and (item.days_past_due or 0) > days:
            out[owner] += item.open_amount
    return out


def _read(plans: dict[int, CommissionPlan], start: date, end: date, salesperson_ids) -> _Context:
    from salesdesk.org.models import SalesTeam
    from salesdesk.team.models import SalesTarget, TargetScope

    plan_list = list(plans.values())
    kinds: set[str] = set()
    for plan in plan_list:
        kinds.update(measure_kinds(plan.base, plan.date_basis))
        for row in plan.category_rates.all():
            kinds.update(measure_kinds(row.base, plan.date_basis))
        if plan.clawback:
            kinds.add(FactKind.WRITTEN_OFF)
    facts = Fact.objects.filter(business_date__gte=start, business_date__lte=end, kind__in=sorted(kinds))
    if salesperson_ids is not None:
        facts = facts.filter(salesperson_id__in=sorted(plans))
    by_sp: dict[int, list[_Row]] = defaultdict(list)
    all_rows = _rows(facts) if kinds and plans else []
    for r in all_rows:
        if r.salesperson_id in plans:
            by_sp[r.salesperson_id].append(r)
    all_rows = [r for rows in by_sp.values() for r in rows]

    managers = {sp for sp, p in plans.items() if p.override_rate}
    managed: dict[int, list[tuple[int, str]]] = defaultdict(list)
    team_rows: dict[int, list[_Row]] = defaultdict(list)
    if managers:
        for pk, name, manager_id in SalesTeam.objects.filter(manager_id__in=managers).values_list("id", "name", "manager_id"):
            managed[manager_id].append((pk, name))
        team_ids = {t for teams in managed.values() for t, _ in teams}
        team_kinds = {k for sp in managers for k in measure_kinds(plans[sp].base, plans[sp].date_basis)}
        if team_ids:
            for r in _rows(Fact.objects.filter(team_id__in=team_ids, kind__in=sorted(team_kinds), business_date__gte=start,
                                               business_date__lte=end)):
                team_rows[r.team_id].append(r)

    needs_products = any(p.base == Base.MARGIN or p.category_rates.all() or p.below_floor_factor != ONE
                         for p in plan_list)
    product_ids = {r.product_id for r in all_rows if r.product_id} | {
        r.product_id for rows in team_rows.values() for r in rows if r.product_id}
    written_orders = {r.order_id for r in all_rows if r.kind == FactKind.WRITTEN_OFF and r.order_id}
    needs_orders = needs_products or any(p.tax_basis == TaxBasis.NET for p in plan_list) or written_orders
    orders = _orders({r.order_id for r in all_rows if r.order_id}) if needs_orders else {}
    if orders:
        product_ids |= {line[0] for o in orders.values() for line in o.lines}
    products = _products(product_ids) if needs_products or written_orders else {}

    targets = {}
    if any(p.gate_completion is not None or p.tier_on == TierOn.COMPLETION for p in plan_list):
        targets = {sp: (sales or ZERO, collection or ZERO) for sp, sales, collection in SalesTarget.objects.filter(
            month=start, scope=TargetScope.SALESPERSON, salesperson_id__in=sorted(plans)).values_list(
            "salesperson_id", "sales_target", "collection_target")}

    aged = [r for r in all_rows if plans[r.salesperson_id].age_rules.all() or plans[r.salesperson_id].interest_rate_monthly]
    portions = collection_portions(aged, start, end) if aged else {}

    order_collections = {}
    received_written = {r.order_id for r in all_rows if r.kind == FactKind.WRITTEN_OFF and r.order_id
                        and plans[r.salesperson_id].base == Base.RECEIVED}
    if received_written:
        collected: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        first_wo: dict[tuple[int, int], date] = {}
        for order_id, sp, kind, total, first in (
                Fact.objects.filter(order_id__in=received_written, salesperson_id__in=sorted(plans), business_date__lte=end,
                                    kind__in=(*RECEIVED_KINDS, FactKind.WRITTEN_OFF))
                .values_list("order_id", "salesperson_id", "kind").annotate(total=Sum("amount"), first=Min("business_date"))
                .order_by()):
            if kind == FactKind.WRITTEN_OFF:
                first_wo[(order_id, sp)] = first
            else:
                collected[(order_id, sp)] += total or ZERO
        order_collections = {key: (collected.get(key, ZERO), first_wo.get(key)) for key in set(collected) | set(first_wo)}

    overdue_now: dict[int, Decimal] = {}
    overdue_before: dict[int, tuple[Decimal, Decimal]] = {}
    deducting = {sp: p.overdue_days or 0 for sp, p in plans.items() if p.overdue_rate}
    if deducting:
        overdue_now = _overdue_by_owner(deducting, end)
        before = resolve_plans(list(deducting), start - timedelta(days=1))
        before_days = {sp: p.overdue_days or 0 for sp, p in before.items() if p.overdue_rate}
        balances = _overdue_by_owner(before_days, start - timedelta(days=1))
        overdue_before = {sp: (before[sp].overdue_rate, balances.get(sp, ZERO)) for sp in before_days}
    return _Context(start, end, by_sp, products, orders, targets, portions, order_collections, team_rows, managed,
                    overdue_now, overdue_before)


# --- pricing ----------------------------------------------------------------------------------------


def _revenue(row: _Row, tax_basis: str, ctx: _Context) -> Decimal:
    """A row's amount on the tax basis (money: net of its order's tax share, else ÷ 1.13)."""
    if tax_basis != TaxBasis.NET:
        return row.amount
    if row.kind in (FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF):
        return _net_money(row.amount, ctx.orders.get(row.order_id))
    return row.amount - row.tax


def _net_money(amount: Decimal, order: _Order | None) -> Decimal:
    if order is not None and order.total > 0:
        return amount - quantize_money(amount * order.tax_total / order.total)
    return quantize_money(amount / (ONE + DEFAULT_TAX_RATE))


def _margin(amount: Decimal, tax: Decimal, quantity: Decimal, product: _Product | None) -> Decimal:
    """Gross profit net of VAT: (amount − tax) − cost × quantity ÷ (1 + tax rate), each to the fen."""
    cost = ZERO
    if product is not None and product.cost is not None:
        gross_cost = quantize_money(product.cost * quantity)
        cost = quantize_money(gross_cost / (ONE + product.tax_rate))
    return (amount - tax) - cost


def _base_of(row: _Row, base: str, tax_basis: str, ctx: _Context) -> Decimal:
    if base == Base.MARGIN:
        return _margin(row.amount, row.tax, row.quantity, ctx.products.get(row.product_id))
    return _revenue(row, tax_basis, ctx)


def _category_rate(plan: CommissionPlan, product: _Product | None):
    if product is None:
        return None
    rows = {row.category_id: row for row in plan.category_rates.all()}
    for category_id in product.category_ids:
        if category_id in rows:
            return rows[category_id]
    return None


def _below_fraction(row: _Row, ctx: _Context) -> Decimal:
    order = ctx.orders.get(row.order_id)
    if order is None:
        return ZERO
    return order.below_fraction(None if row.kind in (FactKind.RECEIVED, FactKind.REFUNDED) else row.product_id)


class _Line:
    """Collects one salesperson's items."""

    def __init__(self, plan: CommissionPlan, ctx: _Context):
        self.plan = plan
        self.ctx = ctx
        self.items: list[ItemResult] = []

    def add(self, kind: str, rule: str, base: Decimal, rate: Decimal | None, amount: Decimal, row: _Row | None = None,
            note: str = "", *, source_kind: str = "", source_id: int | None = None) -> None:
        self.items.append(ItemResult(
            kind=kind, rule=rule[:200], base=quantize_money(base), rate=rate, amount=quantize_money(amount),
            fact_id=row.fact_id if row else None, source_kind=row.source_kind if row else source_kind,
            source_id=row.source_id if row else source_id, business_date=row.business_date if row else None,
            note=note[:200]))

    def priced(self, row: _Row, base: Decimal, rate: Decimal, rule: str, suffix: str = "") -> None:
        """``base`` of ``row`` at ``rate``, split into the part sold at or above 底价 and the part
        below it (rate × below_floor_factor)."""
        kind = ItemKind.CLAWBACK if row.kind in NEGATIVE else ItemKind.COMMISSION
        prefix = f"{NEGATIVE[row.kind]}冲减 " if row.kind in NEGATIVE else ""
        factor = self.plan.below_floor_factor
        below = _below_fraction(row, self.ctx) if factor != ONE else ZERO
        if below <= 0:
            self.add(kind, f"{prefix}{rule} {_pct(rate)}{suffix}", base, rate, base * rate, row)
            return
        low = quantize_money(base * below)
        high = base - low
        if high:
            self.add(kind, f"{prefix}{rule} {_pct(rate)}{suffix}", high, rate, high * rate, row)
        if low:
            reduced = rate * factor
            self.add(kind, f"{prefix}{rule} {_pct(rate)}×{_pct(factor)}（低于底价）{suffix}", low, reduced, low * reduced, row,
                     note="订单行单价低于底价")


def _first_rate(plan: CommissionPlan) -> Decimal:
    ages = sorted(plan.age_rules.all(), key=lambda r: (r.months_after, r.until_day or 99))
    if ages:
        return ages[0].rate
    tiers = list(plan.tiers.all())
    if plan.tier_on != TierOn.NONE and tiers:
        return tiers[0].rate
    return plan.rate


def _price_line(sp: int, plan: CommissionPlan, ctx: _Context) -> LineResult:
    line = _Line(plan, ctx)
    rows = ctx.rows.get(sp, [])
    if not plan.clawback:
        rows = [r for r in rows if r.kind not in NEGATIVE and r.kind != FactKind.WRITTEN_OFF]
    main_kinds = measure_kinds(plan.base, plan.date_basis)
    label = BASE_LABEL[plan.base]

    # Category-priced goods first: their own base and rate, outside tiers.
    own_rows: list[tuple[_Row, Decimal]] = []
    category_items: list[tuple[_Row, Decimal, Decimal, str]] = []
    for r in rows:
        if r.kind == FactKind.WRITTEN_OFF:
            continue
        cat = _category_rate(plan, ctx.products.get(r.product_id)) if r.product_id else None
        if cat is not None:
            if r.kind in measure_kinds(cat.base, plan.date_basis):
                base = _base_of(r, cat.base, plan.tax_basis, ctx)
                category_items.append((r, base, cat.rate, f"{cat.category.name} {BASE_LABEL[cat.base]}提成"))
        elif r.kind in main_kinds:
            own_rows.append((r, _base_of(r, plan.base, plan.tax_basis, ctx)))
    base_total = sum((b for _, b in own_rows), ZERO) + sum((c[1] for c in category_items), ZERO)

    # Gate and completion.
    gated = None
    target = None
    completion = None
    if plan.gate_completion is not None or plan.tier_on == TierOn.COMPLETION:
        sales, collection = ctx.targets.get(sp, (ZERO, ZERO))
        target = collection if plan.base == Base.RECEIVED else sales
        gross = sum((r.amount for r, _ in own_rows), ZERO) + sum((c[0].amount for c in category_items), ZERO)
        what = "回款目标" if plan.base == Base.RECEIVED else "销售目标"
        if not target or target <= 0:
            gated = f"未设定{what}，无法计算目标完成率，本月不计提成"
        else:
            completion = gross / target
            if plan.gate_completion is not None and completion < plan.gate_completion:
                gated = (f"未达门槛 目标完成率 {_pct(completion.quantize(Decimal('0.0001')))} < {_pct(plan.gate_completion)}"
                         f"（{what} {_money(target)}）")
    if gated:
        line.add(ItemKind.GATE, gated, base_total, None, ZERO, note=f"{label}基数 {_money(base_total)}")
    else:
        for r, base, rate, rule in category_items:
            line.priced(r, base, rate, rule)
        _price_own(line, own_rows, label, target)

    _write_offs(line, rows, sp)
    _override(line, sp)
    _overdue(line, sp)
    return LineResult(sp, plan.pk, quantize_money(base_total), sum((i.amount for i in line.items), ZERO), line.items)


def _price_own(line: _Line, own_rows: list[tuple[_Row, Decimal]], label: str, target) -> None:
    plan = line.plan
    ages = list(plan.age_rules.all())
    if plan.base == Base.RECEIVED and (ages or plan.interest_rate_monthly):
        _price_aged(line, own_rows, label)
        return
    tiers = sorted((t.threshold, t.rate) for t in plan.tiers.all())
    if plan.tier_on == TierOn.NONE or not tiers:
        for r, base in own_rows:
            line.priced(r, base, plan.rate, f"{label}提成")
        return
    method = TIERED_METHODS.get(plan.tier_method, "超额累进")
    word = "完成率第" if plan.tier_on == TierOn.COMPLETION else "第"
    if plan.tier_on == TierOn.COMPLETION:
        # completion ratios → money on the plan's base (the base may be net or margin: scaled alike)
        total = sum((b for _, b in own_rows), ZERO)
        gross = sum((r.amount for r, _ in own_rows), ZERO)
        scale = total / gross if gross else ONE
        tiers = [(threshold * target * scale, rate) for threshold, rate in tiers]
    if plan.tier_method == TierMethod.WHOLE:
        total = sum((b for _, b in own_rows), ZERO)
        number, rate = whole_tier(total, tiers)
        for r, base in own_rows:
            line.priced(r, base, rate, f"{label}提成 {word}{number}档", f"（{method}）")
        return
    cum = ZERO
    for r, base in own_rows:
        for number, part, rate in marginal_parts(cum, cum + base, tiers):
            line.priced(r, part, rate, f"{label}提成 {word}{number}档", f"（{method}）")
        cum += base


def _price_aged(line: _Line, own_rows: list[tuple[_Row, Decimal]], label: str) -> None:
    plan, ctx = line.plan, line.ctx
    first = _first_rate(plan)
    for r, base in own_rows:
        parts = ctx.portions.get(r.fact_id) if r.kind == FactKind.RECEIVED else None
        if not parts:
            why = "退款按首档比例冲减" if r.kind in NEGATIVE else "未关联订单或先款后货，按首档比例"
            line.priced(r, base, first, f"{label}提成 首档")
            line.items[-1].note = why
            continue
        bases = _split(base, [p for p, _ in parts])
        for part, (_amount, sale) in zip(bases, parts, strict=True):
            if not part:
                continue
            if sale is None:
                line.priced(r, part, first, f"{label}提成 先款后货 首档")
                continue
            rule = age_rate(plan, sale, r.business_date)
            sale_text = f"销售{sale:%Y-%m-%d}"
            if rule is not None:
                deadline = age_deadline(sale, rule.months_after, rule.until_day)
                line.priced(r, part, rule.rate, f"{label}提成 {sale_text} {deadline:%Y-%m-%d}前回款")
                continue
            line.add(ItemKind.COMMISSION, f"{label}提成 {sale_text} 逾期回款 不计提成", part, ZERO, ZERO, r)
            start = interest_start(plan, sale)
            if start is not None and r.business_date > start:
                days, interest = late_interest(part, plan.interest_rate_monthly, start, r.business_date)
                monthly = plan.interest_rate_monthly
                line.add(ItemKind.INTEREST, f"迟回款利息 月息{_pct(monthly)} 自{start:%Y-%m-%d}起{days}天", part, monthly,
                         -interest, r, note=f"{_money(part)}×{_pct(monthly)}×{days}/30")


def _write_offs(line: _Line, rows: list[_Row], sp: int) -> None:
    plan, ctx = line.plan, line.ctx
    if not plan.clawback:
        return
    first = _first_rate(plan)
    done: set[int] = set()
    for r in rows:
        if r.kind != FactKind.WRITTEN_OFF:
            continue
        if r.order_id is None:
            line.add(ItemKind.CLAWBACK, "坏账追回 未关联订单，无可追回提成", ZERO, None, ZERO, r)
            continue
        if plan.base == Base.RECEIVED:
            if r.order_id in done:
                continue
            done.add(r.order_id)
            collected, first_wo = ctx.order_collections.get((r.order_id, sp), (ZERO, None))
            if first_wo is not None and first_wo < ctx.start:
                continue  # taken back in the month of the order's first write-off
            base = _revenue(_Row(sp, FactKind.RECEIVED, "", 0, r.business_date, r.order_id, None, None, collected, ZERO,
                                 ZERO, 0), plan.tax_basis, ctx)
            line.add(ItemKind.CLAWBACK, f"坏账追回 该订单已回款提成 {_pct(first)}", base, first, -base * first, r,
                     note=f"订单{r.order_id}核销坏账，全额追回已计回款提成")
            continue
        per_yuan = _order_rate(plan, ctx.orders.get(r.order_id), ctx)
        line.add(ItemKind.CLAWBACK, f"坏账追回 核销金额×订单提成率 {_pct(per_yuan)}", r.amount, per_yuan,
                 -r.amount * per_yuan, r, note=f"订单{r.order_id}核销坏账")


def _order_rate(plan: CommissionPlan, order: _Order | None, ctx: _Context) -> Decimal:
    """What the plan pays per yuan (incl. tax) of the order's lines: category rates and bases,
    the plan's first rate, reduced below 底价."""
    if order is None or order.total <= 0:
        return _first_rate(plan)
    commission = Decimal(0)
    for product_id, amount, tax, quantity, below in order.lines:
        product = ctx.products.get(product_id)
        cat = _category_rate(plan, product)
        base_kind, rate = (cat.base, cat.rate) if cat is not None else (plan.base, _first_rate(plan))
        if base_kind == Base.MARGIN:
            base = _margin(amount, tax, quantity, product)
        else:
            base = amount - tax if plan.tax_basis == TaxBasis.NET else amount
        commission += base * rate * (plan.below_floor_factor if below else ONE)
    return (commission / order.total).quantize(Decimal("0.000001"))


def _override(line: _Line, sp: int) -> None:
    plan, ctx = line.plan, line.ctx
    if not plan.override_rate:
        return
    kinds = measure_kinds(plan.base, plan.date_basis)
    for team_id, name in ctx.managed.get(sp, []):
        rows = [r for r in ctx.team_rows.get(team_id, []) if r.kind in kinds
                and (plan.clawback or r.kind not in NEGATIVE)]
        base = sum((_base_of(r, plan.base, plan.tax_basis, ctx) for r in rows), ZERO)
        if not rows:
            continue
        line.add(ItemKind.OVERRIDE, f"经理团队提成 {_pct(plan.override_rate)}（{name} {BASE_LABEL[plan.base]}）", base,
                 plan.override_rate, base * plan.override_rate, source_kind="team", source_id=team_id,
                 note=f"团队{BASE_LABEL[plan.base]} {_money(base)}")


def _overdue(line: _Line, sp: int) -> None:
    plan, ctx = line.plan, line.ctx
    if not plan.overdue_rate:
        return
    balance = ctx.overdue_now.get(sp, ZERO)
    before_rate, before = ctx.overdue_before.get(sp, (ZERO, ZERO))
    now_amount = quantize_money(balance * plan.overdue_rate)
    then_amount = quantize_money(before * before_rate)
    change = now_amount - then_amount
    days = plan.overdue_days or 0
    note = f"月末逾期{days}天以上应收 {_money(balance)}（上月末 {_money(before)}）"
    if change > 0:
        line.add(ItemKind.DEDUCTION, f"逾期应收扣减 {_pct(plan.overdue_rate)}（逾期{days}天以上）", balance - before,
                 plan.overdue_rate, -change, note=note, source_kind="receivables")
    elif change < 0:
        line.add(ItemKind.RETURNED, f"逾期扣减返还 {_pct(plan.overdue_rate)}（已收回或已转出）", before - balance,
                 plan.overdue_rate, -change, note=note, source_kind="receivables")


def compute_month(month: date, *, salesperson_ids: Iterable[int] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[LineResult]:
    """Every salesperson's line for ``month`` (one per salesperson with a plan, ordered by id;
    none for those without). ``progress(done, total)`` is called as lines are priced."""
    start = month_start(month)
    end = month_end(start)
    plans = resolve_plans(salesperson_ids, start)
    for plan in {p.pk: p for p in plans.values()}.values():
        problems = plan_problems(plan)
        if problems:
            raise DomainError(f"提成方案 {plan.code} 无法计算 / Plan {plan.code} cannot be priced: {'；'.join(problems)}",
                              code="commission_plan_invalid")
    ctx = _read(plans, start, end, salesperson_ids)
    ids = sorted(plans)
    lines = []
    step = max(1, len(ids) // 100)
    for n, sp in enumerate(ids, 1):
        lines.append(_price_line(sp, plans[sp], ctx))
        if progress is not None and (n % step == 0 or n == len(ids)):
            progress(n, len(ids))
    return lines
