"""Money received (回款) and where it went: payments, immutable allocation rows, and the gate
exceptions finance and managers grant (M6, M7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField, QuantityField, RateField
from salesdesk.org.visibility import salesperson_scope

from .choices import (
    CollectionChannel,
    ExceptionStatus,
    InvoiceKind,
    InvoiceRequestStatus,
    OpeningKind,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ReceivableSource,
    StatementStatus,
    WriteOffStatus,
)


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
            models.Index(fields=["status", "received_on"], name="payment_status_day_idx"),  # reports' pending money
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


# --- receivables (应收账款, M7) ----------------------------------------------------------------------


class CustomerScopedQuerySet(models.QuerySet):
    """Rows of a customer: a salesperson sees their own customers' (and their team's for managers)."""

    def visible_to(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(customer__salesperson_id__in=scope)


class ReceivableQuerySet(CustomerScopedQuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(Q(customer__salesperson_id__in=scope) | Q(salesperson_id__in=scope))


class Receivable(models.Model):
    """A debt the customer owes for one document: a dispatched shipment (its value) or an opening
    balance. It arises on the customer's term anchor (dispatch, delivery, invoice or month end) and is
    due ``credit_days`` later; until the anchor event ``arises_on``/``due_on`` are empty (not yet due).
    What is still open is derived (finance.receivables): money allocated to the order, returns and
    write-offs are matched to the order's receivables oldest first; opening balances are matched by
    money not allocated to any order."""

    source_kind = models.CharField(_("来源"), max_length=10, choices=ReceivableSource.choices)
    source_id = models.BigIntegerField(_("来源单据"))
    number = models.CharField(_("单据号"), max_length=40)  # the shipment's or the opening document's number
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="receivables", verbose_name=_("客户")
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="receivables",
        verbose_name=_("订单"),
    )
    contract = models.ForeignKey(
        "contracts.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="receivables",
        verbose_name=_("合同"),
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("业务员"),
    )
    amount = MoneyField(_("应收金额"))
    shipped_on = models.DateField(_("发货日期"))  # dispatch date (opening: the original document date)
    arises_on = models.DateField(_("起算日"), null=True, blank=True)  # the term anchor's date
    due_on = models.DateField(_("到期日"), null=True, blank=True)
    period = models.CharField(_("会计期间"), max_length=7)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReceivableQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应收账款")
        verbose_name_plural = _("应收账款")
        ordering = ["customer_id", "due_on", "shipped_on", "id"]
        constraints = [models.UniqueConstraint(fields=["source_kind", "source_id"], name="receivable_source_uniq")]
        indexes = [
            models.Index(fields=["customer", "due_on"], name="receivable_customer_idx"),
            models.Index(fields=["order"], name="receivable_order_idx"),
            models.Index(fields=["due_on"], name="receivable_due_idx"),
        ]
        permissions = [("export_receivable", _("导出应收账款"))]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class Invoice(models.Model):
    """An issued VAT invoice (发票) or a red invoice / credit note (红字发票) referencing its original.
    Amounts are magnitudes; a red invoice's direction is ``original`` being set. The shipments an
    invoice covers are linked from logistics (``Shipment.invoices``): finance sits below logistics."""

    kind = models.CharField(_("票种"), max_length=16, choices=InvoiceKind.choices)
    code = models.CharField(_("发票代码"), max_length=12, blank=True)  # legacy invoices only
    number = models.CharField(_("发票号码"), max_length=20)
    identity = models.CharField(max_length=40, unique=True)  # "sd:<20 digits>" or "lg:<code>:<number>"
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("客户")
    )
    orders = models.ManyToManyField("orders.Order", blank=True, related_name="invoices", verbose_name=_("订单"))
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes",
        verbose_name=_("原蓝字发票"),
    )
    issued_on = models.DateField(_("开票日期"))
    amount = MoneyField(_("价税合计"))
    tax_amount = MoneyField(_("税额"))
    buyer_name = models.CharField(_("购买方名称"), max_length=200, blank=True)
    buyer_tax_id = models.CharField(_("购买方税号"), max_length=20, blank=True)
    period = models.CharField(_("会计期间"), max_length=7)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发票")
        verbose_name_plural = _("发票")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["customer", "issued_on"], name="invoice_customer_idx")]
        permissions = [("export_invoice", _("导出发票"))]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.original_id is not None


class InvoiceLine(models.Model):
    """Optional lines of an invoice (product, quantity, amount incl. tax, tax)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("货物或应税劳务名称"), max_length=200, blank=True)
    quantity = QuantityField(_("数量"), null=True, blank=True)
    amount = MoneyField(_("价税合计"))
    tax_rate = RateField(_("税率"))
    tax = MoneyField(_("税额"))

    class Meta:
        verbose_name = _("发票明细")
        verbose_name_plural = _("发票明细")

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.amount}"


