"""Every error shape of API.md, produced in one place.

401 no/bad credentials · 403 role · 404 unknown or not visible · 422 invalid input
``{"detail", "errors": {field: [msg]}}`` · 409 business rule or concurrent change
``{"detail", "code"}`` · 503 + Retry-After when the database is busy. Nothing becomes a 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from salesdesk.core.db import RETRY_AFTER_SECONDS, is_database_busy, is_serialization_failure
from salesdesk.core.errors import DomainError, InvalidInput

log = logging.getLogger("salesdesk.api")

MSG_401 = "未登录或凭证无效 / Authentication required or credentials invalid."
MSG_403 = "当前角色无权执行此操作 / Your role may not do this."
MSG_404 = "对象不存在 / Not found."
MSG_422 = "输入有误 / Invalid input."


def _field_name(loc: list | tuple) -> str:
    # ninja locations look like ("body", "payload", "lines", 0, "quantity"); drop the transport part
    parts = [str(p) for p in loc]
    while parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    if parts and parts[0] in {"payload", "data", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def validation_errors(errors: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(_field_name(e.get("loc", ())), []).append(str(e.get("msg", "invalid")))
    return out


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict):
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def on_validation(request, exc: ValidationError):
        return respond(request, 422, {"detail": MSG_422, "errors": validation_errors(exc.errors)})

    @api.exception_handler(InvalidInput)
    def on_invalid(request, exc: InvalidInput):
        return respond(request, 422, {"detail": exc.message, "errors": exc.errors})

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request, exc: DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return respond(request, 422, {"detail": next(iter(errors.values()))[0], "errors": errors})

    @api.exception_handler(DomainError)
    def on_domain(request, exc: DomainError):
        response = respond(request, exc.status_code, {"detail": exc.message, "code": exc.code})
        if getattr(exc, "retry_after", None):  # QueueUnavailable (core/jobs.py): 503 + Retry-After
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def on_auth(request, exc):
        return respond(request, 401, {"detail": MSG_401})

    @api.exception_handler(AuthorizationError)
    def on_authz(request, exc):
        return respond(request, 403, {"detail": MSG_403})

    @api.exception_handler(PermissionDenied)
    def on_denied(request, exc):
        return respond(request, 403, {"detail": str(exc) or MSG_403})

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return respond(request, 404, {"detail": MSG_404})

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        status = exc.status_code
        if status == 400:  # malformed JSON and the like: the contract says 422
            return respond(request, 422, {"detail": MSG_422, "errors": {"__all__": [str(exc)]}})
        if status == 403 and not request.user.is_authenticated:  # ninja's CSRF refusal, no credentials: 401 first
            return respond(request, 401, {"detail": MSG_401})
        return respond(request, status, {"detail": str(exc)})

    @api.exception_handler(Exception)
    def on_unexpected(request, exc: Exception):
        if is_database_busy(exc):
            response = respond(
                request, 503,
                {"detail": "系统繁忙，请稍后重试 / The database is busy, please retry.", "code": "database_busy"},
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if is_serialization_failure(exc):
            return respond(
                request, 409,
                {"detail": "并发冲突，请重试 / Concurrent change, please retry.", "code": "concurrent_change"},
            )
        if isinstance(exc, DataError) or (isinstance(exc, ValueError) and "NUL" in str(exc)):
            return respond(request, 422, {"detail": MSG_422, "errors": {"__all__": [str(exc)[:200]]}})
        raise exc
