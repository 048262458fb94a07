"""The data the measures run on: the realistic generator (``seed_demo --scale large``) at a given size,
loaded once per backend into a database of its own and reused by later runs.

- SQLite: ``var/bench/bench-<lines>.sqlite3``;
- PostgreSQL (when ``DATABASE_URL`` points at one): a database ``<name>_bench_<lines>`` on the same
  server, created here.

A ``.json`` marker next to it records the size and how long loading took; a database without its
marker (a load that died half-way) is dropped and loaded again."""

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
    """Load the data unless a complete load is there; returns the marker (size, load seconds)."""
    if target.marker.exists():
        return json.loads(target.marker.read_text())
    _reset(target)
    env = target.env()
    manage = [sys.executable, str(ROOT / "manage.py")]
    started = time.perf_counter()
    print(f"[bench] loading {target.lines:,} order lines into {target.backend} …", file=out, flush=True)
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    migrated = time.perf_counter()
    subprocess.run([*manage, "seed_demo", "--scale", "large"], env=env, check=True, cwd=ROOT)
    loaded = time.perf_counter()
    if target.backend == "sqlite":
        subprocess.run([*manage, "shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')"],
                       env=env, check=True, cwd=ROOT)
    marker = {"backend": target.backend, "lines": target.lines, "migrate_s": round(migrated - started, 1),
              "load_s": round(loaded - migrated, 1), "loaded_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    target.marker.write_text(json.dumps(marker))
    print(f"[bench] loaded in {marker['load_s']} s (migrate {marker['migrate_s']} s)", file=out, flush=True)
    return marker
