"""The product list's filters (the page and, through the same names, the API's query parameters):
search over SKU, name and pinyin, category, on sale."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet

from . import queries
from .models import Category, Product


class ProductFilterSet(SearchFilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("编码、品名、拼音首字母"), "autocomplete": "off"}),
    )
    category = django_filters.ModelChoiceFilter(label=_("类别"), queryset=Category.objects.order_by("code"),
                                                empty_label=_("全部"))
    active = django_filters.ChoiceFilter(label=_("在售"), choices=[("1", _("在售")), ("0", _("停售"))],
                                         empty_label=_("全部"), method="filter_active")

    class Meta:
        model = Product
        fields = ["q", "category", "active"]

    def search(self, queryset, name, value):
        return queries.search(queryset, value)

    def filter_active(self, queryset, name, value):
        return queryset.filter(active=value == "1")
