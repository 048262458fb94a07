"""Logistics jobs: the daily waybill notice (每日发货物流单通知) at the notice time, Beijing time."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from salesdesk.core.jobs import tracked

from . import notices

_AT = notices.notice_time()  # HUEY runs with utc=False: the crontab is Asia/Shanghai wall-clock time


@db_periodic_task(crontab(hour=str(_AT.hour), minute=str(_AT.minute)))
@tracked("logistics.waybill_daily")
def waybill_daily_notice() -> str:
    """Every day at the notice time; the function itself skips weekends and holidays, so the run
    is recorded either way."""
    return str(notices.send_daily_waybill_notices(timezone.localdate()))
