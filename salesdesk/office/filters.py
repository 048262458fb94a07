"""Filters of the register and the circulars: one FilterSet each, for the list page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.org.models import User

from . import queries
from .choices import Channel, CircularKind, CorrespondenceStatus, Direction
from .models import Circular, Correspondence

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CorrespondenceFilterSet(SearchFilterSet):
    """``api=True`` adds the ``customer`` id filter (the page finds a customer's items by its code
    or name in the search box instead)."""

    search_fields = (
        "number", "subject", "counterpart", "reference", "customer__name", "customer__code", "customer__search_text",
    )
    direction = django_filters.ChoiceFilter(label=_("方向"), choices=Direction.choices)
    channel = django_filters.ChoiceFilter(label=_("形式"), choices=Channel.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CorrespondenceStatus.choices)
    routed_to = django_filters.ModelChoiceFilter(label=_("承办人"), queryset=User.objects.all())
    date_from = django_filters.DateFilter(label=_("日期起"), field_name="received_on", lookup_expr="gte", widget=DATE)
    date_to = django_filters.DateFilter(label=_("日期止"), field_name="received_on", lookup_expr="lte", widget=DATE)
    overdue = django_filters.BooleanFilter(label=_("超期未办"), method="filter_overdue")
    customer = django_filters.NumberFilter(field_name="customer_id")

    class Meta:
        model = Correspondence
        fields = ["q", "direction", "channel", "status", "routed_to", "date_from", "date_to", "overdue"]

    def __init__(self, *args, api: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not api:
            del self.filters["customer"]

    @property
    def form(self):
        form = super().form
        if not getattr(self, "_handler_choices", False):
            # Offer only the people who handle the register; any user id is still accepted.
            form.fields["routed_to"].widget.choices = forms.ModelChoiceField(queryset=queries.handlers()).choices
            self._handler_choices = True
        return form

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(queries.overdue_q()) if value else queryset.exclude(queries.overdue_q())


class CircularFilterSet(SearchFilterSet):
    search_fields = ("number", "subject")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=CircularKind.choices)

    class Meta:
        model = Circular
        fields = ["q", "kind"]
