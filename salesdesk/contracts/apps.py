from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "salesdesk.contracts"
    label = "contracts"
    verbose_name = _("合同")

    def ready(self) -> None:
        from salesdesk.core.attachments import register_owner
        from salesdesk.core.registries import Panel, register_panel
        from salesdesk.customers.models import Customer

        from . import navigation, permissions, services, views  # noqa: F401  (navigation registers the menu)
        from .models import Contract

        # The signed scan (扫描件) and other files: whoever sees the contract sees them; whoever may
        # edit the contract may attach.
        register_owner(
            Contract,
            can_view=lambda user, obj: Contract.objects.visible_to(user).filter(pk=obj.pk).exists(),
            can_attach=lambda user, obj: services.may_write(user, obj),
        )
        register_panel(Contract, Panel("fulfilment", _("履行情况"), "contracts/_fulfilment.html",
                                       views.fulfilment_panel, order=10))
        register_panel(Customer, Panel(
            "contracts", _("合同"), "contracts/_customer_contracts.html", views.customer_contracts_panel, order=30,
            visible=lambda user, obj: user.has_perm(permissions.VIEW_CONTRACT),
        ))
