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


def retry_on_conflict(fn, *, attempts: int = 3):
    """Run ``fn`` (which opens its own transaction); retry a deadlock or serialization failure a
    bounded number of times, then raise ``ConcurrentChange`` (answered 409)."""
    import functools

    from django.db import DatabaseError

    from .errors import ConcurrentChange

    @functools.wraps(fn)
    def run(*args, **kwargs):
        for attempt in range(attempts):
            try:
                return fn(*args, **kwargs)
            except DatabaseError as exc:
                if not is_serialization_failure(exc):
                    raise
                if attempt == attempts - 1:
                    raise ConcurrentChange() from exc
        raise AssertionError("unreachable")

    return run
