"""The product list's table; price columns are dropped for roles that may not see them."""

from __future__ import annotations

from decimal import Decimal

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import permissions as perms
from .models import Product

MONEY = {"th": {"class": "text-end"}, "td": {"class": "money"}}
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}


def unit_price_text(value: Decimal | None) -> str:
    """A unit price with two decimals, or up to six when it has them (1,130.00; 9.995)."""
    if value is None:
        return "—"
    cents = value.quantize(Decimal("0.01"))
    return f"{cents if value == cents else value.normalize():,f}"


def plain_price(value: Decimal | None) -> str:
    """A unit price for an input field: 356.00, 9.995 (no thousands separator, no exponent)."""
    if value is None:
        return ""
    cents = value.quantize(Decimal("0.01"))
    return format(cents if value == cents else value.normalize(), "f")


def plain_quantity(value: Decimal | None) -> str:
    """A quantity for an input field: 10, 120.5."""
    if value is None:
        return ""
    whole = value.to_integral()
    return format(whole.quantize(Decimal(1)) if value == whole else value.normalize(), "f")


def rate_text(rate: Decimal) -> str:
    """A tax rate as people write it: 13%, 9%, 0%."""
    return f"{(Decimal(rate) * 100).normalize():f}%"


class ProductTable(tables.Table):
    sku = tables.LinkColumn("product_detail", args=[tables.A("pk")], verbose_name=_("产品编码"))
    name = tables.Column(verbose_name=_("品名"))
    specification = tables.Column(verbose_name=_("规格型号"), attrs=WIDE_ONLY)
    unit = tables.Column(verbose_name=_("单位"))
    category = tables.Column(verbose_name=_("类别"), accessor="category__name", order_by="category__code",
                             default="—", attrs=WIDE_ONLY)
    price = tables.Column(verbose_name=_("标准价(含税)"), attrs=MONEY)
    tax_rate = tables.Column(verbose_name=_("税率"), attrs=WIDE_ONLY)
    cost = tables.Column(verbose_name=_("成本价"), attrs=MONEY, default="—")
    floor_price = tables.Column(verbose_name=_("底价"), attrs=MONEY, default="—")
    active = tables.Column(verbose_name=_("在售"))

    class Meta:
        model = Product
        fields = ("sku", "name", "specification", "unit", "category", "price", "tax_rate", "cost", "floor_price",
                  "active")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "product-table"}
        order_by = ("sku",)
        empty_text = _("没有符合条件的产品。")

    @staticmethod
    def hidden_for(user) -> tuple[str, ...]:
        if not perms.sees_prices(user):
            return ("price", "cost", "floor_price")
        if not perms.sees_cost(user):
            return ("cost", "floor_price")
        return ()

    def render_price(self, value):
        return unit_price_text(value)

    def render_cost(self, value):
        return unit_price_text(value)

    def render_floor_price(self, value):
        return unit_price_text(value)

    def render_tax_rate(self, value):
        return rate_text(value)

    def render_active(self, value):
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', _("在售"))
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("停售"))
