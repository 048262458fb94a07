"""R6, never 500: starting (or resuming) a run when the job queue is unreachable. The run is committed as
``computing`` before the job is queued, so a refused enqueue leaves it ``failed`` with the reason for the
clerk to resume, and the request answers 503 + Retry-After (API) or a message (page) — never a 500.

These tests commit for real (``transaction=True``): the job is queued in ``transaction.on_commit``."""

from __future__ import annotations

import pytest

from salesdesk.commission import services
from salesdesk.commission.models import CommissionRun, RunStatus
from salesdesk.core.jobs import QUEUE_RETRY_AFTER_SECONDS
from salesdesk.core.models import JobRun, JobStatus

from .run_factories import month_with_money

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = "/api/v1/commission/runs"


def test_starting_a_run_with_the_queue_down_answers_503_with_a_bilingual_reason(api, personas, queue_down):
    r = api("clerk").post(f"{RUNS}/start", {"period": "2026-10"})

    assert r.status_code == 503, r.content
    assert r.json() == {"detail": services.MSG_QUEUE_DOWN, "code": "queue_unavailable"}


def test_the_503_of_a_queue_that_is_down_says_when_to_retry(api, personas, queue_down):
    r = api("clerk").post(f"{RUNS}/start", {"period": "2026-10"})

    assert r.status_code == 503 and r["Retry-After"] == str(QUEUE_RETRY_AFTER_SECONDS)


def test_a_run_the_queue_refused_is_left_failed_with_the_reason_not_computing(api, personas, queue_down):
    api("clerk").post(f"{RUNS}/start", {"period": "2026-10"})

    run = CommissionRun.objects.get(period="2026-10")
    assert (run.status, run.error, run.lines.count()) == (RunStatus.FAILED, services.MSG_QUEUE_DOWN, 0)
    job = JobRun.objects.get(name="commission.compute_run")
    assert job.status == JobStatus.FAILED and "ConnectionError" in job.error
    assert job.args["kwargs"] == {"run_id": run.pk, "actor_id": personas["clerk"].pk}


def test_a_refused_run_is_resumed_once_the_queue_is_back(api, personas, queue_down):
    month_with_money(personas)
    api("clerk").post(f"{RUNS}/start", {"period": "2026-10"})
    run = CommissionRun.objects.get(period="2026-10")
    queue_down.immediate = True  # the queue is back (jobs run in-process, as in the other tests)

    r = api("clerk").post(f"{RUNS}/{run.pk}/resume")

    assert r.status_code == 200, r.content
    run.refresh_from_db()
    assert (run.status, run.error, run.lines.count()) == (RunStatus.DRAFT, "", 3)


def test_resuming_with_the_queue_down_answers_503_and_the_run_stays_failed(api, personas, queue_down):
    api("clerk").post(f"{RUNS}/start", {"period": "2026-10"})
    run = CommissionRun.objects.get(period="2026-10")

    r = api("clerk").post(f"{RUNS}/{run.pk}/resume")

    assert r.status_code == 503, r.content
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, services.MSG_QUEUE_DOWN)


def test_the_page_shows_the_reason_when_the_queue_is_down(client, personas, queue_down):
    client.force_login(personas["clerk"])

    response = client.post("/commission/runs/start/", {"period": "2026-10"}, follow=True)

    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/commission/"
    assert "后台任务队列暂时不可用" in response.content.decode()
    assert CommissionRun.objects.get(period="2026-10").status == RunStatus.FAILED
