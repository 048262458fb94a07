"""Month-end reconciliation (月末对账, DOMAIN.md §8): what the clerk and finance check before
finance locks a month, and the import of finance's AR sub-ledger (应收账款明细账) to list the
differences per customer.

The checklist of a month (``checklist(period)``), each part a fixed number of grouped queries:
1. cut-off — shipments dispatched, invoices issued, money confirmed into the month; what is
   still waiting (payments recorded but unconfirmed, shipments planned but not dispatched,
   invoice requests not handled, write-offs approved but not recorded);
2. unmatched money — confirmed receipts not (fully) allocated to an order, and the customers
   whose balance is an advance (预收);
3. uninvoiced shipments — dispatched by the month end and linked to no invoice;
4. differences — our closing balance per customer against finance's figure from the imported
   file, and the file's rows that name no customer of ours.

Our closing balance of a customer for month M is the receivables identity (finance.receivables)
summed over the ledger in one GROUP BY: shipped − returned − confirmed receipts + refunds −
write-offs over the facts booked up to M (their accounting period, as finance's books have them),
plus the opening receivables less opening advances dated by the month end.

Finance never imports logistics (DESIGN.md): shipments are read through ``apps.get_model``."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Count, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.fields import MoneyField
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.customers.importing import ImportErrorCode, ImportRefused, read_rows
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact, Period, PeriodStatus
from salesdesk.ledger.periods import ensure_open, month_bounds, parse_period
from salesdesk.org.roles import Role

from .balances import ZERO
from .choices import InvoiceRequestStatus, OpeningKind, PaymentKind, PaymentStatus, WriteOffStatus
from .forms import payer_differs
from .importing import parse_amount
from .models import (
    Allocation,
    FinanceLedgerImport,
    FinanceLedgerLine,
    Invoice,
    InvoiceRequest,
    OpeningBalance,
    Payment,
    WriteOff,
)

# Who works the month-end checklist and imports finance's file (API.md: the clerk reconciles with
# finance); locking stays with finance (ledger.permissions.LOCK_PERIOD). A role check on purpose:
# ledger.VIEW_PERIOD is also granted to the sales manager and the GM, who do not see this checklist,
# and finance grants no month-end permission yet.
MONTHEND_ROLES = frozenset({Role.CLERK, Role.FINANCE})
LIST_LIMIT = 50  # rows shown per list on the page; the counts and the export cover all
DIFFERENCE_LIMIT = 300
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 30

DEBIT_KINDS = (FactKind.SHIPPED, FactKind.RETURNED)  # returned facts are stored negative
CREDIT_KINDS = (FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF)  # refunded stored negative
SHIPPED_STATES = ("dispatched", "in_transit", "delivered", "pod_returned")  # logistics.choices.DISPATCHED_STATES


def may_reconcile(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*MONTHEND_ROLES))


def _shipment_model():
    return apps.get_model("logistics", "Shipment")


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Aware datetimes [first 00:00, the day after last 00:00) in the local time zone."""
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(first, time.min), tz),
            timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz))


def _money_sum(expression) -> Coalesce:
    return Coalesce(Sum(expression, output_field=MoneyField()), Value(0), output_field=MoneyField())


# --- cut-off -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class CutOff:
    dispatched: Tally
    invoices: Tally
    credit_notes: Tally
    receipts: Tally  # confirmed receipts booked into the month
    refunds: Tally
    booked_later: Tally  # receipts dated in the month but booked into a later month (it was locked)
    returns: Tally
    write_offs: Tally
    pending_payments: Tally
    pending_payment_rows: list
    planned: Tally
    planned_rows: list
    open_invoice_requests: int
    approved_write_offs: int

    @property
    def open_items(self) -> int:
        """How many things still wait before the month is complete."""
        return (self.pending_payments.count + self.planned.count + self.open_invoice_requests
                + self.approved_write_offs)


def _tally(row: dict) -> Tally:
    return Tally(count=row["n"] or 0, amount=row["s"] if row["s"] is not None else ZERO)


