"""Menu entries of commission and performance pay."""

from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

RUN_READERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE, Role.HR})
PLAN_READERS = frozenset({Role.CLERK, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE, Role.HR})

register(MenuItem("commission_runs", _("提成"), "commission_run_list", "bi-percent", roles=RUN_READERS, order=600,
                  description=_("每月提成计算：核对明细、业务员确认、经理确认团队、总经理批准")))
register(MenuItem("commission_plans", _("提成方案"), "commission_plan_list", "bi-sliders", roles=PLAN_READERS,
                  order=610, description=_("提成方案：基数、分档、类别比例、回款时限、适用人员，按版本管理")))
