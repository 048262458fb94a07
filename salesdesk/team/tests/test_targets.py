"""Monthly targets: saving a month (upsert, all or nothing), copying last month, who sees what,
the API, the grid page, and the 业绩 measure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.testing.queries import query_budget
from salesdesk.org.models import CompanyProfile, SalesTeam, User
from salesdesk.team import queries, services
from salesdesk.team.models import SalesTarget, TargetScope
from salesdesk.team.services import TargetEntry

from .factories import SalesTargetFactory

pytestmark = pytest.mark.django_db

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def _entries(personas, sales1="100000.00", team="300000.00", company="900000.00"):
    team_a = personas["sales1"].team
    return [
        TargetEntry(TargetScope.SALESPERSON, Decimal(sales1), Decimal("50000.00"), salesperson_id=personas["sales1"].pk),
        TargetEntry(TargetScope.TEAM, Decimal(team), Decimal("200000.00"), team_id=team_a.pk),
        TargetEntry(TargetScope.COMPANY, Decimal(company), Decimal("700000.00")),
    ]


def test_the_clerk_saves_a_months_targets_for_a_salesperson_a_team_and_the_company(personas):
    result = services.save_month_targets(actor=personas["clerk"], month=OCT, entries=_entries(personas))

    assert (result.created, result.updated) == (3, 0)
    rows = {t.scope: t for t in SalesTarget.objects.filter(month=OCT)}
    assert rows["salesperson"].salesperson == personas["sales1"] and rows["salesperson"].sales_target == Decimal(
        "100000.00")
    assert rows["team"].team == personas["sales1"].team and rows["company"].collection_target == Decimal("700000.00")
    assert rows["company"].history.first().history_user == personas["clerk"]


def test_saving_the_same_month_again_updates_and_never_duplicates(personas):
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=_entries(personas))

    result = services.save_month_targets(actor=personas["clerk"], month=OCT,
                                         entries=_entries(personas, sales1="120000.00"))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert SalesTarget.objects.count() == 3
    assert SalesTarget.objects.get(scope="salesperson").sales_target == Decimal("120000.00")


def test_a_zero_line_without_a_target_writes_nothing(personas):
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=[
        TargetEntry(TargetScope.SALESPERSON, Decimal(0), Decimal(0), salesperson_id=personas["sales2"].pk)])

    assert not SalesTarget.objects.exists()


def test_one_bad_line_refuses_the_whole_month_and_writes_nothing(personas):
    entries = [*_entries(personas), TargetEntry(TargetScope.SALESPERSON, Decimal("-1"), Decimal(0),
                                                salesperson_id=personas["sales2"].pk)]

    with pytest.raises(InvalidInput) as refused:
        services.save_month_targets(actor=personas["clerk"], month=OCT, entries=entries)

    assert "items.3.sales_target" in refused.value.errors
    assert not SalesTarget.objects.exists()


@pytest.mark.parametrize("entry,field", [
    (TargetEntry("salesperson", Decimal(1), Decimal(1)), "items.0.salesperson_id"),
    (TargetEntry("team", Decimal(1), Decimal(1)), "items.0.team_id"),
    (TargetEntry("company", Decimal(1), Decimal(1), team_id=1), "items.0.scope"),
    (TargetEntry("galaxy", Decimal(1), Decimal(1)), "items.0.scope"),
])
def test_a_line_must_name_whom_its_scope_needs(personas, entry, field):
    with pytest.raises(InvalidInput) as refused:
        services.save_month_targets(actor=personas["clerk"], month=OCT, entries=[entry])

    assert field in refused.value.errors and not SalesTarget.objects.exists()


def test_a_target_for_someone_who_is_not_a_salesperson_is_refused(personas):
    with pytest.raises(InvalidInput):
        services.save_month_targets(actor=personas["clerk"], month=OCT, entries=[
            TargetEntry("salesperson", Decimal(1), Decimal(1), salesperson_id=personas["hr"].pk)])

    assert not SalesTarget.objects.exists()


def test_the_same_line_twice_is_refused(personas):
    entries = [_entries(personas)[2], _entries(personas)[2]]

    with pytest.raises(InvalidInput):
        services.save_month_targets(actor=personas["clerk"], month=OCT, entries=entries)

    assert not SalesTarget.objects.exists()


@pytest.mark.parametrize("username", ["sales1", "manager", "gm", "finance", "hr"])
def test_only_the_clerk_saves_targets(personas, username):
    with pytest.raises(PermissionDenied):
        services.save_month_targets(actor=personas[username], month=OCT, entries=_entries(personas))

    assert not SalesTarget.objects.exists()


def test_copying_last_month_fills_only_the_lines_without_a_target(personas):
    clerk = personas["clerk"]
    services.save_month_targets(actor=clerk, month=OCT, entries=_entries(personas))
    services.save_month_targets(actor=clerk, month=NOV, entries=[_entries(personas, company="1.00")[2]])

    result = services.copy_month_targets(actor=clerk, month=NOV)

    assert (result.created, result.unchanged) == (2, 1)
    nov = {t.scope: t for t in SalesTarget.objects.filter(month=NOV)}
    assert nov["company"].sales_target == Decimal("1.00") and nov["salesperson"].sales_target == Decimal("100000.00")


def test_copying_skips_salespeople_who_have_left(personas):
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=_entries(personas))
    User.objects.filter(pk=personas["sales1"].pk).update(is_active=False)

    services.copy_month_targets(actor=personas["clerk"], month=NOV)

    assert set(SalesTarget.objects.filter(month=NOV).values_list("scope", flat=True)) == {"team", "company"}


def test_copying_an_empty_month_is_refused(personas):
    with pytest.raises(DomainError):
        services.copy_month_targets(actor=personas["clerk"], month=NOV)

    assert not SalesTarget.objects.exists()


def test_each_persona_sees_the_targets_of_their_own_scope(personas):
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=[
        *_entries(personas),
        TargetEntry("salesperson", Decimal(5), Decimal(5), salesperson_id=personas["sales2"].pk),
        TargetEntry("salesperson", Decimal(6), Decimal(6), salesperson_id=personas["sales3"].pk),
        TargetEntry("team", Decimal(7), Decimal(7), team_id=personas["sales2"].team_id),
    ])

    def seen(username):
        return {(t.scope, t.salesperson.username if t.salesperson_id else t.team.code if t.team_id else "")
                for t in queries.month_targets(OCT, personas[username])}

    team_a = personas["sales1"].team.code
    assert seen("sales1") == {("salesperson", "sales1"), ("team", team_a), ("company", "")}
    assert seen("manager") == {("salesperson", "sales1"), ("salesperson", "sales3"), ("team", team_a),
                               ("company", "")}
    assert len(seen("clerk")) == len(seen("gm")) == len(seen("finance")) == 6


def test_the_grid_lists_every_active_salesperson_each_team_and_the_company(personas):
    rows = queries.grid(OCT, personas["clerk"])

    people = [r.label for r in rows if r.scope == "salesperson"]
    assert len(people) == User.objects.filter(groups__name="salesperson", is_active=True).count()
    assert [r.team_id for r in rows if r.scope == "team"] == list(SalesTeam.objects.order_by("code")
                                                                   .values_list("pk", flat=True))
    assert rows[-1].scope == "company" and rows[-1].sales_target == Decimal("0.00")


def test_targets_for_the_reports_sum_over_the_months_of_a_period(personas):
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=_entries(personas))
    services.save_month_targets(actor=personas["clerk"], month=NOV, entries=_entries(personas, sales1="1.00"))
    s1 = personas["sales1"].pk

    assert queries.salesperson_targets(date(2026, 10, 1), date(2026, 12, 31))[s1].sales == Decimal("100001.00")
    assert queries.salesperson_targets(date(2026, 11, 15), date(2026, 11, 15))[s1].sales == Decimal("1.00")
    assert queries.team_targets(OCT, NOV)[personas["sales1"].team_id].collection == Decimal("400000.00")
    assert queries.company_target(OCT, OCT).sales == Decimal("900000.00")


# --- the 业绩 measure ----------------------------------------------------------------------------------


def test_performance_amount_picks_the_companys_measure(personas):
    row = {"ordered_amount": Decimal("10.00"), "shipped_amount": Decimal("7.00"), "received_amount": Decimal("3.00")}

    assert queries.performance_amount(row) == Decimal("10.00")
    services.set_performance_measure(actor=personas["gm"], measure="received")
    assert queries.performance_amount(row) == Decimal("3.00")
    assert queries.performance_amount(type("Row", (), {"shipped": Decimal("7.00")})(), "shipped") == Decimal("7.00")
    assert queries.performance_amount({}, "shipped") == Decimal("0.00")


@pytest.mark.parametrize("username", ["admin", "gm"])
def test_the_admin_and_the_gm_change_the_measure_with_history(personas, username):
    services.set_performance_measure(actor=personas[username], measure="shipped")

    profile = CompanyProfile.current()
    assert profile.performance_measure == "shipped"
    assert profile.history.first().history_user == personas[username]


@pytest.mark.parametrize("username", ["clerk", "sales1", "finance", "manager"])
def test_others_cannot_change_the_measure(personas, username):
    with pytest.raises(PermissionDenied):
        services.set_performance_measure(actor=personas[username], measure="shipped")

    assert CompanyProfile.current().performance_measure == "ordered"


def test_an_unknown_measure_is_refused(personas):
    with pytest.raises(InvalidInput):
        services.set_performance_measure(actor=personas["gm"], measure="dreams")

    assert CompanyProfile.current().performance_measure == "ordered"


# --- API ------------------------------------------------------------------------------------------------------


def _body(personas):
    return [
        {"scope": "salesperson", "salesperson_id": personas["sales1"].pk, "sales_target": "100000.00",
         "collection_target": "50000.00"},
        {"scope": "team", "team_id": personas["sales1"].team_id, "sales_target": "300000.00",
         "collection_target": "200000.00"},
        {"scope": "company", "sales_target": "900000.00", "collection_target": "700000.00"},
    ]


def test_the_clerk_puts_a_month_and_a_second_put_updates_it(api, personas):
    clerk = api("clerk")

    first = clerk.put("/api/v1/targets/2026-10", _body(personas))
    body = _body(personas)
    body[0]["sales_target"] = "1.50"
    second = clerk.put("/api/v1/targets/2026-10", body)

    assert first.status_code == second.status_code == 200
    items = second.json()["items"]
    assert second.json()["count"] == 3 == SalesTarget.objects.count()
    mine = next(i for i in items if i["scope"] == "salesperson")
    assert (mine["month"], mine["sales_target"], mine["salesperson_id"]) == ("2026-10", "1.50", personas["sales1"].pk)


@pytest.mark.parametrize("username", ["sales1", "manager", "gm", "finance", "hr"])
def test_only_the_clerk_may_put_targets(api, personas, username):
    assert api(username).put("/api/v1/targets/2026-10", _body(personas)).status_code == 403
    assert not SalesTarget.objects.exists()


def test_put_refuses_bad_lines_with_422_and_unknown_ids_with_404(api, personas):
    clerk = api("clerk")
    negative = _body(personas)
    negative[2]["sales_target"] = "-5.00"
    unknown = _body(personas)
    unknown[0]["salesperson_id"] = 2**40

    assert clerk.put("/api/v1/targets/2026-10", negative).status_code == 422
    assert clerk.put("/api/v1/targets/2026-13", _body(personas)).status_code == 422
    assert clerk.put("/api/v1/targets/2026-10", unknown).status_code == 404
    assert not SalesTarget.objects.exists()


def test_get_lists_the_month_as_the_user_may_see_it(api, personas):
    api("clerk").put("/api/v1/targets/2026-10", _body(personas))
    SalesTargetFactory(salesperson=personas["sales2"], updated_by=personas["clerk"])

    mine = api("sales1").get("/api/v1/targets?month=2026-10").json()
    everything = api("gm").get("/api/v1/targets?month=2026-10").json()

    assert {i["scope"] for i in mine["items"]} == {"salesperson", "team", "company"} and mine["count"] == 3
    assert everything["count"] == 4
    assert api("hr").get("/api/v1/targets?month=2026-10").status_code == 403


# session, user, the permissions (user, groups; cached per request), groups, targets, salespeople, teams,
# heartbeat, unread count
GRID_QUERIES = 10


def test_the_grid_page_runs_a_fixed_number_of_queries_whatever_the_rows(client, personas):
    from salesdesk.core.jobs import beat

    beat()
    client.force_login(personas["clerk"])
    client.get("/team/targets/?month=2026-10")
    with query_budget(GRID_QUERIES):
        client.get("/team/targets/?month=2026-10")
    api_body = [TargetEntry("salesperson", Decimal(9), Decimal(9), salesperson_id=u.pk)
                for u in User.objects.filter(groups__name="salesperson")]
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=api_body)
    with query_budget(GRID_QUERIES):
        response = client.get("/team/targets/?month=2026-10")
    assert response.status_code == 200


def test_the_clerk_saves_the_grid_in_place_with_htmx(client, personas):
    client.force_login(personas["clerk"])
    team = personas["sales1"].team
    data = {"month": "2026-10", f"s-{personas['sales1'].pk}-sales": "12345.60",
            f"s-{personas['sales1'].pk}-collection": "100", f"t-{team.pk}-sales": "50000", "company-sales": "99"}

    response = client.post("/team/targets/?month=2026-10", data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and 'id="target-table"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert SalesTarget.objects.get(scope="salesperson").sales_target == Decimal("12345.60")
    assert SalesTarget.objects.count() == 3


def test_a_bad_amount_in_the_grid_saves_nothing(client, personas):
    client.force_login(personas["clerk"])
    data = {"month": "2026-10", f"s-{personas['sales1'].pk}-sales": "-3", "company-sales": "99"}

    response = client.post("/team/targets/?month=2026-10", data, HTTP_HX_REQUEST="true")

    assert response.status_code == 422 and not SalesTarget.objects.exists()


def test_a_salesperson_reads_the_grid_but_cannot_post_it(client, personas):
    client.force_login(personas["sales1"])

    page = client.get("/team/targets/?month=2026-10").content.decode()
    refused = client.post("/team/targets/?month=2026-10", {"company-sales": "1"})

    assert "save-targets" not in page and personas["sales2"].display_name not in page
    assert refused.status_code == 403 and not SalesTarget.objects.exists()


def test_the_copy_button_copies_last_month(client, personas):
    services.save_month_targets(actor=personas["clerk"], month=OCT, entries=_entries(personas))
    client.force_login(personas["clerk"])

    response = client.post("/team/targets/copy/", {"month": "2026-11"})

    assert response.status_code == 302 and SalesTarget.objects.filter(month=NOV).count() == 3


def test_the_gm_changes_the_measure_on_the_settings_page(client, personas):
    client.force_login(personas["gm"])

    response = client.post("/team/performance/", {"performance_measure": "received"})

    assert response.status_code == 302 and CompanyProfile.current().performance_measure == "received"
