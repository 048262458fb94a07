"""The desk in a real browser (Playwright on Debian's chromium): the clerk's morning with demo-like
duties, a call logged in place; finance marks a reported order seen from its home page; the GM's
month chart draws. Screenshots land in var/screenshots/ (desk-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot as _shot
from salesdesk.logistics.models import CallTask

from . import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clerk_works_through_the_desk_and_finance_and_the_gm_see_their_pages(page, browser, personas):
    from salesdesk.core.jobs import beat

    beat()
    factories.duties(personas, "sales1", n=3)
    factories.duties(personas, "sales2", n=2)
    factories.month(personas, "sales1")
    factories.month(personas, "sales2")
    CallTask.objects.update(phone="13800138000")

    _login(page, "clerk")
    expect(page.locator("#duty-pending_payments")).to_contain_text("款到了吗")
    _shot(page, "desk-clerk")

    card = page.locator("#duty-calls_to_make .call-card").first
    card.get_by_label("已致电").check()
    card.locator("input[type=text], textarea").first.fill("客户已知悉发货")
    card.get_by_role("button", name="记录").click()
    expect(page.locator("#duty-calls_to_make .call-card").first).to_contain_text("客户已知悉发货")

    finance = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2])
    fpage = finance.new_page()
    _login(fpage, "finance")
    row = fpage.locator("#duty-unseen_orders li[id^=seen-]").first
    row.get_by_role("button", name="已阅").click()
    expect(fpage.locator("#duty-unseen_orders .badge.text-bg-success").first).to_have_text("财务已阅")
    _shot(fpage, "desk-finance")
    finance.close()

    gm = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai",
                             base_url=page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2])
    gpage = gm.new_page()
    _login(gpage, "gm")
    expect(gpage.locator("#desk-chart canvas")).to_have_count(1)
    _shot(gpage, "desk-gm")
    gm.close()
