"""Access-matrix rows of the appraisal pages (考核指标, 绩效基数). KPI sets: everyone who may read
plans (clerk, GM, finance, HR, sales managers) reads them, the clerk and the GM change them. Bases
are pay: the clerk, the GM, finance and HR read them; the clerk and the GM set them. Salespeople
see their own score only on the run page. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.core.testing.access import Case, Ctx, Redirect, page_expect


def populate(world) -> None:
    from salesdesk.commission import performance
    from salesdesk.commission.models import Kpi

    kpi_set = performance.create_kpi_set(
        actor=world.personas["clerk"], code="access-kpi", name="权限测试考核", valid_from=date(2024, 1, 1),
        weights=[performance.WeightEntry(Kpi.COLLECTION_COMPLETION, Decimal(60)),
                 performance.WeightEntry(Kpi.SALES_COMPLETION, Decimal(40))])
    world.add("kpi_set", kpi_set)


def _set(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("kpi_set").pk}


WEIGHTS = {"w_collection_completion": "50", "w_sales_completion": "50"}
READ_SETS = page_expect(200, admin=403, salesperson=403, warehouse=403, planner=403)
MANAGE = page_expect(403, clerk=200, general_manager=200)
DETAIL = Redirect("/commission/kpi/")
BASES = Redirect("kpi_base_list")

CASES: list[Case] = [
    Case("kpi_set_list", expect=READ_SETS),
    Case("kpi_set_detail", args=_set, expect=READ_SETS),
    Case("kpi_set_create", expect=MANAGE),
    Case("kpi_set_create", method="POST",
         body={**WEIGHTS, "code": "access-new", "name": "新考核", "valid_from": "2025-01-01"},
         expect=page_expect(403, clerk=DETAIL, general_manager=DETAIL)),
    Case("kpi_set_edit", args=_set, expect=MANAGE),
    Case("kpi_set_edit", method="POST", args=_set, body={**WEIGHTS, "name": "改名"},
         expect=page_expect(403, clerk=DETAIL, general_manager=DETAIL)),
    Case("kpi_set_version", args=_set, expect=MANAGE),
    Case("kpi_set_version", method="POST", args=_set, body={**WEIGHTS, "name": "新版本", "valid_from": "2025-07-01"},
         expect=page_expect(403, clerk=DETAIL, general_manager=DETAIL)),
    Case("kpi_base_list", expect=page_expect(403, clerk=200, general_manager=200, finance=200, hr=200)),
    Case("kpi_base_edit", expect=MANAGE),
    Case("kpi_base_edit", method="POST",
         body=lambda c: {"salesperson": c.world.user("sales1").pk, "amount": "4000", "valid_from": "2025-01-01",
                         "kpi_set_code": ""},
         expect=page_expect(403, clerk=BASES, general_manager=BASES)),
]
