"""Product forms: the product with its level prices, a category, the import upload. Rules live
in ``services`` — the forms only parse, and show the services' refusals."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.customers.choices import PriceLevel

from . import permissions as perms
from .models import TAX_RATES, Category, Product
from .tables import plain_price, rate_text

TAX_CHOICES = [(r, rate_text(Decimal(r))) for r in TAX_RATES]
PRICE = {"max_digits": 19, "decimal_places": 6, "min_value": 0}
LEVEL_LABELS = dict(PriceLevel.choices)


class ProductForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(label=_("产品编码"), max_length=40)
    name = forms.CharField(label=_("品名"), max_length=200)
    specification = forms.CharField(label=_("规格型号"), max_length=100, required=False)
    unit = forms.CharField(label=_("单位"), max_length=20)
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.order_by("code"), required=False,
                                      empty_label=_("（无）"))
    price = forms.DecimalField(label=_("标准价(含税)"), **PRICE)
    tax_rate = forms.TypedChoiceField(label=_("税率"), choices=TAX_CHOICES, coerce=Decimal, initial="0.13")
    cost = forms.DecimalField(label=_("成本价"), required=False, **PRICE)
    floor_price = forms.DecimalField(label=_("底价"), required=False, **PRICE)
    active = forms.BooleanField(label=_("在售"), required=False, initial=True)
    level_dealer = forms.DecimalField(label=LEVEL_LABELS["dealer"], required=False, **PRICE)
    level_key_account = forms.DecimalField(label=LEVEL_LABELS["key_account"], required=False, **PRICE)
    level_special = forms.DecimalField(label=LEVEL_LABELS["special"], required=False, **PRICE)

    LEVEL_FIELDS = {"level_dealer": "dealer", "level_key_account": "key_account", "level_special": "special"}

    def __init__(self, *args, user, instance: Product | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            levels = {lp.price_level: lp.price for lp in instance.level_prices.all()}
            kwargs["initial"] = {
                "sku": instance.sku, "name": instance.name, "specification": instance.specification,
                "unit": instance.unit, "category": instance.category_id, "price": plain_price(instance.price),
                "tax_rate": str(instance.tax_rate.normalize() if instance.tax_rate else "0"),
                "cost": plain_price(instance.cost), "floor_price": plain_price(instance.floor_price),
                "active": instance.active,
                **{f: plain_price(levels.get(level)) for f, level in self.LEVEL_FIELDS.items()},
            }
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["tax_rate"].initial = None
        if not perms.sees_cost(user):
            del self.fields["cost"]
            del self.fields["floor_price"]

    def product_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.LEVEL_FIELDS}
        return data

    def level_prices(self) -> dict:
        return {level: self.cleaned_data.get(f) for f, level in self.LEVEL_FIELDS.items()}

    def changes(self) -> dict:
        """Only what differs from the product, so the history shows real changes."""
        data = self.product_data()
        return {k: v for k, v in data.items() if getattr(self.instance, k) != v}


class CategoryForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("类别编码"), max_length=20)
    name = forms.CharField(label=_("类别名称"), max_length=100)


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"), help_text=_("第一行为表头；产品编码已存在的行将更新该产品。"))
