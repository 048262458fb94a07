"""Shapes shared by every endpoint: errors and list envelopes."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from ninja import Field, Schema

T = TypeVar("T")
MAX_ID = 2**63 - 1  # ids beyond a BIGINT are refused as invalid input, not a database error
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]  # an id inside a list in a request body


class ErrorOut(Schema):
    detail: str


class ConflictOut(Schema):
    detail: str
    code: str


class ValidationErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class ListOut(Schema, Generic[T]):
    count: int
    items: list[T]


# Responses every authenticated endpoint may give, for the OpenAPI document.
COMMON_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut, 503: ConflictOut}
WRITE_ERRORS = {**COMMON_ERRORS, 409: ConflictOut}


class HistoryItemOut(Schema):
    at: str
    user: str | None
    kind: str
    changes: dict[str, list]
    reason: str = ""


class HistoryOut(Schema):
    count: int
    items: list[HistoryItemOut]


def history_response(obj, limit: int, offset: int) -> dict:
    """``GET …/{id}/history``: newest first, ``{"count", "items": [{"at", "user", "changes"}]}``."""
    from django.utils import timezone

    from salesdesk.core.history import history_entries

    total, entries = history_entries(obj, limit=limit, offset=offset)
    return {
        "count": total,
        "items": [
            {"at": timezone.localtime(e.at).isoformat(), "user": e.user, "kind": e.kind, "changes": e.changes,
             "reason": e.reason}
            for e in entries
        ],
    }
