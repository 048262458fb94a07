from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salesdesk.core"
    label = "core"
    verbose_name = "平台"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .calendar import seed_after_migrate

        # this year's and next year's working-day calendar, where missing (never overwrites)
        post_migrate.connect(seed_after_migrate, sender=self, dispatch_uid="core.seed_calendar")
