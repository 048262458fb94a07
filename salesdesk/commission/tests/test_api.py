"""The commission API contract (API.md, "Commission"): status codes, fields, what each persona
sees, 403 before body validation, refused requests write nothing, pinned query counts."""

from __future__ import annotations

from datetime import date

import pytest

from salesdesk.commission.models import CommissionLine, CommissionRun, LineKind, LineStatus, RunStatus
from salesdesk.core.testing.queries import query_budget

from .run_factories import approved, collect, draft, line_of, lock, month_with_money

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/commission/runs"
# token with its user, the user's and the groups' permissions, then the endpoint's own; those who
# do not see every line also read their roles, and a manager their team
EXTRA = {"clerk": 0, "sales1": 1, "manager": 2}
LIST_QUERIES = 5  # auth (3), count, page
DETAIL_QUERIES = 6  # auth (3), run, lines with salespeople, items


def _ids(body) -> set[str]:
    return {line["salesperson_id"] for line in body["lines"]}


# --- computing --------------------------------------------------------------------------------------


def test_the_clerk_computes_a_month_and_gets_the_draft_with_traced_lines(api, personas):
    month_with_money(personas)

    r = api("clerk").post(RUNS, {"period": "2026-10"})

    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["status"], body["period"], body["total_commission"]) == ("draft", "2026-10", "1050.00")
    line = next(x for x in body["lines"] if x["salesperson_id"] == personas["sales1"].pk)
    assert {"id", "salesperson_id", "base_amount", "commission_amount", "details"} <= set(line)
    assert (line["base_amount"], line["commission_amount"], line["kind"]) == ("10000.00", "300.00", "computed")
    (item,) = line["details"]
    assert (item["amount"], item["rate"], item["kind"]) == ("300.00", "0.03", "commission")
    assert item["fact_id"] is not None


def test_recomputing_a_draft_answers_the_same_run_with_new_lines(api, personas):
    custs = month_with_money(personas)
    first = api("clerk").post(RUNS, {"period": "2026-10"}).json()
    collect(personas, custs["sales1"], date(2026, 10, 3), "100.00")

    r = api("clerk").post(RUNS, {"period": "2026-10"})

    assert r.status_code == 201
    assert r.json()["id"] == first["id"]
    assert r.json()["total_commission"] == "1053.00"


@pytest.mark.parametrize("username", ["gm", "finance", "hr", "sales1", "manager", "warehouse", "admin"])
def test_only_the_clerk_computes(api, personas, username):
    r = api(username).post(RUNS, {"period": "2026-10"})

    assert r.status_code == 403
    assert not CommissionRun.objects.exists()


def test_a_refused_role_gets_403_before_the_body_is_validated(api, personas):
    r = api("gm").post(RUNS, {"month": "tomorrow"})

    assert r.status_code == 403


def test_anonymous_gets_401(api, personas):
    assert api(None).post(RUNS, {"period": "2026-10"}).status_code == 401
    assert api(None).get(RUNS).status_code == 401


@pytest.mark.parametrize("body", [{"period": "2099-01"}, {"period": "2026-13"}, {"period": "202610"}, {"month": "2026-10"},
                                  {"period": 202610}, {}])
def test_a_future_month_or_a_bad_key_is_422_and_writes_nothing(api, personas, body):
    r = api("clerk").post(RUNS, body)

    assert r.status_code == 422, r.content
    assert set(r.json()) == {"detail", "errors"}
    assert not CommissionRun.objects.exists()


def test_computing_an_approved_month_is_409_and_changes_nothing(api, personas):
    month_with_money(personas)
    run = approved(personas)
    before = list(run.lines.values_list("id", "commission_amount"))

    r = api("clerk").post(RUNS, {"period": "2026-10"})

    assert r.status_code == 409
    assert r.json()["code"] == "run_approved"
    assert list(run.lines.values_list("id", "commission_amount")) == before


def test_a_started_run_answers_202_computing(api, personas):
    month_with_money(personas)

    r = api("clerk").post(f"{RUNS}/start", {"period": "2026-10"})  # the job runs after the commit

    assert r.status_code == 202
    assert (r.json()["status"], r.json()["lines"]) == ("computing", [])


def test_a_draft_cannot_be_resumed(api, personas):
    month_with_money(personas)
    run = draft(personas)

    r = api("clerk").post(f"{RUNS}/{run.pk}/resume")

    assert r.status_code == 409
    assert r.json()["code"] == "run_not_resumable"


# --- reading ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "sees"), [
    ("clerk", {"sales1", "sales2", "sales3"}), ("gm", {"sales1", "sales2", "sales3"}),
    ("finance", {"sales1", "sales2", "sales3"}), ("hr", {"sales1", "sales2", "sales3"}),
    ("manager", {"sales1", "sales3"}), ("sales1", {"sales1"}), ("sales2", {"sales2"}),
])
def test_a_run_shows_only_the_lines_the_user_may_see(api, personas, username, sees):
    month_with_money(personas)
    run = draft(personas)

    r = api(username).get(f"{RUNS}/{run.pk}")

    assert r.status_code == 200
    assert _ids(r.json()) == {personas[u].pk for u in sees}


