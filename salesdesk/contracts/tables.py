"""The contract list's table (sortable, with export values)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Contract

MONEY = {"th": {"class": "text-end"}, "td": {"class": "money"}}
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
STATUS_CSS = {"draft": "secondary", "active": "success", "completed": "primary", "terminated": "dark",
              "expired": "warning"}


def status_badge(contract: Contract):
    return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CSS.get(contract.status, "secondary"),
                       contract.get_status_display())


class ContractTable(tables.Table):
    number = tables.LinkColumn("contract_detail", args=[tables.A("pk")], verbose_name=_("合同编号"))
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by="customer__name")
    salesperson = tables.Column(verbose_name=_("业务员"), accessor="salesperson__name",
                                order_by=("salesperson__name", "salesperson__username"))
    kind = tables.Column(verbose_name=_("合同类型"), attrs=WIDE_ONLY)
    status = tables.Column(verbose_name=_("状态"))
    signed_on = tables.DateColumn(verbose_name=_("签订日期"), format="Y-m-d")
    ends_on = tables.DateColumn(verbose_name=_("结束日期"), format="Y-m-d", attrs=WIDE_ONLY)
    total = tables.Column(verbose_name=_("合同金额(含税)"), attrs=MONEY)
    archive_no = tables.Column(verbose_name=_("归档号"), attrs=WIDE_ONLY, default="—")

    class Meta:
        model = Contract
        fields = ("number", "customer", "salesperson", "kind", "status", "signed_on", "ends_on", "total",
                  "archive_no")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "contract-table"}
        order_by = ("-signed_on",)
        empty_text = _("没有符合条件的合同。")

    def render_salesperson(self, record: Contract):
        return record.salesperson.display_name

    def value_salesperson(self, record: Contract) -> str:
        return record.salesperson.display_name

    def render_kind(self, record: Contract):
        return record.get_kind_display()

    def value_kind(self, record: Contract) -> str:
        return str(record.get_kind_display())

    def render_status(self, record: Contract):
        return status_badge(record)

    def value_status(self, record: Contract) -> str:
        return str(record.get_status_display())

    def render_total(self, value) -> str:
        return f"{value:,.2f}"

    def value_total(self, value):
        return value

    def value_archive_no(self, value) -> str:
        return value or ""
