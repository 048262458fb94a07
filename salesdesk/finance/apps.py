from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "salesdesk.finance"
    label = "finance"
    verbose_name = _("财务")

    def ready(self) -> None:
        from salesdesk.core.attachments import register_owner
        from salesdesk.core.registries import Panel, register_hook, register_panel
        from salesdesk.customers.models import Customer
        from salesdesk.orders.models import Order
        from salesdesk.org.roles import Role

        from . import (
            ar_tasks,  # noqa: F401  (the collection-promise reminder job)
            invoice_views,  # noqa: F401  (registers the order page's invoice tab)
            navigation,  # noqa: F401  (registers the menu entries)
            receivables,  # noqa: F401  (the receivable hooks, figures and panels)
            services,
            statement_views,  # noqa: F401  (registers the statements tab and attachment owner)
        )
        from . import permissions as perms
        from .models import Payment

        def can_view(user, payment) -> bool:
            return user.has_perm(perms.VIEW_PAYMENT) and Payment.objects.visible_to(user).filter(pk=payment.pk).exists()

        # A cancelled order's money goes back to the customer's advance (API.md, Orders).
        register_hook("order_released", lambda order, actor, **kw: services.return_order_money_to_advance(
            actor=actor, order=order))

        # The bank slip (水单): whoever recorded the payment, the clerk and finance may add files.
        register_owner(
            Payment,
            can_view=can_view,
            can_attach=lambda user, payment: payment.recorded_by_id == user.pk or user.has_role(Role.CLERK, Role.FINANCE),
        )

        def sees_payments(user, obj) -> bool:
            return user.has_perm(perms.VIEW_PAYMENT)

        def order_panel(request, order):
            from .views import order_payments_panel

            return order_payments_panel(request, order)

        def customer_panel(request, customer):
            from .views import customer_payments_panel

            return customer_payments_panel(request, customer)

        register_panel(Order, Panel("payments", _("回款"), "finance/_order_payments.html", order_panel, order=40,
                                    visible=sees_payments))
        register_panel(Customer, Panel("payments", _("回款"), "finance/_customer_payments.html", customer_panel,
                                       order=40, visible=sees_payments))
