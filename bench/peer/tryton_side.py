"""The Tryton side of measure P7, run by the Tryton virtualenv's python (``var/bench/tryton-venv``), never by
ours: it imports only trytond/proteus and the standard library. bench/peer/run.py drives it:

    python tryton_side.py setup --config CONF --database DB --first-year 2023 --last-year 2027
        modules installed (trytond-admin, run before by run.py), then the company in CNY with one rate
        of 1.0 dated in the past, fiscal years with monthly periods and invoice sequences, a chart.
    python tryton_side.py load --config CONF --database DB --dir DIR
        customers.csv, products.csv through the ORM; sales.csv + lines.csv bulk SQL into sale_sale /
        sale_line as the ORM would fill them; a few sales read back through the ORM to check the amounts.
    python tryton_side.py time --config CONF --database DB --periods JSON --runs 5
        search + read of sale.reporting.customer and sale.reporting.product per period, as the client
        does (one transaction per call with the admin's preference context); prints one JSON object:
        {"customer": {"month": {"ms": median, "runs": [...], "groups": n, "total": "…", "by_key": {code: "…"}}}}.
    python tryton_side.py serve --config CONF --database DB --runs 5
        the same timing, one request per stdin line ({"report", "from", "to"}), one answer per stdout line:
        what run.py uses, to alternate Tryton's and our timings.

Everything it prints besides that JSON goes to stderr."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import statistics
import sys
import time
from decimal import Decimal

FIELDS = {"customer": ["customer", "number", "revenue", "currency"],
          "product": ["product", "number", "revenue", "currency"]}
MODELS = {"customer": "sale.reporting.customer", "product": "sale.reporting.product"}
BATCH = 1000
PRODUCT_BATCH = 40  # trytond checks unique codes with one OR per row: more nests too deep for SQLite


def log(*args) -> None:
    print("[tryton]", *args, file=sys.stderr, flush=True)


def _pool(config: str, database: str):
    from trytond.config import config as tconfig

    tconfig.update_etc(config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(database)
    with Transaction().start(database, 0, readonly=True):
        pool.init()
    return pool


def _admin_context(pool, database: str) -> tuple[int, dict]:
    from trytond.transaction import Transaction

    with Transaction().start(database, 0, readonly=True):
        User = pool.get("res.user")
        admin, = User.search([("login", "=", "admin")])
        admin_id = admin.id
    with Transaction().start(database, admin_id, readonly=True):
        context = pool.get("res.user").get_preferences(context_only=True)
    return admin_id, context


# --- setup: company, currency and rate, fiscal years, chart ------------------------------------------


def setup(args) -> None:
    from proteus import Model
    from proteus import config as pconfig

    pconfig.set_trytond(args.database, config_file=args.config)
    from trytond.modules.account.tests.tools import create_chart, create_fiscalyear
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.currency.tests.tools import get_currency

    started = time.perf_counter()
    cny = get_currency("CNY")
    Rate = Model.get("currency.currency.rate")
    if not Rate.find([("currency", "=", cny.id)]):
        # the sale reports inner-join the currency rates: no rate, no rows
        Rate(currency=cny, date=dt.date(2000, 1, 1), rate=Decimal("1.0")).save()
    Company = Model.get("company.company")
    if not Company.find([]):
        Party = Model.get("party.party")
        party = Party(name="SalesDesk Bench Co.")
        party.save()
        create_company(party=party, currency=cny)
    company = get_company()
    FiscalYear = Model.get("account.fiscalyear")
    for year in range(args.first_year, args.last_year + 1):
        if FiscalYear.find([("name", "=", str(year))]):
            continue
        fy = create_fiscalyear(company, (dt.date(year, 1, 1), dt.date(year, 12, 31)))
        fy.name = str(year)
        fy.move_sequence.name = str(year)
        fy.move_sequence.save()
        fy = set_fiscalyear_invoice_sequences(fy)
        fy.save()
        fy.click("create_period")
    if not Model.get("account.account").find([]):
        create_chart(company)
    log(f"company, CNY rate 1.0, fiscal years {args.first_year}–{args.last_year} and chart in "
        f"{time.perf_counter() - started:.1f} s")


# --- load: masters through the ORM, sales by bulk SQL --------------------------------------------------


def _rows(path: str):
    with open(path, newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def load(args) -> None:
    from trytond.transaction import Transaction

    pool = _pool(args.config, args.database)
    admin_id, context = _admin_context(pool, args.database)
    timings = {}

    started = time.perf_counter()
    with Transaction().start(args.database, admin_id, context=context) as transaction:
        Party = pool.get("party.party")
        batch: list[dict] = []
        for row in _rows(os.path.join(args.dir, "customers.csv")):
            batch.append({"name": row["name"], "code": row["code"],
                          "addresses": [("create", [{"street_unstructured": row.get("address") or ""}])]})
            if len(batch) >= BATCH:
                Party.create(batch)
                batch = []
        if batch:
            Party.create(batch)
        transaction.commit()
    timings["customers_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    with Transaction().start(args.database, admin_id, context=context) as transaction:
        Template = pool.get("product.template")
        Uom = pool.get("product.uom")
        unit, = Uom.search([("symbol", "=", "u")], limit=1)
        batch = []
        for row in _rows(os.path.join(args.dir, "products.csv")):
            batch.append({"name": row["name"], "code": row["sku"], "type": "goods", "salable": True,
                          "default_uom": unit.id, "sale_uom": unit.id, "list_price": Decimal(row["price"]),
                          "products": [("create", [{}])]})
            if len(batch) >= PRODUCT_BATCH:
                Template.create(batch)
                batch = []
        if batch:
            Template.create(batch)
        transaction.commit()
    timings["products_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    counts = _load_sales(pool, args, admin_id, context, unit.id)
    timings["sales_s"] = round(time.perf_counter() - started, 1)
    timings.update(counts)
    _check_sales(pool, args, admin_id, context)
    print(json.dumps(timings))


def _load_sales(pool, args, admin_id: int, context: dict, unit_id: int) -> dict:
    from trytond.transaction import Transaction

    with Transaction().start(args.database, admin_id, context=context) as transaction:
        cursor = transaction.connection.cursor()
        company_id = context["company"]
        cursor.execute(f"SELECT currency FROM company_company WHERE id = {int(company_id)}")
        currency_id = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM stock_location WHERE type = 'warehouse' ORDER BY id LIMIT 1")
        warehouse_id = cursor.fetchone()[0]
        cursor.execute("SELECT code, id FROM party_party WHERE code IS NOT NULL")
        parties = dict(cursor.fetchall())
        cursor.execute("SELECT party, MIN(id) FROM party_address GROUP BY party")
        addresses = dict(cursor.fetchall())
        cursor.execute("SELECT t.code, p.id FROM product_product p JOIN product_template t ON t.id = p.template "
                       "WHERE t.code IS NOT NULL")
        products = dict(cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM sale_sale")
        next_sale = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM sale_line")
        next_line = cursor.fetchone()[0] + 1
        now = dt.datetime.now()

        sale_ids: dict[str, int] = {}
        sales = []
        for row in _rows(os.path.join(args.dir, "sales.csv")):
            party = parties[row["customer"]]
            address = addresses[party]
            state = row["state"]
            amount = Decimal(row["amount"])
            cached = amount if state in ("processing", "done") else None  # the ORM caches closed-ish sales only
            sale_ids[row["key"]] = sid = next_sale
            next_sale += 1
            sales.append((sid, company_id, currency_id, party, address, address, row["number"], row["reference"],
                          row["date"], row["date"], state, "order", "order",
                          "paid" if state == "done" else ("pending" if state == "processing" else "none"),
                          "sent" if state == "done" else ("waiting" if state == "processing" else "none"),
                          warehouse_id, False, False, cached, Decimal(0) if cached is not None else None, cached,
                          now, admin_id))
        sale_columns = ("id", "company", "currency", "party", "invoice_address", "shipment_address", "number",
                        "reference", "sale_date", "quotation_date", "state", "invoice_method", "shipment_method",
                        "invoice_state", "shipment_state", "warehouse", "to_invoice", "to_ship",
                        "untaxed_amount_cache", "tax_amount_cache", "total_amount_cache", "create_date",
                        "create_uid")

        lines = []
        for row in _rows(os.path.join(args.dir, "lines.csv")):
            quantity = float(row["quantity"])
            actual = quantity if row["state"] in ("processing", "done") else None
            lines.append((next_line, sale_ids[row["key"]], int(row["sequence"]), "line", products[row["product"]],
                          quantity, actual, unit_id, Decimal(row["unit_price"]), row["description"], now, admin_id))
            next_line += 1
        line_columns = ("id", "sale", "sequence", "type", "product", "quantity", "actual_quantity", "unit",
                        "unit_price", "description", "create_date", "create_uid")
        _bulk_insert(transaction, cursor, "sale_sale", sale_columns, sales)
        _bulk_insert(transaction, cursor, "sale_line", line_columns, lines)
        _reset_sequence(transaction, cursor, "sale_sale")
        _reset_sequence(transaction, cursor, "sale_line")
        if _is_postgresql(transaction):
            cursor.execute("ANALYZE sale_sale")
            cursor.execute("ANALYZE sale_line")
        else:
            cursor.execute("ANALYZE")
        transaction.commit()
    log(f"{len(sales):,} sales, {len(lines):,} lines bulk-inserted")
    return {"sales": len(sales), "lines": len(lines), "customers": len(parties), "products": len(products)}


def _is_postgresql(transaction) -> bool:
    from trytond import backend

    return backend.name == "postgresql"


def _bulk_insert(transaction, cursor, table: str, columns: tuple, rows: list) -> None:
    if not rows:
        return
    if _is_postgresql(transaction):
        raw = transaction.connection.cursor()
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["?"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    raw = transaction.connection.cursor()
    for start in range(0, len(rows), 50_000):
        raw.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows[start:start + 50_000]])


def _sqlite_value(value):
    if isinstance(value, Decimal):
        return str(value)  # trytond's SQLite backend stores Numeric as text and reads Decimal back
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _reset_sequence(transaction, cursor, table: str) -> None:
    if _is_postgresql(transaction):
        cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")
    # SQLite: INTEGER PRIMARY KEY takes MAX(id) + 1 by itself


def _check_sales(pool, args, admin_id: int, context: dict) -> None:
    """Read a few sales back through the ORM: their amounts must be the CSV's."""
    from trytond.transaction import Transaction

    expected = {}
    for row in _rows(os.path.join(args.dir, "sales.csv")):
        expected[row["number"]] = Decimal(row["amount"])
    sample = sorted(expected)[:: max(1, len(expected) // 5)][:5]
    with Transaction().start(args.database, admin_id, context=context, readonly=True):
        Sale = pool.get("sale.sale")
        for sale in Sale.search([("number", "in", sample)]):
            got = sale.untaxed_amount
            lines = sum((line.amount for line in sale.lines), Decimal(0))
            if got != expected[sale.number] or lines != expected[sale.number]:
                raise SystemExit(f"sale {sale.number}: ORM reads {got} (lines {lines}), loaded {expected[sale.number]}")
    log(f"read back {len(sample)} sales through the ORM: amounts match")


# --- time: the reports as the client reads them ----------------------------------------------------------


def time_reports(args) -> None:
    pool = _pool(args.config, args.database)
    admin_id, context = _admin_context(pool, args.database)
    out: dict = {}
    for report in MODELS:
        if args.only and report not in args.only.split(","):
            continue
        out[report] = {name: _time_one(pool, args.database, admin_id, context, report, start, end, args.runs)
                       for name, (start, end) in json.loads(args.periods).items()}
    print(json.dumps(out))


def serve(args) -> None:
    """One request a line on stdin — {"report": "customer", "from": "2025-06-01", "to": "2025-06-30"} — one
    JSON answer a line on stdout, so that run.py can time Tryton and ours alternately, side by side."""
    pool = _pool(args.config, args.database)
    admin_id, context = _admin_context(pool, args.database)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        answer = _time_one(pool, args.database, admin_id, context, req["report"], req["from"], req["to"], args.runs)
        print(json.dumps(answer), flush=True)


def _time_one(pool, database: str, admin_id: int, context: dict, report: str, start: str, end: str,
              runs: int) -> dict:
    from trytond.transaction import Transaction

    model_name = MODELS[report]
    ctx = dict(context, from_date=dt.date.fromisoformat(start), to_date=dt.date.fromisoformat(end), period="month")
    searched: list[float] = []

    def call():
        with Transaction().start(database, admin_id, context=ctx, readonly=True):
            Model = pool.get(model_name)
            began = time.perf_counter()
            ids = [r.id for r in Model.search([])]
            searched.append((time.perf_counter() - began) * 1000)
            return Model.read(ids, FIELDS[report])

    rows = call()  # warm-up
    searched.clear()
    times = []
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        rows = call()
        times.append((time.perf_counter() - began) * 1000)
    log(f"{model_name} {start}…{end}: {statistics.median(times):.0f} ms, {len(rows)} groups")
    return {"ms": statistics.median(times), "runs": [round(t, 2) for t in times],
            "search_ms": round(statistics.median(searched), 2), "groups": len(rows),
            **_keyed(pool, database, admin_id, context, report, rows)}


def _keyed(pool, database: str, admin_id: int, context: dict, report: str, rows: list[dict]) -> dict:
    """The revenue per customer code / product code (our customer code / SKU) and the grand total."""
    from trytond.transaction import Transaction

    ids = [r[report] for r in rows]
    with Transaction().start(database, admin_id, context=context, readonly=True):
        if report == "customer":
            codes = {p.id: p.code for p in pool.get("party.party").browse(ids)}
        else:
            codes = {p.id: p.code for p in pool.get("product.product").browse(ids)}
    by_key: dict[str, Decimal] = {}
    for r in rows:
        key = codes.get(r[report], str(r[report]))
        by_key[key] = by_key.get(key, Decimal(0)) + Decimal(str(r["revenue"]))
    return {"total": str(sum(by_key.values(), Decimal(0))), "by_key": {k: str(v) for k, v in by_key.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tryton_side")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("setup", "load", "time", "serve"):
        p = sub.add_parser(name)
        p.add_argument("--config", required=True)
        p.add_argument("--database", required=True)
        if name == "setup":
            p.add_argument("--first-year", type=int, required=True)
            p.add_argument("--last-year", type=int, required=True)
        elif name == "load":
            p.add_argument("--dir", required=True)
        else:
            if name == "time":
                p.add_argument("--periods", required=True, help='{"month": ["2025-06-01", "2025-06-30"], …}')
                p.add_argument("--only", default="")
            p.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    {"setup": setup, "load": load, "time": time_reports, "serve": serve}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
