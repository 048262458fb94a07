"""Receivables (finance.receivables): posting from dispatched shipments, term anchors and due dates,
matching oldest first within each order, opening balances, as-of views, aging buckets at their
boundaries, collection notes and the promised-day reminder.

Shipments, returns and write-offs are written here as the rows and facts their services write
(finance's tests do not lean on logistics, and the return and write-off services are built beside)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import JobRun, Notification
from salesdesk.core.registries import figures_for, run_hooks
from salesdesk.customers.models import Customer
from salesdesk.finance import ar_tasks
from salesdesk.finance import receivables as ar
from salesdesk.finance.balances import free_advance
from salesdesk.finance.choices import OpeningKind, ReceivableSource, WriteOffStatus
from salesdesk.finance.models import CollectionNote, OpeningBalance, Receivable, WriteOff
from salesdesk.finance.services import PaymentInput, confirm_payment, record_payment
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Period, PeriodStatus
from salesdesk.ledger.services import FactInput, Share, record

from .factories import customer, order, payment

pytestmark = pytest.mark.django_db

D = Decimal
_ids = itertools.count(900_001)


# --- helpers shared by the receivable tests -------------------------------------------------------------


def credit_customer(personas, owner="sales1", *, days=30, anchor="shipment", settlement="credit") -> Customer:
    return customer(personas, owner, settlement=settlement, credit_days=days, term_anchor=anchor,
                    credit_limit=D("1000000.00"))


def _shares(o) -> list[Share]:
    return [Share(o.salesperson_id, D(1), o.salesperson.team_id)]


def ship(personas, o, amount, on: date) -> Receivable:
    """What dispatching a shipment leaves behind in finance: its receivable and its shipped fact."""
    shipment_id = next(_ids)
    receivable = ar.post_shipment_receivable(
        shipment_id=shipment_id, customer_id=o.customer_id, order_id=o.pk, contract_id=o.contract_id,
        salesperson_id=o.salesperson_id, number=f"FH-T{shipment_id}", amount=D(amount), shipped_on=on)
    record([FactInput(kind=FactKind.SHIPPED, business_date=on, amount=D(amount), customer_id=o.customer_id,
                      order_id=o.pk, contract_id=o.contract_id, source_kind="shipment", source_id=shipment_id,
                      shares=_shares(o))], actor=personas["clerk"])
    return receivable


def give_back(personas, o, amount, on: date) -> None:
    """A return (退货) of goods of the order: its ``returned`` fact."""
    record([FactInput(kind=FactKind.RETURNED, business_date=on, amount=D(amount), customer_id=o.customer_id,
                      order_id=o.pk, contract_id=o.contract_id, source_kind="return", source_id=next(_ids),
                      shares=_shares(o))], actor=personas["clerk"])


def write_off(personas, receivable: Receivable, amount, on: date) -> WriteOff:
    """A recorded bad-debt write-off against the receivable, with its ``written_off`` fact."""
    wo = WriteOff.objects.create(
        number=f"HX-T{next(_ids)}", customer_id=receivable.customer_id, receivable=receivable, amount=D(amount),
        reason="破产", status=WriteOffStatus.RECORDED, requested_by=personas["clerk"], approved_by=personas["gm"],
        recorded_by=personas["finance"], recorded_on=on)
    owner = Customer.objects.select_related("salesperson").get(pk=receivable.customer_id).salesperson
    record([FactInput(kind=FactKind.WRITTEN_OFF, business_date=on, amount=D(amount), customer_id=receivable.customer_id,
                      order_id=receivable.order_id, contract_id=receivable.contract_id, source_kind="writeoff",
                      source_id=wo.pk, shares=[Share(owner.pk, D(1), owner.team_id)])], actor=personas["finance"])
    return wo


def opening(personas, cust, kind, amount, original_on: date, due_on: date | None = None, as_of=date(2026, 1, 1)):
    """An opening balance (期初) as the opening import writes it (receivables get a row of their own)."""
    balance = OpeningBalance.objects.create(customer=cust, kind=kind, document_no=f"QC{next(_ids)}", amount=D(amount),
                                            original_on=original_on, due_on=due_on, as_of=as_of,
                                            created_by=personas["clerk"])
    if kind == OpeningKind.RECEIVABLE:
        return Receivable.objects.create(
            source_kind=ReceivableSource.OPENING, source_id=balance.pk, number=balance.document_no, customer=cust,
            salesperson=cust.salesperson, amount=D(amount), shipped_on=original_on, arises_on=original_on,
            due_on=due_on, period="2026-01")
    return balance


def item_of(receivable: Receivable, as_of: date | None = None) -> ar.OpenItem:
    ledger = ar.build_ledger([receivable.customer_id], as_of=as_of)
    return next(i for i in ledger.items if i.receivable.pk == receivable.pk)


# --- posting and term anchors --------------------------------------------------------------------------


def test_a_dispatched_shipment_posts_its_receivable_from_the_shipments_values(personas):
    cust = credit_customer(personas, days=30)
    o = order(personas, cust, "8000.00")
    shipment = SimpleNamespace(pk=next(_ids), customer_id=cust.pk, order_id=o.pk, order=o, number="FH20261103-0001",
                               value=D("5000.00"), dispatched_at=timezone.make_aware(datetime(2026, 11, 3, 23, 30)))

    run_hooks("shipment_dispatched", shipment=shipment, actor=personas["warehouse"])

    r = Receivable.objects.get(source_kind=ReceivableSource.SHIPMENT, source_id=shipment.pk)
    assert (r.customer_id, r.order_id, r.salesperson_id, r.number, r.amount) == (
        cust.pk, o.pk, o.salesperson_id, "FH20261103-0001", D("5000.00"))
    assert (r.shipped_on, r.arises_on, r.due_on, r.period) == (
        date(2026, 11, 3), date(2026, 11, 3), date(2026, 12, 3), "2026-11")


def test_posting_the_same_shipment_twice_keeps_one_receivable(personas):
    o = order(personas, credit_customer(personas), "8000.00")
    first = ship(personas, o, "1000.00", date(2026, 11, 3))
    again = ar.post_shipment_receivable(shipment_id=first.source_id, customer_id=o.customer_id, order_id=o.pk,
                                        contract_id=None, salesperson_id=None, number="x", amount=D(1),
                                        shipped_on=date(2026, 11, 4))
    assert again.pk == first.pk
    assert Receivable.objects.filter(source_id=first.source_id).count() == 1


def test_month_end_customers_count_from_the_last_day_of_the_dispatch_month(personas):
    o = order(personas, credit_customer(personas, days=30, anchor="month_end", settlement="monthly"), "8000.00")
    r = ship(personas, o, "1000.00", date(2026, 2, 10))
    assert (r.arises_on, r.due_on) == (date(2026, 2, 28), date(2026, 3, 30))


def test_prepaid_customers_owe_at_once(personas):
    o = order(personas, credit_customer(personas, days=30, settlement="prepaid"), "8000.00")
    r = ship(personas, o, "1000.00", date(2026, 11, 3))
    assert (r.arises_on, r.due_on) == (date(2026, 11, 3), date(2026, 11, 3))


def test_delivery_term_receivables_wait_for_the_signing_day(personas):
    o = order(personas, credit_customer(personas, days=15, anchor="delivery"), "8000.00")
    r = ship(personas, o, "1000.00", date(2025, 1, 3))
    assert r.arises_on is None and r.due_on is None
    assert item_of(r, date(2026, 11, 1)).bucket == "not_due"  # unanchored: not yet due, however old

    delivered = SimpleNamespace(pk=r.source_id, delivered_at=timezone.make_aware(datetime(2025, 1, 6, 9, 0)))
    run_hooks("shipment_delivered", shipment=delivered, actor=personas["warehouse"])

    r.refresh_from_db()
    assert (r.arises_on, r.due_on) == (date(2025, 1, 6), date(2025, 1, 21))


def test_invoice_term_receivables_start_when_the_invoice_is_issued(personas):
    invoiced = order(personas, credit_customer(personas, days=30, anchor="invoice"), "8000.00")
    by_dispatch = order(personas, credit_customer(personas, days=30), "8000.00")
    r = ship(personas, invoiced, "1000.00", date(2026, 11, 3))
    other = ship(personas, by_dispatch, "1000.00", date(2026, 11, 3))
    assert r.due_on is None

    anchored = ar.anchor_receivables(order_ids=[invoiced.pk, by_dispatch.pk], event="invoice", on=date(2026, 11, 10))

    r.refresh_from_db()
    other.refresh_from_db()
    assert anchored == 1
    assert (r.arises_on, r.due_on) == (date(2026, 11, 10), date(2026, 12, 10))
    assert other.arises_on == date(2026, 11, 3)  # a dispatch-term customer's receivable is not moved


def test_an_anchor_never_precedes_the_dispatch(personas):
    o = order(personas, credit_customer(personas, days=10, anchor="invoice"), "8000.00")
    r = ship(personas, o, "1000.00", date(2026, 11, 3))
    ar.anchor_receivables(shipment_ids=[r.source_id], event="invoice", on=date(2026, 10, 20))  # invoiced ahead
    r.refresh_from_db()
    assert (r.arises_on, r.due_on) == (date(2026, 11, 3), date(2026, 11, 13))


# --- matching ----------------------------------------------------------------------------------------


def test_money_on_an_order_settles_its_oldest_receivable_first(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    later = ship(personas, o, "3000.00", date(2026, 10, 20))
    older = ship(personas, o, "2000.00", date(2026, 10, 1))
    payment(personas, cust, "2500.00", order=o, confirm=True, received_on=date(2026, 10, 25))

    assert item_of(older).open_amount == D("0.00")
    assert item_of(later).open_amount == D("2500.00")
    assert [i.receivable.pk for i in ar.open_items([cust.pk])] == [later.pk]


def test_a_write_off_first_reduces_its_own_receivable(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    older = ship(personas, o, "1000.00", date(2026, 9, 1))
    newer = ship(personas, o, "1000.00", date(2026, 9, 15))
    write_off(personas, newer, "1000.00", date(2026, 11, 1))
    payment(personas, cust, "600.00", order=o, confirm=True)

    assert (item_of(newer).written_off, item_of(newer).open_amount) == (D("1000.00"), D("0.00"))
    assert item_of(older).open_amount == D("400.00")


def test_returns_credit_the_orders_receivables_oldest_first(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    older = ship(personas, o, "1000.00", date(2026, 9, 1))
    newer = ship(personas, o, "1000.00", date(2026, 9, 15))
    give_back(personas, o, "1500.00", date(2026, 10, 1))

    assert (item_of(older).open_amount, item_of(newer).open_amount) == (D("0.00"), D("500.00"))


def test_money_left_over_on_an_order_is_the_customers_advance(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    ship(personas, o, "1000.00", date(2026, 11, 1))
    payment(personas, cust, "1500.00", order=o, confirm=True)
    payment(personas, cust, "300.00", confirm=True)  # not on any order

    pos = ar.positions(ar.build_ledger([cust.pk]))[cust.pk]
    assert (pos.receivable, pos.advance, pos.balance) == (D("0.00"), D("800.00"), D("-800.00"))
    assert ar.customer_balance(cust.pk) == D("-800.00")


def test_opening_receivables_are_settled_by_money_not_allocated_to_any_order(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    old = opening(personas, cust, OpeningKind.RECEIVABLE, "700.00", date(2025, 6, 1), date(2025, 7, 1))
    older = opening(personas, cust, OpeningKind.RECEIVABLE, "500.00", date(2025, 3, 1), date(2025, 4, 1))
    shipped = ship(personas, o, "1000.00", date(2026, 11, 1))
    payment(personas, cust, "900.00", confirm=True)  # unallocated money
    payment(personas, cust, "200.00", order=o, confirm=True)  # stays on its order

    assert item_of(older).open_amount == D("0.00")
    assert item_of(old).open_amount == D("300.00")
    assert item_of(shipped).open_amount == D("800.00")


def test_money_matched_to_opening_receivables_is_not_free_at_the_gate(personas):
    cust = credit_customer(personas)
    opening(personas, cust, OpeningKind.RECEIVABLE, "700.00", date(2025, 6, 1), date(2025, 7, 1))
    payment(personas, cust, "1000.00", confirm=True)
    assert free_advance(cust.pk) == D("300.00")


def test_opening_advances_settle_opening_receivables_before_payments_do(personas):
    cust = credit_customer(personas)
    opening(personas, cust, OpeningKind.RECEIVABLE, "700.00", date(2025, 6, 1), date(2025, 7, 1))
    opening(personas, cust, OpeningKind.ADVANCE, "500.00", date(2025, 8, 1))
    payment(personas, cust, "1000.00", confirm=True)
    assert free_advance(cust.pk) == D("800.00")
    assert ar.customer_balance(cust.pk) == D("700.00") - D("500.00") - D("1000.00")


def test_the_gate_reads_the_unpaid_opening_balance(personas):
    cust = credit_customer(personas)
    opening(personas, cust, OpeningKind.RECEIVABLE, "700.00", date(2025, 6, 1), date(2025, 7, 1))
    payment(personas, cust, "250.00", confirm=True)
    figures = figures_for(Customer, [cust], None)[cust.pk]
    assert figures["unpaid_opening_balance"] == D("450.00")


# --- as of a day --------------------------------------------------------------------------------------


def test_as_of_leaves_out_later_shipments_returns_and_write_offs(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    first = ship(personas, o, "1000.00", date(2026, 9, 1))
    ship(personas, o, "2000.00", date(2026, 10, 15))
    give_back(personas, o, "100.00", date(2026, 10, 20))
    write_off(personas, first, "50.00", date(2026, 10, 25))

    items = ar.build_ledger([cust.pk], as_of=date(2026, 10, 1)).items
    assert [(i.receivable.pk, i.open_amount) for i in items] == [(first.pk, D("1000.00"))]
    assert ar.customer_balance(cust.pk, as_of=date(2026, 10, 1)) == D("1000.00")
    assert ar.customer_balance(cust.pk, as_of=date(2026, 10, 31)) == D("2850.00")


def test_money_allocated_after_the_day_is_an_unmatched_advance_on_that_day(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    r = ship(personas, o, "1000.00", date(2026, 9, 1))
    payment(personas, cust, "1000.00", order=o, confirm=True, received_on=date(2026, 9, 20))  # allocated today

    on_the_day = ar.build_ledger([cust.pk], as_of=date(2026, 9, 30))
    assert on_the_day.items[0].open_amount == D("1000.00")
    assert on_the_day.advances == {cust.pk: D("1000.00")}
    assert ar.customer_balance(cust.pk, as_of=date(2026, 9, 30)) == D("0.00")
    assert item_of(r).open_amount == D("0.00")


def test_money_booked_into_a_later_month_counts_from_that_month(personas):
    cust = credit_customer(personas)
    Period.objects.create(period="2026-10", status=PeriodStatus.LOCKED)
    p = payment(personas, cust, "400.00", received_on=date(2026, 10, 28))
    confirm_payment(actor=personas["finance"], payment=p, period="2026-11")
    assert ar.customer_balance(cust.pk, as_of=date(2026, 10, 31)) == D("0.00")
    assert ar.customer_balance(cust.pk, as_of=date(2026, 11, 1)) == D("-400.00")


# --- aging --------------------------------------------------------------------------------------------

AS_OF = date(2026, 11, 27)


@pytest.mark.parametrize(("days_past_due", "bucket"), [
    (0, "not_due"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (365, "181-365"), (366, ">365"),
])
def test_aging_buckets_count_days_past_due(personas, days_past_due, bucket):
    cust = credit_customer(personas, days=30)
    o = order(personas, cust, "9000.00")
    r = ship(personas, o, "1234.56", AS_OF - timedelta(days=30 + days_past_due))
    assert r.due_on == AS_OF - timedelta(days=days_past_due)

    report = ar.aging(Customer.objects.filter(pk=cust.pk), as_of=AS_OF)

    row = report.rows[0]
    assert row.by_bucket == {b: (D("1234.56") if b == bucket else D("0.00")) for b in ar.BUCKETS}
    assert row.overdue == (D("0.00") if bucket == "not_due" else D("1234.56"))
    assert report.totals.by_bucket[bucket] == D("1234.56")


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-30"), (30, "0-30"), (31, "31-60"), (365, "181-365"), (366, ">365")])
def test_age_since_shipment_counts_days_from_dispatch(personas, days, bucket):
    cust = credit_customer(personas, days=90, anchor="delivery")  # not anchored: not due, yet old
    o = order(personas, cust, "9000.00")
    ship(personas, o, "100.00", AS_OF - timedelta(days=days))

    row = ar.aging(Customer.objects.filter(pk=cust.pk), as_of=AS_OF, basis="shipment").rows[0]
    assert row.by_bucket[bucket] == D("100.00")
    assert row.overdue == D("0.00")


# The payment is allocated "now": aging as of AS_OF counts allocations made by its end, so the test runs on
# AS_OF itself (it failed after midnight Beijing time, when "now" was the next day).
@time_machine.travel(timezone.make_aware(datetime(2026, 11, 27, 12, 0)), tick=True)
def test_aging_overdue_is_everything_past_due_and_settled_customers_have_no_row(personas):
    cust = credit_customer(personas, days=30)
    settled = credit_customer(personas, days=30)
    o, s = order(personas, cust, "9000.00"), order(personas, settled, "9000.00")
    ship(personas, o, "100.00", AS_OF - timedelta(days=40))  # 10 days past due
    ship(personas, o, "200.00", AS_OF - timedelta(days=200))  # 170 days past due
    ship(personas, o, "400.00", AS_OF - timedelta(days=5))  # not due
    ship(personas, s, "100.00", AS_OF - timedelta(days=40))
    payment(personas, settled, "100.00", order=s, confirm=True)

    report = ar.aging(Customer.objects.filter(pk__in=[cust.pk, settled.pk]), as_of=AS_OF)

    assert [r.customer_id for r in report.rows] == [cust.pk]
    assert (report.totals.total, report.totals.overdue) == (D("700.00"), D("300.00"))


# --- collection notes ------------------------------------------------------------------------------------


def test_a_salesperson_records_a_collection_note_with_a_promise(personas):
    cust = credit_customer(personas, "sales1")
    r = ship(personas, order(personas, cust, "9000.00"), "500.00", date(2026, 10, 1))
    note = ar.record_collection_note(actor=personas["sales1"], customer=cust, receivable=r,
                                     contacted_on=date(2026, 11, 20), channel="phone", contact_name=" 王会计 ",
                                     promised_on=date(2026, 11, 30), promised_amount=D("500"), result="月底付清")
    assert (note.contact_name, note.promised_amount, note.by_id, note.receivable_id) == (
        "王会计", D("500.00"), personas["sales1"].pk, r.pk)


def test_a_promise_before_the_contact_is_refused_and_nothing_is_written(personas):
    cust = credit_customer(personas, "sales1")
    with pytest.raises(InvalidInput) as refused:
        ar.record_collection_note(actor=personas["clerk"], customer=cust, contacted_on=date(2026, 11, 20),
                                  channel="phone", promised_on=date(2026, 11, 19), result="答应付款")
    assert "promised_on" in refused.value.errors
    assert not CollectionNote.objects.exists()


def test_a_receivable_of_another_customer_is_refused(personas):
    cust, other = credit_customer(personas), credit_customer(personas)
    r = ship(personas, order(personas, other, "9000.00"), "500.00", date(2026, 10, 1))
    with pytest.raises(InvalidInput):
        ar.record_collection_note(actor=personas["clerk"], customer=cust, receivable=r,
                                  contacted_on=date(2026, 11, 20), channel="visit", result="拒付")
    assert not CollectionNote.objects.exists()


def test_the_warehouse_may_not_record_collection_notes(personas):
    cust = credit_customer(personas)
    with pytest.raises(PermissionDenied):
        ar.record_collection_note(actor=personas["warehouse"], customer=cust, contacted_on=date(2026, 11, 20),
                                  channel="phone", result="x")
    assert not CollectionNote.objects.exists()


def test_the_owner_is_reminded_on_the_promised_day_once(personas):
    cust = credit_customer(personas, "sales1")
    ship(personas, order(personas, cust, "9000.00"), "500.00", date(2026, 10, 1))
    today = timezone.localdate()
    ar.record_collection_note(actor=personas["clerk"], customer=cust, contacted_on=today, channel="phone",
                              promised_on=today, promised_amount=D("500.00"), result="今天付")
    ar.record_collection_note(actor=personas["clerk"], customer=cust, contacted_on=today, channel="phone",
                              promised_on=today + timedelta(days=1), result="明天付")

    ar_tasks.collection_promise_reminders()
    ar_tasks.collection_promise_reminders()

    notes = Notification.objects.filter(kind="collection_promise")
    assert sorted(n.recipient.username for n in notes) == ["clerk", "sales1"]
    assert "¥500.00" in notes[0].title and "¥500.00" in notes[0].body
    runs = JobRun.objects.filter(name="finance.collection_promises").order_by("id")
    assert [(r.status, r.output) for r in runs] == [("succeeded", "1"), ("succeeded", "0")]


def test_refunds_beyond_the_unallocated_money_settle_nothing(personas):
    cust = credit_customer(personas)
    o = order(personas, cust, "9000.00")
    old = opening(personas, cust, OpeningKind.RECEIVABLE, "700.00", date(2025, 6, 1), date(2025, 7, 1))
    payment(personas, cust, "1000.00", order=o, confirm=True)
    refund = record_payment(actor=personas["finance"], data=PaymentInput(
        customer=cust, amount=D("300.00"), received_on=date(2026, 11, 5), method="bank_transfer", kind="refund"))
    confirm_payment(actor=personas["finance"], payment=refund)  # paid back out of money sitting on the order

    assert item_of(old).open_amount == D("700.00")
    assert ar.customer_balance(cust.pk) == D("700.00") - D("1000.00") + D("300.00")


def test_an_invoice_for_some_shipments_of_an_order_starts_only_those(personas):
    o = order(personas, credit_customer(personas, days=30, anchor="invoice"), "8000.00")
    invoiced = ship(personas, o, "1000.00", date(2026, 11, 3))
    not_yet = ship(personas, o, "500.00", date(2026, 11, 4))

    ar.anchor_receivables(order_ids=[o.pk], shipment_ids=[invoiced.source_id], event="invoice", on=date(2026, 11, 10))

    invoiced.refresh_from_db()
    not_yet.refresh_from_db()
    assert invoiced.due_on == date(2026, 12, 10) and not_yet.due_on is None
