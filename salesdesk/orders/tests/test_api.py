"""Orders and coordination through the API (API.md, "Orders"): shapes, the 401 → 403 → 404 →
422 → 409 order, price approval, cancel/close, figures, prices hidden from warehouse and
planners, visibility with every persona, and the pinned query count of the list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesdesk.core import registries
from salesdesk.core.models import Notification
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.models import Fact
from salesdesk.orders import services
from salesdesk.orders.models import CoordinationRequest, Order

from .factories import make_contract, make_order, make_product, order_input

pytestmark = pytest.mark.django_db


def body(customer, product, **over):
    data = {"customer_id": customer.pk, "order_date": "2026-11-27",
            "lines": [{"product_id": product.pk, "quantity": "10"}]}
    data.update(over)
    return data


# --- create -----------------------------------------------------------------------------------


def test_clerk_enters_an_order_and_gets_a_draft_with_number_and_total(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = make_product(price="1130.00")

    response = api("clerk").post("/api/v1/orders", body(customer, product, credit_split=[
        {"salesperson_id": personas["sales1"].pk, "share": "0.70"},
        {"salesperson_id": personas["sales3"].pk, "share": "0.30"}]))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft" and data["price_check"] == "ok"
    assert data["number"].startswith("SO") and data["total"] == "11300.00" and data["tax_total"] == "1300.00"
    assert data["salesperson_id"] == personas["sales1"].pk
    assert [(s["salesperson_id"], s["share"]) for s in data["credit_split"]] == [
        (personas["sales1"].pk, "0.70"), (personas["sales3"].pk, "0.30")]
    line = data["lines"][0]
    assert (line["quantity"], line["unit_price"], line["amount"], line["tax"], line["tax_rate"]) == (
        "10", "1130", "11300.00", "1300.00", "0.13")
    assert (data["paid_amount"], data["shipped_amount"], data["releasable_amount"]) == ("0.00", "0.00", "0.00")


def test_a_given_price_that_differs_puts_the_price_check_on_pending(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    product = make_product(price="100.00")

    data = api("sales1").post("/api/v1/orders", body(customer, product, lines=[
        {"product_id": product.pk, "quantity": "2", "unit_price": "95.5"}])).json()

    assert data["price_check"] == "pending"
    assert (data["lines"][0]["unit_price"], data["lines"][0]["reference_price"], data["total"]) == (
        "95.5", "100", "191.00")


def test_an_order_beyond_the_contract_is_422_and_writes_nothing(api, personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "10", "1130.00")])

    response = api("clerk").post("/api/v1/orders", body(contract.customer, product, contract_id=contract.pk, lines=[
        {"product_id": product.pk, "quantity": "10.001"}]))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["lines.0.quantity"]
    assert not Order.objects.exists() and not Fact.objects.exists()


def test_shares_that_do_not_sum_to_one_are_422(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("clerk").post("/api/v1/orders", body(customer, make_product(), credit_split=[
        {"salesperson_id": personas["sales1"].pk, "share": "0.5"},
        {"salesperson_id": personas["sales3"].pk, "share": "0.4"}]))

    assert response.status_code == 422
    assert "credit_split" in response.json()["errors"]
    assert not Order.objects.exists()


def test_a_customer_the_salesperson_may_not_see_is_404(api, personas):
    customer = CustomerFactory(salesperson=personas["sales2"])

    response = api("sales1").post("/api/v1/orders", body(customer, make_product()))

    assert response.status_code == 404
    assert not Order.objects.exists()


def test_an_unknown_product_is_404(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("clerk").post("/api/v1/orders", {**body(customer, make_product()),
                                                    "lines": [{"product_id": 999999, "quantity": "1"}]})

    assert response.status_code == 404


def test_roles_that_may_not_enter_orders_get_403_before_the_body_is_looked_at(api, personas):
    for username in ("warehouse", "planner", "finance", "gm", "hr", "admin"):
        assert api(username).post("/api/v1/orders", {"customer_id": 999999}).status_code == 403, username
    assert api("anonymous").post("/api/v1/orders", {}).status_code == 401


def test_a_salesperson_naming_another_salesperson_gets_403_before_404(api, personas):
    response = api("sales1").post("/api/v1/orders", body(CustomerFactory(salesperson=personas["sales2"]),
                                                          make_product(), salesperson_id=personas["sales2"].pk))

    assert response.status_code == 403


def test_a_malformed_body_is_422(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("clerk").post("/api/v1/orders", body(customer, make_product(), lines=[
        {"product_id": 1, "quantity": 2.5}]))

    assert response.status_code == 422


# --- edit a draft -----------------------------------------------------------------------------


def test_patch_replaces_the_lines_of_a_draft(api, personas):
    order = make_order(personas)
    product = make_product(price="50.00")

    response = api("clerk").patch(f"/api/v1/orders/{order.pk}", {"lines": [{"product_id": product.pk,
                                                                             "quantity": "3"}],
                                                                  "delivery_address": "上海市浦东新区"})

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["total"], data["delivery_address"], len(data["lines"])) == ("150.00", "上海市浦东新区", 1)


def test_a_submitted_order_cannot_be_patched(api, personas):
    order = make_order(personas, submit=True)

    assert api("clerk").patch(f"/api/v1/orders/{order.pk}", {"notes": "x"}).status_code == 409


# --- actions ----------------------------------------------------------------------------------


def test_submit_answers_the_order_as_submitted_and_tells_finance(api, personas):
    order = make_order(personas)

    response = api("sales1").post(f"/api/v1/orders/{order.pk}/submit")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert Notification.objects.filter(kind="order_submitted", recipient=personas["finance"]).count() == 1


def test_a_retried_submit_answers_200_and_notifies_once(api, personas):
    order = make_order(personas)

    first = api("clerk").post(f"/api/v1/orders/{order.pk}/submit")
    second = api("clerk").post(f"/api/v1/orders/{order.pk}/submit")

    assert (first.status_code, second.status_code) == (200, 200)
    assert Notification.objects.filter(kind="order_submitted").count() == 1
    assert Fact.objects.filter(order_id=order.pk).count() == 1


def test_submitting_with_a_pending_price_is_409(api, personas):
    order = make_order(personas, lines=[(make_product(price="10.00"), "1", "9.00")])

    response = api("clerk").post(f"/api/v1/orders/{order.pk}/submit")

    assert response.status_code == 409
    assert response.json()["code"] == "price_approval_required"


def test_price_approval_by_a_manager_and_not_by_the_requester(api, personas):
    order = make_order(personas, actor="manager", lines=[(make_product(price="10.00"), "1", "9.00")])
    other = make_order(personas, lines=[(make_product(price="10.00"), "1", "11.00")])

    assert api("manager").post(f"/api/v1/orders/{order.pk}/approve-price").status_code == 403
    assert api("clerk").post(f"/api/v1/orders/{other.pk}/approve-price").status_code == 403
    response = api("manager").post(f"/api/v1/orders/{other.pk}/approve-price")
    assert response.status_code == 200
    assert response.json()["price_check"] == "approved"
    order.refresh_from_db()
    assert order.price_check == "pending"


def test_reject_price_with_and_without_a_reason(api, personas):
    order = make_order(personas, lines=[(make_product(price="10.00"), "1", "9.00")])

    response = api("manager").post(f"/api/v1/orders/{order.pk}/reject-price", {"reason": "低于底价"})

    assert response.status_code == 200
    assert response.json()["price_check"] == "rejected"
    assert api("manager").post(f"/api/v1/orders/{order.pk}/reject-price").status_code == 409


def test_a_manager_of_another_team_does_not_find_the_order(api, personas):
    order = make_order(personas, owner="sales2", lines=[(make_product(price="10.00"), "1", "9.00")])

    assert api("manager").post(f"/api/v1/orders/{order.pk}/approve-price").status_code == 404


def test_cancel_a_submitted_order(api, personas):
    order = make_order(personas, submit=True)

    response = api("clerk").post(f"/api/v1/orders/{order.pk}/cancel", {"reason": "客户取消"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "客户取消")
    assert sum(f.amount for f in Fact.objects.filter(order_id=order.pk)) == 0


def test_cancel_needs_a_reason(api, personas):
    order = make_order(personas)

    assert api("clerk").post(f"/api/v1/orders/{order.pk}/cancel", {}).status_code == 422
    assert api("clerk").post(f"/api/v1/orders/{order.pk}/cancel", {"reason": ""}).status_code == 422
    order.refresh_from_db()
    assert order.status == "draft"


def test_only_a_sales_manager_closes_the_remainder(api, personas):
    order = make_order(personas, submit=True)

    assert api("clerk").post(f"/api/v1/orders/{order.pk}/close", {"reason": "不要了"}).status_code == 403
    response = api("manager").post(f"/api/v1/orders/{order.pk}/close", {"reason": "不要了"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_finance_marks_seen_and_the_list_filters_unseen(api, personas):
    seen, unseen = make_order(personas, submit=True), make_order(personas, submit=True)
    make_order(personas)  # a draft is not reported yet

    assert api("finance").post(f"/api/v1/orders/{seen.pk}/seen").json()["finance_seen_at"]
    items = api("finance").get("/api/v1/orders?finance_seen=false").json()["items"]

    assert [o["id"] for o in items] == [unseen.pk]
    assert api("clerk").post(f"/api/v1/orders/{unseen.pk}/seen").status_code == 403


def test_copy_answers_a_new_draft(api, personas):
    order = make_order(personas, submit=True)

    response = api("sales1").post(f"/api/v1/orders/{order.pk}/copy")

    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "draft" and data["id"] != order.pk and data["customer_id"] == order.customer_id


def test_history_lists_the_changes(api, personas):
    order = make_order(personas, submit=True)

    data = api("clerk").get(f"/api/v1/orders/{order.pk}/history").json()

    assert data["count"] == 2
    assert data["items"][0]["changes"]["status"] == ["draft", "submitted"]


# --- figures and prices -----------------------------------------------------------------------


def test_get_takes_figures_from_registered_providers(api, personas):
    order = make_order(personas, submit=True)
    registries.register_figures(Order, "test-finance", lambda objs, user: {
        o.pk: {"paid_amount": Decimal("500.00")} for o in objs})
    try:
        data = api("clerk").get(f"/api/v1/orders/{order.pk}").json()
    finally:
        registries._figures["orders.order"].pop("test-finance")

    assert (data["paid_amount"], data["shipped_amount"]) == ("500.00", "0.00")


def test_warehouse_sees_submitted_orders_without_prices(api, personas):
    order = make_order(personas, submit=True)
    draft = make_order(personas)

    data = api("warehouse").get(f"/api/v1/orders/{order.pk}").json()

    assert data["number"] == order.number
    assert [data[k] for k in ("total", "tax_total", "paid_amount", "shipped_amount", "releasable_amount")] == [None] * 5
    line = data["lines"][0]
    assert [line[k] for k in ("unit_price", "reference_price", "amount", "tax")] == [None] * 4
    assert line["quantity"] == "10"
    assert api("warehouse").get(f"/api/v1/orders/{draft.pk}").status_code == 404
    listed = api("warehouse").get("/api/v1/orders").json()
    assert [(o["id"], o["total"]) for o in listed["items"]] == [(order.pk, None)]


def test_planner_sees_orders_behind_coordination_requests_without_prices(api, personas):
    order = make_order(personas, submit=True)
    other = make_order(personas, submit=True)
    services.request_coordination(actor=personas["clerk"], kind="production", product=order.lines.get().product,
                                  quantity=Decimal("10"), needed_by=date(2026, 12, 10), order=order)

    assert api("planner").get(f"/api/v1/orders/{order.pk}").json()["total"] is None
    assert api("planner").get(f"/api/v1/orders/{other.pk}").status_code == 404


# --- visibility with every persona ------------------------------------------------------------


@pytest.fixture
def spread(personas):
    """A submitted order of each salesperson, one of sales2's with a 30 % share for sales1, and a
    draft of sales3."""
    own = make_order(personas, owner="sales1", submit=True)
    team = make_order(personas, owner="sales3")
    other = make_order(personas, owner="sales2", submit=True)
    customer = CustomerFactory(salesperson=personas["sales2"])
    shared = services.submit_order(actor=personas["clerk"], order=services.create_order(
        actor=personas["clerk"], data=order_input(customer, [(make_product(), "1", None)],
                                                  split=[(personas["sales2"], "0.7"), (personas["sales1"], "0.3")])))
    return {"own": own, "team": team, "other": other, "shared": shared}


VISIBLE = {
    "clerk": {"own", "team", "other", "shared"},
    "gm": {"own", "team", "other", "shared"},
    "finance": {"own", "team", "other", "shared"},
    "sales1": {"own", "shared"},  # own orders and the one where they hold a credit share
    "sales3": {"team"},
    "sales2": {"other", "shared"},
    "manager": {"own", "team", "shared"},  # team A: sales1 and sales3 (sales1 holds a share in shared)
    "warehouse": {"own", "other", "shared"},  # released (submitted) orders only
    "planner": set(),  # no coordination requests yet
}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_order_list_visibility(api, personas, spread, username):
    ids = {o["id"] for o in api(username).get("/api/v1/orders?limit=500").json()["items"]}

    assert ids == {spread[k].pk for k in VISIBLE[username]}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_order_detail_visibility(api, personas, spread, username):
    for key, order in spread.items():
        status = api(username).get(f"/api/v1/orders/{order.pk}").status_code
        assert status == (200 if key in VISIBLE[username] else 404), (username, key)


def test_hr_and_admin_may_not_list_orders(api, personas):
    assert api("hr").get("/api/v1/orders").status_code == 403
    assert api("admin").get("/api/v1/orders").status_code == 403


def test_a_credit_share_holder_sees_but_may_not_cancel(api, personas, spread):
    response = api("sales1").post(f"/api/v1/orders/{spread['shared'].pk}/cancel", {"reason": "x"})

    assert response.status_code == 403
    spread["shared"].refresh_from_db()
    assert spread["shared"].status == "submitted"


# Token (with its user), the user's and the groups' permissions (the role check, cached on the
# user), the user's groups (the visibility scope), count, page (customer, contract and salesperson
# joined in).
ORDER_LIST_QUERIES = 6


def test_order_list_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas):
    client = api("clerk")
    for _ in range(3):
        make_order(personas, submit=True)
    client.get("/api/v1/orders")
    with query_budget(ORDER_LIST_QUERIES):
        assert len(client.get("/api/v1/orders").json()["items"]) == 3
    for owner in ("sales2", "sales3") * 5:
        make_order(personas, owner=owner)
    with query_budget(ORDER_LIST_QUERIES):
        assert len(client.get("/api/v1/orders").json()["items"]) == 13


def test_order_list_filters(api, personas):
    product = make_product()
    contract = make_contract(personas, lines=[(product, "100", "1130.00")])
    under = make_order(personas, customer=contract.customer, contract=contract, lines=[(product, "1", None)])
    other = make_order(personas, owner="sales2", submit=True)

    def ids(query):
        return [o["id"] for o in api("clerk").get(f"/api/v1/orders?{query}").json()["items"]]

    assert ids(f"contract_id={contract.pk}") == [under.pk]
    assert ids(f"salesperson_id={personas['sales2'].pk}") == [other.pk]
    assert ids("status=submitted") == [other.pk]
    assert ids(f"customer_id={under.customer_id}") == [under.pk]
    assert ids(f"q={other.number}") == [other.pk]
    assert ids("date_from=2026-11-21") == []
    assert api("clerk").get("/api/v1/orders?status=nonsense").status_code == 422


# --- coordination -----------------------------------------------------------------------------


def test_coordination_request_and_reply_through_the_api(api, personas):
    order = make_order(personas, submit=True)
    product = order.lines.get().product

    created = api("sales1").post("/api/v1/coordination", {"kind": "production", "order_id": order.pk,
                                                          "product_id": product.pk, "quantity": "10",
                                                          "needed_by": "2026-12-10"})
    assert created.status_code == 201, created.content
    req = created.json()
    assert (req["status"], req["order_number"], req["customer_id"]) == ("requested", order.number, order.customer_id)

    reply = api("planner").post(f"/api/v1/coordination/{req['id']}/reply", {
        "status": "confirmed", "promised_on": "2026-12-08", "note": "第49周排产"})
    assert reply.status_code == 200, reply.content
    assert (reply.json()["status"], reply.json()["promised_on"]) == ("confirmed", "2026-12-08")
    assert api("clerk").get(f"/api/v1/orders/{order.pk}").json()["promised_delivery_on"] == "2026-12-08"
    assert api("planner").get(f"/api/v1/coordination/{req['id']}/history").json()["count"] == 2
    assert [r["id"] for r in api("planner").get("/api/v1/coordination?open=false").json()["items"]] == [req["id"]]


def test_coordination_rules_in_the_api(api, personas):
    order = make_order(personas, submit=True)
    product = order.lines.get().product
    payload = {"kind": "supply", "order_id": order.pk, "product_id": product.pk, "quantity": "1",
               "needed_by": "2026-12-10"}

    assert api("planner").post("/api/v1/coordination", payload).status_code == 403
    assert api("sales2").post("/api/v1/coordination", payload).status_code == 404
    assert api("clerk").post("/api/v1/coordination", {**payload, "order_id": None}).status_code == 422
    assert not CoordinationRequest.objects.exists()
    req = api("clerk").post("/api/v1/coordination", payload).json()
    assert api("sales1").post(f"/api/v1/coordination/{req['id']}/reply", {"status": "cannot"}).status_code == 403
    assert api("clerk").post(f"/api/v1/coordination/{req['id']}/reply", {"status": "confirmed"}).status_code == 422
    assert api("warehouse").get(f"/api/v1/coordination/{req['id']}").status_code == 403
    assert api("sales2").get(f"/api/v1/coordination/{req['id']}").status_code == 404


def test_the_history_shows_no_amounts_to_the_warehouse(api, personas):
    order = make_order(personas, submit=True)

    items = api("warehouse").get(f"/api/v1/orders/{order.pk}/history").json()["items"]

    assert items and all("total" not in i["changes"] and "tax_total" not in i["changes"] for i in items)
    assert "status" in items[0]["changes"]
    assert "total" in api("clerk").get(f"/api/v1/orders/{order.pk}/history").json()["items"][-1]["changes"]


# Token (with its user), permissions, groups, count, page (orders, contracts, customers, product
# and replier joined in).
COORDINATION_LIST_QUERIES = 6


def test_coordination_list_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas):
    client = api("planner")

    def add(n):
        for _ in range(n):
            order = make_order(personas, submit=True)
            services.request_coordination(actor=personas["clerk"], kind="production", product=order.lines.get().product,
                                          quantity=Decimal(1), needed_by=date(2026, 12, 1), order=order)

    add(2)
    client.get("/api/v1/coordination")
    with query_budget(COORDINATION_LIST_QUERIES):
        assert client.get("/api/v1/coordination").json()["count"] == 2
    add(8)
    contract = make_contract(personas)
    services.request_coordination(actor=personas["clerk"], kind="supply", product=contract.lines.get().product,
                                  quantity=Decimal(1), needed_by=date(2026, 12, 1), contract=contract)
    with query_budget(COORDINATION_LIST_QUERIES):
        assert len(client.get("/api/v1/coordination").json()["items"]) == 11
