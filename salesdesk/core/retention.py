"""Retention: platform rows that only matter for a while are purged nightly (``purge_old_rows_task``,
03:17 Beijing time). Business history is never purged; the periods are ``settings.RETENTION_DAYS``.

| key | what goes | what stays |
| --- | --- | --- |
| ``job_runs`` | finished ``JobRun`` rows | ``running`` rows |
| ``outbox`` | ``sent`` outbox messages, counted from sending | ``pending``, ``sending``, ``failed``, ``uncertain`` |
| ``notifications`` | read notifications | unread ones |
| ``report_copies`` | the stored copy (HTML body and Excel file) of a sent report delivery | the delivery row itself |
| ``axes`` | django-axes records: failed attempts, failure log, login log | attempts younger than the period |
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from .models import JobRun, JobStatus, Notification, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

DEFAULT_DAYS = {"job_runs": 90, "outbox": 90, "notifications": 365, "report_copies": 180, "axes": 90}
AXES_MODELS = ("AccessAttempt", "AccessFailureLog", "AccessLog")  # all three carry ``attempt_time``


def retention_days() -> dict[str, int]:
    """The configured periods, each at least one day (0 or a negative number would purge today's rows)."""
    configured = getattr(settings, "RETENTION_DAYS", {}) or {}
    return {key: max(1, int(configured.get(key, default))) for key, default in DEFAULT_DAYS.items()}


def purge_old_rows(now=None) -> dict[str, int]:
    """Delete (or, for report copies, empty) what is older than its period; returns counts per key."""
    now = now or timezone.now()
    cut = {key: now - timedelta(days=days) for key, days in retention_days().items()}
    result = {
        "job_runs": JobRun.objects.filter(started_at__lt=cut["job_runs"]).exclude(status=JobStatus.RUNNING).delete()[0],
        "outbox": OutboxMessage.objects.filter(status=OutboxStatus.SENT, sent_at__lt=cut["outbox"]).delete()[0],
        "notifications": Notification.objects.filter(
            read_at__isnull=False, created_at__lt=cut["notifications"]
        ).delete()[0],
        "report_copies": _drop_report_copies(cut["report_copies"]),
        "axes": _purge_axes(cut["axes"]),
    }
    return result


def _drop_report_copies(before) -> int:
    """Sent report deliveries keep their row (who got which period when) but lose the stored body and file."""
    if not apps.is_installed("salesdesk.reports"):
        return 0
    from salesdesk.reports.models import DeliveryStatus, ReportDelivery

    old = (ReportDelivery.objects.filter(status=DeliveryStatus.SENT, sent_at__lt=before)
           .exclude(body_html="", attachment=""))
    dropped = 0
    for delivery in old.only("pk", "attachment").iterator(chunk_size=500):
        name = delivery.attachment.name
        if name:
            try:
                delivery.attachment.storage.delete(name)
            except OSError:  # already gone or unreadable: the row is emptied all the same
                log.warning("retention: could not delete %s", name)
        dropped += ReportDelivery.objects.filter(pk=delivery.pk).update(body_html="", attachment="")
    return dropped


def _purge_axes(before) -> int:
    if not apps.is_installed("axes"):
        return 0
    total = 0
    for name in AXES_MODELS:
        try:
            model = apps.get_model("axes", name)
        except LookupError:
            continue
        total += model.objects.filter(attempt_time__lt=before).delete()[0]
    return total
