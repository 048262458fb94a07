"""Invoicing rules (DOMAIN.md §3, API.md Invoices): number formats and the unique identity, line
taxes, the facts an invoice writes per order and credit share, red invoices within what is left of
their original, the locked month, invoice requests and their notifications, and the list of
shipments not yet invoiced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.models import Notification
from salesdesk.finance import invoicing
from salesdesk.finance.invoicing import InvoiceInput, LineInput, RequestInput, issue_invoice
from salesdesk.finance.models import Invoice, InvoiceLine, InvoiceRequest
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import lock_period
from salesdesk.orders.models import CreditShare

from .factories import customer, order

pytestmark = pytest.mark.django_db

SD = "26117000000000000001"
DAY = date(2026, 11, 20)


def sd_number(n: int) -> str:
    return f"2611700000{n:010d}"


def invoice(personas, cust, orders=(), *, number=None, amount="1130.00", tax="130.00", by="finance", request=None,
            **extra):
    data = dict(customer=cust, kind="sd_ordinary", number=number or sd_number(Invoice.objects.count() + 1),
                issued_on=DAY, amount=None if amount is None else Decimal(amount),
                tax_amount=None if tax is None else Decimal(tax), orders=list(orders))
    data.update(extra)
    return issue_invoice(actor=personas[by], data=InvoiceInput(**data), request=request)


def red(personas, original, amount, tax, *, number=None, on=DAY):
    return issue_invoice(actor=personas["finance"], data=InvoiceInput(
        customer=original.customer, kind=original.kind, number=number or sd_number(Invoice.objects.count() + 1),
        issued_on=on, amount=Decimal(amount), tax_amount=Decimal(tax), original=original))


def shipment(personas, o, value, *, status="dispatched", number=None):
    """A shipment row of ``o`` (logistics' model, reached without importing logistics)."""
    model = invoicing.shipment_model()
    n = model.objects.count() + 1
    return model.objects.create(number=number or f"FH-T{n:05d}", order=o, customer=o.customer, status=status,
                                value=Decimal(value), created_by=personas["clerk"],
                                dispatched_at=None if status == "planned" else timezone.now())


def facts(**filters):
    return list(Fact.objects.filter(source_kind="invoice", **filters).order_by("id"))


def measure(**filters) -> Decimal:
    return sum((f.amount for f in Fact.objects.filter(kind__in=["invoiced", "credited"], **filters)), Decimal(0))


# --- number formats and identity -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "code", "number", "identity"), [
    ("sd_special", "", "24337000000111657009", "sd:24337000000111657009"),
    ("sd_ordinary", "", "2433 7000 0001 1165 7009", "sd:24337000000111657009"),
    ("sd_ordinary", "", "２４３３７００００００１１１６５７００９", "sd:24337000000111657009"),  # full-width
    ("paper_special", "3300194130", "01234567", "lg:3300194130:01234567"),
    ("paper_ordinary", "033001900111", "01234567", "lg:033001900111:01234567"),
    ("paper_ordinary", "3300194130", "01234567", "lg:3300194130:01234567"),
    ("e_ordinary", "033001900111", "00000001", "lg:033001900111:00000001"),
])
def test_valid_numbers_give_their_identity(kind, code, number, identity):
    assert invoicing.invoice_identity(kind, number, code)[2] == identity


@pytest.mark.parametrize(("kind", "code", "number", "field"), [
    ("sd_ordinary", "", "2433700000011165700", "number"),  # 19 digits
    ("sd_ordinary", "", "243370000001116570091", "number"),  # 21 digits
    ("sd_special", "3300194130", "24337000000111657009", "code"),  # 数电 has no code
    ("sd_ordinary", "", "2433700000011165700A", "number"),
    ("paper_special", "033001900111", "01234567", "code"),  # a special invoice's code has 10 digits
    ("e_ordinary", "3300194130", "01234567", "code"),  # a legacy e-invoice's code has 12
    ("paper_ordinary", "3300194130", "1234567", "number"),  # 8-digit number
    ("paper_ordinary", "", "01234567", "code"),
])
def test_invalid_numbers_are_refused_on_their_field(kind, code, number, field):
    with pytest.raises(InvalidInput) as caught:
        invoicing.invoice_identity(kind, number, code)
    assert field in caught.value.errors


