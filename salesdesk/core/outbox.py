"""The transactional outbox: side effects promised inside a business transaction.

``enqueue()`` writes a row in the caller's transaction and, once that transaction commits, asks
the worker to drain. If the transaction rolls back, the row never existed. If the wake-up call is
lost (worker down, queue unreachable), the periodic sweeper drains the row later. Handlers are
registered per ``kind`` and must be idempotent: a message is retried with back-off on failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus

log = logging.getLogger("salesdesk.outbox")

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}

MAX_ATTEMPTS = 6
STALE_SENDING_AFTER = timedelta(minutes=10)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out messages of ``kind``."""

    def register(fn: Handler) -> Handler:
        _handlers[kind] = fn
        return fn

    return register


def enqueue(kind: str, payload: dict, *, dedupe_key: str | None = None) -> OutboxMessage | None:
    """Promise a side effect in the current transaction; ``dedupe_key`` makes a repeat a no-op.

    Returns the message, or ``None`` when a message with the same ``dedupe_key`` already exists.
    """
    if kind not in _handlers:
        raise ValueError(f"no outbox handler for {kind!r}")
    if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint, so a duplicate key does not poison the caller
            msg = OutboxMessage.objects.create(
                kind=kind, payload=payload, dedupe_key=dedupe_key, available_at=timezone.now()
            )
    except IntegrityError:
        if dedupe_key:
            return None
        raise
    transaction.on_commit(wake_worker)
    return msg


def wake_worker() -> None:
    """Ask the worker to drain now; losing this call only delays the message until the sweep."""
    from .tasks import drain_outbox_task

    try:
        drain_outbox_task()
    except Exception:  # the queue being unreachable must never fail the business request
        log.warning("could not enqueue the outbox drain; the sweeper will pick it up", exc_info=True)


def drain(limit: int = 200) -> int:
    """Carry out due messages; returns how many were sent. Safe to run in several workers at once."""
    now = timezone.now()
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, available_at__lte=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    for msg_id in ids:
        # Claim with a conditional UPDATE: of two workers, exactly one changes the row.
        claimed = OutboxMessage.objects.filter(id=msg_id, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
        if not claimed:
            continue
        msg = OutboxMessage.objects.get(id=msg_id)
        try:
            _handlers[msg.kind](msg)
        except Exception as exc:
            log.exception("outbox message %s failed", msg_id)
            give_up = msg.attempts >= MAX_ATTEMPTS
            OutboxMessage.objects.filter(id=msg_id).update(
                status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
                available_at=timezone.now() + timedelta(seconds=30 * 2 ** (msg.attempts - 1)),
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
            )
            continue
        OutboxMessage.objects.filter(id=msg_id).update(status=OutboxStatus.SENT, sent_at=timezone.now())
        sent += 1
    return sent


def sweep() -> dict[str, int]:
    """Periodic safety net: drain anything left behind and flag messages stuck in ``sending``.

    A message claimed more than ``STALE_SENDING_AFTER`` ago means the worker died mid-send: it
    may or may not have gone out, so it becomes ``uncertain`` for a person to resend.
    """
    stale = OutboxMessage.objects.filter(
        status=OutboxStatus.SENDING, claimed_at__lt=timezone.now() - STALE_SENDING_AFTER
    ).update(status=OutboxStatus.UNCERTAIN)
    return {"uncertain": stale, "sent": drain()}


def resend(msg: OutboxMessage) -> None:
    """A person decided an uncertain or failed message should go again (same payload, same ids)."""
    OutboxMessage.objects.filter(
        id=msg.id, status__in=[OutboxStatus.UNCERTAIN, OutboxStatus.FAILED]
    ).update(status=OutboxStatus.PENDING, available_at=timezone.now(), last_error="")
    transaction.on_commit(wake_worker)
