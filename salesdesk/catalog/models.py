"""Products and their prices (price list incl. tax, price levels, cost and floor price)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import RateField, UnitPriceField

TAX_RATES = ["0.13", "0.09", "0.06", "0.05", "0.03", "0.01", "0"]


class CatalogQuerySet(models.QuerySet):
    def visible_to(self, user) -> CatalogQuerySet:
        """The catalog is visible to every signed-in employee; prices are hidden from some roles
        at the serializer level (warehouse and planner see no prices)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self

    def active(self) -> CatalogQuerySet:
        return self.filter(active=True)


class Category(models.Model):
    """A product category (used for per-category commission rates and reports)."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("上级"))

    objects = CatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("产品类别")
        verbose_name_plural = _("产品类别")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something we sell, with its list price including VAT (含税), tax rate, cost and floor price (底价)."""

    sku = models.CharField(_("产品编码"), max_length=40, unique=True)
    name = models.CharField(_("品名"), max_length=200)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    unit = models.CharField(_("单位"), max_length=20)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products", verbose_name=_("类别")
    )
    price = UnitPriceField(_("标准价(含税)"))
    tax_rate = RateField(_("税率"))
    cost = UnitPriceField(_("成本价"), null=True, blank=True)
    floor_price = UnitPriceField(_("底价"), null=True, blank=True)
    active = models.BooleanField(_("在售"), default=True)
    search_text = models.CharField(max_length=400, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CatalogQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["sku"]
        permissions = [("view_cost", _("查看成本价与底价")), ("export_product", _("导出产品"))]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class LevelPrice(models.Model):
    """The price of a product for one customer price level (经销价, 大客户价 …), incl. tax."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="level_prices")
    price_level = models.CharField(_("价格等级"), max_length=12)  # customers.choices.PriceLevel
    price = UnitPriceField(_("价格(含税)"))

    class Meta:
        verbose_name = _("等级价格")
        verbose_name_plural = _("等级价格")
        constraints = [models.UniqueConstraint(fields=["product", "price_level"], name="level_price_uniq")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.price_level} {self.price}"
