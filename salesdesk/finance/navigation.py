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
register(MenuItem("monthend", _("月末对账"), "monthend_index", "bi-calendar2-check",
                  roles=frozenset({Role.CLERK, Role.FINANCE}), order=350,
                  description=_("月末核对发货、开票、回款，与财务应收明细对账，财务结账")))
register(MenuItem("statements", _("对账单"), "statement_list", "bi-file-earmark-text", roles=READERS, order=345,
                  description=_("客户对账单：出具、发送、盖章确认")))
register(MenuItem("write_offs", _("坏账核销"), "writeoff_list", "bi-x-octagon", roles=READERS, order=385,
                  description=_("坏账核销申请、总经理审批、财务入账")))
register(MenuItem("opening", _("期初余额"), "opening_overview", "bi-journal-arrow-down",
                  roles=frozenset({Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE}), order=395,
                  description=_("上线前导入客户期初应收与预收，并与财务合计核对")))
register(MenuItem("receivables_aging", _("应收账龄"), "receivable_aging", "bi-hourglass-split", roles=READERS, order=351,
                  description=_("截止任一日期的应收账龄：未到期、逾期天数分段，可按业务员筛选并导出 Excel")))
register(MenuItem("receivables", _("应收明细"), "receivable_list", "bi-journal-text", roles=READERS, order=352,
                  description=_("未收应收逐笔列示：到期日、逾期天数、所属订单与合同")))
register(MenuItem("receivables_overdue", _("逾期应收"), "receivable_overdue", "bi-alarm", roles=READERS, order=354,
                  description=_("按业务员汇总的逾期应收，督促催款")))
register(MenuItem("collections", _("催款记录"), "collection_list", "bi-telephone-outbound", roles=READERS, order=356,
                  description=_("催款日期、方式、联系人、承诺付款日与结果；承诺日当天提醒负责人")))
register(MenuItem("invoices", _("发票"), "invoice_list", "bi-receipt", roles=READERS, order=360,
                  description=_("已开发票与红字发票：按客户、订单、月份查询，导出 Excel")))
register(MenuItem("invoice_requests", _("开票申请"), "invoice_request_list", "bi-receipt-cutoff", roles=READERS, order=362,
                  description=_("业务员申请开票，财务开票或驳回")))
register(MenuItem("uninvoiced_shipments", _("已发货未开票"), "uninvoiced_shipments", "bi-truck", roles=READERS, order=364,
                  description=_("已发出但尚未开票的发货单，按客户汇总货值")))
