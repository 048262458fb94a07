"""The big export of the sales detail ledger as a tracked job: the file is written under
MEDIA_ROOT/exports/ledger/<token>.xlsx, progress is kept on the job's JobRun row (``output`` =
"rows written / rows"), and the requester is notified with a link to the job page.

The worker finds this task through ``reports/tasks.py`` (``run_huey`` imports each app's
``tasks`` module), which imports it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from huey.contrib.djhuey import db_task

from salesdesk.core.exports import log_export
from salesdesk.core.jobs import tracked
from salesdesk.core.models import JobRun
from salesdesk.core.notifications import notify

from . import detail_ledger as ledger

JOB_NAME = "reports.ledger_export"


def job_runs(token: str):
    return JobRun.objects.filter(name=JOB_NAME, args__kwargs__token=token).order_by("-started_at", "-id")


def build_export(*, token: str, user_id: int, filters: dict, title: str) -> str:
    """Write the file for ``token`` as the user sees the ledger; idempotent (a retry rewrites it)."""
    user = get_user_model().objects.get(pk=user_id)
    f = ledger.LedgerFilter.from_dict(filters)
    total = ledger.ledger_queryset(user, f).count()
    run = job_runs(token).values_list("pk", flat=True).first()

    def progress(done: int) -> None:
        if run:
            JobRun.objects.filter(pk=run).update(output=f"{done}/{total}")

    progress(0)
    folder = ledger.export_folder()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{token}.part"
    with open(partial, "wb") as out:
        count = ledger.write_workbook(out, ledger.iter_rows(user, f), title=title, exported_by=user.display_name,
                                      progress=progress)
    partial.replace(ledger.export_path(token))  # the download appears only once complete
    log_export(user, "reports.ledger", count, filters)
    url = reverse("ledger_export_status", kwargs={"token": token})
    notify([user], f"销售明细账导出完成（{count} 行）", "点击链接下载 Excel 文件。", url=url, kind="export", email=False,
           dedupe_key=f"ledger-export:{token}")
    return f"{count}/{total}"


@db_task(retries=1, retry_delay=30)
@tracked(JOB_NAME)
def export_ledger_task(*, token: str, user_id: int, filters: dict, title: str) -> str:
    return build_export(token=token, user_id=user_id, filters=filters, title=title)
