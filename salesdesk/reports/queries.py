"""The period sales reports (销售日报、五日报、月报、季报、年报) as GROUP BY queries.

``sales_report(user, kind, day, group_by)`` answers, for the period of ``kind`` containing ``day``
and one row per salesperson, customer, product, category, region or team: ordered, shipped,
invoiced and received amounts (含税), money recorded but not yet confirmed (待确认回款), new
customers, the target and its completion in the company's 业绩 measure, the rank, and the same
figures for the previous period (环比) and the same period last year (同比).

Where figures come from (DESIGN.md, "The ledger"):

- day and five-day read ``RollupDay`` when grouped by salesperson or team, otherwise ``Fact`` through its
  date index (``business_date`` range), GROUP BY in SQL;
- month, quarter and year read the month roll-ups: ``RollupMonthCustomer`` when grouped by
  salesperson, customer, region or team; by product or category ``RollupMonthProductAll`` for those who
  see every salesperson and ``RollupMonthProduct`` (per salesperson) for the others;
- pending money reads ``finance.Payment`` rows still ``pending`` by their ``received_on`` date, per the
  customer's salesperson; new customers are ``customers.Customer`` rows created in the period, per
  their salesperson; targets are ``team.SalesTarget`` months.

Money carries no product: grouped by product or category the received and pending amounts and new
customers are *not applicable* and come back as ``None`` (the API's ``null``), rows and totals alike;
goods facts without a product are not in those rows either (the product roll-up has no place for
them). Targets exist per salesperson and per team: other rows carry none, and their totals carry the
company's target (or, for a salesperson or manager, the sum of the visible salespeople's targets).
Day and five-day targets are the month target prorated by days.

Visibility: every source is narrowed to ``salesperson_scope(user)`` (roll-ups and facts by their
salesperson, payments and new customers by the customer's salesperson), so a salesperson sees their
own rows, a manager their team's, and the totals are the totals of those rows. Grouped by salesperson,
every visible active salesperson has a row, zeros included.

The number of queries does not depend on the number of rows: one for the figures of all three periods,
one for pending money, one for new customers, one for targets, one for labels (and the company
profile)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter

from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from salesdesk.catalog.models import Category, Product
from salesdesk.core.lib.collection import collection_paused
from salesdesk.core.lib.money import from_fen
from salesdesk.customers.models import Customer
from salesdesk.finance.choices import PaymentKind, PaymentStatus
from salesdesk.finance.models import Payment
from salesdesk.ledger.choices import MEASURES
from salesdesk.ledger.models import Fact, RollupDay, RollupMonthCustomer, RollupMonthProduct, RollupMonthProductAll
from salesdesk.org.models import CompanyProfile, SalesTeam, User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope
from salesdesk.team.models import SalesTarget, TargetScope

from .periods import ReportPeriod, growth, prorate, rate, report_period

ZERO = Decimal("0.00")

# group_by → its label (the first column of the table)
GROUPINGS: dict[str, str] = {
    "salesperson": "业务员", "customer": "客户", "product": "产品", "category": "产品类别", "region": "区域",
    "team": "团队",
}
GOODS_GROUPINGS = frozenset({"product", "category"})  # money is not per product: received is n/a
TARGET_GROUPINGS = frozenset({"salesperson", "team"})  # targets exist for these rows
REPORTED = ("ordered", "shipped", "invoiced", "received")  # the measures of a row, MEASURES' names
PERFORMANCE_MEASURES = ("ordered", "shipped", "received")  # org.CompanyProfile.performance_measure
NO_REGION = "（未设区域）"
NONE_LABELS = {"salesperson": "（无业务员）", "team": "（无团队）", "category": "（未分类）", "customer": "（无客户）",
               "product": "（无产品）"}


@dataclass(slots=True)
class Figures:
    """Amounts of one row in one period (含税), held as integer fen as the database sums them: a report of
    90,000 customers builds 270,000 of these, and each becomes a Decimal only when it is read.
    ``received_fen`` is None where money has no place (grouped by product or category)."""

    ordered_fen: int = 0
    shipped_fen: int = 0
    invoiced_fen: int = 0
    received_fen: int | None = 0

    @property
    def ordered(self) -> Decimal:
        return from_fen(self.ordered_fen)

    @property
    def shipped(self) -> Decimal:
        return from_fen(self.shipped_fen)

    @property
    def invoiced(self) -> Decimal:
        return from_fen(self.invoiced_fen)

    @property
    def received(self) -> Decimal | None:
        return None if self.received_fen is None else from_fen(self.received_fen)

    def measure(self, name: str) -> Decimal | None:
        return getattr(self, name)


# measure name → its amount in fen: FEN["ordered"](figures) is figures.ordered_fen
FEN = {name: attrgetter(f"{name}_fen") for name in REPORTED}
EMPTY = Figures()
EMPTY_GOODS = Figures(received_fen=None)


@dataclass(slots=True)
class ReportRow:
    """One row of a report (or its totals, ``key`` None and ``is_total`` set)."""

    key: int | str | None
    label: str
    current: Figures
    previous: Figures
    last_year: Figures
    measure: str  # the company's 业绩 measure: ordered, shipped or received
    pending_received: Decimal | None = ZERO
    new_customers: int | None = 0
    target: Decimal | None = None
    rank: int | None = None
    detail: str = ""  # a second line: the salesperson's team, the customer's code, the product's SKU
    is_total: bool = False

    @property
    def performance(self) -> Decimal | None:
        """The row's 业绩 in the company's measure."""
        return self.current.measure(self.measure)

    @property
    def completion_rate(self) -> Decimal | None:
        """业绩 ÷ target, 4 decimals; None without a target."""
        return rate(self.performance, self.target)

    @property
    def previous_performance(self) -> Decimal | None:
        return self.previous.measure(self.measure)

    @property
    def last_year_performance(self) -> Decimal | None:
        return self.last_year.measure(self.measure)

    @property
    def previous_growth(self) -> Decimal | None:  # 环比
        return growth(self.performance, self.previous_performance)

    @property
    def last_year_growth(self) -> Decimal | None:  # 同比
        return growth(self.performance, self.last_year_performance)

    # the API names of the current figures
    @property
    def ordered_amount(self) -> Decimal:
        return self.current.ordered

    @property
    def shipped_amount(self) -> Decimal:
        return self.current.shipped

    @property
    def invoiced_amount(self) -> Decimal:
        return self.current.invoiced

    @property
    def received_amount(self) -> Decimal | None:
        return self.current.received


@dataclass
class ReportHead:
    """What a report says besides its rows: the periods, the grouping and measure, where figures come from."""

    period: ReportPeriod
    previous_period: ReportPeriod
    last_year_period: ReportPeriod
    group_by: str
    measure: str
    time_progress: Decimal  # 时间进度 as of today
    source: str  # "facts" or "rollups": where the figures were read

    @classmethod
    def of(cls, period: ReportPeriod, group_by: str, measure: str, today: date) -> ReportHead:
        return cls(period=period, previous_period=period.previous(), last_year_period=period.last_year(),
                   group_by=group_by, measure=measure, time_progress=period.time_progress(today),
                   source="rollups" if period.reads_rollups else "facts")


@dataclass
class SalesReport(ReportHead):
    rows: list[ReportRow] = field(default_factory=list)
    totals: ReportRow | None = None
    today: date = field(default_factory=timezone.localdate)

    @property
    def group_label(self) -> str:
        return GROUPINGS[self.group_by]

    @property
    def money_applies(self) -> bool:
        """Received and pending money, new customers: not per product."""
        return self.group_by not in GOODS_GROUPINGS


# --- the figures of the periods: one GROUP BY query ----------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where a report's figures are read: the facts or the day roll-up (day, five-day), or a month roll-up."""

    table: str
    date_column: str
    seller: str  # the salesperson column as filtered by the scope
    product_only: bool  # goods groupings read only rows with a product


