"""Access-matrix rows of invoicing: invoices, red invoices, invoice requests and the uninvoiced-
shipment list, pages and API (API.md: invoices and credit notes — finance, clerk; salespeople
request; warehouse, HR, planner and admin have no business with invoices).

Objects per ownership variant: a customer of the variant's owner with a submitted order, an
invoice finance issued on it, and an invoice request the owner made. See
``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant

DAY = date(2026, 11, 20)
NEW_NUMBER = "26117000009999999999"  # a row's own invoice (each row runs in a savepoint)


def populate(world) -> None:
    from salesdesk.finance import invoicing

    from .factories import customer, order

    people = world.personas
    for i, variant in enumerate(OWNERSHIP):
        owner = world.owner(variant)
        cust = customer(people, owner.username)
        o = order(people, cust, "11300.00", owner=owner.username)
        world.add("invoice_customer", cust, variant=variant)
        world.add("invoice_order", o, variant=variant)
        world.add("invoice", invoicing.issue_invoice(actor=people["finance"], data=invoicing.InvoiceInput(
            customer=cust, kind="sd_special", number=f"2611700000000000{i:04d}", issued_on=DAY,
            amount=Decimal("11300.00"), tax_amount=Decimal("1300.00"), orders=[o])), variant=variant)
        world.add("invoice_request", invoicing.request_invoice(actor=owner, data=invoicing.RequestInput(
            customer=cust, kind="sd_special", amount=Decimal("5000.00"), orders=[o])), variant=variant)


def _customer(ctx: Ctx) -> int:
    return ctx.world.get("invoice_customer", ctx.variant).pk


def _order(ctx: Ctx) -> int:
    return ctx.world.get("invoice_order", ctx.variant).pk


def _invoice(ctx: Ctx) -> int:
    return ctx.world.get("invoice", ctx.variant).pk


def _request(ctx: Ctx) -> int:
    return ctx.world.get("invoice_request", ctx.variant).pk


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)
READERS = 200  # clerk, salesperson, managers, GM, finance (rows narrowed by visibility)
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
REQUESTERS_SEE = dict(  # a salesperson or manager asks for a customer they may see
    salesperson=per_variant(own=Redirect("/finance/invoices/requests/"), team=404, other=404),
    sales_manager=per_variant(own=Redirect("/finance/invoices/requests/"), team=Redirect("/finance/invoices/requests/"),
                              other=404),
)
INVOICES = Redirect("/finance/invoices/")
REQUESTS = Redirect("/finance/invoices/requests/")


def _invoice_form(c: Ctx) -> dict:
    return {"customer": _customer(c), "kind": "sd_ordinary", "number": NEW_NUMBER, "issued_on": DAY.isoformat(),
            "amount": "1000.00", "tax_amount": "0.00", "orders": [_order(c)], "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0"}


def _invoice_body(c: Ctx) -> dict:
    return {"customer_id": _customer(c), "order_ids": [_order(c)], "kind": "sd_ordinary", "number": NEW_NUMBER,
            "issued_on": DAY.isoformat(), "amount": "1000.00", "tax_amount": "0.00"}


CASES: list[Case] = [
    # --- pages ---
    Case("invoice_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("invoice_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, general_manager=200, finance=200)),
    Case("invoice_detail", variants=OWNERSHIP, args=lambda c: {"pk": _invoice(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("invoice_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case("invoice_create", expect=page_expect(403, clerk=200, finance=200)),
    Case("invoice_create", method="POST", label="for the variant's customer", variants=OWNERSHIP, body=_invoice_form,
         expect=page_expect(403, clerk=INVOICES, finance=INVOICES)),
    Case("invoice_request_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("invoice_request_create", expect=page_expect(403, clerk=200, salesperson=200, sales_manager=200)),
    Case(
        "invoice_request_create", method="POST", label="for the variant's customer", variants=OWNERSHIP,
        body=lambda c: {"customer": _customer(c), "kind": "sd_special", "amount": "100.00", "orders": [_order(c)]},
        expect=page_expect(403, clerk=REQUESTS, **REQUESTERS_SEE),
    ),
    Case("invoice_request_detail", variants=OWNERSHIP, args=lambda c: {"pk": _request(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("invoice_request_reject", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _request(c)},
         body={"reason": "金额不符"}, expect=page_expect(403, clerk=REQUESTS, finance=REQUESTS)),
    Case("uninvoiced_shipments", expect=page_expect(READERS, **OUTSIDERS)),
    Case("uninvoiced_shipments", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, general_manager=200, finance=200)),
    # --- API ---
    Case("POST /api/v1/invoices", variants=OWNERSHIP, body=_invoice_body, expect=api_expect(403, clerk=201, finance=201)),
    Case("GET /api/v1/invoices", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/invoices/{invoice_id}", variants=OWNERSHIP, args=lambda c: {"invoice_id": _invoice(c)},
         expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case("GET /api/v1/invoices/uninvoiced-shipments", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/invoice-requests", expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "POST /api/v1/invoice-requests", variants=OWNERSHIP,
        body=lambda c: {"customer_id": _customer(c), "order_ids": [_order(c)], "kind": "sd_special", "amount": "100.00"},
        expect=api_expect(403, clerk=201, salesperson=per_variant(own=201, team=404, other=404),
                          sales_manager=per_variant(own=201, team=201, other=404)),
    ),
    Case("GET /api/v1/invoice-requests/{request_id}", variants=OWNERSHIP, args=lambda c: {"request_id": _request(c)},
         expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case(
        "POST /api/v1/invoice-requests/{request_id}/issue", variants=OWNERSHIP,
        args=lambda c: {"request_id": _request(c)},
        body={"number": NEW_NUMBER, "issued_on": DAY.isoformat(), "amount": "5000.00", "tax_amount": "575.22"},
        expect=api_expect(403, clerk=200, finance=200),
    ),
    Case("POST /api/v1/invoice-requests/{request_id}/reject", variants=OWNERSHIP,
         args=lambda c: {"request_id": _request(c)}, body={"reason": "金额不符"},
         expect=api_expect(403, clerk=200, finance=200)),
]
