from django.apps import AppConfig


def _builtin_schedules(sender, **kwargs) -> None:
    """The built-in schedules exist after every migrate — and after a test flush empties the rows the
    data migration made (their codes are part of the API contract). Never touches edited ones."""
    from .models import ReportSchedule
    from .schedules import create_builtins

    create_builtins(ReportSchedule)


class ReportsConfig(AppConfig):
    name = "salesdesk.reports"
    label = "reports"
    verbose_name = "销售报表"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import navigation  # noqa: F401  (registers the menu entries)

        post_migrate.connect(_builtin_schedules, sender=self, dispatch_uid="reports.builtin_schedules")
