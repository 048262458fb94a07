"""The customer list's filters: the search box (name, code, USCC, phone, pinyin initials), owner,
status, region, industry, level and the filing period (新客户开发情况)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from .choices import CustomerLevel, CustomerStatus
from .models import Customer

ALL = _("全部")
OWNER_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER)


def owners_visible_to(user):
    """Salespeople (and managers, who may own customers too) whose customers ``user`` may see."""
    qs = User.objects.filter(groups__name__in=OWNER_ROLES, is_active=True).distinct().order_by("username")
    scope = salesperson_scope(user)
    return qs if scope is None else qs.filter(pk__in=scope)


class CustomerFilterSet(SearchFilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("搜索"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("名称、编号、信用代码、电话、拼音首字母"),
                                      "autocomplete": "off"}),
    )
    salesperson = django_filters.ModelChoiceFilter(label=_("负责业务员"), queryset=User.objects.none(),
                                                   empty_label=ALL)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CustomerStatus.choices, empty_label=ALL)
    level = django_filters.ChoiceFilter(label=_("客户等级"), choices=CustomerLevel.choices, empty_label=ALL)
    region = django_filters.ChoiceFilter(label=_("区域"), choices=(), empty_label=ALL)
    industry = django_filters.ChoiceFilter(label=_("行业"), choices=(), empty_label=ALL)
    created = django_filters.DateFromToRangeFilter(
        label=_("新客户（期间）"), field_name="created_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Customer
        fields = ["q", "salesperson", "status", "level", "region", "industry", "created"]

    # Filters the phone layout keeps behind "更多筛选".
    secondary = ("level", "region", "industry", "created")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        scope = salesperson_scope(user)
        if scope is not None and len(scope) <= 1:
            del self.filters["salesperson"]  # a salesperson sees only their own customers
        else:
            self.filters["salesperson"].queryset = owners_visible_to(user)
        # Region and industry are free text on the file: offer the values in use, in one query.
        pairs = (
            Customer.objects.visible_to(user).order_by().values_list("region", "industry").distinct()
            if user is not None else []
        )
        regions, industries = set(), set()
        for region, industry in pairs:
            regions.add(region)
            industries.add(industry)
        self.filters["region"].extra["choices"] = [(r, r) for r in sorted(regions) if r]
        self.filters["industry"].extra["choices"] = [(i, i) for i in sorted(industries) if i]

    def search(self, queryset, name, value):
        return queryset.search(value)
