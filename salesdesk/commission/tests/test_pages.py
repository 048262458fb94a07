"""The commission pages: runs (draft a month as a job, progress, resume, lines narrowed to the
user, adjustments, confirmations, approval with the month lock), a line with its traced items, and
plans (list, detail, forms with inline rows, versions, assignments). Query counts are pinned."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesdesk.commission import services
from salesdesk.commission.models import (
    CommissionPlan,
    CommissionRun,
    LineKind,
    LineStatus,
    PlanAssignment,
    RunStatus,
)
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.periods import current_period, previous_month

from .factories import CustomerFactory, assign, plan
from .run_factories import approved, collect, draft, line_of, lock, month_with_money

pytestmark = pytest.mark.django_db

D = Decimal
PERIOD = "2026-10"


def _warm(client, url):
    client.get(url)  # per-process caches (content types, permissions) out of the count


# --- run list and drafting ---------------------------------------------------------------------------


def test_the_clerk_sees_the_draft_last_month_button_and_a_salesperson_does_not(as_user):
    last = previous_month(current_period())

    page = as_user("clerk").get("/commission/").content.decode()
    assert 'id="draft-last-month"' in page and last in page

    page = as_user("sales1").get("/commission/").content.decode()
    assert 'id="draft-last-month"' not in page


def test_drafting_last_month_runs_the_job_and_opens_the_run(as_user, personas, django_capture_on_commit_callbacks):
    last = previous_month(current_period())
    month_with_money(personas, last)
    client = as_user("clerk")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/commission/runs/start/", {"period": last})

    run = CommissionRun.objects.get(period=last)
    assert response.status_code == 302 and response["Location"] == f"/commission/runs/{run.pk}/"
    assert run.status == RunStatus.DRAFT and run.lines.count() == 3


def test_a_salesperson_cannot_draft_a_run(as_user):
    response = as_user("sales1").post("/commission/runs/start/", {"period": PERIOD})

    assert response.status_code == 403
    assert not CommissionRun.objects.exists()


def test_a_future_month_is_refused_with_a_message_and_nothing_is_written(as_user):
    response = as_user("clerk").post("/commission/runs/start/", {"period": "2999-01"}, follow=True)

    assert "只能计算本月及以前月份的提成" in response.content.decode()
    assert not CommissionRun.objects.exists()


def test_the_run_list_shows_each_user_only_their_own_total(as_user, personas):
    month_with_money(personas, PERIOD)
    draft(personas, PERIOD)

    assert "300.00" in as_user("sales1").get("/commission/").content.decode()
    assert "1,050.00" not in as_user("sales1").get("/commission/").content.decode()
    assert "1,050.00" in as_user("finance").get("/commission/").content.decode()


# Session, user, two permission lookups, row count, heartbeat, first-user date, groups, unread
# count, rows with their annotated totals.
RUN_LIST_QUERIES = 10


def test_the_run_list_runs_a_fixed_number_of_queries_whatever_the_runs(as_user, personas):
    month_with_money(personas, "2026-08")
    draft(personas, "2026-08")
    client = as_user("clerk")
    _warm(client, "/commission/")
    with query_budget(RUN_LIST_QUERIES):
        assert client.get("/commission/").status_code == 200

    for period in ("2026-09", "2026-10"):
        draft(personas, period)
    with query_budget(RUN_LIST_QUERIES):
        assert client.get("/commission/").status_code == 200


# --- run detail -----------------------------------------------------------------------------------


def test_a_salesperson_sees_only_their_own_line_of_a_run(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    page = as_user("sales1").get(f"/commission/runs/{run.pk}/").content.decode()

    assert 'data-salesperson="sales1"' in page
    assert 'data-salesperson="sales2"' not in page and 'data-salesperson="sales3"' not in page


def test_the_manager_sees_their_team_and_the_clerk_everyone(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    page = as_user("manager").get(f"/commission/runs/{run.pk}/").content.decode()
    assert 'data-salesperson="sales3"' in page and 'data-salesperson="sales2"' not in page
    page = as_user("clerk").get(f"/commission/runs/{run.pk}/").content.decode()
    assert all(f'data-salesperson="{u}"' in page for u in ("sales1", "sales2", "sales3"))


def test_an_unknown_run_is_404(as_user):
    assert as_user("clerk").get("/commission/runs/999999/").status_code == 404


RUN_DETAIL_QUERIES = 11


def test_the_run_detail_runs_a_fixed_number_of_queries_whatever_the_lines(as_user, personas):
    month_with_money(personas, PERIOD, amounts={"sales1": "1000.00"})
    run = draft(personas, PERIOD)
    client = as_user("clerk")
    url = f"/commission/runs/{run.pk}/"
    _warm(client, url)
    with query_budget(RUN_DETAIL_QUERIES):
        assert client.get(url).status_code == 200

    for username in ("sales2", "sales3"):
        collect(personas, CustomerFactory(salesperson=personas[username]), date(2026, 10, 20), "2000.00")
    run = draft(personas, PERIOD)
    services.add_adjustment(actor=personas["clerk"], run=run, salesperson=personas["sales2"], amount=D("50"),
                            reason="补发")
    assert run.lines.count() == 4
    with query_budget(RUN_DETAIL_QUERIES):
        assert client.get(url).status_code == 200


def test_a_computing_run_shows_its_progress_and_reloads_when_done(as_user, personas):
    run = CommissionRun.objects.create(period=PERIOD, status=RunStatus.COMPUTING, progress_done=2, progress_total=5)
    client = as_user("clerk")

    page = client.get(f"/commission/runs/{run.pk}/").content.decode()
    assert 'id="run-progress"' in page and "2 / 5" in page and "every 1s" in page

    CommissionRun.objects.filter(pk=run.pk).update(status=RunStatus.DRAFT)
    response = client.get(f"/commission/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


def test_a_failed_run_shows_its_error_and_the_clerk_resumes_it(as_user, personas, django_capture_on_commit_callbacks):
    month_with_money(personas, PERIOD)
    run = CommissionRun.objects.create(period=PERIOD, status=RunStatus.FAILED, error="OperationalError: database is locked")
    client = as_user("clerk")

    page = client.get(f"/commission/runs/{run.pk}/").content.decode()
    assert "database is locked" in page and 'id="run-resume"' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/commission/runs/{run.pk}/resume/")
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT and run.lines.count() == 3


def test_finance_cannot_resume_a_run(as_user, personas):
    run = CommissionRun.objects.create(period=PERIOD, status=RunStatus.FAILED, error="boom")

    assert as_user("finance").post(f"/commission/runs/{run.pk}/resume/").status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


# --- line detail, confirmations ---------------------------------------------------------------------


def test_a_line_shows_its_traced_items_with_a_link_to_the_source_document(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)
    line = line_of(run, personas["sales1"])
    item = line.items.get()

    page = as_user("sales1").get(f"/commission/lines/{line.pk}/").content.decode()

    assert item.rule in page and "10,000.00" in page and "300.00" in page and "3.00%" in page
    if item.source_kind == "payment":
        assert f"/finance/payments/{item.source_id}/" in page


def test_a_salesperson_gets_404_for_someone_elses_line(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    assert as_user("sales1").get(f"/commission/lines/{line_of(run, personas['sales3']).pk}/").status_code == 404
    assert as_user("sales1").get(f"/commission/lines/{line_of(run, personas['sales2']).pk}/").status_code == 404


LINE_DETAIL_QUERIES = 12


def test_the_line_detail_runs_a_fixed_number_of_queries_whatever_the_items(as_user, personas):
    custs = month_with_money(personas, PERIOD, amounts={"sales1": "1000.00"})
    run = draft(personas, PERIOD)
    client = as_user("sales1")
    url = f"/commission/lines/{line_of(run, personas['sales1']).pk}/"
    _warm(client, url)
    with query_budget(LINE_DETAIL_QUERIES):
        assert client.get(url).status_code == 200

    for day in (3, 9, 21):
        collect(personas, custs["sales1"], date(2026, 10, day), "500.00")
    run = draft(personas, PERIOD)
    url = f"/commission/lines/{line_of(run, personas['sales1']).pk}/"
    assert line_of(run, personas["sales1"]).items.count() == 4
    with query_budget(LINE_DETAIL_QUERIES):
        assert client.get(url).status_code == 200


def test_a_salesperson_confirms_their_line(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)
    line = line_of(run, personas["sales1"])

    response = as_user("sales1").post(f"/commission/lines/{line.pk}/confirm/")

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.CONFIRMED


def test_confirming_someone_elses_line_is_404_and_changes_nothing(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)
    line = line_of(run, personas["sales3"])

    assert as_user("sales1").post(f"/commission/lines/{line.pk}/confirm/").status_code == 404
    line.refresh_from_db()
    assert line.status == LineStatus.OPEN


def test_a_dispute_needs_a_reason(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)
    line = line_of(run, personas["sales1"])
    client = as_user("sales1")

    client.post(f"/commission/lines/{line.pk}/dispute/", {"reason": ""})
    line.refresh_from_db()
    assert line.status == LineStatus.OPEN

    client.post(f"/commission/lines/{line.pk}/dispute/", {"reason": "9月的回款漏算"})
    line.refresh_from_db()
    assert (line.status, line.dispute_reason) == (LineStatus.DISPUTED, "9月的回款漏算")


def test_the_manager_confirms_the_team(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    as_user("manager").post(f"/commission/runs/{run.pk}/confirm-team/")

    confirmed = set(run.lines.filter(team_confirmed_by=personas["manager"]).values_list("salesperson__username",
                                                                                        flat=True))
    assert confirmed == {"sales1", "sales3"}


# --- adjustments ------------------------------------------------------------------------------------


def test_the_clerk_adds_an_adjustment_with_a_reason(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    response = as_user("clerk").post(f"/commission/runs/{run.pk}/adjust/", {
        "salesperson": personas["sales1"].pk, "amount": "-120.50", "reason": "客户退货，扣回"})

    assert response.status_code == 302
    line = run.lines.get(kind=LineKind.ADJUSTMENT)
    assert (line.salesperson, line.commission_amount, line.reason) == (personas["sales1"], D("-120.50"), "客户退货，扣回")


def test_an_adjustment_without_a_reason_is_refused_in_chinese_and_writes_nothing(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    response = as_user("clerk").post(f"/commission/runs/{run.pk}/adjust/", {
        "salesperson": personas["sales1"].pk, "amount": "100", "reason": ""})

    assert response.status_code == 200 and "请填写调整原因" in response.content.decode()
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


def test_an_approved_run_refuses_adjustments(as_user, personas):
    month_with_money(personas, PERIOD)
    run = approved(personas, PERIOD)

    response = as_user("clerk").post(f"/commission/runs/{run.pk}/adjust/", {
        "salesperson": personas["sales1"].pk, "amount": "100", "reason": "补发"})

    assert "已批准" in response.content.decode()
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


# --- approval ---------------------------------------------------------------------------------------


def test_approving_an_unlocked_month_shows_the_refusal_in_chinese(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)

    response = as_user("gm").post(f"/commission/runs/{run.pk}/approve/", follow=True)

    assert "尚未结账" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_the_gm_approves_a_locked_month(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)
    lock(personas, PERIOD)

    as_user("gm").post(f"/commission/runs/{run.pk}/approve/")

    run.refresh_from_db()
    assert (run.status, run.approved_by) == (RunStatus.APPROVED, personas["gm"])


def test_the_clerk_cannot_approve(as_user, personas):
    month_with_money(personas, PERIOD)
    run = draft(personas, PERIOD)
    lock(personas, PERIOD)

    assert as_user("clerk").post(f"/commission/runs/{run.pk}/approve/").status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


# --- plans ------------------------------------------------------------------------------------------


PLAN_LIST_QUERIES = 10


def test_the_plan_list_runs_a_fixed_number_of_queries_whatever_the_plans(as_user):
    plan(code="a", name="回款提成")
    client = as_user("clerk")
    _warm(client, "/commission/plans/")
    with query_budget(PLAN_LIST_QUERIES):
        assert client.get("/commission/plans/").status_code == 200
    for n in range(5):
        plan(code=f"b{n}", name=f"毛利提成{n}")
    with query_budget(PLAN_LIST_QUERIES):
        assert client.get("/commission/plans/").status_code == 200


def test_the_plan_list_searches_by_name(as_user):
    plan(code="collect", name="回款提成")
    plan(code="margin", name="毛利提成")

    page = as_user("gm").get("/commission/plans/", {"q": "毛利"}).content.decode()

    assert "毛利提成" in page and "回款提成" not in page


def test_a_salesperson_cannot_read_plans(as_user):
    assert as_user("sales1").get("/commission/plans/").status_code == 403


PLAN_DETAIL_QUERIES = 15


def test_the_plan_detail_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    p = plan(code="t", tiers=[(D(0), D("0.02"))])
    assign(p, salesperson=personas["sales1"])
    client = as_user("clerk")
    url = f"/commission/plans/{p.pk}/"
    _warm(client, url)
    with query_budget(PLAN_DETAIL_QUERIES):
        assert client.get(url).status_code == 200
    for n, threshold in enumerate(("100000", "300000")):
        p.tiers.create(threshold=D(threshold), rate=D("0.03") + n / D(100))
    assign(p, salesperson=personas["sales2"])
    assign(p, salesperson=personas["sales3"])
    with query_budget(PLAN_DETAIL_QUERIES):
        page = client.get(url).content.decode()
    assert "100,000.00" in page and "3.00%" in page


def _plan_post(**overrides) -> dict:
    data = {"code": "tiered", "name": "超额累进回款提成", "valid_from": "2026-01-01", "base": "received",
            "tax_basis": "gross", "date_basis": "receipt", "rate": "0", "tier_on": "base", "tier_method": "marginal",
            "below_floor_factor": "1", "override_rate": "0", "overdue_rate": "0", "interest_rate_monthly": "0",
            "clawback": "on", "active": "on",
            "tiers-TOTAL_FORMS": "3", "tiers-INITIAL_FORMS": "0",
            "tiers-0-threshold": "0", "tiers-0-rate": "0.02", "tiers-1-threshold": "100000", "tiers-1-rate": "0.03",
            "tiers-2-threshold": "300000", "tiers-2-rate": "0.04",
            "cats-TOTAL_FORMS": "0", "cats-INITIAL_FORMS": "0", "ages-TOTAL_FORMS": "0", "ages-INITIAL_FORMS": "0"}
    data.update(overrides)
    return data


def test_the_clerk_creates_a_tiered_plan_with_its_rows(as_user):
    response = as_user("clerk").post("/commission/plans/new/", _plan_post())

    p = CommissionPlan.objects.get(code="tiered")
    assert response.status_code == 302 and response["Location"] == f"/commission/plans/{p.pk}/"
    assert list(p.tiers.values_list("threshold", "rate")) == [(D(0), D("0.02")), (D(100000), D("0.03")),
                                                              (D(300000), D("0.04"))]


def test_a_first_tier_above_zero_is_refused_in_chinese_and_writes_nothing(as_user):
    response = as_user("clerk").post("/commission/plans/new/", _plan_post(**{"tiers-0-threshold": "5000"}))

    assert response.status_code == 200 and "第一档的起点必须是 0" in response.content.decode()
    assert not CommissionPlan.objects.exists()


def test_a_rate_above_one_is_refused_in_chinese(as_user):
    response = as_user("clerk").post("/commission/plans/new/", _plan_post(**{"tiers-1-rate": "3"}))

    assert "比例不能超过 1" in response.content.decode()
    assert not CommissionPlan.objects.exists()


def test_finance_reads_plans_but_cannot_create_one(as_user):
    client = as_user("finance")
    assert client.get("/commission/plans/").status_code == 200
    assert client.post("/commission/plans/new/", _plan_post()).status_code == 403
    assert not CommissionPlan.objects.exists()


def test_a_new_version_copies_the_rows_and_closes_the_previous_one(as_user):
    p = plan(code="tiered", tiers=[(D(0), D("0.02")), (D(100000), D("0.03"))], valid_from=date(2025, 1, 1))
    client = as_user("gm")

    page = client.get(f"/commission/plans/{p.pk}/new-version/").content.decode()
    assert 'value="100000.0000"' in page

    response = client.post(f"/commission/plans/{p.pk}/new-version/", _plan_post(
        code="ignored", valid_from="2026-07-01", **{"tiers-TOTAL_FORMS": "2"}))

    assert response.status_code == 302
    new = CommissionPlan.objects.get(code="tiered", valid_from=date(2026, 7, 1))
    p.refresh_from_db()
    assert p.valid_to == date(2026, 6, 30) and new.tiers.count() == 2


def test_a_version_that_priced_an_approved_run_cannot_be_edited(as_user, personas):
    month_with_money(personas, PERIOD)
    run = approved(personas, PERIOD)
    used = line_of(run, personas["sales1"]).plan

    response = as_user("clerk").post(f"/commission/plans/{used.pk}/edit/", _plan_post(code=used.code, rate="0.5"))

    assert response.status_code == 302
    used.refresh_from_db()
    assert used.rate == D("0.0300")


def test_an_assignment_names_a_salesperson_or_a_team_not_both(as_user, personas):
    p = plan(code="flat")
    client = as_user("clerk")

    response = client.post(f"/commission/plans/{p.pk}/assignments/new/", {
        "salesperson": personas["sales1"].pk, "team": personas["sales1"].team_id, "valid_from": "2026-01-01"})
    assert "二选一" in response.content.decode()
    assert not PlanAssignment.objects.exists()

    client.post(f"/commission/plans/{p.pk}/assignments/new/", {"team": personas["sales1"].team_id,
                                                                "valid_from": "2026-01-01"})
    assert PlanAssignment.objects.get().plan_code == "flat"


def test_the_menu_has_commission_and_plans_for_the_clerk(as_user):
    page = as_user("clerk").get("/commission/").content.decode()

    assert 'href="/commission/"' in page and 'href="/commission/plans/"' in page

