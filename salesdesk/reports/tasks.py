"""Report jobs; ``run_huey`` loads each app's ``tasks`` module, so every job is imported here."""

from .detail_tasks import export_ledger_task  # noqa: F401
from .schedule_tasks import run_report_schedules_task  # noqa: F401
