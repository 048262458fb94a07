"""The month report in a real browser (Playwright on Debian's chromium): the GM opens the sales report
from the menu, sees the ECharts chart drawn and the table with its totals, switches to 万元, sorts by a
column, changes the grouping (htmx), and downloads the Excel file, which LibreOffice opens (converted
headless to CSV and read back). Screenshots land in var/screenshots/."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot as _shot
from salesdesk.ledger.choices import FactKind

from .factories import CustomerFactory, ProductFactory, fact, pending_payment, target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOFFICE = shutil.which("soffice")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}, "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai", "accept_downloads": True}


def _to_csv(xlsx: Path, outdir: Path) -> list[list[str]]:
    profile = (outdir / "lo-profile").as_uri()
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(outdir), str(xlsx)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    converted = outdir / f"{xlsx.stem}.csv"
    assert result.returncode == 0 and converted.exists(), (result.returncode, result.stdout, result.stderr)
    with converted.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _month_of_sales(personas) -> date:
    """This month: sales1 books 128,000 and ships 90,000, sales2 books 56,000 and gets 40,000 in, sales3
    books 9,500; a pending payment of 12,000; targets for sales1 and sales2."""
    today = timezone.localdate()
    first = today.replace(day=1)
    clerk = personas["clerk"]
    oil, grease = ProductFactory(name="抗磨液压油"), ProductFactory(name="锂基润滑脂")
    c1 = CustomerFactory(salesperson=personas["sales1"], name="天津海河机械有限公司", region="华北")
    c2 = CustomerFactory(salesperson=personas["sales2"], name="上海浦江物流有限公司", region="华东")
    c3 = CustomerFactory(salesperson=personas["sales3"], name="河北燕赵建材有限公司", region="华北")
    fact(clerk, FactKind.BOOKED, first, "128000", customer=c1, product=oil)
    fact(clerk, FactKind.SHIPPED, first, "90000", customer=c1, product=oil)
    fact(clerk, FactKind.BOOKED, first, "56000", customer=c2, product=grease)
    fact(clerk, FactKind.RECEIVED, first, "40000", customer=c2)
    fact(clerk, FactKind.BOOKED, first, "9500", customer=c3, product=grease)
    pending_payment(personas, c1, "12000", first)
    target(personas, first, "200000", salesperson=personas["sales1"])
    target(personas, first, "100000", salesperson=personas["sales2"])
    return today


@pytest.mark.skipif(SOFFICE is None, reason="soffice not installed (apt-get install libreoffice-calc-nogui)")
def test_gm_opens_the_month_report_with_its_chart_and_downloads_the_excel_file(page, personas, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    today = _month_of_sales(personas)
    _login(page, "gm")

    page.locator("#sidebar").get_by_role("link", name="销售报表").click()
    expect(page.locator("#report-title")).to_have_text(f"{today.year}年{today.month}月销售月报")
    expect(page.locator("#report-chart canvas")).to_have_count(1)  # ECharts drew the chart
    totals = page.locator("#report-totals")
    expect(totals).to_contain_text("193,500.00")  # 128,000 + 56,000 + 9,500 booked
    expect(totals).to_contain_text("12,000.00")
    sales1_row = page.locator(f'tr[data-key="{personas["sales1"].pk}"]')
    expect(sales1_row).to_contain_text("64.00%")  # 128,000 of 200,000
    expect(page.locator(f'tr[data-key="{personas["sales3"].pk}"]')).to_contain_text("9,500.00")
    _shot(page, "reports-month-by-salesperson")

    page.locator("#wan-toggle").check()
    expect(totals).to_contain_text("19.3500")  # 万元
    expect(page.locator(".unit-label")).to_have_text("万元（含税）")
    _shot(page, "reports-month-wan")
    page.locator("#wan-toggle").uncheck()

    page.locator("#report-table thead th", has_text="发货金额").click()  # sort: the largest first
    expect(page.locator("#report-table tbody tr").first).to_have_attribute("data-key", str(personas["sales1"].pk))

    with page.expect_download() as download_info:
        page.locator("#report-xlsx").click()
    download = download_info.value
    xlsx = tmp_path / "report.xlsx"
    download.save_as(xlsx)
    assert download.suggested_filename.endswith(".xlsx")
    rows = _to_csv(xlsx, tmp_path)
    assert "销售月报" in rows[0][0] and "含税" in rows[1][0]
    assert rows[3][:4] == ["排名", "业务员", "说明", "下单金额(含税)"]
    body = {r[1]: r for r in rows[4:] if len(r) > 3 and r[1]}
    assert body["合计"][3].replace(",", "") in {"193500", "193500.00"}
    assert body[personas["sales1"].display_name][3].replace(",", "") in {"128000", "128000.00"}

    page.locator("#id_group_by").select_option("region")  # htmx swaps the report in place
    expect(page.locator("#report-table tbody tr")).to_have_count(2)
    expect(page.locator("#report-table")).to_contain_text("华北")
    expect(page.locator("#report-chart canvas")).to_have_count(1)
    assert "group_by=region" in page.url
    _shot(page, "reports-month-by-region")
    assert errors == []
