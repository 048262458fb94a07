"""Tables of the invoice pages: invoices, invoice requests and the uninvoiced shipments (sortable
columns, Excel values)."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .choices import InvoiceRequestStatus
from .models import Invoice, InvoiceRequest

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}
TABLE = "table table-hover table-sm align-middle mb-0"
REQUEST_CSS = {InvoiceRequestStatus.REQUESTED: "warning", InvoiceRequestStatus.ISSUED: "success",
               InvoiceRequestStatus.REJECTED: "danger", InvoiceRequestStatus.WITHDRAWN: "light"}


def request_badge(req: InvoiceRequest):
    return format_html('<span class="badge text-bg-{}">{}</span>', REQUEST_CSS.get(req.status, "secondary"),
                       req.get_status_display())


def _money(value) -> str:
    return f"{value:,.2f}"


class InvoiceTable(tables.Table):
    number = tables.Column(verbose_name=_("发票号码"), linkify=("invoice_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap font-monospace"}})
    kind = tables.Column(verbose_name=_("票种"), attrs=WIDE_ONLY)
    issued_on = tables.DateColumn(verbose_name=_("开票日期"), format="Y-m-d")
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    amount = tables.Column(verbose_name=_("价税合计"), attrs=MONEY)
    tax_amount = tables.Column(verbose_name=_("税额"), attrs={**MONEY, **WIDE_ONLY})
    credited = tables.Column(verbose_name=_("已红冲"), attrs=MONEY, default="—")
    orders = tables.Column(verbose_name=_("订单"), empty_values=(), orderable=False, attrs=WIDE_ONLY)
    period = tables.Column(verbose_name=_("会计期间"), attrs=WIDE_ONLY)

    class Meta:
        model = Invoice
        fields = ("number", "kind", "issued_on", "customer", "amount", "tax_amount", "credited", "orders", "period")
        attrs = {"class": TABLE, "id": "invoice-table"}
        order_by = ("-issued_on",)
        empty_text = _("没有符合条件的发票。")

    def render_number(self, record: Invoice):
        red = format_html(' <span class="badge text-bg-danger">{}</span>', _("红字")) if record.original_id else ""
        code = f"{record.code} " if record.code else ""
        return format_html("{}{}{}", code, record.number, red)

    def value_number(self, record: Invoice) -> str:
        return f"{record.code} {record.number}".strip()

    def value_kind(self, record: Invoice) -> str:
        return str(record.get_kind_display())

    def render_customer(self, record: Invoice):
        return format_html('<span class="text-wrap">{}</span>', record.customer.name)

    def _sign(self, record: Invoice) -> int:
        return -1 if record.original_id else 1

    def render_amount(self, record: Invoice) -> str:
        return _money(self._sign(record) * record.amount)

    def value_amount(self, record: Invoice):
        return self._sign(record) * record.amount

    def render_tax_amount(self, record: Invoice) -> str:
        return _money(self._sign(record) * record.tax_amount)

    def value_tax_amount(self, record: Invoice):
        return self._sign(record) * record.tax_amount

    def render_credited(self, record: Invoice, value) -> str:
        return _money(value) if value and not record.original_id else "—"

    def value_credited(self, record: Invoice, value):
        return value if not record.original_id else None

    def render_orders(self, record: Invoice):
        return format_html_join(" ", '<a href="{}">{}</a>', (
            (reverse("order_detail", args=[o.pk]), o.number) for o in record.orders.all())) or "—"

    def value_orders(self, record: Invoice) -> str:
        return " ".join(o.number for o in record.orders.all())


class RequestTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=("invoice_request_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    kind = tables.Column(verbose_name=_("票种"), attrs=WIDE_ONLY)
    amount = tables.Column(verbose_name=_("申请金额"), attrs=MONEY)
    orders = tables.Column(verbose_name=_("订单"), empty_values=(), orderable=False, attrs=WIDE_ONLY)
    requested_by = tables.Column(verbose_name=_("申请人"), accessor="requested_by__name",
                                 order_by=("requested_by__name", "requested_by__username"))
    requested_at = tables.DateTimeColumn(verbose_name=_("申请时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)
    status = tables.Column(verbose_name=_("状态"))
    invoice = tables.Column(verbose_name=_("发票"), accessor="invoice__number", default="—", attrs=WIDE_ONLY)

    class Meta:
        model = InvoiceRequest
        fields = ("number", "customer", "kind", "amount", "orders", "requested_by", "requested_at", "status",
                  "invoice")
        attrs = {"class": TABLE, "id": "invoice-request-table"}
        order_by = ("-requested_at",)
        empty_text = _("没有开票申请。")

    def render_amount(self, value) -> str:
        return _money(value)

    def value_kind(self, record: InvoiceRequest) -> str:
        return str(record.get_kind_display())

    def render_orders(self, record: InvoiceRequest) -> str:
        return " ".join(o.number for o in record.orders.all()) or "—"

    def value_orders(self, record: InvoiceRequest) -> str:
        return " ".join(o.number for o in record.orders.all())

    def render_requested_by(self, record: InvoiceRequest) -> str:
        return record.requested_by.display_name

    def value_requested_by(self, record: InvoiceRequest) -> str:
        return record.requested_by.display_name

    def value_requested_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

    def render_status(self, record: InvoiceRequest):
        return request_badge(record)

    def value_status(self, record: InvoiceRequest) -> str:
        return str(record.get_status_display())

    def render_invoice(self, record: InvoiceRequest):
        return format_html('<a href="{}">{}</a>', reverse("invoice_detail", args=[record.invoice_id]),
                           record.invoice.number)


class UninvoicedTable(tables.Table):
    """Rows are logistics' shipments (read through ``invoicing.uninvoiced_shipments``)."""

    number = tables.Column(verbose_name=_("发货单号"), attrs={"td": {"class": "text-nowrap"}})
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    order = tables.Column(verbose_name=_("订单"), accessor="order__number", order_by=("order__number",))
    dispatched_at = tables.DateTimeColumn(verbose_name=_("发货时间"), format="Y-m-d H:i")
    days = tables.Column(verbose_name=_("已发货天数"), empty_values=(), order_by=("-dispatched_at",),
                         attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}})
    value = tables.Column(verbose_name=_("货值(含税)"), attrs=MONEY)
    salesperson = tables.Column(verbose_name=_("业务员"), accessor="order__salesperson__name", attrs=WIDE_ONLY,
                                order_by=("order__salesperson__name",))
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta:
        attrs = {"class": TABLE, "id": "uninvoiced-table"}
        order_by = ("dispatched_at",)
        empty_text = _("没有已发货未开票的发货单。")

    def render_order(self, record):
        return format_html('<a href="{}">{}</a>', reverse("order_detail", args=[record.order_id]), record.order.number)

    def _days(self, record) -> int | None:
        if record.dispatched_at is None:
            return None
        return (timezone.localdate() - timezone.localdate(record.dispatched_at)).days

    def render_days(self, record) -> str:
        days = self._days(record)
        return "—" if days is None else str(days)

    def value_days(self, record):
        return self._days(record)

    def render_value(self, value) -> str:
        return _money(value)

    def value_value(self, value):
        return value

    def render_salesperson(self, record) -> str:
        return record.order.salesperson.display_name

    def value_salesperson(self, record) -> str:
        return record.order.salesperson.display_name

    def value_dispatched_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def render_actions(self, record):
        request = getattr(self, "request", None)
        if request is None or not getattr(self, "can_issue", False):
            return ""
        return format_html('<a class="btn btn-sm btn-outline-primary" href="{}?customer={}&amp;shipment={}">{}</a>',
                           reverse("invoice_create"), record.customer_id, record.pk, _("开票"))
