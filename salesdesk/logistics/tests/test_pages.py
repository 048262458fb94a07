"""The logistics pages: the shipment list (search, filters, export, pinned query count), the detail
page, planning a shipment from an order through the payment gate (422 / 409 on the form), the
actions dispatch / track / deliver / 回单 / cancel, the customer-call list and the shipments tab on
the order. The warehouse sees no prices anywhere."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salesdesk.core.attachments import list_for
from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.tests.factories import ContactFactory
from salesdesk.finance.models import Allocation
from salesdesk.finance.tests.factories import PNG
from salesdesk.ledger.models import Fact
from salesdesk.logistics import services
from salesdesk.logistics.models import CallTask, Shipment, TrackingEvent

from .factories import customer, paid, product, submitted_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


@pytest.fixture
def warm_worker():
    from salesdesk.core.jobs import beat

    beat()  # a running worker: the page shows no "worker down" banner (a query less to pin)


def ready_order(personas, *, owner="sales1", lines=((10, "100.00"),), paid_amount="1000.00", name=None):
    """A submitted order of the owner's new customer (with a primary contact), money confirmed on it."""
    cust = customer(personas, owner, **({"name": name} if name else {}))
    ContactFactory(customer=cust, is_primary=True, mobile="+8613800138000")
    prods = [product(price) for _qty, price in lines]
    order = submitted_order(personas, cust, [(p, qty, price) for p, (qty, price) in zip(prods, lines, strict=True)],
                            owner=owner)
    if paid_amount:
        paid(personas, cust, paid_amount, order=order)
    return order, prods


def plan(personas, order, prod, qty="2", **kwargs) -> Shipment:
    return services.create_shipment(actor=personas["clerk"], order=order,
                                    lines=[services.LineRequest(prod.pk, Decimal(qty))], **kwargs)


def dispatched(personas, order, prod, qty="2", **kwargs) -> Shipment:
    return services.dispatch(actor=personas["clerk"], shipment=plan(personas, order, prod, qty, **kwargs))


# --- list -------------------------------------------------------------------------------------

# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count,
# row count, rows (with order and customer joined).
LIST_QUERIES = 9


def test_the_shipment_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login, warm_worker):
    client = login("clerk")
    order, (prod,) = ready_order(personas)
    plan(personas, order, prod)
    client.get("/logistics/shipments/")  # warm per-process caches (content types, permissions)
    with query_budget(LIST_QUERIES):
        client.get("/logistics/shipments/")
    for _ in range(12):
        o, (p,) = ready_order(personas)
        dispatched(personas, o, p, carrier="SF", waybill_no="SF1234567890123")
    with query_budget(LIST_QUERIES):
        response = client.get("/logistics/shipments/")
    assert response.content.decode().count('href="/logistics/shipments/') >= 13


def test_the_warehouse_list_has_no_value_column(personas, login):
    order, (prod,) = ready_order(personas, lines=((10, "123.45"),), paid_amount="1234.50")
    plan(personas, order, prod)

    warehouse = login("warehouse").get("/logistics/shipments/").content.decode()
    clerk = login("clerk").get("/logistics/shipments/").content.decode()

    assert "货值" not in warehouse and "246.90" not in warehouse
    assert "货值" in clerk and "246.90" in clerk


