from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "salesdesk.catalog"
    label = "catalog"
    verbose_name = _("产品")

    def ready(self) -> None:
        from . import navigation  # noqa: F401  (registers the menu entry)
