"""Filters of the collection follow-up list (催款记录): customer, channel, promised days, own notes."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet

from .choices import CollectionChannel
from .models import CollectionNote

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CollectionNoteFilterSet(SearchFilterSet):
    search_fields = ("customer__search_text", "customer__code", "contact_name", "result")
    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("客户、联系人、结果")}),
    )
    channel = django_filters.ChoiceFilter(label=_("方式"), choices=CollectionChannel.choices, empty_label=_("全部"))
    promised_from = django_filters.DateFilter(label=_("承诺付款日从"), field_name="promised_on", lookup_expr="gte",
                                              widget=DATE)
    promised_to = django_filters.DateFilter(label=_("承诺付款日至"), field_name="promised_on", lookup_expr="lte",
                                            widget=DATE)
    customer = django_filters.NumberFilter(label="", field_name="customer_id", widget=forms.HiddenInput)
    mine = django_filters.BooleanFilter(
        label=_("记录人"), method="filter_mine",
        widget=forms.Select(choices=[("", _("全部")), ("true", _("我记录的"))]),
    )

    class Meta:
        model = CollectionNote
        fields = ["q", "channel", "promised_from", "promised_to", "mine"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.data or {}).get("customer"):
            del self.filters["customer"]  # a customer's notes are reached by link (?customer=)

    def search(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(Q(customer__search_text__icontains=term.lower()) | Q(customer__code__iexact=term)
                               | Q(contact_name__icontains=term) | Q(result__icontains=term))

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.filter(by=user) if value and user is not None else queryset
