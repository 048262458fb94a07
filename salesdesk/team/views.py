"""Team pages: the month's target grid (everyone who may read targets sees the lines they may see;
the clerk edits them in place and saves the whole month in one transaction), copying last month,
the Excel import (template → upload → preview with row errors → commit) and the company's 业绩
measure (admin, GM). Views stay thin: parse, check, call ``team.services``, render."""

from __future__ import annotations

import base64
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from salesdesk.core.errors import DomainError
from salesdesk.core.exports import xlsx_response
from salesdesk.core.forms import add_domain_error
from salesdesk.org.models import CompanyProfile

from . import importing, navigation, services  # noqa: F401  (navigation registers the menu entries)
from . import permissions as perms
from .forms import ImportForm, MeasureForm, TargetGridForm
from .queries import grid, next_month, previous_month

IMPORT_SESSION_KEY = "team_target_import"


def _may_read(user) -> bool:
    return user.has_perm(perms.VIEW_TARGET)


def _month(request: HttpRequest, source=None):
    raw = (source or request.GET).get("month") or ""
    if not raw:
        return timezone.localdate().replace(day=1)
    try:
        return services.parse_month(raw)
    except DomainError:
        return None


def _month_url(month) -> str:
    return f"{reverse('target_month')}?month={month:%Y-%m}"


def _grid_context(request: HttpRequest, month, form: TargetGridForm | None = None) -> dict:
    user = request.user
    editable = services.may_edit(user)
    rows = grid(month, user)
    if form is None:
        form = TargetGridForm(rows=rows)
    totals = {
        "sales": sum((r.sales_target for r in rows if r.scope == "salesperson"), start=0),
        "collection": sum((r.collection_target for r in rows if r.scope == "salesperson"), start=0),
    }
    return {
        "month": month, "month_text": f"{month:%Y-%m}", "prev": previous_month(month), "next": next_month(month),
        "form": form, "editable": editable, "rows": rows, "totals": totals,
        "can_import": editable and user.has_perm(perms.IMPORT_TARGET),
    }


@login_required
def target_month(request: HttpRequest) -> HttpResponse:
    """GET: the month's grid; POST (the clerk): save every line of the month in one transaction."""
    user = request.user
    if not _may_read(user):
        raise PermissionDenied
    month = _month(request, request.POST if request.method == "POST" else None)
    if month is None:
        messages.error(request, _("月份格式应为 YYYY-MM。"))
        return redirect("target_month")
    template = "team/_grid.html" if request.htmx else "team/targets.html"
    if request.method == "POST":
        if not services.may_edit(user):
            raise PermissionDenied
        form = TargetGridForm(request.POST, rows=grid(month, user))
        if form.is_valid():
            try:
                result = services.save_month_targets(actor=user, month=month, entries=form.entries())
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("已保存 %(m)s 目标：新增 %(c)d 条，修改 %(u)d 条。")
                                 % {"m": f"{month:%Y-%m}", "c": result.created, "u": result.updated})
                if not request.htmx:
                    return redirect(_month_url(month))
                return render(request, template, _grid_context(request, month))
        return render(request, template, _grid_context(request, month, form), status=422 if request.htmx else 200)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(request, template, _grid_context(request, month))


@login_required
@require_POST
def target_copy(request: HttpRequest) -> HttpResponse:
    """Copy last month's targets into the month for the lines that have none yet."""
    if not services.may_edit(request.user):
        raise PermissionDenied
    month = _month(request, request.POST)
    if month is None:
        messages.error(request, _("月份格式应为 YYYY-MM。"))
        return redirect("target_month")
    try:
        result = services.copy_month_targets(actor=request.user, month=month)
    except DomainError as exc:
        messages.error(request, exc.message.split(" / ")[0])
    else:
        messages.success(request, _("已复制上月目标 %(c)d 条；本月已有目标的 %(u)d 条保持不变。")
                         % {"c": result.created, "u": result.unchanged})
    return redirect(_month_url(month))


@login_required
@require_safe
def target_template(request: HttpRequest) -> HttpResponse:
    """The month's grid as the import file (current values filled in)."""
    if not (services.may_edit(request.user) and request.user.has_perm(perms.IMPORT_TARGET)):
        raise PermissionDenied
    month = _month(request) or timezone.localdate().replace(day=1)
    return xlsx_response(importing.template_workbook(month, request.user), f"销售目标-{month:%Y-%m}.xlsx")


def _may_import(user) -> bool:
    return services.may_edit(user) and user.has_perm(perms.IMPORT_TARGET)


@login_required
def target_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (every row with its errors); the file waits in the session for the commit."""
    if not _may_import(request.user):
        raise PermissionDenied
    month = _month(request) or timezone.localdate().replace(day=1)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"month": f"{month:%Y-%m}"})
    preview = None
    token = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(importing.MAX_BYTES + 1)
        try:
            preview = importing.check_file(actor=request.user, month=form.cleaned_data["month"], data=data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if preview.ok:
                token = secrets.token_urlsafe(16)
                request.session[IMPORT_SESSION_KEY] = {
                    "token": token, "month": f"{preview.month:%Y-%m}", "data": base64.b64encode(data).decode(),
                }
    return render(request, "team/import.html", {"form": form, "preview": preview, "token": token})


@login_required
@require_POST
def target_import_commit(request: HttpRequest) -> HttpResponse:
    """Save the previewed file (checked again from scratch) in one transaction."""
    if not _may_import(request.user):
        raise PermissionDenied
    stored = request.session.get(IMPORT_SESSION_KEY) or {}
    if not stored or stored.get("token") != request.POST.get("token"):
        messages.error(request, _("导入已过期，请重新上传文件。"))
        return redirect("target_import")
    month = services.parse_month(stored["month"])
    try:
        preview, result = importing.import_targets(actor=request.user, month=month,
                                                   data=base64.b64decode(stored["data"]))
    except DomainError as exc:
        messages.error(request, exc.message.split(" / ")[0])
        return redirect("target_import")
    request.session.pop(IMPORT_SESSION_KEY, None)
    if result is None:
        return render(request, "team/import.html", {"form": ImportForm(initial={"month": stored["month"]}),
                                                    "preview": preview, "token": ""})
    messages.success(request, _("已导入 %(m)s 目标：新增 %(c)d 条，更新 %(u)d 条，未变 %(n)d 条。")
                     % {"m": stored["month"], "c": result.created, "u": result.updated, "n": result.unchanged})
    return redirect(_month_url(month))


@login_required
def performance_settings(request: HttpRequest) -> HttpResponse:
    """The company's 业绩 measure (admin, GM)."""
    if not services.may_set_measure(request.user):
        raise PermissionDenied
    profile = CompanyProfile.current()
    form = MeasureForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_performance_measure(actor=request.user, measure=form.cleaned_data["performance_measure"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("业绩口径已更新。"))
            return redirect("performance_settings")
    return render(request, "team/performance.html", {"form": form, "profile": profile})
