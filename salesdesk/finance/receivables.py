"""Receivables (应收账款, M7): posting, term anchors, matching, aging and collection follow-ups.

A receivable is posted for every dispatched shipment (and, by the opening import, for every opening
balance). Its arising date follows the customer's term anchor (dispatch, delivery, invoice or month
end) and it is due ``credit_days`` later. What is still open is never stored; it is derived here:

- within each order, the credits are the money allocated to the order (signed allocation rows),
  the goods returned (``returned`` facts of the order) and the recorded write-offs against its
  receivables; a write-off first reduces its own receivable, the rest is matched to the order's
  receivables oldest first (due date, empty due dates last, then dispatch date, then id);
- opening receivables (no order) are matched, the same way, by the customer's money not allocated
  to any order (confirmed receipts − refunds − allocations + opening advances);
- whatever credit is left over is the customer's advance (预收).

So a customer's balance is receivables − advances = shipped − returned − receipts + refunds −
write-offs + opening receivables − opening advances, however the money is matched.

``as_of`` looks back: receivables shipped (and booked) on or before the day, allocations made on or
before it, facts whose accounting date is on or before it (a fact booked into a later open month
because its own month was locked counts from the first day of that month, as statements show it),
write-offs recorded on or before it. Every query aggregates in SQL; only the per-order matching
runs in Python, so the number of queries does not grow with the rows.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from salesdesk.core.errors import InvalidInput
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.notifications import notify
from salesdesk.core.registries import Panel, register_figures, register_hook, register_panel
from salesdesk.customers.choices import Settlement, TermAnchor
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import accounting_period, month_of
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from .choices import CollectionChannel, OpeningKind, ReceivableSource, WriteOffStatus
from .models import Allocation, CollectionNote, Invoice, OpeningBalance, Receivable, WriteOff

ZERO = Decimal("0.00")
RELATED = ("customer__salesperson", "order", "contract", "salesperson")


@dataclass(slots=True)
class LightReceivable:
    """The columns of a receivable that matching, aging and visibility read — a big ledger is built
    from these (model instances cost more than the matching); ``hydrate`` loads the rows shown."""

    pk: int
    source_kind: str
    source_id: int
    customer_id: int
    order_id: int | None
    contract_id: int | None
    salesperson_id: int | None
    amount: Decimal
    shipped_on: date
    arises_on: date | None
    due_on: date | None
    owner_id: int  # the customer's salesperson


LIGHT_COLUMNS = ("id", "source_kind", "source_id", "customer_id", "order_id", "contract_id", "salesperson_id", "amount",
                 "shipped_on", "arises_on", "due_on", "customer__salesperson_id")

# Who may do what with receivables (granted in finance.permissions).
VIEW_RECEIVABLE = perms.VIEW_RECEIVABLE  # clerk, salesperson, sales manager, GM, finance (rows narrowed)
EXPORT_RECEIVABLE = perms.EXPORT_RECEIVABLE  # clerk, GM, finance
ADD_COLLECTION_NOTE = perms.ADD_COLLECTION_NOTE  # clerk, salesperson (own customers), finance

# Aging by days past due (API.md, Receivables) and the parallel "days since shipment" view.
BUCKETS: tuple[str, ...] = ("not_due", "1-30", "31-60", "61-90", "91-180", "181-365", ">365")
SHIPMENT_BUCKETS: tuple[str, ...] = ("0-30", "31-60", "61-90", "91-180", "181-365", ">365")
_UPPER = ((30, "1-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))
_SHIPMENT_UPPER = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))
BASES = ("due", "shipment")


def bucket_for(days_past_due: int | None) -> str:
    """Due today or later, or not yet anchored → ``not_due``; then by days past due."""
    if days_past_due is None or days_past_due <= 0:
        return "not_due"
    for upper, name in _UPPER:
        if days_past_due <= upper:
            return name
    return ">365"


def shipment_bucket_for(days_since_shipment: int) -> str:
    for upper, name in _SHIPMENT_UPPER:
        if days_since_shipment <= upper:
            return name
    return ">365"


def buckets_of(basis: str) -> tuple[str, ...]:
    return SHIPMENT_BUCKETS if basis == "shipment" else BUCKETS


# --- posting and term anchors ---------------------------------------------------------------------


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_date(customer: Customer, arises_on: date | None) -> date | None:
    """``credit_days`` after the anchor; prepaid and deposit customers owe at once."""
    if arises_on is None:
        return None
    if customer.settlement in (Settlement.PREPAID, Settlement.DEPOSIT):
        return arises_on
    return arises_on + timedelta(days=customer.credit_days)


def _invoiced_on(shipment_id: int, order_id: int | None) -> date | None:
    """The first issue date of an invoice (not a red one) covering the shipment itself, or the
    whole order (an invoice that names the order and no shipments)."""
    condition = Q(shipments__id=shipment_id)
    if order_id is not None:
        order_level = Invoice.objects.filter(orders__id=order_id, original__isnull=True).annotate(
            n=Count("shipments")).filter(n=0).values("pk")
        condition |= Q(pk__in=order_level)
    return Invoice.objects.filter(condition, original__isnull=True).aggregate(d=Min("issued_on"))["d"]


def _arising(customer: Customer, shipped_on: date, shipment_id: int, order_id: int | None) -> date | None:
    anchor = customer.term_anchor
    if anchor == TermAnchor.MONTH_END:
        return month_end(shipped_on)
    if anchor == TermAnchor.DELIVERY:
        return None  # set when the goods are signed for
    if anchor == TermAnchor.INVOICE:
        issued = _invoiced_on(shipment_id, order_id)
        return None if issued is None else max(issued, shipped_on)
    return shipped_on


@transaction.atomic
def post_shipment_receivable(*, shipment_id: int, customer_id: int, order_id: int | None, contract_id: int | None,
                             salesperson_id: int | None, number: str, amount: Decimal, shipped_on: date) -> Receivable:
    """The receivable of a dispatched shipment (idempotent: a second call returns the first row)."""
    existing = Receivable.objects.filter(source_kind=ReceivableSource.SHIPMENT, source_id=shipment_id).first()
    if existing is not None:
        return existing
    customer = Customer.objects.get(pk=customer_id)
    arises_on = _arising(customer, shipped_on, shipment_id, order_id)
    receivable = Receivable(
        source_kind=ReceivableSource.SHIPMENT, source_id=shipment_id, number=number, customer=customer,
        order_id=order_id, contract_id=contract_id, salesperson_id=salesperson_id, amount=quantize_money(amount),
        shipped_on=shipped_on, arises_on=arises_on, due_on=due_date(customer, arises_on),
        period=accounting_period(shipped_on),
    )
    receivable.save()
    return receivable


@transaction.atomic
def anchor_receivables(*, order_ids: Iterable[int] | None = None, shipment_ids: Iterable[int] | None = None,
                       event: str, on: date) -> int:
    """Start the term of the not yet anchored receivables of these orders / shipments whose customer
    counts from ``event`` ("delivery" or "invoice"): they arise on ``on`` (never before dispatch) and
    are due ``credit_days`` later. An order with some of its shipments listed is covered by those
    shipments only (an invoice for part of an order leaves the rest running from its own invoice).
    Returns how many were anchored."""
    if event not in (TermAnchor.DELIVERY, TermAnchor.INVOICE):
        raise ValueError(f"unknown anchor event {event!r}")
    shipment_ids = list(shipment_ids or ())
    order_ids = set(order_ids or ())
    condition = Q()
    if shipment_ids:
        condition |= Q(source_kind=ReceivableSource.SHIPMENT, source_id__in=shipment_ids)
        order_ids -= set(Receivable.objects.filter(source_kind=ReceivableSource.SHIPMENT, source_id__in=shipment_ids)
                         .values_list("order_id", flat=True))
    if order_ids:
        condition |= Q(order_id__in=sorted(order_ids))
    if not condition:
        return 0
    rows = list(Receivable.objects.select_for_update(of=("self",)).filter(
        condition, arises_on__isnull=True, source_kind=ReceivableSource.SHIPMENT, customer__term_anchor=event,
    ).select_related("customer").order_by("id"))
    for receivable in rows:
        receivable.arises_on = max(on, receivable.shipped_on)
        receivable.due_on = due_date(receivable.customer, receivable.arises_on)
        receivable.save(update_fields=["arises_on", "due_on"])
    return len(rows)


def _local_day(moment: datetime | None) -> date:
    return timezone.localdate(moment) if moment is not None else timezone.localdate()


def on_shipment_dispatched(*, shipment, actor=None, **kwargs) -> Receivable:
    """Hook ``shipment_dispatched``: read the shipment's values (finance never imports logistics)."""
    order = shipment.order
    return post_shipment_receivable(
        shipment_id=shipment.pk, customer_id=shipment.customer_id, order_id=shipment.order_id,
        contract_id=getattr(order, "contract_id", None), salesperson_id=getattr(order, "salesperson_id", None),
        number=shipment.number, amount=shipment.value, shipped_on=_local_day(shipment.dispatched_at),
    )


