"""The Tryton side of measure P7, run by the Tryton virtualenv's python (``var/bench/tryton-venv``), never by
ours: it imports only trytond/proteus and the standard library. bench/peer/run.py drives it:

    python tryton_side.py setup --config CONF --database DB --first-year 2023 --last-year 2027
        modules installed (trytond-admin, run before by run.py), then the company in CNY with one rate
        of 1.0 dated in the past, fiscal years with monthly periods and invoice sequences, a chart.
    python tryton_side.py load --config CONF --database DB --dir DIR
        the first customer and the first product through the ORM, the others as copies of the rows the ORM
        wrote for those (bulk SQL); sales.csv + lines.csv streamed by bulk SQL into sale_sale / sale_line as
        the ORM would leave them; then Tryton's ORM counts the sales and reads a sample back, and the
        lines' amounts must add up to the export's total. Prints one JSON object of timings and counts.
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
import re
import statistics
import sys
import time
from contextlib import contextmanager
from decimal import Decimal

FIELDS = {"customer": ["customer", "number", "revenue", "currency"],
          "product": ["product", "number", "revenue", "currency"]}
MODELS = {"customer": "sale.reporting.customer", "product": "sale.reporting.product"}


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


# --- load: one customer and one product through the ORM, the rest and the sales by bulk SQL -------------
#
# Tryton's ORM creates a party at ≈ 10–20 ms (100k customers: 15–30 min), so only the FIRST customer and
# the FIRST product go through it — the "probes". Every other one is a copy of its probe's rows, in every
# table the ORM wrote for it (party_party + its address + the multi-value rows the defaults create:
# party_party_lang, _account, _location, _payment_term, …; product_template + product_product +
# product_list_price, product_cost_price_method, product_cost_price, …), with only the customer's or
# product's own values changed (name, code and the code's derived columns, address, list price). Sales and
# their lines go in as the ORM would leave confirmed / processing / done sales. Everything streams from the
# CSV files: nothing holds the 2 M lines at once.

CHUNK = 20_000
SQLITE_CACHE_KB = 1_000_000  # 1 GB at most, taken only as the load fills it (the 2 M-line twin: ≈ 0.5 GB)


def _csv(path: str):
    """The rows of a CSV file after its header, as lists (csv.reader: DictReader costs 2× at 2 M lines)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        yield from reader


def _bulk_session(transaction) -> None:
    """SQLite only. (1) One transaction for real: trytond shares one sqlite3 connection per database, and
    ``Cache.sync`` at each transaction's start takes it with ``autocommit=True`` (isolation_level None) — with
    the bench's ``clean_timeout = 0`` every start does — so every INSERT was committed on its own (12 page
    writes per sale line; the 200k-line load wrote 5.8 GB for a 40 MB file). (2) A page cache big enough
    for the tables and indexes being filled, so that nothing spills to the WAL half-way."""
    if _is_postgresql(transaction):
        return
    connection = transaction.connection
    if not connection.in_transaction:
        connection.isolation_level = "IMMEDIATE"  # BEGIN IMMEDIATE before the first write, as trytond meant
    connection.cursor().execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")


