"""The visibility policy of API.md ("What each may see"), for the salesperson dimension.

Every business queryset narrows by the salespeople a user may see: ``None`` means everyone
(clerk, general manager, finance), otherwise the set of visible salesperson ids (a salesperson:
themselves; a sales manager: the members of the teams they manage and themselves; others: none).
Apps build their ``visible_to(user)`` on this one function."""

from __future__ import annotations

from .roles import SEE_ALL, Role


def salesperson_scope(user) -> frozenset[int] | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_salesperson_scope", False)
    if cached is not False:
        return cached
    roles = user.role_codes
    scope: frozenset[int] | None
    if roles & SEE_ALL:
        scope = None
    else:
        ids: set[int] = set()
        if Role.SALESPERSON in roles:
            ids.add(user.pk)
        if Role.SALES_MANAGER in roles:
            ids |= user.managed_salesperson_ids()
        scope = frozenset(ids)
    user._salesperson_scope = scope
    return scope
