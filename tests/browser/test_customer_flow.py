"""The clerk's customer file and complaint handling in a real browser: files a new customer with a
contact for 张伟, adds a second contact on the 联系人 tab (htmx), logs a complaint from the
客诉/反馈 tab, then starts, resolves and closes the ticket with the customer's confirmation.
Screenshots land in var/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "北京华远贸易有限公司"
RESOLUTION = "已补发 20 箱，破损货物由物流公司赔付。"
CONFIRMATION = "客户电话确认已收到补发货物，满意"


def _htmx(page, fragment: str):
    """Waits for the htmx response whose URL contains ``fragment``."""
    return page.expect_response(lambda r: fragment in r.url and r.request.headers.get("hx-request") == "true")


def _toast(page, text: str):
    return page.locator("#toasts .toast").filter(has_text=text)


def test_clerk_files_a_customer_and_handles_a_complaint(page, login, screenshot, page_problems, personas):
    problems = page_problems(page)
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm on the ticket actions
    login(page, "clerk")

    # --- the customer file ------------------------------------------------------------------
    page.locator("#sidebar").get_by_role("link", name="客户档案").click()
    page.wait_for_url("/customers/")
    page.get_by_role("link", name="新建客户").click()
    page.wait_for_url("/customers/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("新建客户")

    form = page.locator("#customer-form")
    form.get_by_label("客户名称").fill(NAME)
    form.get_by_label("负责业务员").select_option(label="张伟")
    form.get_by_label("区域").fill("华北")
    form.get_by_label("联系人姓名").fill("李经理")
    form.get_by_label("职务", exact=True).fill("采购经理")
    form.get_by_label("电话", exact=True).fill("138-0013-8000")
    expect(page.locator("#duplicate-hint")).not_to_contain_text(NAME)  # nothing like it on file yet
    page.evaluate("window.scrollTo(0, 0)")  # the sticky navbar otherwise lands mid-page in a full-page shot
    screenshot(page, "customer-new", full_page=True)
    form.get_by_role("button", name="保存").click()

    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    from salesdesk.customers.models import Customer, Ticket

    customer = Customer.objects.get()
    assert re.fullmatch(r"KH-\d+", customer.code), customer.code
    expect(_toast(page, f"客户已建档：{NAME}（{customer.code}）")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(page.get_by_role("heading", level=1)).to_contain_text(customer.code)
    overview = page.locator("#tab-overview")
    expect(overview.locator("#primary-contact")).to_contain_text("李经理")
    expect(overview.locator('#primary-contact a[href="tel:+8613800138000"]')).to_be_visible()
    expect(overview).to_contain_text("张伟")
    expect(overview).to_contain_text("华北")
    screenshot(page, "customer-detail", full_page=True)

    # --- a second contact through the htmx form on the 联系人 tab --------------------------------
    with _htmx(page, "tab=panel-contacts"):
        page.get_by_role("tab", name="联系人").click()
    pane = page.locator("#tab-panel-contacts")
    expect(pane.locator("#contact-list > li")).to_have_count(1)
    pane.get_by_role("button", name="添加联系人").click()
    add = pane.locator("#contact-add form")
    expect(add).to_be_visible()
    add.get_by_label("姓名", exact=True).fill("赵会计")
    add.get_by_label("角色").select_option(label="财务")
    add.get_by_label("电话", exact=True).fill("010-62345678转8001")
    with _htmx(page, f"/customers/{customer.pk}/contacts/") as saved:
        add.get_by_role("button", name="保存联系人").click()
    assert saved.value.status == 200
    expect(_toast(page, "联系人已添加。")).to_be_visible()
    expect(pane.locator("#contact-list > li")).to_have_count(2)
    expect(pane.locator('#contact-list a[href="tel:+861062345678,8001"]')).to_contain_text("转8001")
    assert page.url.endswith(f"/customers/{customer.pk}/")  # swapped in place, no navigation

    # --- a complaint from the 客诉/反馈 tab ----------------------------------------------------
    with _htmx(page, "tab=panel-tickets"):
        page.get_by_role("tab", name="客诉/反馈").click()
    tickets = page.locator("#tab-panel-tickets")
    expect(tickets.locator("#customer-tickets")).to_contain_text("没有客诉/反馈。")
    tickets.get_by_role("link", name="登记客诉/反馈").click()
    page.wait_for_url(f"/service/tickets/new/?customer={customer.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("新建客诉/反馈")
    page.get_by_label("标题").fill("到货破损 20 箱")
    page.get_by_label("类别").select_option(label="投诉")
    page.get_by_label("严重程度").select_option(label="高")
    page.get_by_label("联系人").select_option(label="李经理")
    page.get_by_label("描述").fill("3 月 5 日到货，外箱压坏，20 箱产品破损。")
    expect(page.get_by_label("处理人")).to_have_value(str(personas["sales1"].pk))  # the owner, by default
    page.get_by_role("button", name="保存").click()

    page.wait_for_url(re.compile(r"/service/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    expect(_toast(page, f"已登记客诉 {ticket.number}。")).to_be_visible()
    status = page.locator("#ticket-status")
    expect(status).to_have_attribute("data-status", "open")
    expect(status).to_contain_text("待处理")

    # Back on the customer's tab, the ticket is listed as open; the clerk opens it from there.
    page.goto(f"/customers/{customer.pk}/?tab=panel-tickets")
    row = page.locator("#customer-tickets tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("待处理")
    expect(page.locator("#tab-panel-tickets")).to_contain_text("未结 1")
    row.get_by_role("link", name=ticket.number).click()
    page.wait_for_url(f"/service/tickets/{ticket.pk}/")

    # --- start, resolve, close ------------------------------------------------------------------
    actions = page.locator("#ticket-actions")
    with _htmx(page, f"/service/tickets/{ticket.pk}/start/"):
        actions.get_by_role("button", name="开始处理").click()
    expect(status).to_have_attribute("data-status", "in_progress")
    expect(status).to_contain_text("处理中")

    actions.get_by_label("处理结果").fill(RESOLUTION)
    with _htmx(page, f"/service/tickets/{ticket.pk}/resolve/"):
        actions.get_by_role("button", name="标记已解决").click()
    expect(status).to_have_attribute("data-status", "resolved")
    expect(status).to_contain_text("已解决")
    expect(page.locator("#ticket-resolution")).to_contain_text(RESOLUTION)
    expect(page.locator("#ticket-error")).to_have_count(0)
    screenshot(page, "ticket-resolved", full_page=True)

    actions.get_by_label("客户确认说明").fill(CONFIRMATION)
    with _htmx(page, f"/service/tickets/{ticket.pk}/close/"):
        actions.get_by_role("button", name="客户确认，关闭").click()
    expect(status).to_have_attribute("data-status", "closed")
    expect(status).to_contain_text("已关闭")
    expect(page.locator("#ticket-confirmation")).to_contain_text(CONFIRMATION)
    expect(page.locator("#ticket-actions")).to_have_count(0)  # a closed ticket is final
    expect(page.locator("#ticket-notes")).to_contain_text(CONFIRMATION)
    screenshot(page, "ticket-closed", full_page=True)
    page.reload()  # the heading's 修改 button is outside the swapped block: gone once the page is reloaded
    expect(status).to_have_attribute("data-status", "closed")
    expect(page.get_by_role("link", name="修改")).to_have_count(0)

    # --- what was written ------------------------------------------------------------------------
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution, ticket.customer_confirmation) == ("closed", RESOLUTION, CONFIRMATION)
    assert ticket.customer_confirmed_at is not None and ticket.resolved_at is not None
    assert (ticket.customer_id, ticket.created_by, ticket.assignee) == (
        customer.pk, personas["clerk"], personas["sales1"])
    assert sorted(customer.contacts.values_list("name", "is_primary")) == [("李经理", True), ("赵会计", False)]
    customer.refresh_from_db()
    assert (customer.salesperson, customer.region, customer.created_by) == (
        personas["sales1"], "华北", personas["clerk"])
    assert problems == []
