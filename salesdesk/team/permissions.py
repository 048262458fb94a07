"""Who keeps targets: the clerk enters and imports them; managers, the GM and finance read them;
a salesperson sees their own, their team's and the company's."""

from __future__ import annotations

from salesdesk.org.roles import Role

VIEW_TARGET = "team.view_salestarget"
ADD_TARGET = "team.add_salestarget"
CHANGE_TARGET = "team.change_salestarget"
IMPORT_TARGET = "team.import_target"

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {VIEW_TARGET, ADD_TARGET, CHANGE_TARGET, IMPORT_TARGET},
    Role.SALES_MANAGER: {VIEW_TARGET},
    Role.GENERAL_MANAGER: {VIEW_TARGET},
    Role.FINANCE: {VIEW_TARGET},
    Role.SALESPERSON: {VIEW_TARGET},
}
