"""``Idempotency-Key`` on creating POSTs (payments, shipments): scoped to the user; the same key
and body return the first result and change nothing; the same key with another body → 422."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _hash(request, payload: Any) -> str:
    body = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def run_once(request, payload: Any, create: Callable[[], Any], fetch: Callable[[int], Any]) -> Any:
    """Call ``create()`` (which returns the created object) at most once per (user, key)."""
    key = (request.headers.get(HEADER) or "").strip()[:200]
    if not key:
        return create()
    digest = _hash(request, payload)

    def replay(record: IdempotencyRecord):
        if record.request_hash != digest:
            raise InvalidInput(
                {"Idempotency-Key": ["同一幂等键用于了不同的请求内容 / This key was used with a different body."]}
            )
        return fetch(record.object_id)

    existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if existing is not None:
        return replay(existing)
    try:
        with transaction.atomic():
            obj = create()
            IdempotencyRecord.objects.create(user=request.user, key=key, request_hash=digest, status_code=201,
                                             object_id=obj.pk)
            return obj
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is None:
            raise
        return replay(existing)
