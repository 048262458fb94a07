from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "salesdesk.org"
    label = "org"
    verbose_name = "组织与用户"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import navigation, roles, signals  # noqa: F401  (registers menu and signal handlers)

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="org.sync_role_permissions")

        from salesdesk.core.attachments import register_owner

        from .models import User

        # Employee files (ID copies, labour contracts): the employee, HR and the administrator.
        register_owner(
            User,
            can_view=lambda viewer, obj: viewer.pk == obj.pk or viewer.has_role(roles.Role.HR, roles.Role.ADMIN),
            can_attach=lambda viewer, obj: viewer.has_role(roles.Role.HR, roles.Role.ADMIN),
        )
