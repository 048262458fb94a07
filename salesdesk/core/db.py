"""Database-level failures mapped to answers a person or a program can act on, and ``stream_rows``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext

from django.db import OperationalError, connection
from django.db.backends.utils import CursorDebugWrapper

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


def stream_rows(sql: str, params: Sequence, *, size: int = 2000) -> Iterator[tuple]:
    """The rows of one raw query as the database sends them. On PostgreSQL they come in chunks of ``size``
    while the server is still computing the rest (psycopg's ``stream``), so what the caller does with each
    row overlaps the query instead of following it; a big GROUP BY emits its groups over most of its run.
    Elsewhere they are read with ``fetchmany``. The query is checked, logged (the query counts of tests see
    it) and its errors wrapped as ``cursor.execute`` does. Nothing else may use the connection until the
    rows are read or the iterator is closed; closing it early reads the rest, as cancelling the query would
    abort a transaction around it."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or connection.execute_wrappers:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(size):
                yield from chunk
            return
        connection.validate_no_broken_transaction()
        logged = cursor.debug_sql(sql, params) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
        with logged, connection.wrap_database_errors:
            rows = cursor.cursor.stream(sql, params, size=size)
            try:
                for row in rows:  # noqa: UP028 - `yield from` would pass a close on to psycopg, which cancels
                    yield row
            finally:
                for _ in rows:
                    pass
