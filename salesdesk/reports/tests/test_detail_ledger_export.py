"""Excel export of the sales detail ledger: small ranges at once, big ones as a tracked job that
writes a file (openpyxl write-only) the requester alone downloads, with progress on the job page."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from salesdesk.core.models import ExportLog, JobRun, JobStatus, Notification
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import FactKind
from salesdesk.reports import detail_ledger as ledger
from salesdesk.reports import detail_tasks
from salesdesk.reports.detail_ledger import LedgerFilter

from .test_detail_ledger import _history, fact

pytestmark = pytest.mark.django_db

URL = "/reports/ledger/?start=2026-10-01&end=2026-10-31&export=xlsx"


def _sheet_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(min_row=3, values_only=True)]


def _expected(user, f) -> list[tuple]:
    return [(r.date, r.customer_code, r.document, float(r.amount), float(r.balance)) for r in ledger.iter_rows(user, f)]


def _picked(rows: list[tuple]) -> list[tuple]:
    return [(r[0].date(), r[1], r[11], r[8], r[14]) for r in rows]


def test_a_small_range_downloads_at_once_with_the_same_rows_and_is_logged(client, personas):
    _history(personas)
    client.force_login(personas["clerk"])

    response = client.get(URL)

    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = _sheet_rows(content)
    assert _picked(rows) == _expected(personas["clerk"], LedgerFilter(start=date(2026, 10, 1), end=date(2026, 10, 31)))
    assert len(rows) == 8
    assert ExportLog.objects.get().rows == 8 and not JobRun.objects.exists()


def test_a_salespersons_export_holds_only_their_rows(client, personas):
    _, b, _ = _history(personas)
    client.force_login(personas["sales2"])

    rows = _sheet_rows(client.get(URL).content)

    assert {r[1] for r in rows} == {b.code}


def test_a_big_range_runs_as_a_job_whose_file_has_the_same_rows(client, personas, monkeypatch):
    monkeypatch.setattr(ledger, "INLINE_LIMIT", 3)
    monkeypatch.setattr(ledger, "BATCH", 2)
    _history(personas)
    clerk = personas["clerk"]
    client.force_login(clerk)

    response = client.get(URL)

    token = response["Location"].rstrip("/").split("/")[-1]
    assert response.status_code == 302 and response["Location"] == f"/reports/ledger/exports/{token}/"
    run = JobRun.objects.get(name=detail_tasks.JOB_NAME)
    assert (run.status, run.output) == (JobStatus.SUCCEEDED, "8/8")
    page = client.get(response["Location"]).content.decode()
    assert f"/reports/ledger/exports/{token}/download/" in page
    download = client.get(f"/reports/ledger/exports/{token}/download/")
    rows = _sheet_rows(b"".join(download.streaming_content))
    assert _picked(rows) == _expected(clerk, LedgerFilter(start=date(2026, 10, 1), end=date(2026, 10, 31)))
    note = Notification.objects.get(recipient=clerk)
    assert note.url == f"/reports/ledger/exports/{token}/" and "8" in note.title


def test_progress_is_written_on_the_job_row_while_the_file_grows(personas, monkeypatch):
    monkeypatch.setattr(ledger, "BATCH", 2)
    _history(personas)
    seen = []
    rows = ledger.iter_rows

    def watched(user, f):
        for row in rows(user, f):
            seen.append(JobRun.objects.get(name=detail_tasks.JOB_NAME).output)
            yield row

    monkeypatch.setattr(ledger, "iter_rows", watched)

    detail_tasks.export_ledger_task(token="a" * 32, user_id=personas["clerk"].pk, filters={}, title="明细账")

    assert seen == ["0/8", "0/8", "2/8", "2/8", "4/8", "4/8", "6/8", "6/8"]
    assert JobRun.objects.get().output == "8/8" and ledger.export_path("a" * 32).exists()


def test_another_user_cannot_see_or_download_someone_elses_export(client, personas, monkeypatch):
    monkeypatch.setattr(ledger, "INLINE_LIMIT", 1)
    _history(personas)
    client.force_login(personas["clerk"])
    location = client.get(URL)["Location"]
    client.logout()
    client.force_login(personas["gm"])

    assert client.get(location).status_code == 404
    assert client.get(location + "download/").status_code == 404


def test_an_unknown_export_token_is_not_found(client, personas):
    client.force_login(personas["clerk"])

    assert client.get("/reports/ledger/exports/" + "0" * 32 + "/").status_code == 404
    assert client.get("/reports/ledger/exports/not-a-token/").status_code == 404


def test_a_queued_export_shows_its_place_in_the_queue(client, personas, monkeypatch, _huey_immediate):
    monkeypatch.setattr(ledger, "INLINE_LIMIT", 1)
    _history(personas)
    _huey_immediate.immediate = False
    _huey_immediate.flush()
    try:
        client.force_login(personas["clerk"])
        location = client.get(URL)["Location"]
        html = client.get(location).content.decode()
        assert "排队中" in html and not JobRun.objects.exists()
        assert client.get(location + "download/").status_code == 404
    finally:
        _huey_immediate.flush()
        _huey_immediate.immediate = True


def test_roles_without_the_export_permission_cannot_export(client, personas):
    c = CustomerFactory(salesperson=personas["sales1"])
    fact(personas["clerk"], kind=FactKind.SHIPPED, day=date(2026, 10, 3), amount="10.00", customer=c,
         salesperson=personas["sales1"])
    client.force_login(personas["hr"])

    assert client.get(URL).status_code == 403
    assert not ExportLog.objects.exists()
