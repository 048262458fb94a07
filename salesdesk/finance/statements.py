"""Customer statements (对账单, API.md Receivables; DOMAIN.md §8): the figures of a customer for any
period, read from the ledger, and the Statement documents issued from them.

The balance is driven by goods and money, one fact kind at a time (facts are signed, see
``ledger.choices``), grouped per source document:

- debits (the customer owes more): dispatched shipments (``shipped``), refunds paid back
  (``refunded``), opening receivables (``opening`` > 0);
- credits (the customer owes less): confirmed receipts (``received``), returns (``returned``),
  write-offs (``written_off``), opening advances (``opening`` < 0).

Invoices and red invoices (``invoiced``/``credited``) do not move the balance: they are listed
in a separate, informational section ("invoices issued in the period").

A fact counts on its accounting date (``ledger.periods.accounting_date``): money received in a
month finance had already locked is booked into the first open month and shows on that month's
statement, with its business date beside it. So a locked month's statement never changes.

Identity (DOMAIN.md §8): opening + debits − credits = closing, the opening of a period is the
closing of the day before, and the closing is the customer's balance (receivables − advances).
``issue_statement`` recomputes the closing independently and refuses (409) to issue a statement
whose lines do not tie."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.numbering import next_number
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import accounting_date, month_of

from . import permissions as perms
from .choices import STATEMENT_TRANSITIONS, StatementStatus
from .models import Invoice, OpeningBalance, Payment, Receivable, Statement, WriteOff

log = logging.getLogger("salesdesk.finance.statements")

ZERO = Decimal("0.00")
NUMBER_KIND = "DZ"  # 对账 → DZ20261130-0001
StatementStatusCode = Literal["draft", "sent", "confirmed", "disputed"]
NO_STATEMENT = "none"  # the ``status`` of figures no Statement document was issued for

# Who (``permissions``): the clerk and finance issue (ISSUE_STATEMENT), send (SEND_STATEMENT) and
# record the customer's answer; VIEW_STATEMENT reads — salespeople and their managers only their
# customers' statements (``Statement.objects.visible_to``), the GM all.


def _holds(user, name: str) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.has_perm(name)


def may_read(user) -> bool:
    return _holds(user, perms.VIEW_STATEMENT)


def may_issue(user) -> bool:
    return _holds(user, perms.ISSUE_STATEMENT)


def may_send(user) -> bool:
    return _holds(user, perms.SEND_STATEMENT)


class StatementErrorCode(StrEnum):
    DOES_NOT_TIE = "statement_does_not_tie"
    OUTDATED = "statement_outdated"
    WRONG_STATUS = "statement_wrong_status"


# Each balance-moving kind and its sign on the balance (facts are stored signed already: a return
# is negative shipped, a refund negative received, an opening advance a negative opening).
BALANCE_SIGN: dict[str, int] = {
    FactKind.OPENING: 1,
    FactKind.SHIPPED: 1,
    FactKind.RETURNED: 1,
    FactKind.RECEIVED: -1,
    FactKind.REFUNDED: -1,
    FactKind.WRITTEN_OFF: -1,
}
INVOICE_KINDS = (FactKind.INVOICED, FactKind.CREDITED)
# Order of documents on the same day: what was there, goods out, goods back, money in and out.
KIND_ORDER = {FactKind.OPENING: 0, FactKind.SHIPPED: 1, FactKind.RETURNED: 2, FactKind.RECEIVED: 3,
              FactKind.REFUNDED: 4, FactKind.WRITTEN_OFF: 5, FactKind.INVOICED: 6, FactKind.CREDITED: 7}
ENTRY_LABELS = {
    FactKind.OPENING: "期初", FactKind.SHIPPED: "发货", FactKind.RETURNED: "退货", FactKind.RECEIVED: "回款",
    FactKind.REFUNDED: "退款", FactKind.WRITTEN_OFF: "坏账核销", FactKind.INVOICED: "开票", FactKind.CREDITED: "红字发票",
}


# --- document numbers ------------------------------------------------------------------------------
# Facts carry their source document's kind and id; the number a customer recognises comes from the
# document. Finance's own documents are read here; a higher app (logistics: returns) registers a
# lookup for its source kind, since finance never imports logistics.

NumberLookup = Callable[[list[int]], dict[int, str]]
_number_lookups: dict[str, NumberLookup] = {}


def register_numbers(source_kind: str, lookup: NumberLookup) -> NumberLookup:
    """``lookup(ids) -> {id: number}`` names the documents of ``source_kind`` on statements."""
    _number_lookups[source_kind] = lookup
    return lookup


def _payment_numbers(ids: list[int]) -> dict[int, str]:
    return dict(Payment.objects.filter(pk__in=ids).values_list("pk", "number"))


def _shipment_numbers(ids: list[int]) -> dict[int, str]:
    return dict(Receivable.objects.filter(source_kind="shipment", source_id__in=ids).values_list("source_id", "number"))


def _writeoff_numbers(ids: list[int]) -> dict[int, str]:
    return dict(WriteOff.objects.filter(pk__in=ids).values_list("pk", "number"))


def _opening_numbers(ids: list[int]) -> dict[int, str]:
    return dict(OpeningBalance.objects.filter(pk__in=ids).values_list("pk", "document_no"))


def _invoice_numbers(ids: list[int]) -> dict[int, str]:
    return {pk: f"{code} {number}".strip() for pk, code, number in
            Invoice.objects.filter(pk__in=ids).values_list("pk", "code", "number")}


def _return_numbers(ids: list[int]) -> dict[int, str]:
    """logistics' returns (退货单), looked up by model label: finance never imports logistics."""
    from django.apps import apps

    try:
        model = apps.get_model("logistics", "SalesReturn")
    except LookupError:
        return {}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "number"))


