"""Base FilterSet: a search box over name, code and pinyin initials, Bootstrap-styled fields."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .forms import StyledFormMixin


class StyledFilterForm(StyledFormMixin, forms.Form):
    pass


class SearchFilterSet(django_filters.FilterSet):
    """``q`` matches any of ``search_fields`` (case-insensitive); models keep a ``search_text``
    column with the name, its full pinyin and its initials (``salesdesk.core.lib.pinyin``)."""

    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("名称、编码、拼音首字母")}),
    )
    search_fields: tuple[str, ...] = ("search_text",)

    def get_form_class(self):
        return type("FilterForm", (StyledFormMixin, super().get_form_class()), {})

    def search(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": term})
        return queryset.filter(condition)
