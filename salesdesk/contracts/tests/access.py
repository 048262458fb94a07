"""Access-matrix rows of contracts: pages and API.

Objects per ownership variant: a customer of the variant's owner, a draft contract and an active
one (with an instalment) of that customer. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import LOGIN, OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from datetime import date
    from decimal import Decimal

    from salesdesk.catalog.tests.factories import ProductFactory
    from salesdesk.contracts import services
    from salesdesk.customers.tests.factories import CustomerFactory

    clerk = world.user("clerk")
    product = world.add("contract_product", ProductFactory(sku="ACCESS-HM46"))
    dates = {"signed_on": date(2026, 1, 5), "starts_on": date(2026, 1, 5), "ends_on": date(2026, 12, 31)}
    for variant in OWNERSHIP:
        owner = world.owner(variant)
        customer = world.add("contract_customer", CustomerFactory(salesperson=owner), variant=variant)
        lines = [services.LineInput(product, Decimal(10), Decimal("1130.00"))]
        draft = services.create_contract(actor=clerk, customer=customer, salesperson=owner, data=dates, lines=lines)
        world.add("contract_draft", draft, variant=variant)
        active = services.create_contract(
            actor=clerk, customer=customer, salesperson=owner, data=dates, lines=lines,
            instalments=[services.InstalmentInput(date(2026, 3, 1), Decimal("11300.00"))],
        )
        world.add("contract_active", services.activate_contract(actor=clerk, contract=active), variant=variant)


def _draft(ctx: Ctx) -> int:
    return ctx.world.get("contract_draft", ctx.variant).pk


def _active(ctx: Ctx) -> int:
    return ctx.world.get("contract_active", ctx.variant).pk


def _customer(ctx: Ctx):
    return ctx.world.get("contract_customer", ctx.variant)


def _contract_owner(ctx: Ctx) -> dict:
    from django.contrib.contenttypes.models import ContentType

    from salesdesk.contracts.models import Contract

    return {"content_type_id": ContentType.objects.get_for_model(Contract).pk, "object_id": _active(ctx)}


def _scan_body(ctx: Ctx) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("合同扫描件.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
                                       "application/pdf"),
            "next": f"/contracts/{_active(ctx)}/"}


def _new_contract(ctx: Ctx) -> dict:
    return {"customer_id": _customer(ctx).pk, "salesperson_id": ctx.owner.pk, "signed_on": "2026-02-01",
            "starts_on": "2026-02-01", "ends_on": "2026-12-31",
            "lines": [{"product_id": ctx.world.get("contract_product").pk, "quantity": "2", "unit_price": "1130.00"}],
            "instalments": [{"due_on": "2026-03-01", "amount": "2260.00"}]}


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)  # no contracts at all
READERS = 200  # clerk, salesperson, managers, GM, finance (rows narrowed by visibility)
SEES = dict(salesperson=per_variant(own=200, team=404, other=404),
            sales_manager=per_variant(own=200, team=200, other=404))
EXPORTERS = dict(clerk=200, sales_manager=200, general_manager=200, finance=200)
WRITERS = dict(clerk=200, salesperson=200, sales_manager=200)


def writes(ok) -> dict:
    """Writers get ``ok`` on what they may see; GM and finance read but may not write (403)."""
    return dict(clerk=ok, salesperson=per_variant(own=ok, team=404, other=404),
                sales_manager=per_variant(own=ok, team=ok, other=404))


TO_CONTRACTS = Redirect("/contracts/")

CASES: list[Case] = [
    # --- pages ---
    Case("contract_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("contract_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("contract_list", label="filtered", query={"status": "active", "q": "HT", "signed_after": "2026-01-01"},
         expect=page_expect(READERS, **OUTSIDERS)),
    Case("contract_create", expect=page_expect(403, **WRITERS)),
    Case("contract_create", method="POST", label="empty form", body={}, expect=page_expect(403, **WRITERS)),
    Case("contract_create", label="for the variant's customer", variants=OWNERSHIP,
         query=lambda c: {"customer": _customer(c).pk}, expect=page_expect(403, **WRITERS)),
    Case("contract_summary", expect=page_expect(READERS, **OUTSIDERS)),
    Case("contract_summary", label="by product, a quarter", query={"period": "quarter", "group_by": "product",
                                                                  "date": "2026-02-01"},
         expect=page_expect(READERS, **OUTSIDERS)),
    Case("contract_summary_xlsx", query={"group_by": "customer"}, expect=page_expect(403, **EXPORTERS)),
    Case("contract_summary_pdf", query={"date": "2026-01-10"}, expect=page_expect(403, **EXPORTERS)),
    Case("contract_alerts", expect=page_expect(READERS, **OUTSIDERS)),
    Case("contract_customer_options", query={"customer": "测试"}, expect=page_expect(403, **WRITERS)),
    Case("contract_product_options", query={"lines-0-sku": "ACCESS"}, expect=page_expect(403, **WRITERS)),
    Case("contract_detail", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("contract_detail", label="fulfilment tab", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         query={"tab": "panel-fulfilment"}, expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("contract_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case("contract_edit", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)}, expect=page_expect(403, **writes(200))),
    Case("contract_edit", label="active contract", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(403, **writes(TO_CONTRACTS))),
    Case("contract_activate", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)},
         expect=page_expect(403, **writes(TO_CONTRACTS))),
    Case("contract_activate", variants=OWNERSHIP, args=lambda c: {"pk": _draft(c)},
         expect=page_expect(405, anonymous=LOGIN)),
    Case("contract_terminate", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         body={"reason": "客户停产"}, expect=page_expect(403, **writes(TO_CONTRACTS))),
    Case("contract_terminate", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(405, anonymous=LOGIN)),
    Case("contract_complete", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(403, **writes(TO_CONTRACTS))),
    Case("contract_complete", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(405, anonymous=LOGIN)),
    Case("contract_renew", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(403, **writes(TO_CONTRACTS))),
    Case("contract_renew", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(405, anonymous=LOGIN)),
    Case("contract_file", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         body={"archive_no": "GD-2026-001", "paper_location": "档案柜A"}, expect=page_expect(403, **writes(TO_CONTRACTS))),
    Case("contract_file", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(405, anonymous=LOGIN)),
    Case("contract_fulfilment_xlsx", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("contract_fulfilment_pdf", variants=OWNERSHIP, args=lambda c: {"pk": _active(c)},
         expect=page_expect(READERS, **OUTSIDERS, **SEES)),
    Case("attachment_upload", method="POST", label="signed contract scan", variants=OWNERSHIP,
         args=_contract_owner, body=_scan_body,
         # whoever may edit the contract attaches its scan; everyone else is told it does not exist
         expect=page_expect(404, **writes(TO_CONTRACTS))),
    # --- API ---
    Case("GET /api/v1/contracts", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/contracts", label="by customer", variants=OWNERSHIP,
         query=lambda c: {"customer_id": _customer(c).pk, "status": "active"},
         expect=api_expect(READERS, **OUTSIDERS)),
    Case("POST /api/v1/contracts", variants=OWNERSHIP, body=_new_contract,
         expect=api_expect(403, **writes(201))),
    Case("GET /api/v1/contracts/summary", query={"period": "quarter", "date": "2026-01-10", "group_by": "product"},
         expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/contracts/alerts", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/contracts/{contract_id}", variants=OWNERSHIP, args=lambda c: {"contract_id": _active(c)},
         expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case("GET /api/v1/contracts/{contract_id}", label="unknown id", args={"contract_id": 2**31},
         expect=api_expect(404, **OUTSIDERS)),
    Case("PATCH /api/v1/contracts/{contract_id}", variants=OWNERSHIP, args=lambda c: {"contract_id": _draft(c)},
         body={"payment_terms": "预付30%"}, expect=api_expect(403, **writes(200))),
    Case("PATCH /api/v1/contracts/{contract_id}", label="terms of an active contract", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _active(c)}, body={"payment_terms": "预付30%"},
         expect=api_expect(403, **writes(409))),
    Case("POST /api/v1/contracts/{contract_id}/activate", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _draft(c)}, expect=api_expect(403, **writes(200))),
    Case("POST /api/v1/contracts/{contract_id}/terminate", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _active(c)}, body={"reason": "客户停产"}, expect=api_expect(403, **writes(200))),
    Case("POST /api/v1/contracts/{contract_id}/complete", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _active(c)}, body={}, expect=api_expect(403, **writes(200))),
    Case("POST /api/v1/contracts/{contract_id}/renew", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _active(c)}, body={}, expect=api_expect(403, **writes(201))),
    Case("GET /api/v1/contracts/{contract_id}/history", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _active(c)}, expect=api_expect(READERS, **OUTSIDERS, **SEES)),
    Case("GET /api/v1/contracts/{contract_id}/fulfilment", variants=OWNERSHIP,
         args=lambda c: {"contract_id": _active(c)}, expect=api_expect(READERS, **OUTSIDERS, **SEES)),
]
