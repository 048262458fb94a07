"""R7 Security (issue 12): deploy checks in both modes, login throttling, cookies and CSRF, upload
limits, exports permissioned/logged/named, idempotency per user, PIPL anonymisation keeps documents,
and the dependency audit that never passes silently."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from salesdesk.core.listing import ListPage
from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


# --- check --deploy: HTTPS mode clean, LAN-HTTP mode warns about exactly the HTTPS settings ----------------


CHECK_AND_SHOW = """
import json, sys
import django
django.setup()
from django.conf import settings as s
from django.core.management import call_command
from django.core.management.base import SystemCheckError
try:
    call_command("check", deploy=True, fail_level="WARNING")
except SystemCheckError as exc:
    sys.stderr.write(str(exc))
    sys.exit(1)
finally:
    print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,
                      s.SECURE_PROXY_SSL_HEADER]))
"""


@pytest.fixture(scope="module")
def deploy_check(tmp_path_factory):
    """``check --deploy`` (warnings fail) and the resulting HTTPS settings, in a fresh process per mode, run once."""
    runs: dict[str, subprocess.CompletedProcess] = {}

    def run(mode: str) -> subprocess.CompletedProcess:
        if mode not in runs:
            cleared = ("HTTPS", "BEHIND_PROXY", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last: Playwright
            env = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
            env.update(VAR_DIR=str(tmp_path_factory.mktemp("var")), DEBUG="0", DJANGO_SETTINGS_MODULE="salesdesk.settings",
                       SECRET_KEY="r7-" + "k3y-Zq8w" * 8, ALLOWED_HOSTS="desk.example.com")
            if mode == "https":
                env.update(HTTPS="1", BEHIND_PROXY="1")
            runs[mode] = subprocess.run([sys.executable, "-c", CHECK_AND_SHOW], cwd=ROOT, env=env, capture_output=True,
                                        text=True, timeout=300)
        return runs[mode]

    return run


def _settings_shown(result: subprocess.CompletedProcess) -> list:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_in_https_mode(deploy_check):
    result = deploy_check("https")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_mode_turns_on_redirect_hsts_secure_cookies_and_the_proxy_header(deploy_check):
    assert _settings_shown(deploy_check("https")) == [True, 31536000, True, True, ["HTTP_X_FORWARDED_PROTO", "https"]]
    assert _settings_shown(deploy_check("lan")) == [False, 0, False, False, None]


def test_lan_http_mode_warns_only_about_the_https_settings_it_leaves_off(deploy_check):
    result = deploy_check("lan")

    codes = {line.split("(")[1].split(")")[0] for line in result.stderr.splitlines() if line.startswith("?: (security.")}
    # HSTS, the HTTPS redirect, Secure session cookie, Secure CSRF cookie: off on purpose on the LAN (docs/reliability.md)
    assert result.returncode == 1
    assert codes == {"security.W004", "security.W008", "security.W012", "security.W016"}, result.stderr


# --- login throttling: django-axes on username + IP -------------------------------------------------------


def _login(client: Client, username: str, password: str, ip: str):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def axes_on(settings, db):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    from axes.models import AccessAttempt

    yield AccessAttempt


def test_repeated_failed_logins_lock_the_username_on_that_ip_even_for_the_right_password(axes_on, personas):
    first_two = [_login(Client(), "sales1", "wrong", "10.0.0.1").status_code for _ in range(2)]
    third = _login(Client(), "sales1", "wrong", "10.0.0.1")  # the limit (3) is reached: locked from now on
    assert first_two == [200, 200] and third.status_code == 429

    locked = _login(Client(), "sales1", PASSWORD, "10.0.0.1")

    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in locked.wsgi_request.session


def test_a_lockout_does_not_lock_the_same_username_from_another_ip(axes_on, personas):
    for _ in range(3):
        _login(Client(), "sales1", "wrong", "10.0.0.1")

    other_ip = _login(Client(), "sales1", PASSWORD, "10.0.0.2")

    assert other_ip.status_code == 302


def test_a_lockout_does_not_lock_another_username_from_the_same_ip(axes_on, personas):
    for _ in range(3):
        _login(Client(), "sales1", "wrong", "10.0.0.1")

    other_user = _login(Client(), "sales2", PASSWORD, "10.0.0.1")

    assert other_user.status_code == 302


# --- session, CSRF and cookie flags -------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_samesite_lax_and_expires(personas, settings):
    response = _login(Client(), "clerk", PASSWORD, "10.0.0.9")

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert response.status_code == 302
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False  # 12 h, then log in again


def test_the_csrf_cookie_is_samesite_lax_and_a_post_without_the_token_is_refused(personas, settings):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    assert page.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"

    refused = client.post("/login/", {"username": "clerk", "password": PASSWORD})

    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session


def test_pages_cannot_be_framed_or_sniffed(personas):
    client = Client()
    client.login(username="clerk", password=PASSWORD)

    response = client.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- upload limits ----------------------------------------------------------------------------------------------


def test_upload_limits_are_set():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 5 * 1024 * 1024
    assert settings.MAX_UPLOAD_SIZE == 20 * 1024 * 1024


def test_a_form_body_over_the_request_limit_is_refused(personas, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client()

    response = client.post("/login/", {"username": "clerk", "password": PASSWORD, "padding": "x" * 4096})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_import_file_over_the_size_limit_is_refused_in_chinese_and_nothing_is_imported(personas, settings):
    from salesdesk.customers.models import Customer

    settings.MAX_UPLOAD_SIZE = 1024 * 1024
    client = Client()
    client.login(username="clerk", password=PASSWORD)
    before = Customer.objects.count()
    big = SimpleUploadedFile("客户.csv", ("名称,电话\n" + "甲公司,13800138000\n" * 60_000).encode(), content_type="text/csv")

    response = client.post("/customers/import/", {"file": big})

    assert response.status_code == 200
    assert "文件超过大小上限 1 MB" in response.content.decode()
    assert Customer.objects.count() == before


# --- exports: permissioned, logged, named ---------------------------------------------------------------------


def _list_pages_with_export() -> list[tuple[str, type[ListPage]]]:
    found: dict[str, tuple[str, type[ListPage]]] = {}

    def walk(patterns, prefix: str):
        for p in patterns:
            route = str(p.pattern)
            if "<" in route or "^" in route:
                continue  # pages with arguments are reached from a list page; their exports are tested in their app
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "view_class", None)
                if view and issubclass(view, ListPage) and view.export_permission:
                    found.setdefault(view.export_name, ("/" + prefix + route, view))

    walk(get_resolver().url_patterns, "")
    return sorted(found.values(), key=lambda item: item[1].export_name)


LIST_EXPORTS = _list_pages_with_export()


def test_every_list_page_export_is_covered():
    assert len(LIST_EXPORTS) >= 15, [v.export_name for _, v in LIST_EXPORTS]


@pytest.mark.parametrize(("url", "view"), LIST_EXPORTS, ids=[v.export_name for _, v in LIST_EXPORTS])
def test_a_list_export_is_logged_naming_the_user_and_refused_without_permission(url, view, personas):
    allowed = next((u for u in personas.values() if u.has_perm(view.export_permission)), None)
    denied = next((u for u in personas.values() if not u.has_perm(view.export_permission)), None)
    assert allowed is not None, view.export_permission
    client = Client()

    if denied is not None:
        client.force_login(denied)
        assert client.get(url, {"export": "xlsx"}).status_code in (403, 404)
        assert not ExportLog.objects.exists()

    client.force_login(allowed)
    response = client.get(url, {"export": "xlsx"})

    assert response.status_code == 200, (url, response.status_code)
    log = ExportLog.objects.get()
    assert (log.user, log.what) == (allowed, view.export_name)
    assert allowed.display_name in unquote(response["Content-Disposition"])
    title = openpyxl.load_workbook(io.BytesIO(response.content)).active["A1"].value
    assert allowed.display_name in title


# --- idempotency keys are per user --------------------------------------------------------------------------------


def test_the_same_idempotency_key_from_two_users_does_not_replay_the_other_users_payment(api, personas):
    from salesdesk.finance.models import Payment
    from salesdesk.logistics.tests.factories import customer

    cust = customer(personas)
    body = {"customer_id": cust.pk, "amount": "100.00", "received_on": "2026-11-20", "method": "bank_transfer"}

    clerk = api("clerk").post("/api/v1/payments", body, HTTP_IDEMPOTENCY_KEY="shared-key")
    finance = api("finance").post("/api/v1/payments", {**body, "amount": "250.00"}, HTTP_IDEMPOTENCY_KEY="shared-key")

    assert clerk.status_code == finance.status_code == 201
    assert clerk.json()["id"] != finance.json()["id"]
    assert finance.json()["amount"] == "250.00"
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("100.00"), Decimal("250.00")]


# --- PIPL: anonymising a contact keeps the business documents ----------------------------------------------------


def test_anonymising_a_contact_keeps_the_customer_its_orders_and_interactions(personas):
    from salesdesk.customers.models import Interaction
    from salesdesk.customers.services import anonymise_contact
    from salesdesk.customers.tests.factories import ContactFactory
    from salesdesk.logistics.tests.factories import customer, product, submitted_order
    from salesdesk.orders.models import Order

    cust = customer(personas)
    contact = ContactFactory(customer=cust, name="张三", mobile="+8613800138000")
    order = submitted_order(personas, cust, [(product("100.00"), 3, "100.00")])
    Order.objects.filter(pk=order.pk).update(delivery_contact="张三")
    talk = Interaction.objects.create(customer=cust, contact=contact, kind="call", occurred_at="2026-11-20T10:00+08:00",
                                      subject="询价", user=personas["sales1"])
    before = Order.objects.values("number", "customer_id", "delivery_contact").get(pk=order.pk)

    anonymise_contact(actor=personas["sales1"], contact=contact)

    contact.refresh_from_db()
    assert contact.name == "已匿名" and not contact.mobile and contact.anonymised_at
    assert Order.objects.values("number", "customer_id", "delivery_contact").get(pk=order.pk) == before
    assert Interaction.objects.get(pk=talk.pk).contact_id == contact.pk
    assert cust.__class__.objects.filter(pk=cust.pk).exists()


# --- pip-audit never passes silently ------------------------------------------------------------------------------


def _audit(tmp_path, report: dict | None, *, exit_code: int = 0, stderr: str = "") -> subprocess.CompletedProcess:
    fake = tmp_path / "pip-audit"
    fake.write_text(
        "#!/usr/bin/env python3\nimport sys\nargs = sys.argv\n"
        f"report = {json.dumps(json.dumps(report)) if report is not None else None}\n"
        f"sys.stderr.write({stderr!r})\n"
        "if report is not None:\n    open(args[args.index('--output') + 1], 'w').write(report)\n"
        f"sys.exit({exit_code})\n")
    fake.chmod(0o755)
    env = {**os.environ, "PIP_AUDIT": str(fake), "PIP_AUDIT_PROBE": "0", "PY": sys.executable}
    return subprocess.run(["bash", "scripts/pip-audit.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_pip_audit_passes_only_when_every_package_was_checked(tmp_path):
    result = _audit(tmp_path, {"dependencies": [{"name": "django", "version": "5.2.8", "vulns": []}], "fixes": []})

    assert result.returncode == 0, result.stderr
    assert "1 of 1 packages checked, 0 with known vulnerabilities" in result.stdout


def test_pip_audit_fails_on_a_known_vulnerability(tmp_path):
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["5.2.99"], "aliases": [], "description": ""}
    result = _audit(tmp_path, {"dependencies": [{"name": "django", "version": "5.2.8", "vulns": [vuln]}], "fixes": []},
                    exit_code=1)

    assert result.returncode == 1
    assert "VULNERABLE django 5.2.8: PYSEC-2099-1 (fixed in 5.2.99)" in result.stdout


def test_pip_audit_says_not_performed_when_packages_could_not_be_checked(tmp_path):
    skipped = {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"}  # as pip-audit writes it
    result = _audit(tmp_path, {"dependencies": [skipped], "fixes": []})

    assert result.returncode == 3
    assert "advisory database unreachable — audit NOT performed" in result.stderr


def test_pip_audit_says_not_performed_when_the_service_cannot_be_reached(tmp_path):
    result = _audit(tmp_path, None, exit_code=1, stderr="ConnectionError: Max retries exceeded with url: /v1/query\n")

    assert result.returncode == 3
    assert "advisory database unreachable — audit NOT performed" in result.stderr


def test_make_test_runs_the_audit_and_goes_on_only_when_it_was_not_performed():
    makefile = (ROOT / "Makefile").read_text()

    assert "test: setup system-deps lint check audit" in makefile
    assert "bash scripts/pip-audit.sh" in makefile and "$$rc -eq 3" in makefile
