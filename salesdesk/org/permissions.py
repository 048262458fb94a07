"""Permission names of the org domain, and which roles hold them."""

from __future__ import annotations

from .roles import Role

VIEW_PEOPLE = "org.view_people"  # employee profiles beyond name and role
MANAGE_USERS = "org.manage_users"  # create users, assign roles, deactivate
EXPORT_USERS = "org.export_users"  # Excel export of the user list (logged)

# What the administrator configures in Django admin (no business records: those are read-only
# there and the admin role holds no business permission).
ADMIN_CONFIGURATION = {
    "org.view_user", "org.add_user", "org.change_user",
    "org.view_salesteam", "org.add_salesteam", "org.change_salesteam",
    "org.view_department", "org.add_department", "org.change_department",
    "org.view_apitoken", "auth.view_group",
    "org.view_companyprofile", "org.add_companyprofile", "org.change_companyprofile",
    "core.view_jobrun", "core.view_outboxmessage", "core.view_workerheartbeat", "core.view_notification",
}

GRANTS: dict[str, set[str]] = {
    Role.ADMIN: {MANAGE_USERS, VIEW_PEOPLE, EXPORT_USERS} | ADMIN_CONFIGURATION,
    Role.HR: {VIEW_PEOPLE, EXPORT_USERS},
    Role.CLERK: {VIEW_PEOPLE, EXPORT_USERS},
    Role.GENERAL_MANAGER: {VIEW_PEOPLE, EXPORT_USERS},
    Role.SALES_MANAGER: {VIEW_PEOPLE},
}