def cut_off(period: str) -> CutOff:
    first, last = month_bounds(period)
    start, stop = _day_bounds(first, last)
    Shipment = _shipment_model()
    dispatched = Shipment.objects.filter(status__in=SHIPPED_STATES, dispatched_at__gte=start, dispatched_at__lt=stop)
    planned = Shipment.objects.filter(status="planned").filter(
        Q(planned_on__lte=last) | Q(planned_on__isnull=True, created_at__lt=stop))
    invoices = Invoice.objects.filter(issued_on__gte=first, issued_on__lte=last).aggregate(
        n=Count("id", filter=Q(original__isnull=True)), s=_money_sum(Case(When(original__isnull=True, then="amount"))),
        cn=Count("id", filter=Q(original__isnull=False)),
        cs=_money_sum(Case(When(original__isnull=False, then="amount"))),
    )
    money = Payment.objects.filter(status=PaymentStatus.CONFIRMED).filter(
        Q(accounting_period=period) | Q(received_on__gte=first, received_on__lte=last)).aggregate(
        rn=Count("id", filter=Q(kind=PaymentKind.RECEIPT, accounting_period=period)),
        rs=_money_sum(Case(When(kind=PaymentKind.RECEIPT, accounting_period=period, then="amount"))),
        fn=Count("id", filter=Q(kind=PaymentKind.REFUND, accounting_period=period)),
        fs=_money_sum(Case(When(kind=PaymentKind.REFUND, accounting_period=period, then="amount"))),
        ln=Count("id", filter=Q(kind=PaymentKind.RECEIPT, accounting_period__gt=period)),
        ls=_money_sum(Case(When(kind=PaymentKind.RECEIPT, accounting_period__gt=period, then="amount"))),
    )
    returns = Fact.objects.filter(kind=FactKind.RETURNED, period=period).aggregate(
        n=Count("source_id", distinct=True), s=_money_sum("amount"))
    write_offs = WriteOff.objects.filter(status=WriteOffStatus.RECORDED, recorded_on__gte=first,
                                         recorded_on__lte=last).aggregate(n=Count("id"), s=_money_sum("amount"))
    pending = Payment.objects.filter(status=PaymentStatus.PENDING, received_on__lte=last)
    return CutOff(
        dispatched=_tally(dispatched.aggregate(n=Count("id"), s=_money_sum("value"))),
        invoices=_tally({"n": invoices["n"], "s": invoices["s"]}),
        credit_notes=_tally({"n": invoices["cn"], "s": invoices["cs"]}),
        receipts=_tally({"n": money["rn"], "s": money["rs"]}),
        refunds=_tally({"n": money["fn"], "s": money["fs"]}),
        booked_later=_tally({"n": money["ln"], "s": money["ls"]}),
        returns=Tally(count=returns["n"] or 0, amount=-(returns["s"] or ZERO)),
        write_offs=_tally(write_offs),
        pending_payments=_tally(pending.aggregate(n=Count("id"), s=_money_sum("amount"))),
        pending_payment_rows=list(pending.select_related("customer", "order", "recorded_by")
                                  .order_by("received_on", "id")[:LIST_LIMIT]),
        planned=_tally(planned.aggregate(n=Count("id"), s=_money_sum("value"))),
        planned_rows=list(planned.select_related("order", "customer").order_by("planned_on", "created_at", "id")
                          [:LIST_LIMIT]),
        open_invoice_requests=InvoiceRequest.objects.filter(
            status=InvoiceRequestStatus.REQUESTED, requested_at__lt=stop).count(),
        approved_write_offs=WriteOff.objects.filter(status=WriteOffStatus.APPROVED).count(),
    )


# --- unmatched money and uninvoiced shipments --------------------------------------------------------


@dataclass(frozen=True)
class UnmatchedPayment:
    payment: Payment
    unallocated: Decimal

    @property
    def payer_differs(self) -> bool:
        """三流一致: another payer than the customer needs a third-party payment letter."""
        return payer_differs(self.payment.payer_name, self.payment.customer)


@dataclass
class Unmatched:
    payments: Tally
    rows: list[UnmatchedPayment]


