"""Tables of the payment list and the gate-exception list (sortable columns, export values)."""

from __future__ import annotations

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import permissions as perms
from .choices import ExceptionStatus, PaymentStatus
from .forms import payer_differs
from .models import GateException, Payment

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}

PAYMENT_CSS = {PaymentStatus.PENDING: "warning", PaymentStatus.CONFIRMED: "success", PaymentStatus.REJECTED: "danger"}
EXCEPTION_CSS = {ExceptionStatus.PENDING: "warning", ExceptionStatus.APPROVED: "success",
                 ExceptionStatus.REJECTED: "danger", ExceptionStatus.WITHDRAWN: "light"}


def payment_badge(payment: Payment):
    return format_html('<span class="badge text-bg-{}">{}</span>', PAYMENT_CSS.get(payment.status, "secondary"),
                       payment.get_status_display())


def exception_badge(exc: GateException):
    return format_html('<span class="badge text-bg-{}">{}</span>', EXCEPTION_CSS.get(exc.status, "secondary"),
                       exc.get_status_display())


class PaymentTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"), linkify=("payment_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    received_on = tables.DateColumn(verbose_name=_("付款日期"), format="Y-m-d")
    customer = tables.Column(verbose_name=_("客户"), accessor="customer__name", order_by=("customer__name",))
    order = tables.Column(verbose_name=_("对应订单"), accessor="order__number", default="—", attrs=WIDE_ONLY)
    amount = tables.Column(verbose_name=_("金额"), attrs=MONEY)
    method = tables.Column(verbose_name=_("方式"), attrs=WIDE_ONLY)
    payer_name = tables.Column(verbose_name=_("付款人"), default="—", attrs=WIDE_ONLY)
    status = tables.Column(verbose_name=_("状态"))
    recorded_by = tables.Column(verbose_name=_("登记人"), accessor="recorded_by__name",
                                order_by=("recorded_by__name", "recorded_by__username"), attrs=WIDE_ONLY)
    created_at = tables.DateTimeColumn(verbose_name=_("登记时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)

    class Meta:
        model = Payment
        fields = ("number", "received_on", "customer", "order", "amount", "method", "payer_name", "status",
                  "recorded_by", "created_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "payment-table"}
        order_by = ("-created_at",)
        empty_text = _("没有符合条件的回款。")

    def render_customer(self, record: Payment):
        return format_html('<span class="text-wrap">{}</span>', record.customer.name)

    def render_order(self, record: Payment):
        return format_html('<a href="{}">{}</a>', reverse("order_detail", args=[record.order_id]), record.order.number)

    def render_amount(self, record: Payment) -> str:
        sign = "-" if record.kind == "refund" else ""
        return f"{sign}{record.amount:,.2f}"

    def value_amount(self, record: Payment):
        return -record.amount if record.kind == "refund" else record.amount

    def value_method(self, record: Payment) -> str:
        return str(record.get_method_display())

    def render_payer_name(self, record: Payment):
        if payer_differs(record.payer_name, record.customer):
            return format_html('{} <span class="badge text-bg-warning" title="{}">{}</span>', record.payer_name,
                               _("付款人与客户不一致，需第三方代付委托书"), _("代付"))
        return record.payer_name

    def value_payer_name(self, record: Payment) -> str:
        return record.payer_name

    def render_status(self, record: Payment):
        return payment_badge(record)

    def value_status(self, record: Payment) -> str:
        return str(record.get_status_display())

    def render_recorded_by(self, record: Payment) -> str:
        return record.recorded_by.display_name

    def value_recorded_by(self, record: Payment) -> str:
        return record.recorded_by.display_name

    def value_created_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class ExceptionTable(tables.Table):
    order = tables.Column(verbose_name=_("订单"), accessor="order__number", linkify=("exception_detail", [tables.A("pk")]))
    customer = tables.Column(verbose_name=_("客户"), accessor="order__customer__name", attrs=WIDE_ONLY)
    amount = tables.Column(verbose_name=_("金额"), attrs=MONEY)
    reason = tables.Column(verbose_name=_("理由"), attrs=WIDE_ONLY, orderable=False)
    expires_on = tables.DateColumn(verbose_name=_("有效期至"), format="Y-m-d")
    requested_by = tables.Column(verbose_name=_("申请人"), accessor="requested_by__name")
    requested_at = tables.DateTimeColumn(verbose_name=_("申请时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)
    status = tables.Column(verbose_name=_("状态"))
    decided_by = tables.Column(verbose_name=_("审批人"), accessor="decided_by__name", default="—", attrs=WIDE_ONLY)
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta:
        model = GateException
        fields = ("order", "customer", "amount", "reason", "expires_on", "requested_by", "requested_at", "status",
                  "decided_by", "actions")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "exception-table"}
        order_by = ("-requested_at",)
        empty_text = _("没有发货例外申请。")

    def render_amount(self, value) -> str:
        return f"{value:,.2f}"

    def value_amount(self, value):
        return value

    def render_reason(self, value: str):
        return format_html('<span class="text-wrap d-inline-block" style="max-width:20rem">{}</span>', value)

    def render_requested_by(self, record: GateException) -> str:
        return record.requested_by.display_name

    def value_requested_by(self, record: GateException) -> str:
        return record.requested_by.display_name

    def render_decided_by(self, record: GateException) -> str:
        return record.decided_by.display_name

    def value_decided_by(self, record: GateException) -> str:
        return record.decided_by.display_name

    def render_status(self, record: GateException):
        return exception_badge(record)

    def value_status(self, record: GateException) -> str:
        return str(record.get_status_display())

    def render_actions(self, record: GateException):
        """Approve / reject in place for an approver; one's own request says so instead."""
        request = getattr(self, "request", None)
        user = getattr(request, "user", None)
        if record.status != ExceptionStatus.PENDING or user is None or not user.has_perm(perms.APPROVE_EXCEPTION):
            return ""
        if record.requested_by_id == user.pk:
            return format_html('<span class="badge text-bg-light">{}</span>', _("本人申请"))
        token = get_token(request)
        back = request.get_full_path()
        return format_html(
            '<form method="post" class="d-inline-flex gap-1">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">'
            '<button class="btn btn-sm btn-success" formaction="{}">{}</button>'
            '<button class="btn btn-sm btn-outline-danger" formaction="{}">{}</button></form>',
            token, back, reverse("exception_approve", args=[record.pk]), _("批准"),
            reverse("exception_reject", args=[record.pk]), _("驳回"),
        )
