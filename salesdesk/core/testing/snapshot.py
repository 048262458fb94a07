"""What "nothing written" means in tests of refused requests (R2 fuzzing, R3 access): every SalesDesk
table's row count and latest ``updated_at``, history tables included, read in one query."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps as django_apps
from django.db import connection


def business_tables() -> list[tuple[str, str | None]]:
    """(table, its ``updated_at`` column or None) of every SalesDesk model, history tables included."""
    out = []
    for model in django_apps.get_models():
        if not model.__module__.startswith("salesdesk.") or model._meta.proxy or not model._meta.managed:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        out.append((model._meta.db_table, "updated_at" if "updated_at" in names else None))
    return sorted(out)


def snapshot(exclude: Iterable[str] = ()) -> dict[str, object]:
    """{"<table> rows": count, "<table> updated_at": latest} for every business table but ``exclude``,
    in one query. Table names come from the models' metadata."""
    skip = set(exclude)
    quote = connection.ops.quote_name
    labels, parts = [], []
    for table, updated in business_tables():
        if table in skip:
            continue
        labels.append(f"{table} rows")
        parts.append(f"(SELECT COUNT(*) FROM {quote(table)})")  # noqa: S608
        if updated:
            labels.append(f"{table} updated_at")
            parts.append(f"(SELECT MAX({quote(updated)}) FROM {quote(table)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return dict(zip(labels, cursor.fetchone(), strict=True))
