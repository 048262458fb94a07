"""The sales detail ledger in the API: ``GET /reports/ledger`` — the facts the user may see, oldest
first, paged with ``limit``/``offset`` (API.md conventions), each with its customer's running
balance (see ``reports.detail_ledger``)."""

from __future__ import annotations

from datetime import date

from ninja import Field, Query, Router, Schema

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, ListOut
from salesdesk.api.types import Money
from salesdesk.core.access import resolve_ids
from salesdesk.core.errors import InvalidInput
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind

from . import detail_ledger as ledger
from .permissions import VIEW_REPORTS

router = Router(tags=["reports"])

KINDS = "|".join(FactKind.values)


class LedgerRowOut(Schema):
    id: int
    date: date
    customer_id: int
    customer: str
    salesperson_id: int | None
    salesperson: str
    product_id: int | None
    product: str
    quantity: str | None = Field(None, description="数量，最多三位小数；资金类记录为 null")
    unit_price: str | None = Field(None, description="单价 = 金额 ÷ 数量（有数量时），最多六位小数")
    amount: Money = Field(..., description="金额（含税），冲减类为负")
    tax: Money
    kind: str = Field(..., description=KINDS)
    source_kind: str
    source_id: int
    document: str = Field(..., description="来源单据号")
    debit: Money = Field(..., description="增加客户应收")
    credit: Money = Field(..., description="减少客户应收")
    balance: Money = Field(..., description="该客户本行后的余额（应收 − 预收），按可见记录累计")


class LedgerQuery(Schema):
    start: date | None = None
    end: date | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: str | None = Field(None, pattern=f"^({KINDS})$", description=KINDS)


def _text(value, places: int) -> str | None:
    if value is None:
        return None
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text or "0"


def _out(row: ledger.LedgerRow) -> dict:
    return {
        "id": row.id, "date": row.date, "customer_id": row.customer_id, "customer": row.customer,
        "salesperson_id": row.salesperson_id, "salesperson": row.salesperson, "product_id": row.product_id,
        "product": row.product, "quantity": _text(row.quantity, 3), "unit_price": _text(row.unit_price, 6),
        "amount": row.amount, "tax": row.tax, "kind": row.kind, "source_kind": row.source_kind,
        "source_id": row.source_id, "document": row.document, "debit": row.debit, "credit": row.credit,
        "balance": row.balance,
    }


@router.get("/reports/ledger", response={200: ListOut[LedgerRowOut], **COMMON_ERRORS}, auth=requires(VIEW_REPORTS),
            summary="销售明细账 / The sales detail ledger with running customer balances")
def sales_ledger(request, filters: Query[LedgerQuery], page: Query[PageParams]):
    if filters.start and filters.end and filters.start > filters.end:
        raise InvalidInput({"end": ["截止日不能早于起始日 / end is before start."]})
    if filters.customer_id:
        resolve_ids(request.user, customer=(Customer, filters.customer_id))
    f = ledger.LedgerFilter(start=filters.start, end=filters.end, customer_id=filters.customer_id,
                            salesperson_id=filters.salesperson_id, product_id=filters.product_id, kind=filters.kind)
    result = ledger.ledger_page(request.user, f, limit=page.limit, offset=page.offset)
    return {"count": result.count, "items": [_out(r) for r in result.rows]}
