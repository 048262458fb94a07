"""The working-day calendar pages (工作日历): the year's exceptions to Monday–Friday, listed by year;
the admin adds, edits and deletes days, the clerk reads. Writes go through ``core.calendar``."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import calendar
from .forms import StyledFormMixin
from .lib import workdays
from .models import CalendarDay

FIRST_YEAR, LAST_YEAR = 2000, 2100


class CalendarDayForm(StyledFormMixin, forms.ModelForm):
    is_workday = forms.TypedChoiceField(
        label=gettext_lazy("是否上班"),
        choices=[("0", gettext_lazy("休息（节假日 / 调休）")), ("1", gettext_lazy("上班（调休补班）"))],
        coerce=lambda v: v == "1",
    )

    class Meta:
        model = CalendarDay
        fields = ["day", "is_workday", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["is_workday"] = "1" if self.instance.is_workday else "0"


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if FIRST_YEAR <= year <= LAST_YEAR else timezone.localdate().year


def _viewer(request: HttpRequest) -> None:
    if not calendar.can_view(request.user):
        raise PermissionDenied


def _editor(request: HttpRequest) -> None:
    if not calendar.can_edit(request.user):
        raise PermissionDenied


def _list_url(day: date) -> str:
    return f"{reverse('calendar_list')}?year={day.year}"


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    year = _year(request)
    rows = list(CalendarDay.objects.filter(day__year=year).order_by("day"))
    week = workdays.WorkWeek({r.day: r.is_workday for r in rows})
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "rows": rows,
        "can_edit": calendar.can_edit(request.user),
        "working_days": week.working_days_between(date(year, 1, 1), date(year, 12, 31)),
        "days_off": sum(not r.is_workday for r in rows),
        "makeup_days": sum(r.is_workday for r in rows),
    }
    return render(request, "core/calendar_list.html", context)


def _form_page(request: HttpRequest, form: CalendarDayForm, row: CalendarDay | None) -> HttpResponse:
    return render(request, "core/calendar_form.html", {"form": form, "row": row})


@login_required
def calendar_day_create(request: HttpRequest) -> HttpResponse:
    _editor(request)
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]
        calendar.save_day(actor=request.user, day=day, is_workday=form.cleaned_data["is_workday"],
                          name=form.cleaned_data["name"])
        messages.success(request, _("已保存 %(day)s。") % {"day": day})
        return redirect(_list_url(day))
    return _form_page(request, form, None)


@login_required
def calendar_day_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    row = get_object_or_404(CalendarDay, pk=pk)
    form = CalendarDayForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]
        calendar.save_day(actor=request.user, day=day, is_workday=form.cleaned_data["is_workday"],
                          name=form.cleaned_data["name"], instance=row)
        messages.success(request, _("已保存 %(day)s。") % {"day": day})
        return redirect(_list_url(day))
    return _form_page(request, form, row)


@login_required
@require_POST
def calendar_day_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    row = CalendarDay.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    calendar.delete_day(actor=request.user, row=row)
    messages.success(request, _("已删除 %(day)s，该日按正常周一至周五安排。") % {"day": row.day})
    return redirect(_list_url(row.day))
