from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_me_returns_id_username_name_and_roles(api, personas):
    body = api("sales1").get("/api/v1/me").json()

    assert body["id"] == personas["sales1"].pk
    assert body["username"] == "sales1"
    assert body["name"] == "张伟"
    assert body["roles"] == ["salesperson"]


def test_me_without_credentials_is_401_in_the_error_shape(api):
    response = api(None).get("/api/v1/me")

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_bad_token_is_401(client, personas):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sd_not-a-real-token")

    assert response.status_code == 401


def test_users_filtered_by_role_lists_exactly_the_salespeople(api):
    body = api("clerk").get("/api/v1/users?role=salesperson").json()

    assert body["count"] == 3
    assert sorted(u["username"] for u in body["items"]) == ["sales1", "sales2", "sales3"]
    assert all(u["roles"] == ["salesperson"] for u in body["items"])


def test_users_list_pages_with_limit_and_offset(api):
    first = api("clerk").get("/api/v1/users?limit=2&offset=0").json()
    second = api("clerk").get("/api/v1/users?limit=2&offset=2").json()

    assert first["count"] == second["count"] == 11
    assert len(first["items"]) == 2
    assert {u["id"] for u in first["items"]}.isdisjoint({u["id"] for u in second["items"]})


def test_users_limit_above_500_is_422_with_field_errors(api):
    response = api("clerk").get("/api/v1/users?limit=501")

    assert response.status_code == 422
    assert "limit" in response.json()["errors"]


def test_users_search_matches_pinyin_initials(api):
    body = api("clerk").get("/api/v1/users?q=zw").json()  # 张伟

    assert [u["username"] for u in body["items"]] == ["sales1"]


def test_unknown_user_id_is_404(api):
    assert api("clerk").get("/api/v1/users/999999").status_code == 404


def test_session_write_without_csrf_is_refused(client, personas):
    from salesdesk.core.testing.personas import PASSWORD

    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.login(username="clerk", password=PASSWORD)

    response = csrf_client.post("/api/v1/me", data="{}", content_type="application/json")

    assert response.status_code in {401, 403, 405}


def test_malformed_json_body_is_422_not_500(api):
    response = api("clerk").client.post(
        "/api/v1/me", data="{not json", content_type="application/json", **api("clerk").headers
    )

    assert response.status_code in {405, 422}


def test_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/me" in response.json()["paths"]


def test_docs_page_uses_no_cdn(client):
    html = client.get("/api/v1/docs").content.decode()

    assert "cdn" not in html.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in html
