"""P2 — receivables aging and a customer statement, against ONE hand-written SQL query each on the same
database.

- Aging: ``finance.receivables.aging`` over every customer the general manager sees, as of today, by
  days past due — what the aging page and ``GET /api/v1/receivables/aging`` call. The reference
  reproduces the rules of ``receivables.build_ledger`` in one statement: counted receivables
  (shipped and booked by the day), each reduced first by its own recorded write-offs; credit pools
  per (customer, order) — allocations and returns of the order, write-offs beyond their receivable —
  and per customer (order NULL: receipts and refunds, less all allocations, plus opening advances,
  returns without an order); each pool matched to its group's receivables oldest first (due date,
  empty due dates last, dispatch date, id) with a running sum (window function); what is left of a
  positive pool, or a negative pool as it is, is the customer's advance; buckets by days past due.
  Rows, totals, overdue, every bucket and the advances are checked equal to the fen, per customer.
- Statement: ``finance.statements.statement_for`` of the customer with the most statement facts,
  for the last complete month and for the twelve months ending with it — what the statement page
  and ``GET /api/v1/customers/{id}/statement`` call. The reference gives opening balance, debits,
  credits, closing, the number of entries and the invoiced total in one statement (facts by
  accounting date — the business date, or the first day of the later month a fact was booked into —
  grouped per source document).

Goal: ratio ≤ 1.5 for each."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from bench.common import Result, median_ms, ratio_result

GOAL = 1.5
BUCKET_EDGES = ((0, "not_due"), (30, "1-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))


def _fen(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def _vendor_sql() -> dict[str, str]:
    """The few expressions SQLite and PostgreSQL spell differently."""
    if connection.vendor == "postgresql":
        return {"days": "(%(day)s::date - r.due_on)", "month": "to_char(business_date, 'YYYY-MM')",
                "first": "to_date(period || '-01', 'YYYY-MM-DD')", "day": "%(day)s::date"}
    return {"days": "CAST(julianday(%(day)s) - julianday(r.due_on) AS INTEGER)", "month": "substr(business_date, 1, 7)",
            "first": "(period || '-01')", "day": "%(day)s"}


# --- aging ------------------------------------------------------------------------------------------


def aging_sql() -> str:
    v = _vendor_sql()
    buckets = []
    lower = None
    for upper, name in BUCKET_EDGES:
        if name == "not_due":
            cond = "(o.days IS NULL OR o.days <= 0)"
        else:
            cond = f"o.days > {lower} AND o.days <= {upper}"
        buckets.append(f"SUM(CASE WHEN {cond} THEN o.open ELSE 0 END) AS \"{name}\"")
        lower = upper
    buckets.append(f"SUM(CASE WHEN o.days > {lower} THEN o.open ELSE 0 END) AS \">365\"")
    return f"""
