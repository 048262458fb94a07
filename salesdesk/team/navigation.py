from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

TARGET_READERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("targets", _("销售目标"), "target_month", "bi-bullseye", roles=TARGET_READERS, order=420,
                  description=_("每月销售与回款目标：业务员、团队、公司；内勤录入或 Excel 导入")))
register(MenuItem("performance_settings", _("业绩口径"), "performance_settings", "bi-sliders",
                  roles=frozenset({Role.ADMIN, Role.GENERAL_MANAGER}), order=905,
                  description=_("日报、人事业绩合计和目标完成率所用的业绩口径：下单、发货或回款")))
