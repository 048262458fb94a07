"""Access-matrix rows of orders: the order and coordination pages and API.

Objects per ownership variant (a customer of sales1 / sales3 / sales2): a draft order, a draft
whose price waits for a manager (entered by the clerk), a submitted order with a coordination
request to production. See ``salesdesk/core/testing/access.py`` for how cases are written."""

from __future__ import annotations

from salesdesk.core.testing.access import LOGIN, OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from datetime import date
    from decimal import Decimal

    from salesdesk.customers.tests.factories import CustomerFactory
    from salesdesk.orders import services

    from .factories import make_product, order_input

    clerk = world.user("clerk")
    product = make_product(price="100.00")
    world.add("order_product", product)
    for variant in OWNERSHIP:
        customer = CustomerFactory(salesperson=world.owner(variant))
        world.add("order_customer", customer, variant=variant)
        world.add("order_draft", services.create_order(actor=clerk, data=order_input(customer, [(product, "2", None)])),
                  variant=variant)
        world.add("order_pending", services.create_order(actor=clerk, data=order_input(customer, [(product, "2", "90")])),
                  variant=variant)
        submitted = services.submit_order(actor=clerk, order=services.create_order(
            actor=clerk, data=order_input(customer, [(product, "5", None)])))
        world.add("order_submitted", submitted, variant=variant)
        world.add("coordination", services.request_coordination(
            actor=clerk, kind="production", product=product, quantity=Decimal(5), needed_by=date(2026, 12, 10),
            order=submitted), variant=variant)


def _pk(kind: str):
    return lambda c: c.world.get(kind, c.variant).pk


def _args(kind: str, name: str = "pk"):
    return lambda c: {name: c.world.get(kind, c.variant).pk}


def _form(c: Ctx) -> dict:
    return {"customer": _pk("order_customer")(c), "order_date": "2026-11-27", "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 0, "lines-0-product": c.world.get("order_product").pk, "lines-0-quantity": "1",
            "shares-TOTAL_FORMS": 0, "shares-INITIAL_FORMS": 0, "action": "save"}


ORDERS = "/orders/"
COORDINATION = "/orders/coordination/"
NO_ORDERS = dict(hr=403, admin=403)  # no role in orders
# who sees an order (or coordination request) of sales1 / sales3 / sales2
SEES = dict(salesperson=per_variant(own=200, team=404, other=404),
            sales_manager=per_variant(own=200, team=200, other=404))
# the submitted order: released for shipping (warehouse) and behind a coordination request (planner)
SEES_SUBMITTED = dict(**SEES, **NO_ORDERS)
# a draft: the warehouse and planners do not see it
SEES_DRAFT = dict(**SEES, **NO_ORDERS, warehouse=404, planner=404)


def _acts(ok):
    """Roles that act on orders (clerk, owner salesperson, manager of the team); others 403."""
    return dict(clerk=ok, salesperson=per_variant(own=ok, team=404, other=404),
                sales_manager=per_variant(own=ok, team=ok, other=404))


def _manager(ok):
    return dict(sales_manager=per_variant(own=ok, team=ok, other=404))


