"""The outbox claim (scripts/mutants.py ``outbox-claim``): a message is carried out by the one worker
whose conditional UPDATE claimed it, even when another worker listed it as due a moment earlier."""

from __future__ import annotations

import pytest

from salesdesk.core import outbox
from salesdesk.core.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def test_a_message_another_worker_sent_meanwhile_is_not_sent_again(monkeypatch):
    sent: list[int] = []

    def send(msg: OutboxMessage) -> None:
        sent.append(msg.payload["n"])
        if len(sent) == 1:  # while worker A sends the first message, worker B drains the rest
            outbox.drain()

    monkeypatch.setitem(outbox._handlers, "guard", send)
    for n in range(3):  # the test's transaction never commits: no wake-up call drains them early
        outbox.enqueue("guard", {"n": n})

    outbox.drain()  # worker A: listed all three as due before B claimed two of them

    assert sorted(sent) == [0, 1, 2]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
