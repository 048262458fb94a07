from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "salesdesk.desk"
    label = "desk"
    verbose_name = "工作台"

    def ready(self) -> None:
        from . import navigation  # noqa: F401  (registers the menu entries)