def on_shipment_delivered(*, shipment, actor=None, **kwargs) -> int:
    """Hook ``shipment_delivered``: delivery-term receivables start running from the signing day."""
    return anchor_receivables(shipment_ids=[shipment.pk], event=TermAnchor.DELIVERY,
                              on=_local_day(getattr(shipment, "delivered_at", None)))


# --- matching -------------------------------------------------------------------------------------


@dataclass
class OpenItem:
    """One receivable as of a day: its amount, what its own write-offs and the matched credits took
    off it, what is still open, and how old it is."""

    receivable: Receivable | LightReceivable
    as_of: date
    written_off: Decimal = ZERO
    settled: Decimal = ZERO  # money, returns and other credits matched to it

    @property
    def amount(self) -> Decimal:
        return self.receivable.amount

    @property
    def open_amount(self) -> Decimal:
        return self.receivable.amount - self.written_off - self.settled

    @property
    def days_past_due(self) -> int | None:
        due = self.receivable.due_on
        return None if due is None else (self.as_of - due).days

    @property
    def days_since_shipment(self) -> int:
        return (self.as_of - self.receivable.shipped_on).days

    @property
    def bucket(self) -> str:
        return bucket_for(self.days_past_due)

    @property
    def shipment_bucket(self) -> str:
        return shipment_bucket_for(self.days_since_shipment)

    def bucket_by(self, basis: str) -> str:
        return self.shipment_bucket if basis == "shipment" else self.bucket

    @property
    def overdue(self) -> bool:
        return self.open_amount > 0 and (self.days_past_due or 0) > 0


