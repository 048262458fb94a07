"""The month's commission in a real browser (Playwright on Debian's chromium): the clerk drafts last
month's run, adjusts one line with a reason, a salesperson confirms their line, the manager confirms
the team and the GM approves (finance locked the month first). Screenshots land in
var/screenshots/commission-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from salesdesk.commission.models import CommissionLine, CommissionRun, LineKind, LineStatus, RunStatus
from salesdesk.core.testing.browser import login as _login
from salesdesk.core.testing.browser import shot as _shot
from salesdesk.ledger.periods import current_period, lock_period, previous_month

from .run_factories import month_with_money

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, username: str) -> None:
    page.context.clear_cookies()
    _login(page, username)


def test_the_month_is_drafted_adjusted_confirmed_and_approved(page, personas):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    last = previous_month(current_period())
    month_with_money(personas, last)
    lock_period(actor=personas["finance"], period=last)

    # the clerk drafts last month's run from the menu
    _as(page, "clerk")
    page.locator("#sidebar").get_by_role("link", name="提成", exact=True).click()
    page.locator("#draft-last-month").click()
    expect(page.locator("#run-status")).to_have_attribute("data-run-status", "draft")
    expect(page.locator("#run-lines tbody tr")).to_have_count(3)
    expect(page.locator("#run-total")).to_have_text("1,050.00")
    _shot(page, "commission-run-draft", top=True)
    run = CommissionRun.objects.get(period=last)

    # … and adjusts sales1's commission with a reason
    page.locator("#run-adjust").click()
    page.get_by_label("业务员").select_option(label=personas["sales1"].display_name)
    page.get_by_label("调整金额").fill("-100.00")
    page.get_by_label("调整原因").fill("客户退货，扣回已发提成")
    _shot(page, "commission-adjustment-form")
    page.locator("#adjustment-save").click()
    expect(page.locator("#run-lines")).to_contain_text("客户退货，扣回已发提成")
    expect(page.locator("#run-total")).to_have_text("950.00")
    _shot(page, "commission-run-adjusted", top=True)

    # sales1 sees only their own lines and confirms the computed one
    _as(page, "sales1")
    page.goto(f"/commission/runs/{run.pk}/")
    expect(page.locator("#run-lines tbody tr")).to_have_count(2)
    expect(page.locator("#run-lines")).not_to_contain_text(personas["sales2"].display_name)
    computed = CommissionLine.objects.get(run=run, salesperson=personas["sales1"], kind=LineKind.COMPUTED)
    page.locator(f'tr[data-line="{computed.pk}"]').get_by_role("link", name="明细").click()
    expect(page.locator("#line-items")).to_contain_text("10,000.00")
    page.locator("#line-confirm").click()
    expect(page.locator("[data-line-status]").first).to_have_attribute("data-line-status", "confirmed")
    _shot(page, "commission-salesperson-confirmed", top=True)

    # the manager confirms team A's lines
    _as(page, "manager")
    page.goto(f"/commission/runs/{run.pk}/")
    page.locator("#run-confirm-team").click()
    expect(page.locator("#run-lines")).to_contain_text(personas["manager"].display_name)
    _shot(page, "commission-team-confirmed", top=True)

    # the GM approves the locked month
    _as(page, "gm")
    page.goto(f"/commission/runs/{run.pk}/")
    page.locator("#run-approve").click()
    expect(page.locator("#run-status")).to_have_attribute("data-run-status", "approved")
    expect(page.locator("#run-approve")).to_have_count(0)
    _shot(page, "commission-approved", top=True)

    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED and run.approved_by == personas["gm"]
    assert computed.__class__.objects.get(pk=computed.pk).status == LineStatus.CONFIRMED
    assert set(run.lines.filter(team_confirmed_by=personas["manager"]).values_list("salesperson__username", flat=True)) \
        == {"sales1", "sales3"}
    assert not errors
