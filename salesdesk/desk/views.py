"""The desk (工作台, M17): every signed-in user's home page. The clerk gets today's duties, each with
a count, the first rows and an action in place; salespeople, managers, the GM and finance get their
own month-to-date figures against the target with a chart; the admin is warned in December when
next year's working-day calendar is missing. Views stay thin: reads are ``desk.queries``, writes
are the owning app's services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from salesdesk.core.access import get_for_user
from salesdesk.core.calendar import next_year_warning
from salesdesk.core.errors import DomainError
from salesdesk.logistics.views import call_form
from salesdesk.orders import permissions as order_perms
from salesdesk.orders import services as order_services
from salesdesk.orders.models import Order
from salesdesk.org.roles import Role

from . import queries

FIGURE_ROLES = frozenset({Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})
RANKING_ROLES = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER})
MEASURE_LABELS = {"ordered": gettext_lazy("下单"), "shipped": gettext_lazy("发货"), "received": gettext_lazy("回款")}


def _finance_duties(user, today) -> list[queries.Duty]:
    """Finance's own queue on its home page: orders to look at, money to confirm, invoices to issue."""
    return [queries.unseen_orders(user), queries.pending_payments(user), queries.invoice_requests(user),
            queries.overdue_receivables(user, today), queries.promised_today(user, today)]


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
    elif Role.FINANCE in roles:
        context["duties"] = {d.key: d for d in _finance_duties(user, today)}
    if roles & FIGURE_ROLES:
        figures = queries.figures_for(user, today)
        context["figures"] = figures
        context["chart"] = figures.chart()
        context["measure_label"] = MEASURE_LABELS[figures.measure]
    if roles & RANKING_ROLES:
        context["ranking"] = queries.ranking(user, today)
    if Role.ADMIN in roles:
        context["calendar_warning"] = next_year_warning(user, today)
    context["can_mark_seen"] = user.has_perm(order_perms.MARK_SEEN)
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
