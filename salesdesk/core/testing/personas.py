"""Personas for tests: exactly the accounts of ``seed_demo --scale users`` (API.md)."""

from __future__ import annotations

import io

from salesdesk.core.demo import DemoContext

PASSWORD = "pw-test-1"  # noqa: S105 (test accounts only)


def make_personas() -> dict:
    from salesdesk.org import demo as org_demo
    from salesdesk.org.models import User

    org_demo.seed(DemoContext(scale="users", password=PASSWORD, seed=1, out=io.StringIO()))
    return {u.username: u for u in User.objects.prefetch_related("groups")}
