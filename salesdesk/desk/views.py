"""The desk (工作台, M17): every signed-in user's home page. The clerk gets today's duties, each with
a count, the first rows and an action in place; salespeople, managers, the GM and finance get their
own month-to-date figures against the target with a chart; the warehouse its shipments to send off;
the admin is warned in December when next year's working-day calendar is missing. On the clerk's desk
the scheduled reports too: today's deliveries by schedule (resend a failed or uncertain one in
place), the 16:00 draft of the daily report to check and send before 16:50, the days whose report
never went out, and last month's HR total waiting for her check. Views stay thin: reads are
``desk.queries``, writes are the owning app's services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from salesdesk.core.access import get_for_user
from salesdesk.core.calendar import next_year_warning
from salesdesk.core.errors import DomainError
from salesdesk.core.invariants import latest_result
from salesdesk.core.models import JobStatus
from salesdesk.logistics import permissions as logistics_perms
from salesdesk.logistics import services as logistics_services
from salesdesk.logistics.forms import DispatchForm
from salesdesk.logistics.models import Shipment
from salesdesk.logistics.views import call_form
from salesdesk.orders import permissions as order_perms
from salesdesk.orders import services as order_services
from salesdesk.orders.models import Order
from salesdesk.org.roles import Role
from salesdesk.reports import deliveries
from salesdesk.reports.models import ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import period_from_key

from . import queries

FIGURE_ROLES = frozenset({Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})
RANKING_ROLES = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER})
MEASURE_LABELS = {"ordered": gettext_lazy("下单"), "shipped": gettext_lazy("发货"), "received": gettext_lazy("回款")}


def _dispatch_form(shipment, data=None) -> DispatchForm:
    form = DispatchForm(data, prefix=f"ship{shipment.pk}", initial={"carrier": shipment.carrier,
                                                                   "waybill_no": shipment.waybill_no})
    form.fields["waybill_no"].widget.attrs["placeholder"] = _("运单号")
    return form


REPORT_SENDERS = frozenset({Role.CLERK})  # as reports.schedule_views.SENDERS: only the clerk sends reports


def _finance_duties(user, today) -> list[queries.Duty]:
    """Finance's own queue on its home page: orders to look at, money to confirm, invoices to issue."""
    return [queries.unseen_orders(user), queries.pending_payments(user), queries.invoice_requests(user),
            queries.overdue_receivables(user, today), queries.promised_today(user, today)]


def _warehouse_duties(user) -> list[queries.Duty]:
    """The warehouse's home page: shipments to send off and those on their way (no prices)."""
    return [queries.planned_shipments(user), queries.shipments_to_track(user)]


def invariant_status() -> dict | None:
    """The last nightly invariant check when it found something: {"at", "summary"}; None when clean
    or never run (one query)."""
    run = latest_result()
    if run is None or run.status == JobStatus.RUNNING or (run.status == JobStatus.SUCCEEDED and run.output.startswith("0 ")):
        return None
    text = run.output or run.error or ""
    return {"at": run.finished_at or run.started_at, "summary": text.splitlines()[0] if text else ""}


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = user.role_codes
    today = timezone.localdate()
    context: dict = {"roles": [r for r in Role if r.value in roles], "today": today}
    if Role.CLERK in roles:
        duties = queries.clerk_duties(user, today)
        context["duties"] = {d.key: d for d in duties}
        context["duty_total"] = sum(d.count for d in duties if d.key != "answered_today")
        for task in context["duties"]["calls_to_make"].rows:
            task.desk_form = call_form(task)  # the outcome form, logged in place (logistics' call_log)
        context["reports"] = queries.reports_desk(user)
        context["duty_total"] += context["reports"].count
    elif Role.FINANCE in roles:
        context["duties"] = {d.key: d for d in _finance_duties(user, today)}
    elif Role.WAREHOUSE in roles:
        context["duties"] = {d.key: d for d in _warehouse_duties(user)}
    if roles & FIGURE_ROLES:
        figures = queries.figures_for(user, today)
        context["figures"] = figures
        context["chart"] = figures.chart()
        context["measure_label"] = MEASURE_LABELS[figures.measure]
    if roles & RANKING_ROLES:
        context["ranking"] = queries.ranking(user, today)
    if Role.ADMIN in roles:
        context["calendar_warning"] = next_year_warning(user, today)
    if roles & {Role.CLERK, Role.ADMIN}:  # the nightly consistency check's last result (R5)
        context["invariants"] = invariant_status()
    context["can_mark_seen"] = user.has_perm(order_perms.MARK_SEEN)
    context["can_dispatch"] = can_dispatch = user.has_perm(logistics_perms.DISPATCH_SHIPMENT)
    planned = context.get("duties", {}).get("planned_shipments")
    if planned and can_dispatch:
        for shipment in planned.rows:
            shipment.dispatch_form = _dispatch_form(shipment)
    return render(request, "desk/home.html", context)


