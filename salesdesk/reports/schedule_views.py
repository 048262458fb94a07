"""Pages of the report schedules: the list, a schedule with its deliveries ("send now", sending the
checked drafts, resending an uncertain or failed delivery — the clerk's), editing recipients, times and
formats (admin and clerk), and a kept delivery as it was rendered."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salesdesk.core.errors import DomainError
from salesdesk.core.forms import StyledFormMixin
from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import deliveries
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
        "renderable": deliveries.can_render(schedule), "title": schedule.name})


@require_POST
@role_required(SENDERS)
def schedule_send(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    try:
        made = deliveries.send_now(schedule, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已发送 %(n)d 份。") % {"n": sum(d.status == DeliveryStatus.SENT for d in made)})
    return redirect("report_schedule", pk=pk)


@require_POST
@role_required(SENDERS)
def schedule_send_drafts(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    key = period_key(current_period(schedule, timezone.localdate()))
    sent = deliveries.send_drafts(schedule, key, actor=request.user)
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
