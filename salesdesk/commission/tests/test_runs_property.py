"""Property tests of runs (issue 10, "Done when"): for random collections and plans,

- a run's total equals the sum of its traced lines, and each line the sum of its items;
- an approved run never changes when source rows change later, and the change appears as a
  carried line of the next run (exactly the commission of the late money, for the month it
  belongs to);
- nobody approves a run holding their own line, and a clerk never approves.

Each example runs in a savepoint that is rolled back, so the examples share the personas only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.commission import services
from salesdesk.commission.engine import compute_month
from salesdesk.commission.models import CommissionItem, CommissionLine, LineKind, RunStatus
from salesdesk.core.errors import DomainError
from salesdesk.core.lib.money import quantize_money

from .factories import assign, plan
from .run_factories import RATE, SALESPEOPLE, approved, collect, customers, draft, lock

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
SLOW = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None,
                max_examples=12)

amounts = st.integers(min_value=1, max_value=30_000_000).map(lambda fen: D(fen) / 100)
collections = st.lists(st.tuples(st.sampled_from(SALESPEOPLE), st.integers(1, 30), amounts), min_size=0, max_size=8)
plans = st.sampled_from(["flat", "marginal", "whole"])


def _plan(personas, kind: str) -> None:
    if kind == "flat":
        p = plan(rate=RATE)
    else:
        p = plan(rate=0, tier_on="base", tier_method=kind, tiers=[("0", "0.02"), ("100000", "0.03"), ("300000", "0.04")])
    for username in SALESPEOPLE:
        assign(p, salesperson=personas[username])


def _collect(personas, custs, month: date, rows) -> None:
    for username, day, amount in rows:
        collect(personas, custs[username], month.replace(day=day), amount)


def _snapshot(run) -> list:
    return sorted(CommissionItem.objects.filter(line__run=run).values_list(
        "line_id", "line__salesperson_id", "line__commission_amount", "kind", "fact_id", "base", "amount"))


@SLOW
@given(kind=plans, rows=collections)
def test_a_runs_total_is_the_sum_of_its_traced_lines(personas, kind, rows):
    with transaction.atomic():
        _plan(personas, kind)
        _collect(personas, customers(personas), date(2026, 10, 1), rows)

        run = draft(personas, "2026-10")

        lines = list(CommissionLine.objects.filter(run=run).prefetch_related("items"))
        for line in lines:
            assert line.commission_amount == sum((i.amount for i in line.items.all()), ZERO)
            assert all(i.fact_id is not None for i in line.items.all())
        run_total = sum((line.commission_amount for line in lines), ZERO)
        assert run_total == sum((i.amount for line in lines for i in line.items.all()), ZERO)
        assert run_total == sum((r.commission_amount for r in compute_month(date(2026, 10, 1))), ZERO)
        transaction.set_rollback(True)


@SLOW
@given(kind=plans, before=collections, late=collections.filter(bool))
def test_an_approved_run_never_changes_and_late_changes_are_carried_next_month(personas, kind, before, late):
    with transaction.atomic():
        _plan(personas, kind)
        custs = customers(personas)
        september = date(2026, 9, 1)
        _collect(personas, custs, september, before)
        run = approved(personas, "2026-09")
        frozen = _snapshot(run)
        approved_totals = {r.salesperson_id: r.commission_amount for r in compute_month(september)}

        _collect(personas, custs, september, late)  # money dated in September, recorded after its approval
        october = draft(personas, "2026-10")

        run.refresh_from_db()
        assert run.status == RunStatus.APPROVED
        assert _snapshot(run) == frozen
        recomputed = {r.salesperson_id: r.commission_amount for r in compute_month(september)}
        carried = {line.salesperson_id: line.commission_amount for line in october.lines.filter(kind=LineKind.CARRIED)}
        expected = {sp: recomputed[sp] - approved_totals.get(sp, ZERO) for sp in recomputed}
        assert carried == {sp: amount for sp, amount in expected.items() if amount}
        assert set(CommissionItem.objects.filter(line__run=october, line__kind=LineKind.CARRIED)
                   .values_list("for_period", flat=True)) <= {"2026-09"}
        if kind == "flat":
            by_person: dict[int, Decimal] = {}
            for username, _day, amount in late:
                sp = personas[username].pk
                by_person[sp] = by_person.get(sp, ZERO) + quantize_money(amount * RATE)
            assert carried == {sp: a for sp, a in by_person.items() if a}
        transaction.set_rollback(True)


@SLOW
@given(rows=collections, gm_has_line=st.booleans(), locked=st.booleans())
def test_nobody_approves_their_own_line_and_a_clerk_never_approves(personas, rows, gm_has_line, locked):
    with transaction.atomic():
        _plan(personas, "flat")
        _collect(personas, customers(personas), date(2026, 10, 1), rows)
        run = draft(personas, "2026-10")
        gm = personas["gm"]
        if gm_has_line:
            gm.groups.add(Group.objects.get(name="salesperson"))
            gm = type(gm).objects.get(pk=gm.pk)
            services.add_adjustment(actor=personas["clerk"], run=run, salesperson=gm, amount=D("10"), reason="兼任")
        if locked:
            lock(personas, "2026-10")

        with pytest.raises(PermissionDenied):
            services.approve_run(actor=personas["clerk"], run=run)
        run.refresh_from_db()
        assert run.status == RunStatus.DRAFT

        if gm_has_line or not locked:
            with pytest.raises(DomainError):
                services.approve_run(actor=gm, run=run)
            run.refresh_from_db()
            assert run.status == RunStatus.DRAFT
        else:
            assert services.approve_run(actor=gm, run=run).status == RunStatus.APPROVED
        transaction.set_rollback(True)
