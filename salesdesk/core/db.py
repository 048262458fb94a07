"""Database-level failures mapped to answers a person or a program can act on."""

from __future__ import annotations

from django.db import OperationalError

RETRY_AFTER_SECONDS = 5


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's lock outlasted the busy timeout (or PostgreSQL gave up on a lock)."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "lock timeout" in text


def is_serialization_failure(exc: BaseException) -> bool:
    """PostgreSQL deadlock or serialization failure: retry, then answer 409."""
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(exc, "sqlstate", None)
    return sqlstate in {"40001", "40P01"}