def unmatched_payments(period: str) -> Unmatched:
    """Confirmed receipts booked up to the month whose money is (partly) on no order yet: finance
    matches every collection to a customer's order (DOMAIN.md §8, step 2)."""
    allocated = (Allocation.objects.filter(payment=OuterRef("pk")).order_by().values("payment")
                 .annotate(s=Sum("amount")).values("s"))
    qs = (Payment.objects.filter(status=PaymentStatus.CONFIRMED, kind=PaymentKind.RECEIPT, accounting_period__lte=period)
          .annotate(allocated=Coalesce(Subquery(allocated, output_field=MoneyField()), Value(0), output_field=MoneyField()))
          .annotate(unallocated=ExpressionWrapper(F("amount") - F("allocated"), output_field=MoneyField()))
          .filter(unallocated__gt=ZERO))
    total = qs.aggregate(n=Count("id"), s=_money_sum("unallocated"))
    rows = [UnmatchedPayment(p, p.unallocated)
            for p in qs.select_related("customer").order_by("received_on", "id")[:LIST_LIMIT]]
    return Unmatched(payments=_tally(total), rows=rows)


@dataclass
class Uninvoiced:
    shipments: Tally
    rows: list


def uninvoiced_shipments(period: str) -> Uninvoiced:
    """Shipments dispatched by the month end that no invoice issued by then covers (发出商品未开票),
    oldest first: the typical difference against finance, who books revenue by invoice. An invoice
    wholly reversed by red invoices (issued by the month end) covers nothing, as in invoicing."""
    _, last = month_bounds(period)
    _, stop = _day_bounds(last, last)
    credited = (Invoice.objects.filter(original=OuterRef("pk"), issued_on__lte=last).order_by().values("original")
                .annotate(s=Sum("amount")).values("s")[:1])
    live = (Invoice.objects.filter(original__isnull=True, issued_on__lte=last)
            .annotate(credited=Coalesce(Subquery(credited, output_field=MoneyField()), Value(0), output_field=MoneyField()))
            .filter(credited__lt=F("amount")))
    covered = Invoice.shipments.through.objects.filter(invoice__in=live).values("shipment_id")
    qs = (_shipment_model().objects.filter(status__in=SHIPPED_STATES, dispatched_at__lt=stop)
          .exclude(pk__in=covered))
    return Uninvoiced(
        shipments=_tally(qs.aggregate(n=Count("id"), s=_money_sum("value"))),
        rows=list(qs.select_related("order", "customer").order_by("dispatched_at", "id")[:LIST_LIMIT]),
    )


# --- our closing balances -----------------------------------------------------------------------------


def closing_balances(period: str, customer_ids: Sequence[int] | None = None) -> dict[int, Decimal]:
    """Each customer's receivables less advances at the end of ``period`` (two grouped queries):
    shipped − returned − receipts + refunds − write-offs booked up to the month, plus opening
    receivables less opening advances dated by its last day. Customers at zero are left out."""
    _, last = month_bounds(period)
    facts = Fact.objects.filter(period__lte=period, kind__in=(*DEBIT_KINDS, *CREDIT_KINDS))
    openings = OpeningBalance.objects.filter(as_of__lte=last)
    if customer_ids is not None:
        facts = facts.filter(customer_id__in=customer_ids)
        openings = openings.filter(customer_id__in=customer_ids)
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rows = facts.order_by().values("customer_id").annotate(
        debit=_money_sum(Case(When(kind__in=DEBIT_KINDS, then="amount"))),
        credit=_money_sum(Case(When(kind__in=CREDIT_KINDS, then="amount"))),
    )
    for r in rows:
        out[r["customer_id"]] += r["debit"] - r["credit"]
    for r in openings.order_by().values("customer_id", "kind").annotate(s=_money_sum("amount")):
        out[r["customer_id"]] += r["s"] if r["kind"] == OpeningKind.RECEIVABLE else -r["s"]
    return {k: v for k, v in out.items() if v}


# --- finance's AR sub-ledger ----------------------------------------------------------------------