WITH rc AS (  -- receivables counted as of the day
    SELECT r.id, r.customer_id, COALESCE(r.order_id, 0) AS ok, r.amount, r.due_on, r.shipped_on, {v['days']} AS days
    FROM finance_receivable r WHERE r.shipped_on <= %(day)s AND r.period <= %(month)s
), wo AS (  -- recorded write-offs per receivable
    SELECT w.receivable_id, SUM(w.amount) AS total FROM finance_writeoff w
    WHERE w.status = 'recorded' AND w.recorded_on <= %(day)s GROUP BY w.receivable_id
), items AS (  -- a write-off first reduces its own receivable
    SELECT rc.*, rc.amount - CASE WHEN wo.total IS NULL THEN 0 WHEN wo.total < rc.amount THEN wo.total ELSE rc.amount END AS net
    FROM rc LEFT JOIN wo ON wo.receivable_id = rc.id
), credits AS (  -- what each (customer, order) pool holds; ok = 0: the customer's unallocated money
    SELECT customer_id, order_id AS ok, amount FROM finance_allocation WHERE created_at < %(end)s
    UNION ALL SELECT customer_id, 0, -amount FROM finance_allocation WHERE created_at < %(end)s
    UNION ALL SELECT customer_id, COALESCE(order_id, 0), -amount FROM ledger_fact
        WHERE kind = 'returned' AND business_date <= %(day)s AND period <= %(month)s
    UNION ALL SELECT customer_id, 0, amount FROM ledger_fact
        WHERE kind IN ('received', 'refunded') AND business_date <= %(day)s AND period <= %(month)s
    UNION ALL SELECT customer_id, 0, amount FROM finance_openingbalance WHERE kind = 'advance' AND as_of <= %(day)s
    UNION ALL SELECT r.customer_id, COALESCE(r.order_id, 0),
        wo.total - CASE WHEN r.shipped_on <= %(day)s AND r.period <= %(month)s
                        THEN (CASE WHEN wo.total < r.amount THEN wo.total ELSE r.amount END) ELSE 0 END
        FROM wo JOIN finance_receivable r ON r.id = wo.receivable_id
), pools AS (
    SELECT customer_id, ok, SUM(amount) AS pool FROM credits GROUP BY customer_id, ok
), ranked AS (  -- matched oldest first: what the earlier receivables of the group took
    SELECT i.customer_id, i.days, i.net, COALESCE(p.pool, 0) AS pool,
           SUM(i.net) OVER (PARTITION BY i.customer_id, i.ok
                            ORDER BY (CASE WHEN i.due_on IS NULL THEN 1 ELSE 0 END), i.due_on, i.shipped_on, i.id
                            ROWS UNBOUNDED PRECEDING) - i.net AS before
    FROM items i LEFT JOIN pools p ON p.customer_id = i.customer_id AND p.ok = i.ok
), o AS (
    SELECT customer_id, days,
           net - CASE WHEN pool - before <= 0 THEN 0 WHEN pool - before >= net THEN net ELSE pool - before END AS open
    FROM ranked
), gsum AS (
    SELECT customer_id, ok, SUM(net) AS a FROM items GROUP BY customer_id, ok
), adv AS (  -- what is left of each pool: a negative pool as it is, a positive one beyond its receivables
    SELECT p.customer_id,
           SUM(CASE WHEN p.pool <= 0 THEN p.pool WHEN p.pool > COALESCE(g.a, 0) THEN p.pool - COALESCE(g.a, 0) ELSE 0 END) AS advance
    FROM pools p LEFT JOIN gsum g ON g.customer_id = p.customer_id AND g.ok = p.ok GROUP BY p.customer_id
), pc AS (
    SELECT o.customer_id, SUM(o.open) AS total, SUM(CASE WHEN o.days > 0 THEN o.open ELSE 0 END) AS overdue, {', '.join(buckets)}
    FROM o WHERE o.open > 0 GROUP BY o.customer_id
)
SELECT pc.*, COALESCE(adv.advance, 0) AS advance FROM pc LEFT JOIN adv ON adv.customer_id = pc.customer_id"""


AGING_COLUMNS = ("customer_id", "total", "overdue", "not_due", "1-30", "31-60", "61-90", "91-180", "181-365", ">365", "advance")


def aging_reference(day: date) -> list[tuple]:
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    params = {"day": day, "month": f"{day:%Y-%m}", "end": connection.ops.adapt_datetimefield_value(end)}
    with connection.cursor() as cur:
        cur.execute(aging_sql(), params)
        return cur.fetchall()


def check_aging(report, ref: list[tuple]) -> str:
    """'' when every customer's row (total, overdue, buckets, advance) equals the reference's to the fen."""
    ours = {r.customer_id: (_fen(r.total), _fen(r.overdue), *(_fen(r.by_bucket[b]) for b in AGING_COLUMNS[3:10]),
                            _fen(r.advance)) for r in report.rows}
    theirs = {row[0]: tuple(int(x or 0) for x in row[1:]) for row in ref}
    diffs = []
    if set(ours) != set(theirs):
        diffs.append(f"customers: ours {len(ours)} ≠ sql {len(theirs)}")
    for cid in sorted(set(ours) & set(theirs)):
        if ours[cid] != theirs[cid]:
            diffs.append(f"customer {cid}: ours {ours[cid]} ≠ sql {theirs[cid]}")
            break
    t = report.totals
    total_ours = (_fen(t.total), _fen(t.overdue), _fen(t.advance))
    total_sql = tuple(sum(v[i] for v in theirs.values()) for i in (0, 1, 9))
    if total_ours != total_sql:
        diffs.append(f"totals (open, overdue, advance): ours {total_ours} ≠ sql {total_sql}")
    return "; ".join(diffs)


# --- statement --------------------------------------------------------------------------------------

BALANCE_SIGNS = {"opening": 1, "shipped": 1, "returned": 1, "received": -1, "refunded": -1, "written_off": -1}
INVOICE_KINDS = ("invoiced", "credited")


def statement_sql() -> str:
    v = _vendor_sql()
    sign = "CASE kind " + " ".join(f"WHEN '{k}' THEN {s}" for k, s in BALANCE_SIGNS.items()) + " ELSE 0 END"
    kinds = ", ".join(f"'{k}'" for k in (*BALANCE_SIGNS, *INVOICE_KINDS))
    invoice = ", ".join(f"'{k}'" for k in INVOICE_KINDS)
    return f"""
