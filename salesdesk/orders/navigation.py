from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

ORDER_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE,
                         Role.WAREHOUSE, Role.PLANNER})
COORDINATION_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE,
                                Role.PLANNER})

register(MenuItem("orders", _("销售订单"), "order_list", "bi-receipt", roles=ORDER_ROLES, order=300,
                  description=_("每日签单录入、业绩分成、价格审批、提交并上报财务")))
register(MenuItem("coordination", _("生产/供应协调"), "coordination_list", "bi-gear-wide-connected",
                  roles=COORDINATION_ROLES, order=310, description=_("按订单或合同向生产部、计划供应部提出需求并记录答复")))
