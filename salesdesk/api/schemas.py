"""Shapes shared by every endpoint: errors and list envelopes."""

from __future__ import annotations

from typing import Generic, TypeVar

from ninja import Schema

T = TypeVar("T")
MAX_ID = 2**63 - 1  # ids beyond a BIGINT are refused as invalid input, not a database error


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
