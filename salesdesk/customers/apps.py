from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "salesdesk.customers"
    label = "customers"
    verbose_name = "客户"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesdesk.core.attachments import register_owner
        from salesdesk.core.registries import Panel, register_panel

        # navigation and service_navigation register menu entries (and the customer-service tabs)
        from . import navigation, service_navigation, services, views  # noqa: F401
        from .models import Customer

        # Contracts, licences, business cards: whoever sees the customer sees its files; whoever
        # may edit its basics may add files.
        register_owner(
            Customer,
            can_view=lambda user, obj: Customer.objects.visible_to(user).filter(pk=obj.pk).exists(),
            can_attach=services.may_edit_basics,
        )
        register_panel(Customer, Panel("contacts", _("联系人"), views.CONTACTS_TEMPLATE, views.contacts_panel, order=10))
        register_panel(Customer, Panel("products", _("使用品种"), views.PRODUCTS_TEMPLATE, views.products_panel,
                                       order=20))
