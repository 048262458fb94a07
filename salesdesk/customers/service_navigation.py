"""Registrations of customer service: menu entries (工单/客诉, 沟通记录), the customer-page tabs
(``panels``) and tickets as owners of attachments (photos of damaged goods, the customer's letter).
Imported from ``CustomersConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from salesdesk.core.attachments import register_owner
from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

from . import panels  # noqa: F401  (registers the customer-page tabs)
from . import permissions as perms
from .models import Ticket

# The roles that see customers (API.md "What each may see"): hr, warehouse, planner and admin do not.
SERVICE_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("tickets", _("工单/客诉"), "ticket_list", "bi-life-preserver", roles=SERVICE_ROLES, order=130,
                  description=_("客户抱怨与反馈：登记、处理、客户确认，逾期提醒")))
register(MenuItem("interactions", _("沟通记录"), "interaction_list", "bi-telephone", roles=SERVICE_ROLES, order=135,
                  description=_("来电、去电、拜访、来访接待/客饭、微信短信")))


def _can_view_ticket(user, ticket) -> bool:
    return user.has_perm(perms.VIEW_CUSTOMER) and Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()


register_owner(Ticket, can_view=_can_view_ticket, can_attach=lambda user, ticket: user.has_perm(perms.CHANGE_TICKET))
