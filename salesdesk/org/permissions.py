"""Permission names of the org domain, and which roles hold them."""

from __future__ import annotations

from .roles import Role

VIEW_PEOPLE = "org.view_people"  # employee profiles beyond name and role
MANAGE_USERS = "org.manage_users"  # create users, assign roles, deactivate
EXPORT_USERS = "org.export_users"  # Excel export of the user list (logged)

GRANTS: dict[str, set[str]] = {
    Role.ADMIN: {MANAGE_USERS, VIEW_PEOPLE, EXPORT_USERS},
    Role.HR: {VIEW_PEOPLE, EXPORT_USERS},
    Role.CLERK: {VIEW_PEOPLE, EXPORT_USERS},
    Role.GENERAL_MANAGER: {VIEW_PEOPLE, EXPORT_USERS},
    Role.SALES_MANAGER: {VIEW_PEOPLE},
}
