"""Access-matrix rows of the commission API (API.md, "Commission"): compute (now or as a job),
list and read runs, resume, adjust, confirm or dispute one's own line, confirm the team, approve.

Objects: a drafted run of a month of its own with one line per salesperson (sales1 own, sales3
team, sales2 other) from a 3 % plan on 回款, and a run of another month left ``failed`` by a
crash. The approval row locks its month inside the row's savepoint. See
``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, api_expect, per_variant

PERIOD = "2025-04"  # a month of its own: the page rows draft 2025-03
FAILED_PERIOD = "2025-05"
FREE_PERIOD = "2025-06"  # no run yet: computing it creates one


def populate(world) -> None:
    from salesdesk.commission.models import CommissionRun, RunStatus

    from .run_factories import draft, line_of, month_with_money

    people = world.personas
    month_with_money(people, PERIOD)
    run = draft(people, PERIOD)
    world.add("commission_api_run", run)
    for variant in OWNERSHIP:
        world.add("commission_api_line", line_of(run, world.owner(variant)), variant=variant)
    world.add("commission_api_failed", CommissionRun.objects.create(period=FAILED_PERIOD, status=RunStatus.FAILED,
                                                                     error="RuntimeError: worker died"))


def _run(ctx: Ctx) -> dict:
    return {"run_id": ctx.world.get("commission_api_run").pk}


def _line(ctx: Ctx) -> dict:
    return {"run_id": ctx.world.get("commission_api_run").pk, "line_id": ctx.world.get("commission_api_line", ctx.variant).pk}


def _failed(ctx: Ctx) -> dict:
    return {"run_id": ctx.world.get("commission_api_failed").pk}


def _locked_run(ctx: Ctx) -> dict:
    from salesdesk.ledger.periods import lock_period

    lock_period(actor=ctx.world.user("finance"), period=PERIOD)  # rolled back with the row
    return _run(ctx)


NO_COMMISSION = dict(admin=403, warehouse=403, planner=403)
READERS = api_expect(200, **NO_COMMISSION)  # lines inside narrowed by visibility
OWN_LINE = per_variant(own=200, team=404, other=404)

CASES: list[Case] = [
    Case("POST /api/v1/commission/runs", body={"period": FREE_PERIOD}, expect=api_expect(403, clerk=201)),
    Case("POST /api/v1/commission/runs", label="invalid body", body={"month": "x"}, expect=api_expect(403, clerk=422)),
    Case("POST /api/v1/commission/runs/start", body={"period": FREE_PERIOD}, expect=api_expect(403, clerk=202)),
    Case("GET /api/v1/commission/runs", expect=READERS),
    Case("GET /api/v1/commission/runs/{run_id}", args=_run, expect=READERS,
         check=lambda c, r: _sees_only(c, r)),
    Case("POST /api/v1/commission/runs/{run_id}/resume", args=_failed, expect=api_expect(403, clerk=200)),
    Case("POST /api/v1/commission/runs/{run_id}/adjustments", args=_run, variants=OWNERSHIP,
         body=lambda c: {"salesperson_id": c.owner.pk, "amount": "10.00", "reason": "补发"},
         expect=api_expect(403, clerk=201)),
    Case("POST /api/v1/commission/runs/{run_id}/lines/{line_id}/confirm", args=_line, variants=OWNERSHIP,
         expect=api_expect(403, salesperson=OWN_LINE)),
    Case("POST /api/v1/commission/runs/{run_id}/lines/{line_id}/dispute", args=_line, variants=OWNERSHIP,
         body={"reason": "少算回款"}, expect=api_expect(403, salesperson=OWN_LINE)),
    Case("POST /api/v1/commission/runs/{run_id}/team-confirm", args=_run, expect=api_expect(403, sales_manager=200)),
    Case("POST /api/v1/commission/runs/{run_id}/approve", args=_locked_run, expect=api_expect(403, general_manager=200)),
]


def _sees_only(ctx: Ctx, response) -> None:
    """A salesperson reads only their own line; a manager their team's; the others every line."""
    if response.status_code != 200:
        return
    seen = {line["salesperson_id"] for line in response.json()["lines"]}
    people = ctx.world.personas
    expected = {
        "salesperson": {people["sales1"].pk},
        "sales_manager": {people["sales1"].pk, people["sales3"].pk},
    }.get(ctx.role, {people[u].pk for u in ("sales1", "sales2", "sales3")})
    assert seen == expected, f"{ctx.role} sees lines of {seen}, expected {expected}"
