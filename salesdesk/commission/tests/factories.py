"""Plans, tiers, category rates, age rules and assignments for the commission tests, and the
facts, orders, receivables and targets they price. Facts go through ``ledger.services.record``
like every real document's (credit split into one fact per share)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import factory

from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory
from salesdesk.commission.models import (
    CommissionPlan,
    PlanAgeRule,
    PlanAssignment,
    PlanCategoryRate,
    PlanTier,
)
from salesdesk.core.lib.money import quantize_money, split_tax
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import MONEY_KINDS
from salesdesk.ledger.services import FactInput, Share, record

__all__ = [
    "AgeRuleFactory", "AssignmentFactory", "CategoryFactory", "CategoryRateFactory", "CustomerFactory", "PlanFactory",
    "ProductFactory", "TierFactory", "assign", "fact", "order", "plan", "receivable", "target",
]

_seq = {"n": 0}
ZERO = Decimal("0.00")


def _next() -> int:
    _seq["n"] += 1
    return _seq["n"]


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissionPlan

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.Sequence(lambda n: f"提成方案{n}")
    valid_from = date(2020, 1, 1)
    rate = Decimal("0.0300")


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanTier

    plan = factory.SubFactory(PlanFactory)
    threshold = Decimal(0)
    rate = Decimal("0.0200")


class CategoryRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanCategoryRate

    plan = factory.SubFactory(PlanFactory)
    category = factory.SubFactory(CategoryFactory)
    base = "shipped"
    rate = Decimal("0.0100")


class AgeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanAgeRule

    plan = factory.SubFactory(PlanFactory)
    months_after = 1
    until_day = None
    rate = Decimal("0.0200")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanAssignment

    plan_code = factory.LazyAttribute(lambda o: PlanFactory().code)
    valid_from = date(2020, 1, 1)


def plan(*, tiers: Sequence[tuple] = (), categories: Sequence[tuple] = (), age_rules: Sequence[tuple] = (),
         **fields) -> CommissionPlan:
    """A plan with its tiers [(threshold, rate)], category rates [(category, base, rate)] and age
    rules [(months_after, until_day, rate)] in one call."""
    p = PlanFactory(**fields)
    for threshold, rate in tiers:
        PlanTier.objects.create(plan=p, threshold=Decimal(threshold), rate=Decimal(rate))
    for category, base, rate in categories:
        PlanCategoryRate.objects.create(plan=p, category=category, base=base, rate=Decimal(rate))
    for months_after, until_day, rate in age_rules:
        PlanAgeRule.objects.create(plan=p, months_after=months_after, until_day=until_day, rate=Decimal(rate))
    return p


def assign(p: CommissionPlan, *, salesperson=None, team=None, valid_from: date = date(2020, 1, 1),
           valid_to: date | None = None) -> PlanAssignment:
    return PlanAssignment.objects.create(plan_code=p.code, salesperson=salesperson, team=team, valid_from=valid_from,
                                         valid_to=valid_to)


def fact(actor, kind: str, day: date, amount, *, customer, shares=None, salesperson=None, product=None,
         quantity=None, tax=None, order_id: int | None = None, source_kind: str = "commission_test",
         source_id: int | None = None):
    """Record one event (``amount`` its magnitude incl. tax; record() signs it by kind). Credit to
    ``shares`` [(user, weight)] or wholly to ``salesperson`` (default: the customer's). Goods facts
    get their tax from the product's rate unless given."""
    people = shares or [(salesperson or customer.salesperson, Decimal(1))]
    money = kind in MONEY_KINDS
    amount = quantize_money(Decimal(amount))
    if tax is None:
        tax = ZERO if money or product is None else split_tax(amount, product.tax_rate)[1]
    return record([FactInput(
        kind=kind, business_date=day, amount=amount, tax=Decimal(tax), customer_id=customer.pk,
        product_id=None if money or product is None else product.pk,
        quantity=None if money else Decimal(quantity if quantity is not None else 1),
        order_id=order_id, source_kind=source_kind, source_id=source_id or _next(),
        shares=[Share(u.pk, Decimal(w), u.team_id) for u, w in people],
    )], actor=actor)



def order(personas, customer, lines: Sequence[tuple], *, shares=None, order_date: date = date(2026, 7, 1)):
    """A submitted order: ``lines`` [(product, quantity, unit_price incl. tax)], credit ``shares``
    [(user, weight)] (default: the customer's salesperson)."""
    from salesdesk.orders.models import CreditShare, Order, OrderLine

    n = _next()
    priced = []
    for product, quantity, unit_price in lines:
        amount = quantize_money(Decimal(quantity) * Decimal(unit_price))
        priced.append((product, Decimal(quantity), Decimal(unit_price), amount, split_tax(amount, product.tax_rate)[1]))
    people = shares or [(customer.salesperson, Decimal(1))]
    o = Order.objects.create(number=f"SO-C{n:05d}", customer=customer, salesperson=people[0][0], status="submitted",
                             order_date=order_date, created_by=personas["clerk"],
                             total=sum((p[3] for p in priced), ZERO), tax_total=sum((p[4] for p in priced), ZERO))
    for i, (product, quantity, unit_price, amount, tax) in enumerate(priced, 1):
        OrderLine.objects.create(order=o, line_no=i, product=product, quantity=quantity, unit_price=unit_price,
                                 reference_price=unit_price, tax_rate=product.tax_rate, amount=amount, tax=tax)
    for user, weight in people:
        CreditShare.objects.create(order=o, salesperson=user, team=user.team, share=Decimal(weight))
    return o


def receivable(customer, amount, shipped_on: date, *, order=None, due_on: date | None = None, credit_days: int = 30):
    """An open receivable (what a dispatched shipment posts), due ``credit_days`` after shipping."""
    from salesdesk.finance.models import Receivable
    from salesdesk.ledger.periods import month_of

    n = _next()
    return Receivable.objects.create(
        source_kind="shipment", source_id=n, number=f"SH-C{n:05d}", customer=customer, order=order,
        contract_id=None, salesperson=customer.salesperson, amount=quantize_money(Decimal(amount)), shipped_on=shipped_on,
        arises_on=shipped_on, due_on=due_on or shipped_on + timedelta(days=credit_days), period=month_of(shipped_on),
    )


def target(personas, month: date, *, salesperson=None, team=None, collection=0, sales=0):
    from salesdesk.team.models import SalesTarget, TargetScope

    scope = TargetScope.SALESPERSON if salesperson else TargetScope.TEAM if team else TargetScope.COMPANY
    return SalesTarget.objects.create(month=month, scope=scope, salesperson=salesperson, team=team,
                                      collection_target=Decimal(collection), sales_target=Decimal(sales),
                                      updated_by=personas["clerk"])

