"""Access-matrix rows of the desk: the home page (every role; its row is org's ``home``) and finance's
"seen" action on a reported order from the desk. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, page_expect


def populate(world) -> None:
    from salesdesk.logistics.tests.factories import customer, product, submitted_order

    people = world.personas
    prod = product("100.00")
    for variant in OWNERSHIP:
        owner = world.owner(variant).username
        cust = customer(people, owner)
        world.add("desk_unseen_order", submitted_order(people, cust, [(prod, "1", "100.00")], owner=owner),
                  variant=variant)


def _order(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("desk_unseen_order", ctx.variant).pk}


def _seen_only_by_finance(ctx: Ctx, response) -> None:
    from salesdesk.orders.models import Order

    order = Order.objects.get(pk=ctx.world.get("desk_unseen_order", ctx.variant).pk)
    assert (order.finance_seen_at is not None) == (ctx.role == "finance"), f"seen={order.finance_seen_at}"


CASES: list[Case] = [
    Case("desk_order_seen", method="POST", args=_order, variants=OWNERSHIP, check=_seen_only_by_finance,
         expect=page_expect(403, finance=Redirect("home"))),
]
