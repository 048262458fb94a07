"""Access-matrix rows of core: notifications.

See ``salesdesk/core/testing/access.py`` for how cases are written and run."""

from __future__ import annotations

from salesdesk.core.testing.access import Case, Redirect, page_expect

CASES: list[Case] = [
    Case("notifications", expect=page_expect(200)),
    Case("notifications", label="page 2", query={"page": "2"}, expect=page_expect(200)),
    Case("notifications_read_all", method="POST", expect=page_expect(Redirect("notifications"))),
    Case("notifications_read_all", expect=page_expect(405)),
]
