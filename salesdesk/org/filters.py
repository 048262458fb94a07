from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from salesdesk.core.filters import SearchFilterSet

from .models import SalesTeam, User
from .roles import Role


class UserFilterSet(SearchFilterSet):
    search_fields = ("search_text", "username", "name", "email", "phone")
    role = django_filters.ChoiceFilter(label=_("角色"), choices=Role.choices, field_name="groups__name",
                                       empty_label=_("全部"))
    team = django_filters.ModelChoiceFilter(label=_("销售团队"), queryset=SalesTeam.objects.all(), empty_label=_("全部"))
    is_active = django_filters.ChoiceFilter(
        label=_("在职"), choices=[("1", _("在职")), ("0", _("已停用"))], empty_label=_("全部"), method="filter_active"
    )

    class Meta:
        model = User
        fields = ["q", "role", "team", "is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")


class TeamFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "manager__name")

    class Meta:
        model = SalesTeam
        fields = ["q"]
