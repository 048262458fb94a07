"""The sales report grouped by customer, product or category as the API's JSON, written row by row from
the query's tuples.

A year grouped by customer has about 90,000 rows, a day by product about a thousand. Building each as
``Figures`` and ``ReportRow`` objects, then as a dict, then as JSON took longer than the query itself
(docs/performance.md, issue 11). This path reads the same figures, pending money, new customers and labels
as ``queries.sales_report`` (the same queries). It writes each row while the figures arrive
(``core.db.stream_rows``), with %-formats of fixed templates, in two parts around its rank; then sorts and
ranks the rows as ``queries._rank_and_sort`` does and joins the parts once. The totals are summed as the
rows are read and written by ``json_out.row_out`` from a ``ReportRow``, like every other report's.

Money is written as ``"%.2f" % (fen / 100)``: exact for any amount below ``EXACT_FEN`` (a float holds such
a value to well under half a fen), which a property test holds equal to ``json_out._yuan``. A report with
a larger figure, or by product or category when 业绩 is received money (which has no product), is written
by the general path. Tests hold the whole document equal to ``report_json(sales_report(…))`` on both
backends."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from contextlib import closing
from datetime import date
from json.encoder import encode_basestring as quoted
from operator import add, itemgetter

import orjson

from salesdesk.core.db import stream_rows
from salesdesk.core.lib.collection import collection_paused
from salesdesk.core.lib.money import from_fen
from salesdesk.org.visibility import salesperson_scope

from .json_out import head_out, report_json, row_out
from .periods import ReportPeriod, growth_text, report_period
from .queries import (
    GOODS_GROUPINGS,
    NONE_LABELS,
    REPORTED,
    Figures,
    ReportHead,
    ReportRow,
    _labels,
    company_target,
    figures_query,
    new_customer_labels,
    pending_received,
    sales_report,
    targets,
)

EXACT_FEN = 10**15  # 10 trillion yuan: "%.2f" % (fen / 100) is exact below it (a float's error is < 0.002 fen)

_AMOUNTS = b",".join(b'"%s_amount":"%%.2f"' % m.encode() for m in REPORTED)
_GOODS_AMOUNTS = b",".join(b'"%s_amount":"%%.2f"' % m.encode() for m in REPORTED[:3]) + b',"received_amount":null'
# one period's figures (json_out._figures_of) and one row (json_out.row_out's keys in its order) as %-formats;
# a row is written in two parts, before and after its rank, which is known only once every row is read
BLOCK = b"{" + _AMOUNTS + b',"performance_amount":"%.2f"}'
GOODS_BLOCK = b"{" + _GOODS_AMOUNTS + b',"performance_amount":"%.2f"}'
ZERO_BLOCK, GOODS_ZERO_BLOCK = BLOCK % ((0.0,) * 5), GOODS_BLOCK % ((0.0,) * 4)
_UP_TO_RANK = b'"target_amount":null,"performance_amount":"%.2f","completion_rate":null,"rank":'
HEAD = (b'{"key":%s,"label":%s,"detail":%s,' + _AMOUNTS + b',"pending_received_amount":"%.2f","new_customers":%d,'
        + _UP_TO_RANK)
GOODS_HEAD = (b'{"key":%s,"label":%s,"detail":%s,' + _GOODS_AMOUNTS + b',"pending_received_amount":null,'
              b'"new_customers":null,' + _UP_TO_RANK)
TAIL = b',"previous":%s,"last_year":%s,"previous_growth_rate":%s,"last_year_growth_rate":%s}'
GROUPINGS = frozenset({"customer", *GOODS_GROUPINGS})


def _rate(current: int, before: int) -> bytes:
    if not before:
        return b"null"
    return b'"%s"' % growth_text(current, before).encode()


def _names(key: int | None, label: str, detail: str) -> tuple[bytes, bytes, bytes]:
    # JSON strings by json's C encoder: orjson.dumps costs µs a call
    return b"null" if key is None else b"%d" % key, quoted(label).encode(), quoted(detail).encode()


def customer_parts(key: int | None, label: str, detail: str, f: tuple[int, ...], m: int, same: bool, pending: int,
                   created: bool) -> tuple[bytes, bytes]:
    """``json_out.row_out`` of a customer's row as JSON in two parts, before and after its rank's digits: ``f``
    holds the 12 figures in fen (current, previous, last year × ordered, shipped, invoiced, received), ``m``
    the index of the 业绩 measure among the four, ``pending`` the pending money in fen. ``same``: the previous
    period is last year's (a year), written once. Every amount is below ``EXACT_FEN``. Written out figure by
    figure: this runs once per customer while the figures arrive, and has to keep up with them."""
    perf, before = f[m], f[4 + m]
    head = HEAD % (*_names(key, label, detail), f[0] / 100, f[1] / 100, f[2] / 100, f[3] / 100, pending / 100,
                   created, perf / 100)
    previous = (BLOCK % (f[4] / 100, f[5] / 100, f[6] / 100, f[7] / 100, before / 100)
                if f[4] or f[5] or f[6] or f[7] else ZERO_BLOCK)
    growth = _rate(perf, before)
    if same:
        return head, TAIL % (previous, previous, growth, growth)
    year_before = f[8 + m]
    last_year = (BLOCK % (f[8] / 100, f[9] / 100, f[10] / 100, f[11] / 100, year_before / 100)
                 if f[8] or f[9] or f[10] or f[11] else ZERO_BLOCK)
    return head, TAIL % (previous, last_year, growth, _rate(perf, year_before))


def goods_parts(key: int | None, label: str, detail: str, f: tuple[int, ...], m: int, same: bool) -> tuple[bytes, bytes]:
    """``customer_parts`` of a product's or category's row: ``f`` holds 9 figures (current, previous, last year
    × ordered, shipped, invoiced); received money, pending money and new customers are null."""
    perf, before = f[m], f[3 + m]
    head = GOODS_HEAD % (*_names(key, label, detail), f[0] / 100, f[1] / 100, f[2] / 100, perf / 100)
    previous = GOODS_BLOCK % (f[3] / 100, f[4] / 100, f[5] / 100, before / 100) if f[3] or f[4] or f[5] else GOODS_ZERO_BLOCK
    growth = _rate(perf, before)
    if same:
        return head, TAIL % (previous, previous, growth, growth)
    year_before = f[6 + m]
    last_year = (GOODS_BLOCK % (f[6] / 100, f[7] / 100, f[8] / 100, year_before / 100)
                 if f[6] or f[7] or f[8] else GOODS_ZERO_BLOCK)
    return head, TAIL % (previous, last_year, growth, _rate(perf, year_before))


def rows_report_json(user, kind: str, day: date, group_by: str, measure: str, today: date) -> bytes:
    """The API's JSON of the report of ``kind`` containing ``day`` grouped by ``group_by`` (one of
    ``GROUPINGS``), for what ``user`` may see: the same document as
    ``json_out.report_json(sales_report(user, kind, day, group_by))``."""
    with collection_paused():  # a hundred thousand tuples without cycles: see salesdesk.core.lib.collection
        document = _document(user, kind, day, group_by, measure, today)
    return document if document is not None else report_json(sales_report(user, kind, day, group_by,
                                                                             measure=measure, today=today))


def _sort(table: list[tuple]) -> None:
    """Sort rows (−业绩, label, key, …) as queries._rank_and_sort does: by 业绩 alone (a sort on
    integers), then each run of equal 业绩 (most often zero) by label and key."""
    table.sort(key=itemgetter(0))
    values = [row[0] for row in table]
    if len(set(values)) == len(values):
        return
    for value, count in Counter(values).items():
        if count > 1:
            start = bisect_left(values, value)
            table[start:start + count] = sorted(table[start:start + count], key=lambda row: (row[1], str(row[2])))


def _document(user, kind: str, day: date, group_by: str, measure: str, today: date) -> bytes | None:
    goods = group_by in GOODS_GROUPINGS
    if goods and measure == "received":  # no 业绩 by product: no rank, every row last; the general path
        return None
    period = report_period(kind, day)
    head = ReportHead.of(period, group_by, measure, today)
    periods: tuple[ReportPeriod, ...] = (period, head.previous_period, head.last_year_period)
    scope = salesperson_scope(user)
    sql, params, where, width = figures_query(periods, group_by, scope)
    columns = itemgetter(*(3 + where[i] * width + j for i in range(3) for j in range(width)))
    same = where[1] == where[2]  # a year's previous period is last year's
    none_label = NONE_LABELS[group_by]
    m = REPORTED.index(measure)
    pending: dict = {}
    created: dict = {}
    if not goods:  # read first: each row is written while the figures are still arriving
        pending = {key: int(amount * 100) for key, amount in pending_received(user, period, group_by).items()}
        created = new_customer_labels(user, period)  # {customer: (name, code)}
        if any(abs(v) >= EXACT_FEN for v in pending.values()):
            return None

    def parts(key: int | None, label: str, detail: str, figures: tuple[int, ...]) -> tuple[bytes, bytes]:
        if goods:
            return goods_parts(key, label, detail, figures, m, same)
        return customer_parts(key, label, detail, figures, m, same, pending.get(key, 0), key in created)

    # one row: (−业绩, label, key, its JSON before the rank, after it); the figures in fen (current, previous,
    # last year × ordered, shipped, invoiced, and received but by product or category) are only written; a
    # customer of a day or five days has its label read after the figures, and its JSON written then
    table: list[tuple] = []
    unlabelled: list[tuple] = []
    sums = [0] * (3 * width)  # the totals' figures, summed while each row is at hand
    listed: set = set()  # the keys with figures
    with closing(stream_rows(sql, params)) as rows:
        for r in rows:
            figures, key = columns(r), r[0] or None
            if max(figures) >= EXACT_FEN or min(figures) <= -EXACT_FEN:
                return None
            sums = list(map(add, sums, figures))
            listed.add(key)
            if r[1] is None and key is not None:
                unlabelled.append((-figures[m], key, figures))
                continue
            label, detail = r[1] or none_label, r[2] or ""
            table.append((-figures[m], label, key, *parts(key, label, detail, figures)))
    zeros = (0,) * (3 * width)
    for key in created.keys() - listed:  # new customers without a figure, labelled from their own read
        label, detail = created[key][0] or none_label, created[key][1] or ""
        table.append((0, label, key, *parts(key, label, detail, zeros)))
    unlabelled += [(0, key, zeros) for key in pending.keys() - listed - created.keys()]
    if unlabelled:
        labels, details = _labels(user, group_by, {t[1] for t in unlabelled}, {}, {})
        for minus, key, figures in unlabelled:
            label, detail = labels.get(key) or none_label, details.get(key) or ""
            table.append((minus, label, key, *parts(key, label, detail, figures)))
    _sort(table)

    # each row as its parts around the rank, joined once with the rest of the document
    out, rank, previous_value = [], 0, None
    for position, (minus, _label, _key, before_rank, after_rank) in enumerate(table, start=1):
        if minus != previous_value:
            previous_value, rank = minus, position
        out += (b",", before_rank, b"%d" % rank, after_rank)
    if goods:
        current, previous, last_year = (Figures(*sums[i:i + 3], None) for i in (0, 3, 6))
    else:
        current, previous, last_year = (Figures(*sums[i:i + 4]) for i in (0, 4, 8))
    totals = ReportRow(
        key=None, label="合计", measure=measure, is_total=True, current=current, previous=previous,
        last_year=last_year, pending_received=None if goods else from_fen(sum(pending.values())),
        new_customers=None if goods else len(created), target=company_target(targets(user, period), scope))
    out[:1] = [orjson.dumps(head_out(head))[:-1] + b',"rows":[']  # the first row's comma
    out += (b'],"totals":', orjson.dumps(row_out(totals)), b"}")
    return b"".join(out)
