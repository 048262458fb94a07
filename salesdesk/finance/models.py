"""Money received (回款) and where it went: payments, immutable allocation rows, and the gate
exceptions finance and managers grant (M6, M7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField
from salesdesk.org.visibility import salesperson_scope

from .choices import ExceptionStatus, PaymentKind, PaymentMethod, PaymentStatus


class PaymentQuerySet(models.QuerySet):
    def visible_to(self, user) -> PaymentQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(
            Q(customer__salesperson_id__in=scope) | Q(order__salesperson_id__in=scope) | Q(recorded_by=user)
        ).distinct()

    def confirmed(self) -> PaymentQuerySet:
        return self.filter(status=PaymentStatus.CONFIRMED)


class Payment(models.Model):
    """Money a customer says it paid (or we paid back). Only a finance-confirmed payment counts:
    it then belongs to the customer as an advance until allocated to orders."""

    number = models.CharField(_("编号"), max_length=30, unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=PaymentKind.choices, default=PaymentKind.RECEIPT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments", verbose_name=_("客户")
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="payment_requests",
        verbose_name=_("指定订单"),
    )
    amount = MoneyField(_("金额"))  # positive; a refund's direction is its kind
    received_on = models.DateField(_("到账日期"))
    method = models.CharField(_("方式"), max_length=24, choices=PaymentMethod.choices)
    payer_name = models.CharField(_("付款人"), max_length=200, blank=True)
    payer_account = models.CharField(_("付款账号"), max_length=50, blank=True)
    reference = models.CharField(_("银行流水号/票号"), max_length=100, blank=True)
    bill_maturity = models.DateField(_("汇票到期日"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    accounting_period = models.CharField(_("会计期间"), max_length=7, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=300, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True, db_index=True)

    objects = PaymentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="payment_customer_idx"),
            models.Index(fields=["status", "created_at"], name="payment_queue_idx"),
        ]
        permissions = [
            ("confirm_payment", _("确认/驳回回款")),
            ("allocate_payment", _("分配回款")),
            ("export_payment", _("导出回款")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def payer_differs(self) -> bool:
        """三流一致: a payer other than the customer needs a third-party payment letter."""
        return bool(self.payer_name) and self.payer_name.strip() not in {self.customer.name, self.customer.short_name}


class Allocation(models.Model):
    """An immutable movement of confirmed money onto (+) or off (−) an order. The money allocated to
    an order is the sum of its rows; a payment's free advance is its amount less its rows' sum."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="allocations")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("金额"))
    reason = models.CharField(_("原因"), max_length=50)  # confirm, gate, reallocate, cancel
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("回款分配")
        verbose_name_plural = _("回款分配")
        indexes = [
            models.Index(fields=["order"], name="allocation_order_idx"),
            models.Index(fields=["customer"], name="allocation_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.order_id} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("allocations are immutable: add a reversing row")
        super().save(*args, **kwargs)


class GateExceptionQuerySet(models.QuerySet):
    def visible_to(self, user) -> GateExceptionQuerySet:
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(Q(order__salesperson_id__in=scope) | Q(requested_by=user))


class GateException(models.Model):
    """Permission to ship ahead of payment (款到发货 exception): an amount on one order until a date."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="gate_exceptions")
    amount = MoneyField(_("金额"))
    reason = models.CharField(_("理由"), max_length=300)
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=ExceptionStatus.choices, default=ExceptionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    objects = GateExceptionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发货例外")
        verbose_name_plural = _("发货例外")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_exception", _("审批发货例外"))]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount} {self.status}"


# --- bank statements (银行流水导入) ---------------------------------------------------------------


class StatementLineStatus(models.TextChoices):
    OPEN = "open", _("待处理")  # imported, not yet matched by finance
    CONFIRMED = "confirmed", _("已确认")  # finance confirmed it as a customer's payment
    IGNORED = "ignored", _("已忽略")  # not a customer's payment (interest, internal transfer, …)


class BankStatementImport(models.Model):
    """One upload of a bank's statement (流水) by finance: how many lines it held and how many were
    new. Lines already imported by an earlier upload are not created again."""

    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("收入行数"), default=0)
    new_lines = models.PositiveIntegerField(_("新增行数"), default=0)
    skipped_outgoing = models.PositiveIntegerField(_("支出行数"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("银行流水导入")
        verbose_name_plural = _("银行流水导入")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d})"


class BankStatementLine(models.Model):
    """One incoming line of a bank statement. ``line_key`` is unique: it is derived from the bank's
    reference (流水号), the date and the amount, so the same statement imported twice adds nothing.
    Confirmed, it points at the payment it became (a matched pending one or a new one)."""

    statement = models.ForeignKey(BankStatementImport, on_delete=models.PROTECT, related_name="lines")
    line_key = models.CharField(max_length=64, unique=True)
    txn_date = models.DateField(_("交易日期"))
    amount = MoneyField(_("金额"))
    payer_name = models.CharField(_("付款人"), max_length=200, blank=True)
    payer_account = models.CharField(_("付款账号"), max_length=50, blank=True)
    reference = models.CharField(_("银行流水号"), max_length=100, blank=True)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=StatementLineStatus.choices, default=StatementLineStatus.OPEN
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("客户")
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines",
        verbose_name=_("回款"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("银行流水")
        verbose_name_plural = _("银行流水")
        ordering = ["txn_date", "id"]
        indexes = [models.Index(fields=["status", "txn_date"], name="statement_line_status_idx")]

    def __str__(self) -> str:
        return f"{self.txn_date} {self.payer_name} {self.amount}"
