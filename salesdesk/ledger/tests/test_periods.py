"""Accounting periods: parsing, the lock, ``ensure_open``, where a fact dated in a locked month is
booked, and the month list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Period, PeriodStatus
from salesdesk.ledger.periods import (
    accounting_date,
    accounting_period,
    current_period,
    ensure_open,
    lock_period,
    month_bounds,
    month_of,
    next_month,
    parse_period,
    period_rows,
    previous_month,
)
from salesdesk.ledger.services import FactInput, Share, record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["2026-11", "1999-01", "2026-12"])
def test_a_well_formed_month_parses_to_itself(value):
    assert parse_period(value) == value


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "２０２６-１１", " 2026-11",
                                   "2026-11-01", "", "abcd-ef", "0000-01"])
def test_a_malformed_month_is_invalid_input(value):
    with pytest.raises(InvalidInput) as exc:
        parse_period(value)
    assert exc.value.status_code == 422 and "period" in exc.value.errors


def test_month_arithmetic_crosses_the_year():
    assert (next_month("2026-12"), previous_month("2027-01"), next_month("2026-01")) == ("2027-01", "2026-12", "2026-02")
    assert month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))


def test_finance_locks_a_past_month(personas):
    row = lock_period(actor=personas["finance"], period="2026-10", note="10月结账")

    assert (row.period, row.status, row.locked_by, row.note) == ("2026-10", "locked", personas["finance"], "10月结账")
    assert row.locked_at is not None


def test_locking_twice_keeps_the_first_lock(personas):
    first = lock_period(actor=personas["finance"], period="2026-10")

    again = lock_period(actor=personas["finance"], period="2026-10", note="再次")

    assert (again.pk, again.locked_at, again.note) == (first.pk, first.locked_at, "")
    assert Period.objects.count() == 1


def test_a_future_month_cannot_be_locked(personas):
    future = next_month(current_period())

    with pytest.raises(DomainError) as exc:
        lock_period(actor=personas["finance"], period=future)

    assert exc.value.code == "period_in_future"
    assert not Period.objects.exists()


def test_the_current_month_can_be_locked(personas):
    assert lock_period(actor=personas["finance"], period=current_period()).status == PeriodStatus.LOCKED


@pytest.mark.parametrize("username", ["clerk", "gm", "manager", "sales1", "admin"])
def test_only_finance_locks_a_month(personas, username):
    with pytest.raises(PermissionDenied):
        lock_period(actor=personas[username], period="2026-10")
    assert not Period.objects.exists()


def test_ensure_open_refuses_a_date_in_a_locked_month_only(personas):
    lock_period(actor=personas["finance"], period="2026-10")

    with pytest.raises(DomainError) as exc:
        ensure_open(date(2026, 10, 31), "发票")
    assert exc.value.code == "period_locked" and "2026-10" in exc.value.message and "发票" in exc.value.message
    ensure_open(date(2026, 11, 1))
    ensure_open(date(2026, 9, 30))
    ensure_open(None)


def test_ensure_open_uses_the_callers_locked_set_without_a_query(personas, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(DomainError):
        ensure_open(date(2026, 10, 5), locked={"2026-10"})


def test_a_date_in_a_locked_month_is_booked_into_the_first_open_month(personas):
    lock_period(actor=personas["finance"], period="2026-09")
    lock_period(actor=personas["finance"], period="2026-10")

    assert accounting_period(date(2026, 9, 15)) == "2026-11"
    assert accounting_period(date(2026, 8, 15)) == "2026-08"
    assert accounting_date(date(2026, 9, 15), "2026-11") == date(2026, 11, 1)
    assert accounting_date(date(2026, 11, 15), "2026-11") == date(2026, 11, 15)


def test_a_fact_dated_in_a_locked_month_is_recorded_in_the_next_open_month(personas):
    lock_period(actor=personas["finance"], period="2026-10")
    customer = CustomerFactory(salesperson=personas["sales1"])

    (fact,) = record([FactInput(kind=FactKind.RECEIVED, business_date=date(2026, 10, 30), amount=Decimal("100.00"),
                                customer_id=customer.pk, source_kind="payment", source_id=1,
                                shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=None)

    assert (fact.business_date, fact.period) == (date(2026, 10, 30), "2026-11")


def test_a_fact_cannot_name_a_locked_period(personas):
    lock_period(actor=personas["finance"], period="2026-10")
    customer = CustomerFactory(salesperson=personas["sales1"])

    with pytest.raises(DomainError) as exc:
        record([FactInput(kind=FactKind.RECEIVED, business_date=date(2026, 10, 30), amount=Decimal("1.00"),
                          customer_id=customer.pk, source_kind="payment", source_id=1, period="2026-10",
                          shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=None)
    assert exc.value.code == "period_locked"


def test_the_month_list_runs_from_the_first_fact_to_now_latest_first(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    today = timezone.localdate()
    first = date(today.year - 1, today.month, 1)
    record([FactInput(kind=FactKind.SHIPPED, business_date=first, amount=Decimal("1.00"), customer_id=customer.pk,
                      source_kind="shipment", source_id=1, shares=[Share(personas["sales1"].pk, Decimal(1))])],
           actor=None)
    lock_period(actor=personas["finance"], period=month_of(first))

    rows = period_rows()

    assert len(rows) == 13
    assert (rows[0].period, rows[0].status) == (current_period(), "open")
    assert (rows[-1].period, rows[-1].status, rows[-1].locked_by) == (month_of(first), "locked", personas["finance"])


def test_the_month_list_without_facts_is_the_current_month(personas):
    assert [(r.period, r.status) for r in period_rows()] == [(current_period(), "open")]
