"""``stream_rows``: the rows of a raw query read as the database sends them (PostgreSQL) or in chunks
(SQLite), counted, checked and wrapped like ``cursor.execute``."""

from __future__ import annotations

from contextlib import closing

import pytest
from django.db import DatabaseError, connection, transaction

from salesdesk.core.db import stream_rows

COUNT_TO = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i, i * 2 FROM n"

pytestmark = pytest.mark.django_db


def _fetched(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def test_streamed_rows_are_the_fetched_rows_across_several_chunks():
    assert [tuple(row) for row in stream_rows(COUNT_TO, [25], size=7)] == _fetched(COUNT_TO, [25])


def test_a_streamed_query_is_counted_like_any_other(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(stream_rows(COUNT_TO, [3]))) == 3


def test_closing_the_rows_early_leaves_the_connection_and_its_transaction_usable():
    with transaction.atomic():
        with closing(stream_rows(COUNT_TO, [10_000], size=10)) as rows:
            assert next(rows)[0] == 1

        assert _fetched("SELECT 42", []) == [(42,)]


def test_a_failing_query_raises_the_database_error_django_raises():
    with pytest.raises(DatabaseError), transaction.atomic():
        list(stream_rows("SELECT missing FROM no_such_table", []))

    assert _fetched("SELECT 7", []) == [(7,)]
