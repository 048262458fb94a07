from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "salesdesk.reports"
    label = "reports"
    verbose_name = "销售报表"

    def ready(self) -> None:
        from . import navigation  # noqa: F401  (registers the menu entries)
