"""Access-matrix rows of finance's adjustments: bad-debt write-offs and opening balances, pages and API.

Objects per ownership variant: a customer of the variant's owner with an order and a receivable of
10000.00 on it, a write-off of 1000.00 the clerk requested (waiting for the GM) and one the GM
approved (waiting for finance). API.md: "write off bad debt — general_manager approves, finance
records"; the clerk and finance request. Opening balances: the clerk and finance prepare, finance
commits; clerk, GM and finance read. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from salesdesk.finance import adjustments
    from salesdesk.finance.models import Receivable

    from .factories import customer, order

    people = world.personas
    shipped = timezone.localdate() - timedelta(days=40)
    for i, variant in enumerate(OWNERSHIP, start=1):
        owner = world.owner(variant).username
        cust = customer(people, owner, settlement="credit", credit_days=30, credit_limit=Decimal("100000"))
        o = order(people, cust, "10000.00", owner=owner)
        rec = Receivable.objects.create(
            source_kind="shipment", source_id=900_000 + i, number=f"FH-ACC-ADJ-{variant}", customer=cust, order=o,
            salesperson=people[owner], amount=Decimal("10000.00"), shipped_on=shipped, arises_on=shipped,
            due_on=shipped + timedelta(days=30), period=shipped.strftime("%Y-%m"))

        def ask(rec=rec):
            return adjustments.request_write_off(actor=people["clerk"], data=adjustments.WriteOffRequest(
                receivable=rec, amount=Decimal("1000.00"), reason="客户破产"))

        world.add("adjust_receivable", rec, variant=variant)
        world.add("adjust_requested", ask(), variant=variant)
        world.add("adjust_approved", adjustments.decide_write_off(actor=people["gm"], write_off=ask(), approve=True),
                  variant=variant)


def _receivable(c: Ctx) -> int:
    return c.world.get("adjust_receivable", c.variant).pk


def _requested(c: Ctx) -> int:
    return c.world.get("adjust_requested", c.variant).pk


def _approved(c: Ctx) -> int:
    return c.world.get("adjust_approved", c.variant).pk


def _opening_file(c: Ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("期初.csv", "客户编号或名称,类型,单据号,金额,原始日期,到期日\n没有,应收,X-1,1.00,2026-01-01,\n"
                              .encode())


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
WRITE_OFFS = Redirect("/finance/adjust/write-offs/")
OPENING = Redirect("/finance/adjust/opening/")
OPENING_READERS = dict(clerk=200, general_manager=200, finance=200)

CASES: list[Case] = [
    # --- write-offs: pages ---
    Case("writeoff_list", expect=page_expect(200, **OUTSIDERS)),
    Case("writeoff_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, general_manager=200, finance=200)),
    Case("writeoff_detail", variants=OWNERSHIP, args=lambda c: {"pk": _requested(c)},
         expect=page_expect(200, **OUTSIDERS, **SEES)),
    Case("writeoff_create", label="pick a receivable", expect=page_expect(403, clerk=200, finance=200)),
    Case("writeoff_create", variants=OWNERSHIP, query=lambda c: {"receivable": _receivable(c)},
         expect=page_expect(403, clerk=200, finance=200)),
    Case("writeoff_create", method="POST", label="on the variant's receivable", variants=OWNERSHIP,
         body=lambda c: {"receivable": _receivable(c), "amount": "1.00", "reason": "坏账"},
         expect=page_expect(403, clerk=WRITE_OFFS, finance=WRITE_OFFS)),
    Case("writeoff_approve", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _requested(c)},
         body={"note": "同意"}, expect=page_expect(403, general_manager=WRITE_OFFS)),
    Case("writeoff_reject", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _requested(c)},
         body={"note": "继续催收"}, expect=page_expect(403, general_manager=WRITE_OFFS)),
    Case("writeoff_record", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _approved(c)},
         expect=page_expect(403, finance=WRITE_OFFS)),
    # --- opening balances: pages ---
    Case("opening_overview", expect=page_expect(403, **OPENING_READERS)),
    Case("opening_list", expect=page_expect(403, **OPENING_READERS)),
    Case("opening_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **OPENING_READERS)),
    Case("opening_template", expect=page_expect(403, clerk=200, finance=200)),
    Case("opening_upload", expect=page_expect(403, clerk=OPENING, finance=OPENING)),
    Case("opening_upload", method="POST", label="a file with a row error",
         body=lambda c: {"file": _opening_file(c), "as_of": "2026-10-31"},
         expect=page_expect(403, clerk=422, finance=422)),
    Case("opening_commit", method="POST", args={"token": "x" * 32}, expect=page_expect(403, finance=OPENING)),
    # --- API ---
    Case("POST /api/v1/write-offs", variants=OWNERSHIP,
         body=lambda c: {"receivable_id": _receivable(c), "amount": "1.00", "reason": "坏账"},
         expect=api_expect(403, clerk=201, finance=201)),
    Case("GET /api/v1/write-offs", expect=api_expect(200, **OUTSIDERS)),
    Case("GET /api/v1/write-offs/{write_off_id}", variants=OWNERSHIP, args=lambda c: {"write_off_id": _requested(c)},
         expect=api_expect(200, **OUTSIDERS, **SEES)),
    Case("POST /api/v1/write-offs/{write_off_id}/approve", variants=OWNERSHIP,
         args=lambda c: {"write_off_id": _requested(c)}, expect=api_expect(403, general_manager=200)),
    Case("POST /api/v1/write-offs/{write_off_id}/reject", variants=OWNERSHIP,
         args=lambda c: {"write_off_id": _requested(c)}, expect=api_expect(403, general_manager=200)),
    Case("POST /api/v1/write-offs/{write_off_id}/record", variants=OWNERSHIP,
         args=lambda c: {"write_off_id": _approved(c)}, expect=api_expect(403, finance=200)),
    Case("GET /api/v1/opening-balances", expect=api_expect(403, **OPENING_READERS)),
    Case("GET /api/v1/opening-balances/tie-out", expect=api_expect(403, **OPENING_READERS)),
    Case("POST /api/v1/opening-balances/import", label="without a file",
         expect=api_expect(403, clerk=422, finance=422)),
]
