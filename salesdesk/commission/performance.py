"""Performance pay (绩效工资) and the appraisal (绩效考核) beside the monthly commission run
(DOMAIN.md §6): ``绩效工资 = 绩效基数 × 考核得分 / 100``.

**Which rows price a month** (``YYYY-MM``, first day ``F``, last day ``L``):

- a salesperson's base (:class:`PerformanceBase`): their latest version with ``valid_from <= L`` — a
  base starting during the month (a new hire) counts for that month; nobody without one is scored;
- the KPI set (:class:`KpiSet`): the version of the base's ``kpi_set_code`` in force on ``F``
  (``valid_from <= F`` and no ``valid_to`` before ``F``; the latest such), as commission plans are
  picked; a base without a code uses the one set in force on ``F`` — when several sets are in force
  and the base names none, that salesperson is not scored (the base page flags it).

**KPI values** (facts by business date within the month, as the reports count them; amounts incl. tax):

- 回款完成率 ``collection_completion``: received money (回款 − 退款) ÷ the salesperson's
  ``SalesTarget.collection_target`` of the month;
- 销售额完成率 ``sales_completion``: the company's 业绩 measure (``CompanyProfile.performance_measure``:
  ordered, shipped or received) ÷ ``SalesTarget.sales_target``;
- 新客户数 ``new_customers``: customers created (建档) in the month whose owner is the salesperson ÷
  the KPI's own ``target`` (a count);
- 费用率, 考勤, 报告及时率: **not available** until the expense and attendance apps (wave 2) supply
  them. A completion KPI without a target (none typed, or zero) is not available either.

**Points and score.** A KPI's points are its completion × 100 to two decimals, never below 0 and
capped at :data:`POINTS_CAP` (120: over-achieving one KPI can make up only so much for another).
Unavailable KPIs are left out and their weight is redistributed over the available ones in
proportion to their weights: ``effective_weight = weight × 100 / Σ available weights``; the score is
``Σ points × effective_weight / 100`` rounded to 0.01 (ROUND_HALF_UP). With no KPI available the
score is 0 (the clerk sees it in the results and adjusts by hand). ``pay = base × score / 100`` to
the fen (ROUND_HALF_UP).

Writes (KPI sets, versions, bases) are the functions at the end: keyword-only ``actor``, one
transaction each, history kept by django-simple-history."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money

from . import permissions as perms
from .models import CommissionRun, Kpi, KpiSet, KpiWeight, PerformanceBase, PerformanceResult, RunStatus
from .visibility import line_scope

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
POINTS_CAP = Decimal("120")  # a KPI's points never exceed 120 (= 120 % completion)

# KPIs the system can measure today; the rest read as "not available" and are reweighted.
MEASURED = (Kpi.COLLECTION_COMPLETION, Kpi.SALES_COMPLETION, Kpi.NEW_CUSTOMERS)
NOT_YET = (Kpi.EXPENSE_RATIO, Kpi.ATTENDANCE, Kpi.REPORT_PUNCTUALITY)
NEEDS_OWN_TARGET = frozenset({Kpi.NEW_CUSTOMERS})  # the target is typed on the KPI set, not a SalesTarget


# --- months and versions ----------------------------------------------------------------------------


def month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def sets_in_force(first: date) -> list[KpiSet]:
    """The latest version of every KPI set code in force on ``first``, weights prefetched (2 queries)."""
    rows = (KpiSet.objects.filter(valid_from__lte=first).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
            .prefetch_related("weights"))
    return sets_in_force_from(rows, first)


def sets_in_force_from(sets: Iterable[KpiSet], day: date) -> list[KpiSet]:
    """Of ``sets`` (any versions), the latest version of each code in force on ``day``."""
    latest: dict[str, KpiSet] = {}
    for s in sorted(sets, key=lambda s: (s.code, s.valid_from), reverse=True):
        if s.valid_from <= day and (s.valid_to is None or s.valid_to >= day):
            latest.setdefault(s.code, s)
    return sorted(latest.values(), key=lambda s: s.code)


def set_for(code: str, in_force: Mapping[str, KpiSet]) -> KpiSet | None:
    """The set a base names, else the single set in force; None when ambiguous or missing."""
    if code:
        return in_force.get(code)
    if len(in_force) == 1:
        return next(iter(in_force.values()))
    return None


def bases_on(last: date, salesperson_ids: Iterable[int] | None = None) -> dict[int, PerformanceBase]:
    """Salesperson id → their base version valid in the month ending ``last`` (one query)."""
    qs = PerformanceBase.objects.filter(valid_from__lte=last).order_by("salesperson_id", "-valid_from")
    if salesperson_ids is not None:
        qs = qs.filter(salesperson_id__in=list(salesperson_ids))
    found: dict[int, PerformanceBase] = {}
    for b in qs:
        found.setdefault(b.salesperson_id, b)
    return found


# --- scoring (pure) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiScore:
    kpi: str
    weight: Decimal
    value: Decimal | None
    target: Decimal | None
    available: bool
    points: Decimal | None = None
    effective_weight: Decimal = ZERO

    def as_json(self) -> dict:
        def s(x):
            return None if x is None else str(x)

        return {"kpi": self.kpi, "label": str(Kpi(self.kpi).label), "value": s(self.value), "target": s(self.target),
                "weight": str(self.weight), "effective_weight": str(self.effective_weight), "points": s(self.points),
                "available": self.available}


def points(value: Decimal, target: Decimal) -> Decimal:
    """Completion × 100 to 0.01, between 0 and :data:`POINTS_CAP`."""
    raw = (Decimal(value) * HUNDRED / Decimal(target)).quantize(CENT, ROUND_HALF_UP)
    return min(max(raw, ZERO), POINTS_CAP)


def score(kpis: Iterable[tuple[str, Decimal, Decimal | None, Decimal | None]]) -> tuple[Decimal, list[KpiScore]]:
    """``kpis``: (kpi, weight %, value or None, target or None). A KPI is available when it has a
    value and a positive target; unavailable ones' weight goes to the others in proportion.
    Returns the score (0.01) and each KPI's figures."""
    rows = [(k, Decimal(w), v, t, v is not None and t is not None and t > 0) for k, w, v, t in kpis]
    available_weight = sum((w for _, w, _, _, ok in rows if ok and w > 0), ZERO)
    scored: list[KpiScore] = []
    total = ZERO
    for kpi, weight, value, target, ok in rows:
        if not ok or weight <= 0:
            scored.append(KpiScore(kpi, weight, value, target, available=False))
            continue
        pts = points(value, target)
        share = weight * HUNDRED / available_weight
        total += pts * share / HUNDRED
        scored.append(KpiScore(kpi, weight, value, target, True, pts, share.quantize(CENT, ROUND_HALF_UP)))
    return total.quantize(CENT, ROUND_HALF_UP), scored


