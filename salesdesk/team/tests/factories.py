"""Factories of the team app (tests and benchmarks)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from salesdesk.team.models import SalesTarget, TargetScope


class SalesTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTarget

    month = date(2026, 10, 1)
    scope = TargetScope.SALESPERSON
    sales_target = Decimal("100000.00")
    collection_target = Decimal("80000.00")
