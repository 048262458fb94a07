"""R9 Load: 50 Locust users doing the clerk's, salespeople's, finance's and the manager's day
(load/locustfile.py) against gunicorn on loopback, once per backend.

    python -m load.run                               # SQLite, and PostgreSQL too when DATABASE_URL is one
    LOAD_SECONDS=300 python -m load.run --backend postgresql
    python -m load.run --seconds 30 --seed light     # the CI mode (tests/test_load.py does this)

For each backend: a fresh database (SQLite: a file under a temporary folder; PostgreSQL:
``<database of DATABASE_URL>_load``, dropped afterwards unless ``--keep``), ``migrate``, the demo data
(``seed_demo --scale demo``, or ``--seed light``: its first seeders only), an API token and a session
per account (load/prepare.py), then gunicorn as deploy/salesdesk-web.service runs it (3 workers × 4
threads, DEBUG off, the one-box SQLite settings of salesdesk/settings.py: WAL, IMMEDIATE
transactions, 20 s busy timeout, 503 + Retry-After when busy) on 127.0.0.1:<free port>, and Locust
headless for N seconds. Printed per backend: requests, failures, p50/p95 (ms), requests/s, answers
by status, the load average. The rules (exit 1 when broken): PostgreSQL answers no error at all;
SQLite answers no error other than 503, and every 503 carries Retry-After."""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
USERS = 50
WEB_WORKERS, WEB_THREADS = 3, 4  # deploy/salesdesk-web.service
# gunicorn closes a keep-alive connection idle for 2 s by default; a client that sends its next
# request on it at that moment gets "connection reset" (browsers retry that silently, requests does
# not). Longer than the scenario's think time, so every reset counted is a real one.
KEEP_ALIVE = 10


@dataclass
class Result:
    backend: str
    seconds: int
    users: int
    requests: int = 0
    failures: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    rps: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    missing_retry_after: int = 0
    failed_otherwise: int = 0  # answers under 400 the scenario did not expect (a page redirected to the login)
    samples: list[str] = field(default_factory=list)  # a few failed answers, for the report
    endpoints: list[dict] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    server_errors_logged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- databases ------------------------------------------------------------------------------


