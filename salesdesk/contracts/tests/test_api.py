"""Contracts through the API: creation with lines and instalments (totals, tax, numbers), drafts,
activation, lifecycle, and visibility with every persona."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.contracts import services
from salesdesk.contracts.models import Contract, ContractLine, Instalment
from salesdesk.core.models import NumberCounter
from salesdesk.customers.tests.factories import CustomerFactory

from .factories import make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    return [
        ProductFactory(sku="HM46", price=Decimal("1130.00"), tax_rate=Decimal("0.13")),
        ProductFactory(sku="GL5", price=Decimal("9.99"), tax_rate=Decimal("0.13")),
        ProductFactory(sku="SVC", price=Decimal("106.00"), tax_rate=Decimal("0.06")),
    ]


def body(personas, customer, products, **over):
    data = {
        "customer_id": customer.pk, "salesperson_id": personas["sales1"].pk, "signed_on": "2026-03-01",
        "starts_on": "2026-03-01", "ends_on": "2026-12-31",
        "lines": [
            {"product_id": products[0].pk, "quantity": "10", "unit_price": "1130.00"},
            {"product_id": products[1].pk, "quantity": "37", "unit_price": "9.99"},
        ],
    }
    data.update(over)
    return data


@pytest.fixture
def customer(personas):
    return CustomerFactory(salesperson=personas["sales1"])


def test_clerk_creates_a_draft_with_line_amounts_tax_split_and_a_suggested_number(api, personas, customer, products):
    response = api("clerk").post("/api/v1/contracts", body(personas, customer, products, instalments=[
        {"due_on": "2026-04-01", "amount": "5000.00"}, {"due_on": "2026-06-30", "amount": "6669.63"},
    ]))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    assert data["number"] == "HT2026-0001"
    assert data["total"] == "11669.63"  # 11300.00 + 369.63
    assert data["tax_total"] == "1342.52"  # 1300.00 + 42.52 (DOMAIN.md §3, example B)
    assert [(line["amount"], line["tax"]) for line in data["lines"]] == [("11300.00", "1300.00"), ("369.63", "42.52")]
    assert [(i["seq"], i["amount"]) for i in data["instalments"]] == [(1, "5000.00"), (2, "6669.63")]


def test_instalments_that_do_not_sum_to_the_total_are_refused_and_nothing_is_written(api, personas, customer,
                                                                                      products):
    response = api("clerk").post("/api/v1/contracts", body(personas, customer, products, instalments=[
        {"due_on": "2026-04-01", "amount": "5000.00"}, {"due_on": "2026-06-30", "amount": "6669.62"},
    ]))

    assert response.status_code == 422
    message = response.json()["errors"]["instalments"][0]
    assert "11669.62" in message and "11669.63" in message and "0.01" in message
    assert "must sum exactly" in message
    assert not Contract.objects.exists()
    assert not ContractLine.objects.exists() and not Instalment.objects.exists()
    assert not NumberCounter.objects.filter(kind="HT").exclude(last=0).exists()


def test_a_typed_number_is_kept_and_a_duplicate_typed_number_is_invalid_input(api, personas, customer, products):
    first = api("clerk").post("/api/v1/contracts", body(personas, customer, products, number="HY-2026-007"))
    assert first.status_code == 201
    assert first.json()["number"] == "HY-2026-007"

    again = api("clerk").post("/api/v1/contracts", body(personas, customer, products, number="hy-2026-007"))

    assert again.status_code == 422
    assert list(again.json()["errors"]) == ["number"]
    assert Contract.objects.count() == 1


def test_the_counter_skips_a_number_someone_typed(api, personas, customer, products):
    api("clerk").post("/api/v1/contracts", body(personas, customer, products, number="HT2026-0001"))

    data = api("clerk").post("/api/v1/contracts", body(personas, customer, products)).json()

    assert data["number"] == "HT2026-0002"


def test_a_missing_unit_price_takes_the_list_price(api, personas, customer, products):
    lines = [{"product_id": products[2].pk, "quantity": "3"}]

    data = api("clerk").post("/api/v1/contracts", body(personas, customer, products, lines=lines)).json()

    assert (data["lines"][0]["unit_price"], data["total"], data["tax_total"]) == ("106", "318.00", "18.00")


def test_a_product_twice_and_a_zero_quantity_are_refused_per_line(api, personas, customer, products):
    lines = [{"product_id": products[0].pk, "quantity": "1"}, {"product_id": products[0].pk, "quantity": "2"},
             {"product_id": products[1].pk, "quantity": "0"}]

    response = api("clerk").post("/api/v1/contracts", body(personas, customer, products, lines=lines))

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"lines.1.product_id", "lines.2.quantity"}
    assert not Contract.objects.exists()


def test_an_end_before_the_start_is_refused(api, personas, customer, products):
    response = api("clerk").post("/api/v1/contracts", body(personas, customer, products, ends_on="2026-02-01"))

    assert response.status_code == 422
    assert "ends_on" in response.json()["errors"]


def test_activation_makes_the_draft_active_once(api, personas):
    contract = make_contract(personas)

    response = api("clerk").post(f"/api/v1/contracts/{contract.pk}/activate")
    again = api("clerk").post(f"/api/v1/contracts/{contract.pk}/activate")

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert again.status_code == 409
    assert again.json()["code"] == "contract_not_draft"
    assert contract.history.count() == 2  # created, activated


def test_a_draft_is_edited_by_replacing_its_lines_and_instalments(api, personas, products):
    contract = make_contract(personas, instalments=None)

    response = api("sales1").patch(f"/api/v1/contracts/{contract.pk}", {
        "lines": [{"product_id": products[1].pk, "quantity": "100", "unit_price": "9.99"}],
        "instalments": [{"due_on": "2026-05-01", "amount": "999.00"}], "payment_terms": "月结30天",
    })

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["total"], data["payment_terms"], len(data["lines"])) == ("999.00", "月结30天", 1)
    assert ContractLine.objects.filter(contract=contract).count() == 1


def test_changing_lines_so_old_instalments_no_longer_sum_is_refused(api, personas, products):
    from salesdesk.contracts.services import InstalmentInput

    contract = make_contract(personas, instalments=[InstalmentInput(date(2026, 5, 1), Decimal("11300.00"))])

    response = api("clerk").patch(f"/api/v1/contracts/{contract.pk}", {
        "lines": [{"product_id": products[1].pk, "quantity": "1", "unit_price": "9.99"}],
    })

    assert response.status_code == 422
    assert "instalments" in response.json()["errors"]
    contract.refresh_from_db()
    assert contract.total == Decimal("11300.00")


def test_an_active_contract_takes_filing_fields_but_not_new_terms(api, personas, products):
    contract = make_contract(personas, activate=True)

    filed = api("clerk").patch(f"/api/v1/contracts/{contract.pk}", {"archive_no": "GD-2026-15",
                                                                     "paper_location": "档案柜A-3"})
    changed = api("clerk").patch(f"/api/v1/contracts/{contract.pk}", {"payment_terms": "预付30%"})

    assert filed.status_code == 200
    assert (filed.json()["archive_no"], filed.json()["paper_location"]) == ("GD-2026-15", "档案柜A-3")
    assert changed.status_code == 409
    assert changed.json()["code"] == "contract_not_draft"
    contract.refresh_from_db()
    assert contract.payment_terms == ""


def test_terminate_needs_a_reason_and_ends_the_contract(api, personas):
    contract = make_contract(personas, activate=True)

    refused = api("clerk").post(f"/api/v1/contracts/{contract.pk}/terminate", {"reason": ""})
    done = api("clerk").post(f"/api/v1/contracts/{contract.pk}/terminate", {"reason": "客户停产"})

    assert refused.status_code == 422
    assert done.status_code == 200
    assert done.json()["status"] == "terminated"
    history = api("clerk").get(f"/api/v1/contracts/{contract.pk}/history").json()
    assert history["items"][0]["reason"] == "终止：客户停产"
    assert history["items"][0]["changes"]["status"] == ["active", "terminated"]


def test_a_draft_cannot_be_completed(api, personas):
    contract = make_contract(personas)

    response = api("clerk").post(f"/api/v1/contracts/{contract.pk}/complete", {})

    assert response.status_code == 409
    assert response.json()["code"] == "contract_transition"


def test_renewal_is_a_new_draft_for_the_following_period_linked_to_the_old_one(api, personas):
    contract = make_contract(personas, activate=True, starts_on=date(2026, 1, 1))

    response = api("sales1").post(f"/api/v1/contracts/{contract.pk}/renew", {})

    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["renewal_of_id"], data["total"]) == ("draft", contract.pk, "11300.00")
    assert (data["starts_on"], data["ends_on"]) == ("2027-01-01", "2027-12-31")


# --- visibility and who may write ---------------------------------------------------------------------


@pytest.fixture
def three(personas):
    """Contracts of sales1 (own), sales3 (team A) and sales2 (team B)."""
    return {v: make_contract(personas, owner) for v, owner in (("own", "sales1"), ("team", "sales3"),
                                                                ("other", "sales2"))}


@pytest.mark.parametrize(("username", "visible"), [
    ("clerk", {"own", "team", "other"}), ("gm", {"own", "team", "other"}), ("finance", {"own", "team", "other"}),
    ("manager", {"own", "team"}), ("sales1", {"own"}), ("sales3", {"team"}), ("sales2", {"other"}),
])
def test_the_list_shows_exactly_the_contracts_the_user_may_see(api, three, username, visible):
    data = api(username).get("/api/v1/contracts").json()

    assert {c["id"] for c in data["items"]} == {three[v].pk for v in visible}
    assert data["count"] == len(visible)


@pytest.mark.parametrize("username", ["hr", "warehouse", "planner", "admin"])
def test_roles_without_contracts_get_403(api, three, username):
    assert api(username).get("/api/v1/contracts").status_code == 403
    assert api(username).get(f"/api/v1/contracts/{three['own'].pk}").status_code == 403


@pytest.mark.parametrize(("username", "variant", "status"), [
    ("sales1", "own", 200), ("sales1", "team", 404), ("sales1", "other", 404),
    ("manager", "team", 200), ("manager", "other", 404), ("gm", "other", 200),
])
def test_one_contract_is_404_when_not_visible(api, three, username, variant, status):
    assert api(username).get(f"/api/v1/contracts/{three[variant].pk}").status_code == status
    assert api(username).get(f"/api/v1/contracts/{three[variant].pk}/fulfilment").status_code == status


def test_a_salesperson_files_contracts_only_for_their_own_customers(api, personas, products):
    other = CustomerFactory(salesperson=personas["sales2"])

    response = api("sales1").post("/api/v1/contracts", body(personas, other, products))

    assert response.status_code == 404
    assert not Contract.objects.exists()


def test_a_salesperson_cannot_name_another_salesperson(api, personas, customer, products):
    response = api("sales1").post("/api/v1/contracts", body(personas, customer, products,
                                                            salesperson_id=personas["sales3"].pk))

    assert response.status_code == 404
    assert not Contract.objects.exists()


def test_a_manager_files_contracts_for_the_team_but_not_for_other_teams(api, personas, products):
    team = CustomerFactory(salesperson=personas["sales3"])
    other = CustomerFactory(salesperson=personas["sales2"])

    ok = api("manager").post("/api/v1/contracts", body(personas, team, products, salesperson_id=personas["sales3"].pk))
    refused = api("manager").post("/api/v1/contracts", body(personas, other, products,
                                                            salesperson_id=personas["sales2"].pk))

    assert ok.status_code == 201
    assert refused.status_code == 404
    assert Contract.objects.count() == 1


@pytest.mark.parametrize("username", ["gm", "finance", "hr"])
def test_roles_that_may_not_write_contracts_get_403_and_nothing_is_written(api, personas, customer, products,
                                                                          username):
    assert api(username).post("/api/v1/contracts", body(personas, customer, products)).status_code == 403
    assert not Contract.objects.exists()


def test_a_salesperson_may_not_activate_a_contract_of_a_customer_moved_away(api, personas):
    contract = make_contract(personas)
    customer = contract.customer
    customer.salesperson = personas["sales3"]
    customer.save()

    response = api("sales1").post(f"/api/v1/contracts/{contract.pk}/activate")

    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_the_list_filters_by_status_customer_and_signed_range(api, personas):
    a = make_contract(personas, signed_on=date(2026, 2, 1), activate=True)
    make_contract(personas, signed_on=date(2026, 5, 1))

    by_status = api("clerk").get("/api/v1/contracts?status=active").json()
    by_range = api("clerk").get("/api/v1/contracts?signed_from=2026-01-15&signed_to=2026-02-15").json()
    by_customer = api("clerk").get(f"/api/v1/contracts?customer_id={a.customer_id}").json()
    by_q = api("clerk").get(f"/api/v1/contracts?q={a.number}").json()

    assert [c["id"] for c in by_status["items"]] == [a.pk]
    assert [c["id"] for c in by_range["items"]] == [a.pk]
    assert [c["id"] for c in by_customer["items"]] == [a.pk]
    assert [c["id"] for c in by_q["items"]] == [a.pk]


# --- pinned query counts of the list endpoints ----------------------------------------------------------

# token with its user, permissions (user + groups), groups and team members (the manager's scope), count, rows,
# lines with products, instalments
CONTRACT_LIST_API_QUERIES = 9


def test_the_list_endpoint_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas):
    from salesdesk.core.testing.queries import query_budget

    make_contract(personas)
    client = api("manager")
    client.get("/api/v1/contracts")
    with query_budget(CONTRACT_LIST_API_QUERIES):
        client.get("/api/v1/contracts")
    for owner in ("sales1", "sales3") * 4:
        make_contract(personas, owner, lines=[services.LineInput(ProductFactory(), Decimal(1), Decimal(1)),
                                              services.LineInput(ProductFactory(), Decimal(2), Decimal(3))])
    with query_budget(CONTRACT_LIST_API_QUERIES):
        response = client.get("/api/v1/contracts")
    assert response.json()["count"] == 9