DAY_ROLLUP_GROUPINGS = frozenset({"salesperson", "team"})  # the day roll-up's dimensions


def _source(group_by: str, rollups: bool, *, scoped: bool) -> _Source:
    goods = group_by in GOODS_GROUPINGS
    if rollups:
        if goods and not scoped:  # every salesperson: the roll-up without them, several times smaller
            return _Source(RollupMonthProductAll._meta.db_table, "month", "", False)
        model = RollupMonthProduct if goods else RollupMonthCustomer
        return _Source(model._meta.db_table, "month", "f.salesperson_id", False)
    if group_by in DAY_ROLLUP_GROUPINGS:  # a day's few rows per salesperson instead of its thousands of facts
        return _Source(RollupDay._meta.db_table, "day", "f.salesperson_id", False)
    # ``salesperson_id + 0``: without table statistics SQLite would otherwise walk a busy salesperson's whole
    # history through the salesperson index instead of the few days through the date index.
    return _Source(Fact._meta.db_table, "business_date", "f.salesperson_id + 0", goods)


# group_by → (the grouped column of the source ``f``, or of the customer or product ``y`` joined to it)
_GROUP_COLUMN = {"salesperson": "f.salesperson_id", "customer": "f.customer_id", "product": "f.product_id",
                 "category": "y.category_id", "region": "y.region", "team": "f.team_id"}


