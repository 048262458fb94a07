"""Single objects for a user: missing and forbidden both answer 404 (STYLE.md item 18), and every
``*_id`` in a request body resolves through the same ``visible_to(user)`` policy."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)
MAX_ID = 2**63 - 1


def get_for_user(source: type[M] | models.QuerySet, pk: Any, user) -> M:
    """The object with ``pk`` if ``user`` may see it; ``Http404`` otherwise (or for a bad id)."""
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404
    obj = qs.visible_to(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def resolve_ids(user, **refs: tuple[type[models.Model] | models.QuerySet, Any]) -> dict[str, models.Model | None]:
    """Resolve request-body ids: ``resolve_ids(user, customer=(Customer, body.customer_id))``.

    ``None`` ids stay ``None``; any id the user may not see raises ``Http404`` (answered 404, the
    same as an unknown id, so the existence of other people's objects does not leak)."""
    return {name: None if pk is None else get_for_user(source, pk, user) for name, (source, pk) in refs.items()}
