"""款到发货 end to end in a real browser (Playwright on Debian's chromium), issue 6 "Done when":
a salesperson records the customer's payment with a photo of the bank slip on a phone, naming the
order → finance confirms it from the queue → the clerk plans the shipment from the order (the gate
lets it through) → dispatches it → calls the customer from the call list (tel: link) and logs the
outcome → marks it delivered with the signer. Screenshots land in var/screenshots/logistics-*.png."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot
from salesdesk.customers.tests.factories import ContactFactory
from salesdesk.finance.models import Payment
from salesdesk.ledger.models import Fact
from salesdesk.logistics.models import CallTask, Shipment

from .factories import customer, product, submitted_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _context(browser, live_server, *, phone: bool = False):
    extra = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone else {}
    return browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                               base_url=live_server.url, **extra)


def _watch(page, problems: list[str]) -> None:
    page.on("pageerror", lambda exc: problems.append(f"JS error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm / confirm(): the person says yes


def _slip_photo() -> bytes:
    """A phone photo of a bank receipt (电子回单), as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (720, 400), "#f7f3e8")
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.truetype(CJK_FONT, 34), ImageFont.truetype(CJK_FONT, 24)
    draw.rectangle((12, 12, 708, 388), outline="#b22222", width=4)
    draw.text((210, 30), "中国工商银行 电子回单", font=big, fill="#b22222")
    for i, line in enumerate(("付款人：洛阳重型机械有限公司", "收款人：华远润滑油销售有限公司", "金额：¥11,300.00（壹万壹仟叁佰元整）",
                              "交易流水号：FT2611270001", "用途：货款 液压油")):
        draw.text((50, 110 + 52 * i), line, font=small, fill="#222")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _shot(page, name: str, *, full_page: bool = True) -> None:
    shot(page, f"logistics-{name}", full_page=full_page)