def pay(base: Decimal, score_value: Decimal) -> Decimal:
    return quantize_money(Decimal(base) * Decimal(score_value) / HUNDRED)


# --- reading the month ------------------------------------------------------------------------------------


def _month_figures(first: date, last: date, salesperson_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Per salesperson: received money and the company's 业绩 measure of the month (one query on the
    facts, plus the company profile), their month's targets (one query) and new customers (one)."""
    from salesdesk.customers.models import Customer
    from salesdesk.ledger.choices import MEASURES
    from salesdesk.ledger.models import Fact
    from salesdesk.team.models import SalesTarget, TargetScope
    from salesdesk.team.queries import performance_measure

    measure = performance_measure()
    figures: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    kinds = set(MEASURES["received"]) | set(MEASURES[measure])
    facts = (Fact.objects.filter(business_date__gte=first, business_date__lte=last, kind__in=kinds,
                                 salesperson_id__in=salesperson_ids)
             .values("salesperson_id").order_by()
             .annotate(received=Sum("amount", filter=Q(kind__in=MEASURES["received"])),
                       performance=Sum("amount", filter=Q(kind__in=MEASURES[measure]))))
    for r in facts:
        figures[r["salesperson_id"]]["received"] = r["received"] or ZERO
        figures[r["salesperson_id"]]["performance"] = r["performance"] or ZERO
    targets = SalesTarget.objects.filter(scope=TargetScope.SALESPERSON, month=first,
                                         salesperson_id__in=salesperson_ids)
    for t in targets.values("salesperson_id", "sales_target", "collection_target"):
        figures[t["salesperson_id"]]["sales_target"] = t["sales_target"]
        figures[t["salesperson_id"]]["collection_target"] = t["collection_target"]
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), tz)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz)
    new = (Customer.objects.filter(created_at__gte=start, created_at__lt=end, salesperson_id__in=salesperson_ids)
           .values("salesperson_id").order_by().annotate(n=Count("pk")))
    for r in new:
        figures[r["salesperson_id"]]["new_customers"] = Decimal(r["n"])
    return figures