CASES: list[Case] = [
    # --- order pages ---
    Case("order_list", expect=page_expect(200, **NO_ORDERS)),
    Case("order_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, sales_manager=200, general_manager=200, finance=200)),
    Case("order_create", expect=page_expect(403, clerk=200, salesperson=200, sales_manager=200)),
    Case(
        "order_create", method="POST", label="for the variant's customer", variants=OWNERSHIP, body=_form,
        # a customer the user may not see is not a valid choice: the form comes back
        expect=page_expect(403, clerk=Redirect(ORDERS), salesperson=per_variant(own=Redirect(ORDERS), team=200, other=200),
                           sales_manager=per_variant(own=Redirect(ORDERS), team=Redirect(ORDERS), other=200)),
    ),
    Case("order_customer_options", query={"customer_q": "测试"},
         expect=page_expect(403, clerk=200, salesperson=200, sales_manager=200)),
    Case("order_contract_options", variants=OWNERSHIP, query=lambda c: {"customer": _pk("order_customer")(c)},
         expect=page_expect(403, clerk=200, salesperson=200, sales_manager=200)),
    Case("order_prices", variants=OWNERSHIP, query=lambda c: {"customer": _pk("order_customer")(c)},
         expect=page_expect(403, **_acts(200))),
    Case("order_detail", variants=OWNERSHIP, args=_args("order_submitted"), expect=page_expect(200, **SEES_SUBMITTED)),
    Case("order_detail", label="draft", variants=OWNERSHIP, args=_args("order_draft"),
         expect=page_expect(200, **SEES_DRAFT)),
    Case("order_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **NO_ORDERS)),
    Case("order_edit", variants=OWNERSHIP, args=_args("order_draft"), expect=page_expect(403, **_acts(200))),
    Case("order_edit", method="POST", label="empty form", variants=OWNERSHIP, args=_args("order_draft"), body={},
         expect=page_expect(403, **_acts(200))),
    Case("order_submit", method="POST", variants=OWNERSHIP, args=_args("order_draft"),
         expect=page_expect(403, **_acts(Redirect(ORDERS)))),
    Case("order_submit", label="GET", variants=OWNERSHIP, args=_args("order_draft"),
         expect=page_expect(405, anonymous=LOGIN)),
    Case("order_cancel", method="POST", variants=OWNERSHIP, args=_args("order_submitted"), body={"reason": "客户取消"},
         expect=page_expect(403, **_acts(Redirect(ORDERS)))),
    Case("order_close", method="POST", variants=OWNERSHIP, args=_args("order_submitted"), body={"reason": "不要了"},
         expect=page_expect(403, **_manager(Redirect(ORDERS)))),
    Case("order_approve_price", method="POST", variants=OWNERSHIP, args=_args("order_pending"),
         expect=page_expect(403, **_manager(Redirect(ORDERS)))),
    Case("order_reject_price", method="POST", variants=OWNERSHIP, args=_args("order_pending"), body={"reason": "低"},
         expect=page_expect(403, **_manager(Redirect(ORDERS)))),
    Case("order_seen", method="POST", variants=OWNERSHIP, args=_args("order_submitted"),
         expect=page_expect(403, finance=Redirect(ORDERS))),
    Case("order_copy", method="POST", variants=OWNERSHIP, args=_args("order_submitted"),
         expect=page_expect(403, **_acts(Redirect(ORDERS)))),
    Case("order_copy_last", method="POST", variants=OWNERSHIP, body=lambda c: {"customer": _pk("order_customer")(c)},
         expect=page_expect(403, **_acts(Redirect(ORDERS)))),
    Case("order_pdf", variants=OWNERSHIP, args=_args("order_submitted"), expect=page_expect(200, **SEES_SUBMITTED)),
    # --- coordination pages ---
    Case("coordination_list", expect=page_expect(200, warehouse=403, **NO_ORDERS)),
    Case("coordination_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, sales_manager=200, general_manager=200, finance=200)),
    Case(
        "coordination_create", method="POST", variants=OWNERSHIP,
        body=lambda c: {"order": _pk("order_submitted")(c), "kind": "supply", "product": c.world.get("order_product").pk,
                        "quantity": "1", "needed_by": "2026-12-20"},
        expect=page_expect(403, **_acts(Redirect(ORDERS))),
    ),
    Case("coordination_detail", variants=OWNERSHIP, args=_args("coordination"),
         expect=page_expect(200, warehouse=403, **SEES, **NO_ORDERS)),
    Case("coordination_reply", method="POST", variants=OWNERSHIP, args=_args("coordination"),
         body=lambda c: {f"r{_pk('coordination')(c)}-status": "cannot", f"r{_pk('coordination')(c)}-note": "缺料"},
         expect=page_expect(403, clerk=Redirect(COORDINATION), planner=Redirect(COORDINATION))),
    # --- orders API ---
    Case("GET /api/v1/orders", expect=api_expect(200, **NO_ORDERS)),
    Case(
        "POST /api/v1/orders", variants=OWNERSHIP,
        body=lambda c: {"customer_id": _pk("order_customer")(c), "order_date": "2026-11-27",
                        "lines": [{"product_id": c.world.get("order_product").pk, "quantity": "1"}]},
        expect=api_expect(403, **_acts(201)),
    ),
    Case("GET /api/v1/orders/{order_id}", variants=OWNERSHIP, args=_args("order_submitted", "order_id"),
         expect=api_expect(200, **SEES_SUBMITTED)),
    Case("GET /api/v1/orders/{order_id}", label="draft", variants=OWNERSHIP, args=_args("order_draft", "order_id"),
         expect=api_expect(200, **SEES_DRAFT)),
    Case("PATCH /api/v1/orders/{order_id}", variants=OWNERSHIP, args=_args("order_draft", "order_id"),
         body={"notes": "改交货地址"}, expect=api_expect(403, **_acts(200))),
    Case("GET /api/v1/orders/{order_id}/history", variants=OWNERSHIP, args=_args("order_submitted", "order_id"),
         expect=api_expect(200, **SEES_SUBMITTED)),
    Case("POST /api/v1/orders/{order_id}/submit", variants=OWNERSHIP, args=_args("order_draft", "order_id"),
         expect=api_expect(403, **_acts(200))),
    Case("POST /api/v1/orders/{order_id}/cancel", variants=OWNERSHIP, args=_args("order_submitted", "order_id"),
         body={"reason": "客户取消"}, expect=api_expect(403, **_acts(200))),
    Case("POST /api/v1/orders/{order_id}/close", variants=OWNERSHIP, args=_args("order_submitted", "order_id"),
         body={"reason": "余量不要了"}, expect=api_expect(403, **_manager(200))),
    Case("POST /api/v1/orders/{order_id}/approve-price", variants=OWNERSHIP, args=_args("order_pending", "order_id"),
         expect=api_expect(403, **_manager(200))),
    Case("POST /api/v1/orders/{order_id}/reject-price", variants=OWNERSHIP, args=_args("order_pending", "order_id"),
         body={"reason": "低于底价"}, expect=api_expect(403, **_manager(200))),
    Case("POST /api/v1/orders/{order_id}/seen", variants=OWNERSHIP, args=_args("order_submitted", "order_id"),
         expect=api_expect(403, finance=200)),
    Case("POST /api/v1/orders/{order_id}/copy", variants=OWNERSHIP, args=_args("order_submitted", "order_id"),
         expect=api_expect(403, **_acts(201))),
    # --- coordination API ---
    Case("GET /api/v1/coordination", expect=api_expect(200, warehouse=403, **NO_ORDERS)),
    Case(
        "POST /api/v1/coordination", variants=OWNERSHIP,
        body=lambda c: {"kind": "production", "order_id": _pk("order_submitted")(c),
                        "product_id": c.world.get("order_product").pk, "quantity": "2", "needed_by": "2026-12-20"},
        expect=api_expect(403, **_acts(201)),
    ),
    Case("GET /api/v1/coordination/{request_id}", variants=OWNERSHIP, args=_args("coordination", "request_id"),
         expect=api_expect(200, warehouse=403, **SEES, **NO_ORDERS)),
    Case("GET /api/v1/coordination/{request_id}/history", variants=OWNERSHIP, args=_args("coordination", "request_id"),
         expect=api_expect(200, warehouse=403, **SEES, **NO_ORDERS)),
    Case("POST /api/v1/coordination/{request_id}/reply", variants=OWNERSHIP, args=_args("coordination", "request_id"),
         body={"status": "confirmed", "promised_on": "2026-12-08"}, expect=api_expect(403, clerk=200, planner=200)),
]
