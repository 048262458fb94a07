"""The commission demo seeder: registered with ``seed_demo`` after the apps it builds on, and over a
small world it makes the two plans, their assignments, targets, the KPI set and bases, and approved
runs (with performance results) for past months through the run services."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from salesdesk.commission import demo
from salesdesk.commission.models import (
    CommissionPlan,
    CommissionRun,
    KpiSet,
    PerformanceBase,
    PerformanceResult,
    PlanAssignment,
    RunStatus,
)
from salesdesk.core.demo import DemoContext, seeders
from salesdesk.ledger.models import Period, PeriodStatus

from .factories import CategoryFactory, CustomerFactory, fact


def _month(n: int) -> date:
    return demo._months_back(timezone.localdate(), n)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Personas, two product categories and some money collected in the demo's months, then the
    commission seeder as ``seed_demo`` runs it; made once, rolled back at the end."""
    from salesdesk.core.testing.personas import make_personas

    with django_db_blocker.unblock(), transaction.atomic():
        personas = make_personas()
        CategoryFactory(code="HYD", name="液压油")
        CategoryFactory(code="ENG", name="发动机油")
        for who, amount in (("sales1", "150000"), ("sales2", "80000"), ("sales3", "40000")):
            customer = CustomerFactory(salesperson=personas[who])
            for n in (4, 3, 2):
                fact(personas["clerk"], "received", _month(n).replace(day=10), amount, customer=customer)
        ctx = DemoContext(scale="demo", password="x", seed=7, out=io.StringIO())
        demo.seed(ctx)
        yield personas
        transaction.set_rollback(True)


def test_seed_demo_runs_the_commission_seeder_after_the_apps_it_reads():
    labels = [label for label, _ in seeders()]

    assert ("commission", demo.seed) in seeders()
    assert all(labels.index(app) < labels.index("commission") for app in ("org", "customers", "catalog", "orders", "finance"))


@pytest.mark.django_db
def test_the_demo_has_a_tiered_collection_plan_and_a_margin_by_category_plan(world):
    tiered = CommissionPlan.objects.get(code="huikuan-tiered")
    margin = CommissionPlan.objects.get(code="margin-category")

    assert (tiered.base, tiered.tier_method, tiered.gate_completion) == ("received", "marginal", Decimal("0.6000"))
    assert list(tiered.tiers.values_list("threshold", "rate")) == [
        (Decimal("0"), Decimal("0.0200")), (Decimal("100000"), Decimal("0.0300")), (Decimal("300000"), Decimal("0.0400"))]
    assert sorted(margin.category_rates.values_list("category__code", "base")) == [("ENG", "shipped"),
                                                                                   ("HYD", "margin")]
    assert sorted((a.plan_code, a.team.code if a.team else a.salesperson.username)
                  for a in PlanAssignment.objects.all()) == [
        ("huikuan-tiered", "A"), ("margin-category", "B"), ("margin-category", "sales3")]


@pytest.mark.django_db
def test_the_demo_has_a_versioned_kpi_set_and_a_base_for_every_salesperson(world):
    assert KpiSet.objects.filter(code="sales-kpi").count() in (1, 2)
    assert sorted(PerformanceBase.objects.values_list("salesperson__username", flat=True)) == [
        "sales1", "sales2", "sales3"]


@pytest.mark.django_db
def test_the_demo_has_approved_runs_of_locked_past_months_with_performance_results(world):
    periods = [f"{_month(n):%Y-%m}" for n in demo.APPROVED_MONTHS]
    runs = CommissionRun.objects.filter(period__in=periods)

    assert sorted(runs.values_list("period", "status")) == sorted((p, RunStatus.APPROVED) for p in periods)
    assert set(Period.objects.filter(period__in=periods).values_list("status", flat=True)) == {PeriodStatus.LOCKED}
    assert all(r.lines.exists() for r in runs)
    assert PerformanceResult.objects.filter(run__in=runs).count() == 3 * len(periods)
    assert not CommissionRun.objects.filter(period=f"{_month(1):%Y-%m}").exists()  # last month: the clerk's


@pytest.mark.django_db
def test_the_demo_gives_commission_to_the_tiered_plans_salesperson(world):
    run = CommissionRun.objects.get(period=f"{_month(3):%Y-%m}")
    line = run.lines.get(salesperson=world["sales1"], kind="computed")

    assert line.plan.code == "huikuan-tiered" and line.base_amount == Decimal("150000.00")
