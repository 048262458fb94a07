"""Browser tests: Playwright (pytest-playwright) on Debian's chromium against pytest-django's live server.

Never downloads a browser: ``browser_type_launch_args`` points Playwright at ``/usr/bin/chromium``.
Every test module sets ``pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]``
(the live server runs in another thread, so the data must be committed).

Screenshots go to ``var/screenshots/``; look at them after a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread, so Django's "async unsafe" guard
# would refuse every ORM call made by fixtures; the root conftest sets this too, before Django loads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium, headless, with nothing phoning home."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Relative URLs in ``page.goto("/login/")`` and ``expect(page).to_have_url(...)`` go to the live server.
    (Also replaces pytest-playwright's fallback fixture, which pytest 9 warns about.)"""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop browser of a Chinese user: the UI language follows Accept-Language (LocaleMiddleware).
    A test changes it with ``@pytest.mark.browser_context_args(viewport=..., is_mobile=True, ...)``."""
    return {**browser_context_args, "viewport": DESKTOP, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def screenshot() -> Callable:
    """``screenshot(page, "clerk-home")`` saves ``var/screenshots/clerk-home.png`` and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # animations="disabled" fast-forwards CSS transitions, so no half-faded button or sliding panel.
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take


@pytest.fixture
def login(personas) -> Callable:
    """``login(page, "clerk")`` signs in through the login form like a person does and waits for the home page."""
    from salesdesk.core.testing.personas import PASSWORD

    def do_login(page, username: str, password: str = PASSWORD, *, expect_home: bool = True) -> None:
        page.goto("/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        if expect_home:
            page.wait_for_url("/")
        else:
            page.wait_for_load_state()

    return do_login


@pytest.fixture
def page_problems() -> Callable:
    """``problems = page_problems(page)``: collects JS errors, console errors and failed or 4xx/5xx requests
    (a missing stylesheet or script breaks a page silently), so a test can ``assert problems == []``.
    The browser's own ``/favicon.ico`` probe is not counted."""

    def watch(page) -> list[str]:
        problems: list[str] = []

        def on_response(resp) -> None:
            if resp.status >= 400 and not resp.url.endswith("/favicon.ico"):
                problems.append(f"HTTP {resp.status}: {resp.url}")

        def on_console(msg) -> None:
            # Chromium also logs every failed load as a console error without the URL; on_response has it.
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                problems.append(f"console: {msg.text}")

        page.on("pageerror", lambda exc: problems.append(f"JS error: {exc}"))
        page.on("console", on_console)
        page.on("requestfailed", lambda req: problems.append(f"failed: {req.url} {req.failure}"))
        page.on("response", on_response)
        return problems

    return watch
