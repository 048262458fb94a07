"""The scheduler's periodic job: every minute (crontab in Beijing time, ``utc: False``) it drafts the
daily report at its draft time (16:00), sends what is due and not yet sent (16:50 for the daily
report; the five-day, monthly, quarterly and annual reports on the first working day after their
period), catches up the latest missed period after an outage and flags stale sends as uncertain.
Non-working days send nothing (``core.lib.workdays``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import deliveries


@db_periodic_task(crontab(minute="*"))
def run_report_schedules_task() -> dict:
    return deliveries.run_due()