def _parent_join(group_by: str) -> str:
    """Region and category are columns of the customer or product each source row names."""
    if group_by == "region":
        return f"LEFT JOIN {Customer._meta.db_table} y ON y.id = f.customer_id"
    if group_by == "category":
        return f"LEFT JOIN {Product._meta.db_table} y ON y.id = f.product_id"
    return ""


def _label_join(group_by: str, *, rollups: bool) -> tuple[str, str, str]:
    """(JOIN clause on the grouped key ``g.k``, name expression, detail expression) for the groupings
    whose label is a column of another table; ('', NULL, NULL) for the others, and for customers in a day
    or five-day report: for their few hundred keys PostgreSQL would still hash all 100k customers, and
    ``_labels`` reads them by id instead."""
    if group_by == "customer" and rollups:
        return f"LEFT JOIN {Customer._meta.db_table} x ON x.id = g.k", "x.name", "x.code"
    if group_by == "product":
        return f"LEFT JOIN {Product._meta.db_table} x ON x.id = g.k", "x.name", "x.sku"
    if group_by == "category":
        return f"LEFT JOIN {Category._meta.db_table} x ON x.id = g.k", "x.name", "x.code"
    return "", "NULL", "NULL"


def _sum_fen() -> str:
    """The SUM of fen amounts: on PostgreSQL ``bigint_sum`` (ledger migration 0006), whose bigint total is
    integer fen for the driver and is cheap to combine across parallel workers; its own SUM(bigint) answers
    numeric (Decimals) and hands totals between workers as numeric (a year by customer: 990 → 630 ms)."""
    return "bigint_sum" if connection.vendor == "postgresql" else "SUM"


def figures_sql(group_by: str, spans: int, *, rollups: bool, scope_size: int | None) -> tuple[str, list[str]]:
    """The SQL of ``period_figures`` for ``spans`` distinct date spans and the names of its figure columns
    (``p<i>_<measure>``), with placeholders for each span's (start, end) per measure, then each span's
    (start, end) again, then the scope's ids."""
    goods = group_by in GOODS_GROUPINGS
    measures = REPORTED[:3] if goods else REPORTED
    src = _source(group_by, rollups, scoped=scope_size is not None)
    day = f"f.{src.date_column}"
    names, sums, where_spans = [], [], []
    for i in range(spans):
        where_spans.append(f"{day} BETWEEN %s AND %s")
        for m in measures:
            kinds = ", ".join(f"'{k}'" for k in sorted(MEASURES[m]))
            names.append(f"p{i}_{m}")
            sums.append(f"{_sum_fen()}(CASE WHEN {day} BETWEEN %s AND %s AND f.kind IN ({kinds}) THEN f.amount ELSE 0 END)")
    all_kinds = ", ".join(f"'{k}'" for k in _kinds(measures))
    where = [f"({' OR '.join(where_spans)})", f"f.kind IN ({all_kinds})"]
    if scope_size is not None:
        where.append(f"{src.seller} IN ({', '.join(['%s'] * scope_size)})")
    if src.product_only:
        where.append("f.product_id IS NOT NULL")
    column = _GROUP_COLUMN[group_by]
    # every name below is a constant of this module or a model's table: only values are parameters
    inner = (f"SELECT {column} AS k, {', '.join(f'{s} AS {n}' for s, n in zip(sums, names, strict=True))} "  # noqa: S608
             f"FROM {src.table} f {_parent_join(group_by)} WHERE {' AND '.join(where)} GROUP BY {column}")
    join, label, detail = _label_join(group_by, rollups=rollups)
    return (f"SELECT g.k, {label}, {detail}, {', '.join(f'g.{n}' for n in names)} FROM ({inner}) g {join}",  # noqa: S608
            names)


