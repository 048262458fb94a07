from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from salesdesk.core import jobs
from salesdesk.core.models import JobRun, JobStatus, WorkerHeartbeat
from salesdesk.core.testing.personas import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username="clerk"):
    assert client.login(username=username, password=PASSWORD)


def test_banner_shows_worker_down_after_five_minutes_without_heartbeat(client, personas):
    WorkerHeartbeat.objects.create(last_seen=timezone.now() - timezone.timedelta(minutes=6))
    _login(client)

    html = client.get("/").content.decode()

    assert 'id="worker-down"' in html
    assert "后台任务进程自" in html


def test_no_banner_while_the_worker_beats(client, personas):
    jobs.beat()
    _login(client)

    assert 'id="worker-down"' not in client.get("/").content.decode()


def test_admin_is_mailed_once_per_outage(client, personas):
    WorkerHeartbeat.objects.create(last_seen=timezone.now() - timezone.timedelta(minutes=10))
    _login(client)

    client.get("/")
    client.get("/")

    alerts = [m for m in mail.outbox if "worker" in m.subject]
    assert len(alerts) == 1
    assert alerts[0].to == ["admin@example.com"]


def test_tracked_job_records_a_successful_run_with_its_output():
    @jobs.tracked("demo.add")
    def add(a, b):
        return a + b

    assert add(2, 3) == 5

    run = JobRun.objects.get()
    assert (run.name, run.status, run.output) == ("demo.add", JobStatus.SUCCEEDED, "5")
    assert run.args == {"args": [2, 3], "kwargs": {}}
    assert run.finished_at is not None and run.duration_ms is not None


def test_tracked_job_records_a_failure_with_its_error():
    @jobs.tracked("demo.fail")
    def fail():
        raise RuntimeError("no luck")

    with pytest.raises(RuntimeError):
        fail()

    run = JobRun.objects.get()
    assert run.status == JobStatus.FAILED
    assert run.error == "RuntimeError: no luck"


def test_huey_checks_crontabs_in_local_time():
    from huey.contrib.djhuey import HUEY

    assert HUEY.utc is False


def test_banner_shows_when_the_worker_never_started_on_an_install_older_than_five_minutes(client, personas):
    from salesdesk.org.models import User

    User.objects.update(date_joined=timezone.now() - timezone.timedelta(minutes=30))
    _login(client)

    assert 'id="worker-down"' in client.get("/").content.decode()


def test_ui_is_chinese_even_when_the_browser_asks_for_english(client, personas):
    _login(client)

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="zh-hans">' in html


def test_admin_sees_job_runs_in_django_admin_but_business_roles_do_not(client, personas):
    jobs.tracked("demo.job")(lambda: "done")()

    _login(client, "admin")
    page = client.get("/admin/core/jobrun/")
    assert page.status_code == 200 and "demo.job" in page.content.decode()

    client.logout()
    _login(client, "clerk")
    assert client.get("/admin/core/jobrun/").status_code == 302  # not staff: sent to the admin login
