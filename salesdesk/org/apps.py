from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "salesdesk.org"
    label = "org"
    verbose_name = "组织与用户"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import navigation, roles, signals  # noqa: F401  (registers menu and signal handlers)

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="org.sync_role_permissions")