def figures_query(periods: Sequence[ReportPeriod], group_by: str,
                  scope: frozenset[int] | None) -> tuple[str, list, list[int], int]:
    """(SQL, its parameters, each period's span index, figure columns per span) of the figures of
    ``periods``: ``figures_sql`` over their distinct spans."""
    rollups = periods[0].reads_rollups
    own = [(p.first_month, p.end) if rollups else (p.start, p.end) for p in periods]
    spans = list(dict.fromkeys(own))
    sql, names = figures_sql(group_by, len(spans), rollups=rollups, scope_size=None if scope is None else len(scope))
    width = len(names) // len(spans)
    params: list = [bound for span in spans for _ in range(width) for bound in span]
    params += [bound for span in spans for bound in span]
    if scope is not None:
        params += sorted(scope)
    return sql, params, [spans.index(span) for span in own], width


def period_figures(user, periods: Sequence[ReportPeriod], group_by: str) -> tuple[list[dict], dict, dict]:
    """([{key: Figures} per period], {key: label}, {key: detail}) for the rows the user may see: ONE
    GROUP BY query over the facts or the day roll-up (day, five-day) or a month roll-up (month, quarter,
    year) with a conditional sum per period and measure, like the benchmark's reference over the raw facts.
    Periods reading the same span (a year's previous period is the same year last year) are summed once.
    Labels of customers, products and categories come joined to the grouped rows.

    Money stays integer fen; a period without any figure for a row is the shared ``EMPTY`` (most customers
    have figures in one period of three)."""
    scope = salesperson_scope(user)
    goods = group_by in GOODS_GROUPINGS
    out: list[dict] = [{} for _ in periods]
    if scope is not None and not scope:
        return out, {}, {}
    sql, params, where, width = figures_query(periods, group_by, scope)
    spans = max(where) + 1
    labels, details = {}, {}
    empty = EMPTY_GOODS if goods else EMPTY
    zero_is_none = group_by in {"salesperson", "team", "customer", "product"}  # roll-ups store 0 for "none"
    starts = [3 + i * width for i in range(spans)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            key = row[0]
            if zero_is_none and key == 0:
                key = None
            if row[1] is not None:
                labels[key], details[key] = row[1], row[2]
            figures = []
            for j in starts:
                o, s, v = row[j] or 0, row[j + 1] or 0, row[j + 2] or 0
                r = None if goods else row[j + 3] or 0
                figures.append(Figures(o, s, v, r) if o or s or v or r else empty)
            for i, period_out in enumerate(out):
                period_out[key] = figures[where[i]]
    return out, labels, details


def _kinds(measures: Iterable[str]) -> list[str]:
    return sorted(k for m in measures for k in MEASURES[m])


# group_by → the grouped column of a payment's customer ``c`` (and its salesperson ``u``), or of a customer
_CUSTOMER_KEYS = {"salesperson": "c.salesperson_id", "customer": "c.id", "region": "c.region", "team": "u.team_id"}
_SALESPERSON_JOIN = f"LEFT JOIN {User._meta.db_table} u ON u.id = c.salesperson_id"


def _fetch(sql: str, params: Sequence) -> list[tuple]:
    """Rows of one raw query. The report's small queries are written in SQL: built through the ORM each
    cost more than running it (a day report is a handful of them, issue 11)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _among(column: str, ids: Iterable[int]) -> tuple[str, list[int]]:
    """(" AND column IN (…)", its parameters); " AND 1 = 0" for no ids."""
    ids = sorted(ids)
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


def _day_bounds(period: ReportPeriod) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), tz)
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), tz)
    return start, end


def created_between(period: ReportPeriod) -> list:
    """``_day_bounds`` as parameters of a raw query on ``created_at`` (SQLite compares UTC text)."""
    return [connection.ops.adapt_datetimefield_value(bound) for bound in _day_bounds(period)]


def pending_received(user, period: ReportPeriod, group_by: str) -> dict:
    """{key: money recorded and not yet confirmed by finance}, by the payment's ``received_on`` and the
    customer's salesperson; refunds count negative."""
    scope = salesperson_scope(user)
    if scope is not None and not scope:
        return {}
    key = _CUSTOMER_KEYS[group_by]
    sql = (f"SELECT {key}, CAST(SUM(CASE WHEN p.kind = %s THEN p.amount WHEN p.kind = %s THEN -p.amount ELSE 0 END) "  # noqa: S608
           f"AS BIGINT) FROM {Payment._meta.db_table} p JOIN {Customer._meta.db_table} c ON c.id = p.customer_id "
           f"{_SALESPERSON_JOIN if group_by == 'team' else ''} "
           "WHERE p.status = %s AND p.received_on BETWEEN %s AND %s")
    params: list = [PaymentKind.RECEIPT.value, PaymentKind.REFUND.value, PaymentStatus.PENDING.value,
                    period.start, period.end]
    if scope is not None:
        condition, ids = _among("c.salesperson_id", scope)
        sql, params = sql + condition, params + ids
    return {k: from_fen(fen or 0) for k, fen in _fetch(f"{sql} GROUP BY {key}", params)}


def _created_in(user, period: ReportPeriod, columns: str, group_by: str = "customer") -> list[tuple]:
    """``columns`` of the customers created (建档) in the period that the user may see (per their
    salesperson), grouped by ``group_by``'s key."""
    scope = salesperson_scope(user)
    if scope is not None and not scope:
        return []
    sql = (f"SELECT {columns} FROM {Customer._meta.db_table} c {_SALESPERSON_JOIN if group_by == 'team' else ''} "  # noqa: S608
           "WHERE c.created_at >= %s AND c.created_at < %s")
    params = created_between(period)
    if scope is not None:
        condition, ids = _among("c.salesperson_id", scope)
        sql, params = sql + condition, params + ids
    return _fetch(f"{sql} GROUP BY {_CUSTOMER_KEYS[group_by]}", params)


def new_customers(user, period: ReportPeriod, group_by: str) -> dict:
    """{key: customers created (建档) in the period}, per their salesperson."""
    return dict(_created_in(user, period, f"{_CUSTOMER_KEYS[group_by]}, COUNT(*)", group_by))


def new_customer_labels(user, period: ReportPeriod) -> dict[int, tuple[str, str]]:
    """{customer: (name, code)} of ``new_customers`` by customer: the rows of a report by customer that has
    thousands of new customers without a figure are labelled from the same read."""
    return {key: (name, code) for key, name, code in _created_in(user, period, "c.id, c.name, c.code")}


@dataclass(frozen=True)
class Targets:
    salesperson: dict[int, Decimal]
    team: dict[int, Decimal]
    company: Decimal | None


def targets(user, period: ReportPeriod) -> Targets:
    """The sales targets of the months in the period (prorated by days for day and five-day reports)
    the user may see: salespeople in their scope, the teams they see whole (all for those who see
    everything, the teams a manager leads), and the company's. One query."""
    scope = salesperson_scope(user)
    sql = (f"SELECT t.scope, t.salesperson_id, t.team_id, CAST(SUM(t.sales_target) AS BIGINT) "  # noqa: S608
           f"FROM {SalesTarget._meta.db_table} t WHERE t.month BETWEEN %s AND %s")
    params: list = [period.first_month, period.end]
    if scope is not None:  # their salespeople's targets and those of the teams they lead
        led = f"SELECT id FROM {SalesTeam._meta.db_table} WHERE manager_id = %s"  # noqa: S608
        people, ids = _among("t.salesperson_id", scope)
        sql += f" AND ((t.scope = %s{people}) OR (t.scope = %s AND t.team_id IN ({led})))"
        params += [TargetScope.SALESPERSON.value, *ids, TargetScope.TEAM.value, user.pk]
    share = period.month_share()
    by_sp: dict[int, Decimal] = {}
    by_team: dict[int, Decimal] = {}
    company: Decimal | None = None
    for kind, salesperson_id, team_id, total in _fetch(f"{sql} GROUP BY t.scope, t.salesperson_id, t.team_id", params):
        amount = prorate(from_fen(total or 0), share)
        if kind == TargetScope.SALESPERSON:
            by_sp[salesperson_id] = amount
        elif kind == TargetScope.TEAM:
            by_team[team_id] = amount
        else:
            company = amount
    return Targets(by_sp, by_team, company)


# --- labels and the rows every report lists ------------------------------------------------------------


def _labels(user, group_by: str, keys: set, known: dict, known_details: dict) -> tuple[dict, dict]:
    """({key: label}, {key: detail}) for the keys with figures, plus (as keys of the labels) the rows
    that are listed even without figures: every visible active salesperson; every visible team.
    ``known`` holds the labels the figures' query joined (customers, products, categories): only
    keys without one (pending money or new customers of a customer without figures) are read."""
    real = {k for k in keys if k is not None}
    scope = salesperson_scope(user)
    if group_by == "salesperson":  # every visible active salesperson, and those with figures
        sellers = (f"SELECT ug.user_id FROM {User.groups.through._meta.db_table} ug "  # noqa: S608
                   f"JOIN {Group._meta.db_table} g ON g.id = ug.group_id WHERE g.name = %s")
        listed, params = f"(u.is_active = %s AND u.id IN ({sellers})", [True, Role.SALESPERSON.value]
        if scope is not None:
            condition, ids = _among("u.id", scope)
            listed, params = listed + condition, params + ids
        listed += ")"
        if real:
            condition, ids = _among("u.id", real)
            listed, params = f"{listed} OR (1 = 1{condition})", params + ids
        users = _fetch(f"SELECT u.id, u.name, u.first_name, u.last_name, u.username, t.name FROM {User._meta.db_table} u "  # noqa: S608
                       f"LEFT JOIN {SalesTeam._meta.db_table} t ON t.id = u.team_id WHERE {listed}", params)
        # User.display_name without building users
        return ({u[0]: u[1] or f"{u[2]} {u[3]}".strip() or u[4] for u in users}, {u[0]: u[5] or "" for u in users})
    if group_by == "team":  # every team for those who see all; a manager's, their salespeople's, those with figures
        if scope is None:
            listed, params = "1 = 1", []
        else:
            members = f"SELECT team_id FROM {User._meta.db_table} WHERE 1 = 1"  # noqa: S608
            condition, ids = _among("id", scope)
            listed, params = f"t.manager_id = %s OR t.id IN ({members}{condition})", [user.pk, *ids]
        if real:
            condition, ids = _among("t.id", real)
            listed, params = f"{listed} OR (1 = 1{condition})", params + ids
        return dict(_fetch(f"SELECT t.id, t.name FROM {SalesTeam._meta.db_table} t WHERE {listed}", params)), {}  # noqa: S608
    if group_by == "region":  # the key is the label
        return {k: k or NO_REGION for k in real}, {}
    missing = real - known.keys()
    if not missing:
        return known, known_details
    labels, details = dict(known), dict(known_details)
    model, detail = {"customer": (Customer, "code"), "product": (Product, "sku"), "category": (Category, "code")}[group_by]
    condition, param = _any_of(missing)
    with connection.cursor() as cursor:  # thousands of ids: one parameter instead of one placeholder each
        cursor.execute(f"SELECT id, name, {detail} FROM {model._meta.db_table} WHERE id {condition}", [param])  # noqa: S608
        for pk, name, code in cursor.fetchall():
            labels[pk], details[pk] = name, code
    return labels, details


def _any_of(ids: Iterable[int]) -> tuple[str, object]:
    """(SQL condition on one placeholder, its parameter) for "is one of these integer ids"."""
    ids = sorted(ids)
    if connection.vendor == "postgresql":
        return "= ANY(%s)", ids
    return "IN (SELECT value FROM json_each(%s))", json.dumps(ids)


def performance_measure() -> str:
    measure = CompanyProfile.current().performance_measure
    return measure if measure in PERFORMANCE_MEASURES else "ordered"


def _rank_and_sort(rows: list[ReportRow], measure: str) -> None:
    """Sort by 业绩, highest first, then label and key, and give competition ranks (1, 2, 2, 4); rows
    without 业绩 come last and have no rank. One sort on integer fen."""
    fen = FEN[measure]

    def order(row: ReportRow) -> tuple:
        value = fen(row.current)
        return (value is None, -(value or 0), row.label, str(row.key))

    rows.sort(key=order)
    previous_value, previous_rank = None, 0
    for position, row in enumerate(rows, start=1):
        value = fen(row.current)
        if value is None:
            break
        if value != previous_value:
            previous_value, previous_rank = value, position
        row.rank = previous_rank


def sales_report(user, kind: str, day: date, group_by: str, *, measure: str | None = None,
                 today: date | None = None) -> SalesReport:
    """The report of the period of ``kind`` containing ``day``, grouped by ``group_by``, with the rows
    the user may see. ValueError for an unknown kind or grouping (the API and pages validate first)."""
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}")
    period = report_period(kind, day)
    measure = measure or performance_measure()
    with collection_paused():  # tens of thousands of rows without cycles: see salesdesk.core.lib.collection
        return _sales_report(user, period, group_by, measure, today or timezone.localdate())


