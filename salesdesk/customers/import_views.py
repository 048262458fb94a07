"""Pages of the customer import: upload (with a dry-run switch) → preview → confirm → result, and
the downloadable template. The upload is kept under MEDIA_ROOT/imports/<random> between the
preview and the confirmation (the confirmation checks it again from scratch) and deleted after
the import, after a refusal, on cancel, or a day later by the next upload's sweep."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from salesdesk.core.exports import xlsx_response
from salesdesk.core.forms import StyledFormMixin, add_domain_error
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from . import importing
from . import permissions as perms

SESSION_KEY = "customer_imports"
RESULT_KEY = "customer_import_result"
STALE_AFTER = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")

import_required = permission_required(perms.IMPORT_CUSTOMER, raise_exception=True)


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("Excel（.xlsx、.xls）或 CSV（UTF-8 或 GBK 编码）；第一行为表头。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("试运行：只校验并预览，确认后再导入"), required=False, initial=True,
        help_text=gettext_lazy("不勾选时，校验全部通过即直接导入；有任何错误则整个文件都不导入。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("文件超过大小上限 %(mb)d MB") % {"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)}
            )
        return upload


# --- the stored upload ------------------------------------------------------------------------------


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _sweep() -> None:
    """Delete uploads nobody confirmed or cancelled within a day."""
    folder = _folder()
    if not folder.is_dir():
        return
    limit = time.time() - STALE_AFTER
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _store(request: HttpRequest, upload) -> str:
    _sweep()
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    with open(folder / token, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    stored = request.session.get(SESSION_KEY, {})
    stored[token] = os.path.basename(upload.name or "")[:200]
    request.session[SESSION_KEY] = dict(list(stored.items())[-5:])  # a handful of pending uploads at most
    return token


def _load(request: HttpRequest, token: str) -> tuple[bytes, str] | None:
    """The stored upload if it belongs to this session and still exists."""
    name = request.session.get(SESSION_KEY, {}).get(token)
    if name is None or not _TOKEN.match(token):
        return None
    try:
        return (_folder() / token).read_bytes(), name
    except OSError:
        return None


def _discard(request: HttpRequest, token: str) -> None:
    stored = request.session.get(SESSION_KEY, {})
    if stored.pop(token, None) is not None:
        request.session[SESSION_KEY] = stored
    if _TOKEN.match(token):
        (_folder() / token).unlink(missing_ok=True)


# --- pages -----------------------------------------------------------------------------------------


def _preview(request: HttpRequest, result: importing.ImportResult, filename: str, token: str = "") -> HttpResponse:
    return render(request, "customers/import/preview.html", {
        "result": result, "filename": filename, "token": token, "can_confirm": bool(token) and result.ok,
    })


def _refused(request: HttpRequest, exc: importing.ImportRefused) -> HttpResponse:
    """A stored upload turned out unreadable: the upload page again, with the reason."""
    return render(request, "customers/import/upload.html", {"form": UploadForm(), "refused": exc.message})


def _done(request: HttpRequest, result: importing.ImportResult, filename: str) -> HttpResponse:
    request.session[RESULT_KEY] = {
        "filename": filename, "customers": result.customers, "contacts": result.contacts, "rows": result.rows,
        "first": result.codes[0] if result.codes else "", "last": result.codes[1] if result.codes else "",
    }
    return redirect("customer_import_result")


@login_required
@import_required
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = _store(request, form.cleaned_data["file"])
        if form.cleaned_data["dry_run"]:
            return redirect("customer_import_preview", token=token)
        data, filename = _load(request, token)
        try:
            result = importing.import_customers(actor=request.user, source=data, filename=filename, dry_run=False)
        except importing.ImportRefused as exc:
            add_domain_error(form, exc)
        else:
            if result.written:
                return _done(request, result, filename)
            return _preview(request, result, filename)
        finally:
            _discard(request, token)
    return render(request, "customers/import/upload.html", {"form": form})


@login_required
@import_required
@require_safe
def preview(request: HttpRequest, token: str) -> HttpResponse:
    loaded = _load(request, token)
    if loaded is None:
        messages.warning(request, _("上传的文件已处理或已过期，请重新上传。"))
        return redirect("customer_import")
    data, filename = loaded
    try:
        result = importing.import_customers(actor=request.user, source=data, filename=filename, dry_run=True)
    except importing.ImportRefused as exc:
        _discard(request, token)
        return _refused(request, exc)
    if not result.ok:
        _discard(request, token)  # it cannot be imported as it is: the user fixes it and uploads again
        token = ""
    return _preview(request, result, filename, token)


@login_required
@import_required
@require_POST
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    loaded = _load(request, token)
    if loaded is None:
        messages.warning(request, _("上传的文件已处理或已过期，请重新上传。"))
        return redirect("customer_import")
    data, filename = loaded
    try:
        result = importing.import_customers(actor=request.user, source=data, filename=filename, dry_run=False)
    except importing.ImportRefused as exc:
        return _refused(request, exc)
    finally:
        _discard(request, token)
    if not result.written:
        return _preview(request, result, filename)
    return _done(request, result, filename)


@login_required
@import_required
@require_POST
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    _discard(request, token)
    messages.info(request, _("已取消导入，上传的文件已删除。"))
    return redirect("customer_import")


@login_required
@import_required
@require_safe
def result(request: HttpRequest) -> HttpResponse:
    summary = request.session.get(RESULT_KEY)
    if summary is None:
        return redirect("customer_import")
    try:
        list_url = reverse("customer_list")
    except NoReverseMatch:
        list_url = ""
    return render(request, "customers/import/result.html", {"summary": summary, "list_url": list_url})


@login_required
@import_required
@require_safe
def template(request: HttpRequest) -> HttpResponse:
    """The template with the headers and one example row (owned by a salesperson the user may pick)."""
    owners = User.objects.filter(is_active=True, groups__name=Role.SALESPERSON).order_by("username")
    scope = salesperson_scope(request.user)
    if scope is not None:
        owners = owners.filter(pk__in=scope)
    example = owners.values_list("username", flat=True).first() or ""
    return xlsx_response(importing.template_workbook(example), "客户导入模板.xlsx")
