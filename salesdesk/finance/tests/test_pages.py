"""The finance pages: recording a payment with its slip, finance's queue (htmx confirm / reject),
re-allocation, gate exceptions, the list with its pinned query count."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from salesdesk.core.attachments import attach, list_for
from salesdesk.core.models import Attachment, ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance.balances import allocated_to_order, free_advance
from salesdesk.finance.models import Allocation, GateException, Payment
from salesdesk.finance.services import confirm_payment, request_exception
from salesdesk.org.models import User

from .factories import PNG, customer, order, payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def _form(cust, **extra) -> dict:
    data = {"customer": cust.pk, "amount": "5000.00", "received_on": "2026-11-20", "method": "bank_transfer",
            "payer_name": cust.name, "reference": "FT2611200001"}
    data.update(extra)
    return data


# --- recording a payment ----------------------------------------------------------------------------


def test_a_salesperson_records_a_payment_with_a_slip_photo_and_it_waits_for_finance(personas, login):
    cust = customer(personas, "sales1")
    o = order(personas, cust, "5000.00")
    client = login("sales1")
    page = client.get(f"/finance/payments/new/?order={o.pk}")
    assert 'name="viewport"' in page.content.decode() and 'accept="image/*,.pdf"' in page.content.decode()

    slip = SimpleUploadedFile("水单.png", PNG, content_type="image/png")
    response = client.post("/finance/payments/new/", _form(cust, order=o.pk, slip=slip))

    p = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/payments/{p.pk}/"
    assert (p.status, p.order, p.amount, p.recorded_by) == ("pending", o, Decimal("5000.00"), personas["sales1"])
    [att] = list_for(p)
    assert (att.original_name, att.mimetype, att.uploaded_by) == ("水单.png", "image/png", personas["sales1"])
    assert Allocation.objects.count() == 0  # nothing counts before finance confirms


def test_a_refused_slip_writes_neither_the_payment_nor_the_file(personas, login):
    cust = customer(personas, "sales1")
    fake = SimpleUploadedFile("slip.png", b"MZ\x90\x00 not an image", content_type="image/png")

    response = login("sales1").post("/finance/payments/new/", _form(cust, slip=fake))

    assert response.status_code == 200
    assert "可执行文件" in response.content.decode()
    assert Payment.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_salesperson_cannot_record_a_payment_for_another_salespersons_customer(personas, login):
    other = customer(personas, "sales2")

    response = login("sales1").post("/finance/payments/new/", _form(other))

    assert response.status_code == 200 and Payment.objects.count() == 0
    assert f'value="{other.pk}"' not in response.content.decode()  # not even offered


def test_an_acceptance_bill_needs_its_maturity(personas, login):
    cust = customer(personas, "sales1")

    response = login("clerk").post("/finance/payments/new/", _form(cust, method="bank_acceptance"))

    assert "承兑汇票请填写到期日" in response.content.decode()
    assert Payment.objects.count() == 0


def test_a_payer_other_than_the_customer_is_flagged(personas, login):
    cust = customer(personas, "sales1", name="北京华远（集团）有限公司")
    client = login("sales1")

    same = client.get("/finance/payments/payer-check/", {"customer": cust.pk, "payer_name": "北京华远(集团)有限公司 "})
    other = client.get("/finance/payments/payer-check/", {"customer": cust.pk, "payer_name": "张三"})

    assert "payer-warning" not in same.content.decode()
    assert "三流一致" in other.content.decode()


def test_the_order_select_offers_the_customers_open_orders_with_what_they_still_need(personas, login):
    cust = customer(personas, "sales1")
    o = order(personas, cust, "8000.00")
    payment(personas, cust, "3000.00", order=o, confirm=True)
    order(personas, cust, "100.00", status="draft")

    html = login("sales1").get("/finance/payments/order-options/", {"customer": cust.pk}).content.decode()

    assert o.number in html and "未收 ¥5,000.00" in html
    assert html.count("<option") == 2  # the empty choice and the submitted order; not the draft


# --- the queue --------------------------------------------------------------------------------------


def test_finance_confirms_from_the_queue_with_htmx_and_gets_the_refreshed_row(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "10000.00")
    p = payment(personas, cust, "6000.00", order=o)

    response = login("finance").post(f"/finance/payments/{p.pk}/confirm/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="queue-row-{p.pk}"' in html and 'data-status="confirmed"' in html and "<nav" not in html
    assert "toast" in response["HX-Trigger"]
    [alloc] = Allocation.objects.all()
    assert (alloc.payment_id, alloc.order_id, alloc.amount) == (p.pk, o.pk, Decimal("6000.00"))
    assert Payment.objects.get(pk=p.pk).status == "confirmed"


def test_the_queue_lists_pending_payments_oldest_first_with_the_order_and_the_free_advance(personas, login):
    cust = customer(personas)
    payment(personas, cust, "700.00", confirm=True)  # a free advance of ¥700
    o = order(personas, cust, "2000.00")
    first = payment(personas, cust, "1500.00", order=o)
    second = payment(personas, cust, "300.00")

    html = login("finance").get("/finance/queue/").content.decode()

    assert html.index(f"queue-row-{first.pk}") < html.index(f"queue-row-{second.pk}")
    assert o.number in html and "¥700.00" in html


def test_a_second_confirmation_is_refused_in_the_row_and_allocates_nothing_more(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "1000.00")
    p = payment(personas, cust, "1000.00", order=o)
    client = login("finance")
    client.post(f"/finance/payments/{p.pk}/confirm/", HTTP_HX_REQUEST="true")

    response = client.post(f"/finance/payments/{p.pk}/confirm/", HTTP_HX_REQUEST="true")

    assert "已处理" in response.content.decode()
    assert Allocation.objects.count() == 1


def test_finance_rejects_from_the_queue_with_a_reason(personas, login):
    p = payment(personas, customer(personas), "900.00")

    response = login("finance").post(f"/finance/payments/{p.pk}/reject/", {f"p{p.pk}-reason": "银行未查到"},
                                     HTTP_HX_REQUEST="true")

    assert 'data-status="rejected"' in response.content.decode()
    p.refresh_from_db()
    assert (p.status, p.reject_reason) == ("rejected", "银行未查到")


def test_a_rejection_without_a_reason_keeps_the_payment_pending(personas, login):
    p = payment(personas, customer(personas), "900.00")

    response = login("finance").post(f"/finance/payments/{p.pk}/reject/", {f"p{p.pk}-reason": ""},
                                     HTTP_HX_REQUEST="true")

    assert "请填写驳回原因" in response.content.decode()
    assert Payment.objects.get(pk=p.pk).status == "pending"


@pytest.mark.parametrize("username", ["clerk", "sales1", "manager", "gm", "hr", "warehouse"])
def test_only_finance_sees_the_queue(personas, login, username):
    assert login(username).get("/finance/queue/").status_code == 403


@pytest.mark.parametrize("username", ["clerk", "sales1", "manager", "gm"])
def test_only_finance_confirms_and_a_refused_confirmation_writes_nothing(personas, login, username):
    cust = customer(personas, "sales1")
    o = order(personas, cust, "1000.00")
    p = payment(personas, cust, "1000.00", order=o)

    confirm = login(username).post(f"/finance/payments/{p.pk}/confirm/", HTTP_HX_REQUEST="true")
    reject = login(username).post(f"/finance/payments/{p.pk}/reject/", {f"p{p.pk}-reason": "x"})

    assert (confirm.status_code, reject.status_code) == (403, 403)
    assert Payment.objects.get(pk=p.pk).status == "pending" and Allocation.objects.count() == 0


# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count;
# pending payments, their count, pending exceptions, the customers' confirmed money and their
# allocations (free advance), the orders' allocations, the slips.
QUEUE_QUERIES = 14


def test_the_queue_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login):
    from salesdesk.core.jobs import beat

    beat()
    client = login("finance")

    def some(n):
        for _ in range(n):
            cust = customer(personas)
            p = payment(personas, cust, "100.00", order=order(personas, cust, "500.00"))
            attach(actor=personas["clerk"], owner=p, uploaded_file=SimpleUploadedFile("s.png", PNG))
        GateException.objects.create(order=order(personas, customer(personas), "1.00"), amount=Decimal(1), reason="r",
                                     expires_on=date(2099, 1, 1), requested_by=personas["clerk"])

    some(1)
    client.get("/finance/queue/")  # warm per-process caches (content types, permissions)
    with query_budget(QUEUE_QUERIES):
        client.get("/finance/queue/")
    some(12)
    with query_budget(QUEUE_QUERIES):
        response = client.get("/finance/queue/")
    assert response.content.decode().count('class="card mb-2 queue-row') == 13


# --- list and detail --------------------------------------------------------------------------------

# Session, user, user and group permissions, the user's groups (menu), heartbeat, unread count,
# row count, rows (with customer, order and recorder joined).
LIST_QUERIES = 9


def test_the_payment_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login):
    from salesdesk.core.jobs import beat

    beat()
    client = login("clerk")
    cust = customer(personas)
    payment(personas, cust, "100.00", order=order(personas, cust))
    client.get("/finance/payments/")
    with query_budget(LIST_QUERIES):
        client.get("/finance/payments/")
    for _ in range(15):
        c = customer(personas)
        payment(personas, c, "100.00", order=order(personas, c), confirm=True)
    with query_budget(LIST_QUERIES):
        response = client.get("/finance/payments/")
    assert response.content.decode().count("/finance/payments/") >= 16


def test_a_salesperson_lists_only_payments_of_their_customers(personas, login):
    mine = payment(personas, customer(personas, "sales1"), "100.00")
    theirs = payment(personas, customer(personas, "sales2"), "200.00")

    html = login("sales1").get("/finance/payments/", HTTP_HX_REQUEST="true").content.decode()

    assert mine.number in html and theirs.number not in html


def test_the_list_filters_by_status_and_customer(personas, login):
    a = customer(personas, name="甲方钢铁有限公司")
    b = customer(personas, name="乙方化工有限公司")
    pending = payment(personas, a, "100.00")
    confirmed = payment(personas, a, "200.00", confirm=True)
    other = payment(personas, b, "300.00")

    html = login("clerk").get("/finance/payments/", {"status": "pending", "customer": "甲方"},
                              HTTP_HX_REQUEST="true").content.decode()

    assert pending.number in html
    assert confirmed.number not in html and other.number not in html


def test_the_export_is_logged_and_refused_without_the_permission(personas, login):
    payment(personas, customer(personas), "100.00")

    response = login("clerk").get("/finance/payments/", {"export": "xlsx"})
    refused = login("manager").get("/finance/payments/", {"export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=3, column=5).value == 100  # the amount, a number
    assert ExportLog.objects.get().what == "finance.payments"
    assert refused.status_code == 403 and ExportLog.objects.count() == 1


def test_the_detail_shows_allocations_and_the_slip(personas, login):
    cust = customer(personas)
    o = order(personas, cust, "400.00")
    p = payment(personas, cust, "1000.00", order=o)
    attach(actor=personas["clerk"], owner=p, uploaded_file=SimpleUploadedFile("slip.png", PNG))
    payment(personas, cust, "1.00")  # pending: not part of the advance
    confirm_payment(actor=personas["finance"], payment=p)

    html = login("sales1").get(f"/finance/payments/{p.pk}/").content.decode()

    assert o.number in html and "¥400.00" in html and "¥600.00" in html  # allocated / kept as advance
    assert "/core/attachments/" in html


def test_another_salespersons_payment_is_not_found(personas, login):
    p = payment(personas, customer(personas, "sales2"), "100.00")

    assert login("sales1").get(f"/finance/payments/{p.pk}/").status_code == 404


# --- re-allocation ----------------------------------------------------------------------------------


def test_finance_moves_money_between_orders_in_one_step(personas, login):
    cust = customer(personas)
    a, b = order(personas, cust, "1000.00"), order(personas, cust, "1000.00")
    p = payment(personas, cust, "1000.00", order=a, confirm=True)
    page = login("finance").get(f"/finance/payments/{p.pk}/allocate/")
    assert f'<option value="{a.pk}" selected>' in page.content.decode()  # the current allocation, prefilled

    response = login("finance").post(f"/finance/payments/{p.pk}/allocate/", {
        "alloc-TOTAL_FORMS": "2", "alloc-INITIAL_FORMS": "0",
        "alloc-0-order": a.pk, "alloc-0-amount": "300.00",
        "alloc-1-order": b.pk, "alloc-1-amount": "500.00",
    })

    assert response.status_code == 302
    assert (allocated_to_order(a.pk), allocated_to_order(b.pk)) == (Decimal("300.00"), Decimal("500.00"))
    assert free_advance(cust.pk) == Decimal("200.00")
    assert Allocation.objects.filter(reason="reallocate").count() == 2  # rows added, none edited


def test_a_reallocation_beyond_the_payment_is_refused_and_changes_nothing(personas, login):
    cust = customer(personas)
    a = order(personas, cust, "5000.00")
    p = payment(personas, cust, "1000.00", order=a, confirm=True)

    response = login("finance").post(f"/finance/payments/{p.pk}/allocate/", {
        "alloc-TOTAL_FORMS": "1", "alloc-INITIAL_FORMS": "0", "alloc-0-order": a.pk, "alloc-0-amount": "1500.00",
    })

    assert response.status_code == 200 and "超过回款金额" in response.content.decode()
    assert Allocation.objects.count() == 1


def test_only_finance_reallocates(personas, login):
    cust = customer(personas)
    p = payment(personas, cust, "1000.00", confirm=True)

    assert login("clerk").get(f"/finance/payments/{p.pk}/allocate/").status_code == 403


# --- gate exceptions --------------------------------------------------------------------------------


def test_the_clerk_requests_an_exception_from_the_order_and_the_manager_approves_it(personas, login):
    o = order(personas, customer(personas, "sales1"), "20000.00")
    expires = (timezone.localdate() + timedelta(days=7)).isoformat()

    response = login("clerk").post(f"/finance/exceptions/new/?order={o.pk}",
                                   {"order": o.pk, "amount": "5000.00", "reason": "老客户，月底付款", "expires_on": expires})
    exc = GateException.objects.get()
    assert response["Location"] == f"/finance/exceptions/{exc.pk}/"

    login("manager").post(f"/finance/exceptions/{exc.pk}/approve/", {"note": "同意"})

    exc.refresh_from_db()
    assert (exc.status, exc.decided_by, exc.decision_note) == ("approved", personas["manager"], "同意")


def test_nobody_approves_their_own_exception(personas, login):
    manager = personas["manager"]
    manager.groups.add(Group.objects.get(name="clerk"))  # a manager who also keeps the desk
    o = order(personas, customer(personas, "sales1"), "20000.00")
    exc = request_exception(actor=User.objects.get(pk=manager.pk), order=o, amount=Decimal("1000.00"), reason="急用",
                            expires_on=timezone.localdate() + timedelta(days=3))
    client = login("manager")
    assert "不能由您审批" in client.get(f"/finance/exceptions/{exc.pk}/").content.decode()

    response = client.post(f"/finance/exceptions/{exc.pk}/approve/", follow=True)

    assert "不能审批自己的申请" in response.content.decode()
    assert GateException.objects.get(pk=exc.pk).status == "pending"


def test_above_the_managers_limit_the_gm_approves(personas, login, settings):
    settings.GATE_EXCEPTION_MANAGER_LIMIT = "10000"
    o = order(personas, customer(personas, "sales1"), "50000.00")
    exc = request_exception(actor=personas["clerk"], order=o, amount=Decimal("20000.00"), reason="大单",
                            expires_on=timezone.localdate() + timedelta(days=3))

    refused = login("manager").post(f"/finance/exceptions/{exc.pk}/approve/", follow=True)
    assert "总经理审批" in refused.content.decode()
    assert GateException.objects.get(pk=exc.pk).status == "pending"

    login("gm").post(f"/finance/exceptions/{exc.pk}/approve/")
    assert GateException.objects.get(pk=exc.pk).status == "approved"


def test_a_salesperson_cannot_request_an_exception_on_another_salespersons_order(personas, login):
    o = order(personas, customer(personas, "sales2"), "1000.00", owner="sales2")

    response = login("sales1").get(f"/finance/exceptions/new/?order={o.pk}")

    assert response.status_code == 404 and GateException.objects.count() == 0


def test_the_order_page_has_a_payments_tab_with_the_buttons(personas, login):
    o = order(personas, customer(personas, "sales1"), "1000.00")

    html = login("clerk").get(f"/orders/{o.pk}/?tab=panel-payments", HTTP_HX_REQUEST="true").content.decode()

    assert f"/finance/payments/new/?order={o.pk}" in html and f"/finance/exceptions/new/?order={o.pk}" in html


def test_a_manager_approves_from_the_list_and_comes_back_to_it(personas, login):
    o = order(personas, customer(personas, "sales1"), "9000.00")
    exc = request_exception(actor=personas["clerk"], order=o, amount=Decimal("2000.00"), reason="急用",
                            expires_on=timezone.localdate() + timedelta(days=3))
    client = login("manager")
    html = client.get("/finance/exceptions/?status=pending").content.decode()
    assert f"/finance/exceptions/{exc.pk}/approve/" in html

    response = client.post(f"/finance/exceptions/{exc.pk}/approve/", {"next": "/finance/exceptions/?status=pending"})

    assert response["Location"] == "/finance/exceptions/?status=pending"
    assert GateException.objects.get(pk=exc.pk).status == "approved"


def test_the_list_offers_no_approval_of_ones_own_request(personas, login):
    manager = personas["manager"]
    manager.groups.add(Group.objects.get(name="clerk"))
    o = order(personas, customer(personas, "sales1"), "9000.00")
    exc = request_exception(actor=User.objects.get(pk=manager.pk), order=o, amount=Decimal("2000.00"), reason="急用",
                            expires_on=timezone.localdate() + timedelta(days=3))

    html = login("manager").get("/finance/exceptions/").content.decode()

    assert "本人申请" in html and f"/finance/exceptions/{exc.pk}/approve/" not in html
