"""Facts, pending payments, targets and catalog rows for the report tests. Facts go through
``ledger.services.record`` like every real document's, so the roll-ups are kept too."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.finance.services import PaymentInput, record_payment
from salesdesk.ledger.choices import MONEY_KINDS, FactKind
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.team.models import SalesTarget, TargetScope

_seq = {"n": 0}

__all__ = ["CategoryFactory", "CustomerFactory", "ProductFactory", "fact", "pending_payment", "target"]


def fact(actor, kind: FactKind, day: date, amount, *, customer, product=None, shares=None, salesperson=None,
         quantity=None):
    """Record one event: ``amount`` is its magnitude (record() signs it by kind); the credit goes to
    ``shares`` [(user, weight)] or wholly to ``salesperson`` (default: the customer's)."""
    _seq["n"] += 1
    people = shares or [(salesperson or customer.salesperson, Decimal(1))]
    money = kind in MONEY_KINDS
    return record([FactInput(
        kind=kind, business_date=day, amount=Decimal(amount), customer_id=customer.pk,
        product_id=None if money else (product.pk if product is not None else None),
        quantity=None if money else Decimal(quantity or 1), source_kind="report_test", source_id=_seq["n"],
        shares=[Share(u.pk, Decimal(w), u.team_id) for u, w in people],
    )], actor=actor)


def pending_payment(personas, customer, amount, received_on: date, *, by="clerk"):
    """A payment recorded and not yet confirmed by finance (待确认回款)."""
    return record_payment(actor=personas[by], data=PaymentInput(
        customer=customer, amount=Decimal(amount), received_on=received_on, method="bank_transfer"))


def target(personas, month: date, amount, *, salesperson=None, team=None) -> SalesTarget:
    scope = TargetScope.SALESPERSON if salesperson else TargetScope.TEAM if team else TargetScope.COMPANY
    return SalesTarget.objects.create(month=month, scope=scope, salesperson=salesperson, team=team,
                                      sales_target=Decimal(amount), updated_by=personas["clerk"])
