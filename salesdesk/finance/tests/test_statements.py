"""The statement figures (对账单): opening + debits − credits = closing, one entry per document,
periods chain, a payment received in a locked month counts in the first open month with both
dates; issuing refuses what does not tie; send / confirm / dispute move the document."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from salesdesk.core.attachments import list_for
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.models import OutboxMessage
from salesdesk.finance import statements
from salesdesk.finance.models import Statement
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import accounting_date

from .factories import PNG
from .statement_factories import (
    give_back,
    history_customer,
    invoice_fact,
    lock,
    opening,
    pay,
    ship,
    write_off,
)

pytestmark = pytest.mark.django_db

D = Decimal
OCT1, OCT31 = date(2026, 10, 1), date(2026, 10, 31)


def _history(personas):
    """Opening 1000 (Sep 1); Oct: ship 5000 (two credit shares), ship 3000, return 500, receive 4000,
    refund 200, write off 300, an invoice of 5000 (not on the balance)."""
    cust = history_customer(personas)
    opening(personas, cust, "1000.00", date(2026, 9, 1), document_no="QC-001")
    s1 = ship(cust, "5000.00", date(2026, 10, 3), number="FH20261003-0001", split=True)
    ship(cust, "3000.00", date(2026, 10, 10), number="FH20261010-0001")
    give_back(cust, "500.00", date(2026, 10, 12))
    pay(personas, cust, "4000.00", date(2026, 10, 15))
    pay(personas, cust, "200.00", date(2026, 10, 18), refund=True)
    write_off(personas, cust, "300.00", date(2026, 10, 20), s1)
    invoice_fact(cust, "5000.00", date(2026, 10, 5))
    return cust


def test_opening_plus_debits_minus_credits_is_the_closing_balance(personas):
    cust = _history(personas)

    f = statements.statement_for(cust.pk, OCT1, OCT31)

    assert f.opening_balance == D("1000.00")
    assert f.debits == D("5000.00") + D("3000.00") + D("200.00")
    assert f.credits == D("500.00") + D("4000.00") + D("300.00")
    assert f.closing_balance == D("1000.00") + f.debits - f.credits == D("4400.00")
    assert f.closing_balance == statements.balance_at(cust.pk, OCT31)
    assert [e.balance for e in f.entries][-1] == f.closing_balance
    assert statements.tie_problems(f) == []


def test_each_document_is_one_entry_in_date_order_with_its_number_and_side(personas):
    cust = _history(personas)

    f = statements.statement_for(cust.pk, OCT1, OCT31)

    rows = [(e.date, e.kind, e.debit, e.credit) for e in f.entries]
    assert rows == [
        (date(2026, 10, 3), FactKind.SHIPPED, D("5000.00"), D("0.00")),  # two credit shares, one entry
        (date(2026, 10, 10), FactKind.SHIPPED, D("3000.00"), D("0.00")),
        (date(2026, 10, 12), FactKind.RETURNED, D("0.00"), D("500.00")),
        (date(2026, 10, 15), FactKind.RECEIVED, D("0.00"), D("4000.00")),
        (date(2026, 10, 18), FactKind.REFUNDED, D("200.00"), D("0.00")),
        (date(2026, 10, 20), FactKind.WRITTEN_OFF, D("0.00"), D("300.00")),
    ]
    assert f.entries[0].number == "FH20261003-0001"
    assert f.entries[3].number.startswith("HK")  # the payment's number
    assert f.entries[5].number.startswith("HX")  # the write-off's number


def test_invoices_are_listed_apart_and_do_not_move_the_balance(personas):
    cust = _history(personas)

    f = statements.statement_for(cust.pk, OCT1, OCT31)

    assert [(i.kind, i.amount) for i in f.invoices] == [(FactKind.INVOICED, D("5000.00"))]
    assert FactKind.INVOICED not in {e.kind for e in f.entries}
    assert f.closing_balance == D("4400.00")


def test_the_opening_receivable_is_an_entry_of_the_period_it_falls_in(personas):
    cust = _history(personas)

    f = statements.statement_for(cust.pk, date(2026, 9, 1), date(2026, 9, 30))

    assert f.opening_balance == D("0.00")
    assert [(e.kind, e.number, e.debit) for e in f.entries] == [(FactKind.OPENING, "QC-001", D("1000.00"))]
    assert f.closing_balance == D("1000.00")


def test_an_opening_advance_is_a_credit(personas):
    cust = history_customer(personas)
    opening(personas, cust, "800.00", date(2026, 9, 1), advance=True)

    f = statements.statement_for(cust.pk, date(2026, 9, 1), OCT31)

    assert [(e.debit, e.credit) for e in f.entries] == [(D("0.00"), D("800.00"))]
    assert f.closing_balance == D("-800.00")  # negative: an advance received


def test_consecutive_periods_chain(personas):
    cust = _history(personas)

    first = statements.statement_for(cust.pk, OCT1, date(2026, 10, 11))
    second = statements.statement_for(cust.pk, date(2026, 10, 12), OCT31)

    assert first.closing_balance == second.opening_balance == D("9000.00")
    assert second.closing_balance == statements.statement_for(cust.pk, OCT1, OCT31).closing_balance


def test_a_payment_received_in_a_locked_month_counts_in_the_first_open_month_with_both_dates(personas):
    cust = history_customer(personas)
    ship(cust, "6000.00", date(2026, 9, 8))
    lock("2026-09")

    p = pay(personas, cust, "2500.00", date(2026, 9, 30))  # the bank says Sep 30; September is closed

    assert p.accounting_period == "2026-10"
    september = statements.statement_for(cust.pk, date(2026, 9, 1), date(2026, 9, 30))
    october = statements.statement_for(cust.pk, OCT1, OCT31)
    assert september.closing_balance == D("6000.00")  # the locked month's statement does not change
    [entry] = october.entries
    assert (entry.date, entry.business_date, entry.booked_later) == (OCT1, date(2026, 9, 30), True)
    assert (entry.credit, october.opening_balance, october.closing_balance) == (
        D("2500.00"), D("6000.00"), D("3500.00"))


def test_a_late_payment_counts_on_its_accounting_date_even_in_a_period_starting_mid_month(personas):
    cust = history_customer(personas)
    ship(cust, "1000.00", date(2026, 9, 8))
    lock("2026-09")
    pay(personas, cust, "400.00", date(2026, 9, 30))

    before = statements.statement_for(cust.pk, date(2026, 9, 20), date(2026, 9, 30))
    after = statements.statement_for(cust.pk, date(2026, 10, 2), OCT31)

    assert before.closing_balance == D("1000.00")
    assert after.opening_balance == D("600.00")  # booked on Oct 1, before this period started
    assert after.entries == []


# --- the property: random histories ------------------------------------------------------------------
# Histories are written through the same rows the services write (receivables, payments confirmed by
# finance, write-offs, opening balances), so the receivables engine's balance is an oracle too. A
# month may be locked at any point; after that only money can still arrive dated in it (it is then
# booked into the first open month), as the services refuse every other document dated there.

BASE = date(2026, 1, 1)
SPAN = 240  # days of history
DOCS = ("ship", "return", "receive", "refund", "write_off", "opening", "opening_advance", "invoice", "credit_note")
MONEY = ("receive", "refund")

event = st.one_of(
    st.tuples(st.sampled_from(DOCS), st.integers(1, 2_000_000), st.integers(0, SPAN)),
    st.tuples(st.just("lock"), st.integers(1, 8), st.just(0)),
)


def _oracle(customer_id, upto: date | None) -> Decimal:
    """Naive sums over the facts, by accounting date: shipped − returned − receipts + refunds −
    write-offs + opening receivables − opening advances (facts are stored signed)."""
    total = D("0.00")
    for f in Fact.objects.filter(customer_id=customer_id):
        if upto is not None and accounting_date(f.business_date, f.period) > upto:
            continue
        if f.kind in (FactKind.SHIPPED, FactKind.RETURNED, FactKind.OPENING):
            total += f.amount
        elif f.kind in (FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF):
            total -= f.amount
    return total


def _write(personas, cust, events) -> None:
    locked: set[str] = set()
    shipments: list[int] = []
    for doc, fen, offset in events:
        if doc == "lock":
            month = f"2026-{fen:02d}"
            lock(month)
            locked.add(month)
            continue
        on, amount = BASE + timedelta(days=offset), str(D(fen) / 100)
        if f"{on:%Y-%m}" in locked and doc not in MONEY:
            continue  # ensure_open refuses documents dated in a locked month
        if doc == "ship":
            shipments.append(ship(cust, amount, on))
        elif doc == "return":
            give_back(cust, amount, on)
        elif doc in MONEY:
            pay(personas, cust, amount, on, refund=doc == "refund")
        elif doc == "write_off" and shipments:
            write_off(personas, cust, amount, on, shipments[-1])
        elif doc in ("opening", "opening_advance"):
            opening(personas, cust, amount, on, advance=doc == "opening_advance")
        elif doc in ("invoice", "credit_note"):
            invoice_fact(cust, amount, on, credit=doc == "credit_note")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event, min_size=1, max_size=14), cut=st.integers(0, SPAN - 1), gap=st.integers(0, 60))
@example(events=[("ship", 100, SPAN), ("receive", 40, SPAN)], cut=SPAN - 1, gap=0)  # the second period is one day
@example(events=[("lock", 8, 0), ("receive", 1, 212)], cut=0, gap=0)  # booked into September, after `end`
def test_closing_of_one_period_is_the_opening_of_the_next_and_the_customer_balance_for_random_histories(
        personas, events, cut, gap):
    from django.db import transaction

    from salesdesk.finance import receivables

    with transaction.atomic():
        cust = history_customer(personas)
        _write(personas, cust, events)
        start = BASE - timedelta(days=10)
        middle = BASE + timedelta(days=cut)
        end = BASE + timedelta(days=SPAN + gap)

        p1 = statements.statement_for(cust.pk, start, middle)
        p2 = statements.statement_for(cust.pk, middle + timedelta(days=1), end)

        assert p1.opening_balance == D("0.00")
        assert p1.closing_balance == p1.opening_balance + p1.debits - p1.credits == _oracle(cust.pk, middle)
        assert p1.closing_balance == receivables.customer_balance(cust.pk, as_of=middle)
        assert p2.opening_balance == p1.closing_balance
        assert p2.closing_balance == p2.opening_balance + p2.debits - p2.credits
        # money dated in a locked month is booked into the first open one, which may lie after `end`
        assert p2.closing_balance == _oracle(cust.pk, end) == receivables.customer_balance(cust.pk, as_of=end)
        assert statements.tie_problems(p1) == [] and statements.tie_problems(p2) == []
        transaction.set_rollback(True)


# --- issuing and the document's life -----------------------------------------------------------------


def _statement_mails() -> int:
    return OutboxMessage.objects.filter(kind="mail", dedupe_key__startswith="statement-mail:").count()


def test_issuing_snapshots_the_figures_under_a_dz_number_as_a_draft(personas):
    cust = _history(personas)

    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)

    assert s.number.startswith("DZ") and s.status == "draft"
    assert (s.opening_balance, s.debits, s.credits, s.closing_balance) == (
        D("1000.00"), D("8200.00"), D("4800.00"), D("4400.00"))
    assert statements.latest_status(cust.pk, OCT1, OCT31) == "draft"
    assert statements.latest_status(cust.pk, OCT1, date(2026, 10, 29)) == "none"
    assert s.history.count() == 1


def test_a_statement_that_does_not_tie_is_refused_and_nothing_is_written(personas, monkeypatch):
    cust = _history(personas)
    monkeypatch.setattr(statements, "balance_at", lambda customer_id, day: D("1.00"))

    with pytest.raises(DomainError) as refused:
        statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)

    assert refused.value.code == "statement_does_not_tie"
    assert Statement.objects.count() == 0


def test_a_salesperson_may_not_issue_a_statement(personas):
    cust = _history(personas)

    with pytest.raises(PermissionDenied):
        statements.issue_statement(actor=personas["sales1"], customer=cust, start=OCT1, end=OCT31)

    assert Statement.objects.count() == 0


def test_a_period_that_ends_before_it_starts_is_invalid(personas):
    cust = _history(personas)

    with pytest.raises(InvalidInput):
        statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT31, end=OCT1)

    assert Statement.objects.count() == 0


def test_sending_queues_one_mail_with_the_pdf_to_the_finance_contact(personas, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    cust = _history(personas)
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)

    with django_capture_on_commit_callbacks(execute=True):
        s = statements.send_statement(actor=personas["clerk"], statement=s)

    assert (s.status, s.sent_to) == ("sent", "wangkj@example.cn")
    assert _statement_mails() == 1
    [mail] = [m for m in mailoutbox if s.number in m.subject]
    assert mail.to == ["wangkj@example.cn"] and s.number in mail.subject
    [(name, content, mimetype)] = mail.attachments
    assert name.endswith(".pdf") and mimetype == "application/pdf" and content.startswith(b"%PDF")


def test_sending_twice_is_refused_and_queues_no_second_mail(personas):
    cust = _history(personas)
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)
    statements.send_statement(actor=personas["clerk"], statement=s)

    with pytest.raises(DomainError) as refused:
        statements.send_statement(actor=personas["clerk"], statement=Statement.objects.get(pk=s.pk))

    assert refused.value.code == "statement_wrong_status"
    assert _statement_mails() == 1


def test_a_statement_whose_figures_changed_since_issue_is_not_sent(personas):
    cust = _history(personas)
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)
    ship(cust, "100.00", date(2026, 10, 25))  # back-dated into the open month

    with pytest.raises(DomainError) as refused:
        statements.send_statement(actor=personas["clerk"], statement=s)

    assert refused.value.code == "statement_outdated"
    assert Statement.objects.get(pk=s.pk).status == "draft" and _statement_mails() == 0


def test_without_an_address_sending_is_invalid(personas):
    from .factories import customer

    cust = customer(personas)
    ship(cust, "100.00", date(2026, 10, 2))
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)

    with pytest.raises(InvalidInput) as refused:
        statements.send_statement(actor=personas["clerk"], statement=s)

    assert "to" in refused.value.errors and _statement_mails() == 0


def test_the_stamped_scan_confirms_a_sent_statement_and_is_kept(personas):
    cust = _history(personas)
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)
    s = statements.send_statement(actor=personas["clerk"], statement=s)

    s = statements.confirm_statement(actor=personas["clerk"], statement=s,
                                     scan=SimpleUploadedFile("回执.png", PNG, content_type="image/png"))

    assert s.status == "confirmed" and s.confirmed_at is not None
    assert [a.original_name for a in list_for(s)] == ["回执.png"]
    assert [h.status for h in s.history.order_by("history_id")] == ["draft", "sent", "confirmed"]


def test_confirming_without_a_scan_is_invalid_and_changes_nothing(personas):
    cust = _history(personas)
    s = statements.send_statement(actor=personas["clerk"], statement=statements.issue_statement(
        actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31))

    with pytest.raises(InvalidInput):
        statements.confirm_statement(actor=personas["clerk"], statement=s)

    assert Statement.objects.get(pk=s.pk).status == "sent"


def test_a_draft_cannot_be_confirmed_before_it_is_sent(personas):
    cust = _history(personas)
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31)

    with pytest.raises(DomainError) as refused:
        statements.confirm_statement(actor=personas["clerk"], statement=s,
                                     scan=SimpleUploadedFile("回执.png", PNG, content_type="image/png"))

    assert refused.value.code == "statement_wrong_status" and list(list_for(s)) == []


def test_differences_make_it_disputed_and_it_can_be_sent_again(personas):
    cust = _history(personas)
    s = statements.send_statement(actor=personas["clerk"], statement=statements.issue_statement(
        actor=personas["clerk"], customer=cust, start=OCT1, end=OCT31))

    s = statements.dispute_statement(actor=personas["clerk"], statement=s, differences="10月20日核销300元我方未确认")
    assert (s.status, s.differences) == ("disputed", "10月20日核销300元我方未确认")
    s = statements.send_statement(actor=personas["finance"], statement=s)

    assert s.status == "sent" and _statement_mails() == 2