def test_the_same_invoice_recorded_twice_is_refused_naming_the_first(personas):
    cust = customer(personas)
    first = invoice(personas, cust, number=SD)
    before = Fact.objects.count()

    with pytest.raises(DomainError) as caught:
        invoice(personas, customer(personas), number="2611 7000 0000 0000 0001", by="clerk")

    assert caught.value.code == "duplicate_invoice"
    assert SD in caught.value.message and cust.name in caught.value.message and f"#{first.pk}" in caught.value.message
    assert Invoice.objects.count() == 1 and Fact.objects.count() == before


def test_a_legacy_invoice_with_the_same_number_but_another_code_is_another_invoice(personas):
    cust = customer(personas)
    invoice(personas, cust, kind="paper_special", code="3300194130", number="01234567")
    invoice(personas, cust, kind="paper_special", code="3300194131", number="01234567")

    assert sorted(Invoice.objects.values_list("identity", flat=True)) == [
        "lg:3300194130:01234567", "lg:3300194131:01234567"]


def test_the_buyer_comes_from_the_customers_invoice_profile(personas):
    cust = customer(personas, invoice_title="北京华远（集团）有限公司", invoice_tax_id="91110000100000000X")

    inv = invoice(personas, cust)

    assert (inv.buyer_name, inv.buyer_tax_id, inv.period) == ("北京华远（集团）有限公司", "91110000100000000X", "2026-11")


def test_a_salesperson_may_not_issue_invoices(personas):
    with pytest.raises(PermissionDenied):
        invoice(personas, customer(personas), by="sales1")
    assert Invoice.objects.count() == 0


def test_an_invoice_dated_tomorrow_is_refused(personas):
    with pytest.raises(InvalidInput) as caught:
        invoice(personas, customer(personas), issued_on=timezone.localdate().replace(year=2099))
    assert "issued_on" in caught.value.errors and Invoice.objects.count() == 0


# --- lines and tax -----------------------------------------------------------------------------------


def test_tax_is_computed_per_line_and_the_invoice_tax_is_their_sum(personas):
    """DOMAIN.md §3 example C: 7 lines × 199.00 incl. 13 % — the line taxes sum to 160.23, not 160.26."""
    lines = [LineInput(amount=Decimal("199.00"), tax_rate=Decimal("0.13")) for _ in range(7)]

    inv = invoice(personas, customer(personas), amount=None, tax=None, lines=lines)

    assert (inv.amount, inv.tax_amount) == (Decimal("1393.00"), Decimal("160.23"))
    assert set(InvoiceLine.objects.filter(invoice=inv).values_list("tax", flat=True)) == {Decimal("22.89")}


def test_given_totals_must_agree_with_the_lines(personas):
    lines = [LineInput(amount=Decimal("11300.00"), tax_rate=Decimal("0.13"))]

    with pytest.raises(InvalidInput) as caught:
        invoice(personas, customer(personas), amount="11300.00", tax="1300.01", lines=lines)

    assert list(caught.value.errors) == ["tax_amount"] and Invoice.objects.count() == 0


def test_a_line_tax_may_differ_from_the_computed_one_by_six_fen_at_most(personas):
    ok = [LineInput(amount=Decimal("369.63"), tax_rate=Decimal("0.13"), tax=Decimal("42.58"))]
    too_far = [LineInput(amount=Decimal("369.63"), tax_rate=Decimal("0.13"), tax=Decimal("42.59"))]
    cust = customer(personas)

    assert invoice(personas, cust, amount=None, tax=None, lines=ok).tax_amount == Decimal("42.58")
    with pytest.raises(InvalidInput) as caught:
        invoice(personas, cust, amount=None, tax=None, lines=too_far)
    assert "lines.0.tax" in caught.value.errors


def test_a_discount_line_reduces_the_invoice(personas):
    """The Didi example of DOMAIN.md §3: 24.28 at 3 % and a −0.85 discount line → 23.43 / 0.70."""
    lines = [LineInput(amount=Decimal("24.28"), tax_rate=Decimal("0.03"), tax=Decimal("0.73")),
             LineInput(amount=Decimal("-0.85"), tax_rate=Decimal("0.03"), tax=Decimal("-0.03"))]
    cust = customer(personas)

    inv = invoice(personas, cust, amount=None, tax=None, lines=lines)

    assert (inv.amount, inv.tax_amount) == (Decimal("23.43"), Decimal("0.70"))
    assert measure(customer_id=cust.pk) == Decimal("23.43")


# --- facts --------------------------------------------------------------------------------------------


