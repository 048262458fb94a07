"""Access-matrix rows of customers: the customer file pages, the import pages, the customer service
pages (tickets, interactions) and their API.

Objects per ownership variant (a customer of sales1 / sales3 / sales2, API.md "What each may see"):
the customer with a primary contact and a product-used row, an open ticket and a resolved one
(both assigned to the owner), a ticket assigned to sales1, and an interaction. API.md "What each may do" is the truth for who
may create customers, edit their basics and contacts, and set credit terms, the owner or a USCC
override; the service pages and the import follow the grants of ``customers/permissions.py``.
See ``salesdesk/core/testing/access.py`` for how cases are written and run."""

from __future__ import annotations

from salesdesk.core.testing.access import LOGIN, OWNERSHIP, Case, Ctx, Redirect, api_expect, page_expect, per_variant


def populate(world) -> None:
    from salesdesk.customers import services

    from .factories import ContactFactory, CustomerFactory

    clerk = world.user("clerk")
    for variant in OWNERSHIP:
        customer = CustomerFactory(salesperson=world.owner(variant))
        world.add("customers_customer", customer, variant=variant)
        world.add("customers_contact", ContactFactory(customer=customer, is_primary=True), variant=variant)
        world.add("customers_product", services.save_product_used(
            actor=clerk, customer=customer, data={"product_name": "不锈钢板 304", "unit": "吨"}), variant=variant)
        world.add("customers_ticket", services.open_ticket(
            actor=clerk, customer=customer, data={"category": "complaint", "subject": f"到货破损（{variant}）"}),
            variant=variant)
        resolved = services.open_ticket(actor=clerk, customer=customer,
                                        data={"category": "quality", "subject": f"色差（{variant}）"})
        world.add("customers_resolved_ticket",
                  services.move_ticket(actor=clerk, ticket=resolved, to="resolved", resolution="已换货"),
                  variant=variant)
        world.add("customers_assigned_ticket", services.open_ticket(
            actor=clerk, customer=customer,
            data={"category": "enquiry", "subject": f"代为答复（{variant}）", "assignee": world.user("sales1")}),
            variant=variant)
        world.add("customers_interaction", services.log_interaction(
            actor=clerk, customer=customer, data={"kind": "call_in", "subject": f"询价（{variant}）"}), variant=variant)


def _obj(kind: str):
    return lambda c: c.world.get(kind, c.variant)


def _pk(kind: str):
    return lambda c: c.world.get(kind, c.variant).pk


def _args(kind: str, name: str = "pk"):
    return lambda c: {name: c.world.get(kind, c.variant).pk}


_customer = _obj("customers_customer")


def _contact_args(c: Ctx) -> dict:
    return {"pk": _customer(c).pk, "contact_pk": _pk("customers_contact")(c)}


def _product_args(c: Ctx) -> dict:
    return {"pk": _customer(c).pk, "row_pk": _pk("customers_product")(c)}


def _api_contact_args(c: Ctx) -> dict:
    return {"customer_id": _customer(c).pk, "contact_id": _pk("customers_contact")(c)}


# a salesperson other than the variant's owner (ownership transfers)
TRANSFER_TO = {"own": "sales3", "team": "sales1", "other": "sales1"}


def _transfer_to(c: Ctx):
    return c.world.user(TRANSFER_TO[c.variant])


NEW_NAME = "矩阵新建客户{}有限公司"
BAD_CHECK_DIGIT = "91350211M0000XUF46"  # well-formed USCC whose check digit fails (DOMAIN.md §1)


def _new_customer_form(c: Ctx, **over) -> dict:
    data = {"name": NEW_NAME.format(c.variant), "short_name": "矩阵", "industry": "批发", "region": "华北",
            "address": "北京市海淀区中关村大街1号", "level": "B", "status": "prospect", "price_level": "list",
            "settlement": "prepaid", "credit_limit": "0", "credit_days": "0", "term_anchor": "shipment",
            "salesperson": c.owner.pk, "contact_name": "李经理", "contact_phone": "13800138000"}
    data.update(over)
    return data


def _new_customer_body(c: Ctx, **over) -> dict:
    body = {"name": NEW_NAME.format(c.variant or "own"), "salesperson_id": (c.owner if c.variant else
                                                                              c.world.user("sales1")).pk,
            "settlement": "prepaid", "credit_limit": "0.00", "credit_days": 0,
            "contacts": [{"name": "李经理", "phone": "13800138000"}]}
    body.update(over)
    return body