# (fragment of a normalised header, field): the first matching fragment wins, so 期初余额 and the
# period's movements are recognised (and ignored) before 余额, and 客户编码 is a code, not a name.
RULES: tuple[tuple[str, str], ...] = (
    ("期初", "skip"), ("年初", "skip"), ("本期", "skip"), ("本年", "skip"), ("累计", "skip"), ("发生", "skip"),
    ("方向", "direction"), ("借或贷", "direction"), ("借贷", "direction"), ("direction", "direction"),
    ("借方余额", "debit_balance"), ("期末借方", "debit_balance"), ("贷方余额", "credit_balance"),
    ("期末贷方", "credit_balance"),
    ("编码", "code"), ("编号", "code"), ("代码", "code"), ("code", "code"),
    ("期末余额", "balance"), ("余额", "balance"), ("期末", "balance"), ("balance", "balance"), ("closing", "balance"),
    ("客户", "name"), ("单位", "name"), ("名称", "name"), ("户名", "name"), ("name", "name"), ("customer", "name"),
    ("金额", "balance"), ("amount", "balance"),
)
CREDIT_WORDS = frozenset({"贷", "贷方", "c", "cr", "credit"})
FLAT_WORDS = frozenset({"平"})
_TOTAL_ROW = re.compile(r"合计|总计|小计|total", re.I)


def _header_key(text: str) -> str:
    return re.sub(r"[\s_()（）\[\]【】:：/]+", "", unicodedata.normalize("NFKC", text or "").lower())


