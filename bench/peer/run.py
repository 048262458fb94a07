"""P7 — the peer: Tryton 8.2's sales reports next to ours, on the same data and the same backend.

``measures(target)`` runs in the bench's child process (Django set up against ``target.url``, our bench
data loaded). It

1. makes sure Tryton is installed in its own virtualenv, ``var/bench/tryton-venv``
   (bench/peer/requirements-tryton.txt, with ``uv`` when our venv has it);
2. makes sure a Tryton database on the same backend holds THE SAME customers, products and sales as our
   bench database — a SQLite file ``var/bench/tryton-<lines>.sqlite`` or a PostgreSQL database
   ``<name>_tryton_<lines>`` — loaded once and reused while a ``var/bench/tryton-<backend>-<lines>.json``
   marker says it was loaded from the current load of our data (a template with the modules installed
   and the company set up is kept too: ``tryton-base``);
3. times, in the Tryton venv's own process, ``sale.reporting.customer`` and ``sale.reporting.product``
   (search + read, as the client does) for a month, a quarter and a year, and ours —
   ``salesdesk.reports.queries.sales_report`` with a general manager, serialised as the API does — for
   the same periods, median of 5 warm runs each;
4. checks that both give the same total and the same groups for each period (a mismatch fails the
   measure and is named in its note).

What "the same" means (docs/peer-bench.md): Tryton's revenue is ``quantity × unit_price`` of the lines
of sales in state confirmed / processing / done, dated by ``sale_date``. Our report's figure is the
``ordered`` amount (含税): an order's lines are booked on its order date, and a cancellation or the
closing of a remainder is unbooked — negatively — on the day it happens. So each order that was submitted
goes to Tryton as a sale dated on its order date whose lines carry our tax-included unit prices (and no
Tryton taxes: its "untaxed" revenue is then our 含税 amount), and each unbooking goes as a return sale
(negative quantities, Tryton's own way of taking back a confirmed sale) dated on the day it was
unbooked. Orders never submitted (drafts) are not sales in either system."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import Result, median_ms
from bench.data import BENCH_DIR, ROOT, Target

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-tryton.txt"
TRYTON_SIDE = HERE / "tryton_side.py"
VENV = BENCH_DIR / "tryton-venv"
VENV_PYTHON = VENV / "bin" / "python"
ADMIN_PASSWORD = "admin"  # noqa: S105 — a throw-away local bench database
KINDS = ("month", "quarter", "year")
REPORTS = ("customer", "product")
GOAL = 10.0  # Tryton's time ÷ ours
MODULES = ("sale", "account_invoice", "company_work_time")


def log(message: str) -> None:
    print(f"[bench P7] {message}", file=sys.stderr, flush=True)


# --- the Tryton virtualenv ----------------------------------------------------------------------------------


def ensure_venv() -> Path:
    stamp = VENV / ".installed"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == wanted and VENV_PYTHON.exists():
        return VENV_PYTHON
    started = time.perf_counter()
    log(f"installing Tryton 8.2 into {VENV} …")
    python = _python_for_venv()
    uv = ROOT / ".venv" / "bin" / "uv"
    if uv.exists():
        subprocess.run([str(uv), "venv", "-q", "--allow-existing", "--python", python, str(VENV)], check=True)
        subprocess.run([str(uv), "pip", "install", "-q", "--python", str(VENV_PYTHON), "-r", str(REQUIREMENTS)],
                       check=True)
    else:
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    log(f"Tryton installed in {time.perf_counter() - started:.0f} s")
    return VENV_PYTHON


def _python_for_venv() -> str:
    """A Python ≥ 3.10 for trytond 8.2: the system's python3.11 if there is one, else ours."""
    for candidate in ("/usr/bin/python3.11", "/usr/bin/python3.12", "/usr/bin/python3"):
        if Path(candidate).exists():
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info >= (3, 10))"],
                                 capture_output=True, text=True)
            if out.stdout.strip() == "True":
                return candidate
    return sys.executable


