"""Opening balances (期初) at go-live: each customer's receivables (with their original and due dates)
and advances, imported from Excel before the system takes over, and the tie-out against the totals
finance gives.

The file: one row per document — customer (code or name), kind (应收/预收), document number,
amount, original date, due date (optional: else from the customer's terms). The whole file is
checked first (the preview: unknown customer, bad amount or date, a document twice); nothing is
written while any row is wrong. Committing writes, in one transaction, an ``OpeningBalance`` per
row, a ``Receivable`` (source "opening") per receivable row, and an ``opening`` fact per row:
positive for a receivable, negative for an advance. A document already imported for the customer is
skipped, so importing the same file twice creates nothing new.

Who: the clerk and finance download the template and preview; finance commits (the balances are
finance's figures). Clerk, GM and finance read them and the tie-out."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from simple_history.utils import bulk_create_with_history

from salesdesk.core.lib.money import quantize_money
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.customers.choices import Settlement
from salesdesk.customers.importing import (
    MAX_ROWS,
    ImportErrorCode,
    ImportRefused,
    RowError,
    parse_money,
    read_rows,
)
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.periods import accounting_period, ensure_open
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.org.models import User

from . import permissions as perms
from .balances import ZERO
from .choices import OpeningKind, ReceivableSource
from .models import OpeningBalance, OpeningImport, Receivable

# Who (``permissions``): VIEW_OPENING reads the tie-out and the list; PREVIEW_OPENING takes the
# template and checks a file (writes nothing); COMMIT_OPENING writes — the balances are finance's figures.
CHANGE_REASON = "期初导入"


def may(user, *names: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perms(names))


# --- the file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...]
    example: str
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("customer", "客户编号或名称", ("客户", "客户名称", "客户编号", "客户编码", "customer", "customercode",
                                     "customername"), "杭州宏达机电设备有限公司"),
    Column("kind", "类型", ("期初类型", "应收/预收", "kind", "type"), "应收"),
    Column("document_no", "单据号", ("原单据号", "单号", "凭证号", "发票号", "documentno", "document", "number"),
           "XS-2025-0817"),
    Column("amount", "金额", ("期初金额", "余额", "amount", "balance"), "12345.60"),
    Column("original_on", "原始日期", ("单据日期", "发生日期", "日期", "originaldate", "date"), "2025-08-17"),
    Column("due_on", "到期日", ("到期日期", "duedate", "due"), "2025-09-16", required=False),
)
KIND_WORDS: dict[str, str] = {
    "应收": OpeningKind.RECEIVABLE, "期初应收": OpeningKind.RECEIVABLE, "应收账款": OpeningKind.RECEIVABLE,
    "receivable": OpeningKind.RECEIVABLE, "ar": OpeningKind.RECEIVABLE,
    "预收": OpeningKind.ADVANCE, "期初预收": OpeningKind.ADVANCE, "预收款": OpeningKind.ADVANCE,
    "预收账款": OpeningKind.ADVANCE, "advance": OpeningKind.ADVANCE,
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    t = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", t)
    return re.sub(r"[\s*_\-:./#]+", "", t)


_ALIASES = {_key(alias): c.key for c in COLUMNS for alias in (c.label, c.key, *c.aliases)}
_LABELS = {c.key: c.label for c in COLUMNS}


def parse_date(text: str) -> date:
    t = unicodedata.normalize("NFKC", text or "").strip()
    match = _DATE.match(t) or _COMPACT_DATE.match(t)
    try:
        if not match:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"“{text}”不是日期（例：2025-08-17）") from None


def template_workbook() -> bytes:
    """The downloadable template: the six headers, an example receivable and advance, and notes."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet("期初余额")
    head = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    optional = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    text = book.add_format({"num_format": "@"})
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column.label, head if column.required else optional)
        sheet.set_column(col, col, 18 if column.key != "customer" else 30, text)
        sheet.write_string(1, col, column.example)
    advance = ("杭州宏达机电设备有限公司", "预收", "YS-2025-0102", "5000.00", "2025-11-20", "")
    for col, value in enumerate(advance):
        sheet.write_string(2, col, value)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("填写说明")
    for i, line in enumerate([
        "第一行为表头，请勿修改；从第二行起每行一张单据。只读取第一个工作表。",
        "客户：填写客户编号（如 KH000123）或客户全称/简称，须是系统中已有的客户。",
        "类型：应收（客户欠我们的）或 预收（客户已付、尚未发货的款项）。",
        "单据号：原系统中的发货单、发票或收款单号；同一客户同一类型的单据号不能重复。",
        "金额：正数，最多两位小数；类型决定方向，预收不要填负数。",
        "原始日期：单据发生的日期；到期日：可不填，按客户的账期天数计算（款到发货、定金客户即日到期）。",
        "整个文件一起校验：任何一行有错误，整个文件都不会导入。已导入过的单据会被跳过，重复导入同一文件不会重复记账。",
    ]):
        notes.write_string(i, 0, line)
    notes.set_column(0, 0, 110)
    book.close()
    return buffer.getvalue()


