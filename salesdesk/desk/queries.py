"""Reads of the desk (工作台, M17): the clerk's duties of the day and each role's own figures.

Every duty is a count and the first few rows, read under the user's visibility with a fixed number
of queries whatever the rows (the desk's query count is pinned in tests). The desk is the top app:
it reads every app's public queries and functions and owns none of their rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from salesdesk.contracts.queries import expiring
from salesdesk.core.lib.workdays import WorkWeek, calendar_for
from salesdesk.customers.models import Customer, Ticket
from salesdesk.finance.choices import InvoiceRequestStatus, PaymentStatus
from salesdesk.finance.models import Allocation, CollectionNote, InvoiceRequest, Payment
from salesdesk.finance.receivables import visible_open_items
from salesdesk.ledger.models import RollupDay
from salesdesk.logistics.choices import COUNTS_FOR_GATE, CallStatus, ShipmentStatus
from salesdesk.logistics.models import CallTask, Shipment
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order
from salesdesk.orders.queries import unseen_by_finance
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope
from salesdesk.reports.models import DeliveryStatus, ReportCheck, ReportDelivery, ReportSchedule
from salesdesk.reports.periods import report_period
from salesdesk.reports.queries import sales_report
from salesdesk.reports.schedules import current_period, period_key
from salesdesk.team import queries as team_queries

ZERO = Decimal("0.00")
SHOWN = 8  # rows shown per duty; the count says how many there are
EXPIRING_DAYS = 30
TRACKED = (ShipmentStatus.DISPATCHED, ShipmentStatus.IN_TRANSIT)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Duty:
    """One line of the desk: how many, the first rows, and where the full list is."""

    key: str
    count: int
    rows: list = field(default_factory=list)
    amount: Decimal | None = None

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def _duty(key: str, qs: QuerySet, *, amount_field: str | None = None) -> Duty:
    """Count (and sum) in one query, the first rows in another."""
    if amount_field:
        agg = qs.order_by().aggregate(n=Count("pk"), total=Sum(amount_field))
        count, amount = agg["n"] or 0, agg["total"] or ZERO
    else:
        count, amount = qs.count(), None
    rows = list(qs[:SHOWN])  # fetched even when none, so the desk runs the same queries whatever the rows
    return Duty(key, count, rows, amount)


# --- the clerk's duties ------------------------------------------------------------------------


def unseen_orders(user) -> Duty:
    """Submitted orders finance has not looked at yet (上报财务)."""
    qs = unseen_by_finance(user).select_related("customer", "salesperson").order_by("order_date", "id")
    return _duty("unseen_orders", qs, amount_field="total")


def pending_payments(user) -> Duty:
    """The "has the money arrived?" requests (pending payments naming an order) finance has not answered."""
    qs = (Payment.objects.visible_to(user).filter(status=PaymentStatus.PENDING, order__isnull=False)
          .select_related("customer", "order").order_by("created_at", "id"))
    return _duty("pending_payments", qs, amount_field="amount")


def answered_today(user, today: date) -> Duty:
    """Finance's answers given today: confirmed (the goods may go) or rejected (call the customer)."""
    qs = (Payment.objects.visible_to(user)
          .filter(status__in=[PaymentStatus.CONFIRMED, PaymentStatus.REJECTED], order__isnull=False,
                  confirmed_at__gte=_day_start(today), confirmed_at__lt=_day_start(today + timedelta(days=1)))
          .select_related("customer", "order").order_by("-confirmed_at", "-id"))
    return _duty("answered_today", qs)


@dataclass(frozen=True)
class ReleasedOrder:
    order: Order
    paid: Decimal
    shipped: Decimal  # value of its non-cancelled shipments

    @property
    def covered(self) -> Decimal:
        """Money there for goods not yet on a shipment."""
        return self.paid - self.shipped


