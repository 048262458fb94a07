"""The receivable pages and API: aging (as-of date, salesperson filter, basis, Excel), open items,
the overdue list per salesperson, the AR ledger of a customer and of a contract, collection notes,
the tabs on the customer and contract pages — each with its visibility and a pinned query count
that does not grow with the rows."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from salesdesk.contracts.models import Contract
from salesdesk.core.jobs import beat
from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance.models import CollectionNote

from .factories import order, payment
from .test_receivables import credit_customer, ship

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def _book(personas, owner="sales1", *, n=2, past_due=40, amount="1000.00"):
    """A customer of ``owner`` with ``n`` receivables, ``past_due`` days past due (30-day terms)."""
    cust = credit_customer(personas, owner, days=30)
    o = order(personas, cust, "900000.00", owner=owner)
    rows = [ship(personas, o, amount, TODAY - timedelta(days=30 + past_due + i)) for i in range(n)]
    return cust, o, rows


def _contract(personas, cust, owner="sales1") -> Contract:
    return Contract.objects.create(number=f"HT-R{cust.pk}", customer=cust, salesperson=personas[owner],
                                   signed_on=date(2026, 1, 1), starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                                   created_by=personas["clerk"])


# --- aging --------------------------------------------------------------------------------------------


def test_the_aging_page_shows_each_customer_in_its_buckets_with_totals(personas, login):
    cust, _, _ = _book(personas, "sales1", n=1, past_due=45)
    html = login("clerk").get("/finance/receivables/aging/").content.decode()
    assert cust.name in html and "逾期31–60天" in html
    totals = html.split('id="aging-totals"')[1].split("</tr>")[0]
    assert totals.count(">1000.00<") == 3  # total, overdue and the 31–60 bucket


def test_a_salesperson_sees_only_their_own_customers_in_the_aging(personas, login):
    own, _, _ = _book(personas, "sales1", n=1)
    other, _, _ = _book(personas, "sales2", n=1)
    html = login("sales1").get("/finance/receivables/aging/").content.decode()
    assert own.name in html and other.name not in html


def test_the_aging_honours_the_as_of_day_and_the_salesperson_filter(personas, login):
    early, _, _ = _book(personas, "sales1", n=1, past_due=10)
    team_mate, _, _ = _book(personas, "sales3", n=1, past_due=200)
    client = login("manager")

    before = client.get(f"/finance/receivables/aging/?as_of={(TODAY - timedelta(days=60)).isoformat()}").content.decode()
    assert early.name not in before and team_mate.name in before  # shipped after the day: not counted yet

    only_sales1 = client.get(f"/finance/receivables/aging/?salesperson={personas['sales1'].pk}").content.decode()
    assert early.name in only_sales1 and team_mate.name not in only_sales1


def test_the_aging_by_days_since_shipment(personas, login):
    _book(personas, "sales1", n=1, past_due=10)  # shipped 40 days ago
    html = login("clerk").get("/finance/receivables/aging/?basis=shipment").content.decode()
    head = html.split('id="aging-table"')[1].split("</thead>")[0]
    assert "31–60天" in head and "逾期31–60天" not in head and "未到期" not in head


def test_the_aging_exports_to_excel_and_the_export_is_logged(personas, login):
    cust, _, _ = _book(personas, "sales1", n=2, past_due=45)
    response = login("finance").get("/finance/receivables/aging/?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[1][:5] == ("客户编号", "客户", "业务员", "未收合计", "逾期合计")
    assert values[2][0] == cust.code and values[2][3] == 2000.0
    log = ExportLog.objects.get()
    assert (log.what, log.rows, log.user.username) == ("finance.receivables_aging", 1, "finance")


def test_a_salesperson_may_not_export_the_aging(personas, login):
    _book(personas, "sales1", n=1)
    assert login("sales1").get("/finance/receivables/aging/?export=xlsx").status_code == 403
    assert not ExportLog.objects.exists()


AGING_QUERIES = 14


def test_the_aging_page_runs_a_pinned_number_of_queries(personas, login):
    beat()
    _book(personas, "sales1", n=2)
    client = login("clerk")
    client.get("/finance/receivables/aging/")
    with query_budget(AGING_QUERIES):
        client.get("/finance/receivables/aging/")
    for owner in ("sales1", "sales2", "sales3"):
        _book(personas, owner, n=3)
    with query_budget(AGING_QUERIES):
        assert client.get("/finance/receivables/aging/").status_code == 200


# --- open items and the overdue list --------------------------------------------------------------------


def test_the_open_items_filter_overdue_ones_in_the_htmx_partial(personas, login):
    _, o, (late,) = _book(personas, "sales1", n=1, past_due=5)
    current = ship(personas, o, "777.00", TODAY)
    html = login("clerk").get("/finance/receivables/?status=overdue", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and late.number in html and current.number not in html


def test_a_salesperson_sees_only_their_open_items(personas, login):
    _, _, (own,) = _book(personas, "sales1", n=1)
    _, _, (other,) = _book(personas, "sales2", n=1)
    html = login("sales1").get("/finance/receivables/").content.decode()
    assert own.number in html and other.number not in html


ITEMS_QUERIES = 14


def test_the_open_items_page_runs_a_pinned_number_of_queries(personas, login):
    beat()
    _book(personas, "sales1", n=2)
    client = login("clerk")
    client.get("/finance/receivables/")
    with query_budget(ITEMS_QUERIES):
        client.get("/finance/receivables/")
    for owner in ("sales1", "sales2", "sales3"):
        _book(personas, owner, n=3)
    with query_budget(ITEMS_QUERIES):
        assert client.get("/finance/receivables/").status_code == 200


def test_the_overdue_list_groups_by_salesperson(personas, login):
    _, _, (a,) = _book(personas, "sales1", n=1, past_due=3)
    _, _, (b, _) = _book(personas, "sales3", n=2, past_due=90)
    _, _, (c,) = _book(personas, "sales2", n=1, past_due=10)
    html = login("manager").get("/finance/receivables/overdue/").content.decode()
    assert a.number in html and b.number in html and c.number not in html
    first, second = (f'data-salesperson="{personas[u].display_name}"' for u in ("sales3", "sales1"))
    assert html.index(first) < html.index(second)  # the bigger overdue total first


OVERDUE_QUERIES = 15


def test_the_overdue_list_runs_a_pinned_number_of_queries(personas, login):
    beat()
    _book(personas, "sales1", n=2)
    client = login("clerk")
    client.get("/finance/receivables/overdue/")
    with query_budget(OVERDUE_QUERIES):
        client.get("/finance/receivables/overdue/")
    for owner in ("sales1", "sales2", "sales3"):
        _book(personas, owner, n=3)
    with query_budget(OVERDUE_QUERIES):
        assert client.get("/finance/receivables/overdue/").status_code == 200


# --- the AR ledger of a customer and of a contract ---------------------------------------------------------


def test_the_customer_ledger_lists_settled_and_open_receivables_with_the_balance(personas, login):
    cust, o, (first, second) = _book(personas, "sales1", n=2, past_due=10)
    payment(personas, cust, "1500.00", order=o, confirm=True)
    payment(personas, cust, "200.00", confirm=True)
    html = login("sales1").get(f"/finance/receivables/customers/{cust.pk}/").content.decode()
    assert first.number in html and second.number in html
    assert 'id="ar-open">¥500.00' in html and 'id="ar-advance">¥200.00' in html and 'id="ar-balance">¥300.00' in html


def test_another_salespersons_customer_ledger_is_not_found(personas, login):
    cust, _, _ = _book(personas, "sales2", n=1)
    assert login("sales1").get(f"/finance/receivables/customers/{cust.pk}/").status_code == 404


LEDGER_QUERIES = 14


def test_the_customer_ledger_runs_a_pinned_number_of_queries(personas, login):
    beat()
    cust, o, _ = _book(personas, "sales1", n=2)
    client = login("clerk")
    url = f"/finance/receivables/customers/{cust.pk}/"
    client.get(url)
    with query_budget(LEDGER_QUERIES):
        client.get(url)
    for i in range(4):
        ship(personas, o, "10.00", TODAY - timedelta(days=i))
    CollectionNote.objects.create(customer=cust, contacted_on=TODAY, channel="phone", result="x", by=personas["clerk"])
    with query_budget(LEDGER_QUERIES):
        assert client.get(url).status_code == 200


def test_the_contract_ledger_shows_the_receivables_of_its_orders(personas, login):
    cust = credit_customer(personas, "sales1", days=30)
    contract = _contract(personas, cust)
    under, outside = order(personas, cust, "9000.00"), order(personas, cust, "9000.00")
    under.contract = contract
    under.save()
    inside = ship(personas, under, "321.00", TODAY)
    elsewhere = ship(personas, outside, "654.00", TODAY)
    html = login("clerk").get(f"/finance/receivables/contracts/{contract.pk}/").content.decode()
    assert inside.number in html and elsewhere.number not in html


# --- tabs on the customer and contract pages -----------------------------------------------------------


def test_the_customer_page_has_a_receivables_tab(personas, login):
    cust, _, (r, _) = _book(personas, "sales1", n=2)
    html = login("sales1").get(f"/customers/{cust.pk}/?tab=panel-receivables", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="customer-receivables"' in html and r.number in html


def test_the_contract_page_has_a_receivables_tab(personas, login):
    cust = credit_customer(personas, "sales1", days=30)
    contract = _contract(personas, cust)
    o = order(personas, cust, "9000.00")
    o.contract = contract
    o.save()
    r = ship(personas, o, "321.00", TODAY)
    html = login("clerk").get(f"/contracts/{contract.pk}/?tab=panel-receivables",
                              HTTP_HX_REQUEST="true").content.decode()
    assert 'id="contract-receivables"' in html and r.number in html


def test_the_warehouse_sees_no_receivables_tab(personas, login):
    cust, _, _ = _book(personas, "sales1", n=1)
    response = login("warehouse").get(f"/customers/{cust.pk}/?tab=panel-receivables")
    assert 'customer-receivables' not in response.content.decode()


# --- collection notes ---------------------------------------------------------------------------------------


def test_a_salesperson_records_a_collection_note_on_the_page(personas, login):
    cust, _, (r, _) = _book(personas, "sales1", n=2)
    client = login("sales1")
    assert r.number in client.get(f"/finance/receivables/collections/new/?customer={cust.pk}").content.decode()
    response = client.post(f"/finance/receivables/collections/new/?customer={cust.pk}", {
        "customer": cust.pk, "contacted_on": TODAY.isoformat(), "channel": "phone", "contact_name": "王会计",
        "receivable": r.pk, "promised_on": (TODAY + timedelta(days=3)).isoformat(), "promised_amount": "1000.00",
        "result": "答应周五付款"})
    assert response.status_code == 302 and response["Location"] == f"/finance/receivables/customers/{cust.pk}/"
    note = CollectionNote.objects.get()
    assert (note.receivable_id, note.promised_amount, note.by.username) == (r.pk, D("1000.00"), "sales1")


def test_a_collection_note_without_a_result_writes_nothing(personas, login):
    cust, _, _ = _book(personas, "sales1", n=1)
    response = login("clerk").post(f"/finance/receivables/collections/new/?customer={cust.pk}", {
        "customer": cust.pk, "contacted_on": TODAY.isoformat(), "channel": "phone", "result": ""})
    assert response.status_code == 200
    assert not CollectionNote.objects.exists()


def test_collecting_from_another_salespersons_customer_is_not_found(personas, login):
    cust, _, _ = _book(personas, "sales2", n=1)
    response = login("sales1").post(f"/finance/receivables/collections/new/?customer={cust.pk}", {
        "customer": cust.pk, "contacted_on": TODAY.isoformat(), "channel": "phone", "result": "x"})
    assert response.status_code == 404
    assert not CollectionNote.objects.exists()


COLLECTIONS_QUERIES = 9


def test_the_collection_list_runs_a_pinned_number_of_queries(personas, login):
    beat()
    cust, _, (r, _) = _book(personas, "sales1", n=2)
    CollectionNote.objects.create(customer=cust, receivable=r, contacted_on=TODAY, channel="phone", result="x",
                                  by=personas["sales1"])
    client = login("clerk")
    client.get("/finance/receivables/collections/")
    with query_budget(COLLECTIONS_QUERIES):
        client.get("/finance/receivables/collections/")
    for i in range(5):
        CollectionNote.objects.create(customer=cust, receivable=r, contacted_on=TODAY, channel="visit",
                                      result=f"第{i}次", by=personas["clerk"])
    with query_budget(COLLECTIONS_QUERIES):
        assert client.get("/finance/receivables/collections/").status_code == 200


# --- API ------------------------------------------------------------------------------------------------------


def test_the_aging_endpoint_answers_the_contract_shape(personas, api):
    cust, _, _ = _book(personas, "sales1", n=2, past_due=31)
    payment(personas, cust, "300.00", confirm=True)
    body = api("clerk").get("/api/v1/receivables/aging").json()
    assert body["as_of"] == TODAY.isoformat()
    assert body["buckets"] == ["not_due", "1-30", "31-60", "61-90", "91-180", "181-365", ">365"]
    row = next(r for r in body["rows"] if r["customer_id"] == cust.pk)
    assert (row["customer"], row["total"], row["overdue"]) == (cust.name, "2000.00", "2000.00")
    assert row["by_bucket"] == {"not_due": "0.00", "1-30": "0.00", "31-60": "2000.00", "61-90": "0.00",
                                "91-180": "0.00", "181-365": "0.00", ">365": "0.00"}
    assert body["totals"]["by_bucket"]["31-60"] == "2000.00" and body["totals"]["overdue"] == "2000.00"


def test_the_aging_endpoint_honours_as_of_and_salesperson(personas, api):
    own, _, _ = _book(personas, "sales1", n=1, past_due=1)
    mate, _, _ = _book(personas, "sales3", n=1, past_due=1)
    client = api("manager")
    rows = client.get(f"/api/v1/receivables/aging?salesperson_id={personas['sales3'].pk}").json()["rows"]
    assert [r["customer_id"] for r in rows] == [mate.pk]
    day = (TODAY - timedelta(days=1)).isoformat()
    row = next(r for r in client.get(f"/api/v1/receivables/aging?as_of={day}").json()["rows"] if r["customer_id"] == own.pk)
    assert row["by_bucket"]["not_due"] == "1000.00" and row["overdue"] == "0.00"  # due that day


def test_the_aging_endpoint_shows_a_salesperson_their_own_customers_and_refuses_the_warehouse(personas, api):
    own, _, _ = _book(personas, "sales1", n=1)
    other, _, _ = _book(personas, "sales2", n=1)
    ids = [r["customer_id"] for r in api("sales1").get("/api/v1/receivables/aging").json()["rows"]]
    assert own.pk in ids and other.pk not in ids
    assert api("warehouse").get("/api/v1/receivables/aging").status_code == 403


def test_an_absurd_as_of_is_invalid_input(personas, api):
    assert api("clerk").get("/api/v1/receivables/aging?as_of=9999-12-31").status_code == 422


def test_the_receivables_endpoint_lists_open_items_by_customer_order_and_overdue(personas, api):
    cust, o, (late,) = _book(personas, "sales1", n=1, past_due=5)
    current = ship(personas, o, "50.00", TODAY)
    client = api("clerk")
    body = client.get(f"/api/v1/receivables?customer_id={cust.pk}").json()
    assert body["count"] == 2
    assert {i["number"]: i["open_amount"] for i in body["items"]} == {late.number: "1000.00", current.number: "50.00"}
    overdue = client.get(f"/api/v1/receivables?order_id={o.pk}&overdue=true").json()["items"]
    assert [(i["id"], i["days_past_due"], i["bucket"]) for i in overdue] == [(late.pk, 5, "1-30")]


def test_the_receivables_endpoint_hides_other_salespeoples_customers(personas, api):
    cust, _, _ = _book(personas, "sales2", n=1)
    assert api("sales1").get(f"/api/v1/receivables?customer_id={cust.pk}").status_code == 404
    assert api("sales1").get("/api/v1/receivables").json()["count"] == 0


def test_the_customer_receivables_endpoint_is_the_ar_ledger(personas, api):
    cust, o, (first, second) = _book(personas, "sales1", n=2, past_due=10)
    payment(personas, cust, "1200.00", order=o, confirm=True)
    body = api("sales1").get(f"/api/v1/customers/{cust.pk}/receivables").json()
    assert (body["receivable_amount"], body["open_amount"], body["advance"], body["balance"]) == (
        "2000.00", "800.00", "0.00", "800.00")
    assert [(i["number"], i["settled"], i["open_amount"]) for i in body["items"]] == [
        (second.number, "1000.00", "0.00"), (first.number, "200.00", "800.00")]


def test_collection_notes_through_the_api(personas, api):
    cust, _, (r,) = _book(personas, "sales1", n=1)
    client = api("sales1")
    created = client.post("/api/v1/collections", {
        "customer_id": cust.pk, "receivable_id": r.pk, "contacted_on": TODAY.isoformat(), "channel": "wechat",
        "promised_on": TODAY.isoformat(), "promised_amount": "1000.00", "result": "今天转账"})
    assert created.status_code == 201
    assert created.json()["promised_amount"] == "1000.00" and created.json()["by"] == personas["sales1"].display_name
    listed = client.get(f"/api/v1/collections?customer_id={cust.pk}").json()
    assert listed["count"] == 1 and listed["items"][0]["channel"] == "wechat"


def test_a_collection_note_on_a_customer_one_may_not_see_is_not_found_and_writes_nothing(personas, api):
    cust, _, _ = _book(personas, "sales2", n=1)
    response = api("sales1").post("/api/v1/collections", {
        "customer_id": cust.pk, "contacted_on": TODAY.isoformat(), "channel": "phone", "result": "x"})
    assert response.status_code == 404
    assert not CollectionNote.objects.exists()


def test_a_future_contact_day_is_refused_by_the_api_and_writes_nothing(personas, api):
    cust, _, _ = _book(personas, "sales1", n=1)
    response = api("clerk").post("/api/v1/collections", {
        "customer_id": cust.pk, "contacted_on": (TODAY + timedelta(days=1)).isoformat(), "channel": "phone",
        "result": "x"})
    assert response.status_code == 422 and "contacted_on" in response.json()["errors"]
    assert not CollectionNote.objects.exists()


API_QUERIES = {"/api/v1/receivables/aging": 10, "/api/v1/receivables": 10, "/api/v1/collections": 6}


@pytest.mark.parametrize("path", list(API_QUERIES))
def test_the_receivable_endpoints_run_a_pinned_number_of_queries(personas, api, path):
    cust, _, (r, _) = _book(personas, "sales1", n=2)
    CollectionNote.objects.create(customer=cust, receivable=r, contacted_on=TODAY, channel="phone", result="x",
                                  by=personas["sales1"])
    client = api("sales1")
    client.get(path)
    with query_budget(API_QUERIES[path]):
        client.get(path)
    for _ in range(3):
        more, _, (m, _) = _book(personas, "sales1", n=2)
        CollectionNote.objects.create(customer=more, receivable=m, contacted_on=TODAY, channel="phone", result="y",
                                      by=personas["sales1"])
    with query_budget(API_QUERIES[path]):
        assert client.get(path).status_code == 200


CUSTOMER_LEDGER_API_QUERIES = 10


def test_the_customer_ledger_endpoint_runs_a_pinned_number_of_queries(personas, api):
    cust, o, _ = _book(personas, "sales1", n=2)
    client = api("clerk")
    path = f"/api/v1/customers/{cust.pk}/receivables"
    client.get(path)
    with query_budget(CUSTOMER_LEDGER_API_QUERIES):
        client.get(path)
    for i in range(4):
        ship(personas, o, "10.00", TODAY - timedelta(days=i))
    with query_budget(CUSTOMER_LEDGER_API_QUERIES):
        assert client.get(path).status_code == 200
