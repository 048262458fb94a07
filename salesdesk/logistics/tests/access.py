"""Access-matrix rows of logistics: shipments (发货, 款到发货) and the customer calls after them, API.

Objects per ownership variant (a customer of sales1 / sales3 / sales2): a submitted order of 10
units at 100.00 with 1000.00 confirmed on it, a planned shipment of 2 units, a dispatched one of 2
units with its open call task, and a delivered one of 2 units — 4 units and 400.00 of headroom are
left, so a new shipment of one unit passes the gate. API.md: clerk and warehouse create, dispatch,
track and deliver; warehouse sees every shipment, without prices. The pages follow the same
rules (``salesdesk/logistics/views.py``). See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from decimal import Decimal

    from salesdesk.customers.tests.factories import ContactFactory
    from salesdesk.logistics import services
    from salesdesk.logistics.models import CallTask

    from .factories import customer, paid, product, submitted_order

    people = world.personas
    clerk = world.user("clerk")
    for variant in OWNERSHIP:
        owner = world.owner(variant).username
        prod = product("100.00", sku=f"ACC-LOG-{variant}")
        cust = customer(people, owner)
        ContactFactory(customer=cust, is_primary=True)
        order = submitted_order(people, cust, [(prod, 10, "100.00")], owner=owner, number=f"SO-ACC-LOG-{variant}")
        paid(people, cust, "1000.00", order=order)
        line = [services.LineRequest(prod.pk, Decimal(2))]
        planned = services.create_shipment(actor=clerk, order=order, lines=line, carrier="SF")
        dispatched = services.dispatch(
            actor=clerk, shipment=services.create_shipment(actor=clerk, order=order, lines=line, carrier="SF"),
            waybill_no=f"SF{variant.upper()}0001",
        )
        world.add("logistics_product", prod, variant=variant)
        world.add("logistics_order", order, variant=variant)
        world.add("logistics_planned", planned, variant=variant)
        world.add("logistics_dispatched", dispatched, variant=variant)
        world.add("logistics_call", CallTask.objects.get(shipment=dispatched), variant=variant)
        delivered = services.dispatch(
            actor=clerk, shipment=services.create_shipment(actor=clerk, order=order, lines=line, carrier="SF"))
        world.add("logistics_delivered", services.track(actor=clerk, shipment=delivered, status="delivered",
                                                        signer="王主任"), variant=variant)


def _args(kind: str, name: str):
    return lambda c: {name: c.world.get(kind, c.variant).pk}


def _prices_hidden_from_the_warehouse(ctx: Ctx, response) -> None:
    """API.md: the warehouse sees shipments without prices; everyone else who sees one, with."""
    if response.status_code != 200:
        return
    body = response.json()
    shipments = body["items"] if "items" in body else [body]
    for shipment in shipments:
        priced = [shipment["value"], *(line["amount"] for line in shipment["lines"])]
        if ctx.role == "warehouse":
            assert priced == [None] * len(priced), f"the warehouse sees prices: {priced}"
        else:
            assert None not in priced, f"{ctx.role} misses prices: {priced}"


OUTSIDERS = dict(admin=403, hr=403, planner=403)  # no role in shipments
READERS = 200  # clerk, warehouse, salesperson, managers, GM, finance (rows narrowed by visibility)
SEES = dict(salesperson=per_variant(own=200, team=404, other=404),
            sales_manager=per_variant(own=200, team=200, other=404))
SHIPPING = ("clerk", "warehouse")  # API.md: shipments create / dispatch, track, deliver


def shipping(ok) -> dict:
    return dict.fromkeys(SHIPPING, ok)


CASES: list[Case] = [
    Case(
        "POST /api/v1/shipments", variants=OWNERSHIP,
        body=lambda c: {"order_id": c.world.get("logistics_order", c.variant).pk, "carrier": "ZTO",
                        "lines": [{"product_id": c.world.get("logistics_product", c.variant).pk, "quantity": "1"}]},
        expect=api_expect(403, **shipping(201)),
        check=_prices_hidden_from_the_warehouse,
    ),
    Case(
        "POST /api/v1/shipments", label="beyond what is left", variants=("own",),
        body=lambda c: {"order_id": c.world.get("logistics_order", c.variant).pk,
                        "lines": [{"product_id": c.world.get("logistics_product", c.variant).pk, "quantity": "7"}]},
        expect=api_expect(403, **shipping(422)),
    ),
    Case("GET /api/v1/shipments", expect=api_expect(READERS, **OUTSIDERS), check=_prices_hidden_from_the_warehouse),
    Case(
        "GET /api/v1/shipments", label="by order", variants=OWNERSHIP,
        query=lambda c: {"order_id": c.world.get("logistics_order", c.variant).pk},
        expect=api_expect(READERS, **OUTSIDERS), check=_prices_hidden_from_the_warehouse,
    ),
    Case("GET /api/v1/shipments/{shipment_id}", variants=OWNERSHIP, args=_args("logistics_dispatched", "shipment_id"),
         expect=api_expect(READERS, **OUTSIDERS, **SEES), check=_prices_hidden_from_the_warehouse),
    Case("GET /api/v1/shipments/{shipment_id}", label="unknown id", args={"shipment_id": 2**31},
         expect=api_expect(404, **OUTSIDERS)),
    Case("POST /api/v1/shipments/{shipment_id}/dispatch", variants=OWNERSHIP,
         args=_args("logistics_planned", "shipment_id"), body={"waybill_no": "ZT123456789", "carrier": "ZTO"},
         expect=api_expect(403, **shipping(200))),
    Case("POST /api/v1/shipments/{shipment_id}/dispatch", label="already dispatched", variants=OWNERSHIP,
         args=_args("logistics_dispatched", "shipment_id"), body={}, expect=api_expect(403, **shipping(409))),
    Case("POST /api/v1/shipments/{shipment_id}/track", variants=OWNERSHIP,
         args=_args("logistics_dispatched", "shipment_id"), body={"status": "in_transit", "note": "已到转运中心"},
         expect=api_expect(403, **shipping(200))),
    Case("POST /api/v1/shipments/{shipment_id}/deliver", variants=OWNERSHIP,
         args=_args("logistics_dispatched", "shipment_id"), body={"status": "delivered", "signer": "王主任"},
         expect=api_expect(403, **shipping(200))),
    Case("POST /api/v1/shipments/{shipment_id}/cancel", variants=OWNERSHIP,
         args=_args("logistics_planned", "shipment_id"), body={"reason": "客户改期"},
         expect=api_expect(403, **shipping(200))),
    Case("POST /api/v1/shipments/{shipment_id}/cancel", label="dispatched", variants=OWNERSHIP,
         args=_args("logistics_dispatched", "shipment_id"), body={"reason": "客户改期"},
         expect=api_expect(403, **shipping(409))),
    # customer calls after dispatch and delivery (not in API.md's table: logistics/permissions.py VIEW_SHIPMENT)
    Case("GET /api/v1/calls", expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "POST /api/v1/calls/{call_id}/log", variants=OWNERSHIP, args=_args("logistics_call", "call_id"),
        body={"status": "done", "outcome": "客户已知悉发货"}, expect=api_expect(READERS, **OUTSIDERS, **SEES),
    ),
]


# --- pages ------------------------------------------------------------------------------------

PAGE_OUTSIDERS = dict(admin=403, hr=403, planner=403)
SHIPMENTS = Redirect("/logistics/shipments/")
CALLS = Redirect("/logistics/calls/")
EXPORTERS = ("clerk", "warehouse", "sales_manager", "general_manager", "finance")


def _pk(kind: str):
    return lambda c: {"pk": c.world.get(kind, c.variant).pk}


def _order_query(c) -> dict:
    return {"order": c.world.get("logistics_order", c.variant).pk}


def _scan(c) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from salesdesk.finance.tests.factories import PNG

    return {"scan": SimpleUploadedFile("回单.png", PNG, content_type="image/png"), "note": "已盖章"}


CASES += [
    Case("shipment_list", expect=page_expect(READERS, **PAGE_OUTSIDERS)),
    Case("shipment_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, **dict.fromkeys(EXPORTERS, 200))),
    Case("shipment_detail", variants=OWNERSHIP, args=_pk("logistics_dispatched"),
         expect=page_expect(READERS, **PAGE_OUTSIDERS, **SEES)),
    Case("shipment_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **PAGE_OUTSIDERS)),
    Case("shipment_print", variants=OWNERSHIP, args=_pk("logistics_dispatched"), query={"size": "241"},
         expect=page_expect(READERS, **PAGE_OUTSIDERS, **SEES)),
    Case("shipment_create", label="order picker", expect=page_expect(403, **shipping(200))),
    Case("shipment_create", label="from the variant's order", variants=OWNERSHIP, query=_order_query,
         expect=page_expect(403, **shipping(200))),
    Case(
        "shipment_create", method="POST", label="one unit of the variant's order", variants=OWNERSHIP,
        query=_order_query,
        body=lambda c: {"order": c.world.get("logistics_order", c.variant).pk, "carrier": "ZTO",
                        f"qty_{c.world.get('logistics_order', c.variant).lines.get().pk}": "1"},
        expect=page_expect(403, **shipping(SHIPMENTS)),
    ),
    Case("shipment_dispatch", method="POST", variants=OWNERSHIP, args=_pk("logistics_planned"),
         body={"carrier": "ZTO", "waybill_no": "773012345678"}, expect=page_expect(403, **shipping(SHIPMENTS))),
    Case("shipment_track", method="POST", variants=OWNERSHIP, args=_pk("logistics_dispatched"),
         body={"note": "已到转运中心"}, expect=page_expect(403, **shipping(SHIPMENTS))),
    Case("shipment_deliver", method="POST", variants=OWNERSHIP, args=_pk("logistics_dispatched"),
         body={"signer": "王主任"}, expect=page_expect(403, **shipping(SHIPMENTS))),
    Case("shipment_pod", method="POST", variants=OWNERSHIP, args=_pk("logistics_delivered"), body=_scan,
         expect=page_expect(403, **shipping(SHIPMENTS))),
    Case("shipment_cancel", method="POST", variants=OWNERSHIP, args=_pk("logistics_planned"),
         body={"reason": "客户改期"}, expect=page_expect(403, **shipping(SHIPMENTS))),
    Case("call_list", expect=page_expect(READERS, **PAGE_OUTSIDERS)),
    Case(
        "call_log", method="POST", variants=OWNERSHIP, args=_pk("logistics_call"),
        body=lambda c: {f"call{c.world.get('logistics_call', c.variant).pk}-status": "done",
                        f"call{c.world.get('logistics_call', c.variant).pk}-outcome": "客户已知悉发货"},
        expect=page_expect(CALLS, **PAGE_OUTSIDERS, salesperson=per_variant(own=CALLS, team=404, other=404),
                           sales_manager=per_variant(own=CALLS, team=CALLS, other=404)),
    ),
]
