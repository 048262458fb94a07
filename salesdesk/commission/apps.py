from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "salesdesk.commission"
    label = "commission"
    verbose_name = "提成与绩效"

    def ready(self) -> None:
        from . import navigation  # noqa: F401  (registers the menu entries)
