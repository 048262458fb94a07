"""The nightly invariant check (R5), 02:50 Beijing time (HUEY ``utc: False``), after the roll-up
check: a tracked run whose output names the violations; the clerks and admins are notified once
a day when there are any. Registered by ``core/tasks.py`` importing this module."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import invariants
from .jobs import tracked


def nightly_check() -> str:
    violations = invariants.check_invariants()
    invariants.alert(violations, timezone.localdate())
    if not violations:
        return "0 violations"
    return f"{len(violations)} violations\n" + "\n".join(str(v) for v in violations[:200])


@db_periodic_task(crontab(hour="2", minute="50"))
@tracked("core.check_invariants")
def nightly_invariants_task() -> str:
    return nightly_check()
