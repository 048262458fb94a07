from __future__ import annotations

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def _locked(*args, **kwargs):
    raise OperationalError("database is locked")


def test_api_answers_503_with_retry_after_when_the_database_stays_locked(api, monkeypatch):
    client = api("clerk")
    monkeypatch.setattr("salesdesk.org.api.users_for", _locked)

    response = client.get("/api/v1/me")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_busy"


def test_page_answers_503_with_retry_after_when_the_database_stays_locked(client, personas, monkeypatch):
    from salesdesk.core.testing.personas import PASSWORD

    client.login(username="clerk", password=PASSWORD)
    monkeypatch.setattr("salesdesk.desk.views.render", _locked)

    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_a_page_id_beyond_the_database_integer_range_answers_404(client, personas):
    client.force_login(personas["clerk"])

    response = client.get("/reports/schedules/99999999999999999999999/")

    assert response.status_code == 404
