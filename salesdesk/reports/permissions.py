"""Who reads the period reports and the sales detail ledger. Every role that sells or manages sees
reports, each under their own visibility (a salesperson their rows, a manager the team's)."""

from __future__ import annotations

from salesdesk.org.roles import Role

VIEW_REPORTS = "ledger.view_fact"  # reports read facts; seeing facts is seeing the reports
EXPORT_REPORTS = "ledger.export_fact"

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {VIEW_REPORTS, EXPORT_REPORTS},
    Role.SALESPERSON: {VIEW_REPORTS, EXPORT_REPORTS},
    Role.SALES_MANAGER: {VIEW_REPORTS, EXPORT_REPORTS},
    Role.GENERAL_MANAGER: {VIEW_REPORTS, EXPORT_REPORTS},
    Role.FINANCE: {VIEW_REPORTS, EXPORT_REPORTS},
}
