"""Ledger jobs: the nightly check that the roll-ups still equal the facts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from salesdesk.core.jobs import tracked
from salesdesk.core.notifications import notify
from salesdesk.org.roles import Role

from . import rollups


def check_rollups(today=None) -> list[str]:
    """Compare this month and the last with the facts; tell the clerk and admins when they differ."""
    today = today or timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    problems = rollups.differences(start, today)
    if problems:
        people = get_user_model().objects.filter(
            is_active=True, groups__name__in=[Role.ADMIN, Role.CLERK]
        ).distinct()
        notify(
            people, "汇总表与业务事实不一致", "\n".join(problems[:50]) + "\n运行 manage.py rebuild_rollups 重建。",
            kind="rollup_mismatch", dedupe_key=f"rollup-mismatch:{today:%Y-%m-%d}",
        )
    return problems


@db_periodic_task(crontab(hour="2", minute="40"))
@tracked("ledger.check_rollups")
def nightly_rollup_check() -> str:
    problems = check_rollups()
    return f"{len(problems)} differences"
