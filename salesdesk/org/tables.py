from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import SalesTeam, User
from .roles import Role

ROLE_LABELS = dict(Role.choices)


class UserTable(tables.Table):
    username = tables.LinkColumn("user_detail", args=[tables.A("pk")], verbose_name=_("用户名"))
    name = tables.Column(verbose_name=_("姓名"), order_by=("name", "username"))
    roles = tables.Column(verbose_name=_("角色"), accessor="pk", orderable=False)
    team = tables.Column(verbose_name=_("销售团队"), accessor="team__name", order_by="team__code")
    title = tables.Column(verbose_name=_("职务"))
    phone = tables.Column(verbose_name=_("电话"), orderable=False)
    email = tables.EmailColumn(verbose_name=_("电子邮箱"))
    is_active = tables.BooleanColumn(verbose_name=_("在职"))
    last_login = tables.DateTimeColumn(verbose_name=_("最后登录"), format="Y-m-d H:i")

    class Meta:
        model = User
        fields = ("username", "name", "roles", "team", "title", "phone", "email", "is_active", "last_login")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "user-table"}
        order_by = ("username",)
        empty_text = _("没有符合条件的用户。")

    def render_roles(self, record: User):
        return format_html_join(
            " ", '<span class="badge text-bg-secondary">{}</span>',
            ((ROLE_LABELS[r],) for r in sorted(record.role_codes)),
        )

    def value_roles(self, record: User) -> str:
        return "、".join(str(ROLE_LABELS[r]) for r in sorted(record.role_codes))

    def render_phone(self, value: str):
        return format_html('<a href="tel:{}">{}</a>', value, value)

    def value_phone(self, value: str) -> str:
        return value

    def value_is_active(self, value: bool) -> str:
        return str(_("是") if value else _("否"))

    def value_last_login(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class TeamTable(tables.Table):
    code = tables.Column(verbose_name=_("编码"))
    name = tables.LinkColumn("team_detail", args=[tables.A("pk")], verbose_name=_("名称"))
    manager = tables.Column(verbose_name=_("经理"), accessor="manager__name")
    members = tables.Column(verbose_name=_("人数"), accessor="member_count")

    class Meta:
        model = SalesTeam
        fields = ("code", "name", "manager", "members")
        attrs = {"class": "table table-hover table-sm align-middle mb-0"}
        order_by = ("code",)