@dataclass
class Ledger:
    """Every counted receivable with its matched credits, and each customer's advance (预收)."""

    as_of: date
    items: list[OpenItem]
    advances: dict[int, Decimal] = field(default_factory=dict)

    def open_items(self) -> list[OpenItem]:
        return [i for i in self.items if i.open_amount > 0]


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _scope(qs, field_map: dict[str, str], customer_ids, order_ids, contract_ids):
    if customer_ids is not None:
        qs = qs.filter(**{f"{field_map['customer']}__in": customer_ids})
    if order_ids is not None:
        qs = qs.filter(**{f"{field_map['order']}__in": order_ids})
    if contract_ids is not None:
        qs = qs.filter(**{f"{field_map['contract']}__in": contract_ids})
    return qs


def _fact_counts(qs, as_of: date | None):
    if as_of is None:
        return qs
    return qs.filter(business_date__lte=as_of, period__lte=month_of(as_of))


def _match(items: list[OpenItem], pool: Decimal) -> Decimal:
    """Match ``pool`` to the items oldest first; return what is left (the advance)."""
    items.sort(key=lambda i: (i.receivable.due_on is None, i.receivable.due_on or date.min, i.receivable.shipped_on,
                              i.receivable.pk))
    for item in items:
        take = min(item.open_amount, max(pool, ZERO))
        if take > 0:
            item.settled += take
            pool -= take
    return pool


def _ids(values) -> list | object | None:
    """Ids as given: a queryset stays a subquery (no long IN lists), anything else becomes a list."""
    if values is None or hasattr(values, "query"):
        return values
    return list(values)