def test_paid_order_is_confirmed_by_finance_shipped_dispatched_called_and_delivered(browser, live_server, personas):
    problems: list[str] = []
    cust = customer(personas, "sales1", name="洛阳重型机械有限公司", search_text="lyzxjxyxgs 洛阳重型机械")
    ContactFactory(customer=cust, name="王主任", is_primary=True, mobile="+8613800138000")
    oil = product("1130.00")
    oil.name, oil.specification, oil.unit = "抗磨液压油", "L-HM46 18L", "桶"
    oil.save()
    order = submitted_order(personas, cust, [(oil, 10, "1130.00")], owner="sales1")

    # 1. The salesperson, on a phone at the customer's, records the payment with the slip photo.
    phone = _context(browser, live_server, phone=True)
    sales = phone.new_page()
    _watch(sales, problems)
    _login(sales, "sales1")
    sales.goto("/finance/payments/new/")
    with sales.expect_response(re.compile(r"/finance/payments/order-options/")):
        sales.locator("#id_customer").select_option(str(cust.pk))
    sales.locator("#id_order").select_option(str(order.pk))
    sales.locator("#id_amount").fill("11300.00")
    sales.locator("#id_payer_name").fill("洛阳重型机械有限公司")
    sales.locator("#id_reference").fill("FT2611270001")
    sales.locator("#id_slip").set_input_files(files=[{"name": "水单.png", "mimeType": "image/png",
                                                       "buffer": _slip_photo()}])
    _shot(sales, "1-sales-phone-payment-form")
    sales.locator("#payment-save").click()
    sales.wait_for_url(re.compile(r"/finance/payments/\d+/$"))
    expect(sales.locator("h1")).to_contain_text("待财务确认")
    expect(sales.locator("main img").first).to_be_visible()
    assert sales.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    _shot(sales, "2-sales-phone-payment-recorded")
    payment = Payment.objects.get()
    assert (payment.status, payment.order_id, payment.amount) == ("pending", order.pk, Decimal("11300.00"))
    phone.close()

    # 2. Finance sees it in the queue with the slip and confirms it in place.
    desk = _context(browser, live_server)
    finance = desk.new_page()
    _watch(finance, problems)
    _login(finance, "finance")
    finance.goto("/finance/queue/")
    row = finance.locator(f"#queue-row-{payment.pk}")
    expect(row).to_contain_text(order.number)
    expect(row.locator("img")).to_be_visible()
    _shot(finance, "3-finance-queue")
    row.locator("button[name=confirm]").click()
    expect(finance.locator(f"#queue-row-{payment.pk}")).to_have_attribute("data-status", "confirmed")
    _shot(finance, "4-finance-confirmed")
    desk.close()

    # 3. The clerk opens the order's shipments tab and plans the shipment: all 10 left, prefilled.
    desk = _context(browser, live_server)
    clerk = desk.new_page()
    _watch(clerk, problems)
    _login(clerk, "clerk")
    clerk.goto(f"/orders/{order.pk}/?tab=panel-shipments")
    clerk.locator("#shipment-new").click()
    clerk.wait_for_url(re.compile(r"/logistics/shipments/new/\?order=\d+"))
    line = order.lines.get()
    expect(clerk.locator(f"#id_qty_{line.pk}")).to_have_value("10")
    expect(clerk.locator("#releasable")).to_contain_text("11,300.00")
    clerk.locator("#id_warehouse").fill("一号库")
    clerk.locator("#id_carrier").select_option("SF")
    _shot(clerk, "5-clerk-shipment-form")
    clerk.locator("#shipment-save").click()
    clerk.wait_for_url(re.compile(r"/logistics/shipments/\d+/$"))
    expect(clerk.locator("h1")).to_contain_text("待发货")
    shipment = Shipment.objects.get()
    assert (shipment.value, shipment.status) == (Decimal("11300.00"), "planned")

    # 4. Dispatch with the waybill number as the courier wrote it.
    clerk.locator("#dispatch-form #id_waybill_no").fill("sf 1234 5678 90123")
    clerk.locator("#shipment-dispatch").click()
    expect(clerk.locator("h1")).to_contain_text("已发货")
    expect(clerk.locator("#shipment-waybill")).to_contain_text("SF1234567890123")
    expect(clerk.locator("#shipment-calls")).to_contain_text("发货通知")
    _shot(clerk, "6-clerk-dispatched")
    assert Fact.objects.filter(kind="shipped", order_id=order.pk).count() == 1

    # 5. The clerk calls the customer from the call list (on the phone) and logs the outcome.
    phone = _context(browser, live_server, phone=True)
    caller = phone.new_page()
    _watch(caller, problems)
    _login(caller, "clerk")
    caller.goto("/logistics/calls/")
    task = CallTask.objects.get(shipment=shipment)
    card = caller.locator(f"#call-{task.pk}")
    expect(card.locator("a.call-tel")).to_have_attribute("href", "tel:+8613800138000")
    _shot(caller, "7-clerk-phone-calls")
    card.locator(f"#id_call{task.pk}-outcome").fill("已告知王主任顺丰单号，预计后天到货")
    card.get_by_role("button", name="记录").click()
    expect(caller.locator(f"#call-{task.pk}")).to_have_attribute("data-status", "done")
    expect(caller.locator(f"#call-{task.pk}")).to_contain_text("预计后天到货")
    _shot(caller, "8-clerk-phone-call-logged")
    phone.close()

    # 6. Delivered: the signer is recorded; a follow-up call is queued.
    clerk.goto(f"/logistics/shipments/{shipment.pk}/")
    clerk.locator("#deliver-signer").fill("王主任")
    clerk.locator("#shipment-deliver").click()
    expect(clerk.locator("h1")).to_contain_text("已签收")
    expect(clerk.locator("#shipment-signer")).to_contain_text("王主任")
    expect(clerk.locator("#shipment-timeline")).to_contain_text("已签收")
    _shot(clerk, "9-clerk-delivered")
    desk.close()

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.signer) == ("delivered", "王主任")
    assert order.status == "completed"  # everything shipped and paid
    assert list(CallTask.objects.filter(shipment=shipment).order_by("id").values_list("reason", "status")) == [
        ("dispatched", "done"), ("delivered", "open")]
    assert problems == []
