"""Demo payments (回款): consistent with the demo orders when there are any — some orders paid up,
some part-paid (a deposit), some with the clerk's "has it arrived?" request still pending in
finance's queue, some unpaid (on credit) — and customers' advances (预收) without an order, a few
pending or rejected. Without orders, only advances are made.

Written through bulk paths that still record history, allocation rows and the ledger's
``received`` facts exactly as ``services.confirm_payment`` would, without mailing finance for
every demo row. Numbers follow ``next_number``'s format, per received date, and the counters are
moved past them so later payments never reuse one."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from salesdesk.core.demo import DemoContext
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.models import NumberCounter
from salesdesk.core.registries import run_hooks
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order

from .choices import PaymentMethod, PaymentStatus
from .models import Allocation, Payment

PAYABLE = (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
THIRD_PARTY_PAYERS = ["张建国", "李秀英", "王海涛", "深圳市鑫源贸易有限公司"]
MAX_PAYMENTS = {"demo": 400, "large": 20_000}


class _Book:
    """Payments being built, their numbers and what happens to each once saved."""

    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.users = ctx.shared["users"]
        self.rows: list[tuple[Payment, object | None, Decimal | None]] = []  # payment, order, amount to allocate
        self.counters: dict[str, int] = defaultdict(int)
        self.today = timezone.localdate()

    def _number(self, on) -> str:
        period = on.strftime("%Y%m%d")
        self.counters[period] += 1
        return f"HK{period}-{self.counters[period]:04d}"

    def add(self, customer: Customer, amount: Decimal, on, *, order=None, status=PaymentStatus.CONFIRMED,
            allocate: Decimal | None = None, recorded_by=None) -> None:
        rng = self.ctx.rng
        method = rng.choices([PaymentMethod.BANK_TRANSFER, PaymentMethod.BANK_ACCEPTANCE, PaymentMethod.WECHAT,
                              PaymentMethod.CASH], [16, 2, 1, 1])[0]
        third_party = rng.random() < 0.1
        payment = Payment(
            number=self._number(on), customer=customer, order=order, amount=quantize_money(amount), received_on=on,
            method=method, payer_name=rng.choice(THIRD_PARTY_PAYERS) if third_party else customer.name,
            payer_account=f"62220{rng.randrange(10**11):011d}" if method == PaymentMethod.BANK_TRANSFER else "",
            reference=f"FT{on:%y%m%d}{rng.randrange(10**6):06d}" if method != PaymentMethod.CASH else "",
            bill_maturity=on + timedelta(days=180) if method == PaymentMethod.BANK_ACCEPTANCE else None,
            status=status, recorded_by=recorded_by or self.users["clerk"],
            note="第三方代付，已收委托书" if third_party else "",
        )
        if status != PaymentStatus.PENDING:
            payment.confirmed_by = self.users["finance"]
            payment.confirmed_at = timezone.now()
        if status == PaymentStatus.CONFIRMED:
            payment.accounting_period = on.strftime("%Y-%m")
        if status == PaymentStatus.REJECTED:
            payment.reject_reason = "银行未查到该笔款项"
        self.rows.append((payment, order, allocate))

    def save(self) -> list[Payment]:
        finance = self.users["finance"]
        payments = [p for p, _, _ in self.rows]
        bulk_create_with_history(payments, Payment, batch_size=1000, default_user=self.users["clerk"],
                                 default_change_reason="演示数据")
        by_number = dict(Payment.objects.filter(number__in=[p.number for p in payments]).values_list("number", "id"))
        for p in payments:
            p.pk = by_number[p.number]
        for period, last in self.counters.items():
            counter, _ = NumberCounter.objects.get_or_create(kind="HK", period=period)
            if counter.last < last:
                NumberCounter.objects.filter(pk=counter.pk).update(last=last)
        allocations, facts, touched = [], [], {}
        for payment, order, allocate in self.rows:
            if payment.status != PaymentStatus.CONFIRMED:
                continue
            if order is not None and allocate:
                allocations.append(Allocation(payment=payment, order=order, customer_id=payment.customer_id,
                                              amount=allocate, reason="confirm", created_by=finance))
                touched[order.pk] = order
            facts.append(FactInput(
                kind=FactKind.RECEIVED, business_date=payment.received_on, amount=payment.amount,
                customer_id=payment.customer_id, source_kind="payment", source_id=payment.pk,
                shares=_shares(order, payment.customer), order_id=order.pk if order else None,
                contract_id=order.contract_id if order else None, period=payment.accounting_period,
            ))
        Allocation.objects.bulk_create(allocations, batch_size=1000)
        for start in range(0, len(facts), 2000):
            record(facts[start:start + 2000], actor=finance)
        for order in touched.values():
            run_hooks("order_money_changed", order=order, actor=finance)
        return payments


def _shares(order, customer: Customer) -> list[Share]:
    if order is not None:
        shares = [Share(s.salesperson_id, s.share, s.team_id) for s in order.credit_shares.all()]
        if shares:
            return shares
        return [Share(order.salesperson_id, Decimal(1), order.salesperson.team_id)]
    return [Share(customer.salesperson_id, Decimal(1), customer.salesperson.team_id)]


def _orders(ctx: DemoContext) -> list[Order]:
    """The demo orders an earlier seeder left (``ctx.shared["orders"]``), else those in the
    database, that still take money."""
    shared = ctx.shared.get("orders")
    ids = [getattr(o, "pk", o) for o in shared] if shared else None
    qs = Order.objects.filter(status__in=PAYABLE)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.select_related("customer__salesperson", "salesperson").prefetch_related("credit_shares")
                .order_by("order_date", "id")[: MAX_PAYMENTS[ctx.scale]])


def _day(book: _Book, not_before, span: int = 30):
    on = book.today - timedelta(days=book.ctx.rng.randrange(0, span))
    return max(on, not_before) if not_before else on


def seed(ctx: DemoContext) -> None:
    if not ctx.business:
        return
    rng = ctx.rng
    book = _Book(ctx)
    orders = _orders(ctx)
    # orders that already have money (a re-run, or another seeder) are left as they are
    taken = set(Payment.objects.filter(order__in=orders).values_list("order_id", flat=True))
    taken |= set(Allocation.objects.filter(order__in=orders).values_list("order_id", flat=True))
    for order in orders:
        if order.pk in taken or order.total <= 0:
            continue
        customer = order.customer
        on_credit = customer.settlement in ("credit", "monthly")
        fate = rng.choices(["paid", "deposit", "pending", "none"], [2, 6, 2, 4] if on_credit else [8, 4, 3, 1])[0]
        by = order.salesperson if rng.random() < 0.5 else None
        if fate == "paid":
            book.add(customer, order.total, _day(book, order.order_date), order=order, allocate=order.total, recorded_by=by)
        elif fate == "deposit":
            amount = quantize_money(order.total * Decimal(rng.choice(["0.3", "0.5", "0.6"])))
            book.add(customer, amount, _day(book, order.order_date), order=order, allocate=amount, recorded_by=by)
        elif fate == "pending":
            book.add(customer, order.total, _day(book, order.order_date, 5), order=order,
                     status=PaymentStatus.PENDING, recorded_by=by)
    customers = [c for c in (ctx.shared.get("customers") or []) if getattr(c, "pk", None)]
    if customers:
        pool = list(Customer.objects.filter(pk__in=[c.pk for c in customers], status="active")
                    .select_related("salesperson").order_by("id"))
        share = 0.15 if orders else 0.3
        picked = rng.sample(pool, min(len(pool), int(len(pool) * share), MAX_PAYMENTS[ctx.scale]))
        for i, customer in enumerate(picked):
            amount = Decimal(rng.choice([5000, 10000, 20000, 30000, 50000, 80000]))
            status = PaymentStatus.CONFIRMED
            if i % 10 == 3:
                status = PaymentStatus.PENDING
            elif i % 25 == 7:
                status = PaymentStatus.REJECTED
            by = customer.salesperson if rng.random() < 0.4 else None
            book.add(customer, amount, _day(book, None, 60), status=status, recorded_by=by)
    payments = book.save()
    ctx.shared["payments"] = payments
    counts = defaultdict(int)
    for p in payments:
        counts[str(p.status)] += 1
    ctx.out.write(f"    payments: {len(payments)} ({dict(counts)}), on {len({p.order_id for p in payments if p.order_id})} "
                  f"orders{'' if orders else ' (no demo orders yet: advances only)'}\n")
