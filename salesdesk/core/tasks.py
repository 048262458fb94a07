"""Platform jobs: outbox drain and sweep, heartbeat."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import jobs, outbox, retention
from .backup_tasks import nightly_backup_task  # noqa: F401  (registers the nightly backup, R8)
from .invariant_tasks import nightly_invariants_task  # noqa: F401  (registers the nightly invariant check, R5)


@db_task(retries=2, retry_delay=10)
def drain_outbox_task() -> int:
    return outbox.drain()


@db_periodic_task(crontab(minute="*"))
def heartbeat_task() -> None:
    jobs.beat()


@db_periodic_task(crontab(minute="*"))
def sweep_outbox_task() -> dict:
    return outbox.sweep()


@db_periodic_task(crontab(hour="3", minute="17"))
@jobs.tracked("core.purge_old_rows")
def purge_old_rows_task() -> dict:
    return retention.purge_old_rows()
