"""Factories of the register (tests and benchmarks)."""

from __future__ import annotations

import factory
from django.utils import timezone

from salesdesk.office.models import Correspondence


class CorrespondenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correspondence

    number = factory.Sequence(lambda n: f"RW-T{n:06d}")
    direction = "in"
    channel = "letter"
    received_on = factory.LazyFunction(timezone.localdate)
    counterpart = factory.Sequence(lambda n: f"来文单位{n}")
    subject = factory.Sequence(lambda n: f"关于第{n}号事项的函")
