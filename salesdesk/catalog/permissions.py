"""Permission names of the catalog and which roles hold them (API.md: create/edit products —
clerk, sales_manager; every signed-in employee views the catalog)."""

from __future__ import annotations

from salesdesk.org.roles import Role

VIEW_PRODUCT = "catalog.view_product"
ADD_PRODUCT = "catalog.add_product"
CHANGE_PRODUCT = "catalog.change_product"
VIEW_COST = "catalog.view_cost"  # cost price and floor price (底价)
EXPORT_PRODUCT = "catalog.export_product"
VIEW_CATEGORY = "catalog.view_category"
ADD_CATEGORY = "catalog.add_category"
CHANGE_CATEGORY = "catalog.change_category"

# Roles that see prices at all. Warehouse and planner work with products and quantities only
# (API.md: "without prices"); the administrator configures and holds no business figures.
PRICE_ROLES = frozenset({
    Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE, Role.HR,
})

_VIEW = {VIEW_PRODUCT, VIEW_CATEGORY}
_EDIT = {ADD_PRODUCT, CHANGE_PRODUCT, ADD_CATEGORY, CHANGE_CATEGORY}

GRANTS: dict[str, set[str]] = {
    Role.CLERK: _VIEW | _EDIT | {VIEW_COST, EXPORT_PRODUCT},
    Role.SALES_MANAGER: _VIEW | _EDIT | {VIEW_COST, EXPORT_PRODUCT},
    Role.GENERAL_MANAGER: _VIEW | {VIEW_COST, EXPORT_PRODUCT},
    Role.FINANCE: _VIEW | {VIEW_COST, EXPORT_PRODUCT},
    Role.SALESPERSON: set(_VIEW),
    Role.HR: set(_VIEW),
    Role.WAREHOUSE: set(_VIEW),
    Role.PLANNER: set(_VIEW),
    Role.ADMIN: set(_VIEW),  # the catalog is master data every signed-in employee may look up
}


def sees_prices(user) -> bool:
    return bool(getattr(user, "role_codes", frozenset()) & PRICE_ROLES)


def sees_cost(user) -> bool:
    return user.has_perm(VIEW_COST)
