"""Dynamic management (动态管理): who changed what, when — read from django-simple-history.

``history_entries(obj)`` turns an object's historical rows into ``{"at", "user", "changes":
{field: [old, new]}}`` entries, newest first, in two queries whatever the number of rows (the
rows and their users are fetched once and diffed in memory). ``acting_as(user)`` sets the user
recorded for saves made outside a request (commands, jobs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

HIDDEN_FIELDS = frozenset({
    "id", "password", "search_text", "name_key", "last_login", "is_superuser", "is_staff", "date_joined",
    "created_at", "updated_at",
})


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: str | None
    user_id: int | None
    kind: str  # "created" | "changed" | "deleted"
    changes: dict[str, list[Any]]
    reason: str


def _plain(value: Any) -> Any:
    """JSON-friendly values: money as two-decimal strings, dates ISO, everything else as is."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _tracked_names(record) -> list[str]:
    return [f.name for f in record.tracked_fields if f.editable and f.name not in HIDDEN_FIELDS]


_KIND = {"+": "created", "~": "changed", "-": "deleted"}


def history_entries(obj: models.Model, *, limit: int = 100, offset: int = 0) -> tuple[int, list[HistoryEntry]]:
    """(total count, one page of entries) for ``obj``, newest first."""
    manager = obj.history
    total = manager.count()
    # one row more than the page, so the oldest entry on the page can be diffed against its predecessor
    rows = list(manager.select_related("history_user").order_by("-history_date", "-history_id")[
        offset : offset + limit + 1
    ])
    entries = []
    for i, record in enumerate(rows[:limit]):
        previous = rows[i + 1] if i + 1 < len(rows) else None
        if previous is None or record.history_type == "+":
            names = _tracked_names(record)
            changes = {n: [None, _plain(getattr(record, f"{n}_id", getattr(record, n, None)))] for n in names}
            changes = {k: v for k, v in changes.items() if v[1] not in (None, "")}
        else:
            delta = record.diff_against(previous, excluded_fields=HIDDEN_FIELDS)
            changes = {c.field: [_plain(c.old), _plain(c.new)] for c in delta.changes}
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=getattr(user, "display_name", None) if user else None,
                user_id=user.pk if user else None,
                kind=_KIND.get(record.history_type, "changed"),
                changes=changes,
                reason=record.history_change_reason or "",
            )
        )
    return total, entries


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Record ``user`` as the author of history rows written inside the block (commands, jobs)."""
    had = hasattr(HistoricalRecords.context, "request")
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if had:
            HistoricalRecords.context.request = previous
        else:
            del HistoricalRecords.context.request


def display_rows(model: type[models.Model], entries: list[HistoryEntry]) -> list[dict]:
    """Entries for people: field labels, related objects by name (one query per related model,
    whatever the number of entries), yes/no for booleans, local times, choice labels."""
    fields = {f.name: f for f in model._meta.get_fields() if getattr(f, "concrete", False)}
    wanted: dict[str, set] = {}
    for e in entries:
        for name, pair in e.changes.items():
            field = fields.get(name)
            if field is not None and field.is_relation:
                wanted.setdefault(name, set()).update(v for v in pair if v not in (None, ""))
    names: dict[str, dict] = {
        name: {o.pk: str(o) for o in fields[name].related_model._default_manager.filter(pk__in=ids)}
        for name, ids in wanted.items()
    }

    def show(name: str, value: Any) -> Any:
        if value in (None, ""):
            return value
        field = fields.get(name)
        if name in names:
            return names[name].get(value, value)
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if field is not None and field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
            return value[:16].replace("T", " ")
        return value

    rows = []
    for e in entries:
        changes = []
        for name, (old, new) in e.changes.items():
            field = fields.get(name)
            label = field.verbose_name if field is not None else name
            changes.append((label, show(name, old), show(name, new)))
        rows.append({"entry": e, "changes": changes})
    return rows
