from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Carrier(models.TextChoices):
    SF = "SF", _("顺丰")
    ZTO = "ZTO", _("中通")
    YTO = "YTO", _("圆通")
    YD = "YD", _("韵达")
    STO = "STO", _("申通")
    JD = "JD", _("京东")
    DBL = "DBL", _("德邦")
    EMS = "EMS", _("EMS")
    JT = "JT", _("极兔")
    OTHER = "OTHER", _("其他/专线")


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", _("待发货")  # counts for the gate from creation
    DISPATCHED = "dispatched", _("已发货")  # left the warehouse: a receivable arises
    IN_TRANSIT = "in_transit", _("运输中")
    DELIVERED = "delivered", _("已签收")
    POD_RETURNED = "pod_returned", _("回单已返回")  # the stamped 送货单 is back
    CANCELLED = "cancelled", _("已取消")  # only from planned; frees its value at the gate


SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ShipmentStatus.PLANNED: frozenset({ShipmentStatus.DISPATCHED, ShipmentStatus.CANCELLED}),
    ShipmentStatus.DISPATCHED: frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED}),
    ShipmentStatus.IN_TRANSIT: frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED}),
    ShipmentStatus.DELIVERED: frozenset({ShipmentStatus.POD_RETURNED}),
    ShipmentStatus.POD_RETURNED: frozenset(),
    ShipmentStatus.CANCELLED: frozenset(),
}

COUNTS_FOR_GATE = frozenset(s for s in ShipmentStatus.values if s != ShipmentStatus.CANCELLED)
DISPATCHED_STATES = frozenset({ShipmentStatus.DISPATCHED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED,
                               ShipmentStatus.POD_RETURNED})


class CallReason(models.TextChoices):
    DISPATCHED = "dispatched", _("发货通知")
    DELIVERED = "delivered", _("签收回访")


class CallStatus(models.TextChoices):
    OPEN = "open", _("待致电")
    DONE = "done", _("已致电")
    UNREACHABLE = "unreachable", _("未接通")
