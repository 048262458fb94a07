"""Signing in through a real browser: the Chinese home page, the user menu, an API token made with htmx,
the phone layout's off-canvas menu, and a wrong password. Screenshots land in var/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SHOW = re.compile(r"(^|\s)show(\s|$)")


def test_clerk_logs_in_sees_chinese_home_and_creates_api_token(
    page, login, screenshot, page_problems
):
    problems = page_problems(page)
    login(page, "clerk")

    expect(page).to_have_title(re.compile("工作台"))  # the clerk's home is her desk
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".navbar-brand")).to_have_text(re.compile("销售内勤工作台"))
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，王丽")
    expect(page.locator(".role-badge")).to_have_text(["销售内勤"])
    expect(page.get_by_text("今日待办")).to_be_visible()  # her duties of the day
    # Desktop: the sidebar is a plain column, not an off-canvas panel behind a button.
    sidebar = page.locator("#sidebar")
    expect(sidebar.get_by_role("link", name="首页")).to_be_visible()
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    screenshot(page, "clerk-home")

    page.locator(".navbar .dropdown-toggle").click()
    menu = page.locator(".navbar .dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("button", name="退出登录")).to_be_visible()
    expect(menu.get_by_role("button", name="简体中文")).to_have_class(re.compile("btn-secondary"))  # current language
    screenshot(page, "clerk-user-menu")
    menu.get_by_role("link", name="个人资料与 API 令牌").click()

    page.wait_for_url("/org/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("个人资料")
    expect(page.locator("#tokens")).to_contain_text("还没有令牌。")
    page.get_by_placeholder("用途，如：财务对接").fill("财务对接")
    page.get_by_role("button", name="生成令牌").click()

    token = page.locator("#new-token")
    expect(token).to_have_text(re.compile(r"^sd_\S{20,}$"))
    expect(page.locator("#tokens")).to_contain_text("只显示这一次")
    expect(page.locator("#tokens tbody tr")).to_have_count(1)
    expect(page.locator("#tokens tbody")).to_contain_text("财务对接")
    expect(page.locator("#tokens tbody")).to_contain_text("有效")
    # htmx swapped the card in place: no full-page POST navigation happened.
    assert page.url.endswith("/org/profile/")
    screenshot(page, "clerk-profile-token")
    assert problems == []


@pytest.mark.browser_context_args(**PHONE)
def test_salesperson_on_a_phone_opens_the_offcanvas_menu(page, login, screenshot, page_problems):
    problems = page_problems(page)
    login(page, "sales1")

    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张伟")
    expect(page.locator(".role-badge")).to_have_text(["业务员"])
    sidebar = page.locator("#sidebar")
    toggler = page.get_by_role("button", name="菜单")
    expect(toggler).to_be_visible()
    expect(sidebar).not_to_be_visible()
    screenshot(page, "sales1-phone-home")

    toggler.tap()
    expect(sidebar).to_have_class(SHOW)
    expect(sidebar).not_to_have_class(re.compile("showing"))  # the slide-in transition has finished
    expect(sidebar.get_by_role("heading", name="菜单")).to_be_visible()
    links = sidebar.get_by_role("link")
    expect(links.first).to_be_visible()
    labels = [text.strip() for text in links.all_inner_texts()]
    assert labels[0] == "首页"
    assert "个人资料与 API 令牌" in labels
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels), labels
    for link in links.all():  # every entry can be reached in the scrolling panel
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
    screenshot(page, "sales1-phone-menu")

    sidebar.get_by_role("button", name="关闭").tap()
    expect(sidebar).not_to_be_visible()
    assert problems == []


def test_wrong_password_shows_chinese_error_and_does_not_log_in(page, login, screenshot):
    login(page, "clerk", "not-the-password", expect_home=False)

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("请输入一个正确的用户名和密码。注意，两者都区分大小写。")
    expect(page).to_have_url("/login/")
    expect(page.get_by_label("用户名")).to_have_value("clerk")
    expect(page.get_by_label("密码")).to_have_value("")
    expect(page.locator("nav.navbar")).to_have_count(0)
    screenshot(page, "login-wrong-password")

    page.goto("/")  # still anonymous: the home page sends us back to the login form
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
