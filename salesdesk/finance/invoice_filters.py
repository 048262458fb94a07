"""Filters of the invoice pages: invoices (search, kind, customer, period, blue/red), invoice
requests (status, customer) and the uninvoiced shipments (customer, dispatch dates)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.core.forms import StyledFormMixin

from .choices import InvoiceKind, InvoiceRequestStatus
from .models import Invoice, InvoiceRequest

DATE = forms.DateInput(attrs={"type": "date"})
CUSTOMER = forms.TextInput(attrs={"type": "search", "placeholder": _("客户名称、编号、拼音首字母")})


def _by_customer(queryset, value: str):
    term = value.strip()
    if not term:
        return queryset
    return queryset.filter(Q(customer__search_text__icontains=term.lower()) | Q(customer__code__iexact=term))


class InvoiceFilterSet(SearchFilterSet):
    search_fields = ("number", "code", "buyer_name", "customer__search_text")
    kind = django_filters.ChoiceFilter(label=_("票种"), choices=InvoiceKind.choices, empty_label=_("全部"))
    customer = django_filters.CharFilter(label=_("客户"), method="filter_customer", widget=CUSTOMER)
    period = django_filters.CharFilter(label=_("开票月份"), field_name="period",
                                       widget=forms.TextInput(attrs={"type": "month"}))
    colour = django_filters.ChoiceFilter(label=_("蓝字/红字"), method="filter_colour", empty_label=_("全部"),
                                         choices=[("blue", _("蓝字发票")), ("red", _("红字发票"))])

    class Meta:
        model = Invoice
        fields = ["q", "kind", "customer", "period", "colour"]

    def filter_customer(self, queryset, name, value):
        return _by_customer(queryset, value)

    def filter_colour(self, queryset, name, value):
        return queryset.filter(original__isnull=value != "red") if value else queryset


class RequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=InvoiceRequestStatus.choices, empty_label=_("全部"))
    customer = django_filters.CharFilter(label=_("客户"), method="filter_customer", widget=CUSTOMER)

    class Meta:
        model = InvoiceRequest
        fields = ["status", "customer"]

    def get_form_class(self):
        return type("FilterForm", (StyledFormMixin, super().get_form_class()), {})

    def filter_customer(self, queryset, name, value):
        return _by_customer(queryset, value)


class UninvoicedFilterSet(django_filters.FilterSet):
    """Rows are logistics' shipments; ``Meta.model`` is set when the class is built (no import)."""

    customer = django_filters.CharFilter(label=_("客户"), method="filter_customer", widget=CUSTOMER)
    dispatched_from = django_filters.DateFilter(label=_("发货日期从"), field_name="dispatched_at", lookup_expr="date__gte",
                                                widget=DATE)
    dispatched_to = django_filters.DateFilter(label=_("发货日期至"), field_name="dispatched_at", lookup_expr="date__lte",
                                              widget=DATE)

    def get_form_class(self):
        return type("FilterForm", (StyledFormMixin, super().get_form_class()), {})

    def filter_customer(self, queryset, name, value):
        return _by_customer(queryset, value)
