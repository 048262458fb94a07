"""P7 — the peer: Tryton 8.2's sales reports next to ours, on the same data and the same backend.

``measures(target)`` runs in the bench's child process (Django set up against ``target.url``, our bench
data loaded). It

1. makes sure Tryton is installed in its own virtualenv, ``var/bench/tryton-venv``
   (bench/peer/requirements-tryton.txt, with ``uv`` when there is one) — ``start_venv_install()`` lets
   ``python -m bench`` do that, and make the template databases, in the background while our data loads;
2. makes sure a Tryton database on the same backend holds THE SAME customers, products and sales as our
   bench database — a SQLite file ``var/bench/tryton-<lines>.sqlite`` or a PostgreSQL database
   ``<name>_tryton_<lines>`` — loaded once and reused while a ``var/bench/tryton-<backend>-<lines>.json``
   marker says it was loaded from the current load of our data (a template with the modules installed
   and the company set up is kept too: ``tryton-base``). The load streams an export of our tables (CSV)
   into Tryton's: one customer and one product through its ORM, the rest as SQL copies of what the ORM
   wrote for those, the sales by bulk SQL; then a consistency check through its ORM (tryton_side.py).
   ``BENCH_PEER_TAG`` (unset in real runs) gives the twin a private name, to try a load;
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
from contextlib import contextmanager, nullcontext
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import Result, median_ms
from bench.data import BENCH_DIR, ROOT, Target

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-tryton.txt"
TRYTON_SIDE = HERE / "tryton_side.py"
VENV = Path(os.environ.get("BENCH_TRYTON_VENV") or BENCH_DIR / "tryton-venv")  # env: for trying an install
VENV_PYTHON = VENV / "bin" / "python"
ADMIN_PASSWORD = "admin"  # noqa: S105 — a throw-away local bench database
KINDS = ("month", "quarter", "year")
REPORTS = ("customer", "product")
GOAL = 10.0  # Tryton's time ÷ ours
MODULES = ("sale", "account_invoice", "company_work_time")


def log(message: str) -> None:
    print(f"[bench P7] {message}", file=sys.stderr, flush=True)


# --- the Tryton virtualenv ----------------------------------------------------------------------------------


def _venv_ready() -> bool:
    stamp = VENV / ".installed"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    return stamp.exists() and stamp.read_text().strip() == wanted and VENV_PYTHON.exists()


@contextmanager
def _locked(name: str):
    """An exclusive lock file in var/bench: a background preparation and the measure never install the same
    thing twice at once — the second waits, then finds it done."""
    import fcntl

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with (BENCH_DIR / f"{name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_venv() -> Path:
    """Tryton's virtualenv, installed unless its stamp holds the requirements' hash (then: a file read)."""
    if _venv_ready():
        return VENV_PYTHON
    with _locked(VENV.name):
        if _venv_ready():  # installed meanwhile by start_venv_install()'s process
            return VENV_PYTHON
        _install_venv()
    return VENV_PYTHON


def _install_venv() -> None:
    started = time.perf_counter()
    log(f"installing Tryton 8.2 into {VENV} …")
    if VENV.exists() and not _runs(VENV_PYTHON):
        shutil.rmtree(VENV)  # a half-made venv whose python does not run: start again
    (VENV / ".installed").unlink(missing_ok=True)
    python = _python_for_venv()
    uv = next((str(p) for p in (ROOT / ".venv" / "bin" / "uv", shutil.which("uv")) if p and Path(p).exists()), None)
    done = False
    if uv:
        try:
            subprocess.run([uv, "venv", "-q", "--allow-existing", "--python", python, str(VENV)], check=True)
            subprocess.run([uv, "pip", "install", "-q", "--python", str(VENV_PYTHON), "-r", str(REQUIREMENTS)],
                           check=True)
            done = True
        except (subprocess.CalledProcessError, OSError) as exc:
            log(f"uv failed ({exc}); trying venv + pip")
    if not done:
        if not VENV_PYTHON.exists():
            subprocess.run([python, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(REQUIREMENTS)], check=True)
    out = subprocess.run([str(VENV_PYTHON), "-c", "import trytond, proteus, psycopg; print(trytond.__version__)"],
                         capture_output=True, text=True, check=True)
    (VENV / ".installed").write_text(hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest())
    log(f"Tryton {out.stdout.strip()} installed in {time.perf_counter() - started:.0f} s")


def _runs(python: Path) -> bool:
    try:
        return subprocess.run([str(python), "-c", "pass"], capture_output=True).returncode == 0
    except OSError:
        return False


def start_venv_install(only: str = "", backend: str | None = None) -> subprocess.Popen | None:
    """Prepare Tryton in the background while ``python -m bench`` loads our data: install its virtualenv, then
    create its template databases (``tryton-base``, on ``backend`` or every backend of the run), unless
    ``--only`` leaves P7 out or all of it is there. ``python -m bench`` calls
    ``start_venv_install(args.only, args.backend)`` before loading our data.
    Returns the process (its output goes to var/bench/tryton-prepare.log), or None. Nothing needs to wait for
    it: the measure takes the same locks, so it waits for what is still being prepared and redoes what failed."""
    wanted = {m.strip().upper() for m in only.split(",") if m.strip()}
    if wanted and "P7" not in wanted:
        return None
    from bench.data import targets

    chosen = [t for t in targets(0) if backend in (None, t.backend)]
    try:
        if _venv_ready() and all(_base_ready(TrytonDB.of(t, base=True)) for t in chosen):
            return None
    except Exception as exc:  # e.g. PostgreSQL not reachable yet: let the background process find out
        log(f"checking Tryton's templates: {exc}")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with (BENCH_DIR / "tryton-prepare.log").open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bench.peer.run", "prepare", *([backend] if backend else [])],
                                cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def prepare(backend: str | None = None) -> None:
    """What start_venv_install() runs: the venv, then the template database on the backend(s)."""
    from bench.data import targets

    ensure_venv()
    for target in [t for t in targets(0) if backend in (None, t.backend)]:
        try:
            ensure_base(target)
        except Exception as exc:  # the measure will try again, in the foreground, and report it
            log(f"template database on {target.backend} not made: {exc}")


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
        suffix = "base" if base else str(target.lines) + _tag("_")
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


def _tag(sep: str) -> str:
    """``BENCH_PEER_TAG`` (unset in real runs): a private suffix for the Tryton twin's database, marker and
    export, to try a load without touching the twins the bench uses."""
    tag = os.environ.get("BENCH_PEER_TAG", "").strip()
    return f"{sep}{tag}" if tag else ""


def _marker(target: Target) -> Path:
    return BENCH_DIR / f"tryton-{target.backend}-{target.lines}{_tag('-')}.json"


def _years() -> tuple[int, int]:
    today = date.today()
    return today.year - 5, today.year + 1


def ensure_base(target: Target) -> TrytonDB:
    """Modules installed, company in CNY with a rate, fiscal years, chart: kept as a template."""
    base = TrytonDB.of(target, base=True)
    base.write_config()
    if _base_ready(base):
        return base
    with _locked(f"tryton-{target.backend}-base"):
        if not _base_ready(base):  # made meanwhile by start_venv_install()'s process
            _create_base(base)
    return base


def _base_stamp(base: TrytonDB) -> Path:
    return BENCH_DIR / f"tryton-{base.target.backend}-base.json"


def _base_ready(base: TrytonDB) -> bool:
    return _base_stamp(base).exists() and base.exists()


def _base_covers(base: TrytonDB, first: int, last: int) -> bool:
    """Whether the template's fiscal years (today's year − 5 … + 1 when it was made) cover first … last."""
    stamp = json.loads(_base_stamp(base).read_text())
    made = int(stamp.get("created_at", "0")[:4] or 0)
    years = stamp.get("years") or [made - 5, made + 1]
    return years[0] <= first and last <= years[1]


def _create_base(base: TrytonDB) -> None:
    ensure_venv()
    target, stamp = base.target, _base_stamp(base)
    stamp.unlink(missing_ok=True)
    started = time.perf_counter()
    log(f"creating the Tryton template database {base.name} on {target.backend} …")
    base.create_empty()
    base.admin("--all", "--email", "admin@example.com")
    base.admin("-u", *MODULES, "--activate-dependencies")
    installed = time.perf_counter()
    first, last = _years()
    base.run("setup", "--first-year", str(first), "--last-year", str(last))
    stamp.write_text(json.dumps({"years": [first, last], "install_s": round(installed - started, 1),
                                 "setup_s": round(time.perf_counter() - installed, 1),
                                 "created_at": time.strftime("%Y-%m-%d %H:%M:%S")}))
    log(f"template ready in {time.perf_counter() - started:.0f} s (modules {installed - started:.0f} s)")


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
    copied_at = time.perf_counter()
    export_dir = BENCH_DIR / f"tryton-export-{target.backend}-{target.lines}{_tag('-')}"
    export_dir.mkdir(exist_ok=True)
    exported = export(export_dir)
    exported_at = time.perf_counter()
    first, last = exported.pop("years")
    if not _base_covers(base, first, last):  # fiscal years for the data's years the template lacks
        db.run("setup", "--first-year", str(first), "--last-year", str(last))
    loaded = json.loads(db.run("load", "--dir", str(export_dir), capture=True).strip().splitlines()[-1])
    shutil.rmtree(export_dir, ignore_errors=True)
    found = {"backend": target.backend, "lines": target.lines, "database": db.name,
             "ours_loaded_at": ours.get("loaded_at"), "copy_s": round(copied_at - started, 1),
             "export_s": round(exported_at - copied_at, 1),
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
FETCH = 10_000


def _stream(sql: str, params=()):
    """The rows of a query, streamed: a server-side cursor on PostgreSQL (Django's chunked cursor, inside a
    transaction so that it is not materialised WITH HOLD), SQLite's own cursor otherwise (no transaction: ours
    are IMMEDIATE, a write lock) — the 2 M lines are never all in memory."""
    from django.db import connection, transaction

    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext(), connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(FETCH):
            yield from rows


def export(out: Path) -> dict:
    """customers.csv, products.csv, sales.csv and lines.csv of what our ``ordered`` measure counts, read with
    plain SQL from the documents (orders, lines) and, for the dates of unbooking, the ledger; streamed from
    the database to the files."""
    from salesdesk.catalog.models import Product
    from salesdesk.customers.models import Customer
    from salesdesk.ledger.choices import FactKind
    from salesdesk.ledger.models import Fact
    from salesdesk.orders.models import Order, OrderLine

    counts = {"inexact_lines": 0, "sales_exported": 0, "return_sales": 0, "lines_exported": 0}
    customers: dict[int, str] = {}
    with _writer(out / "customers.csv", ("id", "code", "name", "address")) as write:
        for pk, code, name, address in _stream(f"SELECT id, code, name, address FROM {Customer._meta.db_table} ORDER BY id"):
            customers[pk] = code
            write((pk, code, name, address))
    products: dict[int, str] = {}
    with _writer(out / "products.csv", ("id", "sku", "name", "price")) as write:
        for pk, sku, name, price in _stream(f"SELECT id, sku, name, price FROM {Product._meta.db_table} ORDER BY id"):
            products[pk] = sku
            write((pk, sku, name, _dec(price, 6)))
    counts.update(customers_exported=len(customers), products_exported=len(products))

    years = [9999, 0]
    with _writer(out / "sales.csv", ("key", "customer", "number", "reference", "date", "state", "amount")) as sale, \
            _writer(out / "lines.csv", ("key", "state", "sequence", "product", "quantity", "unit_price",
                                        "description")) as line:
        current, total, head = None, 0, []
        for oid, number, customer, day, status, line_no, product, qty, price, amount in _stream(
                f"SELECT o.id, o.number, o.customer_id, o.order_date, o.status, l.line_no, l.product_id, l.quantity, "
                f"l.unit_price, l.amount FROM {Order._meta.db_table} o "
                f"JOIN {OrderLine._meta.db_table} l ON l.order_id = o.id "
                "WHERE o.submitted_at IS NOT NULL ORDER BY o.id, l.line_no"):
            if current != oid:
                if current is not None:
                    sale([*head, _money(total)])
                day = str(day)[:10]
                state = STATES.get(status, "confirmed")
                head = [f"o{oid}", customers[customer], number, "", day, state]
                current, total = oid, 0
                counts["sales_exported"] += 1
                years = [min(years[0], int(day[:4])), max(years[1], int(day[:4]))]
            quantity, unit_price = _exact(int(qty), int(price), int(amount), counts)
            line((f"o{oid}", state, line_no, products[product], quantity, unit_price, ""))
            counts["lines_exported"] += 1
            total += int(amount)
        if current is not None:
            sale([*head, _money(total)])

        # what was unbooked (cancelled, remainder closed): one return sale per order and day, after the orders
        current, total, head = None, 0, []
        for oid, day, customer, amount, qty, price, product, number, submitted in _stream(
                f"SELECT f.order_id, f.business_date, f.customer_id, SUM(f.amount), SUM(f.quantity), l.unit_price, "
                f"l.product_id, o.number, o.submitted_at IS NOT NULL FROM {Fact._meta.db_table} f "
                f"JOIN {OrderLine._meta.db_table} l ON l.id = f.source_line_id "
                f"LEFT JOIN {Order._meta.db_table} o ON o.id = f.order_id "
                "WHERE f.kind = %s GROUP BY f.order_id, f.business_date, f.source_line_id, f.customer_id, l.unit_price, "
                "l.product_id, o.number, o.submitted_at ORDER BY f.order_id, f.business_date, f.source_line_id",
                [str(FactKind.UNBOOKED)]):
            day = str(day)[:10]
            key = f"r{oid}-{day}"
            if current != key:
                if current is not None:
                    sale([*head, _money(total)])
                head = [key, customers[customer], f"{number if submitted else oid}-R{day}",
                        number if submitted else "", day, "done"]
                current, total = key, 0
                counts["sales_exported"] += 1
                counts["return_sales"] += 1
                years = [min(years[0], int(day[:4])), max(years[1], int(day[:4]))]
            quantity, unit_price = _exact(int(qty or 0), int(price), int(amount), counts)
            line((key, "done", counts["lines_exported"], products[product], quantity, unit_price, "撤单 unbooked"))
            counts["lines_exported"] += 1
            total += int(amount)
        if current is not None:
            sale([*head, _money(total)])
    counts["years"] = years if years[1] else list(_years())
    return counts


def _exact(milli: int, micros: int, fen: int, counts: dict) -> tuple[Decimal, Decimal]:
    """(quantity, unit price) whose product is the line's amount to the fen: the line's own when it is
    (quantity in thousandths × price in millionths = amount in fen × 10^7), else 1 × amount (counted)."""
    if milli and milli * micros == fen * 10**7:
        return _dec(milli, 3), _dec(micros, 6)
    counts["inexact_lines"] += 1
    return Decimal(1) if fen >= 0 else Decimal(-1), abs(_money(fen))


@contextmanager
def _writer(path: Path, header: tuple):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        yield writer.writerow


# --- timing and checking ------------------------------------------------------------------------------------


def report_day() -> date:
    """The day whose periods are measured: the one P1 uses (mid-June of the last complete year of data)."""
    from bench.measures.p1_reports import busiest_day

    return busiest_day()


def general_manager():
    from salesdesk.org.models import User
    from salesdesk.org.roles import Role

    return User.objects.filter(groups__name=Role.GENERAL_MANAGER, is_active=True).order_by("id").first()


def ours(user, group_by: str, kind: str, day: date) -> bytes:
    """Our report as the API computes it (salesdesk.reports.api.sales): the response's JSON for the user —
    the current period, the previous one and the same one last year, with labels."""
    from salesdesk.reports.api import sales_json

    return sales_json(user, kind, day, group_by)


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
    note, groups = compare(json.loads(report), peer)
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


def compare(report: dict, peer: dict) -> tuple[str, int]:
    """('' or what differs, groups with an ordered amount): the totals and the per-group amounts of our
    report (the API's JSON; by customer code / SKU, our rows' ``detail``) against Tryton's (by party /
    product code)."""
    ours_by_key: dict[str, Decimal] = {}
    for row in report["rows"]:
        if Decimal(row["ordered_amount"]):
            key = row["detail"] or str(row["key"])
            ours_by_key[key] = ours_by_key.get(key, Decimal(0)) + Decimal(row["ordered_amount"])
    theirs = {k: Decimal(v) for k, v in peer["by_key"].items() if Decimal(v)}
    problems = []
    total = Decimal(report["totals"]["ordered_amount"])
    if total != Decimal(peer["total"]):
        problems.append(f"total: ours {total} ≠ Tryton {peer['total']}")
    if len(ours_by_key) != len(theirs):
        problems.append(f"groups: ours {len(ours_by_key)} ≠ Tryton {len(theirs)}")
    differing = sorted(k for k in set(ours_by_key) | set(theirs) if ours_by_key.get(k) != theirs.get(k))
    if differing:
        sample = ", ".join(f"{k}: {ours_by_key.get(k)} vs {theirs.get(k)}" for k in differing[:3])
        problems.append(f"{len(differing)} groups differ ({sample})")
    return "; ".join(problems), len(ours_by_key)


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"] and len(sys.argv) <= 3:
        prepare(*sys.argv[2:])
    else:
        sys.exit("usage: python -m bench.peer.run prepare [sqlite|postgresql]")
