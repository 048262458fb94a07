"""Demo orders across the last two years for the demo customers, written through bulk paths that
still record history and write the ledger facts explicitly: submitted orders book one fact per line
and credit share; cancelled and closed ones also unbook.

``demo``: ~900 orders built as model objects. ``large``: exactly ``ctx.lines`` order lines (2M,
~500,000 orders of 1–7 lines) over all the customers, generated day by day (more recently) as
plain rows with integer money and inserted with ``executemany`` (``BulkInserter``, ``FactWriter``),
history rows included; ``ctx.shared["orders"]`` then holds a sample of 20,000 submitted orders
(what finance's demo pays at most), not every id. A few orders are under the demo contracts
(within what is left on them), some are split 70/30 between two salespeople, some carry a price
that a manager approved (or that still waits), recent ones are drafts or not yet seen by finance,
and some have coordination requests with replies from the planner.

No notifications are sent for demo data (finance would get hundreds of mails)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from salesdesk.catalog.models import LevelPrice, Product
from salesdesk.contracts.choices import ContractStatus
from salesdesk.contracts.models import Contract, ContractLine
from salesdesk.core.demo import BulkInserter, DemoContext, DemoNumbers, db_date, db_datetime, db_decimal
from salesdesk.core.lib.money import from_fen, quantize_money, split_tax, to_fen
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.demo import FactWriter
from salesdesk.ledger.services import FactInput, Share, record

from .choices import CoordinationKind, CoordinationStatus, OrderStatus, PriceCheck
from .models import CoordinationRequest, CreditShare, Order, OrderLine
from .queries import SOURCE_KIND
from .services import COORDINATION_KIND, NUMBER_KIND

DAYS = 730
ORDERS = {"demo": 900}
BATCH = 2000
ADDRESSES = ["厂区东门仓库", "二号车间", "设备部库房", "物流园3号库", "总部前台"]


def _aware(day, hour: int) -> datetime:
    """A time on ``day``, never in the future (today's demo orders were entered this morning)."""
    return min(timezone.make_aware(datetime.combine(day, time(hour % 24, 0))), timezone.now())


_Numbers = DemoNumbers  # document numbers per day, written back to the counters at the end


def _status(ctx: DemoContext, age: int) -> str:
    r = ctx.rng.random()
    if age <= 7:
        return OrderStatus.DRAFT if r < 0.3 else OrderStatus.SUBMITTED
    if r < 0.06:
        return OrderStatus.CANCELLED
    if r < 0.09 and age > 30:
        return OrderStatus.CLOSED
    return OrderStatus.SUBMITTED


def seed(ctx: DemoContext) -> None:
    if not ctx.business:
        return
    if ctx.large:
        _seed_large(ctx)
        return
    products = [p for p in ctx.shared.get("products") or Product.objects.filter(active=True) if p.active][:300]
    customers = ctx.shared.get("customers") or []
    if not products or not customers:
        ctx.out.write("    no products or customers: no demo orders\n")
        return
    users = ctx.shared["users"]
    clerk, manager, planner = users["clerk"], users["manager"], users["planner"]
    salespeople = {u.pk: u for u in ctx.shared["salespeople"]}
    sellers = list(salespeople.values())
    today = timezone.localdate()
    count = ORDERS.get(ctx.scale, ORDERS["demo"])
    sample = customers if len(customers) <= 5000 else ctx.rng.sample(customers, 5000)
    levels = dict(Customer.objects.filter(pk__in=[c.pk for c in sample]).values_list("pk", "price_level"))
    level_prices = {(lp.product_id, lp.price_level): lp.price
                    for lp in LevelPrice.objects.filter(product_id__in=[p.pk for p in products])}
    contracts = _contract_lines(ctx)
    numbers = _Numbers(NUMBER_KIND)

    orders: list[Order] = []
    plans: list[tuple[Order, list[tuple[Product, Decimal, Decimal, Decimal, Decimal, int | None]], list]] = []
    for _ in range(count):
        age = int(ctx.rng.triangular(0, DAYS, 0))  # more orders recently
        day = today - timedelta(days=age)
        customer = ctx.rng.choice(sample)
        seller = salespeople.get(customer.salesperson_id) or ctx.rng.choice(sellers)
        status = _status(ctx, age)
        contract = contracts.get(customer.pk) if ctx.rng.random() < 0.5 else None
        lines, price_check = [], PriceCheck.OK
        if contract is not None and contract["starts_on"] <= day <= contract["ends_on"]:
            for cl in ctx.rng.sample(contract["lines"], min(len(contract["lines"]), ctx.rng.choice([1, 1, 2]))):
                take = min(cl["left"], Decimal(ctx.rng.choice([2, 5, 10, 20])))
                if take <= 0:
                    continue
                if status != OrderStatus.DRAFT:
                    cl["left"] -= take
                lines.append((cl["product"], take, cl["price"], cl["price"], cl["tax_rate"], cl["id"]))
        contract_id = contract["id"] if lines else None
        if not lines:
            for product in ctx.rng.sample(products, ctx.rng.choice([1, 1, 2, 3, 4])):
                reference = level_prices.get((product.pk, levels.get(customer.pk)), product.price)
                price = reference
                if ctx.rng.random() < 0.08:
                    price = quantize_money(reference * Decimal(ctx.rng.choice([92, 95, 97])) / 100)
                    price_check = PriceCheck.PENDING if status == OrderStatus.DRAFT else PriceCheck.APPROVED
                quantity = Decimal(ctx.rng.choice([1, 2, 3, 5, 8, 10, 12, 20, 30, 50]))
                lines.append((product, quantity, price, reference, product.tax_rate, None))
        split = [(seller, Decimal(1))]
        partner = ctx.rng.choice(sellers)
        if ctx.rng.random() < 0.15 and partner.pk != seller.pk:
            split = [(seller, Decimal("0.7")), (partner, Decimal("0.3"))]
        amounts = [quantize_money(q * p) for _, q, p, _, _, _ in lines]
        taxes = [split_tax(a, line[4])[1] for a, line in zip(amounts, lines, strict=True)]
        submitted = status != OrderStatus.DRAFT
        order = Order(
            number=numbers.take(day), customer_id=customer.pk, contract_id=contract_id, salesperson=seller,
            status=status, price_check=price_check, price_approved_by=manager if price_check == PriceCheck.APPROVED
            else None, order_date=day, requested_delivery_on=day + timedelta(days=ctx.rng.choice([3, 7, 10, 15])),
            delivery_address=ctx.rng.choice(ADDRESSES), total=sum(amounts, Decimal(0)), tax_total=sum(taxes, Decimal(0)),
            submitted_at=_aware(day, 10 + ctx.rng.randrange(8)) if submitted else None,
            finance_seen_at=_aware(day + timedelta(days=1), 9) if submitted and age > 2 else None,
            cancel_reason="客户取消采购计划" if status == OrderStatus.CANCELLED else "",
            close_reason="客户不再需要余量" if status == OrderStatus.CLOSED else "",
            created_by=ctx.rng.choice([clerk, seller]),
        )
        orders.append(order)
        plans.append((order, [(*line, a, t) for line, a, t in zip(lines, amounts, taxes, strict=True)], split))

    orders.sort(key=lambda o: (o.order_date, o.number))
    for start in range(0, len(orders), BATCH):
        bulk_create_with_history(orders[start:start + BATCH], Order, batch_size=BATCH, default_user=clerk,
                                 default_change_reason="演示数据")
    numbers.save()
    saved = {o.number: o.pk for o in Order.objects.filter(number__in=[o.number for o in orders]).only("id", "number")}
    for order in orders:
        order.pk = saved[order.number]

    order_lines, shares = [], []
    for order, lines, split in plans:
        for n, (product, quantity, price, reference, rate, contract_line_id, amount, tax) in enumerate(lines, start=1):
            order_lines.append(OrderLine(order_id=order.pk, line_no=n, product=product, contract_line_id=contract_line_id,
                                         quantity=quantity, unit_price=price, reference_price=reference, tax_rate=rate,
                                         amount=amount, tax=tax))
        shares += [CreditShare(order_id=order.pk, salesperson=u, team_id=u.team_id, share=s) for u, s in split]
    OrderLine.objects.bulk_create(order_lines, batch_size=BATCH)
    CreditShare.objects.bulk_create(shares, batch_size=BATCH)
    _write_facts(ctx, clerk, plans, order_lines)
    _first_orders(orders)
    _coordination(ctx, clerk, planner, plans, today)
    ctx.shared["orders"] = [o.pk for o in orders]
    by_status = defaultdict(int)
    for o in orders:
        by_status[str(o.status)] += 1
    ctx.out.write(f"    {len(orders)} orders ({dict(by_status)}), {len(order_lines)} lines\n")


def _contract_lines(ctx: DemoContext) -> dict[int, dict]:
    """One active contract per customer with what is left on each line (the demo orders stay within)."""
    contracts = ctx.shared.get("contracts")
    qs = Contract.objects.filter(status=ContractStatus.ACTIVE)
    if contracts:
        qs = qs.filter(pk__in=[c.pk for c in contracts])
    found: dict[int, dict] = {}
    for contract in qs.order_by("id"):
        found.setdefault(contract.customer_id, {"id": contract.pk, "starts_on": contract.starts_on,
                                                "ends_on": contract.ends_on, "lines": []})
    ids = {v["id"] for v in found.values()}
    for cl in ContractLine.objects.filter(contract_id__in=ids).select_related("product", "contract"):
        found[cl.contract.customer_id]["lines"].append({"id": cl.pk, "product": cl.product, "left": cl.quantity,
                                                        "price": cl.unit_price, "tax_rate": cl.tax_rate})
    return found


def _write_facts(ctx: DemoContext, clerk, plans, order_lines: list[OrderLine]) -> None:
    """What submitting (and cancelling or closing) would have written: one fact per line and share."""
    line_ids = {(line.order_id, line.line_no): line.pk for line in order_lines}
    items: list[FactInput] = []
    for order, lines, split in plans:
        if order.status == OrderStatus.DRAFT:
            continue
        shares = [Share(u.pk, s, u.team_id) for u, s in split]
        for n, (product, quantity, _price, _ref, _rate, _cl, amount, tax) in enumerate(lines, start=1):
            base = {"amount": amount, "tax": tax, "quantity": quantity, "customer_id": order.customer_id,
                    "product_id": product.pk, "contract_id": order.contract_id, "order_id": order.pk,
                    "source_kind": SOURCE_KIND, "source_id": order.pk, "source_line_id": line_ids[(order.pk, n)],
                    "shares": shares}
            items.append(FactInput(kind=FactKind.BOOKED, business_date=order.order_date, **base))
            if order.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
                later = order.order_date + timedelta(days=ctx.rng.randrange(1, 20))
                items.append(FactInput(kind=FactKind.UNBOOKED, business_date=min(later, timezone.localdate()),
                                       note=order.cancel_reason or order.close_reason, **base))
        if len(items) >= BATCH:
            record(items, actor=clerk)
            items = []
    if items:
        record(items, actor=clerk)


def _first_orders(orders: list[Order]) -> None:
    first: dict[int, object] = {}
    for o in orders:
        if o.status != OrderStatus.DRAFT and (o.customer_id not in first or o.order_date < first[o.customer_id]):
            first[o.customer_id] = o.order_date
    rows = list(Customer.objects.filter(pk__in=list(first)).only("id", "first_order_on"))
    for c in rows:
        c.first_order_on = first[c.pk]
    Customer.objects.bulk_update(rows, ["first_order_on"], batch_size=BATCH)


def _coordination(ctx: DemoContext, clerk, planner, plans, today) -> None:
    """Requests to production/supply on recent submitted orders, most of them answered."""
    recent = [(o, lines) for o, lines, _ in plans if o.status == OrderStatus.SUBMITTED
              and (today - o.order_date).days < 45]
    numbers = _Numbers(COORDINATION_KIND)
    requests = []
    promised: dict[int, object] = {}
    for order, lines in ctx.rng.sample(recent, min(len(recent), 40 if ctx.scale == "demo" else 400)):
        product, quantity = lines[0][0], lines[0][1]
        needed = order.requested_delivery_on or order.order_date + timedelta(days=7)
        status = ctx.rng.choices([CoordinationStatus.REQUESTED, CoordinationStatus.CONFIRMED,
                                  CoordinationStatus.PARTIAL, CoordinationStatus.CANNOT], [3, 5, 1, 1])[0]
        req = CoordinationRequest(
            number=numbers.take(order.order_date), kind=ctx.rng.choice(CoordinationKind.values), order_id=order.pk,
            product=product, quantity=quantity, needed_by=needed, status=status, created_by=clerk,
        )
        if status in (CoordinationStatus.CONFIRMED, CoordinationStatus.PARTIAL):
            req.promised_on = needed + timedelta(days=ctx.rng.choice([-1, 0, 2, 5]))
            req.promised_quantity = quantity if status == CoordinationStatus.CONFIRMED else (
                quantity / 2).quantize(Decimal("0.001"))
            req.reply_note = ctx.rng.choice(["已排产", "库存可满足", "原料到货后生产", "分两批交付"])
            promised[order.pk] = max(promised.get(order.pk, req.promised_on), req.promised_on)
        elif status == CoordinationStatus.CANNOT:
            req.reply_note = "原料短缺，无法按期生产"
        if status != CoordinationStatus.REQUESTED:
            req.replied_by, req.replied_at = planner, _aware(order.order_date + timedelta(days=1), 15)
        requests.append(req)
    bulk_create_with_history(requests, CoordinationRequest, default_user=clerk, default_change_reason="演示数据")
    numbers.save()
    rows = list(Order.objects.filter(pk__in=list(promised)).only("id", "promised_delivery_on"))
    for o in rows:
        o.promised_delivery_on = promised[o.pk]
    Order.objects.bulk_update(rows, ["promised_delivery_on"])


# --- the large scale -------------------------------------------------------------------------------

LARGE_LINES_PER_ORDER = [1, 2, 3, 4, 5, 6, 7]  # ~4 lines an order: 2M lines ≈ 500,000 orders
FINANCE_SAMPLE = 20_000  # submitted orders finance's demo may pay (its own cap at ``large``)
ORDER_FIELDS = ("id", "number", "customer_id", "contract_id", "salesperson_id", "status", "price_check",
                "price_approved_by_id", "order_date", "requested_delivery_on", "delivery_address", "total", "tax_total",
                "submitted_at", "finance_seen_at", "cancel_reason", "close_reason", "created_at", "created_by_id")
HISTORY_FIELDS = (*ORDER_FIELDS, "history_date", "history_type", "history_user_id", "history_change_reason")
LINE_FIELDS = ("id", "order_id", "line_no", "product_id", "contract_line_id", "quantity", "unit_price",
               "reference_price", "tax_rate", "amount", "tax")
SHARE_FIELDS = ("order_id", "salesperson_id", "team_id", "share")


class _LargeOrders:
    """Generates the ``large`` orders day by day as plain rows (money in integer fen, quantities in
    thousandths) and streams them into the tables; keeps only what the later steps need."""

    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng = ctx, ctx.rng
        users = ctx.shared["users"]
        self.clerk, self.manager = users["clerk"], users["manager"]
        self.sellers = {u.id: u for u in ctx.shared["salespeople"]}
        self.seller_list = list(self.sellers.values())
        self.customers = ctx.shared["customers"]
        self.levels = dict(Customer.objects.values_list("pk", "price_level"))
        self.products = [p for p in ctx.shared.get("products") or Product.objects.filter(active=True) if p.active][:1000]
        product_ids = {p.pk for p in self.products}
        self.level_prices = {(lp.product_id, lp.price_level): to_fen(lp.price) for lp in LevelPrice.objects.all()
                             if lp.product_id in product_ids}
        self.price_fen = {p.pk: to_fen(p.price) for p in self.products}
        self.contracts = _contract_lines(ctx)
        for contract in self.contracts.values():
            for cl in contract["lines"]:
                cl["left"], cl["price_fen"] = int(cl["left"] * 1000), to_fen(cl["price"])
        self.numbers = DemoNumbers(NUMBER_KIND)
        self.orders = BulkInserter(Order, ORDER_FIELDS)
        self.history = BulkInserter(Order.history.model, HISTORY_FIELDS)
        self.lines = BulkInserter(OrderLine, LINE_FIELDS, batch=10_000)
        self.shares = BulkInserter(CreditShare, SHARE_FIELDS, batch=10_000)
        self.facts = FactWriter(self.clerk)
        self.rates: dict = {}
        self.taxes: dict[tuple[int, object], int] = {}
        self.times: dict[tuple, datetime] = {}
        self.one = [db_decimal(CreditShare, "share", Decimal(1))]
        self.split = [db_decimal(CreditShare, "share", Decimal("0.7")), db_decimal(CreditShare, "share", Decimal("0.3"))]
        # what the later steps need
        self.first_order: dict[int, object] = {}
        self.submitted: list[int] = []
        self.recent: list[tuple[Order, list, list]] = []
        self.by_status: dict[str, int] = defaultdict(int)
        self.line_count = 0

    def _at(self, day, hour: int) -> datetime:
        key = (day, hour)
        if key not in self.times:
            self.times[key] = _aware(day, hour)
        return self.times[key]

    def _rate(self, rate):
        if rate not in self.rates:
            self.rates[rate] = db_decimal(OrderLine, "tax_rate", rate)
        return self.rates[rate]

    def _tax(self, amount: int, rate) -> int:
        key = (amount, rate)
        if key not in self.taxes:
            if len(self.taxes) > 500_000:
                self.taxes.clear()
            self.taxes[key] = to_fen(split_tax(from_fen(amount), rate)[1])
        return self.taxes[key]

    def run(self, today) -> None:
        """Spread ``ctx.lines`` over the last ``DAYS`` days, more recently (a triangular density)."""
        total, weights = self.ctx.lines, [DAYS - age for age in range(DAYS)]
        whole = sum(weights)
        quota = [total * w // whole for w in weights]
        quota[0] += total - sum(quota)
        for age in range(DAYS - 1, -1, -1):
            left = quota[age]
            day = today - timedelta(days=age)
            while left > 0:
                left -= self.order(day, age, left)
        self.orders.finish()
        self.history.finish()
        self.lines.finish()
        self.shares.finish()
        self.facts_written = self.facts.finish()
        self.numbers.save()

    def _lines(self, customer, day, status, room: int) -> tuple[list[tuple], int | None, str]:
        """(product, quantity in thousandths, price fen, reference fen, rate, contract line id) rows."""
        rng = self.rng
        contract = self.contracts.get(customer.id) if rng.random() < 0.5 else None
        lines = []
        if contract is not None and contract["starts_on"] <= day <= contract["ends_on"]:
            for cl in rng.sample(contract["lines"], min(len(contract["lines"]), rng.choice([1, 1, 2]), room)):
                take = min(cl["left"], rng.choice([2, 5, 10, 20]) * 1000)
                if take <= 0:
                    continue
                if status != OrderStatus.DRAFT:
                    cl["left"] -= take
                lines.append((cl["product"], take, cl["price_fen"], cl["price_fen"], cl["tax_rate"], cl["id"]))
        if lines:
            return lines, contract["id"], PriceCheck.OK
        price_check = PriceCheck.OK
        level = self.levels.get(customer.id)
        for product in rng.sample(self.products, min(rng.choice(LARGE_LINES_PER_ORDER), room)):
            reference = self.level_prices.get((product.id, level), self.price_fen[product.id])
            price = reference
            if rng.random() < 0.08:
                price = (reference * rng.choice([92, 95, 97]) + 50) // 100  # round half up to the fen
                price_check = PriceCheck.PENDING if status == OrderStatus.DRAFT else PriceCheck.APPROVED
            quantity = rng.choice([1, 2, 3, 5, 8, 10, 12, 20, 30, 50]) * 1000
            lines.append((product, quantity, price, reference, product.tax_rate, None))
        return lines, None, price_check

    def order(self, day, age: int, room: int) -> int:
        """Write one order of at most ``room`` lines; returns how many lines it has."""
        rng = self.rng
        customer = rng.choice(self.customers)
        seller = self.sellers.get(customer.salesperson_id) or rng.choice(self.seller_list)
        status = _status(self.ctx, age)
        lines, contract_id, price_check = self._lines(customer, day, status, room)
        split = [(seller, Decimal(1))]
        partner = rng.choice(self.seller_list)
        if rng.random() < 0.15 and partner.id != seller.id:
            split = [(seller, Decimal("0.7")), (partner, Decimal("0.3"))]
        amounts = [(q * p + 500) // 1000 for _, q, p, _, _, _ in lines]  # round half up to the fen
        taxes = [self._tax(a, line[4]) for a, line in zip(amounts, lines, strict=True)]
        submitted = status != OrderStatus.DRAFT
        order_id = self.orders.ids(1)[0]
        requested = day + timedelta(days=rng.choice([3, 7, 10, 15]))
        cancel = "客户取消采购计划" if status == OrderStatus.CANCELLED else ""
        close = "客户不再需要余量" if status == OrderStatus.CLOSED else ""
        created_at = self._at(day, 9)
        row = (order_id, self.numbers.take(day), customer.id, contract_id, seller.id, str(status), str(price_check),
               self.manager.id if price_check == PriceCheck.APPROVED else None, db_date(day), db_date(requested),
               rng.choice(ADDRESSES), sum(amounts), sum(taxes),
               db_datetime(self._at(day, 10 + rng.randrange(8))) if submitted else None,
               db_datetime(self._at(day + timedelta(days=1), 9)) if submitted and age > 2 else None,
               cancel, close, db_datetime(created_at), rng.choice([self.clerk, seller]).id)
        self.orders.add(row)
        self.history.add((*row, db_datetime(created_at), "+", self.clerk.id, "演示数据"))
        line_ids = self.lines.ids(len(lines))
        for n, ((product, quantity, price, reference, rate, cl_id), amount, tax, line_id) in enumerate(
                zip(lines, amounts, taxes, line_ids, strict=True), start=1):
            self.lines.add((line_id, order_id, n, product.id, cl_id, quantity, price * 10_000, reference * 10_000,
                            self._rate(rate), amount, tax))
        values = self.one if len(split) == 1 else self.split
        for (user, _share), value in zip(split, values, strict=True):
            self.shares.add((order_id, user.id, user.team_id, value))
        self.by_status[str(status)] += 1
        self.line_count += len(lines)
        if not submitted:
            return len(lines)
        shares = [Share(u.id, s, u.team_id) for u, s in split]
        gone = status in (OrderStatus.CANCELLED, OrderStatus.CLOSED)
        later = min(day + timedelta(days=rng.randrange(1, 20)), timezone.localdate()) if gone else None
        for (product, quantity, _p, _r, _rate, _cl), amount, tax, line_id in zip(lines, amounts, taxes, line_ids,
                                                                                strict=True):
            base = {"amount": amount, "tax": tax, "quantity": quantity, "customer_id": customer.id, "shares": shares,
                    "product_id": product.id, "contract_id": contract_id, "order_id": order_id,
                    "source_kind": SOURCE_KIND, "source_id": order_id, "source_line_id": line_id}
            self.facts.add(kind=FactKind.BOOKED, day=day, **base)
            if gone:
                self.facts.add(kind=FactKind.UNBOOKED, day=later, note=cancel or close, **base)
        if customer.id not in self.first_order:
            self.first_order[customer.id] = day  # days run forward: the first one seen is the earliest
        if status == OrderStatus.SUBMITTED:
            self.submitted.append(order_id)
            if age < 45:
                stub = Order(pk=order_id, status=status, order_date=day, requested_delivery_on=requested)
                self.recent.append((stub, [(lines[0][0], Decimal(lines[0][1]) / 1000)], split))
        return len(lines)


def _seed_large(ctx: DemoContext) -> None:
    if not ctx.shared.get("customers") or not ctx.shared.get("products"):
        ctx.out.write("    no products or customers: no demo orders\n")
        return
    today = timezone.localdate()
    gen = _LargeOrders(ctx)
    gen.run(today)
    with connection.cursor() as cursor:  # what _first_orders does, without a CASE per customer
        cursor.executemany(f"UPDATE {Customer._meta.db_table} SET first_order_on = %s WHERE id = %s",  # noqa: S608
                           [(db_date(day), pk) for pk, day in gen.first_order.items()])
    users = ctx.shared["users"]
    _coordination(ctx, users["clerk"], users["planner"], gen.recent, today)
    ctx.shared["orders"] = sorted(ctx.rng.sample(gen.submitted, min(len(gen.submitted), FINANCE_SAMPLE)))
    ctx.out.write(f"    {gen.orders.written} orders ({dict(gen.by_status)}), {gen.line_count} lines, "
                  f"{gen.facts_written} ledger facts\n")