def _sales_report(user, period: ReportPeriod, group_by: str, measure: str, today: date) -> SalesReport:
    before, last_year = period.previous(), period.last_year()
    goods = group_by in GOODS_GROUPINGS
    empty = EMPTY_GOODS if goods else EMPTY

    (current, previous, last), known, known_details = period_figures(user, (period, before, last_year), group_by)
    pending = {} if goods else pending_received(user, period, group_by)
    created = {} if goods else new_customers(user, period, group_by)
    goals = targets(user, period)
    keys = set(current) | set(pending) | set(created)  # totals = sum of rows; every period has the same keys
    labels, details = _labels(user, group_by, keys, known, known_details)
    keys |= set(labels)

    def target_of(key) -> Decimal | None:
        if group_by == "salesperson":
            return goals.salesperson.get(key)
        if group_by == "team":
            return goals.team.get(key)
        return None

    rows = [
        ReportRow(
            key=key, label=labels.get(key) or NONE_LABELS.get(group_by, str(key)), detail=details.get(key, "") or "",
            current=current.get(key, empty), previous=previous.get(key, empty), last_year=last.get(key, empty),
            measure=measure, pending_received=None if goods else pending.get(key, ZERO),
            new_customers=None if goods else created.get(key, 0), target=target_of(key),
        )
        for key in keys
    ]
    _rank_and_sort(rows, measure)
    totals = _totals(rows, group_by, measure, goals, salesperson_scope(user), empty)
    return SalesReport(**vars(ReportHead.of(period, group_by, measure, today)), rows=rows, totals=totals, today=today)


