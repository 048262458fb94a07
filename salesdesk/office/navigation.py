from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

READERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("correspondence", _("收发文登记"), "correspondence_list", "bi-envelope-paper", roles=READERS,
                  order=500, description=_("来电、来函、传真、文件与厂家邮件的收发、转交、办结与归档")))
register(MenuItem("circulars", _("发文/政策通知"), "circular_list", "bi-megaphone", roles=READERS, order=510,
                  description=_("向客户发送销售政策与业务信函，记录发给了谁")))
