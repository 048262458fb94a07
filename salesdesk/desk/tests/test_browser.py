"""The desk in a real browser (Playwright on Debian's chromium): the clerk's morning with demo-like
duties, a call logged in place; finance marks a reported order seen from its home page; the GM's
month chart draws. And issue 9's flow: the desk shows the clerk's "has the money arrived?" request,
finance confirms it from its queue, the clerk releases and ships the order from the desk, and after
16:00 checks and sends the daily report from the desk. Screenshots land in var/screenshots/ (desk-*.png)."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from salesdesk.core.models import OutboxMessage
from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot as _shot
from salesdesk.logistics.models import CallTask, Shipment
from salesdesk.logistics.tests.factories import customer, paid, product, submitted_order
from salesdesk.reports.deliveries import plan_deliveries
from salesdesk.reports.models import ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import create_builtins

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


def _context(browser, page):
    base = page.url.split("/", 3)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=f"{base[0]}//{base[2]}")
    return context


def test_the_clerk_sees_her_request_answered_releases_and_ships_from_the_desk_and_sends_the_daily_report(
        page, browser, personas):
    from salesdesk.core.jobs import beat

    today = timezone.localdate()
    # 16:05 today: the daily report has been drafted at 16:00 and goes out by itself at 16:50
    with time_machine.travel(timezone.make_aware(datetime.combine(today, time(16, 5))), tick=True):
        beat()
        create_builtins(ReportSchedule)  # a transactional test may start from a flushed database
        daily = ReportSchedule.objects.get(code="daily_performance")
        factories.duties(personas, "sales2")  # an ordinary day around it
        factories.month(personas, "sales1")
        cust = customer(personas, "sales1", name="洛阳重型机械有限公司")
        oil = product("1130.00")
        order = submitted_order(personas, cust, [(oil, "10", "1130.00")], owner="sales1")
        payment = paid(personas, cust, "11300.00", order=order, confirm=False, received_on=today)  # "款到了吗？"
        plan_deliveries(daily, today.isoformat())
        page.on("dialog", lambda dialog: dialog.accept())

        # 1. The clerk's desk shows her pending request.
        _login(page, "clerk")
        pending = page.locator("#duty-pending_payments")
        expect(pending).to_contain_text(payment.number)
        expect(pending).to_contain_text(order.number)
        _shot(page, "desk-flow-1-clerk-pending-request", top=True)

        # 2. Finance confirms it from its queue.
        finance_context = _context(browser, page)
        finance = finance_context.new_page()
        finance.on("dialog", lambda dialog: dialog.accept())
        _login(finance, "finance")
        finance.goto("/finance/queue/")
        row = finance.locator(f"#queue-row-{payment.pk}")
        expect(row).to_contain_text(order.number)
        row.locator("button[name=confirm]").click()
        expect(finance.locator(f"#queue-row-{payment.pk}")).to_have_attribute("data-status", "confirmed")
        _shot(finance, "desk-flow-2-finance-confirmed")
        finance_context.close()

        # 3. Back on the desk: the answer, and the order released (money there, goods not yet shipped).
        page.goto("/")
        expect(page.locator("#duty-answered_today")).to_contain_text("已到账")
        released = page.locator("#duty-released_orders li", has_text=order.number)
        expect(released).to_contain_text(cust.name)
        _shot(page, "desk-flow-3-clerk-released", top=True)
        released.get_by_role("link", name="发货").click()
        page.wait_for_url(re.compile(r"/logistics/shipments/new/\?order=\d+"))
        expect(page.locator(f"#id_qty_{order.lines.get().pk}")).to_have_value("10")
        page.locator("#shipment-save").click()
        page.wait_for_url(re.compile(r"/logistics/shipments/\d+/$"))
        shipment = Shipment.objects.get(order=order)
        assert shipment.status == "planned"

        # 4. The desk lists it to send off; she types the waybill and dispatches it in place.
        page.goto("/")
        planned = page.locator(f"#planned-{shipment.pk}")
        expect(page.locator("#duty-released_orders")).not_to_contain_text(order.number)
        planned.locator("select").select_option("SF")
        planned.locator("input[type=text]").fill("SF1234567890123")
        planned.scroll_into_view_if_needed()
        _shot(page, "desk-flow-4-clerk-dispatch-in-place", full_page=False)
        planned.get_by_role("button", name="确认发货").click()
        expect(page.locator(f"#planned-{shipment.pk}")).to_contain_text("SF1234567890123")
        expect(page.locator("#toasts")).to_contain_text(shipment.number)
        shipment.refresh_from_db()
        assert shipment.status == "dispatched" and CallTask.objects.filter(shipment=shipment, status="open").exists()
        _shot(page, "desk-flow-5-clerk-shipped", top=True)

        # 5. The drafted daily report: preview, checked, sent now (before 16:50).
        page.goto("/")
        draft = page.locator("#reports-draft")
        expect(draft).to_contain_text(today.isoformat())
        expect(draft.locator("#draft-preview")).to_contain_text(personas["sales1"].display_name)
        draft.scroll_into_view_if_needed()
        _shot(page, "desk-flow-6-daily-report-draft", full_page=False)
        page.locator("#send-drafts").click()
        expect(page.locator("#reports-draft")).to_have_count(0)
        expect(page.locator("#deliveries-daily_performance")).to_contain_text("已发送 2")
        expect(page.locator("#toasts")).to_contain_text("已发送 2 份")
        assert set(ReportDelivery.objects.filter(schedule=daily).values_list("status", "late")) == {("sent", False)}
        assert sum("日报" in m.payload["subject"] for m in OutboxMessage.objects.filter(kind="mail")) == 2
        page.locator("#desk-reports").scroll_into_view_if_needed()
        _shot(page, "desk-flow-7-daily-report-sent", full_page=False)

        # each sent delivery opens as it was rendered
        page.locator("#deliveries-daily_performance").get_by_role("link", name="查看").first.click()
        page.wait_for_url(re.compile(r"/reports/schedules/deliveries/\d+/$"))
        _shot(page, "desk-flow-8-kept-delivery")
