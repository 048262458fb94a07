"""Commission jobs: a run computed with progress (``services.start_run`` / ``resume_run``
enqueue it), and the daily routine that drafts last month's run once finance has locked it and
reminds the clerks from the N-th working day (``settings.COMMISSION_REMINDER_WORKDAY``, default
the 3rd) while last month has no approved run. The worker finds them through this module."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from salesdesk.core.jobs import tracked

from . import services

JOB_NAME = "commission.compute_run"


@db_task()
@tracked(JOB_NAME)
def compute_run_task(*, run_id: int, actor_id: int | None) -> str:
    """Compute one run; a crash leaves it ``failed`` (or ``computing`` if the worker died) for
    the clerk to resume."""
    return services.compute_job(run_id=run_id, actor_id=actor_id)


@db_periodic_task(crontab(hour="8", minute="10"))  # HUEY runs with utc=False: 08:10 Beijing time
@tracked("commission.monthly_routine")
def monthly_commission_routine() -> str:
    return str(services.monthly_routine(timezone.localdate()))
