"""Who does what with commission (API.md, "Users, roles and who may do what"):
the clerk computes runs and adds adjustment lines; each salesperson confirms or disputes their own
line; a sales manager confirms their team's lines; only the general manager approves a run (which
locks it). Plans and KPI sets are kept by the clerk and the GM; HR and finance read every result."""

from __future__ import annotations

from salesdesk.org.roles import Role

VIEW_RUN = "commission.view_commissionrun"  # read runs (lines still filtered by visibility)
COMPUTE_RUN = "commission.compute_run"
ADJUST_LINE = "commission.adjust_line"
CONFIRM_OWN = "commission.confirm_own_line"
CONFIRM_TEAM = "commission.confirm_team_lines"
APPROVE_RUN = "commission.approve_run"
VIEW_ALL = "commission.view_all_lines"  # every salesperson's line (else: own / team's)
EXPORT_RUN = "commission.export_run"
VIEW_PLAN = "commission.view_commissionplan"
MANAGE_PLAN = "commission.manage_plan"

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {VIEW_RUN, COMPUTE_RUN, ADJUST_LINE, VIEW_ALL, EXPORT_RUN, VIEW_PLAN, MANAGE_PLAN},
    Role.GENERAL_MANAGER: {VIEW_RUN, APPROVE_RUN, VIEW_ALL, EXPORT_RUN, VIEW_PLAN, MANAGE_PLAN},
    Role.FINANCE: {VIEW_RUN, VIEW_ALL, EXPORT_RUN, VIEW_PLAN},
    Role.HR: {VIEW_RUN, VIEW_ALL, EXPORT_RUN, VIEW_PLAN},
    Role.SALES_MANAGER: {VIEW_RUN, CONFIRM_TEAM, VIEW_PLAN},
    Role.SALESPERSON: {VIEW_RUN, CONFIRM_OWN},
}