def kpi_inputs(weights: Iterable[KpiWeight], fig: Mapping[str, Decimal]) -> list[tuple]:
    """(kpi, weight, value, target) of one salesperson's KPIs; value None = not available."""
    out = []
    for w in weights:
        if w.kpi == Kpi.COLLECTION_COMPLETION:
            out.append((w.kpi, w.weight, fig.get("received", ZERO), fig.get("collection_target") or None))
        elif w.kpi == Kpi.SALES_COMPLETION:
            out.append((w.kpi, w.weight, fig.get("performance", ZERO), fig.get("sales_target") or None))
        elif w.kpi == Kpi.NEW_CUSTOMERS:
            out.append((w.kpi, w.weight, fig.get("new_customers", ZERO), w.target or None))
        else:  # expense ratio, attendance, report punctuality: no data yet (wave 2)
            out.append((w.kpi, w.weight, None, w.target))
    return out


def compute_results(run: CommissionRun) -> list[PerformanceResult]:
    """Replace the run's performance results with the month's appraisal of every salesperson who
    has a base (see the module's docstring for the rules). One transaction; a fixed number of
    queries whatever the number of salespeople."""
    first, last = month_bounds(run.period)
    with transaction.atomic():
        bases = bases_on(last)
        in_force = {s.code: s for s in sets_in_force(first)}
        figures = _month_figures(first, last, list(bases)) if bases else {}
        results = []
        for sp_id, base in sorted(bases.items()):
            kpi_set = set_for(base.kpi_set_code, in_force)
            if kpi_set is None:
                continue
            total, scored = score(kpi_inputs(kpi_set.weights.all(), figures.get(sp_id, {})))
            results.append(PerformanceResult(run=run, salesperson_id=sp_id, kpi_set=kpi_set, base=base.amount,
                                             score=total, pay=pay(base.amount, total),
                                             details=[k.as_json() for k in scored]))
        PerformanceResult.objects.filter(run=run).delete()
        return PerformanceResult.objects.bulk_create(results)


def visible_results(user, run: CommissionRun) -> QuerySet[PerformanceResult]:
    """The run's results the user may read: everyone's for those who see all lines (clerk, GM,
    finance, HR), else their own and their team's (salesperson, sales manager)."""
    return (PerformanceResult.objects.filter(line_scope(user), run=run).select_related("salesperson", "kpi_set")
            .order_by("salesperson__username"))


# --- writes: KPI sets and bases ---------------------------------------------------------------------------


class PerformanceErrorCode:
    WEIGHTS = "kpi_weights"
    IN_USE = "kpi_set_in_use"
    VERSION = "kpi_version"
    BASE = "performance_base"


@dataclass(frozen=True)
class WeightEntry:
    kpi: str
    weight: Decimal
    target: Decimal | None = None


def check_weights(entries: Iterable[WeightEntry]) -> list[WeightEntry]:
    """Weights between 0 and 100 totalling exactly 100 %; a new-customer KPI with weight needs its
    target. Entries of weight 0 are dropped. Raises 422 with Chinese-first messages."""
    kept, errors = [], []
    seen = set()
    for e in entries:
        if e.kpi not in Kpi.values:
            errors.append(f"未知指标 {e.kpi} / Unknown KPI {e.kpi}.")
            continue
        if e.kpi in seen:
            errors.append(f"指标 {Kpi(e.kpi).label} 重复 / KPI {e.kpi} given twice.")
            continue
        seen.add(e.kpi)
        weight = Decimal(e.weight or 0)
        if weight < 0 or weight > HUNDRED:
            errors.append(f"{Kpi(e.kpi).label}的权重应在 0 到 100 之间 / The weight of {e.kpi} must be 0–100.")
            continue
        if e.target is not None and e.target < 0:
            errors.append(f"{Kpi(e.kpi).label}的目标值不能为负 / The target of {e.kpi} cannot be negative.")
            continue
        if weight and e.kpi in NEEDS_OWN_TARGET and not e.target:
            errors.append(f"{Kpi(e.kpi).label}需要填写目标值 / {e.kpi} needs a target.")
            continue
        if weight:
            kept.append(WeightEntry(e.kpi, weight.quantize(CENT), e.target))
    total = sum((e.weight for e in kept), ZERO)
    if not errors and total != HUNDRED:
        errors.append(f"权重合计应为 100%，当前为 {total.normalize():f}% / The weights must total 100 %, now {total:f} %.")
    if errors:
        raise InvalidInput({"weights": errors}, code=PerformanceErrorCode.WEIGHTS)
    return kept


def _require_manage(actor) -> None:
    if not actor.has_perm(perms.MANAGE_PLAN):
        raise PermissionDenied


def _write_weights(kpi_set: KpiSet, entries: list[WeightEntry]) -> None:
    KpiWeight.objects.filter(kpi_set=kpi_set).delete()
    order = {k: i for i, k in enumerate(Kpi.values)}
    KpiWeight.objects.bulk_create([KpiWeight(kpi_set=kpi_set, kpi=e.kpi, weight=e.weight, target=e.target)
                                   for e in sorted(entries, key=lambda e: order[e.kpi])])


