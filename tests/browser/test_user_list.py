"""The user list in a real browser: the clerk filters it with htmx (pinyin search, role), exports
the filtered rows to Excel, opens a user's 变更记录 tab, and uses the list on a phone.
Screenshots and the exported workbook land in var/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # as in conftest.py
ROWS = "#user-table tbody tr"
USERNAMES = "#user-table tbody tr td:first-child"


def _table_refresh(page, **params: str):
    """Waits for the htmx request of the list table whose query has exactly ``params`` for those keys."""

    def matches(response) -> bool:
        request = response.request
        if request.headers.get("hx-request") != "true" or "/org/users/" not in response.url:
            return False
        query = parse_qs(urlsplit(response.url).query, keep_blank_values=True)
        return all(query.get(key, [""]) == [value] for key, value in params.items())

    return page.expect_response(matches)


def test_clerk_filters_the_user_list_and_exports_it(page, login, screenshot, page_problems):
    problems = page_problems(page)
    login(page, "clerk")

    page.locator("#sidebar").get_by_role("link", name="用户").click()
    page.wait_for_url("/org/users/")
    expect(page.get_by_role("heading", level=1)).to_have_text("用户")
    expect(page.locator(ROWS)).to_have_count(11)  # every persona
    expect(page.locator("#list-table .card-footer")).to_have_text("共 11 条")

    # Pinyin initials of 张伟, typed like a person does: htmx refreshes the table after the pause.
    search = page.get_by_label("搜索")
    with _table_refresh(page, q="zw") as refresh:
        search.press_sequentially("zw")
    assert refresh.value.ok
    expect(page.locator(USERNAMES)).to_have_text(["sales1"])
    expect(page.locator(ROWS)).to_contain_text("张伟")
    expect(page).to_have_url(re.compile(r"/org/users/\?(.*&)?q=zw(&|$)"))  # hx-push-url

    with _table_refresh(page, q="zw", role="salesperson"):
        page.get_by_label("角色").select_option(label="业务员")
    expect(page.locator(USERNAMES)).to_have_text(["sales1"])
    expect(page).to_have_url(re.compile(r"role=salesperson"))

    with _table_refresh(page, q="", role="salesperson"):
        search.press("Control+A")
        search.press("Backspace")
    expect(page.locator(USERNAMES)).to_have_text(["sales1", "sales2", "sales3"])
    expect(page.locator(ROWS).filter(has_text="业务员")).to_have_count(3)
    expect(page.locator("#list-table .card-footer")).to_have_text("共 3 条")
    expect(page).to_have_url(re.compile(r"role=salesperson"))
    expect(page).not_to_have_url(re.compile(r"q=zw"))
    # 用户名 … 电子邮箱 as the clerk sees them (在职 is a ✔ and 最后登录 a time: formats may differ in Excel).
    shown = [[cell.strip() for cell in row.locator("td").all_inner_texts()[:7]] for row in page.locator(ROWS).all()]
    screenshot(page, "clerk-user-list-filtered")

    # The export is of what is on screen (the filtered rows), names the exporter, and is logged.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.failure() is None
    assert re.fullmatch(r"用户-王丽-\d{8}-\d{4}\.xlsx", download.suggested_filename), download.suggested_filename
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "users-export.xlsx"
    download.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "王丽" in rows[0][0]  # A1 names who exported it
    header = list(rows[1])
    assert header[:7] == ["用户名", "姓名", "角色", "销售团队", "职务", "电话", "电子邮箱"]
    data = [["—" if value is None else str(value) for value in row[:7]] for row in rows[2:]]
    assert data == shown, f"export {data} != list on screen {shown} (export URL {download.url})"
    assert not [value for row in rows[2:] for value in row if "<" in str(value)]  # no HTML markup in cells

    from salesdesk.core.models import ExportLog

    log = ExportLog.objects.get()
    assert (log.what, log.rows, log.filters.get("role")) == ("org.users", 3, "salesperson")
    # Chromium reports the navigation that turned into the download as aborted: not a page problem.
    assert [p for p in problems if not ("export=xlsx" in p and "ERR_ABORTED" in p)] == []


@pytest.fixture
def sales1_promoted(personas):
    """sales1's title changed by the system administrator, so the history has a change to show."""
    sales1 = personas["sales1"]
    sales1.title = "高级销售代表"
    sales1._history_user = personas["admin"]
    sales1.save()
    return sales1


def test_clerk_opens_a_users_history_tab(page, login, screenshot, page_problems, sales1_promoted):
    problems = page_problems(page)
    login(page, "clerk")
    page.goto("/org/users/")
    page.locator("#user-table").get_by_role("link", name="sales1", exact=True).click()

    page.wait_for_url(f"/org/users/{sales1_promoted.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("张伟")
    expect(page.locator("#tab-overview")).to_contain_text("高级销售代表")
    pane = page.locator("#tab-history")
    with page.expect_response(lambda r: "tab=history" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_role("tab", name="变更记录").click()
    expect(page.get_by_role("tab", name="变更记录")).to_have_class(re.compile(r"\bactive\b"))
    expect(pane).to_be_visible()
    expect(pane).not_to_contain_text("加载中")

    entries = pane.locator(".history-list > div")
    expect(entries).to_have_count(3)  # title changed, manager set, created — newest first
    newest = entries.first
    expect(newest.locator(".small")).to_contain_text("系统管理员")  # who changed it
    expect(newest.locator(".small")).to_contain_text("修改")
    change = newest.locator("tr")
    expect(change).to_have_count(1)
    expect(change.locator("th")).to_have_text("职务")
    expect(change.locator("del")).to_have_text("销售代表")
    expect(change.locator("td")).to_have_text("销售代表 → 高级销售代表")
    expect(entries.last.locator(".small")).to_contain_text("创建")
    assert page.url.endswith(f"/org/users/{sales1_promoted.pk}/")  # swapped in place, no navigation
    screenshot(page, "clerk-user-history")
    assert problems == []


@pytest.mark.browser_context_args(**PHONE)
def test_clerk_uses_the_user_list_on_a_phone(page, login, screenshot, page_problems):
    problems = page_problems(page)
    login(page, "clerk")
    page.goto("/org/users/")
    expect(page.locator(ROWS)).to_have_count(11)

    def page_fits() -> bool:
        return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # The wide table scrolls inside its own container; the page itself does not scroll sideways.
    assert page_fits(), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    container = page.locator("#list-table .table-responsive")
    expect(container).to_have_css("overflow-x", "auto")
    assert container.evaluate("el => el.scrollWidth > el.clientWidth + 50")  # there is something to scroll to
    assert container.evaluate("el => (el.scrollLeft = 200, el.scrollLeft)") > 0
    container.evaluate("el => { el.scrollLeft = 0; }")

    # The filter form is usable: the search box is on screen, and typing in it refreshes the table.
    search = page.get_by_label("搜索")
    expect(search).to_be_in_viewport()
    box = search.bounding_box()
    assert box and box["width"] >= 300, box  # full-width on a phone
    search.tap()
    with _table_refresh(page, q="ln"):
        search.press_sequentially("ln")  # 李娜
    expect(page.locator(USERNAMES)).to_have_text(["sales2"])
    expect(page).to_have_url(re.compile(r"q=ln"))
    assert page_fits()
    screenshot(page, "clerk-phone-user-list")

    with _table_refresh(page, role="finance"):
        page.get_by_label("角色").select_option(label="财务")
    expect(page.locator("#user-table")).to_contain_text("没有符合条件的用户。")
    assert page_fits()
    assert problems == []
