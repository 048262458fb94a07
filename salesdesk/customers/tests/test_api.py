"""Customers through the API: USCC rules, 撞单, who may set what, visibility with every persona."""

from __future__ import annotations

import pytest

from salesdesk.customers.models import Contact, Customer, OwnershipTransfer

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db


def body(personas, **over):
    data = {"name": "北京华远贸易有限公司", "salesperson_id": personas["sales1"].pk, "settlement": "prepaid",
            "credit_limit": "0.00", "credit_days": 0}
    data.update(over)
    return data


def test_clerk_files_a_customer_with_contacts_and_gets_a_code(api, personas):
    response = api("clerk").post("/api/v1/customers", body(personas, contacts=[
        {"name": "李经理", "phone": "138-0013-8000", "title": "采购经理"},
        {"name": "王会计", "phone": "010-62345678转8001"},
    ]))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"] == "KH-000001"
    assert data["salesperson_id"] == personas["sales1"].pk
    assert data["credit_limit"] == "0.00"
    contacts = data["contacts"]
    assert [(c["name"], c["phone"], c["extension"], c["is_primary"]) for c in contacts] == [
        ("李经理", "+8613800138000", "", True), ("王会计", "+861062345678", "8001", False),
    ]


def test_uscc_is_normalised_and_its_entity_type_and_province_derived(api, personas):
    data = api("clerk").post("/api/v1/customers", body(personas, uscc="9111 0000-6000 3734 1l")).json()

    assert data["uscc"] == "91110000600037341L"
    assert data["entity_type"] == "企业"
    assert data["province"] == "北京市"


def test_malformed_uscc_is_422(api, personas):
    response = api("clerk").post("/api/v1/customers", body(personas, uscc="91330100716105852I"))

    assert response.status_code == 422
    assert "uscc" in response.json()["errors"]
    assert not Customer.objects.exists()


def test_failed_check_digit_is_422_without_override(api, personas):
    response = api("clerk").post("/api/v1/customers", body(personas, uscc="914403001922038217"))

    assert response.status_code == 422
    assert "校验位" in response.json()["errors"]["uscc"][0]


def test_manager_may_override_a_failed_check_digit_with_a_reason(api, personas):
    response = api("manager").post("/api/v1/customers", body(
        personas, uscc="91350211M0000XUF46", uscc_override=True, uscc_override_reason="营业执照原件核对无误"))

    assert response.status_code == 201
    assert response.json()["uscc_override"] is True
    assert response.json()["uscc_override_reason"] == "营业执照原件核对无误"


def test_clerk_may_not_override_a_failed_check_digit(api, personas):
    response = api("clerk").post("/api/v1/customers", body(personas, uscc="91350211M0000XUF46", uscc_override=True))

    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_existing_customer_by_name_is_409_naming_the_owner_even_when_hidden(api, personas):
    CustomerFactory(name="北京华远（集团）有限公司", salesperson=personas["sales2"])

    response = api("sales1").post("/api/v1/customers", body(personas, name="北京华远(集团) 有限公司"))

    assert response.status_code == 409
    assert response.json()["code"] == "customer_exists"
    assert "李娜" in response.json()["detail"]  # sales2, whom sales1 may not see
    assert Customer.objects.count() == 1


def test_existing_customer_by_uscc_is_409(api, personas):
    CustomerFactory(name="甲公司", uscc="91110000600037341L", salesperson=personas["sales2"])

    response = api("clerk").post("/api/v1/customers", body(personas, name="乙公司", uscc="91110000600037341L"))

    assert response.status_code == 409 and response.json()["code"] == "customer_exists"


def test_salesperson_files_customers_only_for_themselves(api, personas):
    own = api("sales1").post("/api/v1/customers", body(personas, name="自己的客户"))
    other = api("sales1").post("/api/v1/customers", body(personas, name="别人的客户",
                                                         salesperson_id=personas["sales2"].pk))

    assert own.status_code == 201
    assert other.status_code == 403


def test_clerk_may_not_grant_credit_at_creation(api, personas):
    response = api("clerk").post("/api/v1/customers", body(personas, settlement="credit",
                                                           credit_limit="50000.00", credit_days=30))

    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_manager_may_grant_credit_at_creation(api, personas):
    response = api("manager").post("/api/v1/customers", body(personas, settlement="credit",
                                                             credit_limit="50000.00", credit_days=30))

    assert response.status_code == 201
    assert (response.json()["settlement"], response.json()["credit_limit"]) == ("credit", "50000.00")


