"""Status changes (race-safe activation, expiry job), the summaries and the alerts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.contracts import queries, services
from salesdesk.contracts.models import Contract
from salesdesk.core.errors import ConcurrentChange, DomainError
from salesdesk.core.models import JobRun
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record

from .factories import make_contract

pytestmark = pytest.mark.django_db


def money_in(contract, amount: str, kind=FactKind.RECEIVED, day=date(2026, 3, 1)):
    record([FactInput(kind=kind, business_date=day, amount=Decimal(amount), customer_id=contract.customer_id,
                      source_kind="t", source_id=1, contract_id=contract.pk,
                      shares=[Share(contract.salesperson_id, Decimal(1))])], actor=None)


def booked(contract, product, amount: str, day: date):
    record([FactInput(kind=FactKind.BOOKED, business_date=day, amount=Decimal(amount), quantity=Decimal(1),
                      product_id=product.pk, customer_id=contract.customer_id, source_kind="t", source_id=1,
                      contract_id=contract.pk, shares=[Share(contract.salesperson_id, Decimal(1))])], actor=None)


# --- activation race ---------------------------------------------------------------------------------


def test_the_second_of_two_racing_activations_loses_cleanly(personas):
    contract = make_contract(personas)
    first_view = Contract.objects.get(pk=contract.pk)
    second_view = Contract.objects.get(pk=contract.pk)  # read before the first activation committed

    services.activate_contract(actor=personas["clerk"], contract=first_view)
    with pytest.raises(ConcurrentChange):
        services.activate_contract(actor=personas["sales1"], contract=second_view)

    contract.refresh_from_db()
    assert contract.status == "active"
    assert contract.history.filter(status="active").count() == 1  # one activation recorded, not two
    assert contract.history.latest().history_user == personas["clerk"]


def test_activation_is_one_conditional_update_on_the_draft_status(personas):
    contract = make_contract(personas)
    contract = Contract.objects.select_related("customer").get(pk=contract.pk)
    personas["clerk"].has_perm("contracts.activate_contract")  # permissions cached, as in a request

    with query_budget(20, exact=False) as ctx:
        services.activate_contract(actor=personas["clerk"], contract=contract)

    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert any('"status" = \'draft\'' in sql or "status\" = %s" in sql or "'draft'" in sql for sql in updates)


def test_a_terminated_contract_cannot_be_activated_or_completed(personas):
    contract = make_contract(personas, activate=True)
    services.terminate_contract(actor=personas["clerk"], contract=contract, reason="客户倒闭")

    with pytest.raises(DomainError):
        services.complete_contract(actor=personas["clerk"], contract=contract)
    with pytest.raises(DomainError):
        services.activate_contract(actor=personas["clerk"], contract=contract)
    contract.refresh_from_db()
    assert contract.status == "terminated"


# --- the nightly expiry ----------------------------------------------------------------------------------


def test_the_nightly_job_expires_active_contracts_past_their_end_and_records_its_run(personas):
    today = timezone.localdate()
    past = make_contract(personas, activate=True, signed_on=date(2020, 1, 1), starts_on=date(2020, 1, 1),
                         ends_on=today - timedelta(days=1))
    running = make_contract(personas, activate=True, ends_on=today)
    draft = make_contract(personas, signed_on=date(2020, 1, 1), starts_on=date(2020, 1, 1),
                          ends_on=today - timedelta(days=3))
    from salesdesk.contracts.tasks import expire_contracts

    output = expire_contracts.call_local()

    assert output == "expired 1"
    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert (statuses[past.pk], statuses[running.pk], statuses[draft.pk]) == ("expired", "active", "draft")
    run = JobRun.objects.get(name="contracts.expire_contracts")
    assert (run.status, run.output) == ("succeeded", "expired 1")
    assert past.history.latest().history_change_reason.startswith("已过结束日期")
    assert services.expire_contracts() == 0  # idempotent


# --- summary ----------------------------------------------------------------------------------------------


def test_the_summary_groups_by_salesperson_customer_and_product_with_rates(personas):
    p1, p2 = ProductFactory(), ProductFactory()
    lines = [services.LineInput(p1, Decimal(10), Decimal(100)), services.LineInput(p2, Decimal(5), Decimal(200))]
    a = make_contract(personas, "sales1", lines=lines, activate=True, signed_on=date(2026, 4, 2))  # 2000.00
    b = make_contract(personas, "sales1", activate=True, signed_on=date(2026, 5, 20))  # 11300.00
    c = make_contract(personas, "sales2", activate=True, signed_on=date(2026, 6, 30))  # 11300.00
    make_contract(personas, "sales2", signed_on=date(2026, 5, 1))  # a draft: not counted
    make_contract(personas, "sales3", activate=True, signed_on=date(2026, 7, 1))  # next quarter
    record([FactInput(kind=FactKind.SHIPPED, business_date=date(2026, 8, 1), amount=Decimal(500), quantity=Decimal(5),
                      product_id=p1.pk, customer_id=a.customer_id, source_kind="t", source_id=1, contract_id=a.pk,
                      shares=[Share(personas["sales3"].pk, Decimal(1))])], actor=None)  # credited to someone else
    money_in(a, "1000.00")
    money_in(c, "11300.00")

    by_sp = queries.summary(personas["clerk"], "quarter", date(2026, 5, 5), "salesperson")
    by_product = queries.summary(personas["clerk"], "quarter", date(2026, 5, 5), "product")
    month = queries.summary(personas["clerk"], "month", date(2026, 5, 5), "customer")

    rows = {r.key: r for r in by_sp.rows}
    assert (by_sp.start, by_sp.end) == (date(2026, 4, 1), date(2026, 6, 30))
    s1, s2 = rows[personas["sales1"].pk], rows[personas["sales2"].pk]
    assert (s1.contracts, s1.value, s1.shipped_amount, s1.received_amount) == (2, Decimal("13300.00"),
                                                                               Decimal("500.00"), Decimal("1000.00"))
    assert (s1.fulfilment_rate, s1.collection_rate) == (Decimal("0.0376"), Decimal("0.0752"))
    assert (s2.contracts, s2.collection_rate) == (1, Decimal("1.0000"))
    assert by_sp.totals.contracts == 3 and by_sp.totals.value == Decimal("24600.00")
    assert by_sp.totals.received_amount == Decimal("12300.00")
    products = {r.key: r for r in by_product.rows}
    assert (products[p1.pk].value, products[p1.pk].shipped_amount, products[p1.pk].received_amount) == (
        Decimal("1000.00"), Decimal("500.00"), None)
    assert [r.key for r in month.rows] == [b.customer_id]


def test_the_summary_shows_a_manager_only_the_team(personas):
    make_contract(personas, "sales1", activate=True)
    make_contract(personas, "sales2", activate=True)

    result = queries.summary(personas["manager"], "month", date(2026, 1, 20), "salesperson")

    assert [r.key for r in result.rows] == [personas["sales1"].pk]


def test_the_summary_runs_a_fixed_number_of_queries(personas):
    for owner in ("sales1", "sales2", "sales3") * 3:
        money_in(make_contract(personas, owner, activate=True), "10.00")

    with query_budget(5):  # contracts and facts GROUP BY, the labels, the totals of contracts and of facts
        queries.summary(personas["clerk"], "month", date(2026, 1, 20), "salesperson")


# --- alerts ------------------------------------------------------------------------------------------------


def test_expiring_lists_active_contracts_ending_within_n_days(personas):
    today = date(2026, 6, 1)
    soon = make_contract(personas, activate=True, ends_on=date(2026, 6, 20))
    make_contract(personas, activate=True, ends_on=date(2026, 9, 1))  # later
    make_contract(personas, ends_on=date(2026, 6, 10))  # a draft
    other = make_contract(personas, "sales2", activate=True, ends_on=date(2026, 6, 5))

    assert [c.pk for c in queries.expiring(personas["clerk"], 30, today)] == [other.pk, soon.pk]
    assert [c.pk for c in queries.expiring(personas["sales1"], 30, today)] == [soon.pk]


def test_instalments_due_soon_or_overdue_and_not_fully_received(personas):
    today = date(2026, 6, 1)
    contract = make_contract(personas, activate=True, instalments=[
        services.InstalmentInput(date(2026, 3, 1), Decimal("3000.00")),  # paid
        services.InstalmentInput(date(2026, 5, 1), Decimal("3000.00")),  # half paid, overdue
        services.InstalmentInput(date(2026, 6, 5), Decimal("3000.00")),  # due within 7 days
        services.InstalmentInput(date(2026, 8, 1), Decimal("2300.00")),  # later
    ])
    money_in(contract, "4500.00")

    due = queries.instalments_due(personas["clerk"], 7, today)

    assert [(d.instalment.seq, d.instalment.outstanding_amount, d.instalment.overdue, d.days_left) for d in due] == [
        (2, Decimal("1500.00"), True, -31), (3, Decimal("3000.00"), False, 4),
    ]
    assert queries.instalments_due(personas["sales2"], 7, today) == []


def test_idle_lists_active_contracts_without_an_order_for_n_days(personas):
    today = date(2026, 6, 1)
    product = ProductFactory()
    quiet = make_contract(personas, activate=True, starts_on=date(2026, 1, 1))
    busy = make_contract(personas, activate=True, starts_on=date(2026, 1, 1))
    lapsed = make_contract(personas, activate=True, starts_on=date(2026, 1, 1))
    make_contract(personas, activate=True, starts_on=date(2026, 5, 20))  # too new to be idle
    booked(busy, product, "10", date(2026, 5, 25))
    booked(lapsed, product, "10", date(2026, 3, 1))

    idle = list(queries.idle(personas["clerk"], 30, today))

    assert [c.pk for c in idle] == [quiet.pk, lapsed.pk]
    assert [c.last_order_on for c in idle] == [None, date(2026, 3, 1)]


def test_alerts_through_the_api(api, personas):
    today = timezone.localdate()
    make_contract(personas, activate=True, starts_on=today - timedelta(days=100), ends_on=today + timedelta(days=3),
                  signed_on=today - timedelta(days=100),
                  instalments=[services.InstalmentInput(today - timedelta(days=1), Decimal("11300.00"))])

    data = api("sales1").get("/api/v1/contracts/alerts").json()
    other = api("sales2").get("/api/v1/contracts/alerts").json()

    assert (len(data["expiring"]), len(data["instalments"]), len(data["idle"])) == (1, 1, 1)
    assert data["instalments"][0]["overdue"] is True
    assert (other["expiring"], other["instalments"], other["idle"]) == ([], [], [])


def test_summary_through_the_api(api, personas):
    contract = make_contract(personas, activate=True)
    money_in(contract, "5650.00")

    data = api("gm").get("/api/v1/contracts/summary?period=month&date=2026-01-31&group_by=customer").json()

    assert data["period"] == {"kind": "month", "start": "2026-01-01", "end": "2026-01-31"}
    assert data["rows"] == [{"key": contract.customer_id, "label": contract.customer.name, "contracts": 1,
                             "value": "11300.00", "shipped_amount": "0.00", "received_amount": "5650.00",
                             "fulfilment_rate": "0.0000", "collection_rate": "0.5000"}]
    assert data["totals"]["value"] == "11300.00"
    assert api("hr").get("/api/v1/contracts/summary").status_code == 403
