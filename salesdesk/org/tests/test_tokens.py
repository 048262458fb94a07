from __future__ import annotations

import pytest
from django.utils import timezone

from salesdesk.org.models import ApiToken
from salesdesk.org.services import create_api_token, deactivate_user

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed(personas):
    issued = create_api_token(actor=personas["clerk"], user=personas["clerk"])

    stored = ApiToken.objects.get()
    assert issued.raw not in {stored.key_hash, stored.hint}
    assert stored.key_hash == ApiToken.hash(issued.raw)


def test_deactivating_a_user_makes_their_token_answer_401_at_once(api, personas):
    client = api("sales1")
    assert client.get("/api/v1/me").status_code == 200

    deactivate_user(actor=personas["admin"], user=personas["sales1"])

    assert client.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(user=personas["sales1"]).revoked_at is not None


def test_deactivating_a_user_ends_their_browser_sessions(client, personas):
    from salesdesk.core.testing.personas import PASSWORD

    assert client.login(username="clerk", password=PASSWORD)
    assert client.get("/").status_code == 200

    deactivate_user(actor=personas["admin"], user=personas["clerk"])

    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_revoked_token_answers_401(api, personas):
    client = api("clerk")
    ApiToken.objects.filter(user=personas["clerk"]).update(revoked_at=timezone.now())

    assert client.get("/api/v1/me").status_code == 401


def test_expired_token_answers_401(api, personas):
    client = api("clerk")
    ApiToken.objects.filter(user=personas["clerk"]).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))

    assert client.get("/api/v1/me").status_code == 401


def test_create_api_token_command_prints_the_token_alone_on_the_last_line(personas, capsys):
    from django.core.management import call_command

    call_command("create_api_token", "finance")

    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("sd_") and " " not in last
    assert ApiToken.objects.get(user=personas["finance"]).key_hash == ApiToken.hash(last)