def test_an_invoice_writes_invoiced_facts_per_credit_share(personas):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    o.credit_shares.all().delete()
    CreditShare.objects.create(order=o, salesperson=personas["sales1"], team=personas["sales1"].team,
                               share=Decimal("0.7"))
    CreditShare.objects.create(order=o, salesperson=personas["sales3"], team=personas["sales3"].team,
                               share=Decimal("0.3"))

    inv = invoice(personas, cust, [o], amount="1130.00", tax="130.00")

    rows = [(f.kind, f.salesperson_id, f.amount, f.tax, f.order_id, f.business_date, f.period) for f in facts()]
    assert rows == [
        ("invoiced", personas["sales1"].pk, Decimal("791.00"), Decimal("91.00"), o.pk, DAY, "2026-11"),
        ("invoiced", personas["sales3"].pk, Decimal("339.00"), Decimal("39.00"), o.pk, DAY, "2026-11"),
    ]
    assert {f.source_id for f in facts()} == {inv.pk}


def test_an_invoice_of_two_orders_fills_the_older_order_first(personas):
    cust = customer(personas)
    older, newer = order(personas, cust, "1000.00"), order(personas, cust, "3000.00")
    invoice(personas, cust, [older], amount="400.00", tax="0.00")

    invoice(personas, cust, [newer, older], amount="2000.00", tax="200.00")

    assert (measure(order_id=older.pk), measure(order_id=newer.pk)) == (Decimal("1000.00"), Decimal("1400.00"))
    assert sum((f.tax for f in Fact.objects.filter(order_id=newer.pk)), Decimal(0)) == Decimal("140.00")


def test_lines_naming_products_book_the_product_on_the_order_holding_it(personas):
    cust = customer(personas)
    a, b = order(personas, cust, "500.00"), order(personas, cust, "800.00")
    product_b = b.lines.get().product
    lines = [LineInput(amount=Decimal("800.00"), tax_rate=Decimal("0.13"), product=product_b, quantity=Decimal("2")),
             LineInput(amount=Decimal("100.00"), tax_rate=Decimal("0.13"), description="运费")]

    invoice(personas, cust, [a, b], amount=None, tax=None, lines=lines)

    rows = {(f.order_id, f.product_id): (f.amount, f.quantity) for f in facts()}
    assert rows == {(b.pk, product_b.pk): (Decimal("800.00"), Decimal("2.000")), (a.pk, None): (Decimal("100.00"), None)}


def test_an_invoice_without_orders_books_on_the_customers_salesperson(personas):
    cust = customer(personas, "sales2")

    invoice(personas, cust, amount="100.00", tax="0.00")

    assert [(f.salesperson_id, f.order_id, f.amount) for f in facts()] == [(personas["sales2"].pk, None,
                                                                             Decimal("100.00"))]


def test_a_draft_order_cannot_be_invoiced(personas):
    cust = customer(personas)
    draft = order(personas, cust, "100.00", status="draft")

    with pytest.raises(DomainError) as caught:
        invoice(personas, cust, [draft])

    assert caught.value.code == "order_not_invoiceable" and Invoice.objects.count() == 0


def test_another_customers_order_is_invalid_input(personas):
    with pytest.raises(InvalidInput) as caught:
        invoice(personas, customer(personas), [order(personas, customer(personas), "100.00")])
    assert "order_ids" in caught.value.errors


# --- red invoices --------------------------------------------------------------------------------------


def test_a_red_invoice_writes_credited_facts_in_proportion_to_its_original(personas):
    cust = customer(personas)
    a, b = order(personas, cust, "1000.00"), order(personas, cust, "3000.00")
    original = invoice(personas, cust, [a, b], amount="4000.00", tax="400.00")

    credit = red(personas, original, "2000.00", "200.00")

    assert credit.original == original and list(credit.orders.all()) == list(original.orders.all())
    credited = {(f.order_id, f.kind): f.amount for f in facts(source_id=credit.pk)}
    assert credited == {(a.pk, "credited"): Decimal("-500.00"), (b.pk, "credited"): Decimal("-1500.00")}
    assert measure(customer_id=cust.pk) == Decimal("2000.00")


def test_red_invoices_may_not_exceed_what_is_left_of_the_original(personas):
    cust = customer(personas)
    original = invoice(personas, cust, [order(personas, cust, "1130.00")], amount="1130.00", tax="130.00")
    red(personas, original, "565.00", "65.00")
    before = (Invoice.objects.count(), Fact.objects.count())

    with pytest.raises(DomainError) as caught:
        red(personas, original, "565.01", "65.00")

    assert caught.value.code == "credit_exceeds_invoice" and "565.00" in caught.value.message
    assert (Invoice.objects.count(), Fact.objects.count()) == before
    red(personas, original, "565.00", "65.00")  # exactly what is left
    assert measure(customer_id=cust.pk) == Decimal("0.00") and invoicing.credit_left(original) == (0, 0)


