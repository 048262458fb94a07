"""Pages of the report schedules: the list, a schedule with its deliveries ("send now", sending the
checked drafts, resending an uncertain or failed delivery — the clerk's), editing recipients, times and
formats (admin and clerk), and a kept delivery as it was rendered."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.forms import StyledFormMixin
from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import checks, deliveries
from .models import DeliveryStatus, ReportDelivery, ReportSchedule
from .schedules import current_period, period_key

READERS = frozenset({Role.ADMIN, Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE})
EDITORS = frozenset({Role.ADMIN, Role.CLERK})
SENDERS = frozenset({Role.CLERK})
FIGURE_READERS = frozenset({Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE})
DELIVERIES_SHOWN = 100

register(MenuItem("report_schedules", gettext_lazy("定时报表"), "report_schedules", "bi-alarm", roles=READERS, order=420,
                  description=gettext_lazy("日报、五日报、月报等的发送时间、收件人和发送记录")))


def role_required(roles: frozenset[str]):
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@role_required(READERS)
def schedule_list(request):
    schedules = ReportSchedule.objects.prefetch_related("recipients").order_by("id")
    return render(request, "reports/schedules/list.html", {"schedules": schedules, "title": _("定时报表")})


@role_required(READERS)
def schedule_detail(request, pk: int):
    schedule = get_object_or_404(ReportSchedule.objects.prefetch_related("recipients"), pk=pk)
    rows = list(ReportDelivery.objects.filter(schedule=schedule).select_related("recipient")
                .order_by("-id")[:DELIVERIES_SHOWN])
    today_key = period_key(current_period(schedule, timezone.localdate()))
    drafts = [d for d in rows if d.period == today_key and not d.manual and d.status == DeliveryStatus.PENDING]
    return render(request, "reports/schedules/detail.html", {
        "schedule": schedule, "deliveries": rows, "current_period": today_key, "drafts": drafts,
        "recipients": deliveries.recipients(schedule), "can_send": request.user.has_role(*SENDERS),
        "can_edit": request.user.has_role(*EDITORS), "can_open": request.user.has_role(*FIGURE_READERS),
        "renderable": deliveries.can_render(schedule), "title": schedule.name,
        "checked": schedule.needs_check and checks.is_checked(schedule, today_key)})


@require_POST
@role_required(SENDERS)
def schedule_send(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    try:
        made = deliveries.send_now(schedule, actor=request.user, period=request.POST.get("period") or None)
    except DomainError as exc:  # InvalidInput (a bad period) is one too
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已发送 %(n)d 份。") % {"n": sum(d.status == DeliveryStatus.SENT for d in made)})
    return redirect("report_schedule", pk=pk)


@require_POST
@role_required(SENDERS)
def schedule_send_drafts(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    key = period_key(current_period(schedule, timezone.localdate()))
    try:
        sent = deliveries.send_drafts(schedule, key, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已发送 %(n)d 份。") % {"n": sent})
    return redirect("report_schedule", pk=pk)


@require_POST
@role_required(SENDERS)
def delivery_resend(request, pk: int):
    delivery = get_object_or_404(ReportDelivery, pk=pk)
    try:
        deliveries.resend(delivery, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("report_schedule", pk=delivery.schedule_id)


@role_required(FIGURE_READERS)
def delivery_view(request, pk: int):
    delivery = get_object_or_404(ReportDelivery.objects.select_related("schedule", "recipient"), pk=pk)
    return render(request, "reports/schedules/delivery.html", {"delivery": delivery, "title": delivery.subject})


class ScheduleForm(StyledFormMixin, forms.ModelForm):
    recipient_roles = forms.MultipleChoiceField(label=gettext_lazy("收件角色"), required=False, choices=Role.choices,
                                                widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ReportSchedule
        fields = ["name", "draft_at", "send_at", "recipients", "recipient_roles", "send_html", "attach_excel", "active"]
        widgets = {"draft_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "send_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["recipients"].required = False


@role_required(EDITORS)
def schedule_edit(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    form = ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        from salesdesk.core.history import acting_as

        with acting_as(request.user):
            form.save()
        messages.success(request, _("已保存。"))
        return redirect("report_schedule", pk=pk)
    return render(request, "reports/schedules/edit.html", {"schedule": schedule, "form": form, "title": schedule.name})


# --- the check (核对) before a schedule that needs one may send -------------------------------------


class CheckForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)


@role_required(FIGURE_READERS)
def schedule_check(request, pk: int, period: str):
    """The period's figures per salesperson, the report against the ledger and finance's confirmed
    payments with every difference listed, and (the clerk's) "checked". htmx: the panel alone."""
    schedule = get_object_or_404(ReportSchedule, pk=pk, needs_check=True)
    try:
        p = checks.parse_period(schedule, period)
    except InvalidInput:
        raise Http404 from None
    key = period_key(p)
    can_check = request.user.has_role(*SENDERS)
    form = CheckForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if not can_check:
            raise PermissionDenied
        if form.is_valid():
            try:
                checks.mark_checked(actor=request.user, schedule=schedule, period=key, note=form.cleaned_data["note"])
            except DomainError as exc:
                error = exc.message
        if not request.htmx:
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("已标记为已核对，报表将在发送时间发出。"))
            return redirect("report_schedule_check", pk=pk, period=key)
        form = CheckForm()
    context = {
        "schedule": schedule, "period": p, "period_key": key, "figures": checks.check_figures(p),
        "rows": checks.hr_totals(p), "check": checks.check_of(schedule, key), "form": form, "error": error,
        "can_check": can_check, "over": p.end < timezone.localdate(),
        "deliveries": list(ReportDelivery.objects.filter(schedule=schedule, period=key, manual=False)
                           .select_related("recipient").order_by("id")),
        "title": _("核对：%(name)s %(period)s") % {"name": schedule.name, "period": key},
    }
    context["totals"] = checks.totals_of(context["rows"])
    template = "reports/schedules/_check_panel.html" if request.htmx else "reports/schedules/check.html"
    return render(request, template, context)
