"""The business ledger: immutable facts, one table that reports, overviews, statements, aging
and commission read (DESIGN.md, "The ledger")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesdesk.core.fields import MoneyField, QuantityField, RateField

from .choices import FactKind


class ImmutableFactError(Exception):
    pass


class FactQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableFactError("ledger facts are immutable: record a correcting fact instead")

    def delete(self):
        raise ImmutableFactError("ledger facts are never deleted: record a correcting fact instead")

    def of_measure(self, measure: str) -> FactQuerySet:
        from .choices import MEASURES

        return self.filter(kind__in=MEASURES[measure])

    def visible_to(self, user) -> FactQuerySet:
        """Facts of the salespeople the user may see (a fact carries one credit share)."""
        from salesdesk.org.visibility import salesperson_scope

        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(salesperson_id__in=scope)


class Fact(models.Model):
    """One business event's effect on the figures, for one credit share: who (customer,
    salesperson, team), what (product, quantity), how much (amount incl. tax, and the tax), when
    (business date and accounting period) and from which document. Never edited or deleted."""

    kind = models.CharField(_("类型"), max_length=12, choices=FactKind.choices)
    business_date = models.DateField(_("业务日期"))
    period = models.CharField(_("会计期间"), max_length=7)  # "2026-11"
    amount = MoneyField(_("金额(含税)"))
    tax = MoneyField(_("税额"), default=0)
    quantity = QuantityField(_("数量"), null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("客户")
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("业务员"),
    )
    team = models.ForeignKey(
        "org.SalesTeam", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("团队")
    )
    share = RateField(_("业绩分成"), default=1)
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品")
    )
    contract_id = models.BigIntegerField(_("合同"), null=True, blank=True)
    order_id = models.BigIntegerField(_("订单"), null=True, blank=True)
    source_kind = models.CharField(_("来源单据类型"), max_length=30)
    source_id = models.BigIntegerField(_("来源单据"))
    source_line_id = models.BigIntegerField(_("来源单据行"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("业务事实")
        verbose_name_plural = _("业务事实")
        indexes = [
            models.Index(fields=["business_date", "kind"], name="fact_date_idx"),
            models.Index(fields=["period", "salesperson"], name="fact_period_sp_idx"),
            models.Index(fields=["customer_id", "business_date"], name="fact_customer_idx"),
            models.Index(fields=["contract_id"], name="fact_contract_idx"),
            models.Index(fields=["order_id"], name="fact_order_idx"),
            models.Index(fields=["source_kind", "source_id"], name="fact_source_idx"),
        ]
        permissions = [("export_fact", _("导出销售报表与明细账"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.business_date}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableFactError("ledger facts are immutable: record a correcting fact instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableFactError("ledger facts are never deleted: record a correcting fact instead")


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("未结账")
    LOCKED = "locked", _("已结账")


class Period(models.Model):
    """An accounting month (会计期间) and whether finance has locked it (月末结账). A month without a
    row is open. Documents dated in a locked month cannot change; new facts dated in it are
    booked into the first open month (their accounting period)."""

    period = models.CharField(_("会计期间"), max_length=7, unique=True)  # "2026-11"
    status = models.CharField(_("状态"), max_length=6, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    locked_at = models.DateTimeField(_("结账时间"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("结账人"),
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("会计期间")
        verbose_name_plural = _("会计期间")
        ordering = ["-period"]
        permissions = [("lock_period", _("月末结账"))]

    def __str__(self) -> str:
        return f"{self.period} {self.get_status_display()}"


# --- roll-ups (DESIGN.md, "The ledger"): sums of facts kept by record() in the same transaction ----------
# Keys use 0 for "none" (a fact without salesperson/team/customer/product) so the unique key stays
# a plain tuple on both databases; measures are the summed stored integers (fen, thousandths).


class RollupDay(models.Model):
    """Day × salesperson (× team × kind): the daily and five-day reports read facts, this feeds the desk."""

    day = models.DateField()
    salesperson_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=FactKind.choices)
    amount = MoneyField(default=0)
    tax = MoneyField(default=0)
    facts = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        constraints = [models.UniqueConstraint(fields=["day", "salesperson_id", "team_id", "kind"], name="rollup_day_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.salesperson_id} {self.kind}"


class RollupMonthCustomer(models.Model):
    """Month × salesperson × customer (× team × kind), money kinds included."""

    month = models.DateField()  # first day of the business date's month
    salesperson_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=FactKind.choices)
    amount = MoneyField(default=0)
    tax = MoneyField(default=0)
    facts = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("月客户汇总")
        verbose_name_plural = _("月客户汇总")
        constraints = [
            models.UniqueConstraint(fields=["month", "salesperson_id", "team_id", "customer_id", "kind"],
                                    name="rollup_month_customer_key"),
        ]
        indexes = [models.Index(fields=["month", "kind"], name="rollup_mc_month_idx")]

    def __str__(self) -> str:
        return f"{self.month} {self.salesperson_id} {self.customer_id} {self.kind}"


class RollupMonthProduct(models.Model):
    """Month × salesperson × product (× team × kind): goods kinds only (money facts carry no product)."""

    month = models.DateField()
    salesperson_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=FactKind.choices)
    amount = MoneyField(default=0)
    tax = MoneyField(default=0)
    quantity = QuantityField(default=0)
    facts = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("月产品汇总")
        verbose_name_plural = _("月产品汇总")
        constraints = [
            models.UniqueConstraint(fields=["month", "salesperson_id", "team_id", "product_id", "kind"],
                                    name="rollup_month_product_key"),
        ]
        indexes = [models.Index(fields=["month", "kind"], name="rollup_mp_month_idx")]

    def __str__(self) -> str:
        return f"{self.month} {self.salesperson_id} {self.product_id} {self.kind}"


class RollupMonthProductAll(models.Model):
    """Month × product (× kind) over every salesperson: what the product and category reports of those who
    see every salesperson read. ``RollupMonthProduct`` holds a row per salesperson as well, several times as
    many, because the reports of salespeople and managers are narrowed by salesperson."""

    month = models.DateField()
    product_id = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=FactKind.choices)
    amount = MoneyField(default=0)
    tax = MoneyField(default=0)
    quantity = QuantityField(default=0)
    facts = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("月产品汇总（全部业务员）")
        verbose_name_plural = _("月产品汇总（全部业务员）")
        constraints = [
            models.UniqueConstraint(fields=["month", "product_id", "kind"], name="rollup_month_product_all_key"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.product_id} {self.kind}"