def test_the_warehouse_export_carries_no_prices_and_is_logged(personas, login):
    order, (prod,) = ready_order(personas, lines=((10, "123.45"),), paid_amount="1234.50")
    shipment = plan(personas, order, prod)

    response = login("warehouse").get("/logistics/shipments/?export=xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert shipment.number in cells
    assert "货值(含税)" not in cells and Decimal("246.90") not in cells and 246.9 not in cells
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (personas["warehouse"], "logistics.shipments", 1)


def test_a_salesperson_may_not_export_shipments(personas, login):
    response = login("sales1").get("/logistics/shipments/?export=xlsx")

    assert response.status_code == 403 and ExportLog.objects.count() == 0


def test_the_list_finds_a_waybill_typed_in_lower_case_with_spaces(personas, login):
    order, (prod,) = ready_order(personas)
    wanted = dispatched(personas, order, prod, carrier="SF", waybill_no="SF1234567890123")
    other = dispatched(personas, order, prod, carrier="SF", waybill_no="SF9999999999999")

    html = login("clerk").get("/logistics/shipments/?q=sf 1234567", HTTP_HX_REQUEST="true").content.decode()

    assert wanted.number in html and other.number not in html
    assert "<nav" not in html  # the htmx partial: the table only


def test_the_list_finds_shipments_by_customer_name(personas, login):
    order, (prod,) = ready_order(personas, name="洛阳重型机械有限公司")
    wanted = plan(personas, order, prod)
    o2, (p2,) = ready_order(personas, name="无关贸易有限公司")
    other = plan(personas, o2, p2)

    html = login("clerk").get("/logistics/shipments/?q=洛阳重型", HTTP_HX_REQUEST="true").content.decode()

    assert wanted.number in html and other.number not in html


def test_the_list_filters_by_status_and_carrier(personas, login):
    order, (prod,) = ready_order(personas)
    planned = plan(personas, order, prod, carrier="ZTO")
    sf = dispatched(personas, order, prod, carrier="SF", waybill_no="SF1234567890123")
    zto = dispatched(personas, order, prod, carrier="ZTO", waybill_no="773012345678")

    html = login("clerk").get("/logistics/shipments/?status=dispatched&carrier=ZTO",
                              HTTP_HX_REQUEST="true").content.decode()

    assert zto.number in html
    assert planned.number not in html and sf.number not in html


def test_a_salesperson_lists_only_shipments_of_their_orders(personas, login):
    mine_order, (p1,) = ready_order(personas, owner="sales1")
    theirs_order, (p2,) = ready_order(personas, owner="sales2")
    mine, theirs = plan(personas, mine_order, p1), plan(personas, theirs_order, p2)

    html = login("sales1").get("/logistics/shipments/", HTTP_HX_REQUEST="true").content.decode()

    assert mine.number in html and theirs.number not in html


def test_the_menu_offers_shipments_and_calls_to_the_clerk_and_shipments_to_the_warehouse(personas, login):
    clerk = login("clerk").get("/").content.decode()
    warehouse = login("warehouse").get("/").content.decode()

    assert 'href="/logistics/shipments/"' in clerk and 'href="/logistics/calls/"' in clerk
    assert 'href="/logistics/shipments/"' in warehouse


# --- detail -----------------------------------------------------------------------------------

# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count;
# the shipment (order, salesperson, contract, customer, creator joined), its lines, events and
# calls (prefetched), the attachment policy check, the attachments.
DETAIL_QUERIES = 13


def test_the_detail_page_runs_a_fixed_number_of_queries_whatever_the_lines(personas, login, warm_worker):
    client = login("clerk")
    small_order, (p,) = ready_order(personas)
    small = dispatched(personas, small_order, p)
    client.get(f"/logistics/shipments/{small.pk}/")
    with query_budget(DETAIL_QUERIES):
        client.get(f"/logistics/shipments/{small.pk}/")

    big_order, prods = ready_order(personas, lines=[(5, "10.00")] * 8, paid_amount="400.00")
    big = services.create_shipment(actor=personas["clerk"], order=big_order,
                                   lines=[services.LineRequest(x.pk, Decimal(5)) for x in prods])
    big = services.dispatch(actor=personas["clerk"], shipment=big)
    services.track(actor=personas["clerk"], shipment=big, status="in_transit", note="已到转运中心")
    services.track(actor=personas["clerk"], shipment=big, status="delivered", signer="王主任")
    with query_budget(DETAIL_QUERIES):
        response = client.get(f"/logistics/shipments/{big.pk}/")
    assert response.content.decode().count("<tr>") >= 8


def test_the_detail_shows_lines_timeline_and_the_call_with_a_tel_link(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod, carrier="SF", waybill_no="SF1234567890123")
    services.track(actor=personas["clerk"], shipment=shipment, status="in_transit", note="已到达郑州转运中心")

    html = login("clerk").get(f"/logistics/shipments/{shipment.pk}/").content.decode()

    assert prod.name in html and "200.00" in html
    assert "已到达郑州转运中心" in html and "运输中" in html
    assert 'href="tel:+8613800138000"' in html


def test_the_warehouse_sees_the_shipment_without_prices_or_history(personas, login):
    order, (prod,) = ready_order(personas, lines=((10, "123.45"),), paid_amount="1234.50")
    shipment = plan(personas, order, prod)

    html = login("warehouse").get(f"/logistics/shipments/{shipment.pk}/").content.decode()

    assert prod.name in html
    assert "246.90" not in html and "123.45" not in html and "货值" not in html
    assert "?tab=history" not in html
    assert login("warehouse").get(f"/logistics/shipments/{shipment.pk}/?tab=history").content.decode().count(
        "246.90") == 0


def test_another_teams_shipment_is_not_found(personas, login):
    order, (prod,) = ready_order(personas, owner="sales2")
    shipment = plan(personas, order, prod)

    assert login("sales1").get(f"/logistics/shipments/{shipment.pk}/").status_code == 404
    assert login("sales1").get("/logistics/shipments/999999/").status_code == 404


# --- planning a shipment from an order ----------------------------------------------------------

# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count;
# the order (customer joined) and its lines (products joined), what was shipped per line; the gate
# figures of the releasable amount: the money allocated to the order, its exceptions, its
# shipments, the customer's free advance (receipts, refunds, allocations).
CREATE_FORM_QUERIES = 16


def test_the_shipment_form_runs_a_fixed_number_of_queries_whatever_the_lines(personas, login, warm_worker):
    client = login("clerk")
    small, _prods = ready_order(personas)
    client.get(f"/logistics/shipments/new/?order={small.pk}")
    with query_budget(CREATE_FORM_QUERIES):
        client.get(f"/logistics/shipments/new/?order={small.pk}")
    big, _prods = ready_order(personas, lines=[(5, "10.00")] * 10, paid_amount="500.00")
    with query_budget(CREATE_FORM_QUERIES):
        response = client.get(f"/logistics/shipments/new/?order={big.pk}")
    assert response.content.decode().count('name="qty_') == 10


def test_the_form_is_prefilled_with_what_is_left_to_ship(personas, login):
    order, (prod,) = ready_order(personas, lines=((12, "100.00"),), paid_amount="1200.00")
    plan(personas, order, prod, qty="2")

    html = login("clerk").get(f"/logistics/shipments/new/?order={order.pk}").content.decode()

    line = order.lines.get()
    field = re.search(rf'<input[^>]*name="qty_{line.pk}"[^>]*>', html).group(0)
    assert 'value="10"' in field and 'max="10"' in field  # as typed, not 1E+1
    assert "1,000.00" in html  # 1200.00 confirmed less the planned 200.00 may ship now


def test_the_clerk_plans_a_shipment_within_the_confirmed_money(personas, login):
    order, (_prod,) = ready_order(personas)
    line = order.lines.get()

    response = login("clerk").post(f"/logistics/shipments/new/?order={order.pk}", {
        "order": order.pk, f"qty_{line.pk}": "5", "carrier": "SF", "waybill_no": "sf 1234 5678 90123",
        "warehouse": "一号库", "planned_on": "2026-11-20",
    })

    shipment = Shipment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/logistics/shipments/{shipment.pk}/"
    assert (shipment.status, shipment.value, shipment.waybill_no, shipment.warehouse) == (
        "planned", Decimal("500.00"), "SF1234567890123", "一号库")


def test_the_gate_refusal_answers_409_in_chinese_naming_the_missing_amount_and_writes_nothing(personas, login):
    """Order ¥10,000, ¥6,000 confirmed: ¥5,000 ships; another ¥2,000 is refused, ¥1,000.00 missing."""
    order, (prod,) = ready_order(personas, lines=((100, "100.00"),), paid_amount="6000.00")
    plan(personas, order, prod, qty="50")
    line = order.lines.get()
    allocations = Allocation.objects.count()

    response = login("clerk").post(f"/logistics/shipments/new/?order={order.pk}",
                                   {"order": order.pk, f"qty_{line.pk}": "20"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "款未到账" in html and "1,000.00" in html
    assert f"/finance/payments/new/?order={order.pk}" in html  # ask finance whether the money arrived
    assert Shipment.objects.count() == 1 and Allocation.objects.count() == allocations


def test_more_than_is_left_answers_422_and_writes_nothing(personas, login):
    order, (prod,) = ready_order(personas)
    plan(personas, order, prod, qty="8")
    line = order.lines.get()

    response = login("clerk").post(f"/logistics/shipments/new/?order={order.pk}",
                                   {"order": order.pk, f"qty_{line.pk}": "3"})

    assert response.status_code == 422
    assert Shipment.objects.count() == 1


def test_a_form_without_any_quantity_is_refused(personas, login):
    order, (_prod,) = ready_order(personas)
    line = order.lines.get()

    response = login("clerk").post(f"/logistics/shipments/new/?order={order.pk}",
                                   {"order": order.pk, f"qty_{line.pk}": "0"})

    assert response.status_code == 422 and "请至少填写一行发货数量" in response.content.decode()
    assert Shipment.objects.count() == 0


def test_a_salesperson_may_not_plan_a_shipment(personas, login):
    order, (_prod,) = ready_order(personas)
    line = order.lines.get()

    response = login("sales1").post(f"/logistics/shipments/new/?order={order.pk}",
                                    {"order": order.pk, f"qty_{line.pk}": "1"})

    assert response.status_code == 403 and Shipment.objects.count() == 0


def test_the_warehouse_plans_a_shipment_without_seeing_prices(personas, login):
    order, (prod,) = ready_order(personas, lines=((10, "123.45"),), paid_amount="1234.50")

    html = login("warehouse").get(f"/logistics/shipments/new/?order={order.pk}").content.decode()

    assert prod.name in html and 'name="qty_' in html
    assert "123.45" not in html and "1,234.50" not in html


# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count;
# the shippable orders (customers joined).
PICKER_QUERIES = 8


def test_the_order_picker_runs_a_fixed_number_of_queries_whatever_the_orders(personas, login, warm_worker):
    client = login("warehouse")
    ready_order(personas)
    client.get("/logistics/shipments/new/")
    with query_budget(PICKER_QUERIES):
        client.get("/logistics/shipments/new/")
    for _ in range(10):
        ready_order(personas)
    with query_budget(PICKER_QUERIES):
        response = client.get("/logistics/shipments/new/")
    assert response.content.decode().count('href="?order=') == 11


def test_without_an_order_the_form_offers_the_shippable_orders(personas, login):
    order, _prods = ready_order(personas, name="郑州宏达机电有限公司")

    html = login("clerk").get("/logistics/shipments/new/?q=宏达").content.decode()

    assert f'href="?order={order.pk}"' in html


# --- actions ----------------------------------------------------------------------------------


def test_dispatch_from_the_page_books_the_shipment_and_opens_the_customer_call(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = plan(personas, order, prod)

    response = login("warehouse").post(f"/logistics/shipments/{shipment.pk}/dispatch/",
                                       {"carrier": "SF", "waybill_no": "SF1234567890123"})

    shipment.refresh_from_db()
    assert response.status_code == 302
    assert (shipment.status, shipment.carrier, shipment.waybill_no) == ("dispatched", "SF", "SF1234567890123")
    assert Fact.objects.filter(source_kind="shipment", source_id=shipment.pk, kind="shipped").count() == 1
    assert CallTask.objects.get(shipment=shipment).phone == "+8613800138000"


def test_an_odd_waybill_number_warns_but_dispatches(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = plan(personas, order, prod)
    client = login("clerk")

    client.post(f"/logistics/shipments/{shipment.pk}/dispatch/", {"carrier": "SF", "waybill_no": "12345"})
    html = client.get(f"/logistics/shipments/{shipment.pk}/").content.decode()

    shipment.refresh_from_db()
    assert shipment.status == "dispatched"
    assert "常见格式不符" in html


def test_dispatching_twice_is_refused_with_a_message_and_books_nothing_more(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)
    client = login("clerk")

    client.post(f"/logistics/shipments/{shipment.pk}/dispatch/", {})
    html = client.get(f"/logistics/shipments/{shipment.pk}/").content.decode()

    assert "不能变为" in html
    assert Fact.objects.filter(source_kind="shipment", source_id=shipment.pk).count() == 1


def test_tracking_in_transit_with_a_note_adds_to_the_timeline(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)

    login("clerk").post(f"/logistics/shipments/{shipment.pk}/track/", {"note": "已到达武汉分拨中心"})

    shipment.refresh_from_db()
    assert shipment.status == "in_transit"
    assert TrackingEvent.objects.filter(shipment=shipment, status="in_transit", note="已到达武汉分拨中心").exists()


def test_delivery_records_the_signer_and_opens_the_follow_up_call(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)

    login("clerk").post(f"/logistics/shipments/{shipment.pk}/deliver/", {"signer": "王主任", "note": "外包装完好"})

    shipment.refresh_from_db()
    assert (shipment.status, shipment.signer) == ("delivered", "王主任") and shipment.delivered_at
    assert set(CallTask.objects.filter(shipment=shipment).values_list("reason", flat=True)) == {"dispatched",
                                                                                                 "delivered"}


def test_delivery_without_a_signer_is_refused_and_changes_nothing(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)

    login("clerk").post(f"/logistics/shipments/{shipment.pk}/deliver/", {"signer": ""})

    shipment.refresh_from_db()
    assert shipment.status == "dispatched" and not CallTask.objects.filter(reason="delivered").exists()


def test_the_returned_delivery_note_scan_is_stored_with_the_shipment(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)
    services.track(actor=personas["clerk"], shipment=shipment, status="delivered", signer="王主任")
    client = login("warehouse")

    client.post(f"/logistics/shipments/{shipment.pk}/pod/",
                {"scan": SimpleUploadedFile("回单.png", PNG, content_type="image/png"), "note": "客户已盖章"})

    shipment.refresh_from_db()
    assert shipment.status == "pod_returned" and shipment.pod_returned_at
    assert [a.original_name for a in list_for(shipment)] == ["回单.png"]
    html = client.get(f"/logistics/shipments/{shipment.pk}/").content.decode()
    assert 'id="pod-scans"' in html


def test_a_refused_scan_leaves_the_shipment_delivered(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)
    services.track(actor=personas["clerk"], shipment=shipment, status="delivered", signer="王主任")

    login("clerk").post(f"/logistics/shipments/{shipment.pk}/pod/",
                        {"scan": SimpleUploadedFile("回单.png", b"MZ\x90\x00 not an image", content_type="image/png")})

    shipment.refresh_from_db()
    assert shipment.status == "delivered" and list(list_for(shipment)) == []


def test_cancelling_a_planned_shipment_frees_its_value_for_the_next(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = plan(personas, order, prod, qty="10")
    client = login("clerk")

    client.post(f"/logistics/shipments/{shipment.pk}/cancel/", {"reason": "客户改期"})
    line = order.lines.get()
    again = client.post(f"/logistics/shipments/new/?order={order.pk}", {"order": order.pk, f"qty_{line.pk}": "10"})

    shipment.refresh_from_db()
    assert shipment.status == "cancelled" and again.status_code == 302


def test_a_salesperson_may_not_dispatch_or_cancel(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = plan(personas, order, prod)
    client = login("sales1")

    statuses = [client.post(f"/logistics/shipments/{shipment.pk}/{action}/", {}).status_code
                for action in ("dispatch", "track", "deliver", "pod", "cancel")]

    shipment.refresh_from_db()
    assert statuses == [403] * 5 and shipment.status == "planned"


# --- customer calls -----------------------------------------------------------------------------

# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count;
# the count of calls, the page of calls (shipment, customer, order and caller joined).
CALL_LIST_QUERIES = 9


def test_the_call_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login, warm_worker):
    client = login("clerk")
    order, (prod,) = ready_order(personas)
    dispatched(personas, order, prod)
    client.get("/logistics/calls/")
    with query_budget(CALL_LIST_QUERIES):
        client.get("/logistics/calls/")
    for _ in range(10):
        o, (p,) = ready_order(personas)
        dispatched(personas, o, p)
    with query_budget(CALL_LIST_QUERIES):
        response = client.get("/logistics/calls/")
    assert response.content.decode().count('href="tel:') == 11


def test_the_call_list_shows_open_calls_with_tel_links(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)

    html = login("clerk").get("/logistics/calls/").content.decode()

    assert shipment.number in html and 'href="tel:+8613800138000"' in html and "发货通知" in html


def test_logging_a_call_with_htmx_swaps_the_card_and_records_the_outcome(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = dispatched(personas, order, prod)
    task = CallTask.objects.get(shipment=shipment)

    response = login("clerk").post(f"/logistics/calls/{task.pk}/log/",
                                   {f"call{task.pk}-status": "done", f"call{task.pk}-outcome": "客户已知悉，明天收货"},
                                   HTTP_HX_REQUEST="true")

    task.refresh_from_db()
    assert (task.status, task.outcome, task.done_by) == ("done", "客户已知悉，明天收货", personas["clerk"])
    html = response.content.decode()
    assert f'id="call-{task.pk}"' in html and "客户已知悉，明天收货" in html and "<nav" not in html


def test_a_call_without_an_outcome_stays_open(personas, login):
    order, (prod,) = ready_order(personas)
    task = CallTask.objects.get(shipment=dispatched(personas, order, prod))

    response = login("clerk").post(f"/logistics/calls/{task.pk}/log/",
                                   {f"call{task.pk}-status": "done", f"call{task.pk}-outcome": ""},
                                   HTTP_HX_REQUEST="true")

    task.refresh_from_db()
    assert task.status == "open" and 'role="alert"' in response.content.decode()


def test_another_teams_call_is_not_found(personas, login):
    order, (prod,) = ready_order(personas, owner="sales2")
    task = CallTask.objects.get(shipment=dispatched(personas, order, prod))

    response = login("sales1").post(f"/logistics/calls/{task.pk}/log/",
                                    {f"call{task.pk}-status": "done", f"call{task.pk}-outcome": "x"})

    task.refresh_from_db()
    assert response.status_code == 404 and task.status == "open"


# --- the shipments tab on the order -------------------------------------------------------------

# The tab alone (htmx): session, user, user and group permissions, the user's groups; the order
# with its lines, credit shares and coordination requests, the attachment policy check (the
# orders app's); the shipments, the lines (products), what was shipped per line, the six gate
# queries of the releasable amount; heartbeat and unread count (context processors).
ORDER_TAB_QUERIES = 21


def test_the_orders_shipments_tab_runs_a_fixed_number_of_queries_whatever_the_shipments(personas, login,
                                                                                         warm_worker):
    client = login("clerk")
    order, (prod,) = ready_order(personas, lines=((100, "10.00"),))
    plan(personas, order, prod, qty="1")
    url = f"/orders/{order.pk}/?tab=panel-shipments"
    client.get(url, HTTP_HX_REQUEST="true")
    with query_budget(ORDER_TAB_QUERIES):
        client.get(url, HTTP_HX_REQUEST="true")
    for _ in range(10):
        dispatched(personas, order, prod, qty="1")
    with query_budget(ORDER_TAB_QUERIES):
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.content.decode().count("/logistics/shipments/") >= 11


def test_the_order_page_lists_its_shipments_and_offers_a_new_one(personas, login):
    order, (prod,) = ready_order(personas)
    shipment = plan(personas, order, prod)

    html = login("clerk").get(f"/orders/{order.pk}/?tab=panel-shipments").content.decode()

    assert shipment.number in html and "200.00" in html
    assert f"/logistics/shipments/new/?order={order.pk}" in html


def test_the_warehouse_sees_the_orders_shipments_without_prices(personas, login):
    order, (prod,) = ready_order(personas, lines=((10, "123.45"),), paid_amount="1234.50")
    shipment = plan(personas, order, prod)

    html = login("warehouse").get(f"/orders/{order.pk}/?tab=panel-shipments", HTTP_HX_REQUEST="true").content.decode()

    assert shipment.number in html and f"/logistics/shipments/new/?order={order.pk}" in html
    assert "246.90" not in html and "现可发货金额" not in html