def build_ledger(customer_ids=None, *, as_of: date | None = None, order_ids=None, contract_ids=None,
                 with_related: bool = True) -> Ledger:
    """The receivables of the given customers / orders / contracts (ids or an id queryset; ``None``
    = no restriction) with their matched credits as of ``as_of`` (default today).

    Restricted to orders or contracts, opening receivables are left out and the advances hold only
    the orders' leftovers; restricted to customers (or not at all), everything of those customers."""
    day = as_of or timezone.localdate()
    customer_ids, order_ids, contract_ids = _ids(customer_ids), _ids(order_ids), _ids(contract_ids)
    by_order = order_ids is not None or contract_ids is not None

    receivables = _scope(Receivable.objects.all(), {"customer": "customer_id", "order": "order_id",
                                                    "contract": "contract_id"}, customer_ids, order_ids, contract_ids)
    if as_of is not None:
        receivables = receivables.filter(shipped_on__lte=as_of, period__lte=month_of(as_of))
    if with_related:
        items = [OpenItem(receivable=r, as_of=day) for r in receivables.select_related(*RELATED).order_by("id")]
    else:
        items = [OpenItem(receivable=LightReceivable(*row), as_of=day)
                 for row in receivables.order_by("id").values_list(*LIGHT_COLUMNS)]

    # Credits of each (customer, order): allocations, returns; customer-level money under order None.
    pools: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    allocations = _scope(Allocation.objects.all(), {"customer": "customer_id", "order": "order_id",
                                                    "contract": "order__contract_id"},
                         customer_ids, order_ids, contract_ids)
    if as_of is not None:
        allocations = allocations.filter(created_at__lt=_end_of(as_of))
    for row in allocations.values("customer_id", "order_id").annotate(total=Sum("amount")).order_by():
        amount = row["total"] or ZERO
        pools[(row["customer_id"], row["order_id"])] += amount
        if not by_order:
            pools[(row["customer_id"], None)] -= amount  # money on an order is no longer unallocated

    facts = _fact_counts(_scope(Fact.objects.all(), {"customer": "customer_id", "order": "order_id",
                                                     "contract": "contract_id"}, customer_ids, order_ids, contract_ids),
                         as_of)
    kinds = [FactKind.RETURNED] if by_order else [FactKind.RETURNED, FactKind.RECEIVED, FactKind.REFUNDED]
    for row in facts.filter(kind__in=kinds).values("customer_id", "order_id", "kind").annotate(
            total=Sum("amount")).order_by():
        amount = row["total"] or ZERO
        if row["kind"] == FactKind.RETURNED:  # stored negative: a credit of the order it came back on
            pools[(row["customer_id"], row["order_id"])] -= amount
        else:  # receipts (+) and refunds (stored −) are customer money until allocated
            pools[(row["customer_id"], None)] += amount

    if not by_order:
        openings = OpeningBalance.objects.filter(kind=OpeningKind.ADVANCE)
        if customer_ids is not None:
            openings = openings.filter(customer_id__in=customer_ids)
        if as_of is not None:
            openings = openings.filter(as_of__lte=as_of)
        for row in openings.values("customer_id").annotate(total=Sum("amount")).order_by():
            pools[(row["customer_id"], None)] += row["total"] or ZERO

    # Write-offs first reduce their own receivable; anything beyond it joins the order's credits.
    write_offs = _scope(WriteOff.objects.filter(status=WriteOffStatus.RECORDED),
                        {"customer": "customer_id", "order": "receivable__order_id",
                         "contract": "receivable__contract_id"}, customer_ids, order_ids, contract_ids)
    if as_of is not None:
        write_offs = write_offs.filter(recorded_on__lte=as_of)
    written = {(r["receivable_id"], r["receivable__customer_id"], r["receivable__order_id"]): r["total"] or ZERO
               for r in write_offs.values("receivable_id", "receivable__customer_id", "receivable__order_id")
               .annotate(total=Sum("amount")).order_by()}

    groups: dict[tuple[int, int | None], list[OpenItem]] = defaultdict(list)
    for item in items:
        groups[(item.receivable.customer_id, item.receivable.order_id)].append(item)
    by_pk = {item.receivable.pk: item for item in items}
    for (pk, customer_id, order_id), wo in written.items():
        item = by_pk.get(pk)
        own = ZERO if item is None else min(wo, item.receivable.amount)
        if item is not None:
            item.written_off = own
        pools[(customer_id, order_id)] += wo - own  # beyond its own receivable (or before it counts)

    advances: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for key in set(groups) | set(pools):
        left = _match(groups.get(key, []), pools.get(key, ZERO))
        if left:
            advances[key[0]] += left
    items.sort(key=lambda i: (i.receivable.customer_id, i.receivable.due_on is None, i.receivable.due_on or date.min,
                              i.receivable.shipped_on, i.receivable.pk))
    return Ledger(as_of=day, items=items, advances=dict(advances))


