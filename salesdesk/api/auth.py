"""API authentication: a bearer token (no CSRF) or the browser session (CSRF on unsafe methods).

``requires(*perms)`` gives an operation's ``auth`` that also checks the role's permissions, so a
role that may not act gets ``403`` before the body is validated (API.md: 401 → 403 → 404 → 422)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from salesdesk.org.services import authenticate_token


def _check(user, permissions: tuple[str, ...], any_of: bool):
    if permissions:
        allowed = (any if any_of else all)(user.has_perm(p) for p in permissions)
        if not allowed:
            raise PermissionDenied
    return user


class BearerTokenAuth(HttpBearer):
    def __init__(self, permissions: tuple[str, ...] = (), any_of: bool = False):
        super().__init__()
        self.permissions, self.any_of = permissions, any_of

    def authenticate(self, request: HttpRequest, token: str):
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        return _check(user, self.permissions, self.any_of)


class ActiveSessionAuth(SessionAuth):
    """Django's session, with the CSRF check ninja applies for unsafe methods."""

    def __init__(self, permissions: tuple[str, ...] = (), any_of: bool = False):
        super().__init__()
        self.permissions, self.any_of = permissions, any_of

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return _check(user, self.permissions, self.any_of)
        return None


AUTH = [BearerTokenAuth(), ActiveSessionAuth()]


def requires(*permissions: str, any_of: bool = False) -> list:
    """``@router.post(..., auth=requires(perms.ADD_CUSTOMER))``."""
    return [BearerTokenAuth(permissions, any_of), ActiveSessionAuth(permissions, any_of)]