# --- the Tryton database -----------------------------------------------------------------------------------


class TrytonDB:
    """Where the Tryton twin of one bench database lives, and how to reach it."""

    def __init__(self, target: Target, name: str):
        self.target = target
        self.name = name
        self.config = BENCH_DIR / f"tryton-{target.backend}.conf"

    @classmethod
    def of(cls, target: Target, *, base: bool = False) -> TrytonDB:
        suffix = "base" if base else str(target.lines)
        if target.backend == "sqlite":
            return cls(target, f"tryton-{suffix}")
        ours = urlsplit(target.url).path.lstrip("/")
        stem = ours.split("_bench_")[0] if "_bench_" in ours else ours
        return cls(target, f"{stem}_tryton_{suffix}")

    @property
    def path(self) -> Path:  # SQLite only
        return BENCH_DIR / f"{self.name}.sqlite"

    def write_config(self) -> None:
        if self.target.backend == "sqlite":
            text = f"[database]\nuri = sqlite://\npath = {BENCH_DIR}\n"
        else:
            parts = urlsplit(self.target.url)
            text = f"[database]\nuri = {urlunsplit(parts._replace(scheme='postgresql', path='/'))}\n"
        text += "[cache]\nclean_timeout = 0\n"
        self.config.write_text(text)

    def admin_url(self) -> str:
        return urlunsplit(urlsplit(self.target.url)._replace(path="/postgres"))

    def exists(self) -> bool:
        if self.target.backend == "sqlite":
            return self.path.exists()
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone() is not None

    def drop(self) -> None:
        if self.target.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    def create_empty(self) -> None:
        self.drop()
        if self.target.backend == "sqlite":
            self.path.touch()
            return
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}" ENCODING \'UTF8\'')

    def copy_from(self, base: TrytonDB) -> None:
        self.drop()
        if self.target.backend == "sqlite":
            shutil.copyfile(base.path, self.path)
            return
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{base.name}"')

    def _env(self) -> dict[str, str]:
        env = dict(os.environ, TRYTONPASSFILE=str(_passfile()), TRYTOND_CONFIG=str(self.config))
        for var in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"):
            env.pop(var, None)
        return env

    def _cmd(self, *args: str) -> list[str]:
        return [str(VENV_PYTHON), str(TRYTON_SIDE), *args, "--config", str(self.config), "--database", self.name]

    def run(self, *args: str, capture: bool = False) -> str:
        out = subprocess.run(self._cmd(*args), env=self._env(), check=True, cwd=BENCH_DIR,
                             stdout=subprocess.PIPE if capture else None, text=True)
        return out.stdout or ""

    def serve(self) -> TrytonTimer:
        return TrytonTimer(subprocess.Popen(self._cmd("serve"), env=self._env(), cwd=BENCH_DIR, text=True,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE))

    def admin(self, *args: str) -> None:
        subprocess.run([str(VENV / "bin" / "trytond-admin"), "-c", str(self.config), "-d", self.name, *args],
                       env=self._env(), check=True, cwd=BENCH_DIR, stdout=subprocess.DEVNULL)


