"""Access-matrix rows of org: sign-in pages, the profile and its API tokens, people in the API.

See ``salesdesk/core/testing/access.py`` for how cases are written and run."""

from __future__ import annotations

from django.urls import resolve

from salesdesk.core.testing.access import (
    OWNERSHIP,
    Case,
    Ctx,
    Redirect,
    api_expect,
    expect,
    page_expect,
    per_variant,
)


def _token_pk(user) -> int:
    from salesdesk.org.services import create_api_token

    return create_api_token(actor=user, user=user, name="to revoke").token.pk


def own_token(ctx: Ctx) -> dict:
    """A token of the acting user (the anonymous visitor gets sales1's)."""
    user = ctx.actor or ctx.world.user("sales1")
    return {"pk": _token_pk(user)}


def owners_token(ctx: Ctx) -> dict:
    """A token of the variant's owner: only that user may revoke it."""
    return {"pk": _token_pk(ctx.owner)}


def _revoked(ctx: Ctx, response) -> None:
    from salesdesk.org.models import ApiToken

    token = ApiToken.objects.get(pk=resolve(response.request["PATH_INFO"]).kwargs["pk"])
    wanted = ctx.actor is not None and token.user_id == ctx.actor.pk
    assert (token.revoked_at is not None) == wanted, f"token revoked={token.revoked_at is not None}"


CASES: list[Case] = [
    # --- sign-in pages (project urls) ---
    Case("home", expect=page_expect(200)),
    Case("login", expect=expect(Redirect("home"), anonymous=200)),  # signed in: straight to home
    Case(
        "login",
        method="POST",
        label="wrong password",
        body={"username": "sales1", "password": "not-the-password"},
        expect=expect(Redirect("home"), anonymous=200),
    ),
    Case("logout", method="POST", expect=expect(Redirect("login"), anonymous=Redirect("login"))),
    Case("logout", expect=expect(405, anonymous=405)),  # logging out needs a POST
    Case("password_change", expect=page_expect(200)),
    Case("password_change", method="POST", label="empty form", body={}, expect=page_expect(200)),
    Case("password_change_done", expect=page_expect(200)),
    # --- profile and API tokens ---
    Case("profile", expect=page_expect(403)),
    Case("token_create", method="POST", body={"name": "matrix"}, expect=page_expect(200)),
    Case("token_create", expect=page_expect(405)),
    Case(
        "token_revoke",
        method="POST",
        label="own token",
        args=own_token,
        expect=page_expect(Redirect("profile")),
        check=_revoked,
    ),
    Case(
        "token_revoke",
        method="POST",
        label="token of sales1/sales3/sales2",
        variants=OWNERSHIP,
        args=owners_token,
        # nobody revokes another user's token here, not even the manager or the admin
        expect=page_expect(404, salesperson=per_variant(own=Redirect("profile"), team=404, other=404)),
        check=_revoked,
    ),
    Case("token_revoke", label="own token", args=own_token, expect=page_expect(405)),
    # --- API: people ---
    Case("GET /api/v1/me", expect=api_expect(200)),
    Case("GET /api/v1/users", expect=api_expect(200)),
    Case("GET /api/v1/users", label="filtered", query={"role": "salesperson", "q": "zw"}, expect=api_expect(200)),
    Case(
        "GET /api/v1/users/{user_id}",
        variants=OWNERSHIP,
        args=lambda c: {"user_id": c.owner.pk},
        expect=api_expect(200),  # colleagues are visible to every signed-in employee
    ),
    Case(
        "GET /api/v1/users/{user_id}",
        label="unknown id",
        args={"user_id": 2**31},
        expect=api_expect(404),
    ),
]