@login_required
@require_POST
@permission_required(order_perms.MARK_SEEN, raise_exception=True)
def order_seen(request: HttpRequest, pk: int) -> HttpResponse:
    """Finance marks a reported order seen from the desk; htmx swaps the row for a "seen" line."""
    order = get_for_user(Order.objects.select_related("customer"), pk, request.user)
    error = ""
    try:
        order = order_services.mark_seen(actor=request.user, order=order)
    except (DomainError, PermissionDenied) as exc:
        error = getattr(exc, "message", "") or _("您没有权限执行此操作。")
    if request.htmx:
        response = render(request, "desk/_seen_row.html", {"order": order, "error": error})
        if not error:
            trigger_client_event(response, "toast", {"level": "success", "message": _("已标记为财务已阅。")})
        return response
    return redirect("home")


# --- scheduled reports from the desk (the clerk's) ----------------------------------------------


def _clerk_only(request: HttpRequest) -> None:
    if not request.user.has_role(*REPORT_SENDERS):
        raise PermissionDenied


def _reports_panel(request: HttpRequest, toast: tuple[str, str] | None = None) -> HttpResponse:
    """The desk's reports section, read again after an action (htmx swaps it whole, counts included)."""
    response = render(request, "desk/_reports.html", {"reports": queries.reports_desk(request.user)})
    if toast:
        trigger_client_event(response, "toast", {"level": toast[0], "message": toast[1]})
    return response


def _after_report_action(request: HttpRequest, level: str, message: str) -> HttpResponse:
    if request.htmx:
        return _reports_panel(request, (level, message))
    getattr(messages, level if level != "danger" else "error")(request, message)
    return redirect("home")


@login_required
@require_POST
def send_drafts(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """The clerk checked the drafted report of ``key`` and sends it now, before the automatic time."""
    _clerk_only(request)
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    try:
        period_from_key(key)
    except ValueError:
        raise Http404 from None
    try:
        sent = deliveries.send_drafts(schedule, key, actor=request.user)
    except DomainError as exc:  # e.g. a schedule that needs the clerk's check (核对) first
        return _after_report_action(request, "danger", exc.message)
    if sent:
        return _after_report_action(request, "success", _("%(name)s已发送 %(n)d 份。") % {"name": schedule.name, "n": sent})
    return _after_report_action(request, "warning", _("没有待发送的草稿（可能已自动发送）。"))


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """A failed or uncertain delivery goes again (same Message-ID), decided by the clerk in place."""
    _clerk_only(request)
    delivery = get_object_or_404(ReportDelivery.objects.select_related("recipient"), pk=pk)
    try:
        sent = deliveries.resend(delivery, actor=request.user)
    except DomainError as exc:
        return _after_report_action(request, "danger", exc.message)
    if sent:
        return _after_report_action(request, "success", _("已重发给 %(who)s。") % {"who": delivery.recipient.display_name})
    return _after_report_action(request, "danger", _("重发失败，稍后将自动重试。"))


# --- sending a released shipment off from the desk -----------------------------------------------


@login_required
@require_POST
@permission_required(logistics_perms.DISPATCH_SHIPMENT, raise_exception=True)
def shipment_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """The goods left: waybill and carrier typed on the desk, logistics' ``dispatch`` does the rest
    (shipped facts, the receivable, the customer to call). htmx swaps the row for a "dispatched" line."""
    shipment = get_for_user(Shipment.objects.select_related("customer", "order"), pk, request.user)
    form = _dispatch_form(shipment, request.POST)
    error = ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            shipment = logistics_services.dispatch(actor=request.user, shipment=shipment,
                                                   waybill_no=form.cleaned_data["waybill_no"] or None,
                                                   carrier=form.cleaned_data["carrier"] or None)
        except (DomainError, PermissionDenied) as exc:
            error = getattr(exc, "message", "") or _("您没有权限执行此操作。")
    message = _("发货单 %(n)s 已发货，已生成致电客户任务。") % {"n": shipment.number}
    if request.htmx:
        response = render(request, "desk/_planned_row.html", {"s": shipment, "error": error,
                                                              "form": form if error else None, "can_dispatch": True})
        if not error:
            trigger_client_event(response, "toast", {"level": "success", "message": message})
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect("home")
