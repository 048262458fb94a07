"""Suite-wide test set-up: hypothesis profiles, fast hashing, the job queue in immediate mode,
and the personas of API.md ("Test accounts") as fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI draws the same examples on every run, so a commit's result does not depend on the draw; "dev"
# (random, more examples) is the one that explores: HYPOTHESIS_PROFILE=dev make test.
settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("long", max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live-server browser tests

# Browser fixtures every Playwright test module shares, imported here so they override the
# plugins' own (pytest-playwright, pytest-base-url); tests/browser/conftest.py refines them.
from salesdesk.core.testing.browser import (  # noqa: E402, F401
    base_url,
    browser_context_args,
    browser_type_launch_args,
)


@pytest.fixture(autouse=True)
def _fast_and_hermetic(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _huey_immediate():
    """Jobs run in-process unless a test asks for the real queue (see core tests)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was


@pytest.fixture
def queue_down(_huey_immediate, monkeypatch):
    """A real (not immediate) queue whose storage refuses every message as Redis does when it is down."""
    huey = _huey_immediate
    huey.immediate = False

    def refuse(*args, **kwargs):
        import redis

        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(huey.storage, "enqueue", refuse)
    yield huey
    monkeypatch.undo()
    huey.immediate = True


@pytest.fixture
def personas(db):
    """The organisation and accounts of ``seed_demo --scale users`` (API.md), by username."""
    from salesdesk.core.testing.personas import make_personas

    return make_personas()


@pytest.fixture
def api(personas):
    """``api("clerk").get("/api/v1/me")``: a test client authenticated with the persona's token."""
    from salesdesk.core.testing.clients import ApiClientFactory

    return ApiClientFactory(personas)


@pytest.fixture
def as_user(client, personas):
    """``as_user("clerk")``: the test client, logged in (with a session) as that persona."""
    from salesdesk.core.testing.personas import PASSWORD

    def login(username):
        client.logout()
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


try:  # browser tests: a loaded CI machine needs more than Playwright's default 5 s per assertion
    from playwright.sync_api import expect as _playwright_expect

    _playwright_expect.set_options(timeout=20_000)
except ImportError:  # pragma: no cover - playwright is a dev dependency
    pass
