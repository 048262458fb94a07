"""Access-matrix rows of finance: payments, finance's queue, re-allocation, gate exceptions and the
bank-statement import, pages and API.

Objects per ownership variant: a customer of the variant's owner with a submitted order, a pending
payment on it and a confirmed one (both recorded by the clerk), and a pending gate exception the
clerk requested on the order. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from salesdesk.finance import services

    from .factories import customer, order, payment

    people = world.personas
    for variant in OWNERSHIP:
        owner = world.owner(variant).username
        cust = customer(people, owner)
        o = order(people, cust, "20000.00", owner=owner)
        world.add("finance_customer", cust, variant=variant)
        world.add("finance_order", o, variant=variant)
        world.add("finance_pending", payment(people, cust, "5000.00", order=o), variant=variant)
        world.add("finance_confirmed", payment(people, cust, "3000.00", order=o, confirm=True), variant=variant)
        world.add("finance_exception", services.request_exception(
            actor=people["clerk"], order=o, amount=1000, reason="老客户", expires_on=date(2099, 12, 31)), variant=variant)


def _customer(ctx: Ctx) -> int:
    return ctx.world.get("finance_customer", ctx.variant).pk


def _order(ctx: Ctx) -> int:
    return ctx.world.get("finance_order", ctx.variant).pk


def _pending(ctx: Ctx) -> int:
    return ctx.world.get("finance_pending", ctx.variant).pk


def _confirmed(ctx: Ctx) -> int:
    return ctx.world.get("finance_confirmed", ctx.variant).pk


def _exception(ctx: Ctx) -> int:
    return ctx.world.get("finance_exception", ctx.variant).pk


def _expires() -> str:
    return (timezone.localdate() + timedelta(days=10)).isoformat()


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)  # no business with money
READERS = 200  # clerk, salesperson, managers, GM, finance (rows narrowed by visibility)
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
ONLY_OWN = per_variant(own=200, team=404, other=404)
PAYMENTS = Redirect("/finance/payments/")
EXCEPTIONS = Redirect("/finance/exceptions/")

CASES: list[Case] = [
    # --- recording ---
    Case("payment_create", expect=page_expect(403, clerk=200, salesperson=200, finance=200)),
    Case(
        "payment_create", method="POST", label="for the variant's customer", variants=OWNERSHIP,
        body=lambda c: {"customer": _customer(c), "amount": "100.00", "received_on": "2026-11-20",
                        "method": "bank_transfer"},
        # a customer the salesperson may not see is not a valid choice: the form comes back
        expect=page_expect(403, clerk=PAYMENTS, finance=PAYMENTS,
                           salesperson=per_variant(own=PAYMENTS, team=200, other=200)),
    ),
    Case("payment_customer_options", query={"customer_q": "测试"},
         expect=page_expect(403, clerk=200, salesperson=200, finance=200)),
    Case("payment_order_options", variants=OWNERSHIP, query=lambda c: {"customer": _customer(c)},
         expect=page_expect(403, clerk=200, finance=200, salesperson=ONLY_OWN)),
    Case("payment_payer_check", variants=OWNERSHIP, query=lambda c: {"customer": _customer(c), "payer_name": "张三"},
         expect=page_expect(403, clerk=200, salesperson=200, finance=200)),
    # --- list and detail ---
    Case("payment_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("payment_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, general_manager=200, finance=200)),
    Case("payment_detail", variants=OWNERSHIP, args=lambda c: {"pk": _pending(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("payment_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    # --- finance alone ---
    Case("finance_queue", expect=page_expect(403, finance=200)),
    Case("payment_confirm", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _pending(c)},
         expect=page_expect(403, finance=PAYMENTS)),
    Case("payment_reject", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _pending(c)},
         body=lambda c: {f"p{_pending(c)}-reason": "未到账"}, expect=page_expect(403, finance=PAYMENTS)),
    Case("payment_allocate", variants=OWNERSHIP, args=lambda c: {"pk": _confirmed(c)},
         expect=page_expect(403, finance=200)),
    Case("statement_import", expect=page_expect(403, finance=200)),
    Case("statement_confirm", method="POST", body={"action": "confirm"},
         expect=page_expect(403, finance=Redirect("/finance/bank/"))),
    # --- gate exceptions ---
    Case("exception_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("exception_create", variants=OWNERSHIP, query=lambda c: {"order": _order(c)},
         expect=page_expect(403, clerk=200, salesperson=ONLY_OWN)),
    Case(
        "exception_create", method="POST", label="on the variant's order", variants=OWNERSHIP,
        query=lambda c: {"order": _order(c)},
        body=lambda c: {"order": _order(c), "amount": "500.00", "reason": "急用", "expires_on": _expires()},
        expect=page_expect(403, clerk=EXCEPTIONS, salesperson=per_variant(own=EXCEPTIONS, team=404, other=404)),
    ),
    Case("exception_detail", variants=OWNERSHIP, args=lambda c: {"pk": _exception(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("exception_approve", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _exception(c)},
         body={"note": "同意"},
         expect=page_expect(403, general_manager=EXCEPTIONS,
                            sales_manager=per_variant(own=EXCEPTIONS, team=EXCEPTIONS, other=404))),
    Case("exception_reject", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _exception(c)},
         body={"note": "不同意"},
         expect=page_expect(403, general_manager=EXCEPTIONS,
                            sales_manager=per_variant(own=EXCEPTIONS, team=EXCEPTIONS, other=404))),
    # --- API ---
    Case(
        "POST /api/v1/payments", variants=OWNERSHIP,
        body=lambda c: {"customer_id": _customer(c), "amount": "100.00", "received_on": "2026-11-20",
                        "method": "bank_transfer"},
        expect=api_expect(403, clerk=201, finance=201, salesperson=per_variant(own=201, team=404, other=404)),
    ),
    Case("GET /api/v1/payments", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/payments/{payment_id}", variants=OWNERSHIP, args=lambda c: {"payment_id": _pending(c)},
         expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case("POST /api/v1/payments/{payment_id}/confirm", variants=OWNERSHIP, args=lambda c: {"payment_id": _pending(c)},
         expect=api_expect(403, finance=200)),
    Case("POST /api/v1/payments/{payment_id}/reject", variants=OWNERSHIP, args=lambda c: {"payment_id": _pending(c)},
         body={"reason": "未到账"}, expect=api_expect(403, finance=200)),
    Case(
        "POST /api/v1/payments/{payment_id}/allocate", variants=OWNERSHIP,
        args=lambda c: {"payment_id": _confirmed(c)},
        body=lambda c: {"allocations": [{"order_id": _order(c), "amount": "1000.00"}]},
        expect=api_expect(403, finance=200),
    ),
    Case(
        "POST /api/v1/orders/{order_id}/exceptions", variants=OWNERSHIP, args=lambda c: {"order_id": _order(c)},
        body=lambda c: {"amount": "500.00", "reason": "急用", "expires_on": _expires()},
        expect=api_expect(403, clerk=201, salesperson=per_variant(own=201, team=404, other=404)),
    ),
    Case("GET /api/v1/exceptions", expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "POST /api/v1/exceptions/{exception_id}/approve", variants=OWNERSHIP,
        args=lambda c: {"exception_id": _exception(c)}, body={"note": "同意"},
        expect=api_expect(403, general_manager=200, sales_manager=per_variant(own=200, team=200, other=404)),
    ),
    Case(
        "POST /api/v1/exceptions/{exception_id}/reject", variants=OWNERSHIP,
        args=lambda c: {"exception_id": _exception(c)}, body={"note": "不同意"},
        expect=api_expect(403, general_manager=200, sales_manager=per_variant(own=200, team=200, other=404)),
    ),
]
