"""People: who am I, and the colleague list (``/me``, ``/users``)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema

from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, HistoryOut, ListOut, history_response
from salesdesk.core.access import get_for_user

from .models import User
from .roles import Role

router = Router(tags=["people"])


class UserOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]
    email: str = ""
    team_id: int | None = None
    is_active: bool = True

    @staticmethod
    def resolve_name(obj: User) -> str:
        return obj.display_name

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(obj.role_codes)


class UserFilter(Schema):
    role: Role | None = Field(None, description="角色 / role code")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=100, description="姓名、用户名、拼音首字母 / name, username, initials")
    is_active: bool | None = None


def users_for(viewer: User):
    return User.objects.visible_to(viewer).prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("id", "name"))
    )


@router.get("/me", response={200: UserOut, **COMMON_ERRORS}, summary="当前用户 / The signed-in user")
def me(request):
    return users_for(request.user).get(pk=request.user.pk)


@router.get("/users", response={200: ListOut[UserOut], **COMMON_ERRORS}, summary="用户列表 / Users")
def list_users(request, filters: Query[UserFilter], page: Query[PageParams]):
    qs = users_for(request.user).order_by("username")
    if filters.role:
        qs = qs.filter(groups__name=filters.role)
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.is_active is not None:
        qs = qs.filter(is_active=filters.is_active)
    if filters.q:
        term = filters.q.strip().lower()
        qs = qs.filter(Q(search_text__contains=term) | Q(username__icontains=term) | Q(name__icontains=term))
    return paginate(qs, page)


@router.get("/users/{user_id}", response={200: UserOut, **COMMON_ERRORS}, summary="用户 / One user")
def get_user(request, user_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_object_or_404(users_for(request.user), pk=user_id)


@router.get("/users/{user_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            summary="用户变更记录 / Change history of one user")
def user_history(request, page: Query[PageParams], user_id: int = Path(..., ge=1, le=MAX_ID)):
    return history_response(get_for_user(User, user_id, request.user), page.limit, page.offset)
