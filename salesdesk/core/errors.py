"""Typed domain errors with stable codes.

Services raise these; the API turns them into ``409``/``422`` and forms into field errors, each in
one place (``salesdesk.api.errors`` and ``salesdesk.core.forms``). Each app defines its own
``StrEnum`` of codes; the message is for people (Chinese first, English after " / ").
"""

from __future__ import annotations

from enum import StrEnum


class CoreErrorCode(StrEnum):
    CONFLICT = "conflict"
    CONCURRENT_CHANGE = "concurrent_change"
    INVALID = "invalid"
    DATABASE_BUSY = "database_busy"


class DomainError(Exception):
    """A business rule refused the request: the API answers 409 with ``{"detail", "code"}``."""

    status_code = 409

    def __init__(self, message: str, *, code: str = CoreErrorCode.CONFLICT, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = str(code)
        self.field = field


class ConcurrentChange(DomainError):
    """Somebody else changed the row first; the caller may reload and try again."""

    def __init__(self, message: str = "数据已被他人修改，请刷新后重试 / The record was changed by someone else."):
        super().__init__(message, code=CoreErrorCode.CONCURRENT_CHANGE)


class InvalidInput(DomainError):
    """Input that passes the schema but breaks a rule of the domain: the API answers 422."""

    status_code = 422

    def __init__(self, errors: dict[str, list[str]] | str, *, field: str = "__all__", code: str = "invalid"):
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors = errors
        first = next(iter(errors.values()))[0] if errors else "输入有误 / Invalid input."
        super().__init__(first, code=code, field=field)
