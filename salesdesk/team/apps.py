from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "salesdesk.team"
    label = "team"
    verbose_name = "销售团队目标"

    def ready(self) -> None:
        from . import navigation  # noqa: F401  (registers the menu entries)
