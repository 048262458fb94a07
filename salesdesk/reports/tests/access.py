"""Access-matrix rows of the period sales reports: the page (every period and grouping), its Excel and
PDF downloads, and the API with its Excel twin. Every role that sells or manages reads reports (rows
narrowed to what it may see); admin, hr, warehouse and planner get 403, also before a bad parameter's
422. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import Case, api_expect, page_expect

OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)
MONTH = {"period": "month", "date": "2026-11-15", "group_by": "salesperson"}


def _only_own_rows(ctx, response) -> None:
    """A salesperson's answer holds their own row alone; a manager's only their team's people."""
    if ctx.role not in {"salesperson", "sales_manager"}:
        return
    keys = {row["key"] for row in response.json()["rows"]}
    team = {ctx.world.user(u).pk for u in ("sales1", "sales3", "manager")}
    allowed = {ctx.actor.pk} if ctx.role == "salesperson" else team
    assert keys <= allowed, keys


CASES: list[Case] = [
    Case("report_sales", expect=page_expect(200, **OUTSIDERS)),
    Case("report_sales", label="five-day by customer", query={"period": "five_day", "date": "2026-02-27",
                                                              "group_by": "customer"},
         expect=page_expect(200, **OUTSIDERS)),
    Case("report_sales", label="year by product", query={"period": "year", "group_by": "product"},
         expect=page_expect(200, **OUTSIDERS)),
    Case("report_sales", label="bad parameters fall back to the defaults", query={"period": "week", "date": "x"},
         expect=page_expect(200, **OUTSIDERS)),
    Case("report_sales_xlsx", query=MONTH, expect=page_expect(200, **OUTSIDERS)),
    Case("report_sales_pdf", query=MONTH, expect=page_expect(200, **OUTSIDERS)),
    Case("GET /api/v1/reports/sales", query=MONTH, expect=api_expect(200, **OUTSIDERS), check=_only_own_rows),
    Case("GET /api/v1/reports/sales", label="by team", query={"period": "quarter", "group_by": "team"},
         expect=api_expect(200, **OUTSIDERS)),
    Case("GET /api/v1/reports/sales", label="bad period", query={"period": "week"},
         expect=api_expect(422, **OUTSIDERS)),
    Case("GET /api/v1/reports/sales.xlsx", query=MONTH, expect=api_expect(200, **OUTSIDERS)),
    Case("GET /api/v1/reports/sales.xlsx", label="bad grouping", query={"group_by": "colour"},
         expect=api_expect(422, **OUTSIDERS)),
]
