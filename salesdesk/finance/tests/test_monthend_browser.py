"""Month-end in a real browser (Playwright on Debian's chromium): finance opens last month's
checklist from the menu, uploads its AR sub-ledger, sees the difference, locks the month after the
confirmation dialog. Screenshots land in var/screenshots/."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesdesk.core.testing.browser import shot as _shot
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Period
from salesdesk.ledger.periods import month_of, previous_month
from salesdesk.ledger.services import FactInput, Share, record

from .factories import customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_reconciles_last_month_and_locks_it(page, personas, tmp_path):
    today = timezone.localdate()
    last = previous_month(month_of(today))
    cust = customer(personas, name="月末对账测试有限公司")
    record([FactInput(kind=FactKind.SHIPPED, business_date=date(today.year, today.month, 1) - timedelta(days=2),
                      amount=Decimal("1200.00"), customer_id=cust.pk, source_kind="test", source_id=1,
                      shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=None)
    ledger = tmp_path / "应收明细.csv"
    ledger.write_text(f"客户编码,客户名称,期末余额\n{cust.code},{cust.name},1000.00\n", encoding="utf-8")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto("/login/")
    page.get_by_label("用户名").fill("finance")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("/")
    page.goto("/finance/monthend/")
    page.locator(f'tr[data-period="{last}"] a.btn').click()
    expect(page.locator("h1")).to_contain_text(last)

    page.set_input_files("#ledger-upload input[type=file]", str(ledger))
    page.locator("#ledger-upload-btn").click()
    row = page.locator(f'#difference-table tr[data-customer="{cust.pk}"]')
    expect(row).to_contain_text("200.00")
    _shot(page, "monthend-differences")

    page.fill("#lock-form input[name=note]", "已与财务核对")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#lock-btn").click()
    expect(page.locator("#period-status")).to_contain_text("已结账")
    _shot(page, "monthend-locked")

    assert Period.objects.get(period=last).status == "locked"
    assert errors == []
