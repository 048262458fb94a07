"""Schemathesis against the live OpenAPI document (issue 2, "Safety nets"): valid and invalid
requests generated for every operation, sent in-process to the WSGI app with the clerk's bearer
token; no answer may be a 5xx, and every answer must be documented (status, content type,
body schema), and an operation that declares auth must refuse a request without it. A request
answered 4xx must change nothing: every SalesDesk table's row count and latest ``updated_at`` are
compared before and after it (R2).

The default run (``make test``) uses schemathesis' explicit-examples and fuzzing phases with
enough ``max_examples`` per operation that at least ``MIN_CASES`` requests are sent in all
(checked by the last test). A long run, ``SCHEMATHESIS_EXAMPLES=N pytest -m schemathesis``,
sets ``max_examples`` to N per operation and adds the coverage phase (boundary values and
every single-field mutation of each parameter and body: thousands of requests, minutes)."""

from __future__ import annotations

import math
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from salesdesk.core.testing import access
from salesdesk.core.testing.snapshot import snapshot

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

MIN_CASES = 100
LONG_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "0"))
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": bool(LONG_EXAMPLES)}}})

app = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
OPERATIONS = sorted(result.ok().label for result in schema.get_all_operations())
EXAMPLES = LONG_EXAMPLES or max(5, math.ceil(MIN_CASES / max(len(OPERATIONS), 1)))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]

sent: Counter[tuple[str, int]] = Counter()  # (operation, status) → requests, for the last test


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The access matrix's world (personas and the apps' ``populate()`` objects), made once for
    the module in a transaction rolled back at the end."""
    from salesdesk.core.testing.personas import make_personas

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ), transaction.atomic():
        yield access.build_world(make_personas())
        transaction.set_rollback(True)


@pytest.fixture
def in_process(world, db):
    """Serve the WSGI app on the test's own connection, as Django's test client does: without
    the request signals closing it, the app sees the world and the test transaction holds."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {world.token('clerk')}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case, in_process):
    with transaction.atomic():  # each generated request starts from the same world
        before = snapshot()
        response = case.call_and_validate(headers=in_process, checks=CHECKS)
        if 400 <= response.status_code < 500:
            after = snapshot()
            changed = [label for label, value in before.items() if after[label] != value]
            assert not changed, f"{case.operation.label} answered {response.status_code} but changed {changed}"
        transaction.set_rollback(True)
    sent[(case.operation.label, response.status_code)] += 1


def test_the_run_was_big_enough_and_authenticated():
    """Runs after the generated tests (file order): enough requests, and not all refused."""
    ran = {label for label, _ in sent}
    total = sum(sent.values())
    if ran != set(OPERATIONS):
        pytest.skip(f"{total} requests to {len(ran)} of {len(OPERATIONS)} operations (others deselected or failed)")
    summary = ", ".join(f"{label} {status}: {n}" for (label, status), n in sorted(sent.items()))
    by_status = Counter()
    for (_, status), n in sent.items():
        by_status[status] += n
    print(f"\nschemathesis: {total} requests to {len(ran)} operations; by status {dict(sorted(by_status.items()))}")
    assert total >= MIN_CASES, f"only {total} generated requests: {summary}"
    refused = {label for label, _ in sent} - {label for (label, status) in sent if status != 401}
    assert not refused, f"every request was answered 401 to {sorted(refused)}: {summary}"
    assert any(200 <= status < 300 for _, status in sent), f"not one 2xx answer: {summary}"
