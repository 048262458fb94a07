"""Access-matrix rows of org: sign-in pages, the profile and its API tokens, people in the API.

See ``salesdesk/core/testing/access.py`` for how cases are written and run."""

from __future__ import annotations

from django.urls import resolve, reverse

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


def _user_content_type(ctx: Ctx) -> int:
    from django.contrib.contenttypes.models import ContentType

    from salesdesk.org.models import User

    return ContentType.objects.get_for_model(User).pk


def _upload_to_owner(ctx: Ctx) -> dict:
    return {"content_type_id": _user_content_type(ctx), "object_id": ctx.owner.pk}


def _upload_body(ctx: Ctx) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    next_url = reverse("user_detail", kwargs={"pk": ctx.owner.pk})
    return {"file": SimpleUploadedFile("note.txt", "员工档案".encode(), "text/plain"), "next": next_url}


def _stored_iff_allowed(ctx: Ctx, response) -> None:
    from salesdesk.core.models import Attachment

    stored = Attachment.objects.filter(object_id=ctx.owner.pk, content_type_id=_user_content_type(ctx)).count()
    assert stored == (1 if ctx.role in {"admin", "hr"} else 0), f"{stored} attachments stored"


def _owners_attachment(ctx: Ctx) -> dict:
    """An employee file of the variant's owner, attached by HR (made inside the row, so it is
    stored under the row's temporary MEDIA_ROOT and rolled back)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from salesdesk.core.attachments import attach

    upload = SimpleUploadedFile("contract.txt", "劳动合同".encode(), "text/plain")
    return {"pk": attach(actor=ctx.world.user("hr"), owner=ctx.owner, uploaded_file=upload).pk}


# employee files (attachments on a user): the employee sees their own, HR and the admin all
EMPLOYEE_FILES = dict(admin=200, hr=200, salesperson=per_variant(own=200, team=404, other=404))


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
    Case("profile", expect=page_expect(200)),
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
    # --- people and teams pages ---
    Case("user_list", expect=page_expect(200)),  # colleagues are visible to every employee
    Case(
        "user_list",
        label="Excel export",
        query={"export": "xlsx"},
        expect=page_expect(403, admin=200, clerk=200, general_manager=200, hr=200),
    ),
    Case("user_detail", variants=OWNERSHIP, args=lambda c: {"pk": c.owner.pk}, expect=page_expect(200)),
    Case("user_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404)),
    Case("user_edit", variants=OWNERSHIP, args=lambda c: {"pk": c.owner.pk}, expect=page_expect(403, admin=200)),
    Case(
        "user_edit",
        method="POST",
        label="invalid form",
        variants=OWNERSHIP,
        args=lambda c: {"pk": c.owner.pk},
        body={},
        expect=page_expect(403, admin=200),  # the admin gets the form back with its errors
    ),
    Case("team_list", expect=page_expect(200)),
    Case(
        "team_detail",
        variants=OWNERSHIP,
        args=lambda c: {"pk": c.owner.team_id},  # own and team: team A; other: team B
        expect=page_expect(200),
    ),
    # --- employee files: attachments owned by a user ---
    Case(
        "attachment_upload",
        method="POST",
        label="employee file",
        variants=OWNERSHIP,
        args=_upload_to_owner,
        body=_upload_body,
        expect=page_expect(404, admin=Redirect("/org/users/"), hr=Redirect("/org/users/")),
        check=_stored_iff_allowed,
    ),
    Case(
        "attachment_upload",
        label="employee file",
        variants=OWNERSHIP,
        args=_upload_to_owner,
        expect=page_expect(405),
    ),
    Case(
        "attachment_download",
        label="employee file",
        variants=OWNERSHIP,
        args=_owners_attachment,
        expect=page_expect(404, **EMPLOYEE_FILES),
    ),
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
        "GET /api/v1/users/{user_id}/history",
        variants=OWNERSHIP,
        args=lambda c: {"user_id": c.owner.pk},
        expect=api_expect(200),
    ),
    Case(
        "GET /api/v1/users/{user_id}",
        label="unknown id",
        args={"user_id": 2**31},
        expect=api_expect(404),
    ),
]
