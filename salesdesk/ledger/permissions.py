"""Who may lock an accounting month (API.md, Periods: finance) and see the period list."""

from __future__ import annotations

from salesdesk.org.roles import Role

LOCK_PERIOD = "ledger.lock_period"
VIEW_PERIOD = "ledger.view_period"

GRANTS: dict[str, set[str]] = {
    Role.FINANCE: {LOCK_PERIOD, VIEW_PERIOD},
    Role.CLERK: {VIEW_PERIOD},
    Role.SALES_MANAGER: {VIEW_PERIOD},
    Role.GENERAL_MANAGER: {VIEW_PERIOD},
}