def released_orders(user) -> Duty:
    """Open orders whose confirmed money covers more than their shipments so far (款已到，待发货).

    Money and shipments are summed per order in two GROUP BY queries over the open orders that have
    money at all, compared here, and only the rows shown are read as objects: with correlated
    subqueries in the WHERE clause a busy book (16k such orders) took seconds."""
    open_orders = Order.objects.visible_to(user).filter(status__in=[OrderStatus.SUBMITTED,
                                                                    OrderStatus.PARTIALLY_SHIPPED])
    with_money = open_orders.filter(pk__in=Allocation.objects.values("order_id"))
    paid = dict(Allocation.objects.filter(order__in=with_money.values("pk")).order_by().values("order_id")
                .annotate(s=Sum("amount")).values_list("order_id", "s"))
    shipped = dict(Shipment.objects.filter(order__in=with_money.values("pk"), status__in=COUNTS_FOR_GATE).order_by()
                   .values("order_id").annotate(s=Sum("value")).values_list("order_id", "s"))
    ready: list[tuple[date, int, Decimal, Decimal]] = []
    for pk, total, order_date in with_money.order_by().values_list("pk", "total", "order_date"):
        got, sent = paid.get(pk) or ZERO, shipped.get(pk) or ZERO
        if got > sent and sent < total:
            ready.append((order_date, pk, got, sent))
    ready.sort()
    first = [pk for _, pk, _, _ in ready[:SHOWN]]
    by_pk = Order.objects.select_related("customer", "salesperson").in_bulk(first)
    rows = [ReleasedOrder(by_pk[pk], got, sent) for _, pk, got, sent in ready[:SHOWN]]
    return Duty("released_orders", len(ready), rows, sum((got - sent for _, _, got, sent in ready), ZERO))


def planned_shipments(user) -> Duty:
    """Shipments made (the order released through the gate) and not yet dispatched (待发出):
    the clerk or the warehouse enters the waybill and sends them off from the desk."""
    qs = (Shipment.objects.visible_to(user).filter(status=ShipmentStatus.PLANNED)
          .select_related("customer", "order").order_by("created_at", "id"))
    return _duty("planned_shipments", qs)


def shipments_to_track(user) -> Duty:
    """Dispatched and not yet delivered (跟踪物流)."""
    qs = (Shipment.objects.visible_to(user).filter(status__in=TRACKED)
          .select_related("customer", "order").order_by("dispatched_at", "id"))
    return _duty("shipments_to_track", qs)


def calls_to_make(user) -> Duty:
    """Customers to call about a dispatch or a delivery (打电话通知客户)."""
    qs = (CallTask.objects.filter(status=CallStatus.OPEN, shipment__in=Shipment.objects.visible_to(user).values("pk"))
          .select_related("shipment__customer", "shipment__order", "done_by").order_by("created_at", "id"))
    return _duty("calls_to_make", qs)


@dataclass(frozen=True)
class OverdueCustomer:
    customer: object
    overdue: Decimal
    oldest_days: int


def overdue_receivables(user, today: date) -> Duty:
    """Customers with receivables past due (finance.receivables' open items, matched on a few
    columns), biggest first; the customers shown are read in one more query."""
    overdue: dict[int, Decimal] = {}
    oldest: dict[int, int] = {}
    for item in visible_open_items(user, as_of=today, overdue=True):
        cid = item.receivable.customer_id
        overdue[cid] = overdue.get(cid, ZERO) + item.open_amount
        oldest[cid] = max(oldest.get(cid, 0), item.days_past_due or 0)
    ranked = sorted(overdue, key=lambda cid: (-overdue[cid], cid))
    customers = Customer.objects.in_bulk(ranked[:SHOWN])
    rows = [OverdueCustomer(customers[cid], overdue[cid], oldest[cid]) for cid in ranked[:SHOWN]]
    return Duty("overdue_receivables", len(ranked), rows, sum(overdue.values(), ZERO))


def promised_today(user, today: date) -> Duty:
    """Collection notes whose promised payment day is today (承诺今日付款)."""
    qs = (CollectionNote.objects.visible_to(user).filter(promised_on=today)
          .select_related("customer").order_by("id"))
    return _duty("promised_today", qs)


