from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

CONTRACT_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("contracts", _("合同"), "contract_list", "bi-file-earmark-text", roles=CONTRACT_ROLES, order=200,
                  description=_("销售/经销合同、回款计划、履行一览表与归档")))
register(MenuItem("contract_alerts", _("合同提醒"), "contract_alerts", "bi-alarm", roles=CONTRACT_ROLES, order=210,
                  description=_("即将到期、待回款与逾期、长期无订单的合同")))
register(MenuItem("contract_summary", _("合同汇总"), "contract_summary", "bi-table", roles=CONTRACT_ROLES, order=220,
                  description=_("月度、季度合同汇总：签约、履约率与资金回笼")))