WITH f AS (  -- the customer's facts by accounting date
    SELECT kind, source_kind, source_id, amount, {sign} AS sign,
           CASE WHEN {v['month']} = period THEN business_date ELSE {v['first']} END AS on_day
    FROM ledger_fact WHERE customer_id = %(customer)s AND kind IN ({kinds}) AND business_date <= %(end)s
), docs AS (  -- one entry per source document and accounting day
    SELECT kind, SUM(sign * amount) AS effect, SUM(amount) AS total FROM f
    WHERE on_day >= %(start)s AND on_day <= %(end)s GROUP BY kind, source_kind, source_id, on_day
)
SELECT (SELECT COALESCE(SUM(sign * amount), 0) FROM f WHERE on_day < %(start)s) AS opening,
       COALESCE(SUM(CASE WHEN effect > 0 THEN effect ELSE 0 END), 0) AS debits,
       COALESCE(SUM(CASE WHEN effect < 0 THEN -effect ELSE 0 END), 0) AS credits,
       SUM(CASE WHEN kind NOT IN ({invoice}) AND effect <> 0 THEN 1 ELSE 0 END) AS entries,
       COALESCE(SUM(CASE WHEN kind IN ({invoice}) THEN total ELSE 0 END), 0) AS invoiced,
       SUM(CASE WHEN kind IN ({invoice}) THEN 1 ELSE 0 END) AS invoices
FROM docs"""


def statement_reference(customer_id: int, start: date, end: date) -> tuple:
    with connection.cursor() as cur:
        cur.execute(statement_sql(), {"customer": customer_id, "start": start, "end": end})
        return cur.fetchone()


def check_statement(figures, ref: tuple) -> str:
    opening, debits, credits, entries, invoiced, invoices = (int(x or 0) for x in ref)
    ours = (_fen(figures.opening_balance), _fen(figures.debits), _fen(figures.credits), len(figures.entries),
            _fen(figures.invoiced), len(figures.invoices))
    theirs = (opening, debits, credits, entries, invoiced, invoices)
    if _fen(figures.closing_balance) != opening + debits - credits:
        return f"closing: ours {_fen(figures.closing_balance)} ≠ sql {opening + debits - credits}"
    return "" if ours == theirs else f"(opening, debits, credits, entries, invoiced, invoices): ours {ours} ≠ sql {theirs}"


def busiest_customer() -> int:
    kinds = ", ".join(f"'{k}'" for k in (*BALANCE_SIGNS, *INVOICE_KINDS))
    with connection.cursor() as cur:
        cur.execute(f"SELECT customer_id FROM ledger_fact WHERE kind IN ({kinds}) GROUP BY customer_id "
                    "ORDER BY COUNT(*) DESC, customer_id LIMIT 1")
        return cur.fetchone()[0]


def statement_periods(today: date) -> list[tuple[str, date, date]]:
    """The last complete month, and the twelve months ending with it."""
    end = today.replace(day=1) - timedelta(days=1)
    month_start = end.replace(day=1)
    year_start = date(end.year - 1, end.month, 1) + timedelta(days=31)
    year_start = year_start.replace(day=1)
    return [("month", month_start, end), ("year", year_start, end)]


# --- the measure ------------------------------------------------------------------------------------


def measures(target, *, quick: bool = False) -> list[Result]:
    from salesdesk.customers.models import Customer
    from salesdesk.finance import receivables, statements
    from salesdesk.org.models import User

    gm = User.objects.filter(groups__name="general_manager", is_active=True).order_by("id").first()
    today = timezone.localdate()
    out: list[Result] = []

    ours_ms, report = median_ms(lambda: receivables.aging(Customer.objects.visible_to(gm), as_of=today, basis="due"))
    ref_ms, ref = median_ms(lambda: aging_reference(today))
    mismatch = check_aging(report, ref)
    result = ratio_result("P2 aging, all customers", ours_ms, ref_ms, GOAL, rows=len(report.rows), backend=target.backend,
                          note=mismatch or f"open {report.totals.total:,.2f}, overdue {report.totals.overdue:,.2f}; "
                                          f"{len(ref)} customers owing, totals equal to the fen")
    if mismatch:
        result.met = False
    out.append(result)

    customer_id = busiest_customer()
    for label, start, end in statement_periods(today):
        ours_ms, figures = median_ms(lambda s=start, e=end: statements.statement_for(customer_id, s, e))
        ref_ms, ref = median_ms(lambda s=start, e=end: statement_reference(customer_id, s, e))
        mismatch = check_statement(figures, ref)
        result = ratio_result(f"P2 statement, busiest customer, {label}", ours_ms, ref_ms, GOAL,
                              rows=len(figures.entries) + len(figures.invoices), backend=target.backend,
                              note=mismatch or f"customer {customer_id} {start}…{end}: closing {figures.closing_balance:,.2f}, "
                                               f"{len(figures.entries)} entries, totals equal to the fen")
        if mismatch:
            result.met = False
        out.append(result)
    return out