def open_items(customer_ids=None, *, as_of: date | None = None, order_ids=None, contract_ids=None,
               with_related: bool = True) -> list[OpenItem]:
    """The receivables with something still open as of ``as_of`` (default today), oldest first per customer."""
    return build_ledger(customer_ids, as_of=as_of, order_ids=order_ids, contract_ids=contract_ids,
                        with_related=with_related).open_items()


def hydrate(items: list[OpenItem]) -> list[OpenItem]:
    """Load customer, owner, order and contract of the items about to be shown (one query): a big
    ledger is matched on a few columns and only the rows on the page are read in full."""
    full = Receivable.objects.select_related(*RELATED).in_bulk([i.receivable.pk for i in items])
    for item in items:
        item.receivable = full[item.receivable.pk]
    return items


@dataclass
class Position:
    """A customer's receivables as of a day: what is open (per bucket), what is overdue, the advance."""

    customer_id: int
    receivable: Decimal = ZERO  # open receivables
    overdue: Decimal = ZERO
    advance: Decimal = ZERO
    by_bucket: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        """Receivables less advances: what the statement's closing balance says."""
        return self.receivable - self.advance


def positions(ledger: Ledger, *, basis: str = "due") -> dict[int, Position]:
    names = buckets_of(basis)
    out: dict[int, Position] = {}
    for item in ledger.items:
        cid = item.receivable.customer_id
        pos = out.get(cid)
        if pos is None:
            pos = out[cid] = Position(cid, by_bucket=dict.fromkeys(names, ZERO))
        amount = item.open_amount
        if amount <= 0:
            continue
        pos.receivable += amount
        pos.by_bucket[item.bucket_by(basis)] += amount
        if item.bucket != "not_due":
            pos.overdue += amount
    for cid, advance in ledger.advances.items():
        pos = out.get(cid)
        if pos is None:
            pos = out[cid] = Position(cid, by_bucket=dict.fromkeys(names, ZERO))
        pos.advance = advance
    return out


def customer_balance(customer_id: int, as_of: date | None = None) -> Decimal:
    """Receivables less advances of one customer as of ``as_of`` (the statement's closing balance)."""
    pos = positions(build_ledger([customer_id], as_of=as_of, with_related=False)).get(customer_id)
    return pos.balance if pos is not None else ZERO


@dataclass
class AgingRow:
    customer_id: int
    customer: str
    code: str
    salesperson: str
    total: Decimal
    overdue: Decimal
    advance: Decimal
    by_bucket: dict[str, Decimal]


@dataclass
class Aging:
    as_of: date
    basis: str
    buckets: tuple[str, ...]
    rows: list[AgingRow]
    totals: AgingRow


