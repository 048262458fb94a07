"""The sales detail ledger (销售明细账): every ledger fact the user may see, with date, customer,
salesperson, product, quantity, unit price, amount, tax, kind and source document, and a running
balance per customer.

The running balance is the customer's receivable after the row: the signed sum of the
receivable-moving kinds (shipped, returned, opening: as stored; received, refunded, written_off:
negated — facts are stored signed, so a refund adds and a return subtracts) over the facts of the
customer that the user may see (and of the chosen salesperson, when the ledger is filtered by
one), ordered by business date and id, up to and including the row. It does not depend on the
date range, product or kind filters: a filtered ledger still shows the true balance after each
row. Kinds that do not move the balance (booked, unbooked, invoiced, credited) show the balance
unchanged.

Reads: a page is a fixed number of queries whatever the rows (count, the page's rows, the balance
of those rows through one correlated sum each, one per kind of document named on the page). The
Excel export streams: one GROUP BY for each customer's balance before the range, then the
range's facts in order, the balance carried forward in Python as the rows are written."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.db.models import BigIntegerField, Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

from salesdesk.core.lib.money import from_fen, to_fen
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact

ZERO = Decimal("0.00")
INLINE_LIMIT = 5_000  # bigger exports run as a job and leave a file to download
PAGE_SIZE = 50
BATCH = 2_000

DEBIT_KINDS = (FactKind.SHIPPED, FactKind.RETURNED, FactKind.OPENING)  # the stored sign moves the balance
CREDIT_KINDS = (FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF)  # the stored sign reduces it
BALANCE_KINDS = frozenset(DEBIT_KINDS + CREDIT_KINDS)

# source_kind → (URL name, whether it takes the id); unknown kinds have no link
SOURCE_LINKS: dict[str, tuple[str, bool]] = {
    "order": ("order_detail", True),
    "shipment": ("shipment_detail", True),
    "return": ("return_detail", True),
    "payment": ("payment_detail", True),
    "invoice": ("invoice_detail", True),
    "write_off": ("writeoff_detail", True),
    "writeoff": ("writeoff_detail", True),
    "opening": ("opening_overview", False),
    "opening_balance": ("opening_overview", False),
}
SOURCE_LABELS = {"order": "订单", "shipment": "发货单", "return": "退货单", "payment": "收付款", "invoice": "发票",
                 "write_off": "坏账核销", "writeoff": "坏账核销", "opening": "期初余额", "opening_balance": "期初余额"}

HEADERS = ["日期", "客户编号", "客户", "业务员", "产品编码", "产品", "数量", "单价(含税)", "金额(含税)", "税额", "类型",
           "单据", "借方", "贷方", "客户余额"]


def source_url(source_kind: str, source_id: int) -> str | None:
    """The page of a fact's source document, or None for a kind without a page here."""
    target = SOURCE_LINKS.get(source_kind)
    if target is None:
        return None
    name, with_id = target
    try:
        return reverse(name, kwargs={"pk": source_id}) if with_id else reverse(name)
    except NoReverseMatch:
        return None


def delta_fen(kind: str, amount_fen: int) -> int:
    """What a fact does to its customer's balance, in fen (the oracle the SQL mirrors)."""
    if kind in DEBIT_KINDS:
        return amount_fen
    if kind in CREDIT_KINDS:
        return -amount_fen
    return 0


def _delta_expression():
    """The balance effect of a fact in fen, as SQL (amount is stored as integer fen)."""
    return Case(
        When(kind__in=DEBIT_KINDS, then=F("amount")),
        When(kind__in=CREDIT_KINDS, then=-F("amount")),
        default=Value(0), output_field=BigIntegerField(),
    )


