"""The sales report grouped by customer, product or category as the API's JSON, written row by row from
the query's tuples.

A year grouped by customer has about 90,000 rows, a day by product about a thousand. Building each as
``Figures`` and ``ReportRow`` objects, then as a dict, then as JSON took longer than the query itself
(docs/performance.md, issue 11). This path reads the same figures, pending money, new customers and labels
as ``queries.sales_report`` (the same queries), keeps each row as one tuple of integers, sorts and ranks
the tuples as ``queries._rank_and_sort`` does, and writes each row with one %-format of a fixed template.
The totals are written by ``json_out.row_out`` from a ``ReportRow``, like every other report's.

Money is written as ``"%.2f" % (fen / 100)``: exact for any amount below ``EXACT_FEN`` (a float holds such
a value to well under half a fen), which a property test holds equal to ``json_out._yuan``. A report with
a larger figure, or by product or category when 业绩 is received money (which has no product), is written
by the general path. Tests hold the whole document equal to ``report_json(sales_report(…))`` on both
backends."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from datetime import date
from itertools import chain
from json.encoder import encode_basestring as quoted
from operator import itemgetter

import orjson

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
    _fetch,
    _labels,
    company_target,
    figures_query,
    new_customers,
    pending_received,
    sales_report,
    targets,
)

EXACT_FEN = 10**15  # 10 trillion yuan: "%.2f" % (fen / 100) is exact below it (a float's error is < 0.002 fen)

_AMOUNTS = b",".join(b'"%s_amount":"%%.2f"' % m.encode() for m in REPORTED)
_GOODS_AMOUNTS = b",".join(b'"%s_amount":"%%.2f"' % m.encode() for m in REPORTED[:3]) + b',"received_amount":null'
# one period's figures (json_out._figures_of) and one row (json_out.row_out's keys in its order) as %-formats
BLOCK = b"{" + _AMOUNTS + b',"performance_amount":"%.2f"}'
GOODS_BLOCK = b"{" + _GOODS_AMOUNTS + b',"performance_amount":"%.2f"}'
ZERO_BLOCK, GOODS_ZERO_BLOCK = BLOCK % ((0.0,) * 5), GOODS_BLOCK % ((0.0,) * 4)
_REST = (b'"target_amount":null,"performance_amount":"%.2f","completion_rate":null,"rank":%d,"previous":%s,'
         b'"last_year":%s,"previous_growth_rate":%s,"last_year_growth_rate":%s}')
ROW = (b',{"key":%s,"label":%s,"detail":%s,' + _AMOUNTS + b',"pending_received_amount":"%.2f","new_customers":%d,'
       + _REST)
GOODS_ROW = (b',{"key":%s,"label":%s,"detail":%s,' + _GOODS_AMOUNTS + b',"pending_received_amount":null,'
             b'"new_customers":null,' + _REST)
GROUPINGS = frozenset({"customer", *GOODS_GROUPINGS})


def _rate(current: int, before: int) -> bytes:
    if not before:
        return b"null"
    return b'"%s"' % growth_text(current, before).encode()


def row_bytes(key: int | None, label: str, detail: str, f: tuple[int, ...], m: int, pending: int, created: bool,
              rank: int) -> bytes:
    """``json_out.row_out`` of a customer's row as JSON after a comma: ``f`` holds the 12 figures in fen
    (current, previous, last year × ordered, shipped, invoiced, received), ``m`` the index of the 业绩
    measure among the four, ``pending`` the pending money in fen. Every amount is below ``EXACT_FEN``."""
    perf, before, year_before = f[m], f[4 + m], f[8 + m]
    return ROW % (  # JSON strings by json's C encoder: orjson.dumps costs µs a call
        b"null" if key is None else b"%d" % key, quoted(label).encode(), quoted(detail).encode(),
        f[0] / 100, f[1] / 100, f[2] / 100, f[3] / 100, pending / 100, created, perf / 100, rank,
        BLOCK % (f[4] / 100, f[5] / 100, f[6] / 100, f[7] / 100, before / 100) if any(f[4:8]) else ZERO_BLOCK,
        BLOCK % (f[8] / 100, f[9] / 100, f[10] / 100, f[11] / 100, year_before / 100) if any(f[8:]) else ZERO_BLOCK,
        _rate(perf, before), _rate(perf, year_before),
    )


def goods_row_bytes(key: int | None, label: str, detail: str, f: tuple[int, ...], m: int, rank: int) -> bytes:
    """``row_bytes`` of a product's or category's row: ``f`` holds 9 figures (current, previous, last year ×
    ordered, shipped, invoiced); received money, pending money and new customers are null."""
    perf, before, year_before = f[m], f[3 + m], f[6 + m]
    return GOODS_ROW % (
        b"null" if key is None else b"%d" % key, quoted(label).encode(), quoted(detail).encode(),
        f[0] / 100, f[1] / 100, f[2] / 100, perf / 100, rank,
        GOODS_BLOCK % (f[3] / 100, f[4] / 100, f[5] / 100, before / 100) if any(f[3:6]) else GOODS_ZERO_BLOCK,
        GOODS_BLOCK % (f[6] / 100, f[7] / 100, f[8] / 100, year_before / 100) if any(f[6:]) else GOODS_ZERO_BLOCK,
        _rate(perf, before), _rate(perf, year_before),
    )


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
    fetched = _fetch(sql, params)
    none_label = NONE_LABELS[group_by]
    m = REPORTED.index(measure)
    # one row: (−业绩, label, key, figures in fen: current, previous, last year × ordered, shipped, invoiced
    # (and received but by product or category), detail)
    table = [(-figures[m], r[1] or none_label, r[0] or None, figures, r[2] or "")
             for r in fetched for figures in (columns(r),)]
    pending: dict = {}
    created: dict = {}
    unlabelled = {r[0] for r in fetched if r[1] is None} - {0, None}  # labels not joined (a day's customers)
    if not goods:
        pending = {key: int(amount * 100) for key, amount in pending_received(user, period, group_by).items()}
        created = new_customers(user, period, group_by)  # {customer: 1}
        zeros = (0,) * 12
        missing = (pending.keys() | created.keys()) - set(map(itemgetter(2), table))
        table += [(0, none_label, key, zeros, "") for key in missing]
        unlabelled |= missing
    if unlabelled:
        labels, details = _labels(user, group_by, unlabelled, {}, {})
        table = [(t[0], labels.get(t[2]) or none_label, t[2], t[3], details.get(t[2]) or "") if t[2] in unlabelled
                 else t for t in table]
    _sort(table)
    n = 3 * width
    flat = list(chain.from_iterable(t[3] for t in table))
    columns_of = [flat[i::n] for i in range(n)] if flat else [[0]] * n
    if max(map(max, columns_of)) >= EXACT_FEN or -min(map(min, columns_of)) >= EXACT_FEN \
            or any(abs(v) >= EXACT_FEN for v in pending.values()):
        return None

    out, rank, previous_value = [], 0, None
    for position, (minus, label, key, figures, detail) in enumerate(table, start=1):
        if minus != previous_value:
            previous_value, rank = minus, position
        if goods:
            out.append(goods_row_bytes(key, label, detail, figures, m, rank))
        else:
            out.append(row_bytes(key, label, detail, figures, m, pending.get(key, 0), key in created, rank))
    sums = [sum(column) for column in columns_of]
    if goods:
        current, previous, last_year = (Figures(*sums[i:i + 3], None) for i in (0, 3, 6))
    else:
        current, previous, last_year = (Figures(*sums[i:i + 4]) for i in (0, 4, 8))
    totals = ReportRow(
        key=None, label="合计", measure=measure, is_total=True, current=current, previous=previous,
        last_year=last_year, pending_received=None if goods else from_fen(sum(pending.values())),
        new_customers=None if goods else sum(created.values()), target=company_target(targets(user, period), scope))
    if out:
        out[0] = out[0][1:]  # each row is written after a comma
    return b"".join((orjson.dumps(head_out(head))[:-1], b',"rows":[', *out, b'],"totals":', orjson.dumps(row_out(totals)),
                     b"}"))
