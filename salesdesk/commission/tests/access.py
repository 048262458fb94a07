"""Access-matrix rows of the commission pages: runs (list, draft, detail, progress, resume, team
confirmation, approval, adjustment, Excel), lines (detail, confirm, dispute), each salesperson's
statement (PDF and Excel) and plans (list, detail, forms, assignments).

Objects: a drafted run of a past month with one line per salesperson (sales1 own, sales3 team,
sales2 other) from a 3 % plan on 回款, the plan and one of its assignments. See
``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, page_expect, per_variant

PERIOD = "2025-03"  # a month of its own: other commission access files draft other months


def populate(world) -> None:
    from salesdesk.commission.models import CommissionPlan, PlanAssignment

    from .run_factories import draft, line_of, month_with_money

    people = world.personas
    month_with_money(people, PERIOD)
    run = draft(people, PERIOD)
    world.add("commission_page_run", run)
    for variant in OWNERSHIP:
        world.add("commission_page_line", line_of(run, world.owner(variant)), variant=variant)
    plan = CommissionPlan.objects.filter(pk=line_of(run, people["sales1"]).plan_id).get()
    world.add("commission_page_plan", plan)
    world.add("commission_page_assignment", PlanAssignment.objects.filter(plan_code=plan.code).first())


def _run(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("commission_page_run").pk}


def _line(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("commission_page_line", ctx.variant).pk}


def _statement(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("commission_page_run").pk, "user_id": ctx.owner.pk}


def _plan(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("commission_page_plan").pk}


def _assignment(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("commission_page_assignment").pk}


NO_COMMISSION = dict(admin=403, warehouse=403, planner=403)
READERS = page_expect(200, **NO_COMMISSION)  # lines inside narrowed by visibility
EXPORTERS = page_expect(403, clerk=200, general_manager=200, finance=200, hr=200)
PLAN_READERS = page_expect(200, salesperson=403, **NO_COMMISSION)
PLAN_MANAGERS = page_expect(403, clerk=200, general_manager=200)
RUN = Redirect("/commission/runs/")
LINES = Redirect("/commission/lines/")
PLANS = Redirect("/commission/plans/")
# a statement is seen by its salesperson and those above them; anyone else gets 404
STATEMENT = page_expect(200, **NO_COMMISSION, salesperson=per_variant(own=200, team=404, other=404),
                        sales_manager=per_variant(own=200, team=200, other=404))
OWN_ONLY = page_expect(403, salesperson=per_variant(own=LINES, team=404, other=404))

CASES: list[Case] = [
    # --- runs ---
    Case("commission_run_list", expect=READERS),
    Case("commission_run_list", label="Excel export", query={"export": "xlsx"}, expect=EXPORTERS),
    Case("commission_run_start", method="POST", body={"period": PERIOD}, expect=page_expect(403, clerk=RUN)),
    Case("commission_run_detail", args=_run, expect=READERS),
    Case("commission_run_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **NO_COMMISSION)),
    Case("commission_run_progress", args=_run, expect=READERS),
    Case("commission_run_resume", method="POST", args=_run, expect=page_expect(403, clerk=RUN)),
    Case("commission_run_confirm_team", method="POST", args=_run, expect=page_expect(403, sales_manager=RUN)),
    Case("commission_run_approve", method="POST", args=_run, expect=page_expect(403, general_manager=RUN)),
    Case("commission_adjustment_create", args=_run, expect=page_expect(403, clerk=200)),
    Case("commission_adjustment_create", method="POST", label="a reasoned adjustment", args=_run,
         body=lambda c: {"salesperson": c.world.user("sales1").pk, "amount": "100.00", "reason": "补发"},
         expect=page_expect(403, clerk=RUN)),
    Case("commission_run_export", args=_run, expect=EXPORTERS),
    # --- one salesperson's statement and lines ---
    Case("commission_statement_pdf", variants=OWNERSHIP, args=_statement, expect=STATEMENT),
    Case("commission_statement_xlsx", variants=OWNERSHIP, args=_statement, expect=STATEMENT),
    Case("commission_line_detail", variants=OWNERSHIP, args=_line, expect=STATEMENT),
    Case("commission_line_confirm", method="POST", variants=OWNERSHIP, args=_line, expect=OWN_ONLY),
    Case("commission_line_dispute", method="POST", variants=OWNERSHIP, args=_line, body={"reason": "漏算一笔回款"},
         expect=OWN_ONLY),
    # --- plans ---
    Case("commission_plan_list", expect=PLAN_READERS),
    Case("commission_plan_list", label="Excel export", query={"export": "xlsx"}, expect=PLAN_READERS),
    Case("commission_plan_detail", args=_plan, expect=PLAN_READERS),
    Case("commission_plan_create", expect=PLAN_MANAGERS),
    Case("commission_plan_edit", args=_plan, expect=PLAN_MANAGERS),
    Case("commission_plan_new_version", args=_plan, expect=PLAN_MANAGERS),
    Case("commission_assignment_create", args=_plan, expect=PLAN_MANAGERS),
    Case("commission_assignment_edit", args=_assignment, expect=PLAN_MANAGERS),
    Case("commission_plan_create", method="POST", label="an empty form", body={},
         expect=page_expect(403, clerk=200, general_manager=200)),
]