def aging(customers, *, as_of: date | None = None, basis: str = "due") -> Aging:
    """Aging per customer with open receivables (``customers``: a queryset of the visible ones),
    biggest overdue first. ``basis`` "due" buckets by days past due, "shipment" by days since dispatch."""
    day = as_of or timezone.localdate()
    ledger = build_ledger(customers.values("pk"), as_of=day, with_related=False)
    names = buckets_of(basis)
    owing = [pos for pos in positions(ledger, basis=basis).values() if pos.receivable > 0]
    by_id = Customer.objects.select_related("salesperson").only(
        "id", "code", "name", "salesperson__username", "salesperson__name", "salesperson__first_name",
        "salesperson__last_name").in_bulk([pos.customer_id for pos in owing])
    rows: list[AgingRow] = []
    for pos in owing:
        c = by_id[pos.customer_id]
        rows.append(AgingRow(c.pk, c.name, c.code, c.salesperson.display_name, pos.receivable, pos.overdue,
                             pos.advance, pos.by_bucket))
    rows.sort(key=lambda r: (-r.overdue, -r.total, r.code))
    totals = AgingRow(0, "", "", "", sum((r.total for r in rows), ZERO), sum((r.overdue for r in rows), ZERO),
                      sum((r.advance for r in rows), ZERO),
                      {b: sum((r.by_bucket[b] for r in rows), ZERO) for b in names})
    return Aging(as_of=day, basis=basis, buckets=names, rows=rows, totals=totals)


def visible_open_items(user, *, customers=None, customer=None, contract=None, order=None,
                       salesperson_id: int | None = None, as_of: date | None = None,
                       overdue: bool | None = None) -> list[OpenItem]:
    """The open items ``user`` may see (their customers' and their own orders', as
    ``Receivable.visible_to``), narrowed to a customer queryset / customer / contract / order, the
    customers' owner and past due or not."""
    scope = Receivable.objects.visible_to(user)  # rows come light: ``hydrate`` the ones shown
    if customers is not None:
        scope = scope.filter(customer__in=customers)
    if customer is not None:
        scope = scope.filter(customer=customer)
    if salesperson_id is not None:
        scope = scope.filter(customer__salesperson_id=salesperson_id)
    items = open_items(scope.values("customer_id"), as_of=as_of,
                       order_ids=[order.pk] if order is not None else None,
                       contract_ids=[contract.pk] if contract is not None else None, with_related=False)
    people = salesperson_scope(user)
    if people is not None:
        items = [i for i in items if i.receivable.owner_id in people or i.receivable.salesperson_id in people]
    if salesperson_id is not None:
        items = [i for i in items if i.receivable.owner_id == salesperson_id]
    if overdue is not None:
        items = [i for i in items if i.overdue == overdue]
    return items


# --- what other parts of finance read -------------------------------------------------------------


def opening_claims(customer_ids: Iterable[int]) -> dict[int, Decimal]:
    """What each customer's opening receivables still claim from money not allocated to any order,
    net of the opening advances (today; at least zero). ``balances.free_advance`` keeps this much of
    the unallocated money away from the gate."""
    ids = list(customer_ids)
    if not ids:
        return {}
    claims: dict[int, Decimal] = dict.fromkeys(ids, ZERO)
    openings = list(Receivable.objects.filter(customer_id__in=ids, source_kind=ReceivableSource.OPENING)
                    .values_list("pk", "customer_id", "amount"))
    if not openings:
        return claims
    written = dict(WriteOff.objects.filter(receivable_id__in=[pk for pk, _, _ in openings], status=WriteOffStatus.RECORDED)
                   .values("receivable_id").annotate(total=Sum("amount")).values_list("receivable_id", "total"))
    for pk, cid, amount in openings:
        claims[cid] += max(ZERO, amount - (written.get(pk) or ZERO))
    for row in (OpeningBalance.objects.filter(customer_id__in=ids, kind=OpeningKind.ADVANCE)
                .values("customer_id").annotate(total=Sum("amount"))):
        claims[row["customer_id"]] -= row["total"] or ZERO
    return {cid: max(ZERO, claim) for cid, claim in claims.items()}


def unpaid_opening(customers, user=None) -> dict[int, dict[str, Decimal]]:
    """Figure provider for customers: ``unpaid_opening_balance`` (the gate counts it as exposure)."""
    ids = [c.pk for c in customers]
    ledger = build_ledger(ids, with_related=False)
    out = {cid: {"unpaid_opening_balance": ZERO} for cid in ids}
    for item in ledger.items:
        if item.receivable.source_kind == ReceivableSource.OPENING and item.open_amount > 0:
            out[item.receivable.customer_id]["unpaid_opening_balance"] += item.open_amount
    return out


# --- collection follow-ups (催款记录) -----------------------------------------------------------------


