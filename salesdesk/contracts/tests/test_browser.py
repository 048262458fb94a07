"""A contract from the first keystroke to finance's notification, in a real browser (Playwright on
Debian's chromium): the clerk writes a contract with two lines and a collection plan (回款计划) — is
told plainly when the instalments do not add up, fixes them — activates it, enters an order under
it with a 70/30 credit split and submits it; finance sees the bell and the notification.
Screenshots land in var/screenshots/ (contract-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesdesk.contracts.models import Contract
from salesdesk.core.models import Notification
from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.models import Fact
from salesdesk.orders.models import Order
from salesdesk.orders.tests.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 900}


def _shot(page, name: str) -> None:
    shot(page, name, top=True)  # else the sticky bars land mid-page in a full-page shot


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _watch(page, problems: list[str]) -> None:
    page.on("pageerror", lambda exc: problems.append(f"JS error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)


def test_clerk_contracts_with_instalments_orders_under_it_70_30_and_finance_is_told(page, browser, personas):
    problems: list[str] = []
    _watch(page, problems)
    customer = CustomerFactory(salesperson=personas["sales1"], name="天津海河机械有限公司",
                               search_text="天津海河机械有限公司 tianjinhaihejixie tjhhjxyxgs")
    oil = make_product(price="1130.00", name="抗磨液压油", specification="L-HM46 200L")
    grease = make_product(price="418.00", name="锂基润滑脂", specification="2# 15kg")
    today = timezone.localdate()
    first_due, second_due = today + timedelta(days=30), today + timedelta(days=120)
    _login(page, "clerk")

    # 1. a new contract: header, two lines, a plan that is 1,000.00 short
    page.goto("/contracts/")
    page.locator("#contract-new").click()
    page.wait_for_url("**/contracts/new/")
    page.locator("#id_customer").fill(customer.code)
    page.locator("#id_salesperson").select_option(str(personas["sales1"].pk))
    page.locator("#id_lines-0-sku").fill(oil.sku)
    page.locator("#id_lines-0-quantity").fill("100")
    page.locator("#id_lines-0-unit_price").fill("1050")
    page.locator("#id_lines-1-sku").fill(grease.sku)
    page.locator("#id_lines-1-quantity").fill("20")
    page.locator("#id_lines-1-unit_price").fill("380")
    add_instalment = page.locator("[data-add-row='instalment-grid']")
    add_instalment.click()
    add_instalment.click()
    page.locator("#id_instalments-0-due_on").fill(first_due.isoformat())
    page.locator("#id_instalments-0-amount").fill("33780.00")
    page.locator("#id_instalments-0-note").fill("预付款30%")
    page.locator("#id_instalments-1-due_on").fill(second_due.isoformat())
    page.locator("#id_instalments-1-amount").fill("77820.00")
    page.locator("#id_instalments-1-note").fill("到货后付清")
    _shot(page, "contract-1-form-filled")
    page.locator("#save-button").click()

    # 2. refused with a clear message; nothing saved; the grid keeps what was typed
    expect(page.locator("#instalment-errors")).to_contain_text("各期金额之和必须等于合同金额")
    expect(page.locator("#instalment-errors")).to_contain_text("相差 1000.00 元")
    assert not Contract.objects.exists()
    _shot(page, "contract-2-instalments-refused")
    page.locator("#id_instalments-1-amount").fill("78820.00")
    page.locator("#save-button").click()

    # 3. saved as a draft, then activated
    page.wait_for_url(re.compile(r"/contracts/\d+/$"))
    expect(page.locator("#contract-status")).to_have_text("草稿")
    expect(page.locator("main")).to_contain_text("112,600.00")
    expect(page.locator("main")).to_contain_text("预付款30%")
    _shot(page, "contract-3-draft")
    page.locator("#activate-button").click()
    expect(page.locator("#contract-status")).to_have_text("执行中")
    _shot(page, "contract-4-active")
    contract = Contract.objects.get()
    assert (contract.status, contract.total, contract.customer_id) == ("active", Decimal("112600.00"), customer.pk)
    assert [(i.due_on, i.amount) for i in contract.instalments.order_by("seq")] == [
        (first_due, Decimal("33780.00")), (second_due, Decimal("78820.00"))]

    # 4. an order under it, split 70/30 between sales1 and sales3, saved and submitted at once
    page.goto("/orders/")
    page.locator("#order-new").click()
    page.wait_for_url("**/orders/new/")
    with page.expect_response(re.compile(r"/orders/contract-options/")):
        page.locator("#customer-search").press_sequentially("海河")
    expect(page.locator("#id_customer")).to_have_value(str(customer.pk))
    with page.expect_response(re.compile(r"/orders/prices/")):
        page.locator("#id_contract").select_option(str(contract.pk))
    page.locator("#id_lines-0-product").select_option(str(oil.pk))
    expect(page.locator("#id_lines-0-unit_price")).to_have_value("1050")  # the contract price
    page.locator("#id_lines-0-quantity").fill("40")
    expect(page.locator("#grid-total")).to_have_text("42,000.00")
    page.locator("#add-share").click()
    page.locator("#add-share").click()
    page.locator("#id_shares-0-salesperson").select_option(str(personas["sales1"].pk))
    page.locator("#id_shares-0-percent").fill("70")
    page.locator("#id_shares-1-salesperson").select_option(str(personas["sales3"].pk))
    page.locator("#id_shares-1-percent").fill("30")
    _shot(page, "contract-5-order-filled")
    page.locator("#save-submit").click()

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("h1")).to_contain_text("已提交")
    expect(page.locator("#credit-split")).to_contain_text("70%")
    expect(page.locator("main")).to_contain_text(contract.number)
    _shot(page, "contract-6-order-submitted")
    order = Order.objects.get()
    assert (order.status, order.contract_id, order.total) == ("submitted", contract.pk, Decimal("42000.00"))
    by_person = {f.salesperson_id: f.amount for f in Fact.objects.filter(order_id=order.pk)}
    assert by_person == {personas["sales1"].pk: Decimal("29400.00"), personas["sales3"].pk: Decimal("12600.00")}

    # 5. finance: the bell shows it, the notifications page names the order
    finance = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=page.context._impl_obj._options.get("baseURL"))
    finance_page = finance.new_page()
    _watch(finance_page, problems)
    _login(finance_page, "finance")
    bell = finance_page.locator("a[title='通知']")
    expect(bell.locator(".badge")).to_have_text("1")
    _shot(finance_page, "contract-7-finance-bell")
    bell.click()
    finance_page.wait_for_url("**/notifications/")
    expect(finance_page.locator("main")).to_contain_text(order.number)
    _shot(finance_page, "contract-8-finance-notification")
    finance.close()
    assert Notification.objects.filter(recipient=personas["finance"], kind="order_submitted").count() == 1
    assert problems == []
