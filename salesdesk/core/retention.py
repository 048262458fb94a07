"""Retention: platform rows that only matter for a while are purged nightly."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import JobRun, Notification, OutboxMessage, OutboxStatus


def purge_old_rows() -> dict[str, int]:
    now = timezone.now()
    days = getattr(settings, "RETENTION_DAYS", {})
    cut = {k: now - timezone.timedelta(days=days.get(k, default)) for k, default in
           (("job_runs", 90), ("outbox", 90), ("notifications", 365))}
    return {
        "job_runs": JobRun.objects.filter(started_at__lt=cut["job_runs"]).exclude(status="running").delete()[0],
        "outbox": OutboxMessage.objects.filter(status=OutboxStatus.SENT, sent_at__lt=cut["outbox"]).delete()[0],
        "notifications": Notification.objects.filter(
            read_at__isnull=False, created_at__lt=cut["notifications"]
        ).delete()[0],
    }
