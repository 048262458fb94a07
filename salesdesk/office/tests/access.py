"""Access-matrix rows of office: the correspondence register and circulars, pages and API.

Objects per ownership variant: a customer of the variant's owner, an open register item and a
handled (``done``) one about it, and a circular the clerk sent to it. See
``salesdesk/core/testing/access.py`` for how cases are written and run."""

from __future__ import annotations

from salesdesk.core.testing.access import LOGIN, OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from salesdesk.customers.tests.factories import ContactFactory, CustomerFactory
    from salesdesk.office import services

    clerk = world.user("clerk")
    for variant in OWNERSHIP:
        customer = CustomerFactory(salesperson=world.owner(variant))
        ContactFactory(customer=customer, email=f"{variant}@buyer.example", is_primary=True)
        world.add("office_customer", customer, variant=variant)
        item = services.register_correspondence(actor=clerk, direction="in", channel="letter", customer=customer,
                                                subject=f"来函（{variant}）")
        world.add("office_item", item, variant=variant)
        done = services.register_correspondence(actor=clerk, direction="out", channel="letter", customer=customer,
                                                subject=f"去函（{variant}）")
        world.add("office_done_item", services.complete_correspondence(actor=clerk, item=done, result="已发出"),
                  variant=variant)
        sent = services.send_circular(actor=clerk, kind="letter", subject=f"业务函（{variant}）", body="正文",
                                      customers=[customer])
        world.add("office_circular", sent.circular, variant=variant)


def _customer(ctx: Ctx):
    return ctx.world.get("office_customer", ctx.variant)


def _item(ctx: Ctx) -> int:
    return ctx.world.get("office_item", ctx.variant).pk


def _done(ctx: Ctx) -> int:
    return ctx.world.get("office_done_item", ctx.variant).pk


def _circular(ctx: Ctx) -> int:
    return ctx.world.get("office_circular", ctx.variant).pk


def _item_owner(ctx: Ctx) -> dict:
    from django.contrib.contenttypes.models import ContentType

    from salesdesk.office.models import Correspondence

    return {"content_type_id": ContentType.objects.get_for_model(Correspondence).pk, "object_id": _item(ctx)}


def _upload_body(ctx: Ctx) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("来函.txt", "来函扫描件".encode(), "text/plain"),
            "next": f"/office/correspondence/{_item(ctx)}/"}


def _stored_iff_redirected(ctx: Ctx, response) -> None:
    from salesdesk.core.models import Attachment

    stored = Attachment.objects.filter(object_id=_item(ctx), content_type_id=_item_owner(ctx)["content_type_id"]).count()
    accepted = response.status_code == 302 and response["Location"].startswith(REGISTER_LIST)
    assert stored == (1 if accepted else 0), f"{stored} attachments stored"


OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)  # no role in the register
READERS = 200  # clerk, salesperson, managers, GM, finance (rows narrowed by visibility)
# who sees an object of sales1 / sales3 / sales2
SEES = dict(
    salesperson=per_variant(own=200, team=404, other=404),
    sales_manager=per_variant(own=200, team=200, other=404),
)
ONLY_OWN = per_variant(own=200, team=404, other=404)
TEAM = per_variant(own=200, team=200, other=404)
REGISTER_LIST = "/office/correspondence/"
CIRCULAR_LIST = "/office/circulars/"

