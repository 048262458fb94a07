from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

RECORDERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.FINANCE})
READERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("finance_queue", _("财务待确认"), "finance_queue", "bi-inbox", roles=frozenset({Role.FINANCE}),
                  order=300, description=_("待确认的回款与发货例外，逐笔确认或驳回")))
register(MenuItem("payment_create", _("登记回款"), "payment_create", "bi-cash-coin", roles=RECORDERS, order=310,
                  description=_("客户付款后登记并上传水单，向财务查询是否到账")))
register(MenuItem("payments", _("回款"), "payment_list", "bi-wallet2", roles=READERS, order=320,
                  description=_("回款记录、分配与预收款")))
register(MenuItem("exceptions", _("发货例外"), "exception_list", "bi-shield-exclamation", roles=READERS, order=330,
                  description=_("未到款先发货的申请与审批")))
register(MenuItem("statement_import", _("银行流水导入"), "statement_import", "bi-bank", roles=frozenset({Role.FINANCE}),
                  order=340, description=_("导入网银流水，自动匹配客户，批量确认到账")))
