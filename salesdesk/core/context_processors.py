from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from . import jobs
from .navigation import menu_for


def shell(request: HttpRequest) -> dict:
    """What every page's frame needs: the menu for the user's roles and the worker banner."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"company_name": settings.COMPANY_NAME}
    cached = getattr(request, "_shell_context", None)
    if cached is not None:  # included templates (tables, partials) re-run context processors
        return cached
    down_since = jobs.worker_down_since()
    if down_since is not None:
        jobs.alert_worker_down(down_since)
    request._shell_context = {
        "company_name": settings.COMPANY_NAME,
        "menu": menu_for(user),
        "worker_down_since": down_since,
        "unread_count": user.notifications.filter(read_at__isnull=True).count(),
    }
    return request._shell_context
