"""The contract list's filters: search (number, customer, archive number, pinyin), status, kind,
salesperson, customer and the signing period."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.org.visibility import salesperson_scope

from . import services
from .choices import ContractKind, ContractStatus
from .models import Contract


class ContractFilterSet(SearchFilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("合同编号、客户、归档号、拼音首字母"),
                                      "autocomplete": "off"}),
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ContractStatus.choices, empty_label=_("全部"))
    kind = django_filters.ChoiceFilter(label=_("合同类型"), choices=ContractKind.choices, empty_label=_("全部"))
    salesperson = django_filters.ModelChoiceFilter(label=_("业务员"), queryset=None, empty_label=_("全部"))
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)
    signed = django_filters.DateFromToRangeFilter(
        label=_("签订日期"), field_name="signed_on",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Contract
        fields = ["q", "status", "kind", "salesperson", "customer", "signed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        scope = salesperson_scope(user)
        if scope is not None and len(scope) <= 1:
            del self.filters["salesperson"]
        else:
            self.filters["salesperson"].queryset = services.assignable_salespeople(user)

    def search(self, queryset, name, value):
        term = " ".join(value.split())
        if not term:
            return queryset
        return queryset.filter(Q(number__icontains=term) | Q(customer__search_text__icontains=term.lower())
                               | Q(customer__code__iexact=term) | Q(archive_no__icontains=term))