def test_a_full_red_invoice_reverses_the_quantities_too(personas):
    cust = customer(personas)
    o = order(personas, cust, "200.00")
    prod = o.lines.get().product
    original = invoice(personas, cust, [o], amount=None, tax=None, lines=[
        LineInput(amount=Decimal("200.00"), tax_rate=Decimal("0.13"), product=prod, quantity=Decimal("4"))])

    red(personas, original, "200.00", original.tax_amount)

    assert sum((f.quantity for f in Fact.objects.filter(product=prod)), Decimal(0)) == Decimal("0.000")


def test_a_red_invoice_cannot_itself_be_credited(personas):
    cust = customer(personas)
    credit = red(personas, invoice(personas, cust), "100.00", "0.00")

    with pytest.raises(InvalidInput) as caught:
        red(personas, credit, "10.00", "0.00")

    assert "original_id" in caught.value.errors


# --- the locked month -----------------------------------------------------------------------------------


def test_an_invoice_dated_in_a_locked_month_is_refused_and_writes_nothing(personas):
    lock_period(actor=personas["finance"], period="2026-10")
    cust = customer(personas)

    with pytest.raises(DomainError) as caught:
        invoice(personas, cust, [order(personas, cust, "100.00")], issued_on=date(2026, 10, 31))

    assert caught.value.code == "period_locked"
    assert Invoice.objects.count() == 0 and Fact.objects.filter(source_kind="invoice").count() == 0


def test_a_red_invoice_of_a_locked_months_invoice_is_issued_in_the_open_month(personas):
    cust = customer(personas)
    original = invoice(personas, cust, issued_on=date(2026, 10, 20))
    lock_period(actor=personas["finance"], period="2026-10")

    credit = red(personas, original, "1130.00", "130.00", on=date(2026, 11, 3))

    assert credit.period == "2026-11" and {f.period for f in facts(source_id=credit.pk)} == {"2026-11"}


# --- shipments --------------------------------------------------------------------------------------------


def test_linked_shipments_bring_their_orders_and_leave_the_uninvoiced_list(personas):
    cust = customer(personas)
    o = order(personas, cust, "2000.00")
    first, second = shipment(personas, o, "1200.00"), shipment(personas, o, "800.00")
    shipment(personas, o, "100.00", status="planned")  # not dispatched: never on the list

    assert sorted(invoicing.uninvoiced_shipments(personas["clerk"]).values_list("pk", flat=True)) == [first.pk,
                                                                                                     second.pk]
    inv = invoice(personas, cust, shipment_ids=[first.pk], amount="1200.00", tax="138.05")

    assert list(inv.orders.all()) == [o] and list(inv.shipments.all()) == [first]
    assert list(invoicing.uninvoiced_shipments(personas["clerk"]).values_list("pk", flat=True)) == [second.pk]


def test_a_shipment_whose_invoice_is_wholly_reversed_is_uninvoiced_again(personas):
    cust = customer(personas)
    s = shipment(personas, order(personas, cust, "500.00"), "500.00")
    original = invoice(personas, cust, shipment_ids=[s.pk], amount="500.00", tax="0.00")
    red(personas, original, "200.00", "0.00")
    assert not invoicing.uninvoiced_shipments(personas["clerk"]).exists()

    red(personas, original, "300.00", "0.00")

    assert list(invoicing.uninvoiced_shipments(personas["clerk"])) == [s]


def test_the_uninvoiced_list_sums_per_customer_what_the_user_may_see(personas):
    own, other = customer(personas, "sales1"), customer(personas, "sales2")
    o1, o2 = order(personas, own, "900.00"), order(personas, other, "500.00", owner="sales2")
    shipment(personas, o1, "300.00"), shipment(personas, o1, "600.00"), shipment(personas, o2, "500.00")

    mine = invoicing.uninvoiced_by_customer(invoicing.uninvoiced_shipments(personas["sales1"]))
    everyone = invoicing.uninvoiced_by_customer(invoicing.uninvoiced_shipments(personas["finance"]))

    assert [(c.customer_id, c.shipments, c.value) for c in mine] == [(own.pk, 2, Decimal("900.00"))]
    assert [(c.customer_id, c.value) for c in everyone] == [(own.pk, Decimal("900.00")), (other.pk, Decimal("500.00"))]


