"""The access matrix (issue 2, "Safety nets"): one test per (case, role, ownership variant)
from every app's ``tests/access.py``, and a completeness test that fails for every page or
API operation without a case. How to write cases: ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client, override_settings

from salesdesk.core.testing import access

CASES = access.collect_cases()
ROWS = access.collect_rows(CASES)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Personas and the apps' objects, made once for the module inside a transaction that is
    rolled back at the end; every row runs in its own savepoint (the ``db`` fixture)."""
    from salesdesk.core.testing.personas import make_personas

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ), transaction.atomic():
        built = access.build_world(make_personas())  # also the personas' tokens and sessions
        yield built
        transaction.set_rollback(True)


def test_cases_are_well_declared():
    problems = access.declaration_problems(CASES)
    assert not problems, "access-matrix declarations:\n" + "\n".join(problems)


def test_every_page_and_api_operation_has_a_case():
    openapi = Client().get("/api/v1/openapi.json").json()
    problems = access.coverage_problems(CASES, access.page_routes(), access.api_operations(openapi))
    assert not problems, (
        "add rows to the app's tests/access.py (see salesdesk/core/testing/access.py):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_access(row, world, db):
    access.assert_row(row, world)
