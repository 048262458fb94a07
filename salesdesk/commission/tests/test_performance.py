"""Performance pay (绩效工资): KPI scoring with unavailable KPIs reweighted, points capped, versions
picked by date, the rules on weights, and the appraisal pages (pinned query counts)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from salesdesk.commission import performance
from salesdesk.commission.models import CommissionRun, Kpi, KpiSet, KpiWeight, PerformanceBase, PerformanceResult
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.models import Customer

from .factories import CustomerFactory, fact, target

pytestmark = pytest.mark.django_db

W = performance.WeightEntry
MONTH = date(2025, 3, 1)
STANDARD = [W(Kpi.COLLECTION_COMPLETION, Decimal(40)), W(Kpi.SALES_COMPLETION, Decimal(30)),
            W(Kpi.NEW_CUSTOMERS, Decimal(10), Decimal(2)), W(Kpi.EXPENSE_RATIO, Decimal(10)),
            W(Kpi.ATTENDANCE, Decimal(10))]


def _set(personas, code="sales-kpi", valid_from=date(2024, 1, 1), weights=STANDARD, name="业务员考核"):
    return performance.create_kpi_set(actor=personas["clerk"], code=code, name=name, valid_from=valid_from,
                                      weights=weights)


def _base(personas, who="sales1", amount="5000.00", valid_from=date(2024, 1, 1), code=""):
    return performance.set_base(actor=personas["clerk"], salesperson=personas[who], amount=Decimal(amount),
                                valid_from=valid_from, kpi_set_code=code)


def _run(period="2025-03", status="draft"):
    return CommissionRun.objects.create(period=period, status=status)


def _old_customer(personas, who="sales1"):
    c = CustomerFactory(salesperson=personas[who])
    Customer.objects.filter(pk=c.pk).update(created_at=timezone.make_aware(datetime(2020, 1, 1, 9)))
    return c


def _created_in(customer, day: date):
    Customer.objects.filter(pk=customer.pk).update(created_at=timezone.make_aware(datetime.combine(day, time(10))))


# --- scoring ---------------------------------------------------------------------------------------


def test_score_and_pay_of_a_month_match_the_figures_worked_by_hand(personas):
    """Base 5 000; 回款 90 000 of 100 000 → 90 points; 下单 250 000 of 200 000 → 125, capped at 120;
    one new customer of 2 → 50; expense and attendance not available, so 40/30/10 become 50/37.5/12.5:
    90 × 0.5 + 120 × 0.375 + 50 × 0.125 = 96.25 → pay 5 000 × 96.25 / 100 = 4 812.50."""
    _set(personas)
    _base(personas)
    target(personas, MONTH, salesperson=personas["sales1"], collection="100000", sales="200000")
    cust = _old_customer(personas)
    fact(personas["clerk"], "received", date(2025, 3, 10), "90000", customer=cust)
    fact(personas["clerk"], "booked", date(2025, 3, 12), "250000", customer=cust)
    _created_in(CustomerFactory(salesperson=personas["sales1"]), date(2025, 3, 20))

    [result] = performance.compute_results(_run())

    assert (result.salesperson, result.base, result.score, result.pay) == (
        personas["sales1"], Decimal("5000.00"), Decimal("96.25"), Decimal("4812.50"))
    details = {d["kpi"]: d for d in result.details}
    assert details["collection_completion"] | {"label": ""} == {
        "kpi": "collection_completion", "label": "", "value": "90000.00", "target": "100000.00", "weight": "40.00",
        "effective_weight": "50.00", "points": "90.00", "available": True}
    assert (details["sales_completion"]["points"], details["sales_completion"]["effective_weight"]) == ("120", "37.50")
    assert (details["new_customers"]["value"], details["new_customers"]["points"]) == ("1", "50.00")
    assert [details[k]["available"] for k in ("expense_ratio", "attendance")] == [False, False]


def test_unavailable_kpis_give_their_weight_to_the_others_in_proportion():
    total, scored = performance.score([
        ("collection_completion", Decimal(40), Decimal(50), Decimal(50)),  # 100 points
        ("sales_completion", Decimal(30), Decimal(25), Decimal(50)),  # 50 points
        ("expense_ratio", Decimal(10), None, None), ("attendance", Decimal(10), None, None),
        ("report_punctuality", Decimal(10), None, None),
    ])
    # (100 × 40 + 50 × 30) / 70 = 78.571…
    assert total == Decimal("78.57")
    assert [s.effective_weight for s in scored] == [Decimal("57.14"), Decimal("42.86"), 0, 0, 0]


def test_points_of_one_kpi_are_capped_at_120_and_never_negative():
    assert performance.points(Decimal(300), Decimal(100)) == Decimal(120)
    assert performance.points(Decimal(-50), Decimal(100)) == Decimal(0)
    assert performance.points(Decimal("1"), Decimal("3")) == Decimal("33.33")


def test_a_salesperson_without_targets_is_scored_on_new_customers_alone(personas):
    _set(personas)
    _base(personas, amount="4000.00")
    _created_in(CustomerFactory(salesperson=personas["sales1"]), date(2025, 3, 3))

    [result] = performance.compute_results(_run())

    details = {d["kpi"]: d for d in result.details}
    assert not details["collection_completion"]["available"] and not details["sales_completion"]["available"]
    assert details["new_customers"]["effective_weight"] == "100.00"
    assert (result.score, result.pay) == (Decimal("50.00"), Decimal("2000.00"))


def test_nothing_available_scores_zero_and_pays_nothing(personas):
    _set(personas, weights=[W(Kpi.ATTENDANCE, Decimal(60)), W(Kpi.REPORT_PUNCTUALITY, Decimal(40))])
    _base(personas)

    [result] = performance.compute_results(_run())

    assert (result.score, result.pay) == (Decimal("0.00"), Decimal("0.00"))


def test_pay_is_rounded_half_up_to_the_fen():
    assert performance.pay(Decimal("3333.33"), Decimal("33.33")) == Decimal("1111.00")  # 1110.999889
    assert performance.pay(Decimal("0.10"), Decimal("5.00")) == Decimal("0.01")  # 0.005


def test_salespeople_without_a_base_get_no_result(personas):
    _set(personas)
    _base(personas, "sales2")

    results = performance.compute_results(_run())

    assert [r.salesperson.username for r in results] == ["sales2"]


def test_recomputing_replaces_the_runs_results(personas):
    _set(personas)
    _base(personas)
    run = _run()
    performance.compute_results(run)
    _base(personas, "sales2")

    performance.compute_results(run)

    assert sorted(PerformanceResult.objects.filter(run=run).values_list("salesperson__username", flat=True)) == [
        "sales1", "sales2"]


# Bases, sets in force, their weights, the company's measure, facts, targets, new customers, delete, insert
# (plus the savepoint around them).
COMPUTE_QUERIES = 11


def test_computing_runs_a_fixed_number_of_queries_whatever_the_salespeople(personas):
    _set(personas)
    _base(personas)
    run = _run()
    with query_budget(COMPUTE_QUERIES):
        performance.compute_results(run)
    for who in ("sales2", "sales3"):
        _base(personas, who)
        target(personas, MONTH, salesperson=personas[who], collection="1000", sales="1000")
    with query_budget(COMPUTE_QUERIES):
        assert len(performance.compute_results(run)) == 3


# --- versions ----------------------------------------------------------------------------------------


def test_the_kpi_set_version_in_force_on_the_months_first_day_scores_it(personas):
    v1 = _set(personas, valid_from=date(2025, 1, 1))
    v2 = performance.add_kpi_version(actor=personas["clerk"], kpi_set=v1, valid_from=date(2025, 6, 1),
                                     weights=[W(Kpi.NEW_CUSTOMERS, Decimal(100), Decimal(4))])
    _base(personas)
    v1.refresh_from_db()

    [may] = performance.compute_results(_run("2025-05"))
    [june] = performance.compute_results(_run("2025-06"))

    assert v1.valid_to == date(2025, 5, 31)
    assert (may.kpi_set, june.kpi_set) == (v1, v2)


def test_the_base_version_valid_by_the_months_end_applies(personas):
    _set(personas, valid_from=date(2025, 1, 1))
    _base(personas, amount="3000.00", valid_from=date(2025, 1, 1))
    _base(personas, amount="4000.00", valid_from=date(2025, 6, 15))

    [may] = performance.compute_results(_run("2025-05"))
    [june] = performance.compute_results(_run("2025-06"))

    assert (may.base, june.base) == (Decimal("3000.00"), Decimal("4000.00"))


def test_a_base_naming_a_set_uses_that_set_and_one_naming_none_is_skipped_when_two_are_in_force(personas):
    _set(personas, code="team-a")
    named = _set(personas, code="team-b", weights=[W(Kpi.NEW_CUSTOMERS, Decimal(100), Decimal(1))])
    _base(personas, "sales1")
    _base(personas, "sales2", code="team-b")

    results = performance.compute_results(_run())

    assert [(r.salesperson.username, r.kpi_set) for r in results] == [("sales2", named)]


def test_a_new_version_must_start_after_the_latest(personas):
    v1 = _set(personas, valid_from=date(2025, 1, 1))

    with pytest.raises(InvalidInput) as exc:
        performance.add_kpi_version(actor=personas["clerk"], kpi_set=v1, valid_from=date(2025, 1, 1))

    assert "生效日期须晚于" in exc.value.message
    assert KpiSet.objects.count() == 1


# --- rules on weights --------------------------------------------------------------------------------


def test_weights_must_total_100_percent(personas):
    with pytest.raises(InvalidInput) as exc:
        _set(personas, weights=[W(Kpi.COLLECTION_COMPLETION, Decimal(40)), W(Kpi.SALES_COMPLETION, Decimal(50))])

    assert exc.value.errors["weights"] == ["权重合计应为 100%，当前为 90% / The weights must total 100 %, now 90.00 %."]
    assert not KpiSet.objects.exists() and not KpiWeight.objects.exists()


def test_the_new_customer_kpi_needs_its_target(personas):
    with pytest.raises(InvalidInput) as exc:
        _set(personas, weights=[W(Kpi.COLLECTION_COMPLETION, Decimal(90)), W(Kpi.NEW_CUSTOMERS, Decimal(10))])

    assert exc.value.errors["weights"][0].startswith("新客户数需要填写目标值")
    assert not KpiSet.objects.exists()


def test_a_version_that_scored_an_approved_run_cannot_be_edited(personas):
    kpi_set = _set(personas)
    _base(personas)
    performance.compute_results(_run(status="approved"))

    with pytest.raises(DomainError) as exc:
        performance.update_kpi_set(actor=personas["clerk"], kpi_set=kpi_set, name="改",
                                   weights=[W(Kpi.COLLECTION_COMPLETION, Decimal(100))])

    assert exc.value.code == "kpi_set_in_use"
    assert KpiSet.objects.get().name == "业务员考核" and KpiWeight.objects.count() == len(STANDARD)


def test_only_a_salesperson_has_a_performance_base(personas):
    with pytest.raises(InvalidInput) as exc:
        _base(personas, "finance")

    assert "salesperson" in exc.value.errors and not PerformanceBase.objects.exists()


def test_finance_cannot_change_kpi_sets(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        performance.create_kpi_set(actor=personas["finance"], code="x", name="x", valid_from=MONTH,
                                   weights=[W(Kpi.COLLECTION_COMPLETION, Decimal(100))])

    assert not KpiSet.objects.exists()


# --- results beside the run --------------------------------------------------------------------------


def test_a_salesperson_sees_only_their_own_result_and_hr_sees_all(personas):
    _set(personas)
    for who in ("sales1", "sales2", "sales3"):
        _base(personas, who)
    run = _run()
    performance.compute_results(run)

    own = [r.salesperson.username for r in performance.visible_results(personas["sales1"], run)]
    team = [r.salesperson.username for r in performance.visible_results(personas["manager"], run)]
    everyone = [r.salesperson.username for r in performance.visible_results(personas["hr"], run)]

    assert (own, team, everyone) == (["sales1"], ["sales1", "sales3"], ["sales1", "sales2", "sales3"])


def test_the_results_table_shows_score_pay_and_the_unavailable_kpis(personas):
    _set(personas)
    _base(personas)
    target(personas, MONTH, salesperson=personas["sales1"], collection="100000", sales="100000")
    fact(personas["clerk"], "received", date(2025, 3, 10), "80000", customer=_old_customer(personas))
    run = _run()
    performance.compute_results(run)

    html = render_to_string("commission/kpi/_results.html", {"results": performance.visible_results(personas["hr"], run)})

    # 回款 80 points × 40/80 + 销售 0 × 30/80 + new customers 0 × 10/80 = 40.00 → 2 000.00
    plain = html.replace(",", "")  # grouping depends on the active locale
    assert "40.00" in plain and "¥2000.00" in plain and "暂无数据" in plain and "80.00 × 50.00%" in plain


def test_computing_a_run_scores_performance_beside_the_commission(personas):
    from salesdesk.commission import services

    _set(personas)
    _base(personas)

    run = services.compute_run(actor=personas["clerk"], period="2025-03")

    assert PerformanceResult.objects.filter(run=run, salesperson=personas["sales1"]).exists()


# --- pages -------------------------------------------------------------------------------------------


@pytest.fixture
def as_user(client, personas):
    def login(username):
        client.force_login(personas[username])
        return client

    return login


def _form(weights: dict[str, str], **fields) -> dict:
    return {**fields, **{f"w_{k}": v for k, v in weights.items()}}


# Session, user, two permission lookups, the page's rows, then the layout: worker heartbeat, first
# user's date, the user's groups (menu), unread notifications. Sets: sets + their weights (2 rows
# queries); bases: salespeople, base versions, sets in force (3).
SET_LIST_QUERIES = 10
BASE_LIST_QUERIES = 11


def test_the_kpi_set_list_runs_a_fixed_number_of_queries(as_user, personas):
    client = as_user("clerk")
    _set(personas)
    client.get("/commission/kpi/")
    with query_budget(SET_LIST_QUERIES):
        assert client.get("/commission/kpi/").status_code == 200
    for i in range(3):
        _set(personas, code=f"more-{i}")
    with query_budget(SET_LIST_QUERIES):
        response = client.get("/commission/kpi/")
    assert response.content.decode().count("回款完成率 40%") == 4


def test_the_base_list_runs_a_fixed_number_of_queries(as_user, personas):
    client = as_user("hr")
    _set(personas)
    _base(personas)
    client.get("/commission/kpi/bases/")
    with query_budget(BASE_LIST_QUERIES):
        assert client.get("/commission/kpi/bases/").status_code == 200
    _base(personas, "sales2")
    _base(personas, "sales3", valid_from=date(2025, 1, 1))
    with query_budget(BASE_LIST_QUERIES):
        response = client.get("/commission/kpi/bases/")
    assert "¥5000.00" in response.content.decode().replace(",", "")


def test_the_clerk_creates_a_kpi_set_on_the_page(as_user):
    client = as_user("clerk")

    response = client.post("/commission/kpi/new/", _form(
        {"collection_completion": "60", "sales_completion": "40"}, code="new-set", name="新考核", valid_from="2025-01-01"))

    kpi_set = KpiSet.objects.get(code="new-set")
    assert response.status_code == 302 and response["Location"] == f"/commission/kpi/{kpi_set.pk}/"
    assert sorted(kpi_set.weights.values_list("kpi", "weight")) == [
        ("collection_completion", Decimal("60.00")), ("sales_completion", Decimal("40.00"))]


def test_weights_not_totalling_100_are_refused_on_the_page_in_chinese(as_user):
    client = as_user("clerk")

    response = client.post("/commission/kpi/new/", _form(
        {"collection_completion": "60", "sales_completion": "30"}, code="new-set", name="新考核", valid_from="2025-01-01"))

    assert response.status_code == 200 and "权重合计应为 100%，当前为 90%" in response.content.decode()
    assert not KpiSet.objects.exists()


def test_a_sales_manager_reads_kpi_sets_but_cannot_change_them(as_user, personas):
    kpi_set = _set(personas)
    client = as_user("manager")

    assert client.get(f"/commission/kpi/{kpi_set.pk}/").status_code == 200
    response = client.post(f"/commission/kpi/{kpi_set.pk}/edit/", _form({"collection_completion": "100"}, name="改"))

    assert response.status_code == 403 and KpiSet.objects.get().name == "业务员考核"


def test_the_gm_adds_a_version_on_the_page(as_user, personas):
    kpi_set = _set(personas, valid_from=date(2025, 1, 1))
    client = as_user("gm")

    response = client.post(f"/commission/kpi/{kpi_set.pk}/version/", _form(
        {"collection_completion": "50", "sales_completion": "50"}, name="新版本", valid_from="2025-07-01"))

    new = KpiSet.objects.get(valid_from=date(2025, 7, 1))
    assert response.status_code == 302 and response["Location"] == f"/commission/kpi/{new.pk}/"
    assert KpiSet.objects.get(pk=kpi_set.pk).valid_to == date(2025, 6, 30)


def test_the_clerk_sets_a_base_on_the_page_and_hr_cannot(as_user, personas):
    form = {"salesperson": personas["sales1"].pk, "amount": "4500", "valid_from": "2025-01-01", "kpi_set_code": ""}

    refused = as_user("hr").post("/commission/kpi/bases/set/", form)
    assert refused.status_code == 403 and not PerformanceBase.objects.exists()

    response = as_user("clerk").post("/commission/kpi/bases/set/", form)

    assert response.status_code == 302
    assert PerformanceBase.objects.get().amount == Decimal("4500.00")


def test_a_missing_kpi_set_is_404(as_user):
    assert as_user("clerk").get("/commission/kpi/999999/").status_code == 404
