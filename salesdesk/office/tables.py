from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .choices import CorrespondenceStatus
from .models import Circular, Correspondence

STATUS_BADGE = {
    CorrespondenceStatus.OPEN: "text-bg-warning",
    CorrespondenceStatus.DONE: "text-bg-success",
    CorrespondenceStatus.FILED: "text-bg-secondary",
}


class CorrespondenceTable(tables.Table):
    number = tables.LinkColumn("correspondence_detail", args=[tables.A("pk")], verbose_name=_("登记号"))
    received_on = tables.DateColumn(verbose_name=_("日期"), format="Y-m-d", order_by=("received_on", "id"))
    direction = tables.Column(verbose_name=_("方向"))
    channel = tables.Column(verbose_name=_("形式"))
    counterpart = tables.Column(verbose_name=_("来文/收文单位"))
    reference = tables.Column(verbose_name=_("来文字号"))
    subject = tables.Column(verbose_name=_("标题"))
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by="customer__code")
    routed_to = tables.Column(verbose_name=_("承办人"), accessor="routed_to", order_by="routed_to__username")
    deadline = tables.DateColumn(verbose_name=_("办理期限"), format="Y-m-d")
    status = tables.Column(verbose_name=_("状态"))
    archive_no = tables.Column(verbose_name=_("归档号"))

    class Meta:
        model = Correspondence
        fields = ("number", "received_on", "direction", "channel", "counterpart", "reference", "subject", "customer",
                  "routed_to", "deadline", "status", "archive_no")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "correspondence-table"}
        order_by = ("-received_on",)
        empty_text = _("没有符合条件的登记。")

    def render_routed_to(self, value) -> str:
        return value.display_name if value else "—"

    def value_routed_to(self, value) -> str:
        return value.display_name if value else ""

    def render_status(self, record: Correspondence):
        return format_html('<span class="badge {}">{}</span>', STATUS_BADGE[record.status], record.get_status_display())

    def value_status(self, record: Correspondence) -> str:
        return str(record.get_status_display())

    def render_deadline(self, value, record: Correspondence):
        if value is None:
            return "—"
        text = value.strftime("%Y-%m-%d")
        if record.status == CorrespondenceStatus.OPEN and value < timezone.localdate():
            return format_html('<span class="text-danger fw-semibold" title="{}">{}</span>', _("超期未办"), text)
        return text


class CircularTable(tables.Table):
    number = tables.LinkColumn("circular_detail", args=[tables.A("pk")], verbose_name=_("发文字号"))
    kind = tables.Column(verbose_name=_("类型"))
    subject = tables.Column(verbose_name=_("标题"))
    recipient_count = tables.Column(verbose_name=_("客户数"), attrs={"td": {"class": "text-end"}})
    emailed_count = tables.Column(verbose_name=_("邮件发送"), attrs={"td": {"class": "text-end"}})
    to_print_count = tables.Column(verbose_name=_("需打印邮寄"), attrs={"td": {"class": "text-end"}})
    created_by = tables.Column(verbose_name=_("发文人"), accessor="created_by", order_by="created_by__username")
    sent_at = tables.DateTimeColumn(verbose_name=_("发送时间"), format="Y-m-d H:i", order_by=("sent_at", "id"))

    class Meta:
        model = Circular
        fields = ("number", "kind", "subject", "recipient_count", "emailed_count", "to_print_count", "created_by",
                  "sent_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "circular-table"}
        order_by = ("-sent_at",)
        empty_text = _("还没有发文。")

    def render_created_by(self, value) -> str:
        return value.display_name