def invoice_requests(user) -> Duty:
    qs = (InvoiceRequest.objects.visible_to(user).filter(status=InvoiceRequestStatus.REQUESTED)
          .select_related("customer").order_by("requested_at", "id"))
    return _duty("invoice_requests", qs, amount_field="amount")


def overdue_tickets(user, today: date) -> Duty:
    qs = Ticket.objects.visible_to(user).overdue(today).select_related("customer").order_by("due_on", "id")
    return _duty("overdue_tickets", qs)


def expiring_contracts(user, today: date) -> Duty:
    qs = expiring(user, EXPIRING_DAYS, today).select_related("customer")
    return _duty("expiring_contracts", qs)


def clerk_duties(user, today: date | None = None) -> list[Duty]:
    today = today or timezone.localdate()
    return [
        unseen_orders(user),
        pending_payments(user),
        answered_today(user, today),
        released_orders(user),
        planned_shipments(user),
        shipments_to_track(user),
        calls_to_make(user),
        overdue_receivables(user, today),
        promised_today(user, today),
        invoice_requests(user),
        overdue_tickets(user, today),
        expiring_contracts(user, today),
    ]


# --- each role's own figures ------------------------------------------------------------------


MEASURE_KINDS = {
    "ordered": ("booked", "unbooked"),
    "shipped": ("shipped", "returned"),
    "received": ("received", "refunded"),
}


