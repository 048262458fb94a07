"""The nightly backup (02:30 Beijing time; HUEY utc=False): one verified archive, then retention.
Registered by the import in salesdesk/core/tasks.py."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import backup, jobs


@db_periodic_task(crontab(hour="2", minute="30"))
@jobs.tracked("core.nightly_backup")
def nightly_backup_task() -> dict:
    result = backup.create_backup()
    deleted = backup.prune(result.path.parent)
    return {"archive": result.path.name, "bytes": result.manifest["archive_bytes"], "seconds": round(result.seconds, 1),
            "deleted": [p.name for p in deleted]}
