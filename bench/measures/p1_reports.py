"""P1 — the sales report for every period × grouping, through the API code path, against ONE hand-written
SQL query over the raw facts giving the same figures: ordered, shipped, invoiced and received per group for
the period, the previous period and the same period last year, with each group's label.

"The API code path" is ``reports.api.sales_json``: what ``GET /api/v1/reports/sales`` runs once the
caller is authenticated, the report's queries and its JSON document, called in-process for a general
manager like the reference's query on the same connection. What HTTP adds before any report (session,
user, permission, middleware) is printed beside it as the request floor, ``GET /api/v1/me`` through
Django's test client, and each measure notes the whole request's time through the client; neither is in
the ratio, as connecting is not in the reference's.

Goal: ratio ≤ 1.0 for month, quarter and year (roll-ups beat the raw scan); ≤ 1.5 for day and five-day
(those read facts through the date index, like the reference). Each pair is checked to give the same
totals to the fen; a mismatch fails the measure."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test import Client

from bench.common import Result, median_ms, ratio_result
from salesdesk.ledger.choices import MEASURES
from salesdesk.reports.periods import report_period

KINDS = ("day", "five_day", "month", "quarter", "year")
GROUPINGS = ("salesperson", "customer", "product", "category", "region", "team")
GOALS = {"day": 1.5, "five_day": 1.5, "month": 1.0, "quarter": 1.0, "year": 1.0}
QUICK_GROUPINGS = ("salesperson", "customer", "product")

# grouping → (key expression, joins, label expression)
_GROUP_SQL = {
    "salesperson": ("f.salesperson_id", "LEFT JOIN org_user u ON u.id = f.salesperson_id", "MAX(u.name)"),
    "customer": ("f.customer_id", "JOIN customers_customer c ON c.id = f.customer_id", "MAX(c.name)"),
    "product": ("f.product_id", "LEFT JOIN catalog_product p ON p.id = f.product_id", "MAX(p.name)"),
    "category": ("p.category_id", "LEFT JOIN catalog_product p ON p.id = f.product_id "
                 "LEFT JOIN catalog_category g ON g.id = p.category_id", "MAX(g.name)"),
    "region": ("c.region", "JOIN customers_customer c ON c.id = f.customer_id", "c.region"),
    "team": ("f.team_id", "LEFT JOIN org_salesteam t ON t.id = f.team_id", "MAX(t.name)"),
}


def _kinds(measure: str) -> str:
    return ", ".join(f"'{k}'" for k in sorted(str(x) for x in MEASURES[measure]))


def reference_sql(group_by: str) -> str:
    key, joins, label = _GROUP_SQL[group_by]
    sums = []
    for tag in ("cur", "prev", "ly"):
        for measure in ("ordered", "shipped", "invoiced", "received"):
            sums.append(f"SUM(CASE WHEN f.business_date BETWEEN %({tag}_s)s AND %({tag}_e)s AND f.kind IN ({_kinds(measure)}) "
                        f"THEN f.amount ELSE 0 END) AS {tag}_{measure}")
    return (f"SELECT {key} AS k, {label} AS label, {', '.join(sums)} FROM ledger_fact f {joins} "
            "WHERE (f.business_date BETWEEN %(cur_s)s AND %(cur_e)s OR f.business_date BETWEEN %(prev_s)s AND %(prev_e)s "
            "OR f.business_date BETWEEN %(ly_s)s AND %(ly_e)s) "
            f"GROUP BY {key}")


def reference(group_by: str, kind: str, day: date) -> list[tuple]:
    period = report_period(kind, day)
    prev, ly = period.previous(), period.last_year()
    params = {"cur_s": period.start, "cur_e": period.end, "prev_s": prev.start, "prev_e": prev.end,
              "ly_s": ly.start, "ly_e": ly.end}
    with connection.cursor() as cur:
        cur.execute(reference_sql(group_by), params)
        return cur.fetchall()


def _fen(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def check_totals(api: dict, ref: list[tuple]) -> str:
    """'' when the API's totals equal the reference's (fen), else what differs."""
    totals = api["totals"]
    diffs = []
    for i, measure in enumerate(("ordered", "shipped", "invoiced", "received")):
        ours = totals.get(f"{measure}_amount")
        if ours is None:  # received by product/category is null by design
            continue
        theirs = sum(int(r[2 + i] or 0) for r in ref)  # stored as integer fen
        if _fen(ours) != theirs:
            diffs.append(f"{measure}: ours {_fen(ours)} ≠ sql {theirs}")
    return "; ".join(diffs)


def busiest_day() -> date:
    """A day whose periods are fully populated: mid-June of the last complete year of data."""
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(business_date) FROM ledger_fact")
        last = cur.fetchone()[0]
    last = date.fromisoformat(str(last)[:10])
    return date(last.year - 1, 6, 17)


def measures(target, *, quick: bool = False) -> list[Result]:
    from salesdesk.org.models import User
    from salesdesk.reports.api import sales_json

    gm = User.objects.filter(groups__name="general_manager", is_active=True).order_by("id").first()
    client = Client()
    client.force_login(gm)
    out: list[Result] = []
    floor_ms, _ = median_ms(lambda: client.get("/api/v1/me"))
    out.append(Result(name="P1 request floor: GET /api/v1/me", ours_ms=round(floor_ms, 2), reference_ms=None, goal="—",
                      met=None, backend=target.backend,
                      note="what every API request pays before any report (session, user, middleware): informational"))
    day = busiest_day()
    for kind in KINDS:
        for group_by in QUICK_GROUPINGS if quick else GROUPINGS:
            ours_ms, document = median_ms(lambda k=kind, g=group_by: sales_json(gm, k, day, g))
            url = f"/api/v1/reports/sales?period={kind}&date={day:%Y-%m-%d}&group_by={group_by}"
            http_ms, response = median_ms(lambda u=url: client.get(u), runs=3)
            assert response.status_code == 200, response.content[:500]
            body = json.loads(document)  # the client's work, outside the timing (the reference's rows are not parsed either)
            ref_ms, ref = median_ms(lambda gb=group_by, k=kind, d=day: reference(gb, k, d))
            mismatch = check_totals(body, ref)
            if response.content != document:
                mismatch = "; ".join(filter(None, [mismatch, "the HTTP answer differs from sales_json"]))
            result = ratio_result(f"P1 {kind} by {group_by}", ours_ms, ref_ms, GOALS[kind], rows=len(body["rows"]),
                                  backend=target.backend, note=mismatch or f"whole request through the test client: {http_ms:.1f} ms")
            result.extra["http_ms"] = round(http_ms, 2)
            if mismatch:
                result.met = False
            out.append(result)
    return out