class TrytonTimer:
    """Tryton's side kept running (``tryton_side.py serve``): one report timing per request."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self._answer()  # {"ready": true} once the pool is loaded

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"Tryton's side stopped (exit {self.process.wait()})")
        return json.loads(line)

    def time(self, report: str, start: str, end: str) -> dict:
        self.process.stdin.write(json.dumps({"report": report, "from": start, "to": end}) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _passfile() -> Path:
    path = BENCH_DIR / "tryton-admin.pass"
    if not path.exists():
        path.write_text(ADMIN_PASSWORD + "\n")
    return path


def _marker(target: Target) -> Path:
    return BENCH_DIR / f"tryton-{target.backend}-{target.lines}.json"


def _years() -> tuple[int, int]:
    today = date.today()
    return today.year - 5, today.year + 1


def ensure_base(target: Target) -> TrytonDB:
    """Modules installed, company in CNY with a rate, fiscal years, chart: kept as a template."""
    base = TrytonDB.of(target, base=True)
    base.write_config()
    stamp = BENCH_DIR / f"tryton-{target.backend}-base.json"
    if stamp.exists() and base.exists():
        return base
    started = time.perf_counter()
    log(f"creating the Tryton template database {base.name} on {target.backend} …")
    base.create_empty()
    base.admin("--all", "--email", "admin@example.com")
    base.admin("-u", *MODULES, "--activate-dependencies")
    installed = time.perf_counter()
    first, last = _years()
    base.run("setup", "--first-year", str(first), "--last-year", str(last))
    stamp.write_text(json.dumps({"install_s": round(installed - started, 1),
                                 "setup_s": round(time.perf_counter() - installed, 1),
                                 "created_at": time.strftime("%Y-%m-%d %H:%M:%S")}))
    log(f"template ready in {time.perf_counter() - started:.0f} s (modules {installed - started:.0f} s)")
    return base


def ensure_loaded(target: Target) -> tuple[TrytonDB, dict]:
    """The Tryton twin of our bench database, loaded from it unless the marker says it already is."""
    ensure_venv()
    ours = json.loads(target.marker.read_text()) if target.marker.exists() else {}
    db = TrytonDB.of(target)
    db.write_config()
    marker = _marker(target)
    if marker.exists() and db.exists():
        found = json.loads(marker.read_text())
        if found.get("ours_loaded_at") == ours.get("loaded_at"):
            return db, found
    base = ensure_base(target)
    started = time.perf_counter()
    marker.unlink(missing_ok=True)
    db.copy_from(base)
    export_dir = BENCH_DIR / f"tryton-export-{target.backend}-{target.lines}"
    export_dir.mkdir(exist_ok=True)
    exported = export(export_dir)
    exported_at = time.perf_counter()
    first, last = exported.pop("years")
    db.run("setup", "--first-year", str(first), "--last-year", str(last))  # fiscal years covering the data
    loaded = json.loads(db.run("load", "--dir", str(export_dir), capture=True).strip().splitlines()[-1])
    shutil.rmtree(export_dir, ignore_errors=True)
    found = {"backend": target.backend, "lines": target.lines, "database": db.name,
             "ours_loaded_at": ours.get("loaded_at"), "export_s": round(exported_at - started, 1),
             "load_s": round(time.perf_counter() - exported_at, 1), **exported, **loaded,
             "loaded_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    marker.write_text(json.dumps(found))
    log(f"Tryton loaded: {found}")
    return db, found


# --- export from our database --------------------------------------------------------------------------------


def _dec(value: int, places: int) -> Decimal:
    return Decimal(int(value)).scaleb(-places).normalize() if value else Decimal(0)


def _money(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


STATES = {  # our order status → Tryton's sale state (every one of them counts in Tryton's reports)
    "submitted": "confirmed", "partially_shipped": "processing", "shipped": "processing", "completed": "done",
    # a closed or cancelled order was a confirmed sale; what was taken back is a return sale (see below)
    "closed": "done", "cancelled": "done",
}


def export(out: Path) -> dict:
    """customers.csv, products.csv, sales.csv and lines.csv of what our ``ordered`` measure counts, read with
    plain SQL from the documents (orders, lines) and, for the dates of unbooking, the ledger."""
    from django.db import connection

    from salesdesk.catalog.models import Product
    from salesdesk.customers.models import Customer
    from salesdesk.ledger.choices import FactKind
    from salesdesk.ledger.models import Fact
    from salesdesk.orders.models import Order, OrderLine

    counts = {"inexact_lines": 0}
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, code, name, address FROM {Customer._meta.db_table} ORDER BY id")
        customers = {pk: code for pk, code, *_ in _write(out / "customers.csv", ("id", "code", "name", "address"),
                                                          cur.fetchall())}
        cur.execute(f"SELECT id, sku, name, price FROM {Product._meta.db_table} ORDER BY id")
        rows = [(pk, sku, name, _dec(price, 6)) for pk, sku, name, price in cur.fetchall()]
        products = {pk: sku for pk, sku, *_ in _write(out / "products.csv", ("id", "sku", "name", "price"), rows)}
        counts.update(customers_exported=len(customers), products_exported=len(products))

        sales, lines = [], []
        cur.execute(
            f"SELECT o.id, o.number, o.customer_id, o.order_date, o.status, l.id, l.line_no, l.product_id, l.quantity, "
            f"l.unit_price, l.amount FROM {Order._meta.db_table} o JOIN {OrderLine._meta.db_table} l ON l.order_id = o.id "
            "WHERE o.submitted_at IS NOT NULL ORDER BY o.id, l.line_no")
        order_lines = {}
        current, total = None, 0
        years = [9999, 0]
        for oid, number, customer, day, status, lid, line_no, product, qty, price, amount in cur.fetchall():
            day = str(day)[:10]
            key, state = f"o{oid}", STATES.get(status, "confirmed")
            if current != oid:
                if current is not None:
                    sales[-1][6] = _money(total)
                sales.append([key, customers[customer], number, "", day, state, 0])
                current, total = oid, 0
                years = [min(years[0], int(day[:4])), max(years[1], int(day[:4]))]
            order_lines[lid] = (int(price), product)
            quantity, unit_price = _exact(int(qty), int(price), int(amount), counts)
            lines.append((key, state, line_no, products[product], quantity, unit_price, ""))
            total += int(amount)
        if current is not None:
            sales[-1][6] = _money(total)

        # what was unbooked (cancelled, remainder closed): one return sale per order and day
        cur.execute(
            f"SELECT order_id, business_date, source_line_id, customer_id, SUM(amount), SUM(quantity) "
            f"FROM {Fact._meta.db_table} WHERE kind = %s "
            "GROUP BY order_id, business_date, source_line_id, customer_id ORDER BY order_id, business_date, source_line_id",
            [str(FactKind.UNBOOKED)])
        numbers = {s[0]: s[2] for s in sales}
        returns: dict[str, list] = {}
        for oid, day, lid, customer, amount, qty in cur.fetchall():
            day = str(day)[:10]
            key = f"r{oid}-{day}"
            if key not in returns:
                returns[key] = [key, customers[customer], f"{numbers.get(f'o{oid}', oid)}-R{day}",
                                numbers.get(f"o{oid}", ""), day, "done", 0]
                sales.append(returns[key])
                years = [min(years[0], int(day[:4])), max(years[1], int(day[:4]))]
            price, product = order_lines[lid]
            quantity, unit_price = _exact(int(qty or 0), price, int(amount), counts)
            lines.append((key, "done", len(lines), products[product], quantity, unit_price, "撤单 unbooked"))
            returns[key][6] += _money(int(amount))
        counts.update(sales_exported=len(sales), return_sales=len(returns), lines_exported=len(lines))
    _write(out / "sales.csv", ("key", "customer", "number", "reference", "date", "state", "amount"), sales)
    _write(out / "lines.csv", ("key", "state", "sequence", "product", "quantity", "unit_price", "description"), lines)
    counts["years"] = years if years[1] else list(_years())
    return counts


def _exact(milli: int, micros: int, fen: int, counts: dict) -> tuple[Decimal, Decimal]:
    """(quantity, unit price) whose product is the line's amount to the fen: the line's own when it is
    (quantity in thousandths × price in millionths = amount in fen × 10^7), else 1 × amount (counted)."""
    if milli and milli * micros == fen * 10**7:
        return _dec(milli, 3), _dec(micros, 6)
    counts["inexact_lines"] += 1
    return Decimal(1) if fen >= 0 else Decimal(-1), abs(_money(fen))


def _write(path: Path, header: tuple, rows: list) -> list:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return rows


# --- timing and checking ------------------------------------------------------------------------------------


def report_day() -> date:
    """The day whose periods are measured: the one P1 uses (mid-June of the last complete year of data)."""
    from bench.measures.p1_reports import busiest_day

    return busiest_day()


def general_manager():
    from salesdesk.org.models import User
    from salesdesk.org.roles import Role

    return User.objects.filter(groups__name=Role.GENERAL_MANAGER, is_active=True).order_by("id").first()


def ours(user, group_by: str, kind: str, day: date):
    """Our report as the API computes it (salesdesk.reports.api.sales): sales_report for the user, serialised
    by report_out — the current period, the previous one and the same one last year, with labels."""
    from salesdesk.reports.api import report_out
    from salesdesk.reports.queries import sales_report

    report = sales_report(user, kind, day, group_by)
    report_out(report)
    return report


def measures(target: Target, *, quick: bool = False) -> list[Result]:
    from salesdesk.reports.periods import report_period

    db, loaded = ensure_loaded(target)
    day = report_day()
    periods = {kind: [str(report_period(kind, day).start), str(report_period(kind, day).end)] for kind in KINDS}
    log(f"timing Tryton's reports and ours, alternately, for {periods} …")
    gm = general_manager()
    timer = db.serve()
    out: list[Result] = []
    try:
        for group_by in REPORTS:
            for kind in KINDS:
                peer = timer.time(group_by, *periods[kind])
                ours_ms, report = median_ms(lambda g=group_by, k=kind: ours(gm, g, k, day))
                out.append(_result(target, group_by, kind, periods[kind], ours_ms, report, peer, loaded))
    finally:
        timer.close()
    return out


def _result(target: Target, group_by: str, kind: str, period: list[str], ours_ms: float, report, peer: dict,
            loaded: dict) -> Result:
    note, groups = compare(report, peer)
    speedup = peer["ms"] / ours_ms if ours_ms else None
    return Result(
        name=f"P7 {group_by} {kind}", ours_ms=round(ours_ms, 2), reference_ms=round(peer["ms"], 2),
        goal=f"≥ {GOAL:g}× faster", met=speedup is not None and speedup >= GOAL and not note, rows=groups,
        backend=target.backend, ratio=round(ours_ms / peer["ms"], 4) if peer["ms"] else None,
        note=note or f"Tryton ÷ ours = {speedup:.1f}×; totals and groups equal",
        extra={"tryton_over_ours": round(speedup, 2) if speedup else None, "period": period,
               "total": peer["total"], "tryton_groups": peer["groups"], "tryton_runs_ms": peer["runs"],
               "tryton_search_ms": peer.get("search_ms"), "load_average": [round(x, 1) for x in os.getloadavg()],
               "tryton_lines": loaded.get("lines_exported")},
    )


def compare(report, peer: dict) -> tuple[str, int]:
    """('' or what differs, groups with an ordered amount): the totals and the per-group amounts of our
    report (by customer code / SKU, our rows' ``detail``) against Tryton's (by party / product code)."""
    ours_by_key: dict[str, Decimal] = {}
    for row in report.rows:
        if row.current.ordered:
            ours_by_key[row.detail or str(row.key)] = ours_by_key.get(row.detail or str(row.key), Decimal(0)) + row.current.ordered
    theirs = {k: Decimal(v) for k, v in peer["by_key"].items() if Decimal(v)}
    problems = []
    if report.totals.current.ordered != Decimal(peer["total"]):
        problems.append(f"total: ours {report.totals.current.ordered} ≠ Tryton {peer['total']}")
    if len(ours_by_key) != len(theirs):
        problems.append(f"groups: ours {len(ours_by_key)} ≠ Tryton {len(theirs)}")
    differing = sorted(k for k in set(ours_by_key) | set(theirs) if ours_by_key.get(k) != theirs.get(k))
    if differing:
        sample = ", ".join(f"{k}: {ours_by_key.get(k)} vs {theirs.get(k)}" for k in differing[:3])
        problems.append(f"{len(differing)} groups differ ({sample})")
    return "; ".join(problems), len(ours_by_key)
