"""The 往来函件 tab on the customer page: the customer's register items and the circulars it got."""

from django.utils.translation import gettext_lazy as _

from salesdesk.core.registries import Panel, register_panel
from salesdesk.customers.models import Customer

from . import permissions as perms
from . import queries

register_panel(Customer, Panel(
    key="correspondence",
    label=_("往来函件"),
    template="office/_customer_panel.html",
    context=lambda request, customer: queries.customer_panel(request.user, customer),
    order=60,
    visible=lambda user, customer: user.has_perm(perms.VIEW_CORRESPONDENCE),
))
