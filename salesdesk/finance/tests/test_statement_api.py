"""The statement API: ``GET /customers/{id}/statement`` exactly as API.md, the Statement documents
(issue, list with its pinned query count, get, send, confirm with a multipart scan, dispute) and
the refusals in API.md's order."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesdesk.core.models import OutboxMessage
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance import statements
from salesdesk.finance.models import Statement

from .factories import PNG
from .statement_factories import give_back, history_customer, lock, pay, ship

pytestmark = pytest.mark.django_db

OCT = "start=2026-10-01&end=2026-10-31"
PERIOD = {"start": "2026-10-01", "end": "2026-10-31"}


def _customer(personas, owner="sales1"):
    cust = history_customer(personas, owner)
    ship(cust, "5000.00", date(2026, 9, 10), number="FH20260910-0001")
    ship(cust, "8000.00", date(2026, 10, 9), number="FH20261009-0001")
    lock("2026-09")
    pay(personas, cust, "3000.00", date(2026, 9, 30))  # booked on Oct 1
    give_back(cust, "800.00", date(2026, 10, 15))
    return cust


def test_the_customer_statement_has_the_shape_of_api_md(personas, api):
    cust = _customer(personas)

    body = api("clerk").get(f"/api/v1/customers/{cust.pk}/statement?{OCT}").json()

    assert {"opening_balance", "entries", "closing_balance", "status"} <= set(body)
    assert (body["opening_balance"], body["closing_balance"], body["status"]) == ("5000.00", "9200.00", "none")
    late, shipped, returned = body["entries"]
    assert late == {"date": "2026-10-01", "business_date": "2026-09-30", "kind": "received", "label": "回款",
                    "number": late["number"], "debit": "0.00", "credit": "3000.00", "balance": "2000.00"}
    assert {k: shipped[k] for k in ("date", "kind", "number", "debit", "credit", "balance")} == {
        "date": "2026-10-09", "kind": "shipped", "number": "FH20261009-0001", "debit": "8000.00", "credit": "0.00",
        "balance": "10000.00"}
    assert "business_date" not in shipped  # only where it differs from the accounting date
    assert (returned["kind"], returned["credit"], returned["balance"]) == ("returned", "800.00", "9200.00")


def test_the_status_is_that_of_the_latest_statement_of_exactly_that_period(personas, api):
    cust = _customer(personas)
    s = statements.issue_statement(actor=personas["clerk"], customer=cust, start=date(2026, 10, 1),
                                   end=date(2026, 10, 31))
    statements.send_statement(actor=personas["clerk"], statement=s)

    october = api("sales1").get(f"/api/v1/customers/{cust.pk}/statement?{OCT}").json()
    other = api("sales1").get(f"/api/v1/customers/{cust.pk}/statement?start=2026-10-01&end=2026-10-30").json()

    assert (october["status"], other["status"]) == ("sent", "none")


def test_the_closing_of_one_month_is_the_opening_of_the_next(personas, api):
    cust = _customer(personas)

    september = api("clerk").get(f"/api/v1/customers/{cust.pk}/statement?start=2026-09-01&end=2026-09-30").json()
    october = api("clerk").get(f"/api/v1/customers/{cust.pk}/statement?{OCT}").json()

    assert september["closing_balance"] == october["opening_balance"] == "5000.00"


def test_another_teams_salesperson_gets_404_for_the_customer_statement(personas, api):
    cust = _customer(personas)

    assert api("sales2").get(f"/api/v1/customers/{cust.pk}/statement?{OCT}").status_code == 404


def test_the_warehouse_gets_403_for_the_customer_statement(personas, api):
    cust = _customer(personas)

    assert api("warehouse").get(f"/api/v1/customers/{cust.pk}/statement?{OCT}").status_code == 403


def test_a_period_without_an_end_is_invalid(personas, api):
    cust = _customer(personas)

    response = api("clerk").get(f"/api/v1/customers/{cust.pk}/statement?start=2026-10-01")

    assert response.status_code == 422 and "end" in response.json()["errors"]


def test_a_reversed_period_is_invalid(personas, api):
    cust = _customer(personas)

    response = api("clerk").get(f"/api/v1/customers/{cust.pk}/statement?start=2026-10-31&end=2026-10-01")

    assert response.status_code == 422


# --- documents -----------------------------------------------------------------------------------------


def test_issuing_answers_201_with_the_figures_and_lines(personas, api):
    cust = _customer(personas)

    response = api("finance").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD})

    body = response.json()
    assert response.status_code == 201 and body["number"].startswith("DZ") and body["status"] == "draft"
    assert (body["opening_balance"], body["debits"], body["credits"], body["closing_balance"]) == (
        "5000.00", "8000.00", "3800.00", "9200.00")
    assert len(body["entries"]) == 3 and body["outdated"] is False


def test_a_salesperson_gets_403_issuing_and_nothing_is_written(personas, api):
    cust = _customer(personas)

    response = api("sales1").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD})

    assert response.status_code == 403 and Statement.objects.count() == 0


def test_issuing_for_an_unknown_customer_is_404(personas, api):
    response = api("clerk").post("/api/v1/statements", {"customer_id": 2**40, **PERIOD})

    assert response.status_code == 404 and Statement.objects.count() == 0


def test_a_statement_that_does_not_tie_is_409_and_nothing_is_written(personas, api, monkeypatch):
    cust = _customer(personas)
    monkeypatch.setattr(statements, "ar_balance", lambda customer_id, as_of: 1)

    response = api("clerk").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD})

    assert response.status_code == 409 and response.json()["code"] == "statement_does_not_tie"
    assert Statement.objects.count() == 0


# token with its user, the user's groups (role check), count, rows with their customer
STATEMENT_API_LIST_QUERIES = 6  # + the permission lookups (user, groups)


@pytest.mark.parametrize("rows", [1, 5])
def test_the_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, api, rows):
    cust = _customer(personas)
    for _ in range(rows):
        statements.issue_statement(actor=personas["clerk"], customer=cust, start=date(2026, 10, 1),
                                   end=date(2026, 10, 31))
    client = api("clerk")
    client.get("/api/v1/statements")

    with query_budget(STATEMENT_API_LIST_QUERIES):
        body = client.get("/api/v1/statements?month=2026-10").json()

    assert body["count"] == rows and body["items"][0]["customer"] == cust.name


def test_the_list_shows_a_salesperson_only_their_customers(personas, api):
    own = statements.issue_statement(actor=personas["clerk"], customer=_customer(personas, "sales1"),
                                     start=date(2026, 10, 1), end=date(2026, 10, 31))
    statements.issue_statement(actor=personas["clerk"], customer=_customer(personas, "sales2"),
                               start=date(2026, 10, 1), end=date(2026, 10, 31))

    body = api("sales1").get("/api/v1/statements").json()

    assert [i["id"] for i in body["items"]] == [own.pk]


def test_send_confirm_with_a_multipart_scan_and_the_history(personas, api):
    cust = _customer(personas)
    s = api("clerk").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD}).json()

    sent = api("clerk").post(f"/api/v1/statements/{s['id']}/send", {"to": "duizhang@haihe.cn"}).json()
    client = api("clerk")
    confirmed = client.client.post(f"/api/v1/statements/{s['id']}/confirm", **client.headers,
                                   data={"file": SimpleUploadedFile("回执.png", PNG, content_type="image/png")})

    assert (sent["status"], sent["sent_to"]) == ("sent", "duizhang@haihe.cn")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed" and [x["name"] for x in confirmed.json()["scans"]] == ["回执.png"]
    assert OutboxMessage.objects.filter(dedupe_key__startswith="statement-mail:").count() == 1


def test_confirming_without_any_scan_is_422_and_changes_nothing(personas, api):
    cust = _customer(personas)
    s = api("clerk").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD}).json()
    api("clerk").post(f"/api/v1/statements/{s['id']}/send", {"to": "duizhang@haihe.cn"})

    response = api("clerk").post(f"/api/v1/statements/{s['id']}/confirm")

    assert response.status_code == 422 and Statement.objects.get(pk=s["id"]).status == "sent"


def test_disputing_a_draft_is_409(personas, api):
    cust = _customer(personas)
    s = api("clerk").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD}).json()

    response = api("clerk").post(f"/api/v1/statements/{s['id']}/dispute", {"differences": "金额不符"})

    assert response.status_code == 409 and response.json()["code"] == "statement_wrong_status"
    assert Statement.objects.get(pk=s["id"]).differences == ""


def test_disputing_records_the_differences(personas, api):
    cust = _customer(personas)
    s = api("clerk").post("/api/v1/statements", {"customer_id": cust.pk, **PERIOD}).json()
    api("clerk").post(f"/api/v1/statements/{s['id']}/send", {"to": "duizhang@haihe.cn"})

    body = api("finance").post(f"/api/v1/statements/{s['id']}/dispute", {"differences": "退货800元未收到"}).json()

    assert (body["status"], body["differences"]) == ("disputed", "退货800元未收到")
