"""Demo commission and performance pay (DOMAIN.md §6), seeded after the ledger, finance and team data:

- two plans: ``huikuan-tiered`` — 超额累进 tiers on the month's 回款 (≤100 000: 2 %, 100 000–300 000: 3 %,
  above: 4 %) behind a 60 % collection-target gate, with 90-day overdue deductions and a 0.5 % manager
  override — for team A; ``margin-category`` — 10 % of gross margin on industrial oils (液压油、齿轮油、
  润滑油) and 1 % of shipped value on the rest, half rate below 底价 — for team B (and sales3 on their
  own, showing that a salesperson's own assignment beats their team's);
- each salesperson's monthly targets where none were typed (sized from what they actually did, so
  some months miss the gate), a KPI set with two versions and everyone's 绩效基数;
- approved runs for the months ``APPROVED_MONTHS`` back (finance locks every month up to then, the
  clerk computes through ``services.compute_run``, the salespeople confirm, the GM approves), each
  replayed at the dates it would have happened. Last month stays for the clerk to draft.

At ``large`` the plans, targets, KPIs and bases are made but no runs are computed (each would read
hundreds of thousands of facts; the clerk computes one from the page when wanted)."""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min, Q, Sum
from django.utils import timezone

from salesdesk.core.demo import DemoContext
from salesdesk.org.models import SalesTeam, User
from salesdesk.org.roles import Role

from . import performance
from . import permissions as perms
from .models import CommissionPlan, CommissionRun, Kpi, PerformanceBase, PlanAssignment, PlanCategoryRate, PlanTier

APPROVED_MONTHS = (4, 3, 2)  # months before the current one with an approved run
INDUSTRIAL = ("HYD", "GEAR", "OIL")  # categories priced on gross margin by the margin plan
SINCE = 24  # months of history the plans, KPI sets and bases cover


def _months_back(today: date, n: int) -> date:
    year, month = today.year, today.month - n
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _users(ctx: DemoContext) -> dict[str, User]:
    users = dict(ctx.shared.get("users") or {})
    for u in User.objects.filter(username__in=["clerk", "gm", "finance", "manager"]):
        users.setdefault(u.username, u)
    return users


def _salespeople(ctx: DemoContext) -> list[User]:
    return list(User.objects.with_role(Role.SALESPERSON).filter(is_active=True).select_related("team")
                .order_by("username"))


def _plans(start: date) -> tuple[CommissionPlan, CommissionPlan]:
    tiered = CommissionPlan.objects.create(
        code="huikuan-tiered", name="回款超额累进提成", valid_from=start, base="received", tax_basis="gross",
        date_basis="receipt", rate=Decimal("0.0200"), tier_on="base", tier_method="marginal",
        gate_completion=Decimal("0.6000"), override_rate=Decimal("0.0050"), overdue_days=90,
        overdue_rate=Decimal("0.0100"), clawback=True,
        description="按当月回款超额累进：10万以内2%，10万至30万3%，30万以上4%；回款完成率低于60%不计提成；"
                    "逾期90天以上应收按1%暂扣，收回后返还；经理按团队回款0.5%提成。")
    for threshold, rate in (("0", "0.0200"), ("100000", "0.0300"), ("300000", "0.0400")):
        PlanTier.objects.create(plan=tiered, threshold=Decimal(threshold), rate=Decimal(rate))
    margin = CommissionPlan.objects.create(
        code="margin-category", name="毛利分类提成", valid_from=start, base="margin", tax_basis="gross",
        date_basis="shipment", rate=Decimal("0.0100"), below_floor_factor=Decimal("0.5000"), clawback=True,
        description="工业油品按毛利10%提成，其他产品按发货额1%提成；低于底价成交的按正常比例的50%计提。")
    from salesdesk.catalog.models import Category

    for category in Category.objects.order_by("code"):
        industrial = category.code in INDUSTRIAL
        PlanCategoryRate.objects.create(plan=margin, category=category, base="margin" if industrial else "shipped",
                                        rate=Decimal("0.1000") if industrial else Decimal("0.0100"))
    return tiered, margin


def _assign(tiered: CommissionPlan, margin: CommissionPlan, start: date) -> None:
    teams = {t.code: t for t in SalesTeam.objects.filter(code__in=["A", "B"])}
    if "A" in teams:
        PlanAssignment.objects.create(plan_code=tiered.code, team=teams["A"], valid_from=start)
    if "B" in teams:
        PlanAssignment.objects.create(plan_code=margin.code, team=teams["B"], valid_from=start)
    own = User.objects.filter(username="sales3").first()
    if own is not None:
        PlanAssignment.objects.create(plan_code=margin.code, salesperson=own, valid_from=start)


