"""The statement in a real browser (Playwright on Debian's chromium): the clerk opens a customer with
some history, issues October's statement from the customer's 对账单 tab after previewing it, sends it
by e-mail, uploads the customer's stamped scan and sees it confirmed. Screenshots land in
var/screenshots/ (statement-*.png)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from salesdesk.core.models import OutboxMessage
from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot as _shot
from salesdesk.finance.models import Statement
from salesdesk.org.models import CompanyProfile

from .factories import PNG
from .statement_factories import give_back, history_customer, lock, opening, pay, ship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clerk_issues_sends_and_gets_the_stamped_statement_back(page, personas, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    CompanyProfile.objects.update_or_create(pk=CompanyProfile.current().pk, defaults=dict(
        name="华远润滑油销售有限公司", bank_name="中国工商银行北京朝阳支行", bank_account="0200001234567890123"))
    cust = history_customer(personas, name="天津海河机械有限公司")
    opening(personas, cust, "12000.00", date(2026, 9, 1), document_no="QC-2026-017")
    ship(cust, "35000.00", date(2026, 10, 8), number="FH20261008-0003")
    give_back(cust, "1500.00", date(2026, 10, 12))
    lock("2026-09")
    pay(personas, cust, "10000.00", date(2026, 9, 29))
    pay(personas, cust, "20000.05", date(2026, 10, 20))
    scan = tmp_path / "海河盖章回执.png"
    scan.write_bytes(PNG)
    _login(page, "clerk")

    page.goto(f"/customers/{cust.pk}/")
    page.locator('[data-tab="panel-statements"]').click()
    page.locator("#customer-statement-issue").click()
    page.wait_for_url(re.compile(r"/finance/statements/new/\?customer="))
    page.locator("#id_start").fill("2026-10-01")
    page.locator("#id_end").fill("2026-10-31")
    page.locator("#statement-preview").click()
    expect(page.locator("#closing-balance")).to_have_text("15,499.95")
    expect(page.locator("#statement-lines")).to_contain_text("业务日期 2026-09-29")
    _shot(page, "statement-preview")
    page.locator("#statement-issue").click()

    page.wait_for_url(re.compile(r"/finance/statements/\d+/$"))
    expect(page.locator("#statement-status")).to_contain_text("草稿")
    expect(page.locator("#id_to")).to_have_value("wangkj@example.cn")
    _shot(page, "statement-issued")
    page.locator("#statement-send").click()
    expect(page.locator("#statement-status")).to_contain_text("已发送")

    page.locator("#id_file").set_input_files(str(scan))
    page.locator("#statement-confirm").click()
    expect(page.locator("#statement-status")).to_contain_text("客户已确认")
    expect(page.locator("#statement-scans")).to_contain_text("海河盖章回执.png")
    _shot(page, "statement-confirmed")

    page.goto(f"/customers/{cust.pk}/?tab=panel-statements")
    expect(page.locator("#customer-statements")).to_contain_text("客户已确认")
    s = Statement.objects.get()
    assert (s.status, s.closing_balance, s.sent_to) == ("confirmed", Decimal("15499.95"), "wangkj@example.cn")
    assert OutboxMessage.objects.filter(dedupe_key__startswith="statement-mail:").count() == 1
    assert errors == []
