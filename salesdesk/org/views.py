from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.listing import ListPage

from . import permissions, services
from .filters import TeamFilterSet, UserFilterSet
from .forms import UserForm
from .models import ApiToken, SalesTeam, User
from .roles import Role
from .tables import TeamTable, UserTable


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


def people_queryset():
    return User.objects.select_related("team", "department").prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("id", "name"))
    )


class UserList(ListPage):
    model = User
    table_class = UserTable
    filterset_class = UserFilterSet
    title = _("用户")
    export_permission = permissions.EXPORT_USERS
    export_name = "org.users"

    def base_queryset(self):
        return people_queryset().visible_to(self.request.user)


class UserDetail(DetailPage):
    model = User
    template_name = "org/user_detail.html"

    def get_queryset(self):
        return people_queryset()

    def overview_context(self, obj) -> dict:
        return {
            "roles": _roles(obj),
            "can_edit": self.request.user.has_perm(permissions.MANAGE_USERS),
        }


@login_required
@permission_required(permissions.MANAGE_USERS, raise_exception=True)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_for_user(people_queryset(), pk, request.user)
    form = UserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.update_user(actor=request.user, user=user, form=form)
        messages.success(request, _("已保存。"))
        return redirect("user_detail", pk=user.pk)
    return render(request, "org/user_form.html", {"form": form, "object": user})


class TeamList(ListPage):
    model = SalesTeam
    table_class = TeamTable
    filterset_class = TeamFilterSet
    title = _("销售团队")

    def base_queryset(self):
        return (
            SalesTeam.objects.visible_to(self.request.user)
            .select_related("manager")
            .annotate(member_count=Count("members"))
        )


class TeamDetail(DetailPage):
    model = SalesTeam
    template_name = "org/team_detail.html"
    with_attachments = False

    def get_queryset(self):
        return SalesTeam.objects.select_related("manager").prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("username"))
        )