@pytest.mark.parametrize("username", ["warehouse", "planner", "admin"])
def test_roles_without_commission_get_403(api, personas, username):
    month_with_money(personas)
    run = draft(personas)

    assert api(username).get(f"{RUNS}/{run.pk}").status_code == 403
    assert api(username).get(RUNS).status_code == 403


def test_an_unknown_run_is_404(api, personas):
    assert api("clerk").get(f"{RUNS}/999999").status_code == 404


def test_the_list_counts_the_lines_each_user_may_see(api, personas):
    month_with_money(personas)
    draft(personas)

    clerk = api("clerk").get(RUNS).json()
    mine = api("sales1").get(RUNS).json()

    assert clerk["count"] == mine["count"] == 1
    assert (clerk["items"][0]["line_count"], clerk["items"][0]["total_commission"]) == (3, "1050.00")
    assert (mine["items"][0]["line_count"], mine["items"][0]["total_commission"]) == (1, "300.00")


def test_the_list_filters_by_status(api, personas):
    month_with_money(personas)
    draft(personas)

    assert api("clerk").get(f"{RUNS}?status=approved").json()["count"] == 0
    assert api("clerk").get(f"{RUNS}?status=draft&period=2026-10").json()["count"] == 1


@pytest.mark.parametrize("username", ["clerk", "manager", "sales1"])
def test_the_list_runs_a_pinned_number_of_queries(api, personas, username):
    month_with_money(personas)
    draft(personas, "2026-10")
    approved(personas, "2026-09")
    client = api(username)
    client.get(RUNS)  # the token's first use is recorded once

    with query_budget(LIST_QUERIES + EXTRA[username]):
        r = client.get(RUNS)

    assert r.json()["count"] == 2


@pytest.mark.parametrize("username", ["clerk", "manager", "sales1"])
def test_a_run_detail_runs_a_pinned_number_of_queries_whatever_its_lines(api, personas, username):
    custs = month_with_money(personas)
    for day in range(1, 6):
        collect(personas, custs["sales1"], date(2026, 10, day), "100.00")
        collect(personas, custs["sales3"], date(2026, 10, day), "100.00")
    run = draft(personas)
    client = api(username)
    client.get(f"{RUNS}/{run.pk}")

    with query_budget(DETAIL_QUERIES + EXTRA[username]):
        r = client.get(f"{RUNS}/{run.pk}")

    assert r.status_code == 200


# --- adjustments --------------------------------------------------------------------------------------


def test_the_clerk_adds_an_adjustment_line_with_a_reason(api, personas):
    month_with_money(personas)
    run = draft(personas)

    r = api("clerk").post(f"{RUNS}/{run.pk}/adjustments",
                          {"salesperson_id": personas["sales2"].pk, "amount": "-12.30", "reason": "退货扣回"})

    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["kind"], body["commission_amount"], body["reason"], body["salesperson_id"]) == (
        "adjustment", "-12.30", "退货扣回", personas["sales2"].pk)
    assert [d["kind"] for d in body["details"]] == ["adjustment"]


@pytest.mark.parametrize("username", ["sales1", "manager", "gm", "finance", "hr"])
def test_only_the_clerk_adjusts(api, personas, username):
    month_with_money(personas)
    run = draft(personas)

    r = api(username).post(f"{RUNS}/{run.pk}/adjustments", {"salesperson_id": personas["sales1"].pk, "amount": "5.00",
                                                             "reason": "x"})

    assert r.status_code == 403
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


def test_an_adjustment_for_an_unknown_person_is_404(api, personas):
    month_with_money(personas)
    run = draft(personas)

    r = api("clerk").post(f"{RUNS}/{run.pk}/adjustments", {"salesperson_id": 987654, "amount": "5.00", "reason": "x"})

    assert r.status_code == 404
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


@pytest.mark.parametrize("change", [{"salesperson_id": None}, {"amount": 5.5}, {"amount": "abc"}, {"reason": ""},
                                    {"amount": "0.00"}, {"amount": "1.234"}])
def test_a_bad_adjustment_is_422_and_writes_nothing(api, personas, change):
    month_with_money(personas)
    run = draft(personas)
    body = {"salesperson_id": personas["sales1"].pk, "amount": "5.00", "reason": "补发", **change}

    r = api("clerk").post(f"{RUNS}/{run.pk}/adjustments", {k: v for k, v in body.items() if v is not None})

    assert r.status_code == 422, r.content
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


def test_an_approved_run_takes_no_adjustment(api, personas):
    month_with_money(personas)
    run = approved(personas)

    r = api("clerk").post(f"{RUNS}/{run.pk}/adjustments", {"salesperson_id": personas["sales1"].pk, "amount": "5.00",
                                                            "reason": "补发"})

    assert r.status_code == 409
    assert not run.lines.filter(kind=LineKind.ADJUSTMENT).exists()


# --- confirmations -------------------------------------------------------------------------------------


