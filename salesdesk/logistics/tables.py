"""The shipment list's table (sortable columns, export values). Roles that see no prices get the
table without the value column — on the page and in the Excel export alike."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .choices import ShipmentStatus
from .models import Shipment

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}

STATUS_CSS = {
    ShipmentStatus.PLANNED: "warning",
    ShipmentStatus.DISPATCHED: "primary",
    ShipmentStatus.IN_TRANSIT: "info",
    ShipmentStatus.DELIVERED: "success",
    ShipmentStatus.POD_RETURNED: "dark",
    ShipmentStatus.CANCELLED: "light",
}


def status_badge(shipment: Shipment):
    return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CSS.get(shipment.status, "secondary"),
                       shipment.get_status_display())


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class ShipmentTable(tables.Table):
    number = tables.Column(verbose_name=_("发货单号"), linkify=("shipment_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    order = tables.Column(verbose_name=_("订单"), accessor="order__number", attrs=WIDE_ONLY)
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",),
                             attrs={"td": {"style": "min-width:9rem"}})
    status = tables.Column(verbose_name=_("状态"))
    carrier = tables.Column(verbose_name=_("承运商"), default="—", attrs=WIDE_ONLY)
    waybill_no = tables.Column(verbose_name=_("运单号"), default="—")
    warehouse = tables.Column(verbose_name=_("发货仓库"), default="—", attrs=WIDE_ONLY)
    value = tables.Column(verbose_name=_("货值(含税)"), attrs=MONEY)
    planned_on = tables.DateColumn(verbose_name=_("计划发货日"), format="Y-m-d", default="—", attrs=WIDE_ONLY)
    dispatched_at = tables.DateTimeColumn(verbose_name=_("发货时间"), format="Y-m-d H:i", default="—")
    delivered_at = tables.DateTimeColumn(verbose_name=_("签收时间"), format="Y-m-d H:i", default="—", attrs=WIDE_ONLY)

    class Meta:
        model = Shipment
        fields = ("number", "order", "customer", "status", "carrier", "waybill_no", "warehouse", "value", "planned_on",
                  "dispatched_at", "delivered_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "shipment-table"}
        order_by = ("-created_at",)
        empty_text = _("没有符合条件的发货单。")

    def render_order(self, record: Shipment):
        return format_html('<a href="{}">{}</a>', reverse("order_detail", args=[record.order_id]), record.order.number)

    def render_customer(self, record: Shipment):
        return format_html('<span class="text-wrap">{}</span>', record.customer.name)

    def render_status(self, record: Shipment):
        return status_badge(record)

    def value_status(self, record: Shipment) -> str:
        return str(record.get_status_display())

    def render_carrier(self, record: Shipment) -> str:
        return str(record.get_carrier_display())

    def value_carrier(self, record: Shipment) -> str:
        return str(record.get_carrier_display()) if record.carrier else ""

    def render_value(self, value) -> str:
        return f"{value:,.2f}"

    def value_value(self, value):
        return value

    def value_dispatched_at(self, value) -> str:
        return _local(value)

    def value_delivered_at(self, value) -> str:
        return _local(value)


class ShipmentTableWithoutPrices(ShipmentTable):
    """For the warehouse (and anyone without orders.view_prices): no value column at all."""

    value = None

    class Meta(ShipmentTable.Meta):
        fields = tuple(f for f in ShipmentTable.Meta.fields if f != "value")
