"""Pinned query budgets: a page or endpoint must run exactly the pinned number of queries,
whatever the number of rows, so an N+1 shows up as a failing test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


@contextmanager
def query_budget(expected: int, *, exact: bool = True) -> Iterator[CaptureQueriesContext]:
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    n = len(ctx.captured_queries)
    ok = n == expected if exact else n <= expected
    if not ok:
        listing = "\n".join(f"{i + 1}. {q['sql'][:300]}" for i, q in enumerate(ctx.captured_queries))
        raise AssertionError(f"expected {'' if exact else '<= '}{expected} queries, ran {n}:\n{listing}")
