"""Sales and distribution contracts (M4): lines, instalments (回款计划) and filing (归档)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField, QuantityField, RateField, UnitPriceField
from salesdesk.org.visibility import salesperson_scope

from .choices import ContractKind, ContractStatus


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContractQuerySet:
        scope = salesperson_scope(user)
        return self if scope is None else self.filter(salesperson_id__in=scope)

    def active(self) -> ContractQuerySet:
        return self.filter(status=ContractStatus.ACTIVE)


class Contract(models.Model):
    """A signed (or draft) sales contract with a customer: what, how much, at what price, when paid."""

    number = models.CharField(_("合同编号"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("客户")
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("业务员")
    )
    kind = models.CharField(_("合同类型"), max_length=12, choices=ContractKind.choices, default=ContractKind.SALES)
    status = models.CharField(_("状态"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    signed_on = models.DateField(_("签订日期"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    total = MoneyField(_("合同金额(含税)"), default=0)
    tax_total = MoneyField(_("税额"), default=0)
    payment_terms = models.CharField(_("付款条件"), max_length=300, blank=True)
    deposit_rate = RateField(_("定金比例"), null=True, blank=True)
    credit_days = models.PositiveSmallIntegerField(_("账期天数"), null=True, blank=True)
    delivery_terms = models.CharField(_("交货条件"), max_length=300, blank=True)
    renewal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals", verbose_name=_("续签自")
    )
    archive_no = models.CharField(_("归档号"), max_length=50, blank=True)
    paper_location = models.CharField(_("纸质原件存放处"), max_length=100, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    activated_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ContractQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["status", "ends_on"], name="contract_status_end_idx"),
            models.Index(fields=["salesperson", "signed_on"], name="contract_sp_signed_idx"),
        ]
        permissions = [("activate_contract", _("生效合同")), ("export_contract", _("导出合同"))]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("contract_detail", args=[self.pk])


class ContractLine(models.Model):
    """One product on a contract: quantity, unit price incl. tax, and the tax split of the line."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("行号"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    quantity = QuantityField(_("数量"))
    unit_price = UnitPriceField(_("单价(含税)"))
    tax_rate = RateField(_("税率"))
    amount = MoneyField(_("金额(含税)"))  # round_half_up(quantity × unit_price)
    tax = MoneyField(_("税额"))  # split from the amount, DOMAIN.md §3

    class Meta:
        verbose_name = _("合同明细")
        verbose_name_plural = _("合同明细")
        ordering = ["contract", "line_no"]
        constraints = [models.UniqueConstraint(fields=["contract", "line_no"], name="contract_line_no_uniq")]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.line_no}"


class Instalment(models.Model):
    """A planned collection (回款计划) on a contract; instalments sum exactly to the contract total."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="instalments")
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应收日期"))
    amount = MoneyField(_("金额"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("回款计划")
        verbose_name_plural = _("回款计划")
        ordering = ["contract", "seq"]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.seq}"
