"""R6, never 500: a big ledger export asked for while the job queue is unreachable. The job cannot be
kept anywhere but the queue, so the request refuses at once: back to the ledger (same filters) with a
bilingual message, and a failed job row with the reason instead of a job "queued" and later "stale"."""

from __future__ import annotations

import pytest

from salesdesk.core.models import ExportLog, JobRun, JobStatus, Notification
from salesdesk.reports import detail_ledger as ledger
from salesdesk.reports import detail_tasks
from salesdesk.reports.detail_views import MSG_QUEUE_DOWN, SESSION_KEY

from .test_detail_ledger import _history

pytestmark = pytest.mark.django_db

QUERY = "start=2026-10-01&end=2026-10-31"
URL = f"/reports/ledger/?{QUERY}&export=xlsx"


@pytest.fixture
def big(personas, monkeypatch):
    monkeypatch.setattr(ledger, "INLINE_LIMIT", 3)  # the 8 rows of _history go to a job
    _history(personas)
    return personas


def test_a_big_export_with_the_queue_down_goes_back_to_the_ledger_with_the_reason(client, big, queue_down):
    client.force_login(big["clerk"])

    response = client.get(URL, follow=True)

    assert response.redirect_chain == [(f"/reports/ledger/?{QUERY}", 302)]
    assert response.status_code == 200 and MSG_QUEUE_DOWN in response.content.decode()


def test_the_refused_export_leaves_a_failed_job_row_with_the_reason_and_nothing_else(client, big, queue_down):
    clerk = big["clerk"]
    client.force_login(clerk)

    client.get(URL)

    run = JobRun.objects.get(name=detail_tasks.JOB_NAME)
    assert run.status == JobStatus.FAILED and run.finished_at is not None
    assert MSG_QUEUE_DOWN in run.error and "ConnectionError" in run.error
    assert run.args["kwargs"]["user_id"] == clerk.pk
    assert not ExportLog.objects.exists() and not Notification.objects.exists()
    assert not client.session.get(SESSION_KEY)
    assert not ledger.export_folder().exists() or not any(ledger.export_folder().iterdir())


def test_the_refused_exports_page_says_failed_not_queued(client, big, queue_down):
    client.force_login(big["clerk"])
    client.get(URL)
    token = JobRun.objects.get(name=detail_tasks.JOB_NAME).args["kwargs"]["token"]

    html = client.get(f"/reports/ledger/exports/{token}/").content.decode()

    assert "导出失败" in html and "排队中" not in html
    assert client.get(f"/reports/ledger/exports/{token}/download/").status_code == 404
