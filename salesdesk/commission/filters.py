"""Filters of the commission lists: plans (search, base, tier method, active) and runs (status,
year)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.core.forms import StyledFormMixin

from .models import Base, CommissionPlan, CommissionRun, RunStatus, TierMethod, TierOn


class PlanFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "description")
    base = django_filters.ChoiceFilter(label=_("提成基数"), choices=Base.choices, empty_label=_("全部"))
    tier_on = django_filters.ChoiceFilter(label=_("分档依据"), choices=TierOn.choices, empty_label=_("全部"))
    tier_method = django_filters.ChoiceFilter(label=_("累进方式"), choices=TierMethod.choices, empty_label=_("全部"))
    active = django_filters.BooleanFilter(
        label=_("启用"), widget=forms.Select(choices=[("", _("全部")), ("true", _("启用")), ("false", _("停用"))]))

    class Meta:
        model = CommissionPlan
        fields = ["q", "base", "tier_on", "tier_method", "active"]


class RunFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RunStatus.choices, empty_label=_("全部"))
    year = django_filters.CharFilter(label=_("年份"), method="filter_year",
                                     widget=forms.TextInput(attrs={"type": "search", "placeholder": "2026"}))

    class Meta:
        model = CommissionRun
        fields = ["status", "year"]

    def get_form_class(self):
        return type("FilterForm", (StyledFormMixin, super().get_form_class()), {})

    def filter_year(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(period__startswith=term)
