"""Access-matrix rows of the sales detail ledger: the page, its Excel export, an export job's page and
download (only the requester; others 404), and the API. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import Case, api_expect, page_expect

NOT_READERS = dict(admin=403, hr=403, warehouse=403, planner=403)
OTHERS_404 = dict(salesperson=404, sales_manager=404, general_manager=404, finance=404)


def _clerks_export(ctx) -> dict:
    """A finished export of the clerk's (made in the row, so its file is in the row's MEDIA_ROOT)."""
    from salesdesk.reports import detail_ledger, detail_tasks

    token = detail_ledger.new_token()
    detail_tasks.export_ledger_task.call_local(token=token, user_id=ctx.world.user("clerk").pk, filters={},
                                               title="销售明细账")
    return {"token": token}


CASES: list[Case] = [
    Case("ledger", expect=page_expect(200, **NOT_READERS)),
    Case("ledger", label="Excel export", query={"export": "xlsx"}, expect=page_expect(200, **NOT_READERS)),
    Case("ledger_export_status", args=_clerks_export, expect=page_expect(200, **NOT_READERS, **OTHERS_404)),
    Case("ledger_export_status", label="unknown token", args={"token": "0" * 32},
         expect=page_expect(404, **NOT_READERS)),
    Case("ledger_export_download", args=_clerks_export, expect=page_expect(200, **NOT_READERS, **OTHERS_404)),
    Case("GET /api/v1/reports/ledger", expect=api_expect(200, **NOT_READERS)),
    Case("GET /api/v1/reports/ledger", label="filtered", query={"start": "2026-10-01", "kind": "shipped"},
         expect=api_expect(200, **NOT_READERS)),
]
