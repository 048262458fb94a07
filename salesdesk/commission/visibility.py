"""Who sees which commission lines and performance results — one rule for runs, lines, statements
and appraisals: clerk, GM, finance and HR everyone's; a sales manager their team's salespeople's; a
salesperson their own; anyone else none."""

from __future__ import annotations

from django.db.models import Q

from salesdesk.org.roles import Role

from . import permissions as perms


def line_scope(user, prefix: str = "") -> Q:
    """Which commission lines ``user`` may see, as a ``Q`` on lines (``prefix`` e.g. ``"lines__"``
    when filtering runs): clerk, GM, finance and HR every line; a sales manager their team's
    salespeople's (and their own); a salesperson their own; anyone else none."""
    field = f"{prefix}salesperson_id"
    if user.has_perm(perms.VIEW_ALL):
        return Q()
    if user.has_role(Role.SALES_MANAGER):
        return Q(**{f"{field}__in": sorted(user.managed_salesperson_ids())})
    if user.has_perm(perms.VIEW_RUN):
        return Q(**{field: user.pk})
    return Q(**{f"{field}__in": []})
