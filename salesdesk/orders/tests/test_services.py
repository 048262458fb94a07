"""The order services: pricing and price approval, contract quantities, credit splits, submit
(facts and the finance notification), cancel and close (unbooked facts), copy, finance's "seen",
and coordination requests with their replies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

from salesdesk.contracts.choices import ContractStatus
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.models import Notification, OutboxMessage
from salesdesk.core.registries import register_hook
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.orders import services
from salesdesk.orders.choices import CoordinationStatus, OrderStatus, PriceCheck
from salesdesk.orders.models import CoordinationRequest, Order

from .factories import level_price, make_contract, make_order, make_product, order_input

pytestmark = pytest.mark.django_db


def _facts(order, kind=None):
    qs = Fact.objects.filter(order_id=order.pk)
    return qs.filter(kind=kind) if kind else qs


def _sum(qs, field="amount"):
    return qs.aggregate(s=Sum(field))["s"] or Decimal(0)


# --- entering an order ------------------------------------------------------------------------


def test_a_line_without_price_takes_the_list_price_and_splits_the_tax(personas):
    product = make_product(price="9.99")

    order = make_order(personas, lines=[(product, "37", None)])

    line = order.lines.get()
    assert (line.unit_price, line.reference_price, line.amount, line.tax) == (
        Decimal("9.99"), Decimal("9.99"), Decimal("369.63"), Decimal("42.52"))
    assert (order.status, order.price_check, order.total, order.tax_total) == (
        OrderStatus.DRAFT, PriceCheck.OK, Decimal("369.63"), Decimal("42.52"))
    assert order.number.startswith("SO") and order.number.endswith("-0001")


def test_a_line_without_price_takes_the_price_of_the_customers_price_level(personas):
    product = make_product(price="1130.00")
    level_price(product, "dealer", "1000.00")
    customer = CustomerFactory(salesperson=personas["sales1"], price_level="dealer")

    order = make_order(personas, customer=customer, lines=[(product, "2", None)])

    assert order.lines.get().unit_price == Decimal("1000.00")
    assert order.price_check == PriceCheck.OK


def test_the_salesperson_defaults_to_the_customers_owner_with_the_whole_credit(personas):
    order = make_order(personas, owner="sales3")

    assert order.salesperson == personas["sales3"]
    assert [(cs.salesperson_id, cs.share, cs.team_id) for cs in order.credit_shares.all()] == [
        (personas["sales3"].pk, Decimal("1.0000"), personas["sales3"].team_id)]


def test_a_price_other_than_the_reference_waits_for_a_manager(personas):
    order = make_order(personas, lines=[(make_product(price="100.00"), "1", "90.00")])

    assert order.price_check == PriceCheck.PENDING
    assert Notification.objects.filter(recipient=personas["manager"], kind="order_price").count() == 1


def test_credit_shares_must_sum_to_exactly_one(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    data = order_input(customer, [(make_product(), "1", None)],
                       split=[(personas["sales1"], "0.7"), (personas["sales3"], "0.2")])

    with pytest.raises(InvalidInput) as exc:
        services.create_order(actor=personas["clerk"], data=data)

    assert "credit_split" in exc.value.errors
    assert not Order.objects.exists()


def test_a_credit_share_must_be_positive_and_go_to_a_salesperson(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    data = order_input(customer, [(make_product(), "1", None)],
                       split=[(personas["sales1"], "1.1"), (personas["finance"], "-0.1")])

    with pytest.raises(InvalidInput) as exc:
        services.create_order(actor=personas["clerk"], data=data)

    assert set(exc.value.errors) == {"credit_split.1.share", "credit_split.1.salesperson_id"}


def test_a_salesperson_may_not_enter_an_order_for_another_salesperson(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    with pytest.raises(PermissionDenied):
        services.create_order(actor=personas["sales1"], data=order_input(
            customer, [(make_product(), "1", None)], salesperson=personas["sales2"]))
    assert not Order.objects.exists()


# --- contracts --------------------------------------------------------------------------------


def test_under_a_contract_the_contract_price_is_taken(personas):
    product = make_product(price="1130.00")
    contract = make_contract(personas, lines=[(product, "10", "1050.00")])

    order = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "4", None)])

    line = order.lines.get()
    assert (line.unit_price, line.contract_line_id, order.total) == (
        Decimal("1050.00"), contract.lines.get().pk, Decimal("4200.00"))


def test_under_a_contract_only_contract_products_are_allowed(personas):
    contract = make_contract(personas)

    with pytest.raises(InvalidInput) as exc:
        make_order(personas, customer=contract.customer, contract=contract, lines=[(make_product(), "1", None)])

    assert list(exc.value.errors) == ["lines.0.product_id"]


def test_an_order_beyond_what_is_left_on_the_contract_is_refused_and_writes_nothing(personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "10", "1130.00")])
    make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "7", None)], submit=True)
    orders, facts = Order.objects.count(), Fact.objects.count()

    with pytest.raises(InvalidInput) as exc:
        make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "2", None),
                                                                                  (product, "1.5", None)])

    assert exc.value.code == "contract_quantity_exceeded"
    assert list(exc.value.errors) == ["lines.1.quantity"]
    assert (Order.objects.count(), Fact.objects.count()) == (orders, facts)


def test_drafts_do_not_take_contract_quantity_but_submitting_beyond_it_is_refused(personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "10", "1130.00")])
    first = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "6", None)])
    second = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "6", None)])
    services.submit_order(actor=personas["clerk"], order=first)

    with pytest.raises(DomainError) as exc:
        services.submit_order(actor=personas["clerk"], order=second)

    assert exc.value.code == "contract_quantity_exceeded"
    second.refresh_from_db()
    assert second.status == OrderStatus.DRAFT and not _facts(second).exists()


def test_a_cancelled_order_gives_its_quantity_back_to_the_contract(personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "10", "1130.00")])
    order = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "10", None)],
                       submit=True)

    services.cancel_order(actor=personas["clerk"], order=order, reason="客户取消")

    again = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "10", None)])
    assert again.lines.get().quantity == Decimal("10")


def test_an_order_under_an_inactive_contract_is_refused(personas):
    contract = make_contract(personas, status=ContractStatus.DRAFT)

    with pytest.raises(DomainError) as exc:
        make_order(personas, customer=contract.customer, contract=contract,
                   lines=[(contract.lines.get().product, "1", None)])

    assert exc.value.code == "contract_not_active"


def test_a_contract_of_another_customer_is_refused(personas):
    contract = make_contract(personas)

    with pytest.raises(InvalidInput) as exc:
        make_order(personas, contract=contract, lines=[(contract.lines.get().product, "1", None)])

    assert list(exc.value.errors) == ["contract_id"]


# --- price approval ---------------------------------------------------------------------------


def test_a_pending_price_blocks_submitting(personas):
    order = make_order(personas, lines=[(make_product(price="100.00"), "1", "90.00")])

    with pytest.raises(DomainError) as exc:
        services.submit_order(actor=personas["clerk"], order=order)

    assert exc.value.code == "price_approval_required"
    assert not _facts(order).exists() and not Notification.objects.filter(kind="order_submitted").exists()


def test_a_manager_approves_a_price_and_the_order_can_be_submitted(personas):
    order = make_order(personas, lines=[(make_product(price="100.00"), "1", "90.00")])

    order = services.approve_price(actor=personas["manager"], order=order)
    order = services.submit_order(actor=personas["clerk"], order=order)

    assert (order.price_check, order.price_approved_by, order.status) == (
        PriceCheck.APPROVED, personas["manager"], OrderStatus.SUBMITTED)


def test_nobody_approves_their_own_price(personas):
    order = make_order(personas, actor="manager", lines=[(make_product(price="100.00"), "1", "90.00")])

    with pytest.raises(PermissionDenied):
        services.approve_price(actor=personas["manager"], order=order)

    order.refresh_from_db()
    assert (order.price_check, order.price_approved_by) == (PriceCheck.PENDING, None)


def test_the_manager_who_is_the_orders_salesperson_may_not_approve_its_price(personas):
    customer = CustomerFactory(salesperson=personas["manager"])
    order = make_order(personas, customer=customer, lines=[(make_product(price="100.00"), "1", "120.00")])

    with pytest.raises(PermissionDenied):
        services.approve_price(actor=personas["manager"], order=order)


def test_a_rejected_price_blocks_submitting_until_the_price_is_standard(personas):
    product = make_product(price="100.00")
    order = make_order(personas, lines=[(product, "1", "90.00")])
    services.reject_price(actor=personas["manager"], order=order, reason="低于底价")

    with pytest.raises(DomainError) as exc:
        services.submit_order(actor=personas["clerk"], order=order)
    assert exc.value.code == "price_rejected"

    order = services.update_order(actor=personas["clerk"], order=order, data=order_input(
        order.customer, [(product, "1", None)]))
    assert order.price_check == PriceCheck.OK
    assert services.submit_order(actor=personas["clerk"], order=order).status == OrderStatus.SUBMITTED


def test_approving_an_order_without_pending_price_is_refused(personas):
    order = make_order(personas)

    with pytest.raises(DomainError) as exc:
        services.approve_price(actor=personas["manager"], order=order)

    assert exc.value.code == "price_check_state"


# --- submitting -------------------------------------------------------------------------------


def test_submit_writes_one_booked_fact_per_line_and_credit_share(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    p1, p2 = make_product(price="100.01"), make_product(price="33.33", tax_rate="0.09")
    order = services.create_order(actor=personas["clerk"], data=order_input(
        customer, [(p1, "1", None), (p2, "3", None)], split=[(personas["sales1"], "0.7"), (personas["sales3"], "0.3")]))

    services.submit_order(actor=personas["clerk"], order=order)

    facts = _facts(order, FactKind.BOOKED)
    assert facts.count() == 4
    assert _sum(facts) == order.total == Decimal("200.00")
    assert _sum(facts.filter(salesperson=personas["sales1"])) == Decimal("140.00")
    assert _sum(facts, "tax") == order.tax_total
    fact = facts.get(product=p1, salesperson=personas["sales1"])
    assert (fact.amount, fact.quantity, fact.contract_id, fact.customer_id, fact.team_id, fact.business_date) == (
        Decimal("70.01"), Decimal("0.700"), None, customer.pk, personas["sales1"].team_id, order.order_date)


def test_submit_notifies_finance_with_the_order_and_the_customers_terms(personas):
    customer = CustomerFactory(salesperson=personas["sales1"], settlement="credit", credit_limit=Decimal("200000"),
                               credit_days=30)
    order = make_order(personas, customer=customer)

    services.submit_order(actor=personas["clerk"], order=order)

    note = Notification.objects.get(kind="order_submitted")
    assert note.recipient == personas["finance"]
    assert order.number in note.title and customer.name in note.title
    assert "信用账期" in note.body and "200,000.00" in note.body and "30 天" in note.body
    assert OutboxMessage.objects.filter(dedupe_key=f"notify:order-submitted:{order.pk}:{personas['finance'].pk}").count() == 1


def test_submitting_twice_books_and_notifies_once(personas):
    order = make_order(personas)

    services.submit_order(actor=personas["clerk"], order=order)
    services.submit_order(actor=personas["clerk"], order=order)

    assert _facts(order).count() == 1
    assert Notification.objects.filter(kind="order_submitted").count() == 1


def test_submit_marks_the_customers_first_order(personas):
    customer = CustomerFactory(salesperson=personas["sales1"], status="prospect")

    make_order(personas, customer=customer, submit=True)

    customer.refresh_from_db()
    assert (customer.first_order_on, customer.status) == (date(2026, 11, 20), "active")


def test_a_credit_share_holder_who_is_not_the_salesperson_may_not_submit(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    order = services.create_order(actor=personas["clerk"], data=order_input(
        customer, [(make_product(), "1", None)], split=[(personas["sales1"], "0.5"), (personas["sales2"], "0.5")]))

    with pytest.raises(PermissionDenied):
        services.submit_order(actor=personas["sales2"], order=order)

    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


# --- cancel, close ----------------------------------------------------------------------------


def test_cancelling_a_submitted_order_reverses_its_facts_share_by_share(personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    order = services.create_order(actor=personas["clerk"], data=order_input(
        customer, [(make_product(price="100.01"), "3", None)],
        split=[(personas["sales1"], "0.3333"), (personas["sales3"], "0.6667")]))
    services.submit_order(actor=personas["clerk"], order=order)

    order = services.cancel_order(actor=personas["clerk"], order=order, reason="客户取消")

    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "客户取消"
    unbooked = _facts(order, FactKind.UNBOOKED)
    assert unbooked.count() == 2
    for person in ("sales1", "sales3"):
        assert _sum(_facts(order).filter(salesperson=personas[person])) == 0
        assert _sum(_facts(order).filter(salesperson=personas[person]), "quantity") == 0
    assert Notification.objects.filter(kind="order_cancelled", recipient=personas["finance"]).count() == 1


def test_cancelling_a_draft_writes_no_facts(personas):
    order = make_order(personas)

    services.cancel_order(actor=personas["clerk"], order=order, reason="录错")

    assert not _facts(order).exists()


def test_cancelling_needs_a_reason_and_a_draft_or_submitted_order(personas):
    order = make_order(personas)
    with pytest.raises(InvalidInput):
        services.cancel_order(actor=personas["clerk"], order=order, reason="  ")
    services.cancel_order(actor=personas["clerk"], order=order, reason="录错")

    with pytest.raises(DomainError) as exc:
        services.cancel_order(actor=personas["clerk"], order=order, reason="再取消")
    assert exc.value.code == "order_state"


def test_cancelling_runs_the_return_to_advance_hook_in_the_transaction(personas):
    seen = []
    register_hook(services.ORDER_RELEASED_HOOK, lambda order, actor: seen.append((order.pk, actor.pk)))
    order = make_order(personas, submit=True)
    try:
        services.cancel_order(actor=personas["clerk"], order=order, reason="客户取消")
    finally:
        from salesdesk.core import registries

        registries._hooks[services.ORDER_RELEASED_HOOK].clear()
    assert seen == [(order.pk, personas["clerk"].pk)]


def test_a_manager_closes_the_unshipped_remainder(personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "10", "1130.00")])
    order = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "8", None)],
                       submit=True)

    order = services.close_order(actor=personas["manager"], order=order, reason="客户不再要货")

    assert order.status == OrderStatus.CLOSED and order.close_reason == "客户不再要货"
    assert _sum(_facts(order)) == 0 and _sum(_facts(order), "quantity") == 0
    assert Notification.objects.filter(kind="order_closed").count() == 1
    again = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "10", None)])
    assert again.pk  # the whole contract quantity is free again


def test_closing_keeps_what_was_shipped_booked(personas):
    product = make_product(price="10.00")
    order = make_order(personas, lines=[(product, "10", None)], submit=True)
    from salesdesk.ledger.services import FactInput, Share, record

    record([FactInput(kind=FactKind.SHIPPED, business_date=date(2026, 11, 21), amount=Decimal("40.00"),
                      quantity=Decimal("4"), customer_id=order.customer_id, product_id=product.pk, order_id=order.pk,
                      source_kind="shipment", source_id=1, shares=[Share(personas["sales1"].pk, Decimal(1))])],
           actor=None)

    services.close_order(actor=personas["manager"], order=order, reason="余量不要了")

    ordered = _facts(order).filter(kind__in=[FactKind.BOOKED, FactKind.UNBOOKED])
    assert (_sum(ordered), _sum(ordered, "quantity")) == (Decimal("40.00"), Decimal("4.000"))


def test_only_a_submitted_order_can_be_closed(personas):
    order = make_order(personas)

    with pytest.raises(DomainError):
        services.close_order(actor=personas["manager"], order=order, reason="x")
    with pytest.raises(PermissionDenied):
        services.close_order(actor=personas["clerk"], order=order, reason="x")


# --- copy, seen -------------------------------------------------------------------------------


def test_copying_an_order_takes_todays_prices(personas):
    product = make_product(price="100.00")
    source = make_order(personas, lines=[(product, "5", None)], split=None)
    product.price = Decimal("110.00")
    product.save()

    copy = services.copy_order(actor=personas["clerk"], source=source, order_date=date(2026, 11, 27))

    line = copy.lines.get()
    assert (copy.status, copy.customer_id, line.quantity, line.unit_price, copy.order_date) == (
        OrderStatus.DRAFT, source.customer_id, Decimal("5"), Decimal("110.00"), date(2026, 11, 27))
    assert copy.number != source.number


def test_finance_marks_a_submitted_order_seen_once(personas):
    order = make_order(personas, submit=True)

    first = services.mark_seen(actor=personas["finance"], order=order).finance_seen_at
    second = services.mark_seen(actor=personas["finance"], order=order).finance_seen_at

    assert first is not None and first == second
    with pytest.raises(PermissionDenied):
        services.mark_seen(actor=personas["clerk"], order=order)


# --- coordination -----------------------------------------------------------------------------


def _request(personas, order, **kw):
    return services.request_coordination(
        actor=personas[kw.pop("actor", "clerk")], kind=kw.pop("kind", "production"),
        product=kw.pop("product", None) or order.lines.first().product, quantity=Decimal(kw.pop("quantity", "10")),
        needed_by=kw.pop("needed_by", date(2026, 12, 10)), order=order, **kw)


def test_a_coordination_request_tells_the_planners(personas):
    order = make_order(personas, submit=True)

    req = _request(personas, order)

    assert (req.status, req.number[:2]) == (CoordinationStatus.REQUESTED, "XT")
    assert Notification.objects.filter(kind="coordination", recipient=personas["planner"]).count() == 1


def test_a_product_not_on_the_order_cannot_be_requested(personas):
    order = make_order(personas)

    with pytest.raises(InvalidInput) as exc:
        _request(personas, order, product=make_product())

    assert list(exc.value.errors) == ["product_id"]
    assert not CoordinationRequest.objects.exists()


def test_a_confirmed_date_moves_the_orders_promised_date_and_tells_clerk_and_salesperson(personas):
    order = make_order(personas, submit=True)
    req = _request(personas, order)
    Notification.objects.all().delete()

    services.reply_coordination(actor=personas["planner"], request=req, status="confirmed",
                                promised_on=date(2026, 12, 8), note="排产第49周")

    order.refresh_from_db()
    assert order.promised_delivery_on == date(2026, 12, 8)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"clerk", "sales1"}
    services.reply_coordination(actor=personas["clerk"], request=req, status="confirmed",
                                promised_on=date(2026, 12, 12), note="电话确认延期")
    order.refresh_from_db()
    assert order.promised_delivery_on == date(2026, 12, 12)
    assert req.history.count() == 3  # the request and both replies are kept


def test_a_partial_reply_needs_a_smaller_quantity(personas):
    order = make_order(personas, submit=True)
    req = _request(personas, order, quantity="10")

    with pytest.raises(InvalidInput) as exc:
        services.reply_coordination(actor=personas["planner"], request=req, status="partial",
                                    promised_on=date(2026, 12, 8), promised_quantity=Decimal("10"))
    assert list(exc.value.errors) == ["promised_quantity"]

    req = services.reply_coordination(actor=personas["planner"], request=req, status="partial",
                                      promised_on=date(2026, 12, 8), promised_quantity=Decimal("6"))
    assert (req.status, req.promised_quantity) == (CoordinationStatus.PARTIAL, Decimal("6"))


def test_cannot_clears_the_orders_promised_date(personas):
    order = make_order(personas, submit=True)
    req = _request(personas, order)
    services.reply_coordination(actor=personas["planner"], request=req, status="confirmed",
                                promised_on=date(2026, 12, 8))

    services.reply_coordination(actor=personas["planner"], request=req, status="cannot", note="原料短缺")

    order.refresh_from_db()
    req.refresh_from_db()
    assert (order.promised_delivery_on, req.promised_on, req.status) == (None, None, CoordinationStatus.CANNOT)


def test_a_salesperson_may_not_reply(personas):
    order = make_order(personas, submit=True)
    req = _request(personas, order)

    with pytest.raises(PermissionDenied):
        services.reply_coordination(actor=personas["sales1"], request=req, status="cannot")


def test_a_contract_coordination_request(personas):
    contract = make_contract(personas)

    req = services.request_coordination(actor=personas["sales1"], kind="supply", product=contract.lines.get().product,
                                        quantity=Decimal("5"), needed_by=date(2027, 1, 10), contract=contract)

    assert req.contract == contract and req.order is None
