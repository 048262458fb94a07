"""R5: ``check_invariants`` finds nothing on consistent books and exactly the injected corruption
otherwise; the command exits non-zero; the nightly job tells the clerks and admins once a day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from salesdesk.commission.models import CommissionLine
from salesdesk.commission.tests import run_factories
from salesdesk.core.invariant_tasks import nightly_check
from salesdesk.core.invariants import check_invariants
from salesdesk.core.models import Notification
from salesdesk.finance.models import Allocation, Statement
from salesdesk.finance.statements import issue_statement
from salesdesk.ledger.models import Fact, RollupDay
from salesdesk.logistics.services import LineRequest, create_shipment, dispatch
from salesdesk.logistics.tests.factories import customer, paid, product, submitted_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(personas):
    """An order paid and half shipped, a pending payment, two chained statements and an approved
    commission month: every check has rows to look at."""
    prod = product("100.00")
    cust = customer(personas)
    order = submitted_order(personas, cust, [(prod, 10, "100.00")])
    payment = paid(personas, cust, "1000.00", order=order)
    paid(personas, cust, "300.00", confirm=False)
    shipment = create_shipment(actor=personas["clerk"], order=order, lines=[LineRequest(prod.pk, Decimal(5))])
    shipment = dispatch(actor=personas["clerk"], shipment=shipment)
    today = timezone.localdate()
    first = issue_statement(actor=personas["finance"], customer=cust, start=date(2026, 10, 1), end=date(2026, 10, 31))
    second = issue_statement(actor=personas["finance"], customer=cust, start=date(2026, 11, 1), end=today)
    run_factories.month_with_money(personas, "2026-10")
    run = run_factories.approved(personas, "2026-10")
    return {"shipment": shipment, "payment": payment, "statements": (first, second), "run": run, "order": order}


def by_check(violations) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in violations:
        out.setdefault(v.check, []).append(v.subject)
    return out


def test_consistent_books_have_no_violation(books):
    assert books["run"].lines.exists()
    assert check_invariants() == []


def test_a_shipped_fact_deleted_by_sql_is_reported_for_its_shipment(books):
    shipment = books["shipment"]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Fact._meta.db_table} WHERE source_kind = 'shipment' AND source_id = %s",  # noqa: S608
                       [shipment.pk])

    found = by_check(check_invariants())

    assert found["shipped_facts"] == [shipment.number]
    assert set(found) == {"shipped_facts", "rollups"}  # the roll-ups still count the deleted fact
    assert all("shipped" in v.detail or "shipped" in v.subject for v in check_invariants(["rollups"]))


def test_an_allocation_above_its_payment_is_reported(books):
    payment = books["payment"]
    Allocation.objects.filter(payment=payment).update(amount=Decimal("1500.00"))

    violations = check_invariants()

    assert [(v.check, v.subject) for v in violations] == [("allocations", payment.number)]


def test_an_edited_rollup_is_reported(books):
    row = RollupDay.objects.filter(kind="shipped").get()
    RollupDay.objects.filter(pk=row.pk).update(amount=F("amount") + 1)

    violations = check_invariants()

    assert [v.check for v in violations] == ["rollups"]
    assert violations[0].subject == f"{RollupDay._meta.db_table} {(row.day, row.salesperson_id, row.team_id, 'shipped')}"


def test_a_changed_statement_opening_breaks_the_chain(books):
    first, second = books["statements"]
    Statement.objects.filter(pk=second.pk).update(opening_balance=second.opening_balance + Decimal("1.00"))

    violations = check_invariants()

    assert [(v.check, v.subject) for v in violations] == [("statement_chain", second.number)]
    assert first.number in violations[0].detail


def test_an_approved_commission_line_that_differs_from_its_items_is_reported(books, personas):
    line = books["run"].lines.get(salesperson=personas["sales1"], kind="computed")
    CommissionLine.objects.filter(pk=line.pk).update(commission_amount=line.commission_amount + Decimal("10.00"))

    violations = check_invariants()

    assert [(v.check, v.subject) for v in violations] == [("commission", "2026-10/sales1")]


def test_the_command_prints_violations_and_exits_non_zero(books, capsys):
    Allocation.objects.filter(payment=books["payment"]).update(amount=Decimal("1500.00"))

    with pytest.raises(CommandError, match="1 violations"):
        call_command("check_invariants")

    assert books["payment"].number in capsys.readouterr().out


def test_the_command_says_ok_on_consistent_books(books, capsys):
    call_command("check_invariants")

    assert "OK" in capsys.readouterr().out


def test_the_nightly_job_notifies_clerk_and_admin_once_a_day(books, personas):
    Allocation.objects.filter(payment=books["payment"]).update(amount=Decimal("1500.00"))

    first = nightly_check()
    nightly_check()

    rows = Notification.objects.filter(kind="invariant_violation")
    assert first.startswith("1 violations")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["admin", "clerk"]


def test_the_nightly_job_notifies_nobody_on_consistent_books(books):
    assert nightly_check() == "0 violations"
    assert not Notification.objects.filter(kind="invariant_violation").exists()
