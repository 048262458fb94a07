"""Seed the load database and hand the scenario its credentials: run in a subprocess with the same
environment as gunicorn (database, SECRET_KEY), so the sessions made here are valid there.

``python -m load.prepare --seed demo|light --out context.json``

- ``demo``: ``seed_demo --scale demo`` (what ``make run`` loads; about 80 s here);
- ``light``: the first seeders of the demo scale only — organisation, customers, products, contracts
  and orders (about 10 s), enough for every action of the scenario; used by the 30 s CI mode.

Then one API token (``Authorization: Bearer``) and one browser session per account of the
scenario, written with the cookie name to ``--out`` as JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ACCOUNTS = ("clerk", "sales1", "sales2", "sales3", "finance", "manager")
LIGHT_SEEDERS = ("org", "customers", "catalog", "contracts", "orders")
PASSWORD = "salesdesk"  # noqa: S105 (the demo accounts' default, seed_demo --password)


def seed(kind: str) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from salesdesk.core.demo import DemoContext, seeders

    if kind == "demo":
        call_command("seed_demo", scale="demo", password=PASSWORD)
        return
    ctx = DemoContext(scale="demo", password=PASSWORD, seed=20261127, out=sys.stdout)
    for label, seed_fn in seeders():
        if label in LIGHT_SEEDERS:
            started = time.monotonic()
            with transaction.atomic():
                seed_fn(ctx)
            print(f"  {label}: {time.monotonic() - started:.1f}s")


def credentials() -> dict:
    from django.conf import settings
    from django.test import Client

    from salesdesk.org.models import User
    from salesdesk.org.services import create_api_token

    accounts = {}
    for username in ACCOUNTS:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)  # a real session row (and the app's UserSession) as after a login
        accounts[username] = {
            "id": user.pk,
            "token": create_api_token(actor=user, user=user, name="load", expires_at=None).raw,
            "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }
    return {"session_cookie": settings.SESSION_COOKIE_NAME, "accounts": accounts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", choices=("demo", "light", "none"), default="demo")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    import django

    django.setup()
    if args.seed != "none":
        seed(args.seed)
    Path(args.out).write_text(json.dumps(credentials(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