# --- filters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilter:
    start: date | None = None
    end: date | None = None
    customer_id: int | None = None
    salesperson_id: int | None = None
    product_id: int | None = None
    kind: str | None = None

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v not in (None, "")}

    @classmethod
    def from_dict(cls, data: dict) -> LedgerFilter:
        values = dict(data)
        for key in ("start", "end"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def balance_scope(user, f: LedgerFilter):
    """The facts the balance sums: what the user may see, narrowed to the chosen salesperson."""
    qs = Fact.objects.visible_to(user)
    if f.salesperson_id:
        qs = qs.filter(salesperson_id=f.salesperson_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    return qs


def ledger_queryset(user, f: LedgerFilter):
    """The rows of the ledger for the user and filters, oldest first."""
    qs = balance_scope(user, f)
    if f.start:
        qs = qs.filter(business_date__gte=f.start)
    if f.end:
        qs = qs.filter(business_date__lte=f.end)
    if f.product_id:
        qs = qs.filter(product_id=f.product_id)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    return qs.order_by("business_date", "id")


# --- rows -------------------------------------------------------------------------------------------------


@dataclass
class LedgerRow:
    id: int
    date: date
    customer_id: int
    customer_code: str
    customer: str
    salesperson_id: int | None
    salesperson: str
    product_id: int | None
    product_sku: str
    product: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax: Decimal
    kind: str
    kind_label: str
    source_kind: str
    source_id: int
    document: str
    debit: Decimal
    credit: Decimal
    balance: Decimal

    @cached_property
    def url(self) -> str | None:
        """The source document's page (reversed only when shown: an export of a million rows needs none)."""
        return source_url(self.source_kind, self.source_id)

    def values(self) -> list:
        return [self.date, self.customer_code, self.customer, self.salesperson, self.product_sku, self.product,
                self.quantity, self.unit_price, self.amount, self.tax, self.kind_label, self.document,
                self.debit or None, self.credit or None, self.balance]


def unit_price(amount: Decimal, quantity: Decimal | None) -> Decimal | None:
    """Amount ÷ quantity to six places (a unit price), when there is a quantity."""
    if not quantity:
        return None
    return (amount / quantity).quantize(Decimal("0.000001"))


KIND_LABELS = dict(FactKind.choices)
_kind_labels: dict[tuple[str | None, str], str] = {}


def _kind_label(kind: str) -> str:
    """The kind's label in the active language (translated once per language, not once per row)."""
    key = (get_language(), kind)
    label = _kind_labels.get(key)
    if label is None:
        label = _kind_labels[key] = str(KIND_LABELS.get(kind, kind))
    return label


def _document_numbers(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The human number of each source document: orders here, the rest through finance's lookup
    (one query per kind of document present)."""
    keys = set(keys)
    orders = {pk for kind, pk in keys if kind == "order"}
    out: dict[tuple[str, int], str] = {}
    if orders:
        from salesdesk.orders.models import Order

        found = dict(Order.objects.filter(pk__in=orders).values_list("pk", "number"))
        out.update({("order", pk): found.get(pk) or f"order#{pk}" for pk in orders})
    rest = [k for k in keys if k[0] != "order"]
    if rest:
        from salesdesk.finance.statements import document_numbers

        out.update(document_numbers(rest))
    return out


def _fields(qs):
    return qs.select_related("customer", "salesperson", "product").only(
        "id", "business_date", "kind", "amount", "tax", "quantity", "source_kind", "source_id",
        "customer__code", "customer__name", "salesperson__username", "salesperson__name", "salesperson__first_name",
        "salesperson__last_name", "product__sku", "product__name",
    )


def _row(fact: Fact, balance_fen: int, numbers: dict) -> LedgerRow:
    amount_fen = to_fen(fact.amount)
    d = delta_fen(fact.kind, amount_fen)
    key = (fact.source_kind, fact.source_id)
    sp = fact.salesperson
    return LedgerRow(
        id=fact.pk, date=fact.business_date, customer_id=fact.customer_id, customer_code=fact.customer.code,
        customer=fact.customer.name, salesperson_id=fact.salesperson_id, salesperson=sp.display_name if sp else "",
        product_id=fact.product_id, product_sku=fact.product.sku if fact.product_id else "",
        product=fact.product.name if fact.product_id else "", quantity=fact.quantity,
        unit_price=unit_price(fact.amount, fact.quantity), amount=fact.amount, tax=fact.tax, kind=fact.kind,
        kind_label=_kind_label(fact.kind), source_kind=fact.source_kind, source_id=fact.source_id,
        document=numbers.get(key) or f"{SOURCE_LABELS.get(fact.source_kind, fact.source_kind)} #{fact.source_id}",
        debit=from_fen(d) if d > 0 else ZERO, credit=from_fen(-d) if d < 0 else ZERO,
        balance=from_fen(balance_fen),
    )


@dataclass
class LedgerPage:
    count: int
    rows: list[LedgerRow]


def ledger_page(user, f: LedgerFilter, *, limit: int = PAGE_SIZE, offset: int = 0) -> LedgerPage:
    """One page: count, the rows, the balance after each row, the documents' numbers."""
    qs = ledger_queryset(user, f)
    count = qs.count()
    facts = list(_fields(qs)[offset:offset + limit]) if count > offset else []
    balances = _balances_after(user, f, facts)
    numbers = _document_numbers((x.source_kind, x.source_id) for x in facts)
    return LedgerPage(count, [_row(x, balances.get(x.pk, 0), numbers) for x in facts])


def _balances_after(user, f: LedgerFilter, facts: list[Fact]) -> dict[int, int]:
    """Fact id → its customer's balance (fen) after it, in one query: a correlated sum per row over
    the balance scope, using the (customer, date) index."""
    if not facts:
        return {}
    scope = balance_scope(user, LedgerFilter(salesperson_id=f.salesperson_id)).filter(
        customer_id=OuterRef("customer_id"),
        kind__in=BALANCE_KINDS,
    ).filter(Q(business_date__lt=OuterRef("business_date"))
             | Q(business_date=OuterRef("business_date"), id__lte=OuterRef("id")))
    running = (scope.order_by().values("customer_id")
               .annotate(total=Sum(_delta_expression())).values("total")[:1])
    rows = Fact.objects.filter(pk__in=[x.pk for x in facts]).order_by().annotate(
        balance=Coalesce(Subquery(running, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField()),
    ).values_list("pk", "balance")
    return {pk: int(b) for pk, b in rows}


def opening_balances(user, f: LedgerFilter) -> dict[int, int]:
    """Customer id → balance (fen) before the range start (one GROUP BY; empty without a start)."""
    if not f.start:
        return {}
    qs = balance_scope(user, f).filter(business_date__lt=f.start, kind__in=BALANCE_KINDS)
    rows = qs.order_by().values("customer_id").annotate(total=Sum(_delta_expression())).values_list(
        "customer_id", "total")
    return {c: int(t or 0) for c, t in rows}


def iter_rows(user, f: LedgerFilter) -> Iterator[LedgerRow]:
    """Every row of the ledger in order, with its balance, streamed in batches (export). The balance
    is carried forward from each customer's opening over the whole balance scope inside the range,
    rows hidden by the product or kind filter included."""
    balances: dict[int, int] = defaultdict(int, opening_balances(user, f))
    scope = balance_scope(user, f)
    if f.start:
        scope = scope.filter(business_date__gte=f.start)
    if f.end:
        scope = scope.filter(business_date__lte=f.end)
    if f.product_id or f.kind:  # hidden rows still move the balance: read them, do not show them
        shown = Q()
        if f.product_id:
            shown &= Q(product_id=f.product_id)
        if f.kind:
            shown &= Q(kind=f.kind)
        scope = scope.filter(shown | Q(kind__in=BALANCE_KINDS))
    batch: list[_Light] = []
    names = _Names()

    def flush() -> Iterator[LedgerRow]:
        names.attach(batch)
        numbers = _document_numbers((x.source_kind, x.source_id) for x in batch if _shown(x, f))
        for x in batch:
            balances[x.customer_id] += delta_fen(x.kind, to_fen(x.amount))
            if _shown(x, f):
                yield _row(x, balances[x.customer_id], numbers)

    # Plain tuples, not a model instance per fact and per join: the customer, salesperson and product
    # of each batch are read once each (one query per batch, the small ones kept across batches).
    for values in scope.order_by("business_date", "id").values_list(*_Light.__slots__[:11]).iterator(chunk_size=BATCH):
        batch.append(_Light(*values))
        if len(batch) >= BATCH:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


@dataclass(slots=True)
class _Light:
    """What ``_row`` reads of a fact, for the export's stream."""

    id: int
    business_date: date
    customer_id: int
    salesperson_id: int | None
    product_id: int | None
    quantity: Decimal | None
    amount: Decimal
    tax: Decimal
    kind: str
    source_kind: str
    source_id: int
    customer: object = None
    salesperson: object = None
    product: object = None

    @property
    def pk(self) -> int:
        return self.id


class _Names:
    """Customers (per batch), salespeople and products (kept: there are few) of the exported facts."""

    def __init__(self):
        self.salespeople: dict[int, object] = {}
        self.products: dict[int, object] = {}

    def attach(self, batch: list[_Light]) -> None:
        from salesdesk.catalog.models import Product
        from salesdesk.customers.models import Customer
        from salesdesk.org.models import User

        customers = {c.pk: c for c in Customer._base_manager.filter(pk__in={x.customer_id for x in batch})
                     .only("code", "name")}
        missing = {x.salesperson_id for x in batch if x.salesperson_id and x.salesperson_id not in self.salespeople}
        if missing:
            self.salespeople.update((u.pk, u) for u in User._base_manager.filter(pk__in=missing).only(
                "username", "name", "first_name", "last_name"))
        missing = {x.product_id for x in batch if x.product_id and x.product_id not in self.products}
        if missing:
            self.products.update((p.pk, p) for p in Product._base_manager.filter(pk__in=missing).only("sku", "name"))
        for x in batch:
            x.customer = customers[x.customer_id]
            x.salesperson = self.salespeople.get(x.salesperson_id) if x.salesperson_id else None
            x.product = self.products.get(x.product_id) if x.product_id else None


def _shown(fact: Fact, f: LedgerFilter) -> bool:
    return (not f.product_id or fact.product_id == f.product_id) and (not f.kind or fact.kind == f.kind)


# --- Excel ------------------------------------------------------------------------------------------------


def write_workbook(target, rows: Iterable[LedgerRow], *, title: str, exported_by: str, progress=None) -> int:
    """Write the ledger with XlsxWriter in constant-memory mode (flat memory however big, rows
    streamed to disk as they come): a title line, the frozen header, the rows. ``target`` is a path
    or a binary file. Returns the row count."""
    import xlsxwriter

    from salesdesk.core.exports import safe_cell

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("销售明细账")
    sheet.freeze_panes(2, 0)  # A3
    for col, width in enumerate((11, 12, 28, 10, 12, 22, 10, 12, 14, 12, 8, 18, 14, 14, 14)):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, title + " · 导出人 / exported by: " + exported_by)
    bold = book.add_format({"bold": True, "bg_color": "#E7EEF7", "pattern": 1})
    for col, text in enumerate(HEADERS):
        sheet.write_string(1, col, text, bold)
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    price = book.add_format({"num_format": "#,##0.00####"})
    write_number, write_string, write_datetime = sheet.write_number, sheet.write_string, sheet.write_datetime
    combine, midnight = datetime.combine, datetime.min.time()
    r = 2
    for row in rows:
        for i, v in enumerate(row.values()):
            if v is None:
                continue
            if i == 0:
                write_datetime(r, 0, combine(v, midnight), day)
            elif isinstance(v, Decimal):
                write_number(r, i, float(v), money if i != 7 else price)
            elif isinstance(v, str):
                if v:
                    write_string(r, i, safe_cell(v))
            elif isinstance(v, int | float):
                write_number(r, i, v)
            else:
                write_string(r, i, str(v))
        r += 1
        if progress and (r - 2) % BATCH == 0:
            progress(r - 2)
    book.close()
    return r - 2


def export_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / "ledger"


def new_token() -> str:
    return secrets.token_hex(16)


def export_path(token: str) -> Path:
    return export_folder() / f"{token}.xlsx"
