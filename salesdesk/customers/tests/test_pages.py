"""The customer file pages: list (search, visibility, export, pinned queries), detail tabs, the
create/edit form with the rules of the services, the 撞单 hint, contacts, products used, transfer,
and the new-customers query of the reports."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.models import Contact, Customer, OwnershipTransfer, ProductUsed
from salesdesk.customers.queries import new_customers

from .factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def _customers(n, owner, **kw):
    return [ContactFactory(customer=CustomerFactory(salesperson=owner, **kw), is_primary=True).customer
            for _ in range(n)]


def _form(personas, **over):
    data = {
        "name": "北京华远贸易有限公司", "short_name": "华远", "uscc": "", "industry": "批发", "region": "华北",
        "address": "北京市海淀区中关村大街1号", "level": "B", "status": "prospect", "price_level": "list",
        "source": "展会", "salesperson": personas["sales1"].pk,
        "invoice_title": "北京华远贸易有限公司", "invoice_tax_id": "", "invoice_address_phone": "",
        "invoice_bank_account": "", "notes": "", "contact_name": "李经理", "contact_title": "采购经理",
        "contact_phone": "138-0013-8000",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


# --- list -------------------------------------------------------------------------------------

# Session, user, user's groups, user and group permissions, heartbeat, unread notifications,
# owner choices, region/industry choices, row count, rows (owner and primary contact joined in).
CUSTOMER_LIST_QUERIES = 11


def test_customer_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    client = as_user("clerk")
    _customers(5, personas["sales1"])
    client.get("/customers/")  # warm per-process caches (content types)
    with query_budget(CUSTOMER_LIST_QUERIES):
        response = client.get("/customers/")
    assert response.content.decode().count('href="tel:') == 5

    _customers(35, personas["sales2"], region="华南", industry="零售")
    with query_budget(CUSTOMER_LIST_QUERIES):
        response = client.get("/customers/")
    assert response.status_code == 200
    assert response.content.decode().count('href="tel:') == 25  # one page


def test_search_by_pinyin_initials_finds_the_customer(as_user, personas):
    CustomerFactory(name="北京华远贸易有限公司", salesperson=personas["sales1"])
    CustomerFactory(name="上海申通物流有限公司", salesperson=personas["sales1"])

    html = as_user("clerk").get("/customers/?q=bjhy", **HX).content.decode()

    assert "北京华远贸易有限公司" in html
    assert "上海申通物流有限公司" not in html


def test_search_by_a_contact_phone_number(as_user, personas):
    ContactFactory(customer=CustomerFactory(name="北京华远贸易有限公司", salesperson=personas["sales1"]),
                   mobile="+8613800138000")
    CustomerFactory(name="上海申通物流有限公司", salesperson=personas["sales1"])

    html = as_user("clerk").get("/customers/?q=13800138000", **HX).content.decode()

    assert "北京华远贸易有限公司" in html
    assert "上海申通物流有限公司" not in html


def test_salesperson_sees_only_their_own_customers(as_user, personas):
    CustomerFactory(name="自己的客户有限公司", salesperson=personas["sales1"])
    CustomerFactory(name="同组同事的客户有限公司", salesperson=personas["sales3"])
    CustomerFactory(name="别组的客户有限公司", salesperson=personas["sales2"])

    html = as_user("sales1").get("/customers/").content.decode()

    assert "自己的客户有限公司" in html
    assert "同组同事的客户有限公司" not in html and "别组的客户有限公司" not in html


def test_salesperson_gets_404_on_another_salespersons_customer(as_user, personas):
    other = CustomerFactory(salesperson=personas["sales3"])

    assert as_user("sales1").get(f"/customers/{other.pk}/").status_code == 404


def test_hr_may_not_open_the_customer_list(as_user):
    assert as_user("hr").get("/customers/").status_code == 403


def test_filter_by_owner_and_status(as_user, personas):
    CustomerFactory(name="甲有限公司", salesperson=personas["sales1"], status="active")
    CustomerFactory(name="乙有限公司", salesperson=personas["sales1"], status="prospect")
    CustomerFactory(name="丙有限公司", salesperson=personas["sales2"], status="active")

    html = as_user("clerk").get(f"/customers/?salesperson={personas['sales1'].pk}&status=active", **HX).content.decode()

    assert "甲有限公司" in html
    assert "乙有限公司" not in html and "丙有限公司" not in html


def test_new_customers_filter_takes_the_filing_period(as_user, personas):
    old = CustomerFactory(name="老客户有限公司", salesperson=personas["sales1"])
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
    CustomerFactory(name="新客户有限公司", salesperson=personas["sales1"])
    start = (timezone.localdate() - dt.timedelta(days=7)).isoformat()

    html = as_user("clerk").get(f"/customers/?created_after={start}", **HX).content.decode()

    assert "新客户有限公司" in html
    assert "老客户有限公司" not in html


def test_export_of_the_filtered_customers_is_logged(as_user, personas):
    CustomerFactory(name="北京华远贸易有限公司", salesperson=personas["sales1"], credit_limit=Decimal("50000"))
    CustomerFactory(name="上海申通物流有限公司", salesperson=personas["sales2"])

    response = as_user("clerk").get(f"/customers/?salesperson={personas['sales1'].pk}&export=xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == ["北京华远贸易有限公司"]
    assert rows[0][2] == "张伟" and rows[0][9] == 50000
    assert rows[0][10].date() == timezone.localdate()  # a date cell, not a UTC timestamp
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (personas["clerk"], "customers.customers", 1)


def test_export_without_the_permission_is_refused_and_not_logged(as_user, personas):
    CustomerFactory(salesperson=personas["sales1"])

    response = as_user("sales1").get("/customers/?export=xlsx")

    assert response.status_code == 403
    assert not ExportLog.objects.exists()


# --- detail -----------------------------------------------------------------------------------

# Session, user, groups, permissions (view, edit buttons, panels), the customer with owner and
# filer, its contacts, the attachment visibility check, heartbeat, unread notifications.
CUSTOMER_DETAIL_QUERIES = 10


def test_customer_detail_runs_a_fixed_number_of_queries(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    customer = CustomerFactory(salesperson=personas["sales1"], uscc="91110000600037341L")
    for _ in range(3):
        ContactFactory(customer=customer)
    client = as_user("clerk")
    client.get(f"/customers/{customer.pk}/")
    with query_budget(CUSTOMER_DETAIL_QUERIES):
        response = client.get(f"/customers/{customer.pk}/")
    html = response.content.decode()
    assert "91110000600037341L" in html
    for tab in ("概况", "联系人", "使用品种", "附件", "变更记录"):
        assert tab in html


def test_contacts_tab_has_one_tap_call_links_with_the_extension(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    ContactFactory(customer=customer, name="王会计", mobile="", phone="+861062345678", extension="8001")

    html = as_user("sales1").get(f"/customers/{customer.pk}/?tab=panel-contacts", **HX).content.decode()

    assert 'href="tel:+861062345678,8001"' in html
    assert "010 6234 5678 转8001" in html


# --- create and edit --------------------------------------------------------------------------


def test_clerk_files_a_customer_with_a_contact_through_the_form(as_user, personas):
    response = as_user("clerk").post("/customers/new/", _form(personas))

    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.name, customer.salesperson, customer.created_by) == (
        "北京华远贸易有限公司", personas["sales1"], personas["clerk"])
    contact = customer.contacts.get()
    assert (contact.name, contact.mobile, contact.is_primary) == ("李经理", "+8613800138000", True)


def test_success_toast_after_filing(as_user, personas):
    client = as_user("clerk")

    response = client.post("/customers/new/", _form(personas), follow=True)

    assert "客户已建档：北京华远贸易有限公司" in response.content.decode()


def test_clerk_may_not_set_credit_terms_through_the_form(as_user, personas):
    response = as_user("clerk").post(
        "/customers/new/", _form(personas, settlement="credit", credit_limit="100000", credit_days="30",
                                 term_anchor="shipment"))

    assert response.status_code == 200
    assert "只有财务、销售经理和总经理可以设置结算方式" in response.content.decode()
    assert not Customer.objects.exists()
    assert not Contact.objects.exists()


def test_clerk_may_not_change_credit_terms_of_an_existing_customer(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"], name="北京华远贸易有限公司")
    client = as_user("clerk")
    data = _form(personas, settlement="monthly", credit_limit="20000", credit_days="30", term_anchor="shipment")

    response = client.post(f"/customers/{customer.pk}/edit/", data)

    assert "只有财务、销售经理和总经理可以设置结算方式" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.settlement, customer.credit_limit) == ("prepaid", Decimal("0"))
    assert customer.history.count() == 1  # only the creation


def test_terms_fields_are_shown_disabled_to_the_clerk(as_user, personas):
    html = as_user("clerk").get("/customers/new/").content.decode()

    for name in ("settlement", "credit_limit", "credit_days"):
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)
        assert " disabled" in tag, tag
    owner = re.search(r'<select[^>]*name="salesperson"[^>]*>', html).group(0)
    assert " disabled" not in owner  # the clerk files customers for any salesperson


def test_finance_sets_credit_terms_and_the_change_is_in_the_history(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"], name="北京华远贸易有限公司")
    data = {"settlement": "credit", "credit_limit": "80000.00", "credit_days": "45", "term_anchor": "invoice",
            "salesperson": personas["sales1"].pk}

    response = as_user("finance").post(f"/customers/{customer.pk}/edit/", data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.settlement, customer.credit_limit, customer.credit_days) == ("credit", Decimal("80000"), 45)
    assert customer.name == "北京华远贸易有限公司"  # basics left as they were
    assert customer.history.first().history_user == personas["finance"]


def test_salesperson_files_a_customer_for_themselves(as_user, personas):
    data = _form(personas)
    del data["salesperson"]  # the disabled owner field is not posted

    response = as_user("sales1").post("/customers/new/", data)

    assert response.status_code == 302
    assert Customer.objects.get().salesperson == personas["sales1"]


def test_salesperson_may_not_file_a_customer_for_someone_else(as_user, personas):
    response = as_user("sales1").post("/customers/new/", _form(personas, salesperson=personas["sales2"].pk))

    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Customer.objects.exists()


def test_manager_overrides_a_failed_uscc_check_digit_on_the_form(as_user, personas):
    response = as_user("manager").post("/customers/new/", _form(
        personas, uscc="91350211M0000XUF46", uscc_override="on", uscc_override_reason="营业执照原件核对无误",
        settlement="prepaid", credit_limit="0", credit_days="0", term_anchor="shipment"))

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.uscc_override, customer.uscc_override_reason) == (True, "营业执照原件核对无误")


def test_failed_uscc_check_digit_is_shown_on_the_field_for_the_clerk(as_user, personas):
    client = as_user("clerk")

    html = client.post("/customers/new/", _form(personas, uscc="91350211M0000XUF46")).content.decode()

    assert "统一社会信用代码校验位不正确" in html
    assert 'name="uscc_override"' not in html  # only managers may override
    assert not Customer.objects.exists()


def test_form_errors_are_in_chinese(as_user, personas):
    response = as_user("clerk").post("/customers/new/", _form(personas, name="", uscc="123"))

    html = response.content.decode()
    assert "这个字段是必填项。" in html
    assert not Customer.objects.exists()


def test_existing_customer_is_refused_on_the_form_naming_its_owner(as_user, personas):
    CustomerFactory(name="北京华远贸易有限公司", salesperson=personas["sales2"])

    response = as_user("clerk").post("/customers/new/", _form(personas))

    assert "负责业务员：李娜" in response.content.decode()
    assert Customer.objects.count() == 1


def test_duplicate_hint_names_the_owner_of_a_customer_the_user_may_not_see(as_user, personas):
    CustomerFactory(name="北京华远贸易有限公司", code="KH-000777", salesperson=personas["sales2"],
                    address="秘密地址")

    html = as_user("sales1").get("/customers/duplicates/?name=北京华远&uscc=", **HX).content.decode()

    assert "北京华远贸易有限公司" in html and "KH-000777" in html
    assert "李娜" in html  # the owner
    assert "秘密地址" not in html and "/customers/" not in html  # nothing else, no link


def test_edit_records_the_editor_in_the_history(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"], name="北京华远贸易有限公司")
    data = _form(personas, region="华东")
    for key in ("contact_name", "contact_title", "contact_phone"):
        data.pop(key)

    response = as_user("sales1").post(f"/customers/{customer.pk}/edit/", data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.region == "华东"
    assert customer.history.first().history_user == personas["sales1"]


# --- contacts and products used ---------------------------------------------------------------


def test_contact_added_through_htmx_returns_the_refreshed_tab(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("sales1").post(
        f"/customers/{customer.pk}/contacts/", {"name": "赵主任", "role": "purchasing", "phone": "13912345678"}, **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="contacts-panel"' in html and "<nav" not in html
    assert 'href="tel:+8613912345678"' in html
    assert "toast" in response["HX-Trigger"]
    assert customer.contacts.get().name == "赵主任"


def test_contact_with_an_unknown_number_is_refused_on_the_form(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("sales1").post(f"/customers/{customer.pk}/contacts/", {"name": "赵主任", "phone": "abc"},
                                      **HX)

    assert "电话号码无法识别" in response.content.decode()
    assert not Contact.objects.exists()


def test_finance_may_not_add_contacts(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("finance").post(f"/customers/{customer.pk}/contacts/", {"name": "赵主任"}, **HX)

    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_anonymising_a_contact_removes_the_personal_data(as_user, personas):
    contact = ContactFactory(customer=CustomerFactory(salesperson=personas["sales1"]), name="钱女士")

    response = as_user("clerk").post(f"/customers/{contact.customer_id}/contacts/{contact.pk}/anonymise/", **HX)

    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.name, contact.mobile) == ("已匿名", "")
    assert "钱女士" not in response.content.decode()


def test_product_used_is_added_and_edited(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])
    client = as_user("sales1")

    client.post(f"/customers/{customer.pk}/products/",
                {"product_name": "不锈钢板 304", "unit": "吨", "usual_quantity": "12.5", "period": "每月",
                 "agreed_price": "15800.00"}, **HX)
    row = ProductUsed.objects.get()
    response = client.post(f"/customers/{customer.pk}/products/{row.pk}/",
                           {f"p{row.pk}-product_name": "不锈钢板 304", f"p{row.pk}-unit": "吨",
                            f"p{row.pk}-usual_quantity": "15", f"p{row.pk}-agreed_price": "15600"}, **HX)

    row.refresh_from_db()
    assert (row.usual_quantity, row.agreed_price) == (Decimal("15"), Decimal("15600"))
    assert "不锈钢板 304" in response.content.decode()
    assert row.history.count() == 2


# --- transfer ---------------------------------------------------------------------------------


def test_manager_transfers_a_customer_with_a_reason(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("manager").post(f"/customers/{customer.pk}/transfer/",
                                       {"to_user": personas["sales3"].pk, "reason": "张伟调岗"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.salesperson == personas["sales3"]
    assert OwnershipTransfer.objects.get().reason == "张伟调岗"


def test_transfer_without_a_reason_is_refused(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("manager").post(f"/customers/{customer.pk}/transfer/", {"to_user": personas["sales3"].pk})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.salesperson == personas["sales1"]
    assert not OwnershipTransfer.objects.exists()


def test_clerk_may_not_transfer_customers(as_user, personas):
    customer = CustomerFactory(salesperson=personas["sales1"])

    response = as_user("clerk").post(f"/customers/{customer.pk}/transfer/",
                                     {"to_user": personas["sales3"].pk, "reason": "调岗"})

    assert response.status_code == 403
    assert not OwnershipTransfer.objects.exists()


# --- development tracking ---------------------------------------------------------------------


def test_new_customers_counts_the_period_per_salesperson_in_one_query(personas):
    sales1, sales2 = personas["sales1"], personas["sales2"]
    _customers(3, sales1)
    _customers(2, sales2)
    old = CustomerFactory(salesperson=sales1)
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    today = timezone.localdate()

    with query_budget(1):
        counts = new_customers(today - dt.timedelta(days=30), today)
    assert counts == {sales1.pk: 3, sales2.pk: 2}
    assert new_customers(today, today, salesperson_ids=[sales2.pk]) == {sales2.pk: 2}
