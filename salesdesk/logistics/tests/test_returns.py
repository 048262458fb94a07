"""Returns (退货): the quantity rule (shipped on the line less earlier returns), the valuation at the
shipment's prices, the ``returned`` facts per credit share, the locked month, who may record them,
the API (prices hidden from the warehouse, 404 for other people's returns) and the pages (the form
from a shipment, the list and detail with pinned query counts, the tab on the shipment page)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import lock_period, month_of
from salesdesk.logistics import returns, services
from salesdesk.logistics.models import SalesReturn, SalesReturnLine, Shipment
from salesdesk.orders.models import CreditShare

from .factories import customer, paid, product, submitted_order

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def dispatched(personas, lines=((3, "100.00"),), *, owner="sales1", dispatch=True):
    """A paid order of ``lines`` [(quantity, unit price)] shipped in full; the shipment (dispatched)."""
    cust = customer(personas, owner)
    prods = [product(price) for _qty, price in lines]
    order = submitted_order(personas, cust, [(p, q, price) for p, (q, price) in zip(prods, lines, strict=True)],
                            owner=owner)
    paid(personas, cust, str(order.total), order=order)
    shipment = services.create_shipment(actor=personas["clerk"], order=order, lines=[
        services.LineRequest(p.pk, Decimal(q)) for p, (q, _price) in zip(prods, lines, strict=True)])
    if dispatch:
        shipment = services.dispatch(actor=personas["clerk"], shipment=shipment)
    return shipment


def line_of(shipment, index=0):
    return shipment.lines.order_by("id")[index]


def give_back(personas, shipment, qty, *, index=0, by="clerk", on=None, reason="包装破损"):
    return returns.create_return(
        actor=personas[by], shipment=shipment,
        lines=[returns.ReturnLineRequest(line_of(shipment, index).pk, Decimal(qty))],
        returned_on=on or TODAY(), reason=reason)


# --- quantities and value ---------------------------------------------------------------------------


def test_a_partial_return_is_valued_at_quantity_times_the_unit_price_rounded_half_up(personas):
    shipment = dispatched(personas, ((3, "10.005"),))  # the line: 30.02 (30.015 half-up)

    r = give_back(personas, shipment, 1)

    assert (r.amount, r.tax) == (Decimal("10.01"), Decimal("1.15"))  # 10.005 → 10.01; 13 % inside: 1.15
    assert r.number.startswith("TH")


def test_the_last_part_of_a_line_takes_what_is_left_of_its_amount_so_returns_tie_to_the_shipment(personas):
    shipment = dispatched(personas, ((3, "0.3333"),))  # the line: 1.00; one unit: 0.33
    line = line_of(shipment)

    amounts = [give_back(personas, shipment, 1).amount for _ in range(3)]

    assert amounts == [Decimal("0.33"), Decimal("0.33"), Decimal("0.34")]
    assert sum(amounts) == line.amount
    assert sum(r.tax for r in SalesReturnLine.objects.all()) == line.tax


def test_a_whole_line_returned_at_once_is_valued_at_the_line_amount(personas):
    shipment = dispatched(personas, ((2, "50.00"), (1, "80.00")))

    r = give_back(personas, shipment, 1, index=1)

    assert r.amount == line_of(shipment, 1).amount == Decimal("80.00")


def test_more_than_shipped_less_earlier_returns_is_refused_and_writes_nothing(personas):
    shipment = dispatched(personas, ((3, "100.00"),))
    give_back(personas, shipment, 2)

    with pytest.raises(InvalidInput) as refused:
        give_back(personas, shipment, 2)

    assert "lines.0.quantity" in refused.value.errors
    assert SalesReturn.objects.count() == 1
    assert Fact.objects.filter(kind=FactKind.RETURNED).count() == 1


def test_a_line_of_another_shipment_is_refused(personas):
    shipment = dispatched(personas)
    other = dispatched(personas)

    with pytest.raises(InvalidInput):
        returns.create_return(actor=personas["clerk"], shipment=shipment,
                              lines=[returns.ReturnLineRequest(line_of(other).pk, Decimal(1))],
                              returned_on=TODAY(), reason="错发")

    assert not SalesReturn.objects.exists()


def test_goods_not_yet_dispatched_cannot_come_back(personas):
    shipment = dispatched(personas, dispatch=False)

    with pytest.raises(DomainError) as refused:
        give_back(personas, shipment, 1)

    assert refused.value.code == "shipment_not_dispatched"
    assert not SalesReturn.objects.exists()


def test_a_return_dated_in_the_future_is_refused(personas):
    shipment = dispatched(personas)

    with pytest.raises(InvalidInput) as refused:
        give_back(personas, shipment, 1, on=TODAY() + timedelta(days=1))

    assert "returned_on" in refused.value.errors
    assert not SalesReturn.objects.exists()


def test_a_return_dated_in_a_locked_month_is_refused(personas):
    shipment = dispatched(personas)
    last_month = TODAY().replace(day=1) - timedelta(days=1)
    Shipment.objects.filter(pk=shipment.pk).update(dispatched_at=timezone.now() - timedelta(days=60))
    lock_period(actor=personas["finance"], period=month_of(last_month))

    with pytest.raises(DomainError) as refused:
        give_back(personas, shipment, 1, on=last_month)

    assert refused.value.code == "period_locked"
    assert not SalesReturn.objects.exists()
    assert not Fact.objects.filter(kind=FactKind.RETURNED).exists()


def test_a_reason_is_required(personas):
    shipment = dispatched(personas)

    with pytest.raises(InvalidInput) as refused:
        give_back(personas, shipment, 1, reason="  ")

    assert "reason" in refused.value.errors


@pytest.mark.parametrize("username", ["sales1", "manager", "finance", "gm", "planner"])
def test_only_the_clerk_and_the_warehouse_record_returns(personas, username):
    shipment = dispatched(personas)

    with pytest.raises(PermissionDenied):
        give_back(personas, shipment, 1, by=username)

    assert not SalesReturn.objects.exists()


def test_the_warehouse_records_a_return(personas):
    shipment = dispatched(personas)

    assert give_back(personas, shipment, 1, by="warehouse").created_by == personas["warehouse"]


# --- ledger and receivables ---------------------------------------------------------------------------


def test_a_return_writes_negative_returned_facts_per_line_and_credit_share(personas):
    shipment = dispatched(personas, ((10, "10.00"),))
    order = shipment.order
    CreditShare.objects.filter(order=order).delete()
    CreditShare.objects.create(order=order, salesperson=personas["sales1"], team=personas["sales1"].team,
                               share=Decimal("0.7"))
    CreditShare.objects.create(order=order, salesperson=personas["sales3"], team=personas["sales3"].team,
                               share=Decimal("0.3"))

    r = give_back(personas, shipment, 5)

    facts = list(Fact.objects.filter(kind=FactKind.RETURNED).order_by("salesperson_id"))
    assert {(f.salesperson_id, f.amount, f.quantity) for f in facts} == {
        (personas["sales1"].pk, Decimal("-35.00"), Decimal("-3.500")),
        (personas["sales3"].pk, Decimal("-15.00"), Decimal("-1.500")),
    }
    assert {(f.order_id, f.contract_id, f.product_id, f.source_kind, f.source_id, f.business_date) for f in facts} == {
        (order.pk, order.contract_id, line_of(shipment).product_id, "return", r.pk, TODAY())}


def test_a_return_is_a_credit_on_the_orders_receivable(personas):
    from salesdesk.finance.receivables import open_items

    cust = customer(personas, settlement="credit", credit_limit=Decimal("100000"), credit_days=30)
    prod = product("100.00")
    order = submitted_order(personas, cust, [(prod, 10, "100.00")])
    shipment = services.dispatch(actor=personas["clerk"], shipment=services.create_shipment(
        actor=personas["clerk"], order=order, lines=[services.LineRequest(prod.pk, Decimal(10))]))

    give_back(personas, shipment, 3)

    assert [i.open_amount for i in open_items([cust.pk])] == [Decimal("700.00")]


# --- API -------------------------------------------------------------------------------------------


def body(shipment, **extra):
    return {"shipment_id": shipment.pk, "returned_on": TODAY().isoformat(), "reason": "质量问题",
            "lines": [{"product_id": line_of(shipment).product_id, "quantity": "1"}], **extra}


def test_api_records_a_return_by_product_and_reads_it_back(api, personas):
    shipment = dispatched(personas, ((3, "100.00"),))

    created = api("clerk").post("/api/v1/returns", body(shipment))

    assert created.status_code == 201
    data = created.json()
    assert (data["amount"], data["shipment_number"], data["lines"][0]["quantity"]) == ("100.00", shipment.number, "1")
    assert api("finance").get(f"/api/v1/returns/{data['id']}").json()["number"] == data["number"]


def test_api_over_return_is_422_and_writes_nothing(api, personas):
    shipment = dispatched(personas, ((3, "100.00"),))

    refused = api("clerk").post("/api/v1/returns", body(shipment, lines=[
        {"shipment_line_id": line_of(shipment).pk, "quantity": "4"}]))

    assert refused.status_code == 422
    assert "lines.0.quantity" in refused.json()["errors"]
    assert not SalesReturn.objects.exists()


def test_api_line_needs_exactly_one_of_shipment_line_or_product(api, personas):
    shipment = dispatched(personas)

    refused = api("clerk").post("/api/v1/returns", body(shipment, lines=[{"quantity": "1"}]))

    assert refused.status_code == 422
    assert not SalesReturn.objects.exists()


def test_api_salesperson_may_not_record_a_return_even_with_a_bad_body(api, personas):
    assert api("sales1").post("/api/v1/returns", {"nonsense": True}).status_code == 403


def test_api_hides_amounts_from_the_warehouse(api, personas):
    shipment = dispatched(personas)
    r = give_back(personas, shipment, 1)

    seen = api("warehouse").get(f"/api/v1/returns/{r.pk}").json()

    assert seen["amount"] is None and seen["lines"][0]["amount"] is None


def test_api_another_teams_return_is_404_for_a_salesperson(api, personas):
    r = give_back(personas, dispatched(personas, owner="sales2"), 1)

    assert api("sales1").get(f"/api/v1/returns/{r.pk}").status_code == 404
    assert api("sales2").get(f"/api/v1/returns/{r.pk}").status_code == 200


API_LIST_QUERIES = 7  # token, permissions ×2, roles, the page of returns, their lines, the count


def test_api_list_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas):
    client = api("finance")
    client.get("/api/v1/returns")  # the token's first use writes its last-used time
    give_back(personas, dispatched(personas), 1)
    with query_budget(API_LIST_QUERIES):
        client.get("/api/v1/returns")
    for _ in range(3):
        give_back(personas, dispatched(personas, ((2, "5.00"), (2, "7.00"))), 1)

    with query_budget(API_LIST_QUERIES):
        listed = client.get("/api/v1/returns?limit=10")

    assert listed.json()["count"] == 4


# --- pages -----------------------------------------------------------------------------------------


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

    beat()


def test_the_return_form_records_a_return_from_the_shipment(personas, login):
    shipment = dispatched(personas, ((3, "100.00"),))
    line = line_of(shipment)
    client = login("clerk")

    assert client.get(f"/logistics/returns/new/?shipment={shipment.pk}").status_code == 200
    response = client.post("/logistics/returns/new/", {
        "shipment": shipment.pk, f"qty_{line.pk}": "2", "returned_on": TODAY().isoformat(), "reason": "型号错误"})

    r = SalesReturn.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/logistics/returns/{r.pk}/"
    assert r.amount == Decimal("200.00")


def test_the_return_form_shows_an_over_return_on_the_line_and_writes_nothing(personas, login):
    shipment = dispatched(personas, ((3, "100.00"),))
    line = line_of(shipment)

    response = login("clerk").post("/logistics/returns/new/", {
        "shipment": shipment.pk, f"qty_{line.pk}": "5", "returned_on": TODAY().isoformat(), "reason": "型号错误"})

    assert response.status_code == 422
    assert "超出可退数量" in response.content.decode()
    assert not SalesReturn.objects.exists()


def test_the_shipment_page_has_a_returns_tab_with_the_link_to_record_one(personas, login):
    shipment = dispatched(personas)
    give_back(personas, shipment, 1)
    client = login("clerk")

    page = client.get(f"/logistics/shipments/{shipment.pk}/").content.decode()
    tab = client.get(f"/logistics/shipments/{shipment.pk}/?tab=panel-returns", HTTP_HX_REQUEST="true")

    assert "panel-returns" in page
    assert f"/logistics/returns/new/?shipment={shipment.pk}" in tab.content.decode()


def test_the_return_detail_hides_amounts_from_the_warehouse(personas, login):
    r = give_back(personas, dispatched(personas), 1)

    shown = login("warehouse").get(f"/logistics/returns/{r.pk}/").content.decode()

    assert 'id="return-amount"' not in shown
    assert r.number in shown


LIST_QUERIES = 9


def test_the_return_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login, warm_worker):
    client = login("clerk")
    give_back(personas, dispatched(personas), 1)
    client.get("/logistics/returns/")
    with query_budget(LIST_QUERIES):
        client.get("/logistics/returns/")
    for _ in range(4):
        give_back(personas, dispatched(personas), 1)

    with query_budget(LIST_QUERIES):
        assert client.get("/logistics/returns/").status_code == 200


def test_the_return_list_exports_the_filtered_rows_to_excel(personas, login):
    give_back(personas, dispatched(personas), 1)
    give_back(personas, dispatched(personas, owner="sales2"), 1)

    response = login("finance").get("/logistics/returns/?export=xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row >= 3  # title/header rows + the two returns
    assert any(cell.value == Decimal("100.00") or cell.value == 100 for row in sheet.iter_rows() for cell in row)


DETAIL_QUERIES = 9


def test_the_return_detail_runs_a_fixed_number_of_queries_whatever_the_lines(personas, login, warm_worker):
    client = login("clerk")
    small = give_back(personas, dispatched(personas), 1)
    shipment = dispatched(personas, ((2, "5.00"), (2, "6.00"), (2, "7.00")))
    big = returns.create_return(actor=personas["clerk"], shipment=shipment, lines=[
        returns.ReturnLineRequest(line.pk, Decimal(1)) for line in shipment.lines.all()],
        returned_on=TODAY(), reason="批量退货")
    client.get(f"/logistics/returns/{small.pk}/")
    with query_budget(DETAIL_QUERIES):
        client.get(f"/logistics/returns/{small.pk}/")

    with query_budget(DETAIL_QUERIES):
        assert client.get(f"/logistics/returns/{big.pk}/").status_code == 200


def test_a_return_date_before_dispatch_is_refused(personas):
    shipment = dispatched(personas)

    with pytest.raises(InvalidInput):
        give_back(personas, shipment, 1, on=date(2000, 1, 1))


def test_api_a_return_dated_in_a_locked_month_is_409_and_writes_nothing(api, personas):
    shipment = dispatched(personas)
    last_month = TODAY().replace(day=1) - timedelta(days=1)
    Shipment.objects.filter(pk=shipment.pk).update(dispatched_at=timezone.now() - timedelta(days=60))
    lock_period(actor=personas["finance"], period=month_of(last_month))

    refused = api("clerk").post("/api/v1/returns", body(shipment, returned_on=last_month.isoformat()))

    assert refused.status_code == 409 and refused.json()["code"] == "period_locked"
    assert not SalesReturn.objects.exists()
