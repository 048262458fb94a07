"""The statement list's table (sortable columns, export values)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .choices import StatementStatus
from .models import Statement

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}
MONEY_WIDE = {"th": {"class": "text-end d-none d-lg-table-cell"},
              "td": {"class": "money text-end text-nowrap d-none d-lg-table-cell"}}

STATUS_CSS = {StatementStatus.DRAFT: "secondary", StatementStatus.SENT: "info",
              StatementStatus.CONFIRMED: "success", StatementStatus.DISPUTED: "danger"}


def statement_badge(statement: Statement):
    return format_html('<span class="badge text-bg-{}" data-status="{}">{}</span>',
                       STATUS_CSS.get(statement.status, "secondary"), statement.status, statement.get_status_display())


class StatementTable(tables.Table):
    number = tables.Column(verbose_name=_("对账单号"), linkify=("statement_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    start = tables.DateColumn(verbose_name=_("起始日"), format="Y-m-d", attrs=WIDE_ONLY)
    end = tables.DateColumn(verbose_name=_("截止日"), format="Y-m-d")
    opening_balance = tables.Column(verbose_name=_("期初余额"), attrs=MONEY_WIDE)
    debits = tables.Column(verbose_name=_("本期借方"), attrs=MONEY_WIDE)
    credits = tables.Column(verbose_name=_("本期贷方"), attrs=MONEY_WIDE)
    closing_balance = tables.Column(verbose_name=_("期末余额"), attrs=MONEY)
    status = tables.Column(verbose_name=_("状态"))
    sent_at = tables.DateTimeColumn(verbose_name=_("发送时间"), format="Y-m-d H:i", default="—", attrs=WIDE_ONLY)
    created_by = tables.Column(verbose_name=_("出具人"), accessor="created_by__name",
                               order_by=("created_by__name", "created_by__username"), attrs=WIDE_ONLY)

    class Meta:
        model = Statement
        fields = ("number", "customer", "start", "end", "opening_balance", "debits", "credits", "closing_balance",
                  "status", "sent_at", "created_by")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "statement-table"}
        order_by = ("-end",)
        empty_text = _("没有符合条件的对账单。")

    def render_customer(self, record: Statement):
        return format_html('<span class="text-wrap">{}</span>', record.customer.name)

    def _money(self, value) -> str:
        return f"{value:,.2f}"

    render_opening_balance = render_debits = render_credits = render_closing_balance = _money

    def render_status(self, record: Statement):
        return statement_badge(record)

    def value_status(self, record: Statement) -> str:
        return str(record.get_status_display())

    def render_created_by(self, record: Statement) -> str:
        return record.created_by.display_name

    def value_created_by(self, record: Statement) -> str:
        return record.created_by.display_name

    def value_sent_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
