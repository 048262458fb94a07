"""Tables of the order list and the coordination list (sortable columns, export values)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .choices import CoordinationStatus, OrderStatus, PriceCheck
from .models import CoordinationRequest, Order

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}

STATUS_CSS = {
    OrderStatus.DRAFT: "secondary", OrderStatus.SUBMITTED: "primary", OrderStatus.PARTIALLY_SHIPPED: "info",
    OrderStatus.SHIPPED: "info", OrderStatus.COMPLETED: "success", OrderStatus.CLOSED: "dark",
    OrderStatus.CANCELLED: "light",
}
PRICE_CSS = {PriceCheck.PENDING: "warning", PriceCheck.APPROVED: "success", PriceCheck.REJECTED: "danger"}
COORDINATION_CSS = {
    CoordinationStatus.REQUESTED: "warning", CoordinationStatus.CONFIRMED: "success",
    CoordinationStatus.PARTIAL: "info", CoordinationStatus.CANNOT: "danger", CoordinationStatus.CANCELLED: "light",
}


def status_badge(order: Order):
    return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CSS.get(order.status, "secondary"),
                       order.get_status_display())


class OrderTable(tables.Table):
    number = tables.Column(verbose_name=_("订单号"), linkify=("order_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    order_date = tables.DateColumn(verbose_name=_("下单日期"), format="Y-m-d")
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    contract = tables.Column(verbose_name=_("合同"), accessor="contract__number", default="—", attrs=WIDE_ONLY)
    salesperson = tables.Column(verbose_name=_("业务员"), accessor="salesperson__name",
                                order_by=("salesperson__name", "salesperson__username"), attrs=WIDE_ONLY)
    total = tables.Column(verbose_name=_("金额(含税)"), attrs=MONEY)
    status = tables.Column(verbose_name=_("状态"))
    price_check = tables.Column(verbose_name=_("价格审批"), attrs=WIDE_ONLY)
    finance_seen_at = tables.DateTimeColumn(verbose_name=_("财务已阅"), format="m-d H:i", default="—", attrs=WIDE_ONLY)

    class Meta:
        model = Order
        fields = ("number", "order_date", "customer", "contract", "salesperson", "total", "status", "price_check",
                  "finance_seen_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "order-table"}
        order_by = ("-order_date", "-number")
        empty_text = _("没有符合条件的订单。")

    def render_customer(self, record: Order):
        return format_html('<span class="text-wrap">{}</span>', record.customer.name)

    def render_salesperson(self, record: Order) -> str:
        return record.salesperson.display_name

    def value_salesperson(self, record: Order) -> str:
        return record.salesperson.display_name

    def render_total(self, value) -> str:
        return f"{value:,.2f}"

    def value_total(self, value):
        return value

    def render_status(self, record: Order):
        return status_badge(record)

    def value_status(self, record: Order) -> str:
        return str(record.get_status_display())

    def render_price_check(self, record: Order):
        if record.price_check == PriceCheck.OK:
            return "—"
        return format_html('<span class="badge text-bg-{}">{}</span>', PRICE_CSS[record.price_check],
                           record.get_price_check_display())

    def value_price_check(self, record: Order) -> str:
        return str(record.get_price_check_display())


class CoordinationTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=("coordination_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    kind = tables.Column(verbose_name=_("对象"))
    source = tables.Column(verbose_name=_("订单/合同"), empty_values=(), orderable=False)
    customer = tables.Column(verbose_name=_("客户"), empty_values=(), orderable=False, attrs=WIDE_ONLY)
    product = tables.Column(verbose_name=_("产品"), accessor="product__name", order_by=("product__sku",))
    quantity = tables.Column(verbose_name=_("数量"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}})
    needed_by = tables.DateColumn(verbose_name=_("需求日期"), format="Y-m-d")
    status = tables.Column(verbose_name=_("状态"))
    promised_on = tables.DateColumn(verbose_name=_("承诺日期"), format="Y-m-d", default="—")
    replied_by = tables.Column(verbose_name=_("答复人"), accessor="replied_by__name", default="—", attrs=WIDE_ONLY)

    class Meta:
        model = CoordinationRequest
        fields = ("number", "kind", "source", "customer", "product", "quantity", "needed_by", "status", "promised_on",
                  "replied_by")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "coordination-table"}
        order_by = ("needed_by",)
        empty_text = _("没有协调记录。")

    def _doc(self, record: CoordinationRequest):
        return record.order or record.contract

    def render_source(self, record: CoordinationRequest):
        doc = self._doc(record)
        return format_html('<a href="{}">{}</a>', doc.get_absolute_url(), doc.number) if record.order_id else doc.number

    def value_source(self, record: CoordinationRequest) -> str:
        return self._doc(record).number

    def render_customer(self, record: CoordinationRequest) -> str:
        return self._doc(record).customer.name

    def value_customer(self, record: CoordinationRequest) -> str:
        return self._doc(record).customer.name

    def render_quantity(self, record: CoordinationRequest) -> str:
        return f"{record.quantity.normalize():f} {record.product.unit}"

    def value_quantity(self, record: CoordinationRequest):
        return record.quantity

    def render_status(self, record: CoordinationRequest):
        return format_html('<span class="badge text-bg-{}">{}</span>', COORDINATION_CSS.get(record.status, "secondary"),
                           record.get_status_display())

    def value_status(self, record: CoordinationRequest) -> str:
        return str(record.get_status_display())

    def render_replied_by(self, record: CoordinationRequest) -> str:
        return record.replied_by.display_name if record.replied_by else "—"