@transaction.atomic
def record_collection_note(*, actor, customer: Customer, contacted_on: date, channel: str, result: str,
                           contact_name: str = "", promised_on: date | None = None,
                           promised_amount: Decimal | None = None, receivable: Receivable | None = None) -> CollectionNote:
    """A collection follow-up: when and how the customer was chased, what they promised. The caller
    has resolved ``customer`` (and ``receivable``) for the actor; the owner is reminded on the
    promised day (``ar_tasks``)."""
    if not actor.has_perm(ADD_COLLECTION_NOTE):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if receivable is not None and receivable.customer_id != customer.pk:
        errors["receivable_id"] = ["应收账款不属于该客户 / The receivable belongs to another customer."]
    if channel not in CollectionChannel.values:
        errors["channel"] = ["催款方式无效 / Unknown channel."]
    if contacted_on > timezone.localdate():
        errors["contacted_on"] = ["催款日期不能晚于今天 / The contact date cannot be in the future."]
    if promised_on is not None and promised_on < contacted_on:
        errors["promised_on"] = ["承诺付款日不能早于催款日期 / The promised day cannot precede the contact."]
    if promised_amount is not None:
        promised_amount = quantize_money(promised_amount)
        if promised_amount <= 0:
            errors["promised_amount"] = ["承诺金额必须大于 0 / The promised amount must be positive."]
    if not result.strip():
        errors["result"] = ["请填写催款结果 / Say what came of it."]
    if errors:
        raise InvalidInput(errors)
    return CollectionNote.objects.create(
        customer=customer, receivable=receivable, contacted_on=contacted_on, channel=channel,
        contact_name=contact_name.strip()[:50], promised_on=promised_on, promised_amount=promised_amount,
        result=result.strip()[:500], by=actor,
    )


def remind_promised_payments(day: date) -> int:
    """On the promised day, remind the customer's owner (and whoever wrote the note) to check that
    the money came. Once per note (``dedupe_key``); returns how many notes were reminded."""
    notes = list(CollectionNote.objects.filter(promised_on=day).select_related("customer").order_by("id"))
    if not notes:
        return 0
    open_by_customer = positions(build_ledger({n.customer_id for n in notes}, with_related=False))
    sent = 0
    for note in notes:
        pos = open_by_customer.get(note.customer_id)
        still_open = pos.receivable if pos is not None else ZERO
        amount = f" ¥{note.promised_amount:,.2f}" if note.promised_amount is not None else ""
        rows = notify(
            {note.customer.salesperson_id, note.by_id},
            f"客户承诺今日付款{amount}：{note.customer.name}",
            f"{note.contacted_on:%Y-%m-%d} {note.get_channel_display()}催款，结果：{note.result}\n"
            f"目前未收应收 ¥{still_open:,.2f}，请核实是否到账。",
            url=f"/finance/receivables/customers/{note.customer_id}/", kind="collection_promise",
            dedupe_key=f"collection-promise:{note.pk}",
        )
        sent += bool(rows)
    return sent


# --- wiring: hooks from logistics, figures for the gate, tabs on the customer and contract pages -----


def _sees_receivables(user, obj) -> bool:
    return user.has_perm(VIEW_RECEIVABLE)


def _customer_panel(request, customer):
    from .ar_views import customer_receivables_panel

    return customer_receivables_panel(request, customer)


def _contract_panel(request, contract):
    from .ar_views import contract_receivables_panel

    return contract_receivables_panel(request, contract)


def connect() -> None:
    from django.utils.translation import gettext_lazy as _

    from salesdesk.contracts.models import Contract

    register_hook("shipment_dispatched", on_shipment_dispatched)
    register_hook("shipment_delivered", on_shipment_delivered)
    register_figures(Customer, "receivables", unpaid_opening)
    register_panel(Customer, Panel("receivables", _("应收账款"), "finance/ar/_customer_panel.html", _customer_panel,
                                   order=45, visible=_sees_receivables))
    register_panel(Contract, Panel("receivables", _("应收账款"), "finance/ar/_contract_panel.html", _contract_panel,
                                   order=45, visible=_sees_receivables))


connect()
