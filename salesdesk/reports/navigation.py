from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

READERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("sales_reports", _("销售报表"), "report_sales", "bi-bar-chart-line", roles=READERS, order=400,
                  description=_("日报、五日报、月报、季报、年报：按业务员、客户、产品、区域、团队汇总，对比目标、上期和去年同期")))
