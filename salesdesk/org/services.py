"""Writes of the org domain: tokens, deactivation, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User, UserSession
from .roles import Role


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once; only its hash is stored


@transaction.atomic
def create_api_token(*, actor: User, user: User, name: str = "", expires_at: datetime | None = None) -> IssuedToken:
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=ApiToken.hash(raw), hint=raw[:10], expires_at=expires_at
    )
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate_token(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None (unknown, revoked, expired, inactive)."""
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=ApiToken.hash(raw)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # throttled: not on every call
    return token.user


def end_all_access(user: User) -> None:
    """Revoke every token and delete every session of ``user`` (used on deactivation)."""
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> None:
    user.is_active = False
    user._change_reason = f"deactivated by {actor.username}"
    user.save(update_fields=["is_active"])  # post_save ends tokens and sessions in this transaction


@transaction.atomic
def set_roles(*, actor: User, user: User, roles: list[str]) -> None:
    valid = {r.value for r in Role}
    unknown = set(roles) - valid
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    user.groups.set(Group.objects.filter(name__in=roles))
    user.__dict__.pop("role_codes", None)
    is_admin = Role.ADMIN in roles  # the administrator configures through Django admin
    if user.is_staff != is_admin and not user.is_superuser:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


@transaction.atomic
def update_user(*, actor: User, user: User, form) -> User:
    """Save an edited employee profile and their roles; history records ``actor`` as the author."""
    user = form.save(commit=False)
    user._history_user = actor
    user.save()
    set_roles(actor=actor, user=user, roles=form.cleaned_data.get("roles") or [])
    return user
