"""Filters of the order list and the coordination list: one FilterSet each, serving the list page
and the API's query parameters (``api=True`` filters by ids instead of the page's text boxes)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from .choices import CoordinationKind, CoordinationStatus, OrderStatus, PriceCheck
from .models import CoordinationRequest, Order

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REPORTED = [OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED,
            OrderStatus.CLOSED]


def sellers_visible_to(user):
    """Salespeople (and managers, who may sell too) whose orders ``user`` may see."""
    qs = User.objects.filter(groups__name__in=(Role.SALESPERSON, Role.SALES_MANAGER), is_active=True)
    scope = salesperson_scope(user)
    qs = qs if scope is None else qs.filter(pk__in=scope)
    return qs.distinct().order_by("username")


class OrderFilterSet(SearchFilterSet):
    search_fields = ("number", "customer__name", "customer__code", "customer__search_text")
    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("订单号、客户名称、拼音首字母"),
                                      "autocomplete": "off"}),
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=OrderStatus.choices)
    salesperson = django_filters.ModelChoiceFilter(label=_("业务员"), queryset=User.objects.none())
    contract_number = django_filters.CharFilter(label=_("合同号"), field_name="contract__number",
                                                lookup_expr="icontains")
    date_from = django_filters.DateFilter(label=_("下单日期起"), field_name="order_date", lookup_expr="gte",
                                          widget=DATE)
    date_to = django_filters.DateFilter(label=_("下单日期止"), field_name="order_date", lookup_expr="lte", widget=DATE)
    price_check = django_filters.ChoiceFilter(label=_("价格审批"), choices=PriceCheck.choices)
    finance_seen = django_filters.BooleanFilter(
        label=_("财务已阅"), method="filter_finance_seen",
        widget=forms.Select(choices=[("", "---------"), ("true", _("已阅")), ("false", _("未阅"))]),
    )
    customer = django_filters.NumberFilter(label=_("客户"), field_name="customer_id")
    contract = django_filters.NumberFilter(label=_("合同"), field_name="contract_id")
    salesperson_id = django_filters.NumberFilter(field_name="salesperson_id")

    class Meta:
        model = Order
        fields = ["q", "status", "salesperson", "contract_number", "date_from", "date_to", "price_check",
                  "finance_seen"]

    def __init__(self, *args, api: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if api:
            del self.filters["salesperson"]
            del self.filters["contract_number"]
            return
        del self.filters["salesperson_id"]
        if not (self.data or {}).get("customer"):
            del self.filters["customer"]  # the page filters a customer's orders by link (?customer=)
        else:
            self.filters["customer"].extra["widget"] = forms.HiddenInput
        del self.filters["contract"]
        scope = salesperson_scope(user)
        if scope is not None and len(scope) <= 1:
            del self.filters["salesperson"]  # a salesperson sees their own orders
        else:
            self.filters["salesperson"].queryset = sellers_visible_to(user)

    def filter_finance_seen(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(finance_seen_at__isnull=False)
        return queryset.filter(finance_seen_at__isnull=True, status__in=REPORTED)


class CoordinationFilterSet(SearchFilterSet):
    search_fields = ("number", "order__number", "contract__number", "product__sku", "product__name",
                     "order__customer__name", "contract__customer__name")
    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("编号、订单号、合同号、产品、客户"),
                                      "autocomplete": "off"}),
    )
    kind = django_filters.ChoiceFilter(label=_("对象"), choices=CoordinationKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CoordinationStatus.choices)
    needed_from = django_filters.DateFilter(label=_("需求日期起"), field_name="needed_by", lookup_expr="gte", widget=DATE)
    needed_to = django_filters.DateFilter(label=_("需求日期止"), field_name="needed_by", lookup_expr="lte", widget=DATE)
    open = django_filters.BooleanFilter(
        label=_("待答复"), method="filter_open",
        widget=forms.Select(choices=[("", "---------"), ("true", _("待答复")), ("false", _("已答复"))]),
    )
    order = django_filters.NumberFilter(field_name="order_id")
    contract = django_filters.NumberFilter(field_name="contract_id")

    class Meta:
        model = CoordinationRequest
        fields = ["q", "kind", "status", "open", "needed_from", "needed_to"]

    def __init__(self, *args, api: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not api:
            del self.filters["order"]
            del self.filters["contract"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(status=CoordinationStatus.REQUESTED)
        return queryset.filter(condition) if value else queryset.exclude(condition)
