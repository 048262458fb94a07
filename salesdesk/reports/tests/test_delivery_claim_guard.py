"""The report delivery claim (scripts/mutants.py ``delivery-claim``): ``send_delivery`` hands a delivery to
the outbox only if it claims the row while it is pending; a worker holding a stale copy of a delivery
another worker sent, or of one left uncertain, sends nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from salesdesk.core.models import OutboxMessage
from salesdesk.reports import deliveries
from salesdesk.reports.models import DeliveryStatus, ReportDelivery, ReportSchedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(personas):
    daily = ReportSchedule.objects.get(code="daily_performance")
    first, _ = deliveries.plan_deliveries(daily, "2026-11-26", now=timezone.make_aware(datetime(2026, 11, 26, 16, 0)))
    return first


def test_a_delivery_another_worker_already_sent_is_not_sent_again(planned):
    stale = ReportDelivery.objects.get(pk=planned.pk)  # worker B read it while it was still pending

    assert deliveries.send_delivery(planned) is True  # worker A
    assert deliveries.send_delivery(stale) is False  # worker B

    planned.refresh_from_db()
    assert planned.status == DeliveryStatus.SENT and planned.attempts == 1
    assert OutboxMessage.objects.filter(kind="mail").count() == 1


def test_an_uncertain_delivery_is_never_sent_again_automatically(planned):
    ReportDelivery.objects.filter(pk=planned.pk).update(status=DeliveryStatus.UNCERTAIN, attempts=1)

    assert deliveries.send_delivery(planned) is False

    assert ReportDelivery.objects.get(pk=planned.pk).status == DeliveryStatus.UNCERTAIN
    assert not OutboxMessage.objects.exists()