def backend_of(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def fresh_sqlite(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'load.sqlite3'}"


def _pg_admin(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname="postgres", autocommit=True,
    )


def load_pg_url(database_url: str) -> str:
    """``<db>_load`` beside the configured database (kept as is when it already ends in ``_load``)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.endswith("_load"):
        name = f"{name}_load"
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_pg(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with _pg_admin(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with _pg_admin(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- processes ------------------------------------------------------------------------------


def server_env(database_url: str, workdir: Path, secret_key: str | None = None) -> dict[str, str]:
    """The environment of a one-box production install: DEBUG off, its own secret key, the job
    queue in a SqliteHuey file (nothing enqueued here reaches another run's Redis), mail to files."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "EMAIL_URL", "DEBUG", "LOG_LEVEL"}}
    env.update(
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="salesdesk.settings", DEBUG="0",
        SECRET_KEY=secret_key or secrets.token_urlsafe(40), ALLOWED_HOSTS="127.0.0.1,localhost",
        VAR_DIR=str(workdir / "var"), HUEY_FILE=str(workdir / "var" / "huey.sqlite3"),
        MEDIA_ROOT=str(workdir / "var" / "media"), PYTHONDONTWRITEBYTECODE="1", LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str, log: Path) -> None:
    with log.open("a") as out:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                       check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    # --preload imports the app once before forking: only the start-up is faster on a loaded box,
    # requests are served as by the systemd unit. --keep-alive: see KEEP_ALIVE.
    cmd = [
        sys.executable, "-m", "gunicorn", "salesdesk.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(WEB_WORKERS), "--threads", str(WEB_THREADS), "--timeout", "60", "--graceful-timeout", "10",
        "--keep-alive", str(KEEP_ALIVE), "--preload", "--error-logfile", "-",
    ]
    out = log.open("a")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_locust(host: str, context: Path, workdir: Path, *, seconds: int, users: int, log: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env.update(LOAD_CONTEXT=str(context), LOAD_REPORT=str(workdir / "report.json"), PYTHONDONTWRITEBYTECODE="1")
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host,
        "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--stop-timeout", "5",
        "--csv", str(workdir / "locust"), "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]
    with log.open("a") as out:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True,  # noqa: S603
                       timeout=seconds + 120)


# --- figures --------------------------------------------------------------------------------


def read_stats(result: Result, workdir: Path) -> None:
    with (workdir / "locust_stats.csv").open() as f:
        for row in csv.DictReader(f):
            figures = {
                "name": row["Name"], "method": row["Type"], "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]), "p50_ms": float(row["50%"] or 0), "p95_ms": float(row["95%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
            if row["Name"] == "Aggregated":
                result.requests, result.failures = figures["requests"], figures["failures"]
                result.p50_ms, result.p95_ms, result.rps = figures["p50_ms"], figures["p95_ms"], figures["rps"]
            else:
                result.endpoints.append(figures)
    report = json.loads((workdir / "report.json").read_text())
    result.statuses = dict(sorted(report["statuses"].items()))
    result.missing_retry_after = report["missing_retry_after"]
    result.failed_otherwise = report["failed_otherwise"]
    result.samples = report["samples"]


def judge(result: Result) -> None:
    """The rules of R9. Status 0 is a request that got no answer (refused, reset, timed out)."""
    bad = {s: n for s, n in result.statuses.items() if not 200 <= int(s) < 400}
    if result.requests == 0:
        result.problems.append("no request was made")
    if result.backend == "postgresql" and (bad or result.failures):
        result.problems.append(f"PostgreSQL must answer no error; got {bad} ({result.failures} failures)")
    if result.backend == "sqlite":
        not_busy = {s: n for s, n in bad.items() if s != "503"}
        if not_busy:
            result.problems.append(f"SQLite may only answer 503 when busy; got {not_busy}")
    if result.failed_otherwise:
        result.problems.append(f"{result.failed_otherwise} unexpected answers (see the failed ones)")
    if result.missing_retry_after:
        result.problems.append(f"{result.missing_retry_after} answers 503 without Retry-After")
    if result.server_errors_logged:
        result.problems.append(f"{result.server_errors_logged} server errors in gunicorn's log")


def count_logged_errors(log: Path) -> int:
    text = log.read_text(errors="replace")
    return text.count("Internal Server Error") + text.count("[CRITICAL] WORKER TIMEOUT")


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def summary(result: Result) -> str:
    lines = [
        f"R9 load [{result.backend}] {result.users} users, {result.seconds} s: {result.requests} requests "
        f"({result.rps:.1f}/s), {result.failures} failures, p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms; "
        f"answers {result.statuses}; 503 without Retry-After: {result.missing_retry_after}; "
        f"load average {fmt_load(result.load_before)} -> {fmt_load(result.load_after)} ({os.cpu_count()} CPUs)",
    ]
    for e in sorted(result.endpoints, key=lambda e: -e["requests"]):
        lines.append(f"    {e['method']:<5} {e['name']:<48} {e['requests']:>6} req {e['failures']:>4} fail "
                     f"p50 {e['p50_ms']:>6.0f} ms  p95 {e['p95_ms']:>6.0f} ms")
    lines += [f"    failed: {s}" for s in result.samples[:10]]
    lines += [f"    PROBLEM: {p}" for p in result.problems]
    lines.append(f"R9 load [{result.backend}]: {'OK' if result.ok else 'FAILED'}")
    return "\n".join(lines)


# --- one run --------------------------------------------------------------------------------


def run_scenario(database_url: str, *, seconds: int, users: int = USERS, seed: str = "demo", fresh: bool = True,
                 keep: bool = False, workdir: Path | None = None, prepare: Callable[[], dict] | None = None,
                 secret_key: str | None = None, echo=print) -> Result:
    """Run the scenario on ``database_url``. ``fresh``: create (and afterwards drop, PostgreSQL) a
    new database and migrate it; otherwise the database is migrated already (the test database of
    tests/test_load.py, which pytest-django flushes afterwards). ``prepare``: seeds the data in this
    process and returns load/prepare.py's ``credentials()`` made with ``secret_key``; without it
    load/prepare.py runs in a subprocess with gunicorn's environment."""
    backend = backend_of(database_url)
    own_dir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=f"salesdesk-load-{backend}-")) if workdir is None else workdir
    (workdir / "var").mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    if fresh and backend == "sqlite":
        database_url = fresh_sqlite(workdir)
    elif fresh:
        database_url = load_pg_url(database_url)
    result = Result(backend=backend, seconds=seconds, users=users)
    env = server_env(database_url, workdir, secret_key)
    gunicorn = None
    try:
        started = time.monotonic()
        if fresh:
            if backend == "postgresql":
                recreate_pg(database_url)
            echo(f"R9 load [{backend}]: migrating a fresh database ...")
            manage(env, "migrate", "--noinput", log=log)
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        gunicorn = start_gunicorn(env, port, log)  # boots while the data is seeded
        context_file = workdir / "context.json"
        if prepare is None:
            echo(f"R9 load [{backend}]: seeding ({seed}) and making tokens and sessions ...")
            with log.open("a") as out:
                subprocess.run([sys.executable, "-m", "load.prepare", "--seed", seed, "--out", str(context_file)],  # noqa: S603
                               cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
        else:
            context_file.write_text(json.dumps(prepare()))
        wait_ready(f"{host}/login/", gunicorn)
        echo(f"R9 load [{backend}]: ready after {time.monotonic() - started:.0f} s; {users} users for {seconds} s on {host}")
        result.load_before = os.getloadavg()
        run_locust(host, context_file, workdir, seconds=seconds, users=users, log=workdir / "locust.log")
        result.load_after = os.getloadavg()
        stop(gunicorn)
        result.server_errors_logged = count_logged_errors(log)
        read_stats(result, workdir)
        judge(result)
    except Exception as exc:
        result.problems.append(f"{type(exc).__name__}: {exc} (logs in {workdir})")
        keep = True
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        if fresh and backend == "postgresql" and not keep:
            drop_pg(database_url)
    if own_dir and result.ok and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    elif not result.ok:
        result.problems.append(f"logs kept in {workdir}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="R9 load test (docs/reliability.md)")
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all",
                        help="all = SQLite, plus PostgreSQL when DATABASE_URL points at one")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", "300")))
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seed", choices=("demo", "light"), default="demo")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database and the logs")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    targets = []
    if args.backend in {"all", "sqlite"}:
        targets.append("sqlite:///")
    if args.backend == "postgresql" or (args.backend == "all" and url.startswith("postgres")):
        if not url.startswith("postgres"):
            parser.error("--backend postgresql needs DATABASE_URL=postgres://…")
        targets.append(url)
    results = []
    for target in targets:
        result = run_scenario(target, seconds=args.seconds, users=args.users, seed=args.seed, keep=args.keep)
        print(summary(result), flush=True)
        results.append(result)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1, ensure_ascii=False))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