class InvoiceRequest(models.Model):
    """A salesperson's request to invoice (开票申请) some orders or shipments of a customer."""

    number = models.CharField(_("编号"), max_length=30, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    orders = models.ManyToManyField("orders.Order", blank=True, related_name="+", verbose_name=_("订单"))
    kind = models.CharField(_("票种"), max_length=16, choices=InvoiceKind.choices)
    amount = MoneyField(_("申请金额"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=InvoiceRequestStatus.choices, default=InvoiceRequestStatus.REQUESTED
    )
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    reject_reason = models.CharField(_("驳回原因"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    objects = CustomerScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("开票申请")
        verbose_name_plural = _("开票申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return self.number


class WriteOff(models.Model):
    """A bad-debt write-off (坏账核销) of part of a receivable: requested, approved by the GM,
    recorded by finance (``written_off`` facts)."""

    number = models.CharField(_("编号"), max_length=30, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT, related_name="write_offs",
                                   verbose_name=_("应收账款"))
    amount = MoneyField(_("核销金额"))
    reason = models.CharField(_("原因"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=WriteOffStatus.choices,
                              default=WriteOffStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_on = models.DateField(_("核销日期"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    objects = CustomerScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("坏账核销")
        verbose_name_plural = _("坏账核销")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_writeoff", _("审批坏账核销")), ("record_writeoff", _("坏账入账"))]

    def __str__(self) -> str:
        return self.number


class OpeningImport(models.Model):
    """One upload of opening balances (期初) with the totals finance gave for the tie-out."""

    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    expected_receivable = MoneyField(_("财务期初应收合计"), null=True, blank=True)
    expected_advance = MoneyField(_("财务期初预收合计"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("期初导入")
        verbose_name_plural = _("期初导入")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class OpeningBalance(models.Model):
    """A customer's receivable or advance at go-live, with its original and due dates."""

    batch = models.ForeignKey(OpeningImport, null=True, blank=True, on_delete=models.PROTECT, related_name="balances")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="opening_balances",
                                 verbose_name=_("客户"))
    kind = models.CharField(_("类型"), max_length=10, choices=OpeningKind.choices)
    document_no = models.CharField(_("原单据号"), max_length=40)
    amount = MoneyField(_("金额"))
    original_on = models.DateField(_("原始日期"))
    due_on = models.DateField(_("到期日"), null=True, blank=True)
    as_of = models.DateField(_("期初日"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("期初余额")
        verbose_name_plural = _("期初余额")
        ordering = ["customer_id", "original_on", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "document_no"], name="opening_doc_uniq")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.amount}"


class CollectionNote(models.Model):
    """A collection follow-up (催款记录): when, how, what was promised and the result."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="collection_notes",
                                 verbose_name=_("客户"))
    receivable = models.ForeignKey(Receivable, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="collection_notes", verbose_name=_("应收账款"))
    contacted_on = models.DateField(_("催款日期"))
    channel = models.CharField(_("方式"), max_length=8, choices=CollectionChannel.choices)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    promised_on = models.DateField(_("承诺付款日"), null=True, blank=True)
    promised_amount = MoneyField(_("承诺金额"), null=True, blank=True)
    result = models.CharField(_("结果"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("记录人"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("催款记录")
        verbose_name_plural = _("催款记录")
        ordering = ["-contacted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.contacted_on}"


class Statement(models.Model):
    """A customer statement (对账单) for a period: the figures as issued, and the customer's answer
    (a stamped scan → confirmed, or listed differences → disputed)."""

    number = models.CharField(_("对账单号"), max_length=30, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="statements",
                                 verbose_name=_("客户"))
    start = models.DateField(_("起始日"))
    end = models.DateField(_("截止日"))
    opening_balance = MoneyField(_("期初余额"))
    debits = MoneyField(_("本期借方"))
    credits = MoneyField(_("本期贷方"))
    closing_balance = MoneyField(_("期末余额"))
    status = models.CharField(_("状态"), max_length=10, choices=StatementStatus.choices,
                              default=StatementStatus.DRAFT)
    sent_to = models.CharField(_("发送至"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    differences = models.TextField(_("差异说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("对账单")
        verbose_name_plural = _("对账单")
        ordering = ["-end", "-id"]
        permissions = [("send_statement", _("发送对账单"))]

    def __str__(self) -> str:
        return self.number


class FinanceLedgerImport(models.Model):
    """Finance's AR sub-ledger (应收账款明细账) for a month, imported at month end to list differences."""

    period = models.CharField(_("会计期间"), max_length=7)
    file_name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("财务应收明细导入")
        verbose_name_plural = _("财务应收明细导入")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.period} {self.file_name}"


class FinanceLedgerLine(models.Model):
    """One customer's closing AR balance in finance's books for the month."""

    batch = models.ForeignKey(FinanceLedgerImport, on_delete=models.CASCADE, related_name="lines")
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    customer_label = models.CharField(_("客户(原文)"), max_length=200)
    balance = MoneyField(_("财务余额"))

    class Meta:
        verbose_name = _("财务应收余额")
        verbose_name_plural = _("财务应收余额")

    def __str__(self) -> str:
        return f"{self.customer_label} {self.balance}"
