"""The order form in a real browser (Playwright on Debian's chromium): the clerk finds the customer
by typing, picks its active contract, gets the contract price prefilled, splits the credit 70/30,
saves and submits; finance finds the notification. Screenshots land in var/screenshots/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from salesdesk.core.models import Notification
from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot as _shot
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.models import Fact
from salesdesk.orders.models import Order

from .factories import make_contract, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_enters_an_order_under_a_contract_with_a_70_30_split_and_submits_it(page, browser, personas):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    customer = CustomerFactory(salesperson=personas["sales1"], name="天津海河机械有限公司", search_text="tjhhjxyxgs 天津海河机械")
    product = make_product(price="1130.00", name="抗磨液压油")
    contract = make_contract(personas, customer=customer, lines=[(product, "100", "1050.00")])
    _login(page, "clerk")

    page.goto("/orders/new/")
    with page.expect_response(re.compile(r"/orders/contract-options/")):
        page.locator("#customer-search").press_sequentially("海河")
    expect(page.locator("#id_customer")).to_have_value(str(customer.pk))
    with page.expect_response(re.compile(r"/orders/prices/")):
        page.locator("#id_contract").select_option(str(contract.pk))
    page.locator("#id_lines-0-product").select_option(str(product.pk))
    expect(page.locator("#id_lines-0-unit_price")).to_have_value("1050")  # the contract price, prefilled
    page.locator("#id_lines-0-quantity").fill("30")
    expect(page.locator("#grid-total")).to_have_text("31,500.00")
    page.locator("#add-share").click()
    page.locator("#add-share").click()
    page.locator("#id_shares-0-salesperson").select_option(str(personas["sales1"].pk))
    page.locator("#id_shares-0-percent").fill("70")
    page.locator("#id_shares-1-salesperson").select_option(str(personas["sales3"].pk))
    page.locator("#id_shares-1-percent").fill("30")
    _shot(page, "order-form-filled")
    page.locator("#save-submit").click()

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("h1")).to_contain_text("已提交")
    expect(page.locator("#credit-split")).to_contain_text("70%")
    expect(page.locator("#total-words")).to_contain_text("人民币叁万壹仟伍佰元整")
    _shot(page, "order-submitted")
    order = Order.objects.get()
    assert (order.status, order.contract_id, order.total) == ("submitted", contract.pk, Decimal("31500.00"))
    by_person = {f.salesperson_id: f.amount for f in Fact.objects.filter(order_id=order.pk)}
    assert by_person == {personas["sales1"].pk: Decimal("22050.00"), personas["sales3"].pk: Decimal("9450.00")}

    finance = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=page.context._impl_obj._options.get("baseURL"))
    finance_page = finance.new_page()
    _login(finance_page, "finance")
    finance_page.goto("/core/notifications/")
    expect(finance_page.locator("main")).to_contain_text(order.number)
    _shot(finance_page, "order-finance-notification")
    assert Notification.objects.filter(recipient=personas["finance"], kind="order_submitted").count() == 1
    finance.close()
    assert errors == []