def load(args) -> None:
    from trytond.transaction import Transaction

    pool = _pool(args.config, args.database)
    admin_id, context = _admin_context(pool, args.database)
    timings: dict = {}

    started = time.perf_counter()
    with Transaction().start(args.database, admin_id, context=context) as transaction:
        _bulk_session(transaction)
        timings["customers"] = _load_customers(pool, transaction, os.path.join(args.dir, "customers.csv"))
        transaction.commit()
    timings["customers_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    with Transaction().start(args.database, admin_id, context=context) as transaction:
        _bulk_session(transaction)
        unit_id, timings["products"] = _load_products(pool, transaction, os.path.join(args.dir, "products.csv"))
        transaction.commit()
    timings["products_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    counts = _load_sales(pool, args, admin_id, context, unit_id)
    timings["sales_s"] = round(time.perf_counter() - started, 1)
    timings.update(counts)
    started = time.perf_counter()
    _check_sales(pool, args, admin_id, context, counts)
    timings["check_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(timings))


def _load_customers(pool, transaction, path: str) -> int:
    rows = _csv(path)  # id, code, name, address
    first = next(rows, None)
    if first is None:
        return 0
    Party = pool.get("party.party")
    probe, = Party.create([_party_values(first)])  # the ORM fills every table a new party touches
    cursor = transaction.connection.cursor()
    codes = _clone(transaction, cursor, "party_party", "id", probe.id,
                   ((_party_overrides(code, name), code) for _id, code, name, _address in rows))
    streets = {codes[code]: address or "" for _id, code, _name, address in _csv(path) if code in codes}
    # the address and every multi-value row of the probe, once per new party (the address with its street)
    for table in _tables_with(transaction, cursor, "party", prefix="party_", skip={"party_party"}):
        _clone(transaction, cursor, table, "party", probe.id,
               ((({"party": pid, "street_unstructured": street} if table == "party_address" else {"party": pid}), None)
                for pid, street in streets.items()))
    return 1 + len(codes)


def _party_values(row: list[str]) -> dict:
    _id, code, name, address = row
    return {"name": name, "code": code, "addresses": [("create", [{"street_unstructured": address or ""}])]}


def _party_overrides(code: str, name: str) -> dict:
    """What trytond's party.party writes for a code (party.py: code_alnum, code_digit)."""
    try:
        digit = int(re.sub(r"\D", "", code or "")[-18:])
    except ValueError:
        digit = None
    return {"name": name, "code": code, "code_alnum": re.sub(r"[\W_]", "", code), "code_digit": digit}


def _load_products(pool, transaction, path: str) -> tuple[int, int]:
    Uom = pool.get("product.uom")
    unit, = Uom.search([("symbol", "=", "u")], limit=1)
    rows = _csv(path)  # id, sku, name, price
    first = next(rows, None)
    if first is None:
        return unit.id, 0
    Template = pool.get("product.template")
    _id, sku, name, price = first
    probe, = Template.create([{"name": name, "code": sku, "type": "goods", "salable": True, "default_uom": unit.id,
                               "sale_uom": unit.id, "list_price": Decimal(price), "products": [("create", [{}])]}])
    probe_product = probe.products[0].id
    cursor = transaction.connection.cursor()
    rest = [(sku, name, Decimal(price)) for _id, sku, name, price in rows]
    templates = _clone(transaction, cursor, "product_template", "id", probe.id,
                       (({"name": name, "code": sku}, sku) for sku, name, _price in rest))
    prices = {sku: price for sku, _name, price in rest}
    products = _clone(transaction, cursor, "product_product", "template", probe.id,
                      (({"template": tid, "code": sku}, sku) for sku, tid in templates.items()))
    for table in _tables_with(transaction, cursor, "template", prefix="product_", skip={"product_product"}):
        _clone(transaction, cursor, table, "template", probe.id,
               ((({"template": tid, "list_price": prices[sku]} if table == "product_list_price" else {"template": tid}),
                 None) for sku, tid in templates.items()))
    for table in _tables_with(transaction, cursor, "product", prefix="product_", skip=set()):
        _clone(transaction, cursor, table, "product", probe_product,
               (({"product": pid}, None) for pid in products.values()))
    return unit.id, 1 + len(products)


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(f'SELECT * FROM "{table}" WHERE 1 = 0')
    return [d[0] for d in cursor.description]


def _tables_with(transaction, cursor, column: str, *, prefix: str, skip: set[str]) -> list[str]:
    """The tables of the probe's module (``prefix``) having ``column``, a Many2One to the probe's table."""
    if _is_postgresql(transaction):
        cursor.execute("SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                       "AND column_name = %s ORDER BY table_name", (column,))
        tables = [t for t, in cursor.fetchall()]
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        tables = [t for t, in cursor.fetchall() if column in _columns(cursor, t)]
    return [t for t in tables if t.startswith(prefix) and t not in skip]


def _clone(transaction, cursor, table: str, by: str, probe_id: int, copies) -> dict:
    """Insert, for each (overrides, key) of ``copies``, a copy of every row of ``table`` whose ``by`` column is
    ``probe_id`` with ``overrides`` applied (ids from the table's own sequence). Returns {key: new id} for the
    copies with a key (their ids read back; ``by`` must then be ``id``)."""
    param = "%s" if _is_postgresql(transaction) else "?"
    cursor.execute(f'SELECT * FROM "{table}" WHERE "{by}" = {param} ORDER BY id', (probe_id,))
    columns = [d[0] for d in cursor.description]
    probes = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if not probes:
        return {}
    columns = [c for c in columns if c != "id"]
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
    before = cursor.fetchone()[0]
    keys: list = []

    def rows():
        for overrides, k in copies:
            if k is not None:
                keys.append(k)
            for probe in probes:
                values = {**probe, **overrides}
                yield tuple(values[c] for c in columns)

    _bulk_insert(transaction, cursor, table, tuple(columns), rows())
    if not keys:
        return {}
    cursor.execute(f'SELECT id FROM "{table}" WHERE id > {int(before)} ORDER BY id')
    ids = [i for i, in cursor.fetchall()]
    if len(ids) != len(keys):
        raise SystemExit(f"{table}: {len(ids)} rows inserted for {len(keys)} copies")
    return dict(zip(keys, ids, strict=True))


SALE_COLUMNS = ("id", "company", "currency", "party", "invoice_address", "shipment_address", "number", "reference",
                "sale_date", "quotation_date", "state", "invoice_method", "shipment_method", "invoice_state",
                "shipment_state", "warehouse", "to_invoice", "to_ship", "untaxed_amount_cache", "tax_amount_cache",
                "total_amount_cache", "create_date", "create_uid")
LINE_COLUMNS = ("sale", "sequence", "type", "product", "quantity", "actual_quantity", "unit", "unit_price",
                "description", "create_date", "create_uid")
INVOICE_STATE = {"done": "paid", "processing": "pending"}
SHIPMENT_STATE = {"done": "sent", "processing": "waiting"}


def _load_sales(pool, args, admin_id: int, context: dict, unit_id: int) -> dict:
    from trytond.transaction import Transaction

    with Transaction().start(args.database, admin_id, context=context) as transaction:
        _bulk_session(transaction)
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
        first_sale = cursor.fetchone()[0] + 1
        now = dt.datetime.now()
        postgresql = _is_postgresql(transaction)
        sale_ids: dict[str, int] = {}
        total = [Decimal(0)]

        def sales():
            next_id = first_sale
            for key, customer, number, reference, day, state, amount in _csv(os.path.join(args.dir, "sales.csv")):
                party = parties[customer]
                address = addresses[party]
                amount = Decimal(amount)
                total[0] += amount
                cached = amount if state in ("processing", "done") else None  # the ORM caches closed-ish sales only
                sale_ids[key] = next_id
                yield (next_id, company_id, currency_id, party, address, address, number, reference, day, day, state,
                       "order", "order", INVOICE_STATE.get(state, "none"), SHIPMENT_STATE.get(state, "none"),
                       warehouse_id, False, False, _num(cached, postgresql), None if cached is None else 0,
                       _num(cached, postgresql), now, admin_id)
                next_id += 1

        def lines():
            for key, state, sequence, product, quantity, unit_price, description in _csv(
                    os.path.join(args.dir, "lines.csv")):
                quantity = float(quantity)
                yield (sale_ids[key], int(sequence), "line", products[product], quantity,
                       quantity if state in ("processing", "done") else None, unit_id, unit_price, description, now,
                       admin_id)

        n_sales = _bulk_insert(transaction, cursor, "sale_sale", SALE_COLUMNS, sales())
        n_lines = _bulk_insert(transaction, cursor, "sale_line", LINE_COLUMNS, lines())
        _reset_sequence(transaction, cursor, "sale_sale")
        cursor.execute("ANALYZE" if not postgresql else "ANALYZE sale_sale")
        if postgresql:
            for table in ("sale_line", "party_party", "party_address", "product_product", "product_template"):
                cursor.execute(f"ANALYZE {table}")
        transaction.commit()
    log(f"{n_sales:,} sales, {n_lines:,} lines bulk-inserted")
    return {"sales": n_sales, "lines": n_lines, "customers": len(parties), "products": len(products),
            "first_sale": first_sale, "sales_total": str(total[0])}


def _num(value: Decimal | None, postgresql: bool):
    """A Numeric for the bulk insert: as is for PostgreSQL's COPY; as text on SQLite (stored with the column's
    NUMERIC affinity; trytond's converter reads it back as Decimal)."""
    if value is None or postgresql:
        return value
    return str(value)


def _is_postgresql(transaction) -> bool:
    from trytond import backend

    return backend.name == "postgresql"


def _bulk_insert(transaction, cursor, table: str, columns: tuple, rows) -> int:
    """Stream ``rows`` (any iterable) into ``table``: COPY on PostgreSQL, executemany in chunks on SQLite."""
    count = 0
    quoted = ", ".join(f'"{c}"' for c in columns)
    if _is_postgresql(transaction):
        raw = transaction.connection.cursor()
        with _foreign_keys_checked_after(raw, table), raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(["?"] * len(columns))})'
    raw = transaction.connection.cursor()
    chunk: list = []
    for row in rows:  # Decimal, date and datetime: trytond's sqlite3 adapters store them as the ORM does
        chunk.append(row)
        if len(chunk) >= CHUNK:
            raw.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        raw.executemany(sql, chunk)
        count += len(chunk)
    return count


@contextmanager
def _foreign_keys_checked_after(cursor, table: str):
    """PostgreSQL: the table's foreign keys dropped for the COPY and added back — the same names and
    definitions — after it, so that they are checked in one pass per key instead of by a trigger per row
    (two thirds of the insert's time, measured on sale_line). The twin is then exactly as constrained as
    before; a load that fails half-way leaves no marker, and the next run starts from the template again."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype = 'f' ORDER BY conname", (f'"{table}"',))
    keys = cursor.fetchall()
    for name, _definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    for name, definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _reset_sequence(transaction, cursor, table: str) -> None:
    if _is_postgresql(transaction):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    # SQLite: AUTOINCREMENT follows the largest id inserted


def _check_sales(pool, args, admin_id: int, context: dict, counts: dict) -> None:
    """The load is consistent when (1) Tryton's ORM counts the loaded sales and reads a sample of them — spread
    over the whole file, returns included — with the amounts of the export, line by line; and (2) the lines
    in the database add up, to the fen, to the export's grand total (what Tryton's reports sum)."""
    from trytond.transaction import Transaction

    step = max(1, counts["sales"] // 25)
    expected = {}
    for i, (_key, _customer, number, _ref, _day, _state, amount) in enumerate(_csv(os.path.join(args.dir, "sales.csv"))):
        if i % step == 0 or i == counts["sales"] - 1:
            expected[number] = Decimal(amount)
    with Transaction().start(args.database, admin_id, context=context, readonly=True) as transaction:
        Sale = pool.get("sale.sale")
        loaded = Sale.search_count([("id", ">=", counts["first_sale"])])
        if loaded != counts["sales"]:
            raise SystemExit(f"Tryton's ORM counts {loaded} sales, {counts['sales']} were loaded")
        sample = Sale.search([("number", "in", list(expected))])
        if len(sample) != len(expected):
            raise SystemExit(f"Tryton's ORM finds {len(sample)} of the {len(expected)} sampled sales")
        for sale in sample:
            got = sale.untaxed_amount
            lines = sum((line.amount for line in sale.lines), Decimal(0))
            if got != expected[sale.number] or lines != expected[sale.number]:
                raise SystemExit(f"sale {sale.number}: ORM reads {got} (lines {lines}), loaded {expected[sale.number]}")
        cursor = transaction.connection.cursor()
        amount = ("CAST(COALESCE(l.actual_quantity, l.quantity) AS NUMERIC) * l.unit_price"
                  if _is_postgresql(transaction) else "COALESCE(l.actual_quantity, l.quantity) * l.unit_price")
        cursor.execute(f"SELECT COUNT(*), SUM(ROUND({amount} * 100)) FROM sale_line l JOIN sale_sale s ON s.id = l.sale "
                       f"WHERE s.id >= {int(counts['first_sale'])} AND s.state IN ('confirmed', 'processing', 'done')")
        n_lines, fen = cursor.fetchone()
    total = Decimal(int(fen or 0)).scaleb(-2)
    if n_lines != counts["lines"] or total != Decimal(counts["sales_total"]):
        raise SystemExit(f"sale lines in Tryton: {n_lines} adding up to {total}; loaded {counts['lines']} adding up "
                         f"to {counts['sales_total']}")
    log(f"ORM: {loaded:,} sales, a sample of {len(sample)} read back with the export's amounts; "
        f"{n_lines:,} lines add up to {total} as exported")


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


LONG_MS = 10_000


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

    began = time.perf_counter()
    rows = call()  # warm-up
    warm_up_ms = (time.perf_counter() - began) * 1000
    searched.clear()
    times = []
    # A read that takes more than LONG_MS (Tryton's year by customer at 2M lines: minutes) is timed once more
    # after the warm-up instead of five times: the machine's noise is then a small part of it.
    for _ in range(runs if warm_up_ms < LONG_MS else 1):
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
