"""Customer statements in the API (API.md, Receivables: ``GET /customers/{id}/statement``) and the
Statement documents: issue, list, get, send, the customer's confirmation or differences.

Who: the clerk and finance issue, send and record answers; salespeople and managers read their
customers'; the GM reads all; everyone else gets 403 before the body is read."""

from __future__ import annotations

from datetime import date

from ninja import Field, File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, ListOut
from salesdesk.api.types import Money, Timestamp
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.customers.models import Customer

from . import permissions as perms
from . import statements
from .models import Statement
from .statement_filters import covering

router = Router(tags=["statements"])


READ = requires(perms.VIEW_STATEMENT)  # 403 before the body is validated
OPTIONAL_SCAN = File(None, description="客户盖章回执（图片或 PDF）")
ISSUE = requires(perms.ISSUE_STATEMENT)


# --- the statement of a customer for a period ---------------------------------------------------------


class EntryOut(Schema):
    date: date
    business_date: date | None = Field(None, description="业务日期，仅当与入账日期不同（已结账月份的单据）时给出")
    kind: str = Field(..., description="opening | shipped | returned | received | refunded | written_off")
    label: str
    number: str
    debit: Money
    credit: Money
    balance: Money


class InvoiceEntryOut(Schema):
    date: date
    kind: str = Field(..., description="invoiced | credited")
    number: str
    amount: Money
    tax: Money


class CustomerStatementOut(Schema):
    customer_id: int
    start: date
    end: date
    opening_balance: Money
    debits: Money
    credits: Money
    entries: list[EntryOut]
    closing_balance: Money
    status: str = Field(..., description="最近一份该客户该期间对账单的状态；未出具为 none")
    invoices: list[InvoiceEntryOut] = Field(..., description="本期开具的发票（仅列示，不影响余额）")


def _entries(figures: statements.StatementFigures) -> list[dict]:
    return [
        {"date": e.date, "business_date": e.business_date if e.booked_later else None, "kind": e.kind,
         "label": e.label, "number": e.number, "debit": e.debit, "credit": e.credit, "balance": e.balance}
        for e in figures.entries
    ]


def _invoices(figures: statements.StatementFigures) -> list[dict]:
    return [{"date": i.date, "kind": i.kind, "number": i.number, "amount": i.amount, "tax": i.tax}
            for i in figures.invoices]


def _figures_out(figures: statements.StatementFigures, status: str) -> dict:
    return {
        "customer_id": figures.customer_id, "start": figures.start, "end": figures.end,
        "opening_balance": figures.opening_balance, "debits": figures.debits, "credits": figures.credits,
        "entries": _entries(figures), "closing_balance": figures.closing_balance, "status": status,
        "invoices": _invoices(figures),
    }


@router.get("/customers/{customer_id}/statement", response={200: CustomerStatementOut, **COMMON_ERRORS}, auth=READ,
            exclude_none=True, summary="客户对账单 / A customer's statement for a period")
def customer_statement(request, start: date, end: date, customer_id: int = Path(..., ge=1, le=MAX_ID)):
    customer = get_for_user(Customer, customer_id, request.user)
    figures = statements.statement_for(customer.pk, start, end)
    return _figures_out(figures, statements.latest_status(customer.pk, start, end))


# --- Statement documents -------------------------------------------------------------------------------


class ScanOut(Schema):
    id: int
    name: str


class StatementOut(Schema):
    id: int
    number: str
    customer_id: int
    customer: str
    start: date
    end: date
    opening_balance: Money
    debits: Money
    credits: Money
    closing_balance: Money
    status: str
    sent_to: str
    sent_at: Timestamp | None
    confirmed_at: Timestamp | None
    differences: str
    created_by_id: int
    created_at: Timestamp

    @staticmethod
    def resolve_customer(obj: Statement) -> str:
        return obj.customer.name


class StatementDetailOut(StatementOut):
    entries: list[EntryOut]
    invoices: list[InvoiceEntryOut]
    outdated: bool = Field(..., description="出具后账面数据已变动（应重新出具）")
    scans: list[ScanOut]


class StatementIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    start: date
    end: date


