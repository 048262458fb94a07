"""Filters of the statement list (page and API): search, status, customer, the month covered."""

from __future__ import annotations

import calendar
from datetime import date

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet

from .choices import StatementStatus
from .models import Statement


def month_bounds(value: str) -> tuple[date, date] | None:
    """"2026-11" → (2026-11-01, 2026-11-30); anything else → None."""
    try:
        year, month = (int(p) for p in value.strip().split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        return None
    return first, first.replace(day=calendar.monthrange(year, month)[1])


def covering(queryset, value: str):
    """Statements whose period overlaps the month ``value`` (YYYY-MM)."""
    bounds = month_bounds(value or "")
    if bounds is None:
        return queryset
    first, last = bounds
    return queryset.filter(start__lte=last, end__gte=first)


class StatementFilterSet(SearchFilterSet):
    search_fields = ("number", "customer__name", "customer__code")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=StatementStatus.choices, empty_label=_("全部"))
    customer = django_filters.CharFilter(
        label=_("客户"), method="filter_customer",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("客户名称、编号、拼音首字母")}),
    )
    month = django_filters.CharFilter(label=_("对账月份"), method="filter_month",
                                      widget=forms.TextInput(attrs={"type": "month"}))

    class Meta:
        model = Statement
        fields = ["q", "status", "customer", "month"]

    def filter_customer(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(Q(customer__search_text__icontains=term.lower()) | Q(customer__code__iexact=term))

    def filter_month(self, queryset, name, value):
        return covering(queryset, value)
