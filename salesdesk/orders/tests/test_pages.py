"""The order pages: the list (pinned queries, filters, export, no prices for the warehouse), the
detail page (pinned queries, 大写, actions, price approval, coordination), the order form with
its grid, credit split and paste box, the prices the grid prefills, the PDF, the coordination
pages and the customer's orders tab."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from salesdesk.core.models import ExportLog, Notification
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.models import Fact
from salesdesk.orders import services
from salesdesk.orders.forms import parse_pasted_lines
from salesdesk.orders.models import CoordinationRequest, Order

from .factories import level_price, make_contract, make_order, make_product, order_input

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def _worker_alive():
    from salesdesk.core.jobs import beat

    beat()


# --- list -------------------------------------------------------------------------------------

# Session, user, user's groups, user and group permissions, heartbeat, unread notifications,
# salesperson choices, row count, rows (customer, contract and salesperson joined in).
ORDER_LIST_QUERIES = 10


def test_order_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    _worker_alive()
    client = as_user("clerk")
    for _ in range(3):
        make_order(personas, submit=True)
    client.get("/orders/")
    with query_budget(ORDER_LIST_QUERIES):
        response = client.get("/orders/")
    assert response.content.decode().count(">SO2026") == 3

    for owner in ("sales2", "sales3") * 15:
        make_order(personas, owner=owner)
    with query_budget(ORDER_LIST_QUERIES):
        response = client.get("/orders/")
    assert response.content.decode().count(">SO2026") == 25  # one page


def test_order_list_filters_by_status_as_htmx_partial(as_user, personas):
    submitted = make_order(personas, submit=True)
    draft = make_order(personas)

    html = as_user("clerk").get("/orders/?status=submitted", **HX).content.decode()

    assert submitted.number in html and draft.number not in html
    assert "<nav" not in html


def test_order_list_shows_a_customers_orders_from_its_link(as_user, personas):
    mine = make_order(personas)
    other = make_order(personas)

    html = as_user("clerk").get(f"/orders/?customer={mine.customer_id}").content.decode()

    assert mine.number in html and other.number not in html


def test_warehouse_list_has_no_amounts(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="1234.56"), "1", None)], submit=True)

    html = as_user("warehouse").get("/orders/").content.decode()

    assert order.number in html
    assert "1,234.56" not in html and "金额(含税)" not in html


def test_export_is_logged_and_names_the_exporter(as_user, personas):
    make_order(personas, lines=[(make_product(price="10.00"), "3", None)], submit=True)

    response = as_user("clerk").get("/orders/?export=xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "王丽" in sheet["A1"].value
    assert ExportLog.objects.get().rows == 1
    assert as_user("sales1").get("/orders/?export=xlsx").status_code == 403


# --- detail -----------------------------------------------------------------------------------

# Session, user, user and group permissions, groups, heartbeat, unread count; the order (customer,
# contract, salesperson, creator joined), its lines (+ products), credit shares (+ user, team),
# coordination requests (+ product, replier, creator); the attachments tab's visibility check; the
# coordination form's products. Figures of finance and logistics are left out here: each provider
# pins its own queries in its app's tests.
ORDER_DETAIL_QUERIES = 13


def test_order_detail_runs_a_fixed_number_of_queries_whatever_the_lines(as_user, personas, monkeypatch):
    from salesdesk.core import registries

    monkeypatch.setitem(registries._figures, "orders.order", {})
    _worker_alive()
    client = as_user("clerk")
    small = make_order(personas, lines=[(make_product(), "1", None)], submit=True)
    big = make_order(personas, lines=[(make_product(), "1", None) for _ in range(12)], submit=True)
    for order in (small, big):
        services.request_coordination(actor=personas["clerk"], kind="production", product=order.lines.first().product,
                                      quantity=Decimal(1), needed_by=date(2026, 12, 1), order=order)
    client.get(f"/orders/{small.pk}/")
    with query_budget(ORDER_DETAIL_QUERIES):
        assert client.get(f"/orders/{small.pk}/").status_code == 200
    with query_budget(ORDER_DETAIL_QUERIES):
        assert client.get(f"/orders/{big.pk}/").status_code == 200


def test_order_detail_shows_lines_totals_in_words_and_the_credit_split(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    order = services.create_order(actor=personas["clerk"], data=order_input(
        customer, [(make_product(price="1409.50"), "1", None)],
        split=[(personas["sales1"], "0.7"), (personas["sales3"], "0.3")]))

    html = as_user("clerk").get(f"/orders/{order.pk}/").content.decode()

    assert "人民币壹仟肆佰零玖元伍角" in html
    assert "张伟" in html and "70%" in html and "30%" in html
    assert 'id="order-submit"' in html and "hx-confirm" in html


def test_warehouse_detail_shows_quantities_without_prices(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="1234.56"), "7", None)], submit=True)

    html = as_user("warehouse").get(f"/orders/{order.pk}/").content.decode()

    assert order.number in html and ">7<" in html
    assert "1234.56" not in html and "1,234.56" not in html and "大写" not in html


def test_a_draft_is_not_found_by_the_warehouse(as_user, personas):
    order = make_order(personas)

    assert as_user("warehouse").get(f"/orders/{order.pk}/").status_code == 404


def test_the_manager_sees_the_price_approval_buttons_but_not_on_their_own_request(as_user, personas):
    clerk_order = make_order(personas, lines=[(make_product(price="10.00"), "1", "9.00")])
    own_order = make_order(personas, actor="manager", lines=[(make_product(price="10.00"), "1", "9.00")])
    client = as_user("manager")

    assert 'id="price-approve"' in client.get(f"/orders/{clerk_order.pk}/").content.decode()
    html = client.get(f"/orders/{own_order.pk}/").content.decode()
    assert 'id="price-approve"' not in html and "须由其他销售经理审批" in html


def test_approve_price_from_the_page_redirects_back_with_htmx(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="10.00"), "1", "9.00")])

    response = as_user("manager").post(f"/orders/{order.pk}/approve-price/", **HX)

    assert response.status_code == 200 and response["HX-Redirect"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.price_check == "approved"


def test_submit_from_the_page_books_and_tells_finance(as_user, personas):
    order = make_order(personas)

    response = as_user("clerk").post(f"/orders/{order.pk}/submit/")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "submitted"
    assert Notification.objects.filter(kind="order_submitted").count() == 1


def test_a_refused_submit_shows_the_reason_and_changes_nothing(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="10.00"), "1", "9.00")])

    response = as_user("clerk").post(f"/orders/{order.pk}/submit/", follow=True)

    assert "需销售经理批准" in response.content.decode()
    assert not Fact.objects.exists()


def test_cancel_from_the_page_needs_a_reason(as_user, personas):
    order = make_order(personas, submit=True)
    client = as_user("clerk")

    client.post(f"/orders/{order.pk}/cancel/", {"reason": ""})
    order.refresh_from_db()
    assert order.status == "submitted"
    client.post(f"/orders/{order.pk}/cancel/", {"reason": "客户取消"})
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_finance_marks_seen_from_the_page(as_user, personas):
    order = make_order(personas, submit=True)

    as_user("finance").post(f"/orders/{order.pk}/seen/")

    order.refresh_from_db()
    assert order.finance_seen_at is not None


def test_copy_from_the_page_opens_the_new_draft_in_the_form(as_user, personas):
    order = make_order(personas, submit=True)

    response = as_user("clerk").post(f"/orders/{order.pk}/copy/")

    copy = Order.objects.exclude(pk=order.pk).get()
    assert response["Location"] == f"/orders/{copy.pk}/edit/"


def test_copy_last_order_of_a_customer(as_user, personas):
    older = make_order(personas, submit=True)
    make_order(personas, customer=older.customer, order_date=date(2026, 11, 1))

    as_user("sales1").post("/orders/copy-last/", {"customer": older.customer_id})

    copy = Order.objects.order_by("-id").first()
    assert copy.customer_id == older.customer_id and copy.lines.get().product_id == older.lines.get().product_id


def test_the_history_tab_shows_the_submit(as_user, personas):
    order = make_order(personas, submit=True)

    html = as_user("clerk").get(f"/orders/{order.pk}/?tab=history", **HX).content.decode()

    assert "已提交" in html


# --- the order form ---------------------------------------------------------------------------


def _form_data(customer, lines, shares=(), **over):
    data = {"customer": customer.pk, "contract": "", "salesperson": "", "order_date": "2026-11-27",
            "requested_delivery_on": "", "delivery_address": "北京市朝阳区", "delivery_contact": "李经理",
            "delivery_phone": "13800138000", "notes": "",
            "lines-TOTAL_FORMS": len(lines), "lines-INITIAL_FORMS": 0,
            "shares-TOTAL_FORMS": len(shares), "shares-INITIAL_FORMS": 0}
    for i, (product, quantity, price) in enumerate(lines):
        data.update({f"lines-{i}-product": product.pk if product else "", f"lines-{i}-quantity": quantity,
                     f"lines-{i}-unit_price": price or ""})
    for i, (user, percent) in enumerate(shares):
        data.update({f"shares-{i}-salesperson": user.pk, f"shares-{i}-percent": percent})
    data.update(over)
    return data


def test_the_new_order_form_renders_with_one_empty_line(as_user, personas):
    make_product()

    html = as_user("clerk").get("/orders/new/").content.decode()

    assert 'name="lines-TOTAL_FORMS" value="1"' in html and 'id="line-template"' in html
    assert 'name="paste"' in html


def test_the_clerk_enters_an_order_with_a_70_30_split_and_submits_it(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = make_product(price="100.00")

    response = as_user("clerk").post("/orders/new/", _form_data(
        customer, [(product, "3", ""), (None, "", "")], [(personas["sales1"], "70"), (personas["sales3"], "30")],
        action="submit"))

    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.pk}/"
    assert (order.status, order.total, order.delivery_contact) == ("submitted", Decimal("300.00"), "李经理")
    assert sorted((cs.salesperson.username, cs.share) for cs in order.credit_shares.all()) == [
        ("sales1", Decimal("0.7000")), ("sales3", Decimal("0.3000"))]
    assert Notification.objects.filter(kind="order_submitted").count() == 1


def test_a_split_that_does_not_sum_to_100_percent_is_shown_on_the_form(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("clerk").post("/orders/new/", _form_data(
        customer, [(make_product(), "1", "")], [(personas["sales1"], "70"), (personas["sales3"], "20")]))

    assert response.status_code == 200
    assert "分成比例合计必须等于 1" in response.content.decode()
    assert not Order.objects.exists()


def test_beyond_the_contract_is_shown_on_the_line(as_user, personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "5", "1130.00")])

    response = as_user("clerk").post("/orders/new/", _form_data(contract.customer, [(product, "6", "")],
                                                                contract=contract.pk))

    html = response.content.decode()
    assert response.status_code == 200 and "超出合同剩余数量" in html
    assert not Order.objects.exists()


def test_editing_a_draft_keeps_its_lines_and_saves_changes(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="10.00"), "2", None)])
    client = as_user("sales1")

    html = client.get(f"/orders/{order.pk}/edit/").content.decode()
    assert 'name="lines-TOTAL_FORMS" value="1"' in html and 'value="2"' in html
    response = client.post(f"/orders/{order.pk}/edit/", _form_data(
        order.customer, [(order.lines.get().product, "5", "")], action="save"))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.total == Decimal("50.00")


def test_a_submitted_order_cannot_be_edited(as_user, personas):
    order = make_order(personas, submit=True)

    assert as_user("clerk").get(f"/orders/{order.pk}/edit/").status_code == 302


def test_pasting_rows_from_a_spreadsheet_adds_lines_without_saving(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    a, b = make_product(), make_product()
    paste = f"编码\t品名\t数量\t单价\n{a.sku}\t液压油\t12\t1,100.00\n{b.sku}\t齿轮油\t3\nNOPE-1\t?\t1\n"

    response = as_user("clerk").post("/orders/new/", _form_data(customer, [], action="paste", paste=paste))

    html = response.content.decode()
    assert response.status_code == 200 and not Order.objects.exists()
    assert 'name="lines-TOTAL_FORMS" value="2"' in html
    assert "NOPE-1" in html
    assert 'value="1100.00"' in html and 'value="12"' in html


def test_parse_pasted_lines():
    rows, problems = parse_pasted_lines("编码\t数量\nA-1\t2\t9.5\nB-2, 3\n\nC-3\t-1\nD-4\tabc\n")

    assert [(r.sku, r.quantity, r.unit_price) for r in rows] == [("A-1", Decimal(2), Decimal("9.5")),
                                                                  ("B-2", Decimal(3), None)]
    assert len(problems) == 2


def test_the_grid_prefills_the_customers_level_price(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"], price_level="dealer")
    product = make_product(price="100.00")
    level_price(product, "dealer", "88.00")

    data = as_user("sales1").get(f"/orders/prices/?customer={customer.pk}").json()

    assert data["prices"][str(product.pk)] == "88"
    assert as_user("sales2").get(f"/orders/prices/?customer={customer.pk}").status_code == 404


def test_the_grid_prefills_contract_prices(as_user, personas):
    product = make_product(price="100.00")
    contract = make_contract(personas, lines=[(product, "5", "95.00")])

    data = as_user("clerk").get(f"/orders/prices/?customer={contract.customer_id}&contract={contract.pk}").json()

    assert data == {"prices": {str(product.pk): "95"}, "contract_products": [product.pk]}


def test_customer_and_contract_options(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"], name="杭州青山润滑油有限公司")
    contract = make_contract(personas, customer=customer)
    client = as_user("sales1")

    assert "杭州青山" in client.get("/orders/customer-options/?customer_q=青山").content.decode()
    assert contract.number in client.get(f"/orders/contract-options/?customer={customer.pk}").content.decode()
    assert "杭州青山" not in as_user("sales2").get("/orders/customer-options/?customer_q=青山").content.decode()


# --- PDF --------------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def test_the_printed_order_has_the_company_the_lines_and_the_total_in_words(as_user, personas):
    from salesdesk.org.models import CompanyProfile

    CompanyProfile.objects.create(name="华远润滑油销售有限公司", uscc="91110000600037341L",
                                  bank_name="中国工商银行北京朝阳支行", bank_account="0200001234567890123")
    customer = CustomerFactory(salesperson=personas["sales1"], name="天津海河机械有限公司")
    order = make_order(personas, customer=customer, lines=[(make_product(price="1409.50", name="液压油"), "1", None)])

    response = as_user("clerk").get(f"/orders/{order.pk}/print/")

    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    for expected in ("华远润滑油销售有限公司", "91110000600037341L", "0200001234567890123", "销售订单", order.number,
                     "天津海河机械有限公司", "液压油", "人民币壹仟肆佰零玖元伍角", "1,409.50"):
        assert expected in text, expected


def test_the_warehouse_print_has_no_prices(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="1409.50"), "1", None)], submit=True)

    text = _pdf_text(as_user("warehouse").get(f"/orders/{order.pk}/print/").content)

    assert order.number in text and "1,409.50" not in text and "壹仟" not in text


# --- coordination pages -----------------------------------------------------------------------

# Session, user, groups, permissions (user, group), heartbeat, unread count, count, rows (order,
# contract, their customers, product, replier joined in).
COORDINATION_LIST_QUERIES = 9


def test_coordination_list_runs_a_fixed_number_of_queries(as_user, personas):
    _worker_alive()
    client = as_user("planner")

    def add(n):
        for _ in range(n):
            order = make_order(personas, submit=True)
            services.request_coordination(actor=personas["clerk"], kind="production",
                                          product=order.lines.get().product, quantity=Decimal(2),
                                          needed_by=date(2026, 12, 1), order=order)

    add(2)
    client.get("/orders/coordination/")
    with query_budget(COORDINATION_LIST_QUERIES):
        client.get("/orders/coordination/")
    add(10)
    contract = make_contract(personas)
    services.request_coordination(actor=personas["clerk"], kind="supply", product=contract.lines.get().product,
                                  quantity=Decimal(2), needed_by=date(2026, 12, 1), contract=contract)
    with query_budget(COORDINATION_LIST_QUERIES):
        response = client.get("/orders/coordination/")
    assert response.content.decode().count("XT2026") >= 13


def test_request_coordination_from_the_order_page_and_reply_as_planner(as_user, personas):
    order = make_order(personas, submit=True)
    product = order.lines.get().product
    client = as_user("clerk")
    assert 'id="coordination-form"' in client.get(f"/orders/{order.pk}/").content.decode()

    client.post("/orders/coordination/new/", {"order": order.pk, "kind": "production", "product": product.pk,
                                              "quantity": "10", "needed_by": "2026-12-10"})
    req = CoordinationRequest.objects.get()
    client.logout()
    planner = as_user("planner")
    html = planner.get(f"/orders/coordination/{req.pk}/").content.decode()
    assert 'id="reply-form"' in html
    planner.post(f"/orders/coordination/{req.pk}/reply/", {f"r{req.pk}-status": "confirmed",
                                                            f"r{req.pk}-promised_on": "2026-12-09",
                                                            f"r{req.pk}-note": "已排产"})

    order.refresh_from_db()
    assert order.promised_delivery_on == date(2026, 12, 9)
    assert "2026-12-09" in planner.get(f"/orders/{order.pk}/").content.decode()


def test_a_salesperson_sees_no_reply_form(as_user, personas):
    order = make_order(personas, submit=True)
    req = services.request_coordination(actor=personas["clerk"], kind="production", product=order.lines.get().product,
                                        quantity=Decimal(1), needed_by=date(2026, 12, 1), order=order)

    html = as_user("sales1").get(f"/orders/coordination/{req.pk}/").content.decode()

    assert 'id="reply-form"' not in html
    assert as_user("sales1").post(f"/orders/coordination/{req.pk}/reply/", {}).status_code == 403


# --- tabs on other pages ----------------------------------------------------------------------


def test_the_customer_page_has_an_orders_tab_with_copy_last_order(as_user, personas):
    order = make_order(personas, submit=True)

    html = as_user("sales1").get(f"/customers/{order.customer_id}/?tab=panel-orders", **HX).content.decode()

    assert order.number in html and 'id="copy-last-order"' in html


def test_the_warehouse_gets_no_history_tab_no_coordination_and_no_customer_link(as_user, personas):
    order = make_order(personas, submit=True)
    services.request_coordination(actor=personas["clerk"], kind="production", product=order.lines.get().product,
                                  quantity=Decimal(1), needed_by=date(2026, 12, 1), order=order)

    html = as_user("warehouse").get(f"/orders/{order.pk}/").content.decode()

    assert 'data-tab="history"' not in html and 'data-tab="attachments"' not in html
    assert 'id="coordination"' not in html
    assert f'href="/customers/{order.customer_id}/"' not in html


def test_a_pending_price_hides_the_submit_button(as_user, personas):
    order = make_order(personas, lines=[(make_product(price="10.00"), "1", "9.00")])

    html = as_user("clerk").get(f"/orders/{order.pk}/").content.decode()

    assert 'id="order-submit"' not in html


def test_the_contract_page_gets_a_coordination_tab_that_requests_for_the_contract(rf, as_user, personas):
    from django.template.loader import render_to_string

    from salesdesk.contracts.models import Contract
    from salesdesk.core.registries import panels_for

    contract = make_contract(personas)
    product = contract.lines.get().product
    (panel,) = [p for p in panels_for(Contract, personas["sales1"], contract) if p.key == "coordination"]
    request = rf.get(f"/contracts/{contract.pk}/")
    request.user = personas["sales1"]
    html = render_to_string(panel.template, {"object": contract, **panel.context(request, contract)}, request=request)
    assert 'name="contract"' in html and product.sku in html

    response = as_user("sales1").post("/orders/coordination/new/", {
        "contract": contract.pk, "kind": "supply", "product": product.pk, "quantity": "4", "needed_by": "2027-01-10",
        "next": f"/contracts/{contract.pk}/?tab=panel-coordination"})

    assert response["Location"] == f"/contracts/{contract.pk}/?tab=panel-coordination"
    req = CoordinationRequest.objects.get()
    assert (req.contract, req.order, req.quantity) == (contract, None, Decimal("4"))
    assert not [p for p in panels_for(Contract, personas["warehouse"], contract) if p.key == "coordination"]


def test_an_outside_next_url_is_not_followed(as_user, personas):
    contract = make_contract(personas)

    response = as_user("clerk").post("/orders/coordination/new/", {
        "contract": contract.pk, "kind": "supply", "product": contract.lines.get().product.pk, "quantity": "4",
        "needed_by": "2027-01-10", "next": "//evil.example/"})

    assert response["Location"] == "/orders/coordination/"
