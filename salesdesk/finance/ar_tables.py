"""Tables of the receivable pages: open items (also the Excel export) and collection follow-ups."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import CollectionNote

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}
NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}}

BUCKET_LABELS = {
    "not_due": _("未到期"), "1-30": _("逾期1–30天"), "31-60": _("逾期31–60天"), "61-90": _("逾期61–90天"),
    "91-180": _("逾期91–180天"), "181-365": _("逾期181–365天"), ">365": _("逾期365天以上"),
}
SHIPMENT_BUCKET_LABELS = {
    "0-30": _("0–30天"), "31-60": _("31–60天"), "61-90": _("61–90天"), "91-180": _("91–180天"),
    "181-365": _("181–365天"), ">365": _("365天以上"),
}


def bucket_label(name: str, basis: str = "due") -> str:
    return str((SHIPMENT_BUCKET_LABELS if basis == "shipment" else BUCKET_LABELS).get(name, name))


def money(value) -> str:
    return f"{value:,.2f}"


class OpenItemTable(tables.Table):
    """Open receivables (``finance.receivables.OpenItem`` rows), oldest due first."""

    number = tables.Column(verbose_name=_("单据号"), accessor="receivable__number", attrs={"td": {"class": "text-nowrap"}})
    customer = tables.Column(verbose_name=_("客户"), accessor="receivable__customer__name")
    salesperson = tables.Column(verbose_name=_("业务员"), accessor="receivable__customer__salesperson__display_name",
                                attrs=WIDE_ONLY)
    order = tables.Column(verbose_name=_("订单"), accessor="receivable__order__number", default="—", attrs=WIDE_ONLY)
    contract = tables.Column(verbose_name=_("合同"), accessor="receivable__contract__number", default="—",
                             attrs=WIDE_ONLY)
    shipped_on = tables.DateColumn(verbose_name=_("发货日期"), accessor="receivable__shipped_on", format="Y-m-d")
    due_on = tables.DateColumn(verbose_name=_("到期日"), accessor="receivable__due_on", format="Y-m-d",
                               default=_("未起算"))
    amount = tables.Column(verbose_name=_("应收金额"), attrs=MONEY)
    open_amount = tables.Column(verbose_name=_("未收金额"), attrs=MONEY)
    days_past_due = tables.Column(verbose_name=_("逾期天数"), attrs=NUMBER, default="—")
    bucket = tables.Column(verbose_name=_("账龄"))

    class Meta:
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "receivable-table"}
        empty_text = _("没有未收的应收账款。")
        orderable = False  # rows come sorted (customer, due date); lists of dates with gaps do not sort

    def render_customer(self, record):
        r = record.receivable
        return format_html('<a href="{}" class="text-wrap">{}</a>', reverse("receivable_customer", args=[r.customer_id]),
                           r.customer.name)

    def render_order(self, record):
        r = record.receivable
        return format_html('<a href="{}">{}</a>', reverse("order_detail", args=[r.order_id]), r.order.number)

    def render_contract(self, record):
        r = record.receivable
        return format_html('<a href="{}">{}</a>', reverse("receivable_contract", args=[r.contract_id]),
                           r.contract.number)

    def render_amount(self, value) -> str:
        return money(value)

    def render_open_amount(self, value) -> str:
        return money(value)

    def render_days_past_due(self, record):
        days = record.days_past_due
        if days is None or days <= 0:
            return "—"
        return format_html('<span class="text-danger fw-semibold">{}</span>', days)

    def value_days_past_due(self, record):
        days = record.days_past_due
        return days if days is not None and days > 0 else 0

    def render_bucket(self, record):
        css = "success" if record.bucket == "not_due" else ("warning" if record.bucket == "1-30" else "danger")
        return format_html('<span class="badge text-bg-{}">{}</span>', css, bucket_label(record.bucket))

    def value_bucket(self, record) -> str:
        return bucket_label(record.bucket)

    def value_due_on(self, record):
        return record.receivable.due_on


class CollectionNoteTable(tables.Table):
    contacted_on = tables.DateColumn(verbose_name=_("催款日期"), format="Y-m-d")
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    channel = tables.Column(verbose_name=_("方式"))
    contact_name = tables.Column(verbose_name=_("联系人"), default="—", attrs=WIDE_ONLY)
    receivable = tables.Column(verbose_name=_("针对单据"), accessor="receivable__number", default="—",
                               attrs=WIDE_ONLY)
    promised_on = tables.DateColumn(verbose_name=_("承诺付款日"), format="Y-m-d", default="—")
    promised_amount = tables.Column(verbose_name=_("承诺金额"), attrs=MONEY, default="—")
    result = tables.Column(verbose_name=_("结果"), orderable=False)
    by = tables.Column(verbose_name=_("记录人"), accessor="by__name", order_by=("by__name", "by__username"),
                       attrs=WIDE_ONLY)
    created_at = tables.DateTimeColumn(verbose_name=_("记录时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)

    class Meta:
        model = CollectionNote
        fields = ("contacted_on", "customer", "channel", "contact_name", "receivable", "promised_on",
                  "promised_amount", "result", "by", "created_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "collection-table"}
        order_by = ("-contacted_on",)
        empty_text = _("还没有催款记录。")

    def render_customer(self, record: CollectionNote):
        return format_html('<a href="{}" class="text-wrap">{}</a>',
                           reverse("receivable_customer", args=[record.customer_id]), record.customer.name)

    def value_customer(self, record: CollectionNote) -> str:
        return record.customer.name

    def value_channel(self, record: CollectionNote) -> str:
        return str(record.get_channel_display())

    def render_promised_amount(self, value) -> str:
        return money(value)

    def render_result(self, value: str):
        return format_html('<span class="text-wrap d-inline-block small" style="max-width:22rem">{}</span>', value)

    def render_by(self, record: CollectionNote) -> str:
        return record.by.display_name

    def value_by(self, record: CollectionNote) -> str:
        return record.by.display_name

    def value_created_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
