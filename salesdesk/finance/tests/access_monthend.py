"""Access-matrix rows of month-end: the checklist pages (clerk and finance), the Excel export of
the differences, the upload of finance's AR sub-ledger, the lock (finance), and the periods API
(list: clerk, managers, GM, finance; lock: finance). No objects of their own: the month is last
month, open in the world (each row's lock is rolled back with its savepoint)."""

from __future__ import annotations

from django.utils import timezone

from salesdesk.core.testing.access import Case, Redirect, api_expect, page_expect
from salesdesk.ledger.periods import month_of, previous_month


def _month(ctx=None) -> dict:
    return {"period": previous_month(month_of(timezone.localdate()))}


def _checklist(ctx=None) -> Redirect:
    return Redirect(f"/finance/monthend/{_month()['period']}/")


RECONCILERS = dict(clerk=200, finance=200)  # monthend.MONTHEND_ROLES

CASES: list[Case] = [
    Case("monthend_index", expect=page_expect(403, **RECONCILERS)),
    Case("monthend_detail", args=_month, expect=page_expect(403, **RECONCILERS)),
    Case("monthend_detail", label="a malformed month", args={"period": "2026-13"},
         expect=page_expect(403, clerk=404, finance=404)),
    Case("monthend_export", args=_month, expect=page_expect(403, **RECONCILERS)),
    # without a file the form comes back with its error
    Case("monthend_upload", method="POST", args=_month, body={}, expect=page_expect(403, **RECONCILERS)),
    Case("monthend_lock", method="POST", args=_month, body={"note": "月末结账"},
         expect=page_expect(403, finance=_checklist())),
    Case("GET /api/v1/periods",
         expect=api_expect(403, clerk=200, sales_manager=200, general_manager=200, finance=200)),
    Case("POST /api/v1/periods/{period}/lock", args=_month, expect=api_expect(403, finance=200)),
]
