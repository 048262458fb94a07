from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import ApiToken
from .roles import Role


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def _roles(user) -> list[Role]:
    return [r for r in Role if r.value in user.role_codes]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Every role's home page: who you are and the modules your roles open."""
    return render(request, "org/home.html", {"roles": _roles(request.user)})


def _tokens_context(request: HttpRequest, **extra) -> dict:
    return {"tokens": request.user.api_tokens.all(), "roles": _roles(request.user), **extra}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "org/profile.html", _tokens_context(request))


def _render_tokens(request: HttpRequest, **extra) -> HttpResponse:
    if request.htmx:
        return render(request, "org/_tokens.html", _tokens_context(request, **extra))
    return render(request, "org/profile.html", _tokens_context(request, **extra))


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:100]
    expires_at = None
    raw_date = request.POST.get("expires_on", "").strip()
    if raw_date:
        try:
            day = parse_date(raw_date)
        except ValueError:
            day = None
        if day is None or day <= timezone.localdate():
            return _render_tokens(request, token_error=_("过期日期必须是今天以后的日期。"))
        expires_at = timezone.make_aware(datetime.combine(day, time.max))
    issued = services.create_api_token(actor=request.user, user=request.user, name=name, expires_at=expires_at)
    return _render_tokens(request, new_token=issued.raw)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(actor=request.user, token=token)
    if request.htmx:
        return _render_tokens(request)
    return redirect("profile")
