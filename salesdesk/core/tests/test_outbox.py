"""The outbox promise: a side effect written in a transaction happens if and only if it commits."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from huey.contrib.djhuey import HUEY

from salesdesk.core import outbox
from salesdesk.core.mail import queue_mail
from salesdesk.core.models import Notification, OutboxMessage, OutboxStatus
from salesdesk.core.notifications import notify

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_notification_in_rolled_back_transaction_is_never_sent(personas):
    with pytest.raises(Boom), transaction.atomic():
        notify([personas["finance"]], "新订单 SO1", "请查收")
        raise Boom

    outbox.sweep()
    assert Notification.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []


def test_notification_committed_while_worker_down_is_sent_by_the_sweeper(personas, monkeypatch):
    def queue_unreachable():
        raise ConnectionError("queue down")

    monkeypatch.setattr("salesdesk.core.tasks.drain_outbox_task", queue_unreachable)
    with transaction.atomic():
        notify([personas["finance"]], "新订单 SO2", "请查收")

    assert mail.outbox == []  # nothing went out at commit: the worker was unreachable
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING

    outbox.sweep()  # the worker comes back; its periodic sweep drains what was left

    assert [m.to for m in mail.outbox] == [["finance@example.com"]]
    assert mail.outbox[0].subject == "新订单 SO2"
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_committed_notification_is_sent_after_commit_by_the_worker(personas):
    with transaction.atomic():
        notify([personas["finance"], personas["gm"]], "新订单 SO3")
        assert mail.outbox == []  # not before commit

    assert sorted(m.to[0] for m in mail.outbox) == ["finance@example.com", "gm@example.com"]


def test_outbox_drain_goes_through_the_real_queue_storage(personas):
    """With immediate mode off the wake-up call is stored in the configured queue (SQLite file
    or Redis) and a consumer executing it sends the mail."""
    HUEY.immediate = False
    HUEY.flush()
    try:
        with transaction.atomic():
            queue_mail(["gm@example.com"], "日报", "正文")
        assert mail.outbox == []
        assert HUEY.pending_count() == 1
        task = HUEY.dequeue()
        HUEY.execute(task)
        assert [m.subject for m in mail.outbox] == ["日报"]
    finally:
        HUEY.flush()
        HUEY.immediate = True


def test_failed_message_is_retried_later_and_not_lost(personas, monkeypatch):
    calls = []

    def flaky(msg):
        calls.append(msg.id)
        if len(calls) == 1:
            raise OSError("smtp down")

    monkeypatch.setitem(outbox._handlers, "mail", flaky)
    with transaction.atomic():
        queue_mail(["gm@example.com"], "日报", "正文")
    msg = OutboxMessage.objects.get()
    assert msg.status == OutboxStatus.PENDING and msg.attempts == 1 and "smtp down" in msg.last_error

    OutboxMessage.objects.update(available_at=msg.created_at)  # back-off elapsed
    outbox.drain()
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert len(calls) == 2


def test_dedupe_key_makes_a_repeat_a_no_op(personas):
    with transaction.atomic():
        notify([personas["finance"]], "订单已提交", dedupe_key="order-submitted:1")
    with transaction.atomic():
        notify([personas["finance"]], "订单已提交", dedupe_key="order-submitted:1")

    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_message_stuck_in_sending_becomes_uncertain_and_is_not_resent_automatically(personas):
    from django.utils import timezone

    with transaction.atomic():
        queue_mail(["gm@example.com"], "日报", "正文")
    OutboxMessage.objects.update(status=OutboxStatus.SENDING, claimed_at=timezone.now() - timezone.timedelta(hours=1))
    mail.outbox.clear()

    result = outbox.sweep()

    assert result == {"uncertain": 1, "sent": 0}
    assert OutboxMessage.objects.get().status == OutboxStatus.UNCERTAIN
    assert mail.outbox == []