class StatementFilter(Schema):
    status: statements.StatementStatusCode | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    month: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}$", description="对账期间覆盖的月份 YYYY-MM")
    q: str | None = Field(None, max_length=100)


class SendIn(Schema):
    to: str | None = Field(None, max_length=200, description="收件人，多个用逗号分隔；默认客户财务联系人的邮箱")


class DisputeIn(Schema):
    differences: str = Field(..., min_length=1, max_length=5000)


def _detail(statement: Statement) -> Statement:
    """The statement with its lines as they read now (facts are immutable; ``outdated`` tells when
    a back-dated document changed them since issue) and the customer's returned scans."""
    figures = statements.statement_for(statement.customer_id, statement.start, statement.end)
    statement.entries = _entries(figures)
    statement.invoices = _invoices(figures)
    statement.outdated = statements.outdated(statement, figures)
    statement.scans = [{"id": a.pk, "name": a.original_name} for a in statements.scans(statement).order_by("id")]
    return statement


def _statements(user):
    return Statement.objects.visible_to(user).select_related("customer")


def _reload(request, statement: Statement) -> Statement:
    return _detail(_statements(request.user).get(pk=statement.pk))


@router.post("/statements", response={201: StatementDetailOut, **WRITE_ERRORS}, auth=ISSUE,
             summary="出具对账单 / Issue a statement (refused when it does not tie)")
def issue_statement(request, payload: StatementIn):
    refs = resolve_ids(request.user, customer=(Customer, payload.customer_id))
    statement = statements.issue_statement(actor=request.user, customer=refs["customer"], start=payload.start,
                                           end=payload.end)
    return Status(201, _reload(request, statement))


@router.get("/statements", response={200: ListOut[StatementOut], **COMMON_ERRORS}, auth=READ,
            summary="对账单列表 / Statements")
def list_statements(request, filters: Query[StatementFilter], page: Query[PageParams]):
    qs = _statements(request.user).order_by("-end", "-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.month:
        qs = covering(qs, filters.month)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(number__icontains=term) | qs.filter(customer__search_text__icontains=term.lower())
    return paginate(qs, page)


@router.get("/statements/{statement_id}", response={200: StatementDetailOut, **COMMON_ERRORS}, auth=READ,
            summary="对账单 / One statement with its lines")
def get_statement(request, statement_id: int = Path(..., ge=1, le=MAX_ID)):
    return _detail(get_for_user(_statements(request.user), statement_id, request.user))


@router.post("/statements/{statement_id}/send", response={200: StatementDetailOut, **WRITE_ERRORS}, auth=ISSUE,
             summary="发送对账单（附 PDF，经发件箱）/ E-mail the statement → sent")
def send_statement(request, payload: SendIn | None = None, statement_id: int = Path(..., ge=1, le=MAX_ID)):
    statement = get_for_user(_statements(request.user), statement_id, request.user)
    statement = statements.send_statement(actor=request.user, statement=statement,
                                          to=(payload.to if payload else None) or "")
    return _reload(request, statement)


@router.post("/statements/{statement_id}/confirm", response={200: StatementDetailOut, **WRITE_ERRORS}, auth=ISSUE,
             summary="客户盖章确认 / The customer's stamped scan (multipart `file`, or uploaded before) → confirmed")
def confirm_statement(request, statement_id: int = Path(..., ge=1, le=MAX_ID), file: UploadedFile | None = OPTIONAL_SCAN):
    statement = get_for_user(_statements(request.user), statement_id, request.user)
    statement = statements.confirm_statement(actor=request.user, statement=statement, scan=file)
    return _reload(request, statement)


@router.post("/statements/{statement_id}/dispute", response={200: StatementDetailOut, **WRITE_ERRORS}, auth=ISSUE,
             summary="客户列明差异 / The customer's differences → disputed")
def dispute_statement(request, payload: DisputeIn, statement_id: int = Path(..., ge=1, le=MAX_ID)):
    statement = get_for_user(_statements(request.user), statement_id, request.user)
    statement = statements.dispute_statement(actor=request.user, statement=statement, differences=payload.differences)
    return _reload(request, statement)
