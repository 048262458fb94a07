from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "salesdesk.logistics"
    label = "logistics"
    verbose_name = _("发货物流")

    def ready(self) -> None:
        from salesdesk.core.attachments import register_owner
        from salesdesk.core.registries import Panel, register_figures, register_hook, register_panel
        from salesdesk.orders.models import Order

        from . import (
            figures,
            navigation,  # noqa: F401  (registers the menu entries)
            return_views,  # noqa: F401  (registers the returns tab on the shipment page and its menu entry)
            services,
        )
        from . import permissions as perms
        from .models import Shipment

        register_hook("order_money_changed", services._on_order_money_changed)
        register_figures(Order, "logistics", figures.order_figures)

        # The signed 送货单 scan (回单) and photos of the goods: whoever sees the shipment sees them;
        # those who ship (clerk, warehouse) add them.
        register_owner(
            Shipment,
            can_view=lambda user, obj: user.has_perm(perms.VIEW_SHIPMENT)
            and Shipment.objects.visible_to(user).filter(pk=obj.pk).exists(),
            can_attach=lambda user, obj: user.has_perm(perms.DISPATCH_SHIPMENT),
        )

        def order_panel(request, order):
            from .views import order_shipments_panel

            return order_shipments_panel(request, order)

        # The order's shipments, on the order page (orders never import logistics).
        register_panel(Order, Panel("shipments", _("发货"), "logistics/_order_shipments.html", order_panel, order=50,
                                    visible=lambda user, obj: user.has_perm(perms.VIEW_SHIPMENT)))
