"""Receivables jobs: the morning reminder of the payments customers promised for today (催款承诺)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from salesdesk.core.jobs import tracked

from . import receivables


@db_periodic_task(crontab(hour="8", minute="30"))  # HUEY runs with utc=False: 08:30 Beijing time
@tracked("finance.collection_promises")
def collection_promise_reminders() -> str:
    """Every morning: each note whose promised pay day is today reminds its owner, once per note
    (a re-run the same day notifies nobody twice)."""
    return str(receivables.remind_promised_payments(timezone.localdate()))
