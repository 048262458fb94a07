"""Ready-made submitted orders and confirmed money for gate and shipping tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.catalog.models import Product
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.finance.services import PaymentInput, confirm_payment, record_payment
from salesdesk.orders.models import CreditShare, Order, OrderLine

_seq = {"n": 0}


def product(price="100.00", sku=None) -> Product:
    _seq["n"] += 1
    return Product.objects.create(sku=sku or f"P{_seq['n']:05d}", name=f"产品{_seq['n']}", unit="件",
                                  price=Decimal(price), tax_rate=Decimal("0.13"))


def customer(personas, owner="sales1", **terms):
    return CustomerFactory(salesperson=personas[owner], **terms)


def submitted_order(personas, cust, lines, *, owner="sales1", number=None) -> Order:
    """``lines`` = [(product, quantity, unit_price)] — a submitted order with a 100 % credit share."""
    _seq["n"] += 1
    order = Order.objects.create(
        number=number or f"SO-T{_seq['n']:05d}", customer=cust, salesperson=personas[owner], status="submitted",
        order_date=date(2026, 11, 1), created_by=personas["clerk"],
    )
    total = Decimal(0)
    for i, (prod, qty, price) in enumerate(lines, start=1):
        amount = quantize_money(Decimal(qty) * Decimal(price))
        _, tax = split_tax(amount, prod.tax_rate)
        OrderLine.objects.create(order=order, line_no=i, product=prod, quantity=Decimal(qty), unit_price=Decimal(price),
                                 reference_price=Decimal(price), tax_rate=prod.tax_rate, amount=amount, tax=tax)
        total += amount
    Order.objects.filter(pk=order.pk).update(total=total)
    order.refresh_from_db()
    CreditShare.objects.create(order=order, salesperson=personas[owner], team=personas[owner].team, share=Decimal(1))
    return order


def paid(personas, cust, amount, order=None, confirm=True, received_on=date(2026, 11, 2)):
    payment = record_payment(actor=personas["clerk"], data=PaymentInput(
        customer=cust, amount=Decimal(amount), received_on=received_on, method="bank_transfer", order=order))
    if confirm:
        payment = confirm_payment(actor=personas["finance"], payment=payment)
    return payment
