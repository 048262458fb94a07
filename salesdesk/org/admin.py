"""Configuration of people: users, roles (groups), teams, departments, tokens."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from salesdesk.core.admin import ReadOnlyAdmin

from .models import ApiToken, CompanyProfile, Department, SalesTeam, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ("username", "name", "email", "team", "is_active", "last_login")
    list_filter = ("is_active", "groups", "team")
    search_fields = ("username", "name", "email", "search_text")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("员工档案"), {"fields": ("name", "phone", "title", "grade", "department", "team", "manager")}),
    )


@admin.register(SalesTeam)
class SalesTeamAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "manager", "department")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("hint", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at")


@admin.register(CompanyProfile)
class CompanyProfileAdmin(SimpleHistoryAdmin):
    list_display = ("name", "uscc", "bank_name", "bank_account")
