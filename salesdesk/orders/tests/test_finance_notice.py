"""立即上报财务部: submitting an order tells finance exactly once — in the app and by one e-mail
through the outbox — also when the request is retried, and not at all when the submit's
transaction rolls back. These tests commit for real (``transaction=True``) so the outbox's
after-commit drain and the mail run as in production."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.db import transaction

from salesdesk.core.models import Notification, OutboxMessage
from salesdesk.ledger.models import Fact
from salesdesk.orders import services
from salesdesk.orders.models import Order

from .factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def _finance_mail():
    return [m for m in mail.outbox if m.to == ["finance@example.com"]]


def test_a_submit_sends_finance_one_mail_after_commit(api, personas):
    order = make_order(personas)

    response = api("clerk").post(f"/api/v1/orders/{order.pk}/submit")

    assert response.status_code == 200
    (message,) = _finance_mail()
    assert order.number in message.subject
    assert "结算方式" in message.body
    assert Notification.objects.filter(recipient=personas["finance"], kind="order_submitted").count() == 1


def test_a_retried_submit_sends_no_second_notification(api, personas):
    order = make_order(personas)

    statuses = [api("clerk").post(f"/api/v1/orders/{order.pk}/submit").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len(_finance_mail()) == 1
    assert Notification.objects.filter(kind="order_submitted").count() == 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"notify:order-submitted:{order.pk}:").count() == 1


def test_a_rolled_back_submit_notifies_nobody(personas):
    order = make_order(personas)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit_order(actor=personas["clerk"], order=order)
        raise RuntimeError("the request failed after the submit")

    assert Order.objects.get(pk=order.pk).status == "draft"
    assert not Notification.objects.filter(kind="order_submitted").exists()
    assert not OutboxMessage.objects.exists()
    assert not Fact.objects.exists()
    assert _finance_mail() == []


def test_a_submit_that_fails_while_booking_writes_and_sends_nothing(api, personas):
    order = make_order(personas)

    with mock.patch("salesdesk.orders.services.record", side_effect=RuntimeError("ledger down")), \
            pytest.raises(RuntimeError):
        services.submit_order(actor=personas["clerk"], order=order)

    assert Order.objects.get(pk=order.pk).status == "draft"
    assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
    assert _finance_mail() == []
    # and the retry after the failure notifies exactly once
    assert api("clerk").post(f"/api/v1/orders/{order.pk}/submit").status_code == 200
    assert len(_finance_mail()) == 1