def _sum(values: Iterable, start):
    values = list(values)
    if any(v is None for v in values):
        return None
    return sum(values, start)


def _sum_figures(figures: list[Figures], empty: Figures) -> Figures:
    """The field-wise sum (one pass per field: thousands of rows summed as Figures objects were slow)."""
    if not figures:
        return empty
    return Figures(sum(f.ordered_fen for f in figures), sum(f.shipped_fen for f in figures),
                   sum(f.invoiced_fen for f in figures),
                   _sum((f.received_fen for f in figures), 0) if empty.received_fen is not None else None)


def company_target(goals: Targets, scope: frozenset[int] | None) -> Decimal | None:
    """The totals' target where rows have none: the company's for those who see everything, the visible
    salespeople's for the others."""
    if scope is None:
        return goals.company
    return sum(goals.salesperson.values(), ZERO) if goals.salesperson else None


def _totals(rows: list[ReportRow], group_by: str, measure: str, goals: Targets, scope, empty: Figures) -> ReportRow:
    """The totals of the rows the user sees. The target: the rows' targets (by salesperson or team);
    otherwise the company's for those who see everything, the visible salespeople's for others."""
    if group_by in TARGET_GROUPINGS:
        row_targets = [r.target for r in rows if r.target is not None]
        target = sum(row_targets, ZERO) if row_targets else None
    else:
        target = company_target(goals, scope)
    goods = group_by in GOODS_GROUPINGS
    return ReportRow(
        key=None, label="合计", measure=measure, is_total=True,
        current=_sum_figures([r.current for r in rows], empty), previous=_sum_figures([r.previous for r in rows], empty),
        last_year=_sum_figures([r.last_year for r in rows], empty),
        pending_received=None if goods else _sum((r.pending_received for r in rows), ZERO),
        new_customers=None if goods else _sum((r.new_customers for r in rows), 0), target=target,
    )

