"""Access-matrix rows of the team app: the target grid, copying, the Excel import, the 业绩 measure
and the targets API. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import Case, Redirect, api_expect, page_expect

NOT_READERS = dict(admin=403, hr=403, warehouse=403, planner=403)
GRID = Redirect("/team/targets/")
MONTH = {"month": "2026-10"}


def _company_line(ctx) -> list[dict]:
    return [{"scope": "company", "sales_target": "1000.00", "collection_target": "800.00"}]


CASES: list[Case] = [
    Case("target_month", query=MONTH, expect=page_expect(200, **NOT_READERS)),
    Case("target_month", method="POST", query=MONTH, body={"month": "2026-10", "company-sales": "1000"},
         expect=page_expect(403, clerk=GRID)),
    Case("target_copy", method="POST", body=MONTH, expect=page_expect(403, clerk=GRID)),
    Case("target_template", query=MONTH, expect=page_expect(403, clerk=200)),
    Case("target_import", expect=page_expect(403, clerk=200)),
    Case("target_import_commit", method="POST", body={"token": "x"},
         expect=page_expect(403, clerk=Redirect("/team/targets/import/"))),
    Case("performance_settings", expect=page_expect(403, admin=200, general_manager=200)),
    Case("performance_settings", method="POST", body={"performance_measure": "shipped"},
         expect=page_expect(403, admin=Redirect("/team/performance/"), general_manager=Redirect("/team/performance/"))),
    Case("GET /api/v1/targets", query=MONTH, expect=api_expect(200, **NOT_READERS)),
    Case("PUT /api/v1/targets/{month}", args={"month": "2026-10"}, body=_company_line, expect=api_expect(403, clerk=200)),
]
