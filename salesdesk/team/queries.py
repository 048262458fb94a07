"""Reads of the team app: the month's target grid, targets summed over a period for the reports,
and the company's 业绩 measure (``performance_amount``) that the daily report, the HR total and
target completion all use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from salesdesk.org.models import CompanyProfile, SalesTeam, User
from salesdesk.org.roles import Role

from .models import SalesTarget, TargetQuerySet, TargetScope

ZERO = Decimal("0.00")
MEASURES = ("ordered", "shipped", "received")  # the choices of CompanyProfile.performance_measure
DEFAULT_MEASURE = "ordered"


# --- the 业绩 measure ---------------------------------------------------------------------------------


def performance_measure() -> str:
    """The company's 业绩 measure: ``ordered`` (booked orders incl. tax, the default), ``shipped``
    or ``received``. Read per call, never cached: the admin may change it at any time."""
    measure = CompanyProfile.current().performance_measure
    return measure if measure in MEASURES else DEFAULT_MEASURE


def performance_amount(measure_row: Any, measure: str | None = None) -> Decimal:
    """The 业绩 of one report row: the amount of the company's measure.

    ``measure_row`` is a mapping or an object carrying the measures as ``ordered_amount``,
    ``shipped_amount``, ``received_amount`` (the API's names) or as ``ordered``/``shipped``/
    ``received``. Pass ``measure`` when a whole report is computed, so the profile is read once.
    A missing figure counts as zero."""
    measure = measure or performance_measure()
    if measure not in MEASURES:
        raise ValueError(f"unknown performance measure {measure!r}")
    for name in (f"{measure}_amount", measure):
        if isinstance(measure_row, Mapping):
            if name in measure_row:
                return measure_row[name] if measure_row[name] is not None else ZERO
        elif hasattr(measure_row, name):
            value = getattr(measure_row, name)
            return value if value is not None else ZERO
    return ZERO


# --- months --------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


# --- the month grid --------------------------------------------------------------------------------------


@dataclass
class GridRow:
    """One line of the month's target grid: a salesperson, a team or the company."""

    scope: str
    key: str  # the form prefix: "s-<user id>", "t-<team id>", "company"
    label: str
    salesperson_id: int | None
    team_id: int | None
    team_label: str
    target: SalesTarget | None

    @property
    def sales_target(self) -> Decimal:
        return self.target.sales_target if self.target else ZERO

    @property
    def collection_target(self) -> Decimal:
        return self.target.collection_target if self.target else ZERO

    @property
    def note(self) -> str:
        return self.target.note if self.target else ""


def active_salespeople():
    return (User.objects.filter(groups__name=Role.SALESPERSON, is_active=True).select_related("team")
            .order_by("team__code", "username").distinct())


def grid(month: date, user) -> list[GridRow]:
    """The rows the user may see for ``month``: every active salesperson (those with a target who
    left since are kept), each team, the company; with the month's targets. Three queries."""
    visible = SalesTarget.objects.visible_to(user)
    targets = list(visible.filter(month=month).select_related("salesperson__team", "team"))
    by_sp = {t.salesperson_id: t for t in targets if t.scope == TargetScope.SALESPERSON}
    by_team = {t.team_id: t for t in targets if t.scope == TargetScope.TEAM}
    company = next((t for t in targets if t.scope == TargetScope.COMPANY), None)
    from salesdesk.org.visibility import salesperson_scope

    scope = salesperson_scope(user)
    people = {u.pk: u for u in active_salespeople() if scope is None or u.pk in scope}
    for t in by_sp.values():
        people.setdefault(t.salesperson_id, t.salesperson)
    rows = [
        GridRow(TargetScope.SALESPERSON, f"s-{u.pk}", u.display_name, u.pk, None,
                u.team.name if u.team_id else "", by_sp.get(u.pk))
        for u in sorted(people.values(), key=lambda u: (u.team.code if u.team_id else "~", u.username))
    ]
    teams = SalesTeam.objects.order_by("code")
    if scope is not None:
        teams = teams.filter(pk__in=[user.team_id] if user.team_id else [])
    rows += [GridRow(TargetScope.TEAM, f"t-{t.pk}", t.name, None, t.pk, t.name, by_team.get(t.pk)) for t in teams]
    rows.append(GridRow(TargetScope.COMPANY, "company", str(_("公司")), None, None, "", company))
    return rows


def month_targets(month: date, user) -> TargetQuerySet:
    """The month's targets the user may see, in grid order (API ``GET /targets``)."""
    return (SalesTarget.objects.visible_to(user).filter(month=month).select_related("salesperson", "team")
            .order_by("scope", "team__code", "salesperson__username", "id"))


# --- targets for the reports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    sales: Decimal = ZERO
    collection: Decimal = ZERO


def _summed(qs, key: str) -> dict[int, Targets]:
    rows = qs.values(key).annotate(s=Sum("sales_target"), c=Sum("collection_target")).order_by()
    return {r[key]: Targets(r["s"] or ZERO, r["c"] or ZERO) for r in rows}


def salesperson_targets(first: date, last: date) -> dict[int, Targets]:
    """Salesperson id → their targets summed over the months from ``first`` to ``last`` (any days
    inside the months). One query; the caller narrows to what the user may see."""
    qs = SalesTarget.objects.filter(scope=TargetScope.SALESPERSON, month__gte=month_start(first),
                                    month__lte=month_start(last))
    return _summed(qs, "salesperson_id")


def team_targets(first: date, last: date) -> dict[int, Targets]:
    """Team id → the team's own targets (which may differ from its members' sum) over the months."""
    qs = SalesTarget.objects.filter(scope=TargetScope.TEAM, month__gte=month_start(first), month__lte=month_start(last))
    return _summed(qs, "team_id")


def company_target(first: date, last: date) -> Targets:
    """The company's own targets over the months."""
    agg = SalesTarget.objects.filter(scope=TargetScope.COMPANY, month__gte=month_start(first),
                                     month__lte=month_start(last)).aggregate(s=Sum("sales_target"),
                                                                             c=Sum("collection_target"))
    return Targets(agg["s"] or ZERO, agg["c"] or ZERO)


def completion_rate(actual: Decimal, target: Decimal) -> Decimal | None:
    """Actual ÷ target to four places; None without a target (shown as “—”, not 0 % or ∞)."""
    if not target:
        return None
    return (Decimal(actual) / Decimal(target)).quantize(Decimal("0.0001"))
