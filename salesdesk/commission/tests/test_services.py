"""Runs: computing, replacing a draft, carried changes of approved months, adjustments,
confirmations, approval, the job with progress and the monthly routine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from salesdesk.commission import services
from salesdesk.commission.models import (
    CommissionItem,
    CommissionLine,
    CommissionRun,
    ItemKind,
    LineKind,
    LineStatus,
    RunStatus,
)
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.models import JobRun, Notification

from .run_factories import approved, collect, draft, line_of, lock, month_with_money

pytestmark = pytest.mark.django_db

D = Decimal


# --- computing ------------------------------------------------------------------------------------


def test_a_run_holds_one_traced_line_per_salesperson_with_a_plan(personas):
    month_with_money(personas)

    run = draft(personas)

    assert run.status == RunStatus.DRAFT
    assert {(line.salesperson.username, line.commission_amount) for line in run.lines.all()} == {
        ("sales1", D("300.00")), ("sales2", D("600.00")), ("sales3", D("150.00"))}
    item = line_of(run, personas["sales1"]).items.get()
    assert (item.fact_id is not None, item.base, item.rate, item.amount) == (True, D("10000.00"), D("0.0300"), D("300.00"))


def test_a_salesperson_without_a_plan_has_no_line(personas):
    month_with_money(personas)

    run = draft(personas)

    assert not run.lines.filter(salesperson__in=[personas["manager"], personas["gm"]]).exists()


def test_recomputing_a_draft_replaces_its_lines(personas):
    custs = month_with_money(personas)
    first = draft(personas)
    old_ids = set(first.lines.values_list("id", flat=True))
    collect(personas, custs["sales1"], date(2026, 10, 20), "1000.00")

    run = draft(personas)

    assert run.pk == first.pk
    assert not old_ids & set(run.lines.values_list("id", flat=True))
    assert line_of(run, personas["sales1"]).commission_amount == D("330.00")
    assert CommissionLine.objects.filter(run=run, kind=LineKind.COMPUTED).count() == 3


def test_recomputing_keeps_adjustment_lines_but_asks_for_confirmation_again(personas):
    month_with_money(personas)
    run = draft(personas)
    adj = services.add_adjustment(actor=personas["clerk"], run=run, salesperson=personas["sales1"], amount=D("50"),
                                  reason="补发")
    services.confirm_line(actor=personas["sales1"], line=adj)

    draft(personas)

    adj.refresh_from_db()
    assert (adj.kind, adj.commission_amount, adj.status) == (LineKind.ADJUSTMENT, D("50.00"), LineStatus.OPEN)


def test_a_future_month_is_invalid_input_and_writes_nothing(personas):
    with pytest.raises(InvalidInput) as err:
        services.compute_run(actor=personas["clerk"], period="2099-01")

    assert "period" in err.value.errors
    assert not CommissionRun.objects.exists()


def test_a_malformed_period_is_invalid_input(personas):
    with pytest.raises(InvalidInput):
        services.compute_run(actor=personas["clerk"], period="2026-13")

    assert not CommissionRun.objects.exists()


def test_only_the_clerk_computes(personas):
    for username in ("gm", "finance", "sales1", "manager", "hr"):
        with pytest.raises(PermissionDenied):
            services.compute_run(actor=personas[username], period="2026-10")

    assert not CommissionRun.objects.exists()


def test_computing_an_approved_month_is_refused_and_changes_nothing(personas):
    month_with_money(personas)
    run = approved(personas)
    before = list(run.lines.values_list("id", "commission_amount"))

    with pytest.raises(DomainError) as err:
        draft(personas)

    assert err.value.code == services.CommissionErrorCode.RUN_APPROVED
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED
    assert list(run.lines.values_list("id", "commission_amount")) == before


def test_an_engine_crash_leaves_the_run_failed_with_the_error(personas, monkeypatch):
    month_with_money(personas)
    monkeypatch.setattr("salesdesk.commission.engine.compute_month", _boom)

    with pytest.raises(RuntimeError):
        draft(personas)

    run = CommissionRun.objects.get(period="2026-10")
    assert run.status == RunStatus.FAILED
    assert "boom" in run.error


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def test_a_run_total_is_the_sum_of_its_items(personas):
    month_with_money(personas)

    run = draft(personas)

    for line in run.lines.all():
        assert line.commission_amount == sum((i.amount for i in line.items.all()), D("0.00"))


def test_performance_results_are_computed_beside_the_commission(personas, monkeypatch):
    seen = []
    monkeypatch.setattr("salesdesk.commission.performance.compute_results", lambda run: seen.append(run.period) or [])
    month_with_money(personas)

    draft(personas)

    assert seen == ["2026-10"]


# --- carried changes ---------------------------------------------------------------------------------


def test_money_dated_in_an_approved_month_is_carried_into_the_next_run(personas):
    custs = month_with_money(personas, "2026-09")
    september = approved(personas, "2026-09")
    before = list(september.lines.values_list("id", "commission_amount"))
    collect(personas, custs["sales2"], date(2026, 9, 28), "1000.00")  # recorded late, dated in September

    october = draft(personas, "2026-10")

    carried = october.lines.get(kind=LineKind.CARRIED)
    assert (carried.salesperson, carried.commission_amount) == (personas["sales2"], D("30.00"))
    assert set(carried.items.values_list("kind", "for_period")) == {(ItemKind.CARRIED, "2026-09")}
    assert list(september.lines.values_list("id", "commission_amount")) == before


def test_a_change_already_carried_by_an_approved_run_is_not_carried_again(personas):
    custs = month_with_money(personas, "2026-08")
    approved(personas, "2026-08")
    collect(personas, custs["sales1"], date(2026, 8, 30), "2000.00")
    approved(personas, "2026-09")

    october = draft(personas, "2026-10")

    assert not october.lines.filter(kind=LineKind.CARRIED).exists()
    assert CommissionItem.objects.filter(kind=ItemKind.CARRIED, for_period="2026-08").count() == 1


def test_without_changes_nothing_is_carried(personas):
    month_with_money(personas, "2026-09")
    approved(personas, "2026-09")

    october = draft(personas, "2026-10")

    assert not october.lines.filter(kind=LineKind.CARRIED).exists()


# --- adjustments -------------------------------------------------------------------------------------


def test_an_adjustment_is_a_separate_line_with_its_reason(personas):
    month_with_money(personas)
    run = draft(personas)

    line = services.add_adjustment(actor=personas["clerk"], run=run, salesperson=personas["sales3"],
                                   amount=D("-20.50"), reason="客户投诉扣减")

    assert (line.kind, line.commission_amount, line.reason, line.created_by) == (
        LineKind.ADJUSTMENT, D("-20.50"), "客户投诉扣减", personas["clerk"])
    assert list(line.items.values_list("kind", "amount")) == [(ItemKind.ADJUSTMENT, D("-20.50"))]
    assert line_of(run, personas["sales3"]).commission_amount == D("150.00")


def test_an_adjustment_needs_a_reason(personas):
    month_with_money(personas)
    run = draft(personas)

    with pytest.raises(InvalidInput) as err:
        services.add_adjustment(actor=personas["clerk"], run=run, salesperson=personas["sales1"], amount=D("5"),
                                reason="  ")

    assert "reason" in err.value.errors
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


def test_an_approved_run_takes_no_adjustment(personas):
    month_with_money(personas)
    run = approved(personas)

    with pytest.raises(DomainError):
        services.add_adjustment(actor=personas["clerk"], run=run, salesperson=personas["sales1"], amount=D("5"),
                                reason="补发")

    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


def test_nobody_adjusts_their_own_line(personas):
    clerk = personas["clerk"]
    clerk.groups.add(personas["sales1"].groups.get(name="salesperson"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    month_with_money(personas)
    run = draft(personas)

    with pytest.raises(DomainError) as err:
        services.add_adjustment(actor=clerk, run=run, salesperson=clerk, amount=D("5"), reason="自己")

    assert err.value.code == services.CommissionErrorCode.OWN_LINE
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


# --- confirmations -------------------------------------------------------------------------------------


def test_the_salesperson_confirms_their_own_line(personas):
    month_with_money(personas)
    run = draft(personas)

    line = services.confirm_line(actor=personas["sales1"], line=line_of(run, personas["sales1"]))

    assert line.status == LineStatus.CONFIRMED
    assert line.confirmed_at is not None


def test_nobody_confirms_another_salespersons_line(personas):
    month_with_money(personas)
    run = draft(personas)
    other = line_of(run, personas["sales3"])

    with pytest.raises(PermissionDenied):
        services.confirm_line(actor=personas["sales1"], line=other)

    other.refresh_from_db()
    assert other.status == LineStatus.OPEN


def test_a_dispute_keeps_its_reason_and_tells_the_clerk(personas):
    month_with_money(personas)
    run = draft(personas)

    line = services.dispute_line(actor=personas["sales1"], line=line_of(run, personas["sales1"]), reason="少算一笔回款")

    assert (line.status, line.dispute_reason) == (LineStatus.DISPUTED, "少算一笔回款")
    assert Notification.objects.filter(recipient=personas["clerk"], kind="commission_disputed").exists()


def test_the_manager_confirms_the_team_lines_only(personas):
    month_with_money(personas)
    run = draft(personas)

    count = services.confirm_team(actor=personas["manager"], run=run)

    assert count == 2
    confirmed = set(run.lines.filter(team_confirmed_by=personas["manager"]).values_list("salesperson__username", flat=True))
    assert confirmed == {"sales1", "sales3"}


# --- approval ---------------------------------------------------------------------------------------------


def test_the_gm_approves_a_locked_month_which_locks_the_run(personas):
    month_with_money(personas)
    run = draft(personas)
    lock(personas, "2026-10")

    run = services.approve_run(actor=personas["gm"], run=run)

    assert (run.status, run.approved_by) == (RunStatus.APPROVED, personas["gm"])
    with pytest.raises(DomainError):
        services.confirm_line(actor=personas["sales1"], line=line_of(run, personas["sales1"]))


def test_approval_needs_the_month_locked(personas):
    month_with_money(personas)
    run = draft(personas)

    with pytest.raises(DomainError) as err:
        services.approve_run(actor=personas["gm"], run=run)

    assert err.value.code == services.CommissionErrorCode.PERIOD_NOT_LOCKED
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_a_clerk_cannot_approve(personas):
    month_with_money(personas)
    run = draft(personas)
    lock(personas, "2026-10")

    with pytest.raises(PermissionDenied):
        services.approve_run(actor=personas["clerk"], run=run)

    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_nobody_approves_a_run_holding_their_own_line(personas):
    month_with_money(personas)
    run = draft(personas)
    services.add_adjustment(actor=personas["clerk"], run=run, salesperson=_as_salesperson(personas["gm"]),
                            amount=D("100"), reason="兼职销售")
    lock(personas, "2026-10")

    with pytest.raises(DomainError) as err:
        services.approve_run(actor=personas["gm"], run=run)

    assert err.value.code == services.CommissionErrorCode.SELF_APPROVAL
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def _as_salesperson(user):
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="salesperson"))
    return type(user).objects.get(pk=user.pk)


# --- the job -------------------------------------------------------------------------------------------------


def test_a_started_run_is_computed_by_a_tracked_job_with_progress(personas, django_capture_on_commit_callbacks):
    month_with_money(personas)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(actor=personas["clerk"], period="2026-10")

    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    assert (run.progress_done, run.progress_total) == (3, 3)
    assert JobRun.objects.filter(name="commission.compute_run", status="succeeded").exists()


def test_a_started_run_shows_computing_until_the_job_ran(personas):
    month_with_money(personas)

    run = services.start_run(actor=personas["clerk"], period="2026-10")  # the job waits for the commit

    assert (run.status, run.progress_done) == (RunStatus.COMPUTING, 0)


def test_a_failed_run_is_resumed(personas, monkeypatch, django_capture_on_commit_callbacks):
    month_with_money(personas)
    real = services._engine().compute_month
    monkeypatch.setattr("salesdesk.commission.engine.compute_month", _boom)
    with pytest.raises(RuntimeError):
        draft(personas)
    monkeypatch.setattr("salesdesk.commission.engine.compute_month", real)
    run = CommissionRun.objects.get(period="2026-10")

    with django_capture_on_commit_callbacks(execute=True):
        run = services.resume_run(actor=personas["clerk"], run=run)

    run.refresh_from_db()
    assert (run.status, run.error, run.lines.count()) == (RunStatus.DRAFT, "", 3)


def test_a_draft_is_not_resumed(personas):
    month_with_money(personas)
    run = draft(personas)

    with pytest.raises(DomainError):
        services.resume_run(actor=personas["clerk"], run=run)


# --- the monthly routine -----------------------------------------------------------------------------------


def test_the_routine_drafts_last_month_once_finance_locked_it(personas):
    month_with_money(personas, "2026-10")
    lock(personas, "2026-10")

    result = services.monthly_routine(date(2026, 11, 2))

    assert result.drafted
    run = CommissionRun.objects.get(period="2026-10")
    assert (run.status, run.lines.count()) == (RunStatus.DRAFT, 3)
    assert Notification.objects.filter(recipient=personas["clerk"], kind="commission_drafted").exists()


def test_the_routine_drafts_nothing_before_the_lock(personas):
    month_with_money(personas, "2026-10")

    result = services.monthly_routine(date(2026, 11, 2))

    assert not result.drafted
    assert not CommissionRun.objects.exists()


def test_the_routine_reminds_the_clerks_from_the_third_working_day_once_a_day(personas):
    # November 2026: Mon 2nd, Tue 3rd, Wed 4th are the first three working days (the 1st is a Sunday)
    assert services.monthly_routine(date(2026, 11, 3)).reminded == 0
    assert services.monthly_routine(date(2026, 11, 4)).reminded == 1
    assert services.monthly_routine(date(2026, 11, 4)).reminded == 0
    assert services.monthly_routine(date(2026, 11, 5)).reminded == 1


def test_the_routine_stops_reminding_once_last_month_is_approved(personas):
    month_with_money(personas, "2026-10")
    approved(personas, "2026-10")

    assert services.monthly_routine(date(2026, 11, 5)).reminded == 0


def test_the_reminder_day_is_a_setting(personas, settings):
    settings.COMMISSION_REMINDER_WORKDAY = 1

    assert services.monthly_routine(date(2026, 11, 2)).reminded == 1
