"""Contracts for tests, made through the service (so totals and tax are computed as in use)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.contracts import services
from salesdesk.contracts.models import Contract
from salesdesk.customers.tests.factories import CustomerFactory


def make_contract(personas, owner: str = "sales1", *, lines=None, instalments=None, activate: bool = False,
                  customer=None, actor: str = "clerk", **data) -> Contract:
    """A contract of a customer of ``owner``: by default one line 10 × 1130.00 (total 11300.00)."""
    customer = customer or CustomerFactory(salesperson=personas[owner])
    if lines is None:
        lines = [services.LineInput(ProductFactory(), Decimal("10"), Decimal("1130.00"))]
    values = {"signed_on": date(2026, 1, 5), "starts_on": date(2026, 1, 5), "ends_on": date(2026, 12, 31), **data}
    contract = services.create_contract(
        actor=personas[actor], customer=customer, salesperson=personas[owner], data=values, lines=lines,
        instalments=instalments or [],
    )
    if activate:
        contract = services.activate_contract(actor=personas[actor], contract=contract)
    return contract