@dataclass
class Figures:
    """Month to date of what the user may see: the three measures, the 业绩 measure against the
    target, time progress, and the days of the month for the chart."""

    scope_label: str
    month: date
    today: date
    measure: str
    ordered: Decimal = ZERO
    shipped: Decimal = ZERO
    received: Decimal = ZERO
    target: Decimal = ZERO
    collection_target: Decimal = ZERO
    days: list[date] = field(default_factory=list)
    daily: dict[str, list[Decimal]] = field(default_factory=dict)

    @property
    def performance(self) -> Decimal:
        return getattr(self, self.measure)

    @property
    def completion(self) -> Decimal | None:
        return team_queries.completion_rate(self.performance, self.target)

    @property
    def month_days(self) -> int:
        return ((self.month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day

    @property
    def time_progress(self) -> Decimal:
        return (Decimal(self.today.day) / Decimal(self.month_days)).quantize(Decimal("0.0001"))

    def chart(self) -> dict:
        """The chart's data: cumulative 业绩 per day against a straight target line."""
        running, cumulative = ZERO, []
        for value in self.daily.get(self.measure, []):
            running += value
            cumulative.append(str(running))
        target_line = [str((self.target * (i + 1) / self.month_days).quantize(Decimal("0.01"))) if self.target
                       else None for i in range(len(self.days))]
        return {
            "labels": [f"{d.day}日" for d in self.days],
            "daily": {k: [str(v) for v in values] for k, values in self.daily.items()},
            "cumulative": cumulative,
            "target": target_line,
        }


def figures_for(user, today: date | None = None) -> Figures:
    """Month-to-date figures under the user's visibility, from the day roll-ups (one GROUP BY) and the
    targets (one query, or two for the whole company)."""
    today = today or timezone.localdate()
    month = team_queries.month_start(today)
    measure = team_queries.performance_measure()
    scope = salesperson_scope(user)
    rows = RollupDay.objects.filter(day__gte=month, day__lte=today)
    if scope is not None:
        rows = rows.filter(salesperson_id__in=scope)
    sums = rows.values("day", "kind").annotate(total=Sum("amount")).order_by()
    days = [month + timedelta(days=i) for i in range((today - month).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    daily = {m: [ZERO] * len(days) for m in MEASURE_KINDS}
    kind_to_measure = {k: m for m, kinds in MEASURE_KINDS.items() for k in kinds}
    for r in sums:
        m = kind_to_measure.get(r["kind"])
        if m is not None:
            daily[m][index[r["day"]]] += r["total"] or ZERO
    if scope is None:
        label = "company"
        targets = team_queries.company_target(month, month)
        if not targets.sales:  # no company target typed: the salespeople's targets add up
            all_targets = team_queries.salesperson_targets(month, month).values()
            targets = team_queries.Targets(sum((t.sales for t in all_targets), ZERO),
                                           sum((t.collection for t in all_targets), ZERO))
    else:
        label = "team" if Role.SALES_MANAGER in user.role_codes else "own"
        per_person = team_queries.salesperson_targets(month, month)
        mine = [per_person[pk] for pk in scope if pk in per_person]
        targets = team_queries.Targets(sum((t.sales for t in mine), ZERO), sum((t.collection for t in mine), ZERO))
    fig = Figures(label, month, today, measure, target=targets.sales, collection_target=targets.collection,
                  days=days, daily=daily)
    fig.ordered, fig.shipped, fig.received = (sum(daily[m], ZERO) for m in ("ordered", "shipped", "received"))
    return fig


def ranking(user, today: date | None = None) -> list[tuple[User, Decimal]]:
    """The visible salespeople by month-to-date 业绩 (for the manager's and GM's pages), one query each."""
    today = today or timezone.localdate()
    month = team_queries.month_start(today)
    measure = team_queries.performance_measure()
    scope = salesperson_scope(user)
    people = User.objects.filter(groups__name=Role.SALESPERSON, is_active=True)
    if scope is not None:
        people = people.filter(pk__in=scope)
    people = list(people.order_by("id").distinct())
    rows = (RollupDay.objects.filter(day__gte=month, day__lte=today, kind__in=MEASURE_KINDS[measure],
                                     salesperson_id__in=[p.pk for p in people])
            .values("salesperson_id").annotate(total=Sum("amount")).order_by())
    totals = {r["salesperson_id"]: r["total"] or ZERO for r in rows}
    return sorted(((p, totals.get(p.pk, ZERO)) for p in people), key=lambda t: (-t[1], t[0].pk))



# --- scheduled reports on the clerk's desk ----------------------------------------------------

DAILY_CODE = "daily_performance"
HR_CODE = "hr_monthly_total"
MISSED_WINDOW = 31  # days back the desk looks for daily reports that never went out
ATTENTION_WINDOW = 31  # failed and uncertain deliveries stay on the desk this long, or until resent
DELIVERIES_SHOWN = 200  # a day has a handful of schedules × recipients; the cap only guards the page
STATUS_ORDER = ("uncertain", "failed", "pending", "sending", "sent")


@dataclass
class DeliveryGroup:
    """Today's deliveries of one schedule, with a count per status."""

    schedule: object
    rows: list = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUS_ORDER, 0)
        for d in self.rows:
            out[d.status] = out.get(d.status, 0) + 1
        return out

    @property
    def late(self) -> int:
        return sum(d.late for d in self.rows)

    @property
    def needs_attention(self) -> int:
        counts = self.counts
        return counts["uncertain"] + counts["failed"]


@dataclass
class DailyDraft:
    """The day's drafted daily report (drafted at ``draft_at``, sent automatically at ``send_at``
    unless the clerk checks and sends it first), with the preview under the clerk's visibility."""

    schedule: object
    key: str
    drafts: list
    preview: object = None  # reports.queries.SalesReport of the day

    @property
    def top_rows(self) -> list:
        return self.preview.rows[:SHOWN] if self.preview is not None else []


@dataclass
class ReportsDesk:
    """Everything about scheduled reports the clerk acts on today."""

    now: datetime
    groups: list[DeliveryGroup] = field(default_factory=list)
    draft: DailyDraft | None = None
    daily: object = None  # the daily_performance schedule, for its times
    missed: list[date] = field(default_factory=list)
    hr_check: dict | None = None  # {"schedule", "key", "url"} while last month's HR total waits for her check

    @property
    def count(self) -> int:
        """What asks for the clerk: deliveries to decide on, a draft to check, missed days, the HR check."""
        return (sum(g.needs_attention for g in self.groups) + bool(self.draft and self.draft.drafts)
                + len(self.missed) + bool(self.hr_check))

    @property
    def before_draft(self) -> bool:
        d = self.daily
        return bool(d and d.draft_at and timezone.localtime(self.now).time() < d.draft_at)


def missed_days(schedule, today: date, week: WorkWeek) -> list[date]:
    """Working days before ``today`` whose daily report never went out at all: since the schedule
    was created (its due time on that day not before ``created_at``, as the scheduler counts) and
    within the last 31 days, with no delivery of any kind (automatic or by hand) for that day. After
    an outage the scheduler sends only the latest missed day, late; the others are listed here.
    ``week`` is a ``core.lib.workdays.WorkWeek`` covering the window. One query."""
    start = max(today - timedelta(days=MISSED_WINDOW), timezone.localtime(schedule.created_at).date())
    days = []
    d = start
    while d < today:
        if week.is_working_day(d):
            due = timezone.make_aware(datetime.combine(d, schedule.send_at))
            if due >= schedule.created_at:
                days.append(d)
        d += timedelta(days=1)
    have = set(ReportDelivery.objects.filter(schedule=schedule, period__in=[d.isoformat() for d in days])
               .values_list("period", flat=True).distinct())
    return [d for d in days if d.isoformat() not in have]


def _hr_check(schedules: dict, today: date) -> dict | None:
    """Last month's HR total while it is drafted and not yet checked (one query)."""
    schedule = schedules.get(HR_CODE)
    if schedule is None:
        return None
    key = period_key(report_period("month", today).previous())
    checked = ReportCheck.objects.filter(schedule_id=OuterRef("schedule_id"), period=OuterRef("period"))
    waiting = (ReportDelivery.objects.filter(schedule=schedule, period=key, manual=False, status=DeliveryStatus.PENDING)
               .exclude(Exists(checked)).exists())
    url = reverse("report_schedule_check", args=(schedule.pk, key))
    return {"schedule": schedule, "key": key, "url": url} if waiting else None


def reports_desk(user, now: datetime | None = None) -> ReportsDesk:
    """Today's deliveries of every schedule by schedule (drafted, sending, sent, failed, uncertain),
    plus failed and uncertain ones of the last weeks not yet resent; the day's daily-report draft with
    its preview under ``user``'s visibility; the missed days; the pending HR check. A fixed number of
    queries: schedules, deliveries, calendar, missed days, HR check (2), and the preview's while a
    draft waits."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    schedules = {s.pk: s for s in ReportSchedule.objects.order_by("id")}
    by_code = {s.code: s for s in schedules.values()}
    start = _day_start(today)
    attention = Q(status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN],
                  created_at__gte=start - timedelta(days=ATTENTION_WINDOW))
    rows = list(ReportDelivery.objects.filter(Q(created_at__gte=start) | Q(sent_at__gte=start) | attention)
                .select_related("recipient").order_by("schedule_id", "period", "recipient_id", "id")[:DELIVERIES_SHOWN])
    groups: dict[int, DeliveryGroup] = {}
    for d in rows:
        d.schedule = schedules[d.schedule_id]
        groups.setdefault(d.schedule_id, DeliveryGroup(d.schedule)).rows.append(d)
    desk = ReportsDesk(now=now, groups=[groups[pk] for pk in sorted(groups)], daily=by_code.get(DAILY_CODE))

    daily = desk.daily
    if daily is not None and daily.active:
        key = period_key(current_period(daily, today))
        drafts = [d for d in groups.get(daily.pk, DeliveryGroup(daily)).rows
                  if d.period == key and not d.manual and d.status == DeliveryStatus.PENDING]
        if drafts:
            desk.draft = DailyDraft(daily, key, drafts, sales_report(user, "day", today, daily.group_by, today=today))
        week = calendar_for(today - timedelta(days=MISSED_WINDOW + 1), today)
        desk.missed = missed_days(daily, today, week)
    desk.hr_check = _hr_check(by_code, today)
    return desk
