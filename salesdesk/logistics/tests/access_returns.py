"""Access-matrix rows of returns (退货), pages and API.

Objects per ownership variant (a customer of sales1 / sales3 / sales2): a paid order of 10 units
shipped and dispatched in full, and one return of a unit against it — 9 units are left to return.
Returns follow shipments: clerk and warehouse record them; whoever sees the shipment sees them (the
warehouse without prices). See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from decimal import Decimal

    from django.utils import timezone

    from salesdesk.logistics import returns, services

    from .factories import customer, paid, product, submitted_order

    people = world.personas
    clerk = world.user("clerk")
    for variant in OWNERSHIP:
        owner = world.owner(variant).username
        prod = product("100.00", sku=f"ACC-RET-{variant}")
        cust = customer(people, owner)
        order = submitted_order(people, cust, [(prod, 10, "100.00")], owner=owner, number=f"SO-ACC-RET-{variant}")
        paid(people, cust, "1000.00", order=order)
        shipment = services.dispatch(actor=clerk, shipment=services.create_shipment(
            actor=clerk, order=order, lines=[services.LineRequest(prod.pk, Decimal(10))]))
        line = shipment.lines.get()
        sales_return = returns.create_return(actor=clerk, shipment=shipment,
                                             lines=[returns.ReturnLineRequest(line.pk, Decimal(1))],
                                             returned_on=timezone.localdate(), reason="包装破损")
        world.add("returns_shipment", shipment, variant=variant)
        world.add("returns_line", line, variant=variant)
        world.add("returns_return", sales_return, variant=variant)


def _shipment(c) -> int:
    return c.world.get("returns_shipment", c.variant).pk


def _return(c) -> int:
    return c.world.get("returns_return", c.variant).pk


def _today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


OUTSIDERS = dict(admin=403, hr=403, planner=403)  # no business with goods coming back
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
RETURNS = Redirect("/logistics/returns/")

CASES: list[Case] = [
    Case("return_list", expect=page_expect(200, **OUTSIDERS)),
    Case("return_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(200, salesperson=403, **OUTSIDERS)),
    Case("return_detail", variants=OWNERSHIP, args=lambda c: {"pk": _return(c)},
         expect=page_expect(200, **OUTSIDERS, **SEES)),
    Case("return_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case("return_create", variants=OWNERSHIP, query=lambda c: {"shipment": _shipment(c)},
         expect=page_expect(403, clerk=200, warehouse=200)),
    Case("return_create", method="POST", label="one unit back", variants=OWNERSHIP,
         body=lambda c: {"shipment": _shipment(c), f"qty_{c.world.get('returns_line', c.variant).pk}": "1",
                         "returned_on": _today(), "reason": "质量问题"},
         expect=page_expect(403, clerk=RETURNS, warehouse=RETURNS)),
    # --- API ---
    Case("POST /api/v1/returns", variants=OWNERSHIP,
         body=lambda c: {"shipment_id": _shipment(c), "returned_on": _today(), "reason": "质量问题",
                         "lines": [{"shipment_line_id": c.world.get("returns_line", c.variant).pk, "quantity": "1"}]},
         expect=api_expect(403, clerk=201, warehouse=201)),
    Case("GET /api/v1/returns", expect=api_expect(200, **OUTSIDERS)),
    Case("GET /api/v1/returns/{return_id}", variants=OWNERSHIP, args=lambda c: {"return_id": _return(c)},
         expect=api_expect(200, **OUTSIDERS, **SEES)),
]
