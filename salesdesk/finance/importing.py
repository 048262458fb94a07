"""Bank-statement import (银行流水导入): read the bank's 流水, keep its incoming lines, propose
which customer (and which pending payment) each one is, and let finance confirm in bulk.

Reading: the file is read by the same safe reader as the customer import (``.xlsx`` behind a
zip-bomb check and defusedxml, ``.xls``, CSV in UTF-8 or GBK). Bank exports start with title rows
(account, period) before the header: the header is the first row, among the first 30, that names a
date column and an amount column. Column names vary by bank; each header is matched against
ordered name fragments (``RULES``). Money in (贷方/收入) becomes a line; money out is counted and
skipped.

Storing: each incoming line gets a ``line_key`` from the bank's reference (流水号), the date and the
amount (without a reference, the payer, summary and the line's occurrence in the file stand in),
unique in the database — importing the same statement twice creates nothing new.

Matching: a line's payer is compared with customers by normalised full name, by short name, and by
the payer names and accounts of the customers' earlier confirmed payments; the proposed customer's
pending payment of the same amount within ``DATE_WINDOW`` days is the one to confirm, else a new
payment is created and confirmed. All writes of one bulk action run in one transaction."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from salesdesk.core.errors import ConcurrentChange, DomainError, InvalidInput
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.core.numbering import next_number
from salesdesk.customers.importing import ImportErrorCode, ImportRefused, read_rows
from salesdesk.customers.models import Customer

from . import permissions as perms
from .choices import PaymentKind, PaymentMethod, PaymentStatus
from .errors import FinanceErrorCode
from .models import BankStatementImport, BankStatementLine, Payment, StatementLineStatus
from .services import confirm_payment

__all__ = ["ImportRefused", "confirm_lines", "ignore_lines", "import_statement", "parse_statement", "propose"]

DATE_WINDOW = 7  # days between the bank's date and the date the clerk recorded
HEADER_SEARCH_ROWS = 30
MAX_LINES = 20_000
MAX_AMOUNT = Decimal("999999999999.99")
CHANGE_REASON = "银行流水导入"

# (fragment of a normalised header, field) — the first matching fragment wins, so the specific
# names come before the general ones (付款人账号 before 付款人, 借方发生额 before 发生额).
RULES: tuple[tuple[str, str], ...] = (
    ("余额", "balance"), ("balance", "balance"),
    ("流水号", "reference"), ("参考号", "reference"), ("凭证号", "reference"), ("交易序号", "reference"),
    ("交易编号", "reference"), ("reference", "reference"), ("serial", "reference"), ("transactionid", "reference"),
    ("付款人账号", "payer_account"), ("付款账号", "payer_account"), ("对方账号", "payer_account"),
    ("付款人帐号", "payer_account"), ("付款帐号", "payer_account"), ("对方帐号", "payer_account"),
    ("对方卡号", "payer_account"), ("payeraccount", "payer_account"), ("counterpartyaccount", "payer_account"),
    ("对方户名", "payer_name"), ("对方账户名", "payer_name"), ("对方帐户名", "payer_name"),
    ("对方名称", "payer_name"), ("对方单位", "payer_name"),
    ("付款人", "payer_name"), ("付款方", "payer_name"), ("对方姓名", "payer_name"), ("payer", "payer_name"),
    ("counterparty", "payer_name"),
    ("对方账户", "payer_account"), ("对方帐户", "payer_account"),
    ("摘要", "summary"), ("用途", "summary"), ("附言", "summary"), ("备注", "summary"), ("summary", "summary"),
    ("memo", "summary"), ("remark", "summary"),
    ("借贷", "direction"), ("收支", "direction"), ("方向", "direction"), ("direction", "direction"),
    ("贷方", "amount_in"), ("收入", "amount_in"), ("存入", "amount_in"), ("转入", "amount_in"), ("credit", "amount_in"),
    ("amountin", "amount_in"), ("deposit", "amount_in"),
    ("借方", "amount_out"), ("支出", "amount_out"), ("取出", "amount_out"), ("转出", "amount_out"), ("debit", "amount_out"),
    ("amountout", "amount_out"), ("withdraw", "amount_out"),
    ("交易日期", "date"), ("记账日期", "date"), ("入账日期", "date"), ("交易时间", "date"), ("交易日", "date"),
    ("日期", "date"), ("date", "date"),
    ("交易金额", "amount"), ("发生额", "amount"), ("金额", "amount"), ("amount", "amount"),
)
IN_WORDS = frozenset({"贷", "贷方", "收", "收入", "存入", "转入", "c", "cr", "credit", "in", "+"})
OUT_WORDS = frozenset({"借", "借方", "支", "支出", "取出", "转出", "d", "dr", "debit", "out", "-"})
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_MONEY_NOISE = re.compile(r"[\s,，¥￥元]|RMB|CNY", re.I)
_TOTAL_ROW = re.compile(r"合计|总计|小计|total", re.I)
_TEXT_LIMITS = (("payer_name", "对方户名", 200), ("payer_account", "对方账号", 50), ("reference", "流水号", 100),
                ("summary", "摘要", 300))


# --- reading -------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"[\s_()（）\[\]【】:：/]+", "", unicodedata.normalize("NFKC", text or "").lower())


def map_header(cells: Sequence[str]) -> dict[str, int] | None:
    """field → column index, if ``cells`` is a statement header (a date and an amount column)."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _header_key(cell)
        if not key:
            continue
        for fragment, name in RULES:
            if fragment in key:
                columns.setdefault(name, index)
                break
    if "date" in columns and ({"amount_in", "amount"} & set(columns)):
        return columns
    return None