def test_the_salesperson_confirms_their_line(api, personas):
    month_with_money(personas)
    run = draft(personas)
    line = line_of(run, personas["sales1"])

    r = api("sales1").post(f"{RUNS}/{run.pk}/lines/{line.pk}/confirm")

    assert r.status_code == 200
    assert (r.json()["id"], r.json()["status"]) == (line.pk, "confirmed")
    assert r.json()["confirmed_at"].endswith("+08:00")


def test_another_salespersons_line_is_404_and_stays_open(api, personas):
    month_with_money(personas)
    run = draft(personas)
    line = line_of(run, personas["sales3"])

    r = api("sales1").post(f"{RUNS}/{run.pk}/lines/{line.pk}/confirm")

    assert r.status_code == 404
    line.refresh_from_db()
    assert line.status == LineStatus.OPEN


def test_a_line_of_another_run_is_404(api, personas):
    month_with_money(personas)
    october = draft(personas)
    september = draft(personas, "2026-09")

    r = api("sales1").post(f"{RUNS}/{september.pk}/lines/{line_of(october, personas['sales1']).pk}/confirm")

    assert r.status_code == 404


@pytest.mark.parametrize("username", ["manager", "clerk", "gm"])
def test_only_the_salesperson_confirms_a_line(api, personas, username):
    month_with_money(personas)
    run = draft(personas)
    line = line_of(run, personas["sales1"])

    assert api(username).post(f"{RUNS}/{run.pk}/lines/{line.pk}/confirm").status_code == 403
    line.refresh_from_db()
    assert line.status == LineStatus.OPEN


def test_a_dispute_carries_its_reason(api, personas):
    month_with_money(personas)
    run = draft(personas)
    line = line_of(run, personas["sales1"])

    r = api("sales1").post(f"{RUNS}/{run.pk}/lines/{line.pk}/dispute", {"reason": "漏算10月3日回款"})

    assert r.status_code == 200
    assert (r.json()["status"], r.json()["dispute_reason"]) == ("disputed", "漏算10月3日回款")


def test_a_dispute_without_a_reason_is_422(api, personas):
    month_with_money(personas)
    run = draft(personas)
    line = line_of(run, personas["sales1"])

    r = api("sales1").post(f"{RUNS}/{run.pk}/lines/{line.pk}/dispute", {"reason": ""})

    assert r.status_code == 422
    line.refresh_from_db()
    assert line.status == LineStatus.OPEN


def test_the_manager_confirms_the_team(api, personas):
    month_with_money(personas)
    run = draft(personas)

    r = api("manager").post(f"{RUNS}/{run.pk}/team-confirm")

    assert r.status_code == 200
    assert r.json()["confirmed"] == 2
    assert all(line["team_confirmed_by_id"] == personas["manager"].pk for line in r.json()["lines"])
    assert not CommissionLine.objects.filter(salesperson=personas["sales2"], team_confirmed_by__isnull=False).exists()


@pytest.mark.parametrize("username", ["sales1", "clerk", "gm"])
def test_only_a_manager_confirms_a_team(api, personas, username):
    month_with_money(personas)
    run = draft(personas)

    assert api(username).post(f"{RUNS}/{run.pk}/team-confirm").status_code == 403
    assert not run.lines.filter(team_confirmed_by__isnull=False).exists()


# --- approval ---------------------------------------------------------------------------------------------


def test_the_gm_approves_a_locked_month(api, personas):
    month_with_money(personas)
    run = draft(personas)
    lock(personas, "2026-10")

    r = api("gm").post(f"{RUNS}/{run.pk}/approve")

    assert r.status_code == 200
    assert (r.json()["status"], r.json()["approved_by_id"]) == ("approved", personas["gm"].pk)
    assert api("clerk").post(RUNS, {"period": "2026-10"}).status_code == 409


def test_approving_an_open_month_is_409(api, personas):
    month_with_money(personas)
    run = draft(personas)

    r = api("gm").post(f"{RUNS}/{run.pk}/approve")

    assert r.status_code == 409
    assert r.json()["code"] == "period_not_locked"
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


@pytest.mark.parametrize("username", ["clerk", "manager", "sales1", "finance", "hr"])
def test_only_the_gm_approves(api, personas, username):
    month_with_money(personas)
    run = draft(personas)
    lock(personas, "2026-10")

    assert api(username).post(f"{RUNS}/{run.pk}/approve").status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_an_approved_run_is_not_approved_twice(api, personas):
    month_with_money(personas)
    run = approved(personas)

    assert api("gm").post(f"{RUNS}/{run.pk}/approve").status_code == 409


def test_a_late_change_to_an_approved_month_shows_as_a_carried_line_next_month(api, personas):
    custs = month_with_money(personas, "2026-09")
    approved(personas, "2026-09")
    collect(personas, custs["sales1"], date(2026, 9, 30), "500.00")

    body = api("clerk").post(RUNS, {"period": "2026-10"}).json()

    mine = [x for x in body["lines"] if x["salesperson_id"] == personas["sales1"].pk]
    assert [(x["kind"], x["commission_amount"]) for x in mine] == [("computed", "0.00"), ("carried", "15.00")]
    assert [(d["kind"], d["for_period"], d["amount"]) for d in mine[1]["details"]] == [("carried", "2026-09", "15.00")]