def _accepted(response) -> bool:
    """The form was taken: a redirect onwards (not to the login page)."""
    from django.conf import settings
    from django.shortcuts import resolve_url

    return response.status_code == 302 and not response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def _created_iff_redirected(c: Ctx, response) -> None:
    from salesdesk.customers.models import Customer

    made = Customer.objects.filter(name=NEW_NAME.format(c.variant)).exists()
    assert made == _accepted(response), f"customer filed={made}"


def _edit_form(c: Ctx, **over) -> dict:
    """The edit form as the page posts it: the customer's current values with ``over`` changed."""
    from salesdesk.customers.forms import CUSTOMER_FIELDS
    from salesdesk.customers.models import Customer

    customer = Customer.objects.get(pk=_customer(c).pk)
    data = {name: "" if getattr(customer, name) is None else str(getattr(customer, name)) for name in CUSTOMER_FIELDS}
    data["salesperson"] = customer.salesperson_id
    data.update(over)
    return data


def _saved_iff_redirected(field: str, value):
    def check(c: Ctx, response) -> None:
        from salesdesk.customers.models import Customer

        saved = str(getattr(Customer.objects.get(pk=_customer(c).pk), field)) == value
        assert saved == _accepted(response), f"{field} saved={saved}"

    return check


def _contact_added_iff_redirected(c: Ctx, response) -> None:
    added = _customer(c).contacts.filter(name="赵主任").exists()
    assert added == _accepted(response), f"contact added={added}"


def _ticket_body(c: Ctx) -> dict:
    return {"subject": "发票抬头错误", "category": "billing", "severity": "high", "assignee": c.owner.pk}


# --- who gets what ------------------------------------------------------------------------------

OUTSIDERS = dict(admin=403, hr=403, warehouse=403, planner=403)  # no customers (API.md: hr sees none)
READERS = 200  # clerk, salesperson, managers, GM, finance (rows narrowed by visibility)


def sees(ok) -> dict:
    """A salesperson reaches their own customers' objects, a manager their team's; else 404."""
    return dict(salesperson=per_variant(own=ok, team=404, other=404),
                sales_manager=per_variant(own=ok, team=ok, other=404))


def editors(ok, **more) -> dict:
    """Customer basics and contacts: clerk, the owner salesperson, sales manager, GM (API.md)."""
    return dict(clerk=ok, general_manager=ok, **sees(ok), **more)


def terms_setters(ok, **more) -> dict:
    """Credit terms and the owner: finance, sales manager (their team), GM (API.md)."""
    return dict(finance=ok, general_manager=ok, sales_manager=per_variant(own=ok, team=ok, other=404), **more)


CREATORS = ("clerk", "salesperson", "sales_manager", "general_manager")
TICKET_HANDLERS = editors  # customers/permissions.py: CHANGE_TICKET on the sales side, per visibility
EXPORTERS = dict(clerk=200, sales_manager=200, general_manager=200, finance=200)
IMPORTERS = ("clerk", "sales_manager")

CUSTOMER = Redirect("/customers/")
IMPORT = Redirect("customer_import")
TICKETS = Redirect("/service/tickets/")

