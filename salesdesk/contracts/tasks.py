"""Contract jobs: the nightly expiry of active contracts past their end date."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from salesdesk.core.jobs import tracked

from . import services


@db_periodic_task(crontab(hour="1", minute="5"))
@tracked("contracts.expire_contracts")
def expire_contracts() -> str:
    """01:05 every night: active contracts whose end date has passed become expired (已到期)."""
    return f"expired {services.expire_contracts()}"