_OWN_LOOKUPS: dict[str, NumberLookup] = {
    "return": _return_numbers,
    "payment": _payment_numbers,
    "shipment": _shipment_numbers,
    "writeoff": _writeoff_numbers,
    "write_off": _writeoff_numbers,
    "opening": _opening_numbers,
    "opening_balance": _opening_numbers,
    "invoice": _invoice_numbers,
}


def document_numbers(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The number of each (source_kind, source_id): one query per kind of document present."""
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, pk in keys:
        by_kind[kind].add(pk)
    out: dict[tuple[str, int], str] = {}
    for kind, ids in by_kind.items():
        lookup = _number_lookups.get(kind) or _OWN_LOOKUPS.get(kind)
        found = lookup(sorted(ids)) if lookup else {}
        for pk in ids:
            out[(kind, pk)] = found.get(pk) or f"{kind}#{pk}"
    return out


# --- the figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One source document's effect in the period: shipment, return, receipt, refund, write-off or
    opening item. ``date`` is the accounting date; ``business_date`` differs when the document was
    booked into a later, open month."""

    date: date
    business_date: date
    kind: str
    number: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    source_kind: str
    source_id: int

    @property
    def label(self) -> str:
        return ENTRY_LABELS.get(self.kind, self.kind)

    @property
    def booked_later(self) -> bool:
        return self.business_date != self.date


@dataclass(frozen=True)
class InvoiceEntry:
    """An invoice or red invoice issued in the period (informational: it does not move the balance)."""

    date: date
    business_date: date
    kind: str
    number: str
    amount: Decimal  # signed: a red invoice is negative
    tax: Decimal

    @property
    def label(self) -> str:
        return ENTRY_LABELS.get(self.kind, self.kind)


@dataclass
class StatementFigures:
    customer_id: int
    start: date
    end: date
    opening_balance: Decimal
    entries: list[Entry] = field(default_factory=list)
    invoices: list[InvoiceEntry] = field(default_factory=list)

    @property
    def debits(self) -> Decimal:
        return sum((e.debit for e in self.entries), ZERO)

    @property
    def credits(self) -> Decimal:
        return sum((e.credit for e in self.entries), ZERO)

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.debits - self.credits

    @property
    def invoiced(self) -> Decimal:
        return sum((i.amount for i in self.invoices), ZERO)

    @property
    def booked_later(self) -> bool:
        return any(e.booked_later for e in self.entries)


def _signed(kind: str, amount: Decimal) -> Decimal:
    return BALANCE_SIGN[kind] * amount


def _customer_facts(customer_id: int, kinds):
    return Fact.objects.filter(customer_id=customer_id, kind__in=list(kinds))


def balance_before(customer_id: int, day: date) -> Decimal:
    """The customer's balance over every fact whose accounting date is before ``day``, in two
    grouped queries: facts of an earlier accounting period than ``day``'s month certainly count;
    the few dated earlier but booked into ``day``'s month or later are decided one date at a time."""
    month = month_of(day)
    facts = _customer_facts(customer_id, BALANCE_SIGN).filter(business_date__lt=day)
    total = ZERO
    for row in facts.filter(period__lt=month).values("kind").annotate(total=Sum("amount")).order_by():
        total += _signed(row["kind"], row["total"] or ZERO)
    rows = (facts.filter(period__gte=month).values("kind", "business_date", "period")
            .annotate(total=Sum("amount")).order_by())
    for row in rows:
        if accounting_date(row["business_date"], row["period"]) < day:
            total += _signed(row["kind"], row["total"] or ZERO)
    return total


def balance_at(customer_id: int, day: date) -> Decimal:
    """The customer's balance at the end of ``day`` (receivables − advances, by accounting date)."""
    return balance_before(customer_id, day + timedelta(days=1))


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise InvalidInput({"end": ["截止日不能早于起始日 / The end must not be before the start."]})
    if (end - start).days > 3660:
        raise InvalidInput({"start": ["对账期间不能超过十年 / A statement covers at most ten years."]})


def statement_for(customer_id: int, start: date, end: date) -> StatementFigures:
    """The statement of one customer for [start, end], by accounting date."""
    _check_period(start, end)
    figures = StatementFigures(customer_id=customer_id, start=start, end=end,
                               opening_balance=balance_before(customer_id, start))
    month = month_of(start)
    rows = list(
        _customer_facts(customer_id, [*BALANCE_SIGN, *INVOICE_KINDS])
        .filter(business_date__lte=end)
        .exclude(Q(business_date__lt=start) & Q(period__lt=month))
        .values("kind", "source_kind", "source_id", "business_date", "period")
        .annotate(total=Sum("amount"), tax=Sum("tax"))
        .order_by()
    )
    # A document's facts (one per line and credit share) become one entry.
    docs: dict[tuple, dict] = {}
    for row in rows:
        on = accounting_date(row["business_date"], row["period"])
        if not start <= on <= end:
            continue
        key = (row["kind"], row["source_kind"], row["source_id"], on)
        doc = docs.setdefault(key, {"business_date": row["business_date"], "total": ZERO, "tax": ZERO})
        doc["total"] += row["total"] or ZERO
        doc["tax"] += row["tax"] or ZERO
        doc["business_date"] = min(doc["business_date"], row["business_date"])
    numbers = document_numbers((source_kind, source_id) for _, source_kind, source_id, _ in docs)
    ordered = sorted(docs.items(), key=lambda item: (item[0][3], KIND_ORDER.get(item[0][0], 9), item[0][2]))
    balance = figures.opening_balance
    for (kind, source_kind, source_id, on), doc in ordered:
        number = numbers[(source_kind, source_id)]
        if kind in INVOICE_KINDS:
            figures.invoices.append(InvoiceEntry(date=on, business_date=doc["business_date"], kind=kind, number=number,
                                                 amount=doc["total"], tax=doc["tax"]))
            continue
        effect = _signed(kind, doc["total"])
        if not effect:
            continue
        balance += effect
        figures.entries.append(Entry(
            date=on, business_date=doc["business_date"], kind=kind, number=number,
            debit=effect if effect > 0 else ZERO, credit=-effect if effect < 0 else ZERO, balance=balance,
            source_kind=source_kind, source_id=source_id,
        ))
    return figures


def ar_balance(customer_id: int, as_of: date) -> Decimal | None:
    """The receivables engine's balance (receivables − advances) at ``as_of``, when it is installed."""
    try:
        from . import receivables
    except ImportError:  # built in parallel (issue 7); the ledger identity is checked regardless
        return None
    fn = getattr(receivables, "customer_balance", None)
    return None if fn is None else fn(customer_id, as_of=as_of)


def tie_problems(figures: StatementFigures) -> list[str]:
    """Why the statement does not tie (empty: it ties). Checked before a statement is issued."""
    problems = []
    lines = figures.opening_balance
    for e in figures.entries:
        lines += e.debit - e.credit
        if lines != e.balance:
            problems.append(f"{e.number}: 余额 {e.balance} ≠ {lines}")
            break
    if lines != figures.closing_balance:
        problems.append(f"期初+借方−贷方 {lines} ≠ 期末 {figures.closing_balance}")
    ledger = balance_at(figures.customer_id, figures.end)
    if ledger != figures.closing_balance:
        problems.append(f"期末 {figures.closing_balance} ≠ 账面余额 {ledger}")
    ar = ar_balance(figures.customer_id, figures.end)
    if ar is not None and ar != figures.closing_balance:
        problems.append(f"期末 {figures.closing_balance} ≠ 应收账款余额 {ar}")
    return problems


# --- what the customer page and the print add --------------------------------------------------------

AGING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "91-180", "181-365", ">365")
_BUCKET_EDGES = ((30, "1-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))


def bucket_for(days_past_due: int | None) -> str:
    if days_past_due is None or days_past_due <= 0:
        return "not_due"
    for edge, name in _BUCKET_EDGES:
        if days_past_due <= edge:
            return name
    return ">365"


@dataclass
class Extras:
    """The parts of the print that come from the receivables and invoices engines, when present."""

    aging: dict[str, Decimal] | None = None
    open_items: list = field(default_factory=list)
    uninvoiced: list = field(default_factory=list)
    uninvoiced_total: Decimal | None = None


def extras_for(customer_id: int, as_of: date, user=None) -> Extras:
    """Aging summary (``receivables.open_items``) and uninvoiced shipments (``invoicing``) at
    ``as_of``; each part is left out when its engine is missing or fails (they are built alongside)."""
    extras = Extras()
    try:
        from . import receivables

        items = receivables.open_items([customer_id], as_of=as_of)
    except Exception:  # the print must not fail because an optional section does
        log.warning("aging summary unavailable for the statement", exc_info=True)
    else:
        aging = dict.fromkeys(AGING_BUCKETS, ZERO)
        for item in items:
            aging[bucket_for(item.days_past_due)] += item.open_amount
        extras.aging, extras.open_items = aging, list(items)
    try:
        from . import invoicing

        end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
        rows = (invoicing.uninvoiced_shipments(user).filter(customer_id=customer_id, dispatched_at__lt=end)
                .order_by("dispatched_at", "id").values("number", "dispatched_at", "value"))
        extras.uninvoiced = [{"date": timezone.localtime(r["dispatched_at"]).date() if r["dispatched_at"] else None,
                              "number": r["number"], "amount": r["value"]} for r in rows]
    except Exception:
        log.warning("uninvoiced shipments unavailable for the statement", exc_info=True)
        extras.uninvoiced = []
    else:
        extras.uninvoiced_total = sum((r["amount"] for r in extras.uninvoiced), ZERO)
    return extras


# --- Statement documents ---------------------------------------------------------------------------


def latest_status(customer_id: int, start: date, end: date) -> str:
    """The status of the latest Statement issued for exactly this customer and period, else "none"."""
    status = (Statement.objects.filter(customer_id=customer_id, start=start, end=end).order_by("-id")
              .values_list("status", flat=True).first())
    return status or NO_STATEMENT


def _save_history(statement: Statement, actor, reason: str = "") -> None:
    """A conditional UPDATE bypasses model history: write the row now."""
    statement._history_user = actor
    if reason:
        statement._change_reason = reason
    statement.save()


def _ensure_can(current: str | None, to: str) -> str:
    if current is None or to not in STATEMENT_TRANSITIONS.get(current, frozenset()):
        label = StatementStatus(current).label if current else "?"
        raise DomainError(f"对账单当前状态为「{label}」，不能执行此操作 / The statement is {current}: not allowed now.",
                          code=StatementErrorCode.WRONG_STATUS)
    return current


def _move(statement: Statement, to: str, actor, **values) -> Statement:
    """Race-safe transition from the statement's current status (409 when it moved meanwhile)."""
    current = _ensure_can(Statement.objects.filter(pk=statement.pk).values_list("status", flat=True).first(), to)
    changed = Statement.objects.filter(pk=statement.pk, status=current).update(status=to, **values)
    if not changed:
        raise DomainError("对账单已被他人处理，请刷新 / The statement was changed meanwhile.",
                          code=StatementErrorCode.WRONG_STATUS)
    return Statement.objects.select_related("customer").get(pk=statement.pk)


def issue_statement(*, actor, customer, start: date, end: date) -> Statement:
    """Issue (出具) a statement: the figures are recomputed, must tie (opening + debits − credits =
    closing = the customer's balance), and are kept on a numbered draft document. A statement may
    be issued for a locked month — that is when statements go out (DOMAIN.md §8, step 5)."""
    if not may_issue(actor):
        raise PermissionDenied
    if end > timezone.localdate():
        raise InvalidInput({"end": ["截止日不能晚于今天 / The end cannot be in the future."]})
    figures = statement_for(customer.pk, start, end)
    with transaction.atomic():
        problems = tie_problems(figures)
        if problems:
            raise DomainError("对账单不平，不能出具：" + "；".join(problems) + " / The statement does not tie.",
                              code=StatementErrorCode.DOES_NOT_TIE)
        statement = Statement(
            number=next_number(NUMBER_KIND), customer=customer, start=start, end=end,
            opening_balance=figures.opening_balance, debits=figures.debits, credits=figures.credits,
            closing_balance=figures.closing_balance, status=StatementStatus.DRAFT, created_by=actor,
        )
        statement._history_user = actor
        statement.save()
    return statement


def outdated(statement: Statement, figures: StatementFigures | None = None) -> bool:
    """The ledger no longer gives the issued figures (a document was back-dated into an open month)."""
    figures = figures or statement_for(statement.customer_id, statement.start, statement.end)
    return (figures.opening_balance, figures.debits, figures.credits, figures.closing_balance) != (
        statement.opening_balance, statement.debits, statement.credits, statement.closing_balance)


def default_recipient(customer) -> str:
    """The customer's finance contact's e-mail, else the primary contact's, else any contact's."""
    contacts = [c for c in customer.contacts.all() if c.email and not c.anonymised_at]
    contacts.sort(key=lambda c: (c.role != "finance", not c.is_primary, c.pk))
    return contacts[0].email if contacts else ""


def _recipients(raw: str) -> list[str]:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    addresses = [a.strip() for a in raw.replace(";", ",").replace("，", ",").replace("；", ",").split(",") if a.strip()]
    if not addresses:
        raise InvalidInput({"to": ["请填写客户的电子邮箱 / An e-mail address is required."]})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput({"to": [f"邮箱地址无效：{address} / Invalid e-mail address."]}) from None
    if len(", ".join(addresses)) > 200:
        raise InvalidInput({"to": ["收件人太多 / Too many recipients."]})
    return addresses


def send_statement(*, actor, statement: Statement, to: str = "") -> Statement:
    """E-mail the statement with its PDF through the outbox (draft or disputed → sent). The PDF is
    rendered before the short write transaction; stale figures are refused (re-issue instead)."""
    from salesdesk.core.mail import queue_mail

    from . import statement_printing

    if not may_send(actor):
        raise PermissionDenied
    _ensure_can(statement.status, StatementStatus.SENT)
    addresses = _recipients(to or default_recipient(statement.customer))
    figures = statement_for(statement.customer_id, statement.start, statement.end)
    if outdated(statement, figures):
        raise DomainError("账面数据已变动，本对账单已过时，请重新出具 / The ledger changed since issue: issue a new "
                          "statement.", code=StatementErrorCode.OUTDATED)
    pdf = statement_printing.statement_pdf(statement, figures=figures, user=actor)
    subject, body = statement_printing.mail_text(statement)
    with transaction.atomic():
        sends = statement.history.filter(status=StatementStatus.SENT).count()
        statement = _move(statement, StatementStatus.SENT, actor, sent_to=", ".join(addresses), sent_at=timezone.now())
        _save_history(statement, actor)
        queue_mail(addresses, subject, body, attachments=[(statement_printing.pdf_name(statement), pdf, "application/pdf")],
                   dedupe_key=f"statement-mail:{statement.pk}:{sends + 1}")
    return statement


def scans(statement: Statement):
    from salesdesk.core.models import Attachment

    return Attachment.objects.filter(content_type=ContentType.objects.get_for_model(Statement), object_id=statement.pk)


def confirm_statement(*, actor, statement: Statement, scan=None) -> Statement:
    """The customer stamped the statement (盖章确认): with the scan uploaded now or before, sent or
    disputed → confirmed. The scan is kept: it is the debtor's acknowledgement (民法典 第195条)."""
    from salesdesk.core.attachments import attach

    if not may_issue(actor):
        raise PermissionDenied
    if scan is None and not scans(statement).exists():
        raise InvalidInput({"file": ["请上传客户盖章的对账单扫描件 / Upload the customer's stamped scan."]})
    _ensure_can(statement.status, StatementStatus.CONFIRMED)
    with transaction.atomic():
        if scan is not None:
            attach(actor=actor, owner=statement, uploaded_file=scan, description="客户盖章回执")
        statement = _move(statement, StatementStatus.CONFIRMED, actor, confirmed_at=timezone.now())
        _save_history(statement, actor)
    return statement


def dispute_statement(*, actor, statement: Statement, differences: str) -> Statement:
    """The customer listed differences (如有不符请列明差异): sent → disputed; fix, re-send or re-issue."""
    if not may_issue(actor):
        raise PermissionDenied
    text = (differences or "").strip()
    if not text:
        raise InvalidInput({"differences": ["请列明客户提出的差异 / List the differences."]})
    if len(text) > 5000:
        raise InvalidInput({"differences": ["差异说明过长 / Too long (max 5000)."]})
    _ensure_can(statement.status, StatementStatus.DISPUTED)
    with transaction.atomic():
        statement = _move(statement, StatementStatus.DISPUTED, actor, differences=text)
        _save_history(statement, actor)
    return statement
