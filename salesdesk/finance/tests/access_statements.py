"""Access-matrix rows of customer statements (对账单), pages and API.

Objects per ownership variant: a customer of the variant's owner with a shipment and a payment in
October 2026, a draft statement of that month, and a sent one with the customer's stamped scan
already uploaded (so confirming needs no file). See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from datetime import date

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant

OCT1, OCT31 = date(2026, 10, 1), date(2026, 10, 31)


def populate(world) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from salesdesk.core.attachments import attach
    from salesdesk.finance import statements

    from .factories import PNG
    from .statement_factories import history_customer, pay, ship

    people = world.personas
    for variant in OWNERSHIP:
        cust = history_customer(people, world.owner(variant).username)
        ship(cust, "8000.00", date(2026, 10, 9))
        pay(people, cust, "3000.00", date(2026, 10, 19))
        draft = statements.issue_statement(actor=people["clerk"], customer=cust, start=OCT1, end=OCT31)
        sent = statements.issue_statement(actor=people["clerk"], customer=cust, start=date(2026, 10, 2), end=OCT31)
        sent = statements.send_statement(actor=people["clerk"], statement=sent)
        attach(actor=people["clerk"], owner=sent, uploaded_file=SimpleUploadedFile("回执.png", PNG, "image/png"))
        world.add("statement_customer", cust, variant=variant)
        world.add("statement_draft", draft, variant=variant)
        world.add("statement_sent", sent, variant=variant)


def _customer(ctx: Ctx) -> int:
    return ctx.world.get("statement_customer", ctx.variant).pk


def _draft(ctx: Ctx) -> int:
    return ctx.world.get("statement_draft", ctx.variant).pk


def _sent(ctx: Ctx) -> int:
    return ctx.world.get("statement_sent", ctx.variant).pk


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
STATEMENTS = Redirect("/finance/statements/")
PERIOD = {"start": "2026-10-01", "end": "2026-10-31"}

CASES: list[Case] = [
    # --- pages ---
    Case("statement_list", expect=page_expect(200, **OUTSIDERS)),
    Case("statement_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, general_manager=200, finance=200)),
    Case("statement_issue", expect=page_expect(403, clerk=200, finance=200)),
    Case("statement_issue", label="preview", variants=OWNERSHIP, query=lambda c: {"customer": _customer(c), **PERIOD},
         expect=page_expect(403, clerk=200, finance=200)),
    Case("statement_issue", method="POST", variants=OWNERSHIP, body=lambda c: {"customer": _customer(c), **PERIOD},
         expect=page_expect(403, clerk=STATEMENTS, finance=STATEMENTS)),
    Case("statement_detail", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)},
         expect=page_expect(200, **OUTSIDERS, **SEES)),
    Case("statement_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case("statement_pdf", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)},
         expect=page_expect(200, **OUTSIDERS, **SEES)),
    Case("statement_xlsx", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)},
         expect=page_expect(200, **OUTSIDERS, **SEES)),
    Case("statement_send", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)},
         body={"to": "duizhang@example.cn"}, expect=page_expect(403, clerk=STATEMENTS, finance=STATEMENTS)),
    Case("statement_customer_confirm", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _sent(c)},
         expect=page_expect(403, clerk=STATEMENTS, finance=STATEMENTS)),
    Case("statement_dispute", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _sent(c)},
         body={"differences": "回款金额不符"}, expect=page_expect(403, clerk=STATEMENTS, finance=STATEMENTS)),
    # --- API ---
    Case("GET /api/v1/customers/{customer_id}/statement", variants=OWNERSHIP,
         args=lambda c: {"customer_id": _customer(c)}, query=PERIOD, expect=api_expect(200, **OUTSIDERS, **SEES)),
    Case("POST /api/v1/statements", variants=OWNERSHIP, body=lambda c: {"customer_id": _customer(c), **PERIOD},
         expect=api_expect(403, clerk=201, finance=201)),
    Case("GET /api/v1/statements", expect=api_expect(200, **OUTSIDERS)),
    Case("GET /api/v1/statements/{statement_id}", variants=OWNERSHIP, args=lambda c: {"statement_id": _draft(c)},
         expect=api_expect(200, **OUTSIDERS, **SEES)),
    Case("POST /api/v1/statements/{statement_id}/send", variants=OWNERSHIP,
         args=lambda c: {"statement_id": _draft(c)}, body={"to": "duizhang@example.cn"},
         expect=api_expect(403, clerk=200, finance=200)),
    Case("POST /api/v1/statements/{statement_id}/confirm", variants=OWNERSHIP,
         args=lambda c: {"statement_id": _sent(c)}, expect=api_expect(403, clerk=200, finance=200)),
    Case("POST /api/v1/statements/{statement_id}/dispute", variants=OWNERSHIP,
         args=lambda c: {"statement_id": _sent(c)}, body={"differences": "回款金额不符"},
         expect=api_expect(403, clerk=200, finance=200)),
]