def map_header(cells: Sequence[str]) -> dict[str, int] | None:
    """field → column index, if ``cells`` is the sub-ledger's header (a customer and a balance)."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _header_key(cell)
        if not key:
            continue
        for fragment, name in RULES:
            if fragment in key:
                if name != "skip":
                    columns.setdefault(name, index)
                break
    has_customer = bool({"code", "name"} & set(columns))
    has_balance = bool({"balance", "debit_balance", "credit_balance"} & set(columns))
    return columns if has_customer and has_balance else None


@dataclass(frozen=True)
class LedgerRow:
    row: int  # as Excel numbers it
    code: str
    name: str
    balance: Decimal

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.code, self.name) if p)[:200]


@dataclass
class LedgerParse:
    rows: list[LedgerRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _cell(cells: Sequence[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _row_balance(cells: Sequence[str], columns: dict[str, int]) -> Decimal:
    """The signed closing balance (receivable +, advance −). Raises ``ValueError`` naming the cell."""
    if "debit_balance" in columns or "credit_balance" in columns:
        debit = parse_amount(_cell(cells, columns, "debit_balance")) or ZERO
        credit = parse_amount(_cell(cells, columns, "credit_balance")) or ZERO
        return debit - credit
    amount = parse_amount(_cell(cells, columns, "balance")) or ZERO
    direction = _header_key(_cell(cells, columns, "direction"))
    if direction in FLAT_WORDS:
        return ZERO
    return -abs(amount) if direction in CREDIT_WORDS else amount


def parse_ledger(data: bytes, filename: str) -> LedgerParse:
    """The customer rows of finance's sub-ledger export (Kingdee/Yonyou-style 应收账款明细/余额表).
    Raises ``ImportRefused`` for an unreadable file or one without a recognisable header."""
    result = LedgerParse()
    columns: dict[str, int] | None = None
    seen: dict[tuple[str, str], int] = {}
    for number, cells in read_rows(data, filename):
        if columns is None:
            if number > HEADER_SEARCH_ROWS:
                break
            columns = map_header(cells)
            continue
        code, name = _cell(cells, columns, "code"), _cell(cells, columns, "name")
        if _TOTAL_ROW.search(" ".join(cells[:3])):
            continue  # a totals row or a footer
        if not (code or name):
            if any(_cell(cells, columns, k) for k in ("balance", "debit_balance", "credit_balance")):
                # a balance without its customer (a merged cell, a row cut from its name): not a footer
                result.errors.append((number, _("第 %(row)d 行有余额但没有客户编码或名称") % {"row": number}))
            continue
        try:
            balance = _row_balance(cells, columns)
        except ValueError as exc:
            result.errors.append((number, _("“%(value)s”不是金额") % {"value": str(exc.args[0])[:50]}))
            continue
        if len(code) > 20 or len(name) > 200:
            result.errors.append((number, _("客户编码（最多 20 个字符）或客户名称（最多 200 个字）过长")))
            continue
        key = ("code", code.upper()) if code else ("name", normalize_company_name(name))
        if key in seen:
            result.errors.append((number, _("客户“%(who)s”与第 %(row)d 行重复") % {"who": code or name, "row": seen[key]}))
            continue
        seen[key] = number
        result.rows.append(LedgerRow(row=number, code=code, name=name, balance=balance))
        if len(result.rows) > MAX_ROWS:
            raise ImportRefused(_("文件行数过多（超过 %(n)d 行）") % {"n": MAX_ROWS}, ImportErrorCode.TOO_MANY_ROWS)
    if columns is None:
        raise ImportRefused(_("没有找到表头：请确认文件含“客户编码”或“客户名称”列和“期末余额”列"),
                            ImportErrorCode.NO_HEADER)
    if not result.rows:
        if result.errors:
            from .importing import row_summary

            raise ImportRefused(row_summary(result.errors), ImportErrorCode.NO_ROWS)
        raise ImportRefused(_("文件中没有客户余额行"), ImportErrorCode.NO_ROWS)
    return result


def match_customers(rows: Sequence[LedgerRow]) -> dict[int, Customer]:
    """row number → our customer, by code first, then by full or short name (normalised); a name
    that fits several customers matches none. One query."""
    codes = {unicodedata.normalize("NFKC", r.code).strip().upper() for r in rows if r.code}
    keys = {normalize_company_name(r.name) for r in rows if r.name}
    names = {r.name.strip() for r in rows if r.name}
    if not (codes or keys):
        return {}
    by_code: dict[str, Customer] = {}
    by_key: dict[str, list[Customer]] = defaultdict(list)
    for c in Customer.objects.filter(Q(code__in=codes) | Q(name_key__in=keys) | Q(short_name__in=names)):
        by_code[c.code.upper()] = c
        by_key[c.name_key].append(c)
        if c.short_name:
            short = normalize_company_name(c.short_name)
            if short != c.name_key:
                by_key[short].append(c)
    out: dict[int, Customer] = {}
    for r in rows:
        found = by_code.get(unicodedata.normalize("NFKC", r.code).strip().upper()) if r.code else None
        if found is None and r.name:
            fits = {c.pk: c for c in by_key.get(normalize_company_name(r.name), ())}
            found = next(iter(fits.values())) if len(fits) == 1 else None
        if found is not None:
            out[r.row] = found
    return out


@dataclass(frozen=True)
class LedgerImportOutcome:
    batch: FinanceLedgerImport
    rows: int
    matched: int
    errors: list[tuple[int, str]]

    @property
    def unmatched(self) -> int:
        return self.rows - self.matched


def import_finance_ledger(*, actor, period: str, data: bytes, filename: str) -> LedgerImportOutcome:
    """Keep finance's closing AR balances of a month, each row matched to a customer where it can
    be; the latest import of a month is the one compared. A locked month takes no new file."""
    if not may_reconcile(actor):
        raise PermissionDenied
    period = parse_period(period)
    first, _last = month_bounds(period)
    ensure_open(first, "财务应收明细")
    parsed = parse_ledger(data, filename)
    matches = match_customers(parsed.rows)
    with transaction.atomic():
        ensure_open(first, "财务应收明细")  # again inside the transaction: a lock may have come in between
        batch = FinanceLedgerImport.objects.create(period=period, file_name=(filename or "ledger")[:200],
                                                   uploaded_by=actor)
        FinanceLedgerLine.objects.bulk_create([
            FinanceLedgerLine(batch=batch, customer=matches.get(r.row), customer_label=r.label or str(r.row),
                              balance=r.balance)
            for r in parsed.rows
        ], batch_size=500)
    return LedgerImportOutcome(batch=batch, rows=len(parsed.rows), matched=len(matches), errors=parsed.errors)


# --- differences ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DifferenceRow:
    customer: Customer
    ours: Decimal
    theirs: Decimal | None  # None: the customer is not in finance's file

    @property
    def difference(self) -> Decimal:
        return self.ours - (self.theirs or ZERO)


@dataclass
class Differences:
    batch: FinanceLedgerImport | None
    rows: list[DifferenceRow]  # only customers whose figures differ, largest difference first
    unmatched: list[FinanceLedgerLine]  # rows of the file that name no customer of ours
    compared: int = 0  # customers on either side
    ours_total: Decimal = ZERO
    theirs_total: Decimal = ZERO
    advances: Tally = field(default_factory=Tally)  # customers whose balance is an advance (预收)

    @property
    def equal(self) -> int:
        return self.compared - len(self.rows)

    @property
    def total_difference(self) -> Decimal:
        return self.ours_total - self.theirs_total


def latest_import(period: str) -> FinanceLedgerImport | None:
    return FinanceLedgerImport.objects.filter(period=period).select_related("uploaded_by").order_by(
        "-uploaded_at", "-id").first()


def differences(period: str) -> Differences:
    """Our closing balance against finance's per customer, from the month's latest import."""
    ours = closing_balances(period)
    advance_values = [-v for v in ours.values() if v < 0]
    advances = Tally(count=len(advance_values), amount=sum(advance_values, ZERO))
    batch = latest_import(period)
    if batch is None:
        return Differences(batch=None, rows=[], unmatched=[], ours_total=sum(ours.values(), ZERO), advances=advances)
    theirs: dict[int, Decimal] = defaultdict(lambda: ZERO)
    unmatched: list[FinanceLedgerLine] = []
    for line in FinanceLedgerLine.objects.filter(batch=batch).order_by("id"):
        if line.customer_id is None:
            unmatched.append(line)
        else:
            theirs[line.customer_id] += line.balance
    ids = set(ours) | set(theirs)
    differing = sorted((i for i in ids if ours.get(i, ZERO) != theirs.get(i, ZERO)),
                       key=lambda i: (-abs(ours.get(i, ZERO) - theirs.get(i, ZERO)), i))
    customers = Customer.objects.in_bulk(differing) if differing else {}
    rows = [DifferenceRow(customer=customers[i], ours=ours.get(i, ZERO), theirs=theirs[i] if i in theirs else None)
            for i in differing]
    return Differences(
        batch=batch, rows=rows, unmatched=unmatched, compared=len(ids), ours_total=sum(ours.values(), ZERO),
        theirs_total=sum(theirs.values(), ZERO) + sum((u.balance for u in unmatched), ZERO), advances=advances,
    )


def difference_export_rows(diff: Differences) -> list[list]:
    """The difference list as the Excel export has it: one row per differing customer, then the
    file's unmatched rows."""
    out: list[list] = [[r.customer.code, r.customer.name, r.ours, r.theirs if r.theirs is not None else None,
                        r.difference, "" if r.theirs is not None else _("财务文件中没有该客户")] for r in diff.rows]
    out += [["", u.customer_label, None, u.balance, -u.balance, _("财务文件的行未匹配到客户")] for u in diff.unmatched]
    return out


# --- the whole checklist -----------------------------------------------------------------------------


@dataclass
class MonthEnd:
    period: str
    first: date
    last: date
    locked: Period | None
    cut_off: CutOff
    unmatched: Unmatched
    uninvoiced: Uninvoiced
    differences: Differences

    @property
    def is_locked(self) -> bool:
        return self.locked is not None

    @property
    def warnings(self) -> int:
        """Items that would be worth a second look before locking."""
        return (self.cut_off.open_items + self.unmatched.payments.count + self.uninvoiced.shipments.count
                + len(self.differences.rows) + len(self.differences.unmatched) + (self.differences.batch is None))


def checklist(period: str) -> MonthEnd:
    period = parse_period(period)
    first, last = month_bounds(period)
    return MonthEnd(
        period=period, first=first, last=last,
        locked=Period.objects.filter(period=period, status=PeriodStatus.LOCKED).select_related("locked_by").first(),
        cut_off=cut_off(period), unmatched=unmatched_payments(period), uninvoiced=uninvoiced_shipments(period),
        differences=differences(period),
    )
