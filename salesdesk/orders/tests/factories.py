"""Products, contracts and orders for the order tests (orders through the services, so totals,
prices and facts are what the system computes)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from salesdesk.catalog.models import LevelPrice, Product
from salesdesk.contracts.choices import ContractStatus
from salesdesk.contracts.models import Contract, ContractLine
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.orders import services
from salesdesk.orders.models import Order

_seq = itertools.count(1)
ORDER_DATE = date(2026, 11, 20)


def make_product(price="1130.00", tax_rate="0.13", **kw) -> Product:
    n = next(_seq)
    values = {"sku": f"SOT-{n:05d}", "name": f"液压油{n}号", "specification": "HM46 200L", "unit": "桶",
              "price": Decimal(price), "tax_rate": Decimal(tax_rate), **kw}
    return Product.objects.create(**values)


def level_price(product: Product, level: str, price: str) -> LevelPrice:
    return LevelPrice.objects.create(product=product, price_level=level, price=Decimal(price))


def make_contract(personas, owner="sales1", *, customer=None, lines=None, status=ContractStatus.ACTIVE) -> Contract:
    """A contract of a customer of ``owner``; ``lines``: [(product, quantity, unit_price)]."""
    customer = customer or CustomerFactory(salesperson=personas[owner])
    lines = lines or [(make_product(), "10", "1130.00")]
    contract = Contract.objects.create(
        number=f"HT-T{next(_seq):05d}", customer=customer, salesperson=personas[owner], status=status,
        signed_on=date(2026, 1, 5), starts_on=date(2026, 1, 5), ends_on=date(2026, 12, 31),
        created_by=personas["clerk"],
    )
    total = tax_total = Decimal(0)
    for n, (product, quantity, price) in enumerate(lines, start=1):
        amount = quantize_money(Decimal(quantity) * Decimal(price))
        tax = split_tax(amount, product.tax_rate)[1]
        ContractLine.objects.create(contract=contract, line_no=n, product=product, quantity=Decimal(quantity),
                                    unit_price=Decimal(price), tax_rate=product.tax_rate, amount=amount, tax=tax)
        total, tax_total = total + amount, tax_total + tax
    contract.total, contract.tax_total = total, tax_total
    contract.save()
    return contract


def order_input(customer, lines, **kw) -> services.OrderInput:
    """``lines``: [(product, quantity, unit_price or None)]; ``split``: [(user, "0.70")]."""
    split = kw.pop("split", None)
    return services.OrderInput(
        customer=customer, order_date=kw.pop("order_date", ORDER_DATE),
        lines=[services.LineInput(p, Decimal(q), None if price is None else Decimal(price)) for p, q, price in lines],
        credit_split=[services.ShareInput(u, Decimal(s)) for u, s in split] if split else None, **kw,
    )


def make_order(personas, owner="sales1", *, actor="clerk", customer=None, lines=None, submit=False,
               **kw) -> Order:
    """An order of a customer of ``owner`` (default one line 10 × list price 1130.00)."""
    customer = customer or CustomerFactory(salesperson=personas[owner])
    lines = lines or [(make_product(), "10", None)]
    order = services.create_order(actor=personas[actor], data=order_input(customer, lines, **kw))
    if submit:
        order = services.submit_order(actor=personas[actor], order=order)
    return order