def test_deposit_settlement_needs_a_rate_between_zero_and_one(api, personas):
    response = api("manager").post("/api/v1/customers", body(personas, settlement="deposit"))

    assert response.status_code == 422
    assert "deposit_rate" in response.json()["errors"]


def test_finance_changes_credit_terms_and_history_records_it(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("finance").patch(f"/api/v1/customers/{customer.pk}",
                                    {"settlement": "credit", "credit_limit": "80000", "credit_days": 45})

    assert response.status_code == 200
    assert response.json()["credit_limit"] == "80000.00"
    history = api("clerk").get(f"/api/v1/customers/{customer.pk}/history").json()
    assert history["items"][0]["changes"]["credit_limit"] == ["0.00", "80000.00"]
    assert history["items"][0]["user"] == "孙敏"


def test_owner_salesperson_may_not_change_credit_terms(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("sales1").patch(f"/api/v1/customers/{customer.pk}", {"credit_limit": "999999.00"})

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.credit_limit == 0


def test_finance_may_not_edit_basics(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    assert api("finance").patch(f"/api/v1/customers/{customer.pk}", {"address": "新地址"}).status_code == 403


def test_owner_edits_basics(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("sales1").patch(f"/api/v1/customers/{customer.pk}", {"address": "上海市浦东新区"})

    assert response.status_code == 200 and response.json()["address"] == "上海市浦东新区"


def test_manager_transfers_a_customer_with_a_reason(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = api("manager").patch(f"/api/v1/customers/{customer.pk}",
                                    {"salesperson_id": personas["sales3"].pk, "transfer_reason": "区域调整"})

    assert response.status_code == 200
    transfer = OwnershipTransfer.objects.get()
    assert (transfer.from_user, transfer.to_user, transfer.reason) == (personas["sales1"], personas["sales3"], "区域调整")


@pytest.mark.parametrize(("username", "visible"), [
    ("sales1", {"own"}), ("sales3", {"team"}), ("sales2", {"other"}), ("manager", {"own", "team"}),
    ("clerk", {"own", "team", "other"}), ("gm", {"own", "team", "other"}), ("finance", {"own", "team", "other"}),
])
def test_customer_list_shows_exactly_what_each_persona_may_see(api, personas, username, visible):
    owners = {"own": "sales1", "team": "sales3", "other": "sales2"}
    for label, owner in owners.items():
        CustomerFactory(name=f"{label}客户", salesperson=personas[owner])

    names = {c["name"] for c in api(username).get("/api/v1/customers").json()["items"]}

    assert names == {f"{label}客户" for label in visible}


@pytest.mark.parametrize("username", ["hr", "warehouse", "planner", "admin"])
def test_roles_without_customer_access_get_403(api, personas, username):
    assert api(username).get("/api/v1/customers").status_code == 403


def test_another_salespersons_customer_is_404(api, personas):
    customer = CustomerFactory(salesperson=personas["sales3"])  # same team, still not sales1's

    assert api("sales1").get(f"/api/v1/customers/{customer.pk}").status_code == 404
    assert api("sales1").patch(f"/api/v1/customers/{customer.pk}", {"address": "x"}).status_code == 404


def test_search_matches_pinyin_initials_code_and_phone(api, personas):
    customer = CustomerFactory(name="北京华远贸易有限公司", salesperson=personas["sales1"])
    Contact.objects.create(customer=customer, name="李", mobile="+8613912345678")
    CustomerFactory(name="上海浦东公司", salesperson=personas["sales1"])

    for term in ("bjhy", customer.code, "13912345678", "华远"):
        items = api("clerk").get(f"/api/v1/customers?q={term}").json()["items"]
        assert [c["name"] for c in items] == ["北京华远贸易有限公司"], term


def test_bad_phone_is_422_and_nothing_is_written(api, personas):
    response = api("clerk").post("/api/v1/customers", body(personas, contacts=[{"name": "李", "phone": "abc"}]))

    assert response.status_code == 422
    assert "contacts.0.phone" in response.json()["errors"]
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_anonymising_a_contact_removes_personal_data_from_the_contact_and_its_history(api, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    contact = api("sales1").post(f"/api/v1/customers/{customer.pk}/contacts",
                                 {"name": "张三", "phone": "13800138000"}).json()

    response = api("sales1").post(f"/api/v1/customers/{customer.pk}/contacts/{contact['id']}/anonymise")

    assert response.status_code == 200
    row = Contact.objects.get(pk=contact["id"])
    assert (row.name, row.mobile) == ("已匿名", "")
    assert not row.history.filter(name="张三").exists()
