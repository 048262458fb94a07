"""Shipments (发货单) released by the payment gate (款到发货), their tracking, and the calls to
customers that follow dispatch and delivery (M6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField, QuantityField
from salesdesk.org.visibility import salesperson_scope

from .choices import COUNTS_FOR_GATE, CallReason, CallStatus, Carrier, ShipmentStatus


class ShipmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> ShipmentQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None or user.has_role("warehouse"):
            return self
        return self.filter(
            Q(order__salesperson_id__in=scope) | Q(order__credit_shares__salesperson_id__in=scope)
        ).distinct()

    def counting_for_gate(self) -> ShipmentQuerySet:
        return self.filter(status__in=COUNTS_FOR_GATE)


class Shipment(models.Model):
    """Goods leaving for one order. It holds its value (at the order's prices) from creation, so the
    gate counts it while planned; when dispatched it becomes a receivable."""

    number = models.CharField(_("发货单号"), max_length=30, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(_("状态"), max_length=14, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED)
    value = MoneyField(_("货值(含税)"))
    tax = MoneyField(_("税额"), default=0)
    carrier = models.CharField(_("承运商"), max_length=6, choices=Carrier.choices, blank=True)
    waybill_no = models.CharField(_("运单号"), max_length=40, blank=True, db_index=True)
    warehouse = models.CharField(_("发货仓库"), max_length=50, blank=True)
    freight = MoneyField(_("运费"), default=0)
    planned_on = models.DateField(_("计划发货日"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signer = models.CharField(_("签收人"), max_length=50, blank=True)
    pod_returned_at = models.DateTimeField(_("回单返回时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invoices = models.ManyToManyField("finance.Invoice", blank=True, related_name="shipments", verbose_name=_("发票"))

    objects = ShipmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发货单")
        verbose_name_plural = _("发货单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["order", "status"], name="shipment_order_idx"),
            models.Index(fields=["customer", "status"], name="shipment_customer_idx"),
            models.Index(fields=["status", "dispatched_at"], name="shipment_dispatch_idx"),
        ]
        permissions = [("dispatch_shipment", _("发货/跟踪/签收")), ("export_shipment", _("导出发货单"))]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    """A quantity of one order line on a shipment, valued at the order line's price."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(_("数量"))
    amount = MoneyField(_("金额(含税)"))
    tax = MoneyField(_("税额"))

    class Meta:
        verbose_name = _("发货明细")
        verbose_name_plural = _("发货明细")

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.product_id} {self.quantity}"


class TrackingEvent(models.Model):
    """A step of a shipment's journey (货物跟踪), entered by the clerk or the warehouse."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("状态"), max_length=14, choices=ShipmentStatus.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("物流跟踪")
        verbose_name_plural = _("物流跟踪")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status}"


class CallTask(models.Model):
    """"Call the customer" (打电话通知客户) after dispatch and after delivery, with the outcome."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="calls")
    reason = models.CharField(_("事由"), max_length=10, choices=CallReason.choices)
    status = models.CharField(_("状态"), max_length=12, choices=CallStatus.choices, default=CallStatus.OPEN)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    outcome = models.CharField(_("结果"), max_length=300, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("客户致电任务")
        verbose_name_plural = _("客户致电任务")
        ordering = ["status", "created_at"]
        constraints = [models.UniqueConstraint(fields=["shipment", "reason"], name="call_task_uniq")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.reason}"




class ReturnQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReturnQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None or user.has_role("warehouse"):
            return self
        return self.filter(Q(order__salesperson_id__in=scope) | Q(customer__salesperson_id__in=scope)).distinct()


class SalesReturn(models.Model):
    """Goods a customer sent back (退货) against a shipment: returned quantities at the shipment's
    prices, ``returned`` facts, which finance counts as a credit on the order's receivables."""

    number = models.CharField(_("退货单号"), max_length=30, unique=True)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="returns", verbose_name=_("发货单"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="returns",
                                 verbose_name=_("客户"))
    returned_on = models.DateField(_("退货日期"))
    amount = MoneyField(_("退货金额(含税)"))
    tax = MoneyField(_("税额"), default=0)
    reason = models.CharField(_("退货原因"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReturnQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("退货")
        verbose_name_plural = _("退货")
        ordering = ["-returned_on", "-id"]

    def __str__(self) -> str:
        return self.number


class SalesReturnLine(models.Model):
    sales_return = models.ForeignKey(SalesReturn, on_delete=models.CASCADE, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="returns")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(_("数量"))
    amount = MoneyField(_("金额(含税)"))
    tax = MoneyField(_("税额"))

    class Meta:
        verbose_name = _("退货明细")
        verbose_name_plural = _("退货明细")

    def __str__(self) -> str:
        return f"{self.sales_return_id} {self.product_id} {self.quantity}"
