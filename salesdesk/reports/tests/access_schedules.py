"""Access-matrix rows of the report schedules: the pages (list, detail, edit, send now, send drafts, a
kept delivery, resend) and the API (schedules, send, deliveries). Admin, clerk, GM and finance read the
schedules; only the clerk sends; admin and clerk edit; figures (a kept delivery, the HR total's check page
and its API) are not the admin's; only the clerk marks a period checked."""

from __future__ import annotations

from salesdesk.core.testing.access import Case, Redirect, api_expect, page_expect

READ = dict(salesperson=403, sales_manager=403, hr=403, warehouse=403, planner=403)
CLERK_ONLY = dict(admin=403, general_manager=403, finance=403, **READ)
FIGURES = dict(admin=403, **READ)  # the check's figures: clerk, GM, finance


def _schedule_id(ctx) -> int:
    from salesdesk.reports.models import ReportSchedule

    return ReportSchedule.objects.get(code="monthly").pk


def _delivery_id(ctx) -> int:
    from salesdesk.reports.models import DeliveryStatus, ReportDelivery, ReportSchedule

    schedule = ReportSchedule.objects.get(code="monthly")
    d = ReportDelivery.objects.create(schedule=schedule, period="2026-10", recipient=ctx.world.user("gm"),
                                      message_id="<access@test>", status=DeliveryStatus.SENT, body_html="<p>x</p>")
    return d.pk


def _hr_id(ctx) -> int:
    from salesdesk.reports.models import ReportSchedule

    return ReportSchedule.objects.get(code="hr_monthly_total").pk


def _check_args(ctx) -> dict:
    return {"pk": _hr_id(ctx), "period": "2026-10"}


def _uncertain_id(ctx) -> int:
    from salesdesk.reports.models import DeliveryStatus, ReportDelivery

    pk = _delivery_id(ctx)
    ReportDelivery.objects.filter(pk=pk).update(status=DeliveryStatus.UNCERTAIN)
    return pk


CASES: list[Case] = [
    Case("report_schedules", expect=page_expect(200, **READ)),
    Case("report_schedule", args=lambda c: {"pk": _schedule_id(c)}, expect=page_expect(200, **READ)),
    Case("report_schedule", label="unknown", args={"pk": 999999}, expect=page_expect(404, **READ)),
    Case("report_schedule_edit", args=lambda c: {"pk": _schedule_id(c)},
         expect=page_expect(200, general_manager=403, finance=403, **READ)),
    Case("report_schedule_send", method="POST", args=lambda c: {"pk": _schedule_id(c)},
         expect=page_expect(Redirect("/reports/schedules/"), **CLERK_ONLY)),
    Case("report_schedule_send_drafts", method="POST", args=lambda c: {"pk": _schedule_id(c)},
         expect=page_expect(Redirect("/reports/schedules/"), **CLERK_ONLY)),
    Case("report_delivery", args=lambda c: {"pk": _delivery_id(c)}, expect=page_expect(200, admin=403, **READ)),
    Case("report_delivery_resend", method="POST", args=lambda c: {"pk": _uncertain_id(c)},
         expect=page_expect(Redirect("/reports/schedules/"), **CLERK_ONLY)),
    Case("report_schedule_check", args=_check_args, expect=page_expect(200, **FIGURES)),
    Case("report_schedule_check", label="a schedule without a check", args=lambda c: {"pk": _schedule_id(c),
                                                                                       "period": "2026-10"},
         expect=page_expect(404, **FIGURES)),
    Case("report_schedule_check", label="mark checked", method="POST", args=_check_args, body={"note": "ok"},
         expect=page_expect(Redirect("/reports/schedules/"), **CLERK_ONLY)),
    Case("GET /api/v1/reports/schedules", expect=api_expect(200, **READ)),
    Case("GET /api/v1/reports/schedules/{schedule_id}/check", args=lambda c: {"schedule_id": _hr_id(c)},
         query={"period": "2026-10"}, expect=api_expect(200, **FIGURES)),
    Case("GET /api/v1/reports/schedules/{schedule_id}/check", label="unknown", args={"schedule_id": 999999},
         query={"period": "2026-10"}, expect=api_expect(404, **FIGURES)),
    Case("POST /api/v1/reports/schedules/{schedule_id}/check", args=lambda c: {"schedule_id": _hr_id(c)},
         body={"period": "2026-10"}, expect=api_expect(200, **CLERK_ONLY)),
    Case("POST /api/v1/reports/schedules/{schedule_id}/check", label="bad period", args=lambda c: {"schedule_id": _hr_id(c)},
         body={"period": "2026-10-01"}, expect=api_expect(422, **CLERK_ONLY)),
    Case("POST /api/v1/reports/schedules/{schedule_id}/send", args=lambda c: {"schedule_id": _schedule_id(c)},
         expect=api_expect(200, **CLERK_ONLY)),
    Case("POST /api/v1/reports/schedules/{schedule_id}/send", label="unknown", args={"schedule_id": 999999},
         expect=api_expect(404, **CLERK_ONLY)),
    Case("GET /api/v1/reports/deliveries", query={"period": "2026-10"}, expect=api_expect(200, **READ)),
]
