from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    name = "salesdesk.office"
    label = "office"
    verbose_name = _("办公")

    def ready(self) -> None:
        from salesdesk.core.attachments import register_owner

        from . import navigation, panels, services  # noqa: F401  (menu entries, the customer tab)
        from . import permissions as perms
        from .models import Correspondence

        # Scanned letters, faxes and documents of a register item: who may see the item sees its
        # files; who may edit it or handles it (承办人) adds files.
        register_owner(
            Correspondence,
            can_view=lambda user, item: user.has_perm(perms.VIEW_CORRESPONDENCE)
            and Correspondence.objects.visible_to(user).filter(pk=item.pk).exists(),
            can_attach=lambda user, item: item.status != "filed" and services.may_complete(user, item),
        )
