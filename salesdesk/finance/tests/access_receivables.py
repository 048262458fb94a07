"""Access-matrix rows of the receivables: aging, open items, the overdue list, the AR ledger of a
customer and of a contract, collection notes — pages and API.

Objects per ownership variant: a credit customer of the variant's owner with a submitted order, a
contract of the same owner, and the receivable of a shipment dispatched 40 days ago on the order.
See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from salesdesk.contracts.models import Contract
    from salesdesk.finance import receivables

    from .factories import customer, order

    people = world.personas
    dispatched = timezone.localdate() - timedelta(days=40)
    for n, variant in enumerate(OWNERSHIP):
        owner = world.owner(variant)
        cust = customer(people, owner.username, settlement="credit", credit_days=30, credit_limit=Decimal("100000"))
        o = order(people, cust, "20000.00", owner=owner.username)
        contract = Contract.objects.create(
            number=f"HT-AR-{variant}", customer=cust, salesperson=owner, signed_on=date(2026, 1, 1),
            starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), created_by=people["clerk"])
        receivable = receivables.post_shipment_receivable(
            shipment_id=880_000 + n, customer_id=cust.pk, order_id=o.pk, contract_id=contract.pk,
            salesperson_id=owner.pk, number=f"FH-AR-{variant}", amount=Decimal("5000.00"), shipped_on=dispatched)
        world.add("ar_customer", cust, variant=variant)
        world.add("ar_contract", contract, variant=variant)
        world.add("ar_receivable", receivable, variant=variant)


def _customer(ctx: Ctx) -> int:
    return ctx.world.get("ar_customer", ctx.variant).pk


def _contract(ctx: Ctx) -> int:
    return ctx.world.get("ar_contract", ctx.variant).pk


def _receivable(ctx: Ctx) -> int:
    return ctx.world.get("ar_receivable", ctx.variant).pk


def _today() -> str:
    return timezone.localdate().isoformat()


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)  # no business with money
READERS = 200  # clerk, salesperson, managers, GM, finance (rows narrowed by visibility)
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
EXPORTERS = dict(clerk=200, general_manager=200, finance=200)
LEDGER = Redirect("/finance/receivables/customers/")


def _note(c: Ctx) -> dict:
    return {"customer": _customer(c), "contacted_on": _today(), "channel": "phone", "contact_name": "王会计",
            "receivable": _receivable(c), "result": "答应月底付款"}


CASES: list[Case] = [
    # --- pages ---
    Case("receivable_aging", expect=page_expect(READERS, **OUTSIDERS)),
    Case("receivable_aging", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("receivable_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("receivable_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("receivable_overdue", expect=page_expect(READERS, **OUTSIDERS)),
    Case("receivable_customer", variants=OWNERSHIP, args=lambda c: {"pk": _customer(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("receivable_customer", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case("receivable_contract", variants=OWNERSHIP, args=lambda c: {"pk": _contract(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("collection_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("collection_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("collection_create", expect=page_expect(403, clerk=200, salesperson=200, finance=200)),
    Case("collection_create", label="for the variant's customer", variants=OWNERSHIP,
         query=lambda c: {"customer": _customer(c)},
         expect=page_expect(403, clerk=200, finance=200, salesperson=per_variant(own=200, team=404, other=404))),
    Case("collection_create", method="POST", label="a note on the variant's customer", variants=OWNERSHIP,
         query=lambda c: {"customer": _customer(c)}, body=_note,
         expect=page_expect(403, clerk=LEDGER, finance=LEDGER,
                            salesperson=per_variant(own=LEDGER, team=404, other=404))),
    # --- API ---
    Case("GET /api/v1/receivables/aging", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/receivables", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/receivables", label="of the variant's customer", variants=OWNERSHIP,
         query=lambda c: {"customer_id": _customer(c)}, expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case("GET /api/v1/customers/{customer_id}/receivables", variants=OWNERSHIP,
         args=lambda c: {"customer_id": _customer(c)}, expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case("GET /api/v1/collections", expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "POST /api/v1/collections", variants=OWNERSHIP,
        body=lambda c: {"customer_id": _customer(c), "receivable_id": _receivable(c), "contacted_on": _today(),
                        "channel": "phone", "promised_on": _today(), "promised_amount": "5000.00",
                        "result": "答应今天付款"},
        expect=api_expect(403, clerk=201, finance=201, salesperson=per_variant(own=201, team=404, other=404)),
    ),
]
