"""R9 Load, the CI mode: 50 Locust users doing the office's day (load/locustfile.py) for 30 s against
gunicorn on loopback, on the backend of this run — SQLite in ``make test``, PostgreSQL in the second
pass of ``.ci/run`` — so each backend is loaded once.

The data (the demo scale's organisation, customers, products, contracts and orders) is seeded into
the migrated test database, gunicorn serves that database with the production settings (DEBUG
off, the one-box SQLite settings), and pytest-django flushes it afterwards. Rules: PostgreSQL
answers no error at all; SQLite answers no error but ``503`` with ``Retry-After`` when busy; never
``500``. The figures (requests, p50/p95, answers by status, load average) are printed (``-s``).

Long mode: ``LOAD_SECONDS=300`` here, or ``python -m load.run`` (a fresh database per backend and the
whole demo scale; see load/run.py)."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from load.prepare import credentials, seed
from load.run import run_scenario, summary

pytestmark = pytest.mark.django_db(transaction=True)

SECONDS = int(os.environ.get("LOAD_SECONDS", "30"))


def database_url() -> str:
    """The test database as a DATABASE_URL for gunicorn (a file for SQLite, never in memory)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        assert s["NAME"] and "memory" not in str(s["NAME"]), "the load test needs a file SQLite test database"
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def prepare() -> dict:
    """The data and the accounts' tokens and sessions, made while gunicorn boots."""
    seed("light")
    context = credentials()
    connection.close()  # gunicorn's workers own the database from here
    return context


def test_fifty_users_get_no_error_on_postgresql_and_only_503_with_retry_after_on_sqlite(settings):
    result = run_scenario(database_url(), seconds=SECONDS, fresh=False, prepare=prepare, secret_key=settings.SECRET_KEY)

    print("\n" + summary(result))
    assert result.requests > 0
    assert result.ok, "\n".join(result.problems)
