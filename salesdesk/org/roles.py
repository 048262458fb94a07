"""Roles are Django groups named by their code. What each role may do is the union of the
``GRANTS`` dicts in every installed app's ``permissions.py``; ``sync_role_permissions`` applies
them after every ``migrate`` (and the groups themselves are created by a data migration)."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps as django_apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")  # configuration only, no business permissions
    CLERK = "clerk", _("销售内勤")
    SALESPERSON = "salesperson", _("业务员")
    SALES_MANAGER = "sales_manager", _("销售经理")
    GENERAL_MANAGER = "general_manager", _("总经理")
    FINANCE = "finance", _("财务")
    HR = "hr", _("人事")
    WAREHOUSE = "warehouse", _("仓库/物流")
    PLANNER = "planner", _("生产/计划供应")


# Roles that see every business record (API.md "What each may see").
SEE_ALL = frozenset({Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE})


def collect_grants() -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {r.value: set() for r in Role}
    for config in django_apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise
            continue
        for role, perms in getattr(module, "GRANTS", {}).items():
            grants[str(role)].update(perms)
    return grants


def sync_role_permissions(sender=None, using: str = "default", **kwargs) -> None:
    """Make each role group hold exactly the permissions granted to it."""
    Group = django_apps.get_model("auth", "Group")
    Permission = django_apps.get_model("auth", "Permission")
    grants = collect_grants()
    by_name = {}
    for perm in Permission.objects.using(using).select_related("content_type"):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    for role, perms in grants.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([by_name[p] for p in sorted(perms) if p in by_name])