# --- checking -------------------------------------------------------------------------------------


class RowState:
    NEW = "new"  # will be imported
    EXISTS = "exists"  # the same document is already imported: skipped
    ERROR = "error"


@dataclass
class OpeningRow:
    row: int
    customer_text: str
    kind_text: str
    document_no: str
    amount_text: str
    original_text: str
    due_text: str
    customer: Customer | None = None
    kind: str = ""
    amount: Decimal | None = None
    original_on: date | None = None
    due_on: date | None = None
    state: str = RowState.NEW

    @property
    def kind_label(self) -> str:
        return str(OpeningKind(self.kind).label) if self.kind else self.kind_text


@dataclass
class OpeningCheck:
    """A checked file: every row with its state, the row errors, and the totals of the new rows."""

    filename: str
    sha256: str
    as_of: date
    rows: list[OpeningRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def new_rows(self) -> list[OpeningRow]:
        return [r for r in self.rows if r.state == RowState.NEW]

    @property
    def existing(self) -> int:
        return sum(1 for r in self.rows if r.state == RowState.EXISTS)

    def total(self, kind: str) -> Decimal:
        return sum((r.amount for r in self.new_rows if r.kind == kind), ZERO)

    @property
    def receivable_total(self) -> Decimal:
        return self.total(OpeningKind.RECEIVABLE)

    @property
    def advance_total(self) -> Decimal:
        return self.total(OpeningKind.ADVANCE)


class _CustomerIndex:
    """Customers by code, full name and short name (normalised), in one query for the whole file."""

    def __init__(self, actor, texts: set[str]):
        codes = {t.upper() for t in texts if t}
        names = {normalize_company_name(t) for t in texts if t}
        qs = Customer.objects.visible_to(actor).select_related("salesperson").filter(
            Q(code__in=codes) | Q(name_key__in=names) | Q(name__in=texts) | Q(short_name__in=texts))
        self.by_code: dict[str, Customer] = {}
        self.by_name: dict[str, list[Customer]] = {}
        for c in qs:
            self.by_code[c.code.upper()] = c
            for name in {normalize_company_name(c.name), normalize_company_name(c.short_name)} - {""}:
                self.by_name.setdefault(name, []).append(c)

    def find(self, text: str) -> tuple[Customer | None, str]:
        found = self.by_code.get(text.upper())
        if found is not None:
            return found, ""
        matches = {c.pk: c for c in self.by_name.get(normalize_company_name(text), [])}
        if len(matches) == 1:
            return next(iter(matches.values())), ""
        if matches:
            return None, f"“{text}”对应多个客户，请填写客户编号"
        return None, f"找不到客户“{text}”，请填写系统中已有客户的编号或名称"


def _header(cells: list[str], row: int) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, text in enumerate(cells):
        key = _ALIASES.get(_key(text))
        if key is not None and key not in index:
            index[key] = i
    missing = [c.label for c in COLUMNS if c.required and c.key not in index]
    if missing:
        raise ImportRefused(f"第 {row} 行表头缺少列：{'、'.join(missing)}。请使用下载的模板。", ImportErrorCode.NO_HEADER)
    return index


def _due(customer: Customer, original_on: date) -> date:
    """Due date from the customer's terms: prepaid and deposit customers owe at once."""
    if customer.settlement in (Settlement.PREPAID, Settlement.DEPOSIT):
        return original_on
    return original_on + timedelta(days=customer.credit_days)


def check_file(*, actor, data: bytes, filename: str, as_of: date) -> OpeningCheck:
    """Read and check the whole file; write nothing. ``ImportRefused`` (422) for a file that is not
    a table of opening balances; row problems come back in ``errors`` (Chinese, with row numbers)."""
    if not may(actor, perms.PREVIEW_OPENING):
        raise PermissionDenied
    check = OpeningCheck(filename=filename[:200], sha256=hashlib.sha256(data).hexdigest(), as_of=as_of)
    header: dict[str, int] | None = None
    for number, cells in read_rows(data, filename or "file"):
        if header is None:
            header = _header(cells, number)
            continue
        if len(check.rows) >= MAX_ROWS:
            raise ImportRefused(f"文件超过 {MAX_ROWS} 行数据，请分批导入", ImportErrorCode.TOO_MANY_ROWS)
        values = {c.key: cells[header[c.key]].strip() if header.get(c.key, len(cells)) < len(cells) else ""
                  for c in COLUMNS}
        check.rows.append(OpeningRow(row=number, customer_text=values["customer"], kind_text=values["kind"],
                                     document_no=values["document_no"], amount_text=values["amount"],
                                     original_text=values["original_on"], due_text=values["due_on"]))
    if header is None:
        raise ImportRefused("文件为空，请选择填好数据的 Excel 或 CSV 文件", ImportErrorCode.EMPTY_FILE)
    if not check.rows:
        raise ImportRefused("文件只有表头，没有期初数据", ImportErrorCode.NO_ROWS)
    _check_rows(actor, check)
    return check


def _check_rows(actor, check: OpeningCheck) -> None:
    customers = _CustomerIndex(actor, {r.customer_text for r in check.rows})
    seen: dict[tuple[int, str, str], int] = {}

    def error(r: OpeningRow, key: str, message: str) -> None:
        check.errors.append(RowError(r.row, _LABELS[key], message))
        r.state = RowState.ERROR

    for r in check.rows:
        if not r.customer_text:
            error(r, "customer", "请填写客户编号或名称")
        else:
            r.customer, problem = customers.find(r.customer_text)
            if problem:
                error(r, "customer", problem)
        r.kind = KIND_WORDS.get(_key(r.kind_text), "")
        if not r.kind:
            error(r, "kind", f"类型“{r.kind_text}”无法识别，请填写“应收”或“预收”" if r.kind_text else "请填写类型：应收或预收")
        if not r.document_no:
            error(r, "document_no", "请填写单据号")
        elif len(r.document_no) > 40:
            error(r, "document_no", "单据号不能超过 40 个字符")
        try:
            r.amount = parse_money(r.amount_text) if r.amount_text else None
            if r.amount is None:
                error(r, "amount", "请填写金额")
            elif r.amount <= 0:
                error(r, "amount", "金额必须大于 0（预收也填正数）")
        except ValueError as exc:
            error(r, "amount", f"金额有误：{exc}")
        try:
            r.original_on = parse_date(r.original_text) if r.original_text else None
            if r.original_on is None:
                error(r, "original_on", "请填写原始日期")
            elif r.original_on > check.as_of:
                error(r, "original_on", f"原始日期晚于期初日 {check.as_of:%Y-%m-%d}")
        except ValueError as exc:
            error(r, "original_on", str(exc))
        try:
            r.due_on = parse_date(r.due_text) if r.due_text else None
            if r.due_on and r.original_on and r.due_on < r.original_on:
                error(r, "due_on", "到期日早于原始日期")
        except ValueError as exc:
            error(r, "due_on", str(exc))
        if r.customer is not None and r.kind and r.document_no:
            key = (r.customer.pk, r.kind, r.document_no)
            if key in seen:
                error(r, "document_no", f"单据号“{r.document_no}”与第 {seen[key]} 行重复")
            else:
                seen[key] = r.row
        if r.state == RowState.NEW and r.kind == OpeningKind.RECEIVABLE and r.due_on is None:
            r.due_on = _due(r.customer, r.original_on)
    _mark_existing(check)
    check.errors.sort(key=lambda e: (e.row, [c.label for c in COLUMNS].index(e.column)))


def _mark_existing(check: OpeningCheck) -> None:
    """Documents already imported are skipped when they say the same; one that differs is an error."""
    candidates = [r for r in check.rows if r.state == RowState.NEW]
    if not candidates:
        return
    existing = {
        (b.customer_id, b.kind, b.document_no): b
        for b in OpeningBalance.objects.filter(customer_id__in={r.customer.pk for r in candidates},
                                               document_no__in={r.document_no for r in candidates})
    }
    for r in candidates:
        before = existing.get((r.customer.pk, r.kind, r.document_no))
        if before is None:
            continue
        if before.amount == r.amount and before.original_on == r.original_on:
            r.state = RowState.EXISTS
        else:
            check.errors.append(RowError(r.row, _LABELS["document_no"], (
                f"单据“{r.document_no}”已于 {before.created_at:%Y-%m-%d} 导入，金额 {before.amount:,.2f}、"
                f"原始日期 {before.original_on:%Y-%m-%d}，与本行不同；请核对")))
            r.state = RowState.ERROR


# --- committing -----------------------------------------------------------------------------------


@dataclass
class OpeningResult:
    check: OpeningCheck
    batch: OpeningImport | None = None
    created: int = 0

    @property
    def written(self) -> bool:
        return self.batch is not None


def import_opening(*, actor: User, data: bytes, filename: str, as_of: date,
                   expected_receivable: Decimal | None = None, expected_advance: Decimal | None = None) -> OpeningResult:
    """Check the file again and, if every row is right, write its new rows in one transaction.
    Nothing is written while any row is wrong, and nothing when every row was imported before."""
    if not may(actor, perms.COMMIT_OPENING):
        raise PermissionDenied
    check = check_file(actor=actor, data=data, filename=filename, as_of=as_of)
    result = OpeningResult(check=check)
    if not check.ok or not check.new_rows:
        return result
    ensure_open(as_of, "期初余额")
    try:
        with transaction.atomic():
            _write(actor, result, expected_receivable, expected_advance)
    except IntegrityError:
        # Someone imported some of these documents between the check and the insert.
        check.errors.append(RowError(0, "", "导入时有其他人同时导入了相同的单据，请重新导入"))
        result.batch, result.created = None, 0
    return result


def _write(actor, result: OpeningResult, expected_receivable, expected_advance) -> None:
    check = result.check
    rows = check.new_rows
    batch = OpeningImport.objects.create(
        file_name=check.filename, sha256=check.sha256, rows=len(rows), uploaded_by=actor,
        expected_receivable=None if expected_receivable is None else quantize_money(expected_receivable),
        expected_advance=None if expected_advance is None else quantize_money(expected_advance),
    )
    balances = OpeningBalance.objects.bulk_create([
        OpeningBalance(batch=batch, customer=r.customer, kind=r.kind, document_no=r.document_no, amount=r.amount,
                       original_on=r.original_on, due_on=r.due_on if r.kind == OpeningKind.RECEIVABLE else None,
                       as_of=check.as_of, created_by=actor)
        for r in rows
    ])
    period = accounting_period(check.as_of)
    receivables = [
        Receivable(source_kind=ReceivableSource.OPENING, source_id=b.pk, number=b.document_no, customer=b.customer,
                   salesperson=b.customer.salesperson, amount=b.amount, shipped_on=b.original_on,
                   arises_on=b.original_on, due_on=b.due_on, period=period)
        for b in balances if b.kind == OpeningKind.RECEIVABLE
    ]
    bulk_create_with_history(receivables, Receivable, default_user=actor, default_change_reason=CHANGE_REASON)
    # an opening advance is money the customer holds with us: a negative opening fact
    record([
        FactInput(kind=FactKind.OPENING, business_date=check.as_of, amount=b.amount, customer_id=b.customer_id,
                  source_kind="opening", source_id=b.pk,
                  shares=[Share(b.customer.salesperson_id, Decimal(1), b.customer.salesperson.team_id)],
                  note=f"{b.get_kind_display()} {b.document_no}", negative=b.kind == OpeningKind.ADVANCE)
        for b in balances
    ], actor=actor)
    result.batch, result.created = batch, len(balances)


# --- reading --------------------------------------------------------------------------------------


def balances_for(user):
    return OpeningBalance.objects.visible_to(user).select_related("customer", "batch", "created_by")


@dataclass(frozen=True)
class TieOutRow:
    """One kind: the total imported (ours) against the total finance gave (expected)."""

    kind: str
    label: str
    ours: Decimal
    documents: int
    expected: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        return None if self.expected is None else self.ours - self.expected

    @property
    def ties(self) -> bool:
        return self.difference == 0


def _latest_expected(field_name: str) -> Decimal | None:
    """The most recent figure finance entered for a kind (it may be given again with a later file)."""
    return (OpeningImport.objects.exclude(**{f"{field_name}__isnull": True}).order_by("-uploaded_at", "-id")
            .values_list(field_name, flat=True).first())


def tie_out() -> list[TieOutRow]:
    """Per kind, the imported total (every batch) against the latest total finance entered (three
    queries)."""
    sums = {r["kind"]: r for r in OpeningBalance.objects.values("kind").annotate(total=Sum("amount"), n=Count("id"))}
    expected = {OpeningKind.RECEIVABLE: _latest_expected("expected_receivable"),
                OpeningKind.ADVANCE: _latest_expected("expected_advance")}
    return [
        TieOutRow(kind=kind, label=str(label), ours=(sums.get(kind) or {}).get("total") or ZERO,
                  documents=(sums.get(kind) or {}).get("n") or 0, expected=expected[kind])
        for kind, label in OpeningKind.choices
    ]
