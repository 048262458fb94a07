"""The data the measures run on: the realistic generator (``seed_demo --scale large``) at a given size,
loaded once per backend into a database of its own and reused by later runs.

- SQLite: ``var/bench/bench-<lines>.sqlite3``;
- PostgreSQL (when ``DATABASE_URL`` points at one): a database ``<name>_bench_<lines>`` on the same
  server, created here.

A ``.json`` marker next to it records the size and how long loading took; a database without its
marker (a load that died half-way) is dropped and loaded again.

The load is one child process (``python -m bench.data load``): ``migrate --skip-checks``, ``seed_demo
--scale large`` and (SQLite) ``ANALYZE`` in a row, so Django starts once. On SQLite that process — and
only it — opens the database with ``LOAD_PRAGMAS`` (``SQLITE_INIT_COMMAND``, read by
``salesdesk/settings.py``): rollback journal in memory, no fsync, a 256 MB page cache. A crash half-way
leaves a database without its marker, which the next run drops and loads again; the measures then
open it with the ordinary settings (WAL, ``synchronous=NORMAL``), the file being switched to WAL at the
end of the load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
FULL_LINES = 2_000_000
QUICK_LINES = 200_000
LOAD_PRAGMAS = ("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144; "
                "PRAGMA temp_store=MEMORY;")


@dataclass(frozen=True)
class Target:
    backend: str  # "sqlite" | "postgresql"
    url: str  # DATABASE_URL of the bench database
    lines: int

    @property
    def marker(self) -> Path:
        return BENCH_DIR / f"{self.backend}-{self.lines}.json"

    def env(self) -> dict[str, str]:
        env = dict(os.environ, DATABASE_URL=self.url, SALESDESK_DEMO_LINES=str(self.lines), DJANGO_SETTINGS_MODULE="salesdesk.settings")
        env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef-not-for-production")
        env.setdefault("HUEY_IMMEDIATE", "1")
        return env


def targets(lines: int) -> list[Target]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    out = [Target("sqlite", f"sqlite:///{BENCH_DIR / f'bench-{lines}.sqlite3'}", lines)]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        name = (parts.path.lstrip("/") or "salesdesk") + f"_bench_{lines}"
        out.append(Target("postgresql", urlunsplit(parts._replace(path="/" + name)), lines))
    return out


def _reset(target: Target) -> None:
    if target.backend == "sqlite":
        path = Path(target.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(target.url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure(target: Target, *, out=sys.stdout) -> dict:
    """Load the data unless a complete load is there; returns the marker (size, load seconds). A complete
    load made by older code is brought up to the current migrations first (new indexes are part of what
    is measured), then analysed again."""
    if target.marker.exists():
        subprocess.run([sys.executable, "-m", "bench.data", "migrate", target.backend], env=target.env(), check=True,
                       cwd=ROOT)
        return json.loads(target.marker.read_text())
    _reset(target)
    env = target.env()
    if target.backend == "sqlite":
        env["SQLITE_INIT_COMMAND"] = LOAD_PRAGMAS
    started = time.perf_counter()
    print(f"[bench] loading {target.lines:,} order lines into {target.backend} …", file=out, flush=True)
    done = subprocess.run([sys.executable, "-m", "bench.data", "load", target.backend], env=env, check=True, cwd=ROOT,
                          stdout=subprocess.PIPE, text=True)
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    marker = {"backend": target.backend, "lines": target.lines, **timings,
              "total_s": round(time.perf_counter() - started, 1), "loaded_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    target.marker.write_text(json.dumps(marker))
    print(f"[bench] loaded in {marker['load_s']} s, {marker['load_cpu_s']} s CPU (migrate {marker['migrate_s']} s, "
          f"{marker['migrate_cpu_s']} s CPU)", file=out, flush=True)
    return marker


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def load(backend: str) -> dict:
    """In the loading child (``DATABASE_URL``, ``SALESDESK_DEMO_LINES`` set by ``ensure``): migrate, seed,
    analyse; the seed's own output goes to stderr, the timings are printed as JSON on stdout."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t0, c0 = time.perf_counter(), _cpu()
    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    t1, c1 = time.perf_counter(), _cpu()
    call_command("seed_demo", scale="large", stdout=sys.stderr, skip_checks=True)
    t2, c2 = time.perf_counter(), _cpu()
    if backend == "sqlite":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA journal_mode=WAL")  # what the measures' connections use
    connection.close()
    t3 = time.perf_counter()
    return {"migrate_s": round(t1 - t0, 1), "migrate_cpu_s": round(c1 - c0, 1), "load_s": round(t2 - t1, 1),
            "load_cpu_s": round(c2 - c1, 1), "analyze_s": round(t3 - t2, 1)}


def migrate() -> None:
    """In a child for a loaded database: apply migrations added since it was loaded and, when there were
    any, refresh the planner's statistics (ANALYZE) so new indexes are used as they would be."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return
    print("[bench] applying new migrations to the loaded data …", file=sys.stderr, flush=True)
    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        print(json.dumps(load(sys.argv[2])))
    elif sys.argv[1:2] == ["migrate"]:
        migrate()
    else:
        sys.exit("usage: python -m bench.data load|migrate sqlite|postgresql")