CASES: list[Case] = [
    # --- customer file pages ---
    Case("customer_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("customer_list", label="search", query={"q": "csk"}, expect=page_expect(READERS, **OUTSIDERS)),
    Case("customer_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("customer_create", expect=page_expect(403, **dict.fromkeys(CREATORS, 200))),
    Case(
        "customer_create", method="POST", label="for the variant's owner", variants=OWNERSHIP, body=_new_customer_form,
        # an owner outside the user's reach is not a valid choice: the form comes back
        expect=page_expect(403, clerk=CUSTOMER, general_manager=CUSTOMER,
                           salesperson=per_variant(own=CUSTOMER, team=200, other=200),
                           sales_manager=per_variant(own=CUSTOMER, team=CUSTOMER, other=200)),
        check=_created_iff_redirected,
    ),
    Case(
        "customer_create", method="POST", label="on credit", variants=("own",),
        body=lambda c: _new_customer_form(c, settlement="credit", credit_limit="100000", credit_days="30"),
        # the clerk and the salesperson get the form back with the refusal (only managers set terms)
        expect=page_expect(403, clerk=200, salesperson=200, sales_manager=CUSTOMER, general_manager=CUSTOMER),
        check=_created_iff_redirected,
    ),
    Case("customer_duplicates", query={"name": "测试客户", "uscc": ""},
         expect=page_expect(403, **dict.fromkeys(CREATORS, 200))),
    Case("customer_detail", variants=OWNERSHIP, args=_args("customers_customer"),
         expect=page_expect(READERS, **OUTSIDERS, **sees(200))),
    Case("customer_detail", label="contacts tab", variants=OWNERSHIP, args=_args("customers_customer"),
         query={"tab": "panel-contacts"}, expect=page_expect(READERS, **OUTSIDERS, **sees(200))),
    Case("customer_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404, **OUTSIDERS)),
    Case("customer_edit", variants=OWNERSHIP, args=_args("customers_customer"),
         expect=page_expect(403, **editors(200), finance=200)),
    Case(
        "customer_edit", method="POST", label="new address", variants=OWNERSHIP, args=_args("customers_customer"),
        body=lambda c: _edit_form(c, address="上海市浦东新区世纪大道100号"),
        # finance opens the form for the terms; a changed address comes back refused
        expect=page_expect(403, **editors(CUSTOMER), finance=200),
        check=_saved_iff_redirected("address", "上海市浦东新区世纪大道100号"),
    ),
    Case(
        "customer_edit", method="POST", label="credit terms", variants=OWNERSHIP, args=_args("customers_customer"),
        body=lambda c: _edit_form(c, settlement="credit", credit_limit="50000.00", credit_days="30"),
        expect=page_expect(403, **terms_setters(CUSTOMER), clerk=200,
                           salesperson=per_variant(own=200, team=404, other=404)),
        check=_saved_iff_redirected("credit_limit", "50000.00"),
    ),
    Case("customer_transfer", variants=OWNERSHIP, args=_args("customers_customer"),
         expect=page_expect(403, **terms_setters(200))),
    Case(
        "customer_transfer", method="POST", variants=OWNERSHIP, args=_args("customers_customer"),
        body=lambda c: {"to_user": _transfer_to(c).pk, "reason": "调岗"},
        expect=page_expect(403, **terms_setters(CUSTOMER)),
        check=lambda c, r: _saved_iff_redirected("salesperson_id", str(_transfer_to(c).pk))(c, r),
    ),
    # contacts and products used (the detail page's tabs)
    Case(
        "customer_contact_add", method="POST", variants=OWNERSHIP, args=_args("customers_customer"),
        body={"name": "赵主任", "role": "purchasing", "phone": "13912345678"},
        expect=page_expect(403, **editors(CUSTOMER)), check=_contact_added_iff_redirected,
    ),
    Case("customer_contact_add", args=lambda c: {"pk": c.world.get("customers_customer", "own").pk},
         expect=page_expect(403, **dict.fromkeys(CREATORS, 405))),
    Case("customer_contact_edit", variants=OWNERSHIP, args=_contact_args,
         expect=page_expect(403, **editors(CUSTOMER))),  # without htmx: back to the contacts tab
    Case(
        "customer_contact_edit", method="POST", variants=OWNERSHIP, args=_contact_args,
        body=lambda c: {f"c{_pk('customers_contact')(c)}-name": "王会计",
                        f"c{_pk('customers_contact')(c)}-phone": "010-62345678转8001"},
        expect=page_expect(403, **editors(CUSTOMER)),
    ),
    Case("customer_contact_anonymise", method="POST", variants=OWNERSHIP, args=_contact_args,
         expect=page_expect(403, **editors(CUSTOMER))),
    Case(
        "customer_product_add", method="POST", variants=OWNERSHIP, args=_args("customers_customer"),
        body={"product_name": "镀锌卷", "unit": "吨", "usual_quantity": "12.5", "period": "每月",
              "agreed_price": "15800.00"},
        expect=page_expect(403, **editors(CUSTOMER)),
    ),
    Case("customer_product_edit", variants=OWNERSHIP, args=_product_args, expect=page_expect(403, **editors(CUSTOMER))),
    Case(
        "customer_product_edit", method="POST", variants=OWNERSHIP, args=_product_args,
        body=lambda c: {f"p{_pk('customers_product')(c)}-product_name": "不锈钢板 316",
                        f"p{_pk('customers_product')(c)}-unit": "吨"},
        expect=page_expect(403, **editors(CUSTOMER)),
    ),
    # --- import pages (clerk and sales manager, customers/permissions.py IMPORT_CUSTOMER) ---
    Case("customer_import", expect=page_expect(403, **dict.fromkeys(IMPORTERS, 200))),
    Case(
        "customer_import", method="POST", label="dry run", body=lambda c: {"file": _csv("sales1"), "dry_run": "on"},
        expect=page_expect(403, **dict.fromkeys(IMPORTERS, IMPORT)),  # → the preview of the stored upload
    ),
    Case(
        "customer_import", method="POST", label="import at once", variants=OWNERSHIP,
        body=lambda c: {"file": _csv(c.owner.username)},
        # an owner outside the manager's team is a row error: the preview with the errors comes back
        expect=page_expect(403, clerk=Redirect("customer_import_result"),
                           sales_manager=per_variant(own=Redirect("customer_import_result"),
                                                     team=Redirect("customer_import_result"), other=200)),
    ),
    Case("customer_import_template", expect=page_expect(403, **dict.fromkeys(IMPORTERS, 200))),
    Case("customer_import_result", expect=page_expect(403, **dict.fromkeys(IMPORTERS, IMPORT))),  # nothing imported
    Case("customer_import_preview", args={"token": "x" * 32},  # not this session's upload
         expect=page_expect(403, **dict.fromkeys(IMPORTERS, IMPORT))),
    Case("customer_import_confirm", method="POST", args={"token": "x" * 32},
         expect=page_expect(403, **dict.fromkeys(IMPORTERS, IMPORT))),
    Case("customer_import_confirm", args={"token": "x" * 32}, expect=page_expect(403, **dict.fromkeys(IMPORTERS, 405))),
    Case("customer_import_cancel", method="POST", args={"token": "x" * 32},
         expect=page_expect(403, **dict.fromkeys(IMPORTERS, IMPORT))),
    # --- customer service pages ---
    Case("ticket_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("ticket_list", label="overdue", query={"overdue": "true"}, expect=page_expect(READERS, **OUTSIDERS)),
    Case("ticket_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("ticket_new", expect=page_expect(403, **dict.fromkeys(CREATORS, 200))),  # step one: pick the customer
    Case("ticket_new", label="for the variant's customer", variants=OWNERSHIP,
         query=lambda c: {"customer": _customer(c).pk}, expect=page_expect(403, **editors(200))),
    Case(
        "ticket_new", method="POST", label="for the variant's customer", variants=OWNERSHIP,
        query=lambda c: {"customer": _customer(c).pk}, body=_ticket_body,
        expect=page_expect(403, **editors(TICKETS)),
    ),
    Case("ticket_detail", variants=OWNERSHIP, args=_args("customers_ticket"),
         expect=page_expect(READERS, **OUTSIDERS, **sees(200))),
    Case("ticket_detail", label="history tab", variants=OWNERSHIP, args=_args("customers_ticket"),
         query={"tab": "history"}, expect=page_expect(READERS, **OUTSIDERS, **sees(200))),
    Case("ticket_edit", variants=OWNERSHIP, args=_args("customers_ticket"),
         expect=page_expect(403, **TICKET_HANDLERS(200))),
    Case("ticket_edit", method="POST", variants=OWNERSHIP, args=_args("customers_ticket"), body=_ticket_body,
         expect=page_expect(403, **TICKET_HANDLERS(TICKETS))),
    Case("ticket_note", method="POST", variants=OWNERSHIP, args=_args("customers_ticket"),
         body={"body": "已电话联系客户"}, expect=page_expect(403, **TICKET_HANDLERS(TICKETS))),
    Case("ticket_action", method="POST", label="start", variants=OWNERSHIP,
         args=lambda c: {"pk": _pk("customers_ticket")(c), "action": "start"},
         expect=page_expect(403, **TICKET_HANDLERS(TICKETS))),
    Case("ticket_action", method="POST", label="resolve", variants=OWNERSHIP,
         args=lambda c: {"pk": _pk("customers_ticket")(c), "action": "resolve"}, body={"resolution": "已补发"},
         expect=page_expect(403, **TICKET_HANDLERS(TICKETS))),
    Case("ticket_action", method="POST", label="close", variants=OWNERSHIP,
         args=lambda c: {"pk": _pk("customers_resolved_ticket")(c), "action": "close"},
         body={"confirmation": "客户电话确认满意"}, expect=page_expect(403, **TICKET_HANDLERS(TICKETS))),
    Case("ticket_action", method="POST", label="reopen", variants=OWNERSHIP,
         args=lambda c: {"pk": _pk("customers_resolved_ticket")(c), "action": "reopen"},
         expect=page_expect(403, **TICKET_HANDLERS(TICKETS))),
    Case("ticket_action", method="POST", label="unknown action",
         args=lambda c: {"pk": c.world.get("customers_ticket", "own").pk, "action": "explode"},
         expect=page_expect(403, **dict.fromkeys(CREATORS, 404))),
    Case("ticket_action", label="GET", args=lambda c: {"pk": c.world.get("customers_ticket", "own").pk,
                                                       "action": "start"},
         expect=page_expect(403, **dict.fromkeys(CREATORS, 405), anonymous=LOGIN)),
    Case("interaction_list", expect=page_expect(READERS, **OUTSIDERS)),
    Case("interaction_list", label="by customer", variants=OWNERSHIP, query=lambda c: {"customer_id": _customer(c).pk},
         expect=page_expect(READERS, **OUTSIDERS)),  # rows narrowed by visibility, the page itself answers
    Case("interaction_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("interaction_new", expect=page_expect(403, **dict.fromkeys(CREATORS, 200), finance=200)),
    Case(
        "interaction_new", method="POST", label="for the variant's customer", variants=OWNERSHIP,
        query=lambda c: {"customer": _customer(c).pk},
        body={"kind": "call_in", "occurred_at": "2026-11-20T10:00", "subject": "咨询交货期"},
        expect=page_expect(403, **editors(CUSTOMER), finance=CUSTOMER),
    ),
    Case("interaction_detail", variants=OWNERSHIP, args=_args("customers_interaction"),
         expect=page_expect(READERS, **OUTSIDERS, **sees(200))),
    # --- API: customers ---
    Case("GET /api/v1/customers", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/customers", label="filtered", query={"q": "csk", "status": "prospect"},
         expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/customers/{customer_id}", variants=OWNERSHIP, args=_args("customers_customer", "customer_id"),
         expect=api_expect(READERS, **OUTSIDERS, **sees(200))),
    Case("GET /api/v1/customers/{customer_id}", label="unknown id", args={"customer_id": 2**31},
         expect=api_expect(404, **OUTSIDERS)),
    Case("GET /api/v1/customers/{customer_id}/history", variants=OWNERSHIP,
         args=_args("customers_customer", "customer_id"), expect=api_expect(READERS, **OUTSIDERS, **sees(200))),
    Case(
        "POST /api/v1/customers", label="owned by the variant's salesperson", variants=OWNERSHIP,
        body=_new_customer_body,
        # a salesperson files customers for themselves only (owner = self): naming another → 403
        expect=api_expect(403, clerk=201, general_manager=201, sales_manager=201,
                          salesperson=per_variant(own=201, team=403, other=403)),
    ),
    Case(
        "POST /api/v1/customers", label="on credit",
        body=lambda c: _new_customer_body(c, settlement="credit", credit_limit="100000.00", credit_days=30),
        expect=api_expect(403, sales_manager=201, general_manager=201),
    ),
    Case(
        "POST /api/v1/customers", label="USCC check digit overridden",
        body=lambda c: _new_customer_body(c, uscc=BAD_CHECK_DIGIT, uscc_override=True,
                                          uscc_override_reason="营业执照原件核对无误"),
        expect=api_expect(403, sales_manager=201, general_manager=201),
    ),
    Case(
        "POST /api/v1/customers", label="existing customer (撞单)",
        body=lambda c: _new_customer_body(c, name=c.world.get("customers_customer", "other").name),
        # 409 names the owner even to those who may not see the customer
        expect=api_expect(403, clerk=409, salesperson=409, sales_manager=409, general_manager=409),
    ),
    Case(
        "PATCH /api/v1/customers/{customer_id}", label="basics", variants=OWNERSHIP,
        args=_args("customers_customer", "customer_id"), body={"address": "上海市浦东新区世纪大道100号"},
        expect=api_expect(403, **editors(200)),
    ),
    Case(
        "PATCH /api/v1/customers/{customer_id}", label="credit terms", variants=OWNERSHIP,
        args=_args("customers_customer", "customer_id"),
        body={"settlement": "credit", "credit_limit": "50000.00", "credit_days": 30},
        expect=api_expect(403, **terms_setters(200)),
    ),
    Case(
        "PATCH /api/v1/customers/{customer_id}", label="owner", variants=OWNERSHIP,
        args=_args("customers_customer", "customer_id"),
        body=lambda c: {"salesperson_id": _transfer_to(c).pk, "transfer_reason": "调岗"},
        expect=api_expect(403, **terms_setters(200)),
    ),
    Case(
        "POST /api/v1/customers/{customer_id}/contacts", variants=OWNERSHIP,
        args=_args("customers_customer", "customer_id"), body={"name": "赵主任", "phone": "13912345678"},
        expect=api_expect(403, **editors(201)),
    ),
    Case(
        "PATCH /api/v1/customers/{customer_id}/contacts/{contact_id}", variants=OWNERSHIP, args=_api_contact_args,
        body={"title": "财务经理"}, expect=api_expect(403, **editors(200)),
    ),
    Case(
        "POST /api/v1/customers/{customer_id}/contacts/{contact_id}/anonymise", variants=OWNERSHIP,
        args=_api_contact_args, expect=api_expect(403, **editors(200)),
    ),
    # --- API: interactions and tickets ---
    Case("GET /api/v1/interactions", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/interactions/{interaction_id}", variants=OWNERSHIP,
         args=_args("customers_interaction", "interaction_id"), expect=api_expect(READERS, **OUTSIDERS, **sees(200))),
    Case(
        "POST /api/v1/interactions", variants=OWNERSHIP,
        body=lambda c: {"customer_id": _customer(c).pk, "kind": "visit", "subject": "拜访采购部"},
        expect=api_expect(403, **editors(201), finance=201),
    ),
    Case("GET /api/v1/tickets", expect=api_expect(READERS, **OUTSIDERS)),
    Case("GET /api/v1/tickets", label="overdue", query={"overdue": "true", "status": "open"},
         expect=api_expect(READERS, **OUTSIDERS)),
    Case(
        "POST /api/v1/tickets", variants=OWNERSHIP,
        body=lambda c: {"customer_id": _customer(c).pk, "category": "delivery", "subject": "延迟到货"},
        expect=api_expect(403, **editors(201)),
    ),
    Case("GET /api/v1/tickets/{ticket_id}", variants=OWNERSHIP, args=_args("customers_ticket", "ticket_id"),
         expect=api_expect(READERS, **OUTSIDERS, **sees(200))),
    Case(
        "GET /api/v1/tickets/{ticket_id}", label="assigned to sales1", variants=OWNERSHIP,
        args=_args("customers_assigned_ticket", "ticket_id"),
        # the assignee sees the ticket whoever owns the customer (customers/models.py TicketQuerySet)
        expect=api_expect(READERS, **OUTSIDERS, salesperson=200,
                          sales_manager=per_variant(own=200, team=200, other=404)),
    ),
    Case("GET /api/v1/tickets/{ticket_id}/history", variants=OWNERSHIP, args=_args("customers_ticket", "ticket_id"),
         expect=api_expect(READERS, **OUTSIDERS, **sees(200))),
    Case("PATCH /api/v1/tickets/{ticket_id}", variants=OWNERSHIP, args=_args("customers_ticket", "ticket_id"),
         body={"severity": "urgent"}, expect=api_expect(403, **TICKET_HANDLERS(200))),
    Case("POST /api/v1/tickets/{ticket_id}/start", variants=OWNERSHIP, args=_args("customers_ticket", "ticket_id"),
         expect=api_expect(403, **TICKET_HANDLERS(200))),
    Case("POST /api/v1/tickets/{ticket_id}/resolve", variants=OWNERSHIP, args=_args("customers_ticket", "ticket_id"),
         body={"resolution": "已补发"}, expect=api_expect(403, **TICKET_HANDLERS(200))),
    Case("POST /api/v1/tickets/{ticket_id}/close", variants=OWNERSHIP,
         args=_args("customers_resolved_ticket", "ticket_id"), body={"confirmation": "客户确认"},
         expect=api_expect(403, **TICKET_HANDLERS(200))),
    Case("POST /api/v1/tickets/{ticket_id}/reopen", variants=OWNERSHIP,
         args=_args("customers_resolved_ticket", "ticket_id"), expect=api_expect(403, **TICKET_HANDLERS(200))),
    Case("POST /api/v1/tickets/{ticket_id}/reopen", label="open ticket", variants=OWNERSHIP,
         args=_args("customers_ticket", "ticket_id"), expect=api_expect(403, **TICKET_HANDLERS(409))),
    Case("POST /api/v1/tickets/{ticket_id}/notes", variants=OWNERSHIP, args=_args("customers_ticket", "ticket_id"),
         body={"body": "已电话联系客户"}, expect=api_expect(403, **TICKET_HANDLERS(201))),
]


def _csv(owner: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = f"客户名称,负责业务员,联系人,联系电话\n矩阵导入客户有限公司,{owner},李经理,13800138000\n"
    return SimpleUploadedFile("客户.csv", text.encode(), "text/csv")
