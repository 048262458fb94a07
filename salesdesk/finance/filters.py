"""Filters of the finance lists: payments (status, customer, method, dates, search) and gate
exceptions (status)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.core.forms import StyledFormMixin

from .choices import ExceptionStatus, PaymentMethod, PaymentStatus
from .models import GateException, Payment

DATE = forms.DateInput(attrs={"type": "date"})


class PaymentFilterSet(SearchFilterSet):
    search_fields = ("number", "payer_name", "reference", "order__number")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=PaymentStatus.choices, empty_label=_("全部"))
    customer = django_filters.CharFilter(
        label=_("客户"), method="filter_customer",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("客户名称、编号、拼音首字母")}),
    )
    method = django_filters.ChoiceFilter(label=_("付款方式"), choices=PaymentMethod.choices, empty_label=_("全部"))
    received_from = django_filters.DateFilter(label=_("付款日期从"), field_name="received_on", lookup_expr="gte",
                                              widget=DATE)
    received_to = django_filters.DateFilter(label=_("付款日期至"), field_name="received_on", lookup_expr="lte",
                                            widget=DATE)

    class Meta:
        model = Payment
        fields = ["q", "status", "customer", "method", "received_from", "received_to"]

    def filter_customer(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        return queryset.filter(Q(customer__search_text__icontains=term.lower()) | Q(customer__code__iexact=term))


class ExceptionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ExceptionStatus.choices, empty_label=_("全部"))
    order = django_filters.CharFilter(label=_("订单号"), field_name="order__number", lookup_expr="icontains")

    class Meta:
        model = GateException
        fields = ["status", "order"]

    def get_form_class(self):
        return type("FilterForm", (StyledFormMixin, super().get_form_class()), {})
