"""Retention: old platform rows go, recent and still-needed rows stay, report deliveries keep their row."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from salesdesk.core import retention, tasks
from salesdesk.core.models import JobRun, JobStatus, Notification, OutboxMessage, OutboxStatus
from salesdesk.reports.models import DeliveryStatus, PeriodRule, ReportDelivery, ReportSchedule

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=5)


def _job(status, started_at) -> JobRun:
    run = JobRun.objects.create(name="x", status=status)
    JobRun.objects.filter(pk=run.pk).update(started_at=started_at)
    return run


def _outbox(status, sent_at, key) -> OutboxMessage:
    return OutboxMessage.objects.create(kind="mail", status=status, available_at=OLD, sent_at=sent_at, dedupe_key=key)


def _delivery(personas, *, status, sent_at, period) -> ReportDelivery:
    schedule, _ = ReportSchedule.objects.get_or_create(
        code="retention-test", defaults={"name": "保留测试", "period_rule": PeriodRule.DAILY, "send_at": time(17)})
    delivery = ReportDelivery.objects.create(schedule=schedule, period=period, recipient=personas["gm"], status=status,
                                             sent_at=sent_at, message_id=f"<{period}@test>", subject="日报",
                                             body_html="<p>客户甲 ¥1,000.00</p>", attachment_name="日报.xlsx")
    delivery.attachment.save(f"delivery-{delivery.pk}.xlsx", ContentFile(b"PK fake xlsx"), save=True)
    return delivery


def _axes(model, when):
    extra = {"failures_since_start": 1} if model is AccessAttempt else {}
    row = model.objects.create(username="sales1", ip_address="10.0.0.1", user_agent=f"t {when}", path_info="/login/", **extra)
    model.objects.filter(pk=row.pk).update(attempt_time=when)


def test_old_finished_job_runs_go_and_running_or_recent_ones_stay():
    old_done, old_running, recent = _job(JobStatus.SUCCEEDED, OLD), _job(JobStatus.RUNNING, OLD), _job(JobStatus.FAILED, RECENT)

    counts = retention.purge_old_rows(now=NOW)

    assert counts["job_runs"] == 1
    assert set(JobRun.objects.values_list("pk", flat=True)) == {old_running.pk, recent.pk}
    assert not JobRun.objects.filter(pk=old_done.pk).exists()


def test_only_sent_outbox_messages_past_the_period_go():
    _outbox(OutboxStatus.SENT, OLD, "old-sent")
    kept = {_outbox(OutboxStatus.SENT, RECENT, "recent-sent").pk, _outbox(OutboxStatus.FAILED, None, "failed").pk,
            _outbox(OutboxStatus.UNCERTAIN, None, "uncertain").pk}

    counts = retention.purge_old_rows(now=NOW)

    assert counts["outbox"] == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == kept


def test_read_notifications_go_after_a_year_and_unread_ones_stay(personas):
    read = Notification.objects.create(recipient=personas["clerk"], title="旧", read_at=OLD)
    unread = Notification.objects.create(recipient=personas["clerk"], title="未读")
    Notification.objects.filter(pk__in=[read.pk, unread.pk]).update(created_at=OLD)

    retention.purge_old_rows(now=NOW)

    assert list(Notification.objects.values_list("pk", flat=True)) == [unread.pk]


def test_an_old_sent_report_copy_loses_body_and_file_but_keeps_its_row(personas):
    old = _delivery(personas, status=DeliveryStatus.SENT, sent_at=OLD, period="2025-01-02")
    path = old.attachment.name

    counts = retention.purge_old_rows(now=NOW)

    old.refresh_from_db()
    assert counts["report_copies"] == 1
    assert (old.body_html, old.attachment.name) == ("", "")
    assert not default_storage.exists(path)
    assert (old.status, old.subject, old.attachment_name, old.recipient_id) == (
        DeliveryStatus.SENT, "日报", "日报.xlsx", personas["gm"].pk)


def test_recent_or_unsent_report_copies_are_kept(personas):
    recent = _delivery(personas, status=DeliveryStatus.SENT, sent_at=RECENT, period="2026-11-20")
    failed = _delivery(personas, status=DeliveryStatus.FAILED, sent_at=None, period="2025-01-03")
    ReportDelivery.objects.filter(pk=failed.pk).update(created_at=OLD)

    counts = retention.purge_old_rows(now=NOW)

    assert counts["report_copies"] == 0
    for delivery in (recent, failed):
        delivery.refresh_from_db()
        assert delivery.body_html and default_storage.exists(delivery.attachment.name)


def test_old_axes_records_go_and_recent_ones_stay():
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        _axes(model, OLD)
        _axes(model, RECENT)

    counts = retention.purge_old_rows(now=NOW)

    assert counts["axes"] == 3
    assert [m.objects.count() for m in (AccessAttempt, AccessFailureLog, AccessLog)] == [1, 1, 1]


def test_retention_periods_come_from_settings(settings):
    settings.RETENTION_DAYS = {"job_runs": 3, "outbox": 0}
    _job(JobStatus.SUCCEEDED, RECENT)  # 5 days old

    retention.purge_old_rows(now=NOW)

    assert not JobRun.objects.exists()
    assert retention.retention_days()["outbox"] == 1  # never 0: that would purge today's rows
    assert retention.retention_days()["notifications"] == 365


def test_the_cleanup_is_a_nightly_tracked_periodic_task_in_beijing_time(settings):
    from huey.contrib.djhuey import HUEY

    assert HUEY.utc is False and settings.HUEY["utc"] is False
    validate = tasks.purge_old_rows_task.s().validate_datetime
    beijing_now = timezone.localtime().replace(tzinfo=None)
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert abs(HUEY._get_timestamp() - beijing_now) < timedelta(minutes=1)  # huey's clock is Beijing time
    assert validate(datetime(2026, 11, 27, 3, 17))
    assert not validate(datetime(2026, 11, 27, 19, 17))  # 03:17 Beijing = 19:17 UTC the day before: not UTC

    _job(JobStatus.SUCCEEDED, OLD)
    result = tasks.purge_old_rows_task.call_local()

    assert result["job_runs"] == 1
    assert JobRun.objects.filter(name="core.purge_old_rows", status=JobStatus.SUCCEEDED).exists()
