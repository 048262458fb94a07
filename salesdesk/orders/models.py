"""Sales orders (M5): lines with tax split, credit split between salespeople, price approval, and
coordination requests to production and planning/supply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField, QuantityField, RateField, UnitPriceField
from salesdesk.org.visibility import salesperson_scope

from .choices import CoordinationKind, CoordinationStatus, OrderStatus, PriceCheck


class OrderQuerySet(models.QuerySet):
    def visible_to(self, user) -> OrderQuerySet:
        """Salespeople see orders where they are the salesperson or hold a credit share (also after
        the customer moved to someone else); managers their teams'; warehouse orders released for
        shipping; planners orders behind coordination requests; clerk, GM and finance all."""
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None:
            return self
        condition = Q(pk__in=[])
        if scope:
            condition |= Q(salesperson_id__in=scope) | Q(credit_shares__salesperson_id__in=scope)
        if user.has_role("warehouse"):
            condition |= Q(status__in=[OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
                                       OrderStatus.COMPLETED])
        if user.has_role("planner"):
            condition |= Q(coordination_requests__isnull=False)
        return self.filter(condition).distinct()

    def open(self) -> OrderQuerySet:
        return self.filter(status__in=[OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED])


class Order(models.Model):
    """A customer's order (销售订单), optionally under a contract. Its status follows fulfilment;
    payment is another axis derived from allocations (finance)."""

    number = models.CharField(_("订单号"), max_length=30, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("客户")
    )
    contract = models.ForeignKey(
        "contracts.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="orders",
        verbose_name=_("合同"),
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("业务员")
    )
    status = models.CharField(_("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    price_check = models.CharField(_("价格审批"), max_length=10, choices=PriceCheck.choices, default=PriceCheck.OK)
    price_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("价格批准人"),
    )
    order_date = models.DateField(_("下单日期"))
    requested_delivery_on = models.DateField(_("要求交货日期"), null=True, blank=True)
    promised_delivery_on = models.DateField(_("承诺交货日期"), null=True, blank=True)
    delivery_address = models.CharField(_("收货地址"), max_length=300, blank=True)
    delivery_contact = models.CharField(_("收货人"), max_length=50, blank=True)
    delivery_phone = models.CharField(_("收货电话"), max_length=30, blank=True)
    total = MoneyField(_("金额(含税)"), default=0)
    tax_total = MoneyField(_("税额"), default=0)
    notes = models.TextField(_("备注"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    finance_seen_at = models.DateTimeField(_("财务已阅"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = OrderQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("销售订单")
        verbose_name_plural = _("销售订单")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["status", "order_date"], name="order_status_date_idx"),
            models.Index(fields=["customer", "status"], name="order_customer_idx"),
            models.Index(fields=["salesperson", "order_date"], name="order_sp_date_idx"),
        ]
        permissions = [
            ("submit_order", _("提交订单")),
            ("cancel_order", _("取消订单")),
            ("close_order", _("关闭订单余量")),
            ("approve_price", _("批准非标准价格")),
            ("export_order", _("导出订单")),
            ("view_prices", _("查看价格金额")),
            ("mark_seen_order", _("财务标记订单已阅")),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("order_detail", args=[self.pk])


class OrderLine(models.Model):
    """One product on an order, with the price it was sold at and the reference price it deviates from."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("行号"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    contract_line = models.ForeignKey(
        "contracts.ContractLine", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = QuantityField(_("数量"))
    unit_price = UnitPriceField(_("单价(含税)"))
    reference_price = UnitPriceField(_("参考价"))  # the contract or list price at entry
    tax_rate = RateField(_("税率"))
    amount = MoneyField(_("金额(含税)"))
    tax = MoneyField(_("税额"))

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        ordering = ["order", "line_no"]
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no_uniq")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no}"


class CreditShare(models.Model):
    """A salesperson's share of an order's credit (业绩分成); shares of an order sum to exactly 1."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="credit_shares")
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("org.SalesTeam", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    share = RateField(_("分成比例"))

    class Meta:
        verbose_name = _("业绩分成")
        verbose_name_plural = _("业绩分成")
        constraints = [models.UniqueConstraint(fields=["order", "salesperson"], name="credit_share_uniq")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.salesperson_id} {self.share}"


class CoordinationQuerySet(models.QuerySet):
    def visible_to(self, user) -> CoordinationQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None or user.has_role("planner"):
            return self
        return self.filter(Q(order__salesperson_id__in=scope) | Q(contract__salesperson_id__in=scope))


class CoordinationRequest(models.Model):
    """A request to production or planning/supply (按合同要求同生产部及计划供应部做好衔接): what, how
    much, needed by; and their reply (confirmed date, partial, cannot)."""

    number = models.CharField(_("编号"), max_length=30, unique=True)
    kind = models.CharField(_("对象"), max_length=12, choices=CoordinationKind.choices)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="coordination_requests"
    )
    contract = models.ForeignKey(
        "contracts.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="coordination_requests"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    quantity = QuantityField(_("数量"))
    needed_by = models.DateField(_("需求日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CoordinationStatus.choices, default=CoordinationStatus.REQUESTED
    )
    promised_on = models.DateField(_("承诺日期"), null=True, blank=True)
    promised_quantity = QuantityField(_("承诺数量"), null=True, blank=True)
    reply_note = models.CharField(_("答复说明"), max_length=300, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = CoordinationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("生产/供应协调")
        verbose_name_plural = _("生产/供应协调")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number
