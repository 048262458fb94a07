"""Demo payments (回款): consistent with the demo orders when there are any — some orders paid up,
some part-paid (a deposit), some with the clerk's "has it arrived?" request still pending in
finance's queue, some unpaid (credit customers pay around the due date; some never did, so the
logistics demo has past-due receivables) — and customers' advances (预收) without an order, a few
pending or rejected. Without orders, only advances are made.

Payments are inserted as recorded (no mail to finance for every demo row), then finance confirms
the newest ``VIA_SERVICE`` of them through ``services.confirm_payment`` in the order they arrived,
with the clock set to the day the money came (``replaying_at``): allocations, ``received`` facts,
roll-ups and the order hooks are exactly the service's. Older ones take a bulk path that writes
the same rows (allocations, facts) without the per-payment round trips (a service confirmation
costs ~40 ms; the demo has ~800 payments, ``large`` 20,000). Numbers follow ``next_number``'s format per received date and the
counters are moved past them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from salesdesk.core.demo import DemoContext
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.models import Notification, NumberCounter
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order

from .choices import PaymentMethod, PaymentStatus
from .models import Allocation, Payment
from .services import confirm_payment

PAYABLE = (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
THIRD_PARTY_PAYERS = ["张建国", "李秀英", "王海涛", "深圳市鑫源贸易有限公司"]
MAX_PAYMENTS = {"demo": 1000, "large": 20_000}
VIA_SERVICE = {"demo": 200, "large": 300}  # confirmations through confirm_payment (the newest)
PENDING_AGE = 30  # a "has it arrived?" request older than this would have been answered


@contextmanager
def replaying_at(moment: datetime) -> Iterator[None]:
    """Run services as if it were ``moment`` (never later than now): every ``timezone.now()`` and
    ``timezone.localdate()`` — dates of facts, statuses, history, auto timestamps — answers that
    time, so demo history replayed through the services reads as if it happened then. Demo seeding
    only: one thread, nothing else running."""
    moment = min(moment, timezone.now())
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def at_office_hours(ctx: DemoContext, day: date, earliest: int = 9, latest: int = 17) -> datetime:
    """A moment on ``day`` during office hours (Beijing time), but not after now."""
    hour = ctx.rng.randrange(earliest, latest)
    return min(timezone.make_aware(datetime.combine(day, time(hour, ctx.rng.randrange(60)))), timezone.now())


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
            payment.confirmed_at = at_office_hours(self.ctx, on)
        if status == PaymentStatus.CONFIRMED:
            payment.accounting_period = on.strftime("%Y-%m")
        if status == PaymentStatus.REJECTED:
            payment.reject_reason = "银行未查到该笔款项"
        self.rows.append((payment, order, allocate))

    def _via_service(self) -> set[int]:
        """Indexes of the confirmed rows finance confirms through the service: all at ``demo``,
        the newest ones at ``large``."""
        confirmed = [i for i, (p, _, _) in enumerate(self.rows) if p.status == PaymentStatus.CONFIRMED]
        confirmed.sort(key=lambda i: self.rows[i][0].received_on, reverse=True)
        return set(confirmed[: VIA_SERVICE.get(self.ctx.scale, VIA_SERVICE["demo"])])

    def save(self) -> list[Payment]:
        finance = self.users["finance"]
        via_service = self._via_service()
        for i in via_service:  # recorded now, confirmed below by finance through the service
            payment = self.rows[i][0]
            payment.status, payment.confirmed_by, payment.confirmed_at = PaymentStatus.PENDING, None, None
            payment.accounting_period = ""
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
        self._confirm_in_bulk([row for i, row in enumerate(self.rows)
                               if i not in via_service and row[0].status == PaymentStatus.CONFIRMED], finance)
        confirmed_ids = []
        for i in sorted(via_service, key=lambda i: (self.rows[i][0].received_on, self.rows[i][0].pk)):
            payment = self.rows[i][0]
            with replaying_at(at_office_hours(self.ctx, payment.received_on, 10, 18)):
                self.rows[i] = (confirm_payment(actor=finance, payment=payment), *self.rows[i][1:])
            confirmed_ids.append(payment.pk)
        # "your payment arrived" notes for months-old demo payments are old news: read
        Notification.objects.filter(kind="payment_confirmed", read_at__isnull=True,
                                    dedupe_key__in=[f"payment-confirmed:{pk}" for pk in confirmed_ids]
                                    ).update(read_at=F("created_at"))
        return [p for p, _, _ in self.rows]

    def _confirm_in_bulk(self, rows, finance) -> None:
        """What ``confirm_payment`` writes, for many payments at once (``large``): allocation rows and
        ``received`` facts. No order has shipped yet when finance seeds (logistics seeds after), so
        the order-status hook has nothing to change."""
        allocations, facts = [], []
        for payment, order, allocate in rows:
            if order is not None and allocate:
                allocations.append(Allocation(payment=payment, order=order, customer_id=payment.customer_id,
                                              amount=allocate, reason="confirm", created_by=finance))
            facts.append(FactInput(
                kind=FactKind.RECEIVED, business_date=payment.received_on, amount=payment.amount,
                customer_id=payment.customer_id, source_kind="payment", source_id=payment.pk,
                shares=_shares(order, payment.customer), order_id=order.pk if order else None,
                contract_id=order.contract_id if order else None, period=payment.accounting_period,
            ))
        Allocation.objects.bulk_create(allocations, batch_size=1000)
        for start in range(0, len(facts), 2000):
            record(facts[start:start + 2000], actor=finance)


def _shares(order, customer: Customer) -> list[Share]:
    if order is not None:
        shares = [Share(s.salesperson_id, s.share, s.team_id) for s in order.credit_shares.all()]
        if shares:
            return shares
        return [Share(order.salesperson_id, Decimal(1), order.salesperson.team_id)]
    return [Share(customer.salesperson_id, Decimal(1), customer.salesperson.team_id)]


def _ids(items) -> list[int] | None:
    """Ids from a list of model objects or ids (seeders leave either), or None for "not given"."""
    if not items:
        return None
    return [getattr(o, "pk", o) for o in items]


def _orders(ctx: DemoContext) -> list[Order]:
    """The demo orders an earlier seeder left (``ctx.shared["orders"]``), else those in the
    database, that still take money."""
    ids = _ids(ctx.shared.get("orders"))
    qs = Order.objects.filter(status__in=PAYABLE)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.select_related("customer__salesperson", "salesperson").prefetch_related("credit_shares")
                .order_by("-order_date", "-id")[: MAX_PAYMENTS.get(ctx.scale, MAX_PAYMENTS["demo"])])


def _day(book: _Book, not_before, span: int = 30) -> date:
    on = book.today - timedelta(days=book.ctx.rng.randrange(0, span))
    return max(on, not_before) if not_before else on


def _paid_on(book: _Book, order: Order) -> date:
    """When the money for an order came: prepaid customers pay within days of ordering, credit
    customers around the due date (never after today)."""
    customer = order.customer
    if customer.settlement in ("credit", "monthly"):
        days = customer.credit_days + book.ctx.rng.randrange(-10, 6)
    else:
        days = book.ctx.rng.randrange(0, 6)
    return min(order.order_date + timedelta(days=max(days, 0)), book.today)


def _fate(ctx: DemoContext, order: Order, today: date) -> str:
    on_credit = order.customer.settlement in ("credit", "monthly")
    age = (today - order.order_date).days
    if on_credit:
        due_in = order.customer.credit_days - age
        # not yet due: mostly unpaid; long past due: mostly paid, some never were (overdue)
        weights = [1, 1, 2, 8] if due_in > 0 else [14, 3, 1, 3]
    elif age <= PENDING_AGE:  # recent: many "has it arrived?" requests open, some not paid yet
        weights = [3, 2, 6, 3]
    else:
        weights = [8, 4, 0, 2]
    fate = ctx.rng.choices(["paid", "deposit", "pending", "none"], weights)[0]
    if fate == "pending" and age > PENDING_AGE:
        fate = "paid"
    return fate


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
        fate = _fate(ctx, order, book.today)
        by = order.salesperson if rng.random() < 0.5 else None
        if fate == "paid":
            book.add(customer, order.total, _paid_on(book, order), order=order, allocate=order.total, recorded_by=by)
        elif fate == "deposit":
            amount = quantize_money(order.total * Decimal(rng.choice(["0.3", "0.5", "0.6"])))
            book.add(customer, amount, _paid_on(book, order), order=order, allocate=amount, recorded_by=by)
        elif fate == "pending":
            book.add(customer, order.total, _day(book, order.order_date, 5), order=order,
                     status=PaymentStatus.PENDING, recorded_by=by)
    customers = [c for c in (ctx.shared.get("customers") or []) if getattr(c, "pk", None)]
    if customers:
        pool = list(Customer.objects.filter(pk__in=[c.pk for c in customers], status="active")
                    .select_related("salesperson").order_by("id"))
        share = 0.15 if orders else 0.3
        picked = rng.sample(pool, min(len(pool), int(len(pool) * share), MAX_PAYMENTS.get(ctx.scale, 1000)))
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
