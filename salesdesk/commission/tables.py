"""Tables of the plan list and the run list (sortable columns, export values)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import CommissionPlan, CommissionRun, LineStatus, RunStatus

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}

RUN_CSS = {RunStatus.COMPUTING: "info", RunStatus.FAILED: "danger", RunStatus.DRAFT: "warning",
           RunStatus.APPROVED: "success"}
LINE_CSS = {LineStatus.OPEN: "secondary", LineStatus.CONFIRMED: "success", LineStatus.DISPUTED: "danger"}


def run_badge(run: CommissionRun):
    return format_html('<span class="badge text-bg-{}" data-run-status="{}">{}</span>', RUN_CSS.get(run.status, "secondary"),
                       run.status, run.get_status_display())


def line_badge(line):
    return format_html('<span class="badge text-bg-{}">{}</span>', LINE_CSS.get(line.status, "secondary"),
                       line.get_status_display())


def pct(rate) -> str:
    return "" if rate is None else f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


class PlanTable(tables.Table):
    code = tables.Column(verbose_name=_("方案代码"), linkify=("commission_plan_detail", [tables.A("pk")]))
    name = tables.Column(verbose_name=_("名称"))
    valid_from = tables.DateColumn(verbose_name=_("生效日期"), format="Y-m-d")
    valid_to = tables.DateColumn(verbose_name=_("失效日期"), format="Y-m-d", default="—")
    base = tables.Column(verbose_name=_("提成基数"))
    rate = tables.Column(verbose_name=_("基本比例"), attrs=MONEY)
    tier_on = tables.Column(verbose_name=_("分档"), attrs=WIDE_ONLY)
    tier_method = tables.Column(verbose_name=_("累进方式"), attrs=WIDE_ONLY)
    active = tables.BooleanColumn(verbose_name=_("启用"), yesno="✔,✘", attrs=WIDE_ONLY)

    class Meta:
        model = CommissionPlan
        fields = ("code", "name", "valid_from", "valid_to", "base", "rate", "tier_on", "tier_method", "active")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "plan-table"}
        order_by = ("code", "-valid_from")
        empty_text = _("还没有提成方案。")

    def render_base(self, record: CommissionPlan) -> str:
        return f"{record.get_base_display()}（{record.get_tax_basis_display()}）"

    def value_base(self, record: CommissionPlan) -> str:
        return str(record.get_base_display())

    def render_rate(self, value) -> str:
        return pct(value)

    def value_rate(self, value):
        return value

    def render_tier_method(self, record: CommissionPlan) -> str:
        return "—" if record.tier_on == "none" else record.get_tier_method_display()

    def value_active(self, value) -> str:
        return "是" if value else "否"


class RunTable(tables.Table):
    period = tables.Column(verbose_name=_("月份"), linkify=("commission_run_detail", [tables.A("pk")]))
    status = tables.Column(verbose_name=_("状态"))
    line_count = tables.Column(verbose_name=_("明细数"), attrs=MONEY, orderable=False)
    total = tables.Column(verbose_name=_("提成合计"), attrs=MONEY, orderable=False)
    computed_at = tables.DateTimeColumn(verbose_name=_("计算时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)
    approved_at = tables.DateTimeColumn(verbose_name=_("批准时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)

    class Meta:
        model = CommissionRun
        fields = ("period", "status", "line_count", "total", "computed_at", "approved_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "run-table"}
        order_by = ("-period",)
        empty_text = _("还没有提成计算。")

    def render_status(self, record: CommissionRun):
        if record.status == RunStatus.COMPUTING and record.progress_total:
            return format_html("{} <span class=\"small text-body-secondary\">{}/{}</span>", run_badge(record),
                               record.progress_done, record.progress_total)
        return run_badge(record)

    def value_status(self, record: CommissionRun) -> str:
        return str(record.get_status_display())

    def render_total(self, value) -> str:
        return f"{value or 0:,.2f}"

    def value_total(self, value):
        return value or 0

    def value_computed_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def value_approved_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
