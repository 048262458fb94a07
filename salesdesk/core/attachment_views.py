"""Uploading and downloading attachments, each after a check of the owning object through the
owner registry (``salesdesk.core.attachments``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from . import attachments
from .errors import InvalidInput
from .models import Attachment


def _safe_next(request: HttpRequest, owner) -> str:
    for candidate in (request.POST.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    get_absolute_url = getattr(owner, "get_absolute_url", None)
    return get_absolute_url() if callable(get_absolute_url) else ""


@login_required
@require_POST
def upload(request: HttpRequest, content_type_id: int, object_id: int) -> HttpResponse:
    owner = attachments.get_owner_for_user(content_type_id, object_id, request.user, attach=True)
    next_url = _safe_next(request, owner)
    uploaded = request.FILES.get("file")
    error = ""
    if uploaded is None:
        error = _("请选择要上传的文件。")
    else:
        try:
            attachments.attach(
                actor=request.user, owner=owner, uploaded_file=uploaded, description=request.POST.get("description", "")
            )
        except InvalidInput as exc:
            error = exc.message
    if request.htmx:
        context = {"panel": attachments.panel_context(request.user, owner, next_url=next_url, error=error)}
        response = render(request, "partials/attachments.html", context)
        if not error:
            trigger_client_event(response, "toast", {"level": "success", "message": _("附件已上传。")})
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("附件已上传。"))
    return redirect(next_url or "home")


@login_required
@require_safe
def download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment, pk=pk)
    attachments.get_owner_for_user(attachment.content_type_id, attachment.object_id, request.user)
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, IsADirectoryError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachments.download_content_type(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
