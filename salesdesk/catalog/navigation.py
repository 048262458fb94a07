from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

CATALOG_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE,
                           Role.WAREHOUSE, Role.PLANNER})

register(MenuItem("products", _("产品"), "product_list", "bi-box-seam", roles=CATALOG_ROLES, order=150,
                  description=_("产品、价格等级、成本价与底价，Excel 导入导出")))