def _round_to(amount: Decimal, step: int = 10_000) -> Decimal:
    return Decimal(max(step, int((amount + step // 2) // step) * step))


def _targets(ctx: DemoContext, people: list[User], months: list[date], clerk: User) -> None:
    """Each salesperson's targets of ``months`` where none exist: 70–140 % of what they actually
    collected and sold that month, rounded to 10 000 (two queries and one insert)."""
    from salesdesk.ledger.choices import MEASURES
    from salesdesk.ledger.models import Fact
    from salesdesk.team.models import SalesTarget, TargetScope
    from salesdesk.team.queries import performance_measure

    measure = performance_measure()
    ids = [u.pk for u in people]
    first, last = months[0], _next_month(months[-1]) - timedelta(days=1)
    existing = set(SalesTarget.objects.filter(scope=TargetScope.SALESPERSON, month__in=months)
                   .values_list("salesperson_id", "month"))
    sums: dict[tuple[int, date], dict[str, Decimal]] = {}
    facts = (Fact.objects.filter(business_date__gte=first, business_date__lte=last, salesperson_id__in=ids)
             .values("salesperson_id", "business_date__year", "business_date__month").order_by()
             .annotate(received=Sum("amount", filter=Q(kind__in=MEASURES["received"])),
                       sales=Sum("amount", filter=Q(kind__in=MEASURES[measure]))))
    for r in facts:
        key = (r["salesperson_id"], date(r["business_date__year"], r["business_date__month"], 1))
        sums[key] = {"received": r["received"] or Decimal(0), "sales": r["sales"] or Decimal(0)}
    rows = []
    for u in people:
        for month in months:
            if (u.pk, month) in existing:
                continue
            got = sums.get((u.pk, month), {"received": Decimal(0), "sales": Decimal(0)})
            factor = Decimal(ctx.rng.randrange(70, 141)) / 100
            rows.append(SalesTarget(month=month, scope=TargetScope.SALESPERSON, salesperson=u, updated_by=clerk,
                                    collection_target=_round_to(got["received"] * factor),
                                    sales_target=_round_to(got["sales"] * factor), note="演示目标"))
    SalesTarget.objects.bulk_create(rows, batch_size=1000)


def _kpis(ctx: DemoContext, people: list[User], start: date, clerk: User) -> None:
    W = performance.WeightEntry
    first = performance.create_kpi_set(actor=clerk, code="sales-kpi", name="业务员月度考核", valid_from=start, weights=[
        W(Kpi.COLLECTION_COMPLETION, Decimal(40)), W(Kpi.SALES_COMPLETION, Decimal(30)),
        W(Kpi.NEW_CUSTOMERS, Decimal(10), Decimal(2)), W(Kpi.EXPENSE_RATIO, Decimal(10), Decimal("0.05")),
        W(Kpi.ATTENDANCE, Decimal(10))])
    this_year = date(timezone.localdate().year, 1, 1)
    if this_year > start:
        performance.add_kpi_version(actor=clerk, kpi_set=first, valid_from=this_year, name="业务员月度考核（今年起）",
                                    weights=[W(Kpi.COLLECTION_COMPLETION, Decimal(45)), W(Kpi.SALES_COMPLETION, Decimal(30)),
                                             W(Kpi.NEW_CUSTOMERS, Decimal(10), Decimal(2)),
                                             W(Kpi.EXPENSE_RATIO, Decimal(5), Decimal("0.05")),
                                             W(Kpi.ATTENDANCE, Decimal(5)), W(Kpi.REPORT_PUNCTUALITY, Decimal(5))])
    rows = [PerformanceBase(salesperson=u, amount=Decimal(ctx.rng.choice([3000, 3500, 4000, 5000])), valid_from=start)
            for u in people]
    PerformanceBase.objects.bulk_create(rows)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _runs(ctx: DemoContext, users: dict[str, User], months: list[date], start: date) -> list[CommissionRun]:
    """Lock every month up to the last approved one, then compute, confirm and approve each month
    through the services, at the dates it would have happened."""
    from salesdesk.finance.demo import replaying_at
    from salesdesk.ledger.models import Fact
    from salesdesk.ledger.periods import lock_period, month_of, next_month

    from . import services

    clerk, gm, finance = users["clerk"], users["gm"], users["finance"]
    first_fact = Fact.objects.aggregate(first=Min("business_date"))["first"]
    period = month_of(max(first_fact or start, start))
    last = month_of(months[-1])
    while period <= last:
        with replaying_at(_at(_next_month(date.fromisoformat(f"{period}-01")) + timedelta(days=2), 17)):
            lock_period(actor=finance, period=period, note="演示：月末结账")
        period = next_month(period)
    runs = []
    for month in months:
        after = _next_month(month)
        with replaying_at(_at(after + timedelta(days=4), 10)):
            run = services.compute_run(actor=clerk, period=month_of(month))
        with replaying_at(_at(after + timedelta(days=6), 15)):
            for line in run.lines.select_related("salesperson").filter(kind="computed"):
                if line.salesperson.has_perm(perms.CONFIRM_OWN) and ctx.rng.random() < 0.9:
                    services.confirm_line(actor=line.salesperson, line=line)
        with replaying_at(_at(after + timedelta(days=7), 11)):
            runs.append(services.approve_run(actor=gm, run=run))
    return runs


def _services_ready() -> bool:
    """Whether the engine and the run services exist (built by the same issue)."""
    for name in ("engine", "services"):
        try:
            module = importlib.import_module(f"salesdesk.commission.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"salesdesk.commission.{name}":
                raise
            return False
        if name == "services" and not all(hasattr(module, f) for f in ("compute_run", "approve_run", "confirm_line")):
            return False
    return True


def seed(ctx: DemoContext) -> None:
    if not ctx.business or CommissionPlan.objects.exists():
        return
    today = timezone.localdate()
    start = _months_back(today, SINCE)
    users = _users(ctx)
    people = _salespeople(ctx)
    tiered, margin = _plans(start)
    _assign(tiered, margin, start)
    months = [_months_back(today, n) for n in APPROVED_MONTHS]
    _targets(ctx, people, [*months, _months_back(today, 1), today.replace(day=1)], users["clerk"])
    _kpis(ctx, people, start, users["clerk"])
    if ctx.large or not _services_ready():
        ctx.out.write("  commission: plans, targets, KPIs and bases only (no runs at this scale)\n")
        return
    runs = _runs(ctx, users, months, start)
    ctx.shared["commission_runs"] = [r.pk for r in runs]
