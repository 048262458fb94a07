from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "salesdesk.orders"
    label = "orders"
    verbose_name = _("订单")

    def ready(self) -> None:
        from salesdesk.contracts.models import Contract
        from salesdesk.core.attachments import register_owner
        from salesdesk.core.registries import Panel, register_panel
        from salesdesk.customers.models import Customer

        from . import navigation, panels, services  # noqa: F401  (navigation registers the menu entries)
        from . import permissions as perms
        from .models import Order

        # The signed order, the customer's purchase order, a fax: who sees the order with its prices
        # sees its files (they show prices); who may act on it (the clerk, its salesperson, their
        # manager) adds files.
        register_owner(
            Order,
            can_view=lambda user, obj: user.has_perm(perms.VIEW_ORDER) and user.has_perm(perms.VIEW_PRICES)
            and Order.objects.visible_to(user).filter(pk=obj.pk).exists(),
            can_attach=lambda user, obj: user.has_perm(perms.CHANGE_ORDER) and services.may_act(user, obj),
        )
        register_panel(Customer, Panel(
            "orders", _("订单"), panels.CUSTOMER_ORDERS_TEMPLATE, panels.customer_orders, order=30,
            visible=lambda user, obj: user.has_perm(perms.VIEW_ORDER),
        ))
        register_panel(Contract, Panel(
            "coordination", _("生产/供应协调"), panels.CONTRACT_COORDINATION_TEMPLATE, panels.contract_coordination,
            order=60, visible=lambda user, obj: user.has_perm(perms.VIEW_COORDINATION),
        ))
