from django.utils.translation import gettext_lazy as _

from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.roles import Role

# Roles holding logistics.view_shipment (permissions.GRANTS).
READERS = frozenset({Role.CLERK, Role.WAREHOUSE, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER,
                     Role.FINANCE})
CALLERS = frozenset({Role.CLERK})  # 打电话通知客户 is the clerk's duty (MISSION.md M6)

register(MenuItem("shipments", _("发货单"), "shipment_list", "bi-truck", roles=READERS, order=350,
                  description=_("款到发货：按订单开发货单、发货、物流跟踪、签收与回单")))
register(MenuItem("calls", _("致电客户"), "call_list", "bi-telephone-outbound", roles=CALLERS, order=360,
                  description=_("发货后、签收后打电话通知客户，并记录结果")))
