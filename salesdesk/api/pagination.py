"""List envelopes: ``{"count", "items"}`` with ``limit`` (default 50, max 500) and ``offset``."""

from __future__ import annotations

from django.db.models import QuerySet
from ninja import Field, Schema


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=500, description="每页条数 / page size (max 500)")
    offset: int = Field(0, ge=0, le=10**9, description="偏移 / rows to skip")


def paginate(qs: QuerySet, page: PageParams) -> dict:
    return {"count": qs.count(), "items": list(qs[page.offset : page.offset + page.limit])}
