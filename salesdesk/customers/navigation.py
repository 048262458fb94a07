from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

CUSTOMER_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("customers", _("客户档案"), "customer_list", "bi-buildings", roles=CUSTOMER_ROLES, order=100,
                  description=_("客户、联系人、使用品种与变更记录")))