def test_a_planned_shipment_cannot_be_linked(personas):
    cust = customer(personas)
    planned = shipment(personas, order(personas, cust, "100.00"), "100.00", status="planned")

    with pytest.raises(InvalidInput) as caught:
        invoice(personas, cust, shipment_ids=[planned.pk])

    assert "shipment_ids" in caught.value.errors and Invoice.objects.count() == 0


# --- the term anchor ---------------------------------------------------------------------------------------


def test_an_invoice_starts_the_term_of_receivables_that_run_from_the_invoice(personas):
    """票到 30 天: the receivable of a dispatched shipment gets its dates from the invoice."""
    from salesdesk.finance import receivables

    cust = customer(personas, term_anchor="invoice", credit_days=30, settlement="credit")
    o = order(personas, cust, "1000.00")
    s = shipment(personas, o, "1000.00")
    receivables.post_shipment_receivable(
        shipment_id=s.pk, customer_id=cust.pk, order_id=o.pk, contract_id=None, salesperson_id=o.salesperson_id,
        number=s.number, amount=Decimal("1000.00"), shipped_on=date(2026, 11, 2))

    invoice(personas, cust, [o], shipment_ids=[s.pk], amount="1000.00", tax="0.00", issued_on=date(2026, 11, 10))

    item = cust.receivables.get()
    assert (item.arises_on, item.due_on) == (date(2026, 11, 10), date(2026, 12, 10))


# --- invoice requests ----------------------------------------------------------------------------------------


def _request(personas, cust, orders=(), by="sales1"):
    return invoicing.request_invoice(actor=personas[by], data=RequestInput(
        customer=cust, kind="sd_special", amount=Decimal("1130.00"), orders=list(orders), note="客户月底报账"))


def test_a_request_tells_finance_once(personas):
    cust = customer(personas)
    req = _request(personas, cust, [order(personas, cust, "1130.00")])

    rows = list(Notification.objects.filter(kind="invoice_requested"))
    assert [n.recipient for n in rows] == [personas["finance"]] and req.number in rows[0].title
    assert req.status == "requested" and req.requested_by == personas["sales1"]


def test_a_salesperson_cannot_request_for_another_salespersons_customer(personas):
    with pytest.raises(PermissionDenied):
        _request(personas, customer(personas, "sales2"))
    assert InvoiceRequest.objects.count() == 0


def test_issuing_a_request_links_the_invoice_and_tells_the_requester_once(personas):
    cust = customer(personas)
    o = order(personas, cust, "1130.00")
    req = _request(personas, cust, [o])

    inv = invoice(personas, cust, [o], request=req)

    req.refresh_from_db()
    assert (req.status, req.invoice, req.handled_by) == ("issued", inv, personas["finance"])
    assert Notification.objects.filter(kind="invoice_issued", recipient=personas["sales1"]).count() == 1
    with pytest.raises(DomainError) as caught:  # the same request cannot be issued twice
        invoice(personas, cust, [o], request=req)
    assert caught.value.code == "invoice_request_not_pending" and Invoice.objects.count() == 1


def test_rejecting_a_request_needs_a_reason_and_tells_the_requester(personas):
    req = _request(personas, customer(personas))

    with pytest.raises(InvalidInput):
        invoicing.reject_request(actor=personas["finance"], request=req, reason=" ")
    invoicing.reject_request(actor=personas["finance"], request=req, reason="金额与订单不符")

    req.refresh_from_db()
    assert (req.status, req.reject_reason) == ("rejected", "金额与订单不符")
    [note] = Notification.objects.filter(kind="invoice_request_rejected")
    assert (note.recipient, note.body) == (personas["sales1"], "金额与订单不符")
    with pytest.raises(DomainError):
        invoicing.reject_request(actor=personas["finance"], request=req, reason="again")
    assert Notification.objects.filter(kind="invoice_request_rejected").count() == 1


# --- exact splits ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "weights", "parts"), [
    (100, [1, 1, 1], [34, 33, 33]),
    (-100, [1, 1, 1], [-33, -33, -34]),
    (90, [100, -10], [100, -10]),
    (7, [0, 0], [7, 0]),
    (5, [-2, -3], [2, 3]),
])
def test_split_int_parts_sum_exactly(total, weights, parts):
    assert invoicing.split_int(total, weights) == parts and sum(parts) == total
