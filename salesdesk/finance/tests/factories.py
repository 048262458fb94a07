"""Submitted orders and payments for the finance page tests (the shape of the logistics
factories, kept here so finance's tests do not lean on a higher app)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.catalog.models import Product
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.finance.services import PaymentInput, confirm_payment, record_payment
from salesdesk.orders.models import CreditShare, Order, OrderLine

_seq = {"n": 0}

# The smallest valid PNG (1×1 transparent pixel): a bank-slip photo for upload tests.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def product(price="100.00") -> Product:
    _seq["n"] += 1
    return Product.objects.create(sku=f"FP{_seq['n']:05d}", name=f"产品{_seq['n']}", unit="件", price=Decimal(price),
                                  tax_rate=Decimal("0.13"))


def customer(personas, owner="sales1", **fields):
    return CustomerFactory(salesperson=personas[owner], **fields)


def order(personas, cust, total="10000.00", *, owner="sales1", status="submitted") -> Order:
    """A submitted order of one line worth ``total`` with a 100 % credit share."""
    _seq["n"] += 1
    prod = product(total)
    amount = quantize_money(Decimal(total))
    _, tax = split_tax(amount, prod.tax_rate)
    o = Order.objects.create(number=f"SO-F{_seq['n']:05d}", customer=cust, salesperson=personas[owner], status=status,
                             order_date=date(2026, 11, 1), created_by=personas["clerk"], total=amount, tax_total=tax)
    OrderLine.objects.create(order=o, line_no=1, product=prod, quantity=Decimal(1), unit_price=amount,
                             reference_price=amount, tax_rate=prod.tax_rate, amount=amount, tax=tax)
    CreditShare.objects.create(order=o, salesperson=personas[owner], team=personas[owner].team, share=Decimal(1))
    return o


def payment(personas, cust, amount="1000.00", *, order=None, confirm=False, by="clerk", received_on=date(2026, 11, 2),
            payer_name="", payer_account=""):
    p = record_payment(actor=personas[by], data=PaymentInput(
        customer=cust, amount=Decimal(amount), received_on=received_on, method="bank_transfer", order=order,
        payer_name=payer_name, payer_account=payer_account))
    if confirm:
        p = confirm_payment(actor=personas["finance"], payment=p)
    return p