def _used_by_approved(kpi_set: KpiSet) -> bool:
    return PerformanceResult.objects.filter(kpi_set=kpi_set, run__status=RunStatus.APPROVED).exists()


def create_kpi_set(*, actor, code: str, name: str, valid_from: date, weights: Iterable[WeightEntry]) -> KpiSet:
    """A new KPI set (its first version)."""
    _require_manage(actor)
    entries = check_weights(weights)
    with transaction.atomic():
        if KpiSet.objects.filter(code=code).exists():
            raise InvalidInput({"code": [f"代码 {code} 已存在，请为它新建版本 / Code {code} exists: add a version."]},
                               code=PerformanceErrorCode.VERSION)
        kpi_set = KpiSet(code=code, name=name, valid_from=valid_from)
        kpi_set._history_user = actor
        kpi_set.save()
        _write_weights(kpi_set, entries)
    return kpi_set


def update_kpi_set(*, actor, kpi_set: KpiSet, name: str, weights: Iterable[WeightEntry]) -> KpiSet:
    """Change a version's name and weights — refused once an approved run was scored with it
    (make a new version instead)."""
    _require_manage(actor)
    entries = check_weights(weights)
    with transaction.atomic():
        kpi_set = KpiSet.objects.select_for_update().get(pk=kpi_set.pk)
        if _used_by_approved(kpi_set):
            raise DomainError("该版本已用于已批准的绩效结果，不能修改，请新建版本 / This version scored an approved "
                              "run: add a new version instead.", code=PerformanceErrorCode.IN_USE)
        kpi_set.name = name
        kpi_set._history_user = actor
        kpi_set.save()
        _write_weights(kpi_set, entries)
    return kpi_set


def add_kpi_version(*, actor, kpi_set: KpiSet, valid_from: date, name: str | None = None,
                    weights: Iterable[WeightEntry] | None = None) -> KpiSet:
    """A new version of ``kpi_set``'s code from ``valid_from`` (after every existing version's start);
    the version in force until then ends the day before. Weights default to ``kpi_set``'s."""
    _require_manage(actor)
    if weights is None:
        weights = [WeightEntry(w.kpi, w.weight, w.target) for w in kpi_set.weights.all()]
    entries = check_weights(weights)
    with transaction.atomic():
        versions = list(KpiSet.objects.select_for_update().filter(code=kpi_set.code).order_by("-valid_from"))
        if versions and valid_from <= versions[0].valid_from:
            raise InvalidInput({"valid_from": [
                f"生效日期须晚于最新版本的生效日期 {versions[0].valid_from:%Y-%m-%d} / The new version must start after "
                f"{versions[0].valid_from:%Y-%m-%d}."]}, code=PerformanceErrorCode.VERSION)
        latest = versions[0]
        if latest.valid_to is None or latest.valid_to >= valid_from:
            latest.valid_to = valid_from - timedelta(days=1)
            latest._history_user = actor
            latest.save(update_fields=["valid_to"])
        new = KpiSet(code=kpi_set.code, name=name or latest.name, valid_from=valid_from)
        new._history_user = actor
        new.save()
        _write_weights(new, entries)
    return new


def set_base(*, actor, salesperson, amount: Decimal, valid_from: date, kpi_set_code: str = "") -> PerformanceBase:
    """A salesperson's 绩效基数 from ``valid_from`` on (the same start date again changes that version)."""
    _require_manage(actor)
    errors: dict[str, list[str]] = {}
    if amount is None or Decimal(amount) < 0:
        errors["amount"] = ["绩效基数不能为负 / The base cannot be negative."]
    from salesdesk.org.roles import Role

    if Role.SALESPERSON not in salesperson.role_codes:
        errors["salesperson"] = ["只能为业务员设置绩效基数 / Only salespeople have a performance base."]
    if kpi_set_code and not KpiSet.objects.filter(code=kpi_set_code).exists():
        errors["kpi_set_code"] = [f"没有代码为 {kpi_set_code} 的考核指标 / No KPI set {kpi_set_code}."]
    if errors:
        raise InvalidInput(errors, code=PerformanceErrorCode.BASE)
    with transaction.atomic():
        base = (PerformanceBase.objects.select_for_update().filter(salesperson=salesperson, valid_from=valid_from)
                .first()) or PerformanceBase(salesperson=salesperson, valid_from=valid_from)
        base.amount = quantize_money(amount)
        base.kpi_set_code = kpi_set_code
        base._history_user = actor
        base.save()
    return base
