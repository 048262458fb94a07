"""A customer's history for the statement tests, written the way the documents write it: ledger
facts (one per credit share) with the finance rows a statement reads numbers from. Shipments and
returns are facts only (finance's tests do not lean on logistics); payments are real payments
confirmed by finance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Period, PeriodStatus
from salesdesk.ledger.periods import accounting_period
from salesdesk.ledger.services import FactInput, Share, record

from ..models import OpeningBalance, Receivable, WriteOff
from .factories import customer, payment

_seq = {"n": 0}


def _next() -> int:
    _seq["n"] += 1
    return 73_000_000 + _seq["n"]  # clear of other factories' fake source ids


def _shares(cust) -> list[Share]:
    sp = cust.salesperson
    return [Share(salesperson_id=sp.pk, share=Decimal(1), team_id=sp.team_id)]


def _fact(cust, kind, amount, on: date, source_kind: str, source_id: int, *, actor=None, split=False, **extra):
    shares = _shares(cust)
    if split:  # two credit shares: the statement must add them back into one document
        sp = cust.salesperson
        shares = [Share(salesperson_id=sp.pk, share=Decimal("0.7"), team_id=sp.team_id),
                  Share(salesperson_id=sp.pk, share=Decimal("0.3"), team_id=sp.team_id)]
    return record([FactInput(kind=kind, business_date=on, amount=Decimal(amount), customer_id=cust.pk,
                             source_kind=source_kind, source_id=source_id, shares=shares, **extra)], actor=actor)


def ship(cust, amount, on: date, *, number: str | None = None, split=False) -> int:
    """A dispatched shipment: its receivable (the number a statement prints) and its shipped facts."""
    sid = _next()
    number = number or f"FH{on:%Y%m%d}-{sid % 10000:04d}"
    Receivable.objects.create(source_kind="shipment", source_id=sid, number=number, customer=cust,
                              amount=Decimal(amount), shipped_on=on, arises_on=on, due_on=on,
                              period=accounting_period(on), salesperson=cust.salesperson)
    _fact(cust, FactKind.SHIPPED, amount, on, "shipment", sid, split=split)
    return sid


def give_back(cust, amount, on: date) -> int:
    """Goods returned (a return of logistics: a negative shipped-measure fact)."""
    rid = _next()
    _fact(cust, FactKind.RETURNED, amount, on, "return", rid)
    return rid


def pay(personas, cust, amount, on: date, *, refund=False):
    """A payment received ``on`` and confirmed by finance (received / refunded facts)."""
    from salesdesk.finance.services import PaymentInput, confirm_payment, record_payment

    if not refund:
        return payment(personas, cust, amount, received_on=on, confirm=True)
    p = record_payment(actor=personas["finance"], data=PaymentInput(
        customer=cust, amount=Decimal(amount), received_on=on, method="bank_transfer", kind="refund"))
    return confirm_payment(actor=personas["finance"], payment=p)


def write_off(personas, cust, amount, on: date, receivable_source: int) -> WriteOff:
    receivable = Receivable.objects.get(source_kind="shipment", source_id=receivable_source)
    wo = WriteOff.objects.create(number=f"HX{_next()}", customer=cust, receivable=receivable, amount=Decimal(amount),
                                 reason="破产清算", status="recorded", requested_by=personas["clerk"],
                                 recorded_by=personas["finance"], recorded_on=on)
    _fact(cust, FactKind.WRITTEN_OFF, amount, on, "writeoff", wo.pk)
    return wo


def opening(personas, cust, amount, on: date, *, advance=False, document_no: str = "") -> OpeningBalance:
    kind = "advance" if advance else "receivable"
    row = OpeningBalance.objects.create(customer=cust, kind=kind, document_no=document_no or f"QC{_next()}",
                                        amount=Decimal(amount), original_on=on, as_of=on, created_by=personas["clerk"])
    signed = -Decimal(amount) if advance else Decimal(amount)
    # an opening advance is a negative opening fact; record() takes magnitudes, so write it directly
    if advance:
        from salesdesk.ledger.models import Fact

        Fact.objects.create(kind=FactKind.OPENING, business_date=on, period=accounting_period(on), amount=signed,
                            customer=cust, salesperson=cust.salesperson, share=Decimal(1), source_kind="opening",
                            source_id=row.pk)
    else:
        Receivable.objects.create(source_kind="opening", source_id=row.pk, number=row.document_no, customer=cust,
                                  amount=Decimal(amount), shipped_on=on, arises_on=on, due_on=on,
                                  period=accounting_period(on), salesperson=cust.salesperson)
        _fact(cust, FactKind.OPENING, amount, on, "opening", row.pk)
    return row


def invoice_fact(cust, amount, on: date, *, credit=False) -> int:
    iid = _next()
    _fact(cust, FactKind.CREDITED if credit else FactKind.INVOICED, amount, on, "invoice", iid,
          tax=(Decimal(amount) * Decimal("0.13") / Decimal("1.13")).quantize(Decimal("0.01")))
    return iid


def lock(month: str) -> None:
    Period.objects.update_or_create(period=month, defaults={"status": PeriodStatus.LOCKED})


def history_customer(personas, owner="sales1", **fields):
    """A customer with a finance contact who takes statements by e-mail."""
    from salesdesk.customers.models import Contact

    cust = customer(personas, owner, **fields)
    Contact.objects.create(customer=cust, name="王会计", role="finance", email="wangkj@example.cn")
    return cust
