from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "salesdesk.logistics"
    label = "logistics"
    verbose_name = _("发货物流")

    def ready(self) -> None:
        from salesdesk.core.registries import register_figures, register_hook
        from salesdesk.orders.models import Order

        from . import figures, services

        register_hook("order_money_changed", services._on_order_money_changed)
        register_figures(Order, "logistics", figures.order_figures)
