"""Filters of the shipment list (search by number, waybill, order and customer; status, carrier,
dispatch dates, warehouse) and of the customer-call list (status)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet

from .choices import Carrier, ShipmentStatus
from .models import Shipment
from .waybills import normalize_waybill

DATE = forms.DateInput(attrs={"type": "date"})


class ShipmentFilterSet(SearchFilterSet):
    search_fields = ("number", "order__number", "customer__name", "customer__code", "customer__search_text")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ShipmentStatus.choices, empty_label=_("全部"))
    carrier = django_filters.ChoiceFilter(label=_("承运商"), choices=Carrier.choices, empty_label=_("全部"))
    dispatched_from = django_filters.DateFilter(label=_("发货日期从"), field_name="dispatched_at", lookup_expr="date__gte",
                                                widget=DATE)
    dispatched_to = django_filters.DateFilter(label=_("发货日期至"), field_name="dispatched_at", lookup_expr="date__lte",
                                              widget=DATE)
    warehouse = django_filters.CharFilter(label=_("发货仓库"), field_name="warehouse", lookup_expr="icontains")

    class Meta:
        model = Shipment
        fields = ["q", "status", "carrier", "dispatched_from", "dispatched_to", "warehouse"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["q"].field.widget.attrs["placeholder"] = _("发货单号、运单号、订单号、客户")

    def search(self, queryset, name, value):
        """Waybill numbers are stored normalised (upper case, no spaces), so the term is too."""
        term = value.strip()
        if not term:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": term})
        waybill = normalize_waybill(term)
        if waybill:
            condition |= Q(waybill_no__contains=waybill)
        return queryset.filter(condition)