def parse_date(text: str) -> date | None:
    t = unicodedata.normalize("NFKC", text or "").strip()
    match = _DATE.match(t) or _COMPACT_DATE.match(t)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_amount(text: str) -> Decimal | None:
    """A signed amount; ``None`` for an empty cell. Raises ``ValueError`` if it is not money."""
    t = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", text or ""))
    if t in ("", "-", "--", "—"):
        return None
    negative = t.startswith("(") and t.endswith(")")
    t = t.strip("()")
    try:
        amount = Decimal(t)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return -amount if negative else amount


@dataclass(frozen=True)
class ParsedLine:
    row: int  # as Excel numbers it
    txn_date: date
    amount: Decimal
    payer_name: str
    payer_account: str
    reference: str
    summary: str


@dataclass
class ParseResult:
    lines: list[ParsedLine] = field(default_factory=list)
    outgoing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row, message)


def _cell(cells: Sequence[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _signed_amount(cells: Sequence[str], columns: dict[str, int]) -> Decimal | None:
    money_in = parse_amount(_cell(cells, columns, "amount_in")) if "amount_in" in columns else None
    if money_in:
        return abs(money_in)
    money_out = parse_amount(_cell(cells, columns, "amount_out")) if "amount_out" in columns else None
    if money_out:
        return -abs(money_out)
    if "amount" not in columns:
        return None
    amount = parse_amount(_cell(cells, columns, "amount"))
    if amount is None:
        return None
    direction = _header_key(_cell(cells, columns, "direction"))
    if direction in IN_WORDS:
        return abs(amount)
    if direction in OUT_WORDS:
        return -abs(amount)
    return amount


def parse_statement(data: bytes, filename: str) -> ParseResult:
    """The incoming lines of a statement file. Raises ``ImportRefused`` for an unreadable file or
    one without a recognisable header."""
    result = ParseResult()
    columns: dict[str, int] | None = None
    references: dict[str, int] = {}
    for number, cells in read_rows(data, filename):
        if columns is None:
            if number > HEADER_SEARCH_ROWS:
                break
            columns = map_header(cells)
            continue
        raw_date = _cell(cells, columns, "date")
        if _TOTAL_ROW.search(" ".join(cells[:3])):
            continue  # a totals row or a footer
        if not raw_date:
            if any(_cell(cells, columns, name) for name in ("amount_in", "amount")):
                # money without a date (a merged date cell, a line cut from its date): not a footer
                result.errors.append((number, _("第 %(row)d 行有金额但没有交易日期") % {"row": number}))
            continue
        on = parse_date(raw_date)
        if on is None:
            result.errors.append((number, _("“%(value)s”不是日期") % {"value": raw_date[:50]}))
            continue
        if on > timezone.localdate():
            result.errors.append((number, _("交易日期 %(date)s 晚于今天") % {"date": on.isoformat()}))
            continue
        try:
            amount = _signed_amount(cells, columns)
        except ValueError as exc:
            result.errors.append((number, _("“%(value)s”不是金额") % {"value": str(exc.args[0])[:50]}))
            continue
        try:
            money_in = parse_amount(_cell(cells, columns, "amount_in")) if "amount_in" in columns else None
        except ValueError:
            money_in = None
        if money_in is not None and money_in < 0:
            result.errors.append((number, _("收入金额不能为负数：%(value)s") % {"value": _cell(cells, columns, "amount_in")}))
            continue
        if not amount:
            continue
        if amount < 0:
            result.outgoing += 1
            continue
        too_long = [label for name, label, limit in _TEXT_LIMITS if len(_cell(cells, columns, name)) > limit]
        if too_long:
            result.errors.append((number, _("“%(column)s”内容过长") % {"column": "、".join(too_long)}))
            continue
        reference = _cell(cells, columns, "reference")
        if reference and reference in references:
            result.errors.append((number, _("流水号“%(ref)s”与第 %(row)d 行重复")
                                  % {"ref": reference, "row": references[reference]}))
            continue
        if reference:
            references[reference] = number
        result.lines.append(ParsedLine(
            row=number, txn_date=on, amount=quantize_money(amount),
            payer_name=_cell(cells, columns, "payer_name")[:200],
            payer_account=re.sub(r"\s+", "", _cell(cells, columns, "payer_account"))[:50],
            reference=_cell(cells, columns, "reference")[:100], summary=_cell(cells, columns, "summary")[:300],
        ))
        if len(result.lines) > MAX_LINES:
            raise ImportRefused(_("文件行数过多（超过 %(n)d 行），请按月分开导出") % {"n": MAX_LINES},
                                 ImportErrorCode.TOO_MANY_ROWS)
    if columns is None:
        raise ImportRefused(
            _("没有找到表头：请确认文件含“交易日期”和“收入金额/贷方发生额”（或“交易金额”）列"),
            ImportErrorCode.NO_HEADER,
        )
    return result


def row_summary(errors: Sequence[tuple[int, str]], limit: int = 5) -> str:
    """"没有可导入的行：第 4 行：…；第 7 行：…" for a file whose every line is wrong."""
    shown = "；".join(_("第 %(row)d 行：%(message)s") % {"row": row, "message": message} for row, message in errors[:limit])
    more = _("（另有 %(n)d 处）") % {"n": len(errors) - limit} if len(errors) > limit else ""
    return _("没有可导入的行：%(rows)s%(more)s") % {"rows": shown, "more": more}


def line_keys(lines: Iterable[ParsedLine]) -> list[str]:
    """The dedupe key of each line: (reference, date, amount); lines without a reference are told
    apart by payer, account, summary and their occurrence in the file, which a re-import repeats."""
    seen: dict[tuple, int] = defaultdict(int)
    keys = []
    for line in lines:
        if line.reference:
            parts = ("ref", line.reference, line.txn_date.isoformat(), f"{line.amount:.2f}")
        else:
            base = ("noref", line.txn_date.isoformat(), f"{line.amount:.2f}", line.payer_account,
                    normalize_company_name(line.payer_name), line.summary)
            seen[base] += 1
            parts = (*base, str(seen[base]))
        keys.append(hashlib.sha256("\x1f".join(parts).encode()).hexdigest())
    return keys


@dataclass(frozen=True)
class ImportOutcome:
    statement: BankStatementImport
    rows: int  # incoming lines in the file
    new_lines: int
    duplicates: int  # already imported earlier
    outgoing: int
    errors: list[tuple[int, str]]


def import_statement(*, actor, data: bytes, filename: str) -> ImportOutcome:
    """Keep the statement's incoming lines that are not in the database yet (one transaction)."""
    if not actor.has_perm(perms.CONFIRM_PAYMENT):
        raise PermissionDenied
    parsed = parse_statement(data, filename)
    if not parsed.lines and not parsed.outgoing:
        if parsed.errors:
            raise ImportRefused(row_summary(parsed.errors), ImportErrorCode.NO_ROWS)
        raise ImportRefused(_("文件中没有流水行（只有表头？）"), ImportErrorCode.NO_ROWS)
    keys = line_keys(parsed.lines)
    with transaction.atomic():
        existing = set(BankStatementLine.objects.filter(line_key__in=keys).values_list("line_key", flat=True))
        statement = BankStatementImport.objects.create(
            file_name=(filename or "statement")[:200], sha256=hashlib.sha256(data).hexdigest(), rows=len(parsed.lines),
            skipped_outgoing=parsed.outgoing, uploaded_by=actor,
        )
        fresh, taken = [], set(existing)
        for key, line in zip(keys, parsed.lines, strict=True):
            if key in taken:
                continue
            taken.add(key)
            fresh.append(BankStatementLine(
                statement=statement, line_key=key, txn_date=line.txn_date, amount=line.amount,
                payer_name=line.payer_name, payer_account=line.payer_account, reference=line.reference,
                summary=line.summary,
            ))
        try:
            with transaction.atomic():
                bulk_create_with_history(fresh, BankStatementLine, batch_size=500, default_user=actor,
                                         default_change_reason=CHANGE_REASON)
        except IntegrityError:
            raise ConcurrentChange(_("同一份流水正在被另一人导入，请稍后刷新查看。")) from None
        statement.new_lines = len(fresh)
        statement.save(update_fields=["new_lines"])
    return ImportOutcome(statement=statement, rows=len(parsed.lines), new_lines=len(fresh),
                         duplicates=len(parsed.lines) - len(fresh), outgoing=parsed.outgoing, errors=parsed.errors)


# --- matching --------------------------------------------------------------------------------------

REASON_ACCOUNT = "account"
REASON_NAME = "name"
REASON_SHORT_NAME = "short_name"
REASON_PAYER = "payer"
REASON_LABELS = {
    REASON_ACCOUNT: "付款账号曾付过款",
    REASON_NAME: "户名与客户名称一致",
    REASON_SHORT_NAME: "户名与客户简称一致",
    REASON_PAYER: "户名曾代该客户付款",
}
_RANK = {REASON_ACCOUNT: 0, REASON_NAME: 1, REASON_SHORT_NAME: 2, REASON_PAYER: 3}


@dataclass(frozen=True)
class Candidate:
    customer: Customer
    reason: str

    @property
    def reason_label(self) -> str:
        return _(REASON_LABELS[self.reason])


@dataclass
class Proposal:
    line: BankStatementLine
    candidates: list[Candidate]
    payment: Payment | None = None  # the pending payment of the first candidate it would confirm

    @property
    def customer(self) -> Customer | None:
        return self.candidates[0].customer if self.candidates else None

    @property
    def certain(self) -> bool:
        """One candidate only: the line is pre-selected for bulk confirmation."""
        return len(self.candidates) == 1


def _candidates(lines: Sequence[BankStatementLine], user) -> dict[int, list[Candidate]]:
    names = {line.payer_name.strip() for line in lines if line.payer_name.strip()}
    keys = {normalize_company_name(n) for n in names}
    accounts = {line.payer_account for line in lines if line.payer_account}
    customers = Customer.objects.visible_to(user)
    by_key: dict[str, list[Customer]] = defaultdict(list)
    by_short: dict[str, list[Customer]] = defaultdict(list)
    if names:
        for c in customers.filter(Q(name_key__in=keys) | Q(short_name__in=names)):
            if c.name_key in keys:
                by_key[c.name_key].append(c)
            if c.short_name and c.short_name in names:
                by_short[normalize_company_name(c.short_name)].append(c)
    by_account: dict[str, set[int]] = defaultdict(set)
    by_payer: dict[str, set[int]] = defaultdict(set)
    if names or accounts:
        earlier = (Payment.objects.filter(status=PaymentStatus.CONFIRMED, kind=PaymentKind.RECEIPT)
                   .filter(Q(payer_account__in=accounts) | Q(payer_name__in=names))
                   .values_list("customer_id", "payer_account", "payer_name").distinct())
        for customer_id, account, payer in earlier:
            if account and account in accounts:
                by_account[account].add(customer_id)
            if payer in names:
                by_payer[normalize_company_name(payer)].add(customer_id)
    known = {c.pk: c for group in (*by_key.values(), *by_short.values()) for c in group}
    missing = ({i for s in by_account.values() for i in s} | {i for s in by_payer.values() for i in s}) - set(known)
    if missing:
        known.update({c.pk: c for c in customers.filter(pk__in=missing)})
    out: dict[int, list[Candidate]] = {}
    for line in lines:
        key = normalize_company_name(line.payer_name)
        found: list[Candidate] = []
        found += [Candidate(known[i], REASON_ACCOUNT) for i in sorted(by_account.get(line.payer_account, ())) if i in known]
        found += [Candidate(c, REASON_NAME) for c in by_key.get(key, ())]
        found += [Candidate(c, REASON_SHORT_NAME) for c in by_short.get(key, ())]
        found += [Candidate(known[i], REASON_PAYER) for i in sorted(by_payer.get(key, ())) if i in known]
        unique: dict[int, Candidate] = {}
        for cand in sorted(found, key=lambda c: _RANK[c.reason]):
            unique.setdefault(cand.customer.pk, cand)
        out[line.pk] = list(unique.values())
    return out


def _pending_matches(pairs: Sequence[tuple[BankStatementLine, int]]) -> dict[int, Payment]:
    """For (line, customer id) pairs: the pending receipt of that customer with the line's amount
    and a date within the window, closest date first; each payment answers one line at most."""
    if not pairs:
        return {}
    dates = [line.txn_date for line, _ in pairs]
    pending = list(
        Payment.objects.filter(status=PaymentStatus.PENDING, kind=PaymentKind.RECEIPT,
                               customer_id__in={c for _, c in pairs}, amount__in={line.amount for line, _ in pairs},
                               received_on__gte=min(dates) - timedelta(days=DATE_WINDOW),
                               received_on__lte=max(dates) + timedelta(days=DATE_WINDOW))
        .select_related("order", "recorded_by").order_by("received_on", "id")
    )
    used: set[int] = set()
    out: dict[int, Payment] = {}
    for line, customer_id in pairs:
        fits = [p for p in pending if p.pk not in used and p.customer_id == customer_id and p.amount == line.amount
                and abs((p.received_on - line.txn_date).days) <= DATE_WINDOW]
        if fits:
            best = min(fits, key=lambda p: (abs((p.received_on - line.txn_date).days), p.pk))
            used.add(best.pk)
            out[line.pk] = best
    return out


def propose(lines: Sequence[BankStatementLine], user) -> list[Proposal]:
    """A proposal per open line: its candidate customers (best first) and the pending payment the
    first one has for it. A fixed number of queries whatever the number of lines."""
    lines = list(lines)
    candidates = _candidates(lines, user)
    proposals = [Proposal(line=line, candidates=candidates.get(line.pk, [])) for line in lines]
    matches = _pending_matches([(p.line, p.customer.pk) for p in proposals if p.customer is not None])
    for p in proposals:
        p.payment = matches.get(p.line.pk)
    return proposals


def open_lines():
    return BankStatementLine.objects.filter(status=StatementLineStatus.OPEN).order_by("txn_date", "id")


# --- bulk actions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineChoice:
    line_id: int
    customer: Customer


@dataclass(frozen=True)
class BulkResult:
    confirmed_existing: int
    created: int

    @property
    def total(self) -> int:
        return self.confirmed_existing + self.created


def _close_line(line: BankStatementLine, *, actor, status: str, customer=None, payment=None) -> None:
    """OPEN → ``status`` as a conditional update (a second finance user loses the race), then the
    history row the UPDATE bypassed."""
    changed = BankStatementLine.objects.filter(pk=line.pk, status=StatementLineStatus.OPEN).update(
        status=status, customer=customer, payment=payment, handled_by=actor, handled_at=timezone.now()
    )
    if not changed:
        raise DomainError(
            _("流水 %(date)s ¥%(amount)s（%(payer)s）已被处理，请刷新后重试。")
            % {"date": line.txn_date, "amount": f"{line.amount:,.2f}", "payer": line.payer_name or "—"},
            code=FinanceErrorCode.PAYMENT_NOT_PENDING,
        )
    line.refresh_from_db()
    line._history_user = actor
    line._change_reason = CHANGE_REASON
    line.save()


def _new_payment(*, actor, line: BankStatementLine, customer: Customer) -> Payment:
    """The payment a bank line is, when nobody recorded it: made by finance from the bank's data
    and confirmed at once (no "please confirm" notice to finance itself)."""
    payment = Payment(
        number=next_number("HK"), customer=customer, amount=line.amount, received_on=line.txn_date,
        method=PaymentMethod.BANK_TRANSFER, payer_name=line.payer_name, payer_account=line.payer_account,
        reference=line.reference, note=(line.summary or _("银行流水导入"))[:300], recorded_by=actor,
    )
    payment._history_user = actor
    payment._change_reason = CHANGE_REASON
    payment.save()
    return payment


@transaction.atomic
def confirm_lines(*, actor, choices: Sequence[LineChoice]) -> BulkResult:
    """Confirm the chosen lines as the chosen customers' payments, in one transaction: the
    customer's matching pending payment is confirmed, else a new one is created and confirmed.
    Any refusal undoes the whole action."""
    if not actor.has_perm(perms.CONFIRM_PAYMENT):
        raise PermissionDenied
    if not choices:
        raise InvalidInput({"lines": [_("请至少选择一行流水。")]})
    by_id = {c.line_id: c for c in choices}
    lines = {line.pk: line for line in BankStatementLine.objects.filter(pk__in=by_id)}
    if len(lines) != len(by_id):
        raise InvalidInput({"lines": [_("所选流水不存在。")]})
    ordered = [lines[i] for i in sorted(lines, key=lambda i: (lines[i].txn_date, i))]
    matches = _pending_matches([(line, by_id[line.pk].customer.pk) for line in ordered])
    existing = created = 0
    for line in ordered:
        customer = by_id[line.pk].customer
        payment = matches.get(line.pk)
        if payment is None:
            payment = _new_payment(actor=actor, line=line, customer=customer)
            created += 1
        else:
            existing += 1
        _close_line(line, actor=actor, status=StatementLineStatus.CONFIRMED, customer=customer, payment=payment)
        confirm_payment(actor=actor, payment=payment)
    return BulkResult(confirmed_existing=existing, created=created)


@transaction.atomic
def ignore_lines(*, actor, line_ids: Sequence[int]) -> int:
    """Mark lines as not customers' money (interest, internal transfers, refunds of deposits)."""
    if not actor.has_perm(perms.CONFIRM_PAYMENT):
        raise PermissionDenied
    lines = list(BankStatementLine.objects.filter(pk__in=set(line_ids)).order_by("pk"))
    if not lines:
        raise InvalidInput({"lines": [_("请至少选择一行流水。")]})
    for line in lines:
        _close_line(line, actor=actor, status=StatementLineStatus.IGNORED)
    return len(lines)