CASES: list[Case] = [
    # --- register pages ---
    Case("correspondence_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("correspondence_list", label="Excel export", query={"export": "xlsx"},
         expect=page_expect(403, clerk=200, sales_manager=200, general_manager=200, finance=200)),
    Case("correspondence_create", expect=page_expect(403, clerk=200, salesperson=200)),
    Case(
        "correspondence_create", method="POST", label="about the variant's customer", variants=OWNERSHIP,
        body=lambda c: {"direction": "in", "channel": "call", "received_on": "2026-03-02",
                        "customer": _customer(c).pk, "subject": "来电"},
        # a customer the salesperson may not see is not a valid choice: the form comes back
        expect=page_expect(403, clerk=Redirect(REGISTER_LIST),
                           salesperson=per_variant(own=Redirect(REGISTER_LIST), team=200, other=200)),
    ),
    Case("correspondence_customer_options", query={"customer_q": "测试"},
         expect=page_expect(403, clerk=200, salesperson=200)),
    Case(
        "correspondence_detail", variants=OWNERSHIP, args=lambda c: {"pk": _item(c)},
        expect=page_expect(READERS, **OUTSIDERS, **SEES),
    ),
    Case("correspondence_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case(
        "correspondence_edit", variants=OWNERSHIP, args=lambda c: {"pk": _item(c)},
        expect=page_expect(403, clerk=200, salesperson=ONLY_OWN),
    ),
    Case(
        "correspondence_route", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _item(c)},
        body=lambda c: {"routed_to": c.world.user("gm").pk, "deadline": "2026-12-31"},
        expect=page_expect(403, clerk=Redirect(REGISTER_LIST),
                           salesperson=per_variant(own=Redirect(REGISTER_LIST), team=404, other=404)),
    ),
    Case(
        "correspondence_complete", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _item(c)},
        body={"result": "已处理"},
        # managers, the GM and finance read the item but handle it only when it is routed to them
        expect=page_expect(403, **OUTSIDERS, clerk=Redirect(REGISTER_LIST),
                           salesperson=per_variant(own=Redirect(REGISTER_LIST), team=404, other=404),
                           sales_manager=per_variant(own=403, team=403, other=404)),
    ),
    Case(
        "correspondence_file", method="POST", variants=OWNERSHIP, args=lambda c: {"pk": _done(c)},
        body={"archive_no": "2026-归-001"},
        expect=page_expect(403, clerk=Redirect(REGISTER_LIST),
                           salesperson=per_variant(own=Redirect(REGISTER_LIST), team=404, other=404)),
    ),
    Case("correspondence_file", label="GET", variants=OWNERSHIP, args=lambda c: {"pk": _done(c)},
         expect=page_expect(405, anonymous=LOGIN)),
    Case(
        "attachment_upload", method="POST", label="register item", variants=OWNERSHIP, args=_item_owner,
        body=_upload_body,
        # who may edit the item or handles it attaches; everyone else is told it does not exist
        expect=page_expect(404, clerk=Redirect(REGISTER_LIST),
                           salesperson=per_variant(own=Redirect(REGISTER_LIST), team=404, other=404)),
        check=_stored_iff_redirected,
    ),
    # --- circular pages ---
    Case("circular_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("circular_create", expect=page_expect(403, clerk=200, salesperson=200, sales_manager=200,
                                               general_manager=200)),
    Case(
        "circular_create", method="POST", label="to the variant's customer", variants=OWNERSHIP,
        body=lambda c: {"kind": "letter", "subject": "业务函", "body": "正文", "customers": [_customer(c).pk]},
        expect=page_expect(403, clerk=Redirect(CIRCULAR_LIST), general_manager=Redirect(CIRCULAR_LIST),
                           salesperson=per_variant(own=Redirect(CIRCULAR_LIST), team=200, other=200),
                           sales_manager=per_variant(own=Redirect(CIRCULAR_LIST), team=Redirect(CIRCULAR_LIST),
                                                     other=200)),
    ),
    Case("circular_preview", query={"level": "A"}, expect=page_expect(403, clerk=200, salesperson=200,
                                                                      sales_manager=200, general_manager=200)),
    Case(
        "circular_detail", variants=OWNERSHIP, args=lambda c: {"pk": _circular(c)},
        expect=page_expect(READERS, **OUTSIDERS, **SEES),
    ),
    Case(
        "circular_print", variants=OWNERSHIP, args=lambda c: {"pk": _circular(c)},
        expect=page_expect(READERS, **OUTSIDERS, **SEES),
    ),
    # --- register API ---
    Case("GET /api/v1/correspondence", expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "GET /api/v1/correspondence", label="by customer", variants=OWNERSHIP,
        query=lambda c: {"customer_id": _customer(c).pk},
        expect=api_expect(READERS, **OUTSIDERS, **SEES),
    ),
    Case(
        "POST /api/v1/correspondence", variants=OWNERSHIP,
        body=lambda c: {"direction": "in", "channel": "call", "customer_id": _customer(c).pk, "subject": "来电"},
        expect=api_expect(403, clerk=201, salesperson=per_variant(own=201, team=404, other=404)),
    ),
    Case(
        "GET /api/v1/correspondence/{item_id}", variants=OWNERSHIP, args=lambda c: {"item_id": _item(c)},
        expect=api_expect(READERS, **OUTSIDERS, **SEES),
    ),
    Case(
        "GET /api/v1/correspondence/{item_id}/history", variants=OWNERSHIP, args=lambda c: {"item_id": _item(c)},
        expect=api_expect(READERS, **OUTSIDERS, **SEES),
    ),
    Case(
        "PATCH /api/v1/correspondence/{item_id}", variants=OWNERSHIP, args=lambda c: {"item_id": _item(c)},
        body={"subject": "更正标题"},
        expect=api_expect(403, clerk=200, salesperson=ONLY_OWN),
    ),
    Case(
        "POST /api/v1/correspondence/{item_id}/complete", variants=OWNERSHIP, args=lambda c: {"item_id": _item(c)},
        body={"result": "已处理"},
        expect=api_expect(403, clerk=200, salesperson=ONLY_OWN, sales_manager=per_variant(own=403, team=403, other=404)),
    ),
    Case(
        "POST /api/v1/correspondence/{item_id}/file", variants=OWNERSHIP, args=lambda c: {"item_id": _done(c)},
        body={"archive_no": "2026-归-001"},
        expect=api_expect(403, clerk=200, salesperson=ONLY_OWN),
    ),
    Case(
        "POST /api/v1/correspondence/{item_id}/file", label="open item", variants=OWNERSHIP,
        args=lambda c: {"item_id": _item(c)}, body={"archive_no": "2026-归-001"},
        expect=api_expect(403, clerk=409, salesperson=per_variant(own=409, team=404, other=404)),
    ),
    # --- circulars API ---
    Case("GET /api/v1/circulars", expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "POST /api/v1/circulars", variants=OWNERSHIP,
        body=lambda c: {"kind": "letter", "subject": "业务函", "body": "正文", "customer_ids": [_customer(c).pk]},
        expect=api_expect(403, clerk=201, general_manager=201, salesperson=per_variant(own=201, team=404, other=404),
                          sales_manager=per_variant(own=201, team=201, other=404)),
    ),
    Case(
        "GET /api/v1/circulars/{circular_id}", variants=OWNERSHIP, args=lambda c: {"circular_id": _circular(c)},
        expect=api_expect(READERS, **OUTSIDERS, **SEES),
    ),
]
