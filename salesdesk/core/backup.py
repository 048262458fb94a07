"""Backups (R8): one timestamped archive holding the database, the media files, a settings
snapshot and a manifest; verification; restore; retention.

Archive ``salesdesk-YYYYMMDD-HHMMSS[-label].tar.gz`` (Beijing time) holds:

- ``db.sqlite3`` (SQLite, copied with the online backup API: safe while the app runs in WAL mode)
  or ``db.pgdump`` (PostgreSQL, ``pg_dump -Fc``);
- ``media.tar``: every file under ``MEDIA_ROOT``;
- ``settings.json``: engine, versions, the latest applied migration per app (no secrets);
- ``manifest.json``: created_at, size and sha256 of each part, row counts of key tables.

Settings (read with defaults, so none is required): ``BACKUP_DIR`` (``var/backups``),
``BACKUP_KEEP_DAILY`` (7), ``BACKUP_KEEP_MONTHLY`` (12).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import django
from django.conf import settings
from django.db import connections
from django.utils import timezone

FORMAT = "salesdesk-backup/1"
ARCHIVE_RE = re.compile(r"^salesdesk-(\d{8})-(\d{6})(?:-[A-Za-z0-9_-]+)?\.tar\.gz$")
PARTS = {"manifest.json", "settings.json", "db.sqlite3", "db.pgdump", "media.tar"}
# Tables whose row counts go into the manifest and are compared after a restore.
KEY_MODELS = (
    "org.User", "customers.Customer", "customers.Contact", "contracts.Contract", "orders.Order", "orders.OrderLine",
    "finance.Payment", "finance.Allocation", "finance.Receivable", "finance.Invoice", "logistics.Shipment",
    "core.Attachment",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is bilingual "中文 / English"."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    seconds: float


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int | None]
    mismatches: dict[str, tuple] = field(default_factory=dict)
    media_files: int = 0
    seconds: float = 0.0


# --- settings ---------------------------------------------------------------------------------
def backup_dir() -> Path:
    default = Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")) / "backups"
    return Path(getattr(settings, "BACKUP_DIR", default))


def keep_daily() -> int:
    return int(getattr(settings, "BACKUP_KEEP_DAILY", 7))


def keep_monthly() -> int:
    return int(getattr(settings, "BACKUP_KEEP_MONTHLY", 12))


def _db(alias: str = "default"):
    return connections[alias]


def _is_sqlite(alias: str = "default") -> bool:
    return _db(alias).vendor == "sqlite"


def _sqlite_path(alias: str = "default") -> Path:
    return Path(_db(alias).settings_dict["NAME"])


def database_exists(alias: str = "default") -> bool:
    """True when there is a database with Django's tables to back up (``backup --if-exists``)."""
    if _is_sqlite(alias):
        path = _sqlite_path(alias)
        if not path.exists() or path.stat().st_size == 0:
            return False
    try:
        return "django_migrations" in _db(alias).introspection.table_names()
    except Exception:  # no server, no database: nothing to back up
        return False


# --- helpers ----------------------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _key_tables() -> dict[str, str]:
    from django.apps import apps

    tables = {}
    for label in KEY_MODELS:
        try:
            tables[label] = apps.get_model(label)._meta.db_table
        except LookupError:
            continue
    return tables


def _count_sqlite_file(path: Path) -> dict[str, int | None]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {label: (con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] if table in present else None)  # noqa: S608
                for label, table in _key_tables().items()}
    finally:
        con.close()


def live_counts(alias: str = "default") -> dict[str, int | None]:
    """Row counts of the key tables in the configured database (None: the table does not exist)."""
    conn = _db(alias)
    present = set(conn.introspection.table_names())
    counts: dict[str, int | None] = {}
    with conn.cursor() as cur:
        for label, table in _key_tables().items():
            if table not in present:
                counts[label] = None
                continue
            cur.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")  # noqa: S608
            counts[label] = cur.fetchone()[0]
    return counts


def _migration_state(rows) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:  # ordered by applied, id: the last one per app wins
        latest[app] = name
    return dict(sorted(latest.items()))


def _settings_snapshot(alias: str, migrations: dict[str, str], server_version: str) -> dict:
    sd = _db(alias).settings_dict
    db = {"engine": sd["ENGINE"], "vendor": _db(alias).vendor, "server_version": server_version}
    if _is_sqlite(alias):
        db["file"] = Path(sd["NAME"]).name
    else:
        db.update(name=sd.get("NAME"), host=sd.get("HOST") or "", port=str(sd.get("PORT") or ""), user=sd.get("USER") or "")
    return {
        "salesdesk_version": getattr(settings, "SALESDESK_VERSION", ""),
        "django_version": django.get_version(),
        "python_version": platform.python_version(),
        "time_zone": settings.TIME_ZONE,
        "language_code": settings.LANGUAGE_CODE,
        "database": db,
        "media_root": str(settings.MEDIA_ROOT),
        "job_queue": (getattr(settings, "HUEY", {}) or {}).get("huey_class", ""),
        "migrations": migrations,
    }


# --- database parts ---------------------------------------------------------------------------
def _dump_sqlite(alias: str, out: Path) -> tuple[dict[str, str], dict[str, int | None], str]:
    """Copy the live file with SQLite's online backup API, then make the copy a self-contained
    rollback-journal file and check it."""
    src_path = _sqlite_path(alias)
    if not src_path.exists():
        raise BackupError(f"数据库文件不存在：{src_path} / The database file does not exist: {src_path}")
    timeout = float((_db(alias).settings_dict.get("OPTIONS") or {}).get("timeout", 20))
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=timeout)
    dst = sqlite3.connect(out)
    try:
        src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"数据库副本完整性检查失败：{ok} / Integrity check of the copy failed: {ok}")
        rows = dst.execute("SELECT app, name FROM django_migrations ORDER BY applied, id").fetchall()
        version = sqlite3.sqlite_version
    finally:
        dst.close()
        src.close()
    return _migration_state(rows), _count_sqlite_file(out), version


def _pg_env(sd: dict) -> tuple[list[str], dict[str, str]]:
    args = []
    if sd.get("HOST"):
        args += ["-h", str(sd["HOST"])]
    if sd.get("PORT"):
        args += ["-p", str(sd["PORT"])]
    if sd.get("USER"):
        args += ["-U", str(sd["USER"])]
    env = dict(os.environ)
    if sd.get("PASSWORD"):
        env["PGPASSWORD"] = str(sd["PASSWORD"])  # never on the command line
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {cmd[0]}，请安装 PostgreSQL 客户端 / {cmd[0]} not found: install the PostgreSQL client") from exc
    if proc.returncode != 0:
        raise BackupError(f"{what}失败：{proc.stderr.strip()[:2000]} / {what} failed")
    return proc


def _dump_pg(alias: str, out: Path) -> tuple[dict[str, str], dict[str, int | None], str]:
    conn = _db(alias)
    sd = conn.settings_dict
    args, env = _pg_env(sd)
    _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", *args, "-f", str(out), sd["NAME"]], env, "pg_dump ")
    _run(["pg_restore", "--list", str(out)], env, "pg_restore --list ")
    with conn.cursor() as cur:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY applied, id")
        rows = cur.fetchall()
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    return _migration_state(rows), live_counts(alias), version


# --- media ------------------------------------------------------------------------------------
def _tar_media(out: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    n = 0
    with tarfile.open(out, "w") as tar:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
                    n += 1
    return n


# --- backup -----------------------------------------------------------------------------------
def _archive_name(now: datetime, label: str) -> str:
    if label and not re.fullmatch(r"[A-Za-z0-9_-]+", label):
        raise BackupError(f"标签只能包含字母、数字、- 和 _：{label} / The label may hold letters, digits, - and _ only")
    return f"salesdesk-{now:%Y%m%d-%H%M%S}{'-' + label if label else ''}.tar.gz"


def create_backup(dest: Path | str | None = None, *, label: str = "", alias: str = "default") -> BackupResult:
    """Write one verified archive into ``dest`` (default ``BACKUP_DIR``) and return it."""
    started = time.monotonic()
    dest = Path(dest) if dest else backup_dir()
    dest.mkdir(parents=True, exist_ok=True)
    now = timezone.localtime()
    name = _archive_name(now, label)
    n = 1
    while (dest / name).exists():
        n += 1
        name = _archive_name(now, f"{label + '-' if label else ''}{n}")
    with tempfile.TemporaryDirectory(dir=dest, prefix=".backup-") as work_dir:
        work = Path(work_dir)
        if _is_sqlite(alias):
            db_part = "db.sqlite3"
            migrations, counts, version = _dump_sqlite(alias, work / db_part)
        else:
            db_part = "db.pgdump"
            migrations, counts, version = _dump_pg(alias, work / db_part)
        media_files = _tar_media(work / "media.tar")
        (work / "settings.json").write_text(
            json.dumps(_settings_snapshot(alias, migrations, version), ensure_ascii=False, indent=2), encoding="utf-8")
        parts = {p: {"bytes": (work / p).stat().st_size, "sha256": sha256_of(work / p)}
                 for p in (db_part, "media.tar", "settings.json")}
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "engine": _db(alias).vendor,
            "database_part": db_part,
            "parts": parts,
            "media_files": media_files,
            "row_counts": counts,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = work / (name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            for p in ("manifest.json", "settings.json", db_part, "media.tar"):
                tar.add(work / p, arcname=p, recursive=False)
        os.replace(partial, dest / name)  # appears whole or not at all
    path = dest / name
    manifest["archive_bytes"] = path.stat().st_size
    verify_archive(path)
    return BackupResult(path=path, manifest=manifest, seconds=time.monotonic() - started)


# --- verification -----------------------------------------------------------------------------
def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"备份文件已损坏或不是 SalesDesk 备份（{path.name}）：{why} / "
                       f"The archive is damaged or not a SalesDesk backup ({path.name}): {why}")


def _extract(path: Path, into: Path) -> dict:
    """Unpack ``path`` into ``into`` and check every part against the manifest; return the manifest."""
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path} / Archive not found: {path}")
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            unknown = [n for n in names if n not in PARTS or not tar.getmember(n).isfile()]
            if unknown or len(set(names)) != len(names):
                raise _damaged(path, f"unexpected members {unknown[:5]}")
            tar.extractall(into, filter="data")
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(path, "manifest.json missing or unreadable") from exc
    if manifest.get("format") != FORMAT:
        raise _damaged(path, f"unknown format {manifest.get('format')!r}")
    db_part = manifest.get("database_part")
    if db_part not in {"db.sqlite3", "db.pgdump"} or db_part not in manifest.get("parts", {}):
        raise _damaged(path, "no database part")
    for part, meta in manifest["parts"].items():
        file = into / part
        if part not in PARTS or not file.is_file():
            raise _damaged(path, f"part {part} missing")
        if file.stat().st_size != meta.get("bytes") or sha256_of(file) != meta.get("sha256"):
            raise _damaged(path, f"sha256 of {part} does not match the manifest")
    if db_part == "db.sqlite3":
        try:
            con = sqlite3.connect(f"file:{into / db_part}?mode=ro", uri=True)
            try:
                ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise _damaged(path, f"database: {exc}") from exc
        if ok != "ok":
            raise _damaged(path, f"PRAGMA integrity_check: {ok}")
    else:
        _, env = _pg_env({})
        proc = subprocess.run(["pg_restore", "--list", str(into / db_part)], capture_output=True, text=True,  # noqa: S603, S607
                              env=env, check=False)
        if proc.returncode != 0:
            raise _damaged(path, f"pg_restore --list: {proc.stderr.strip()[:500]}")
    try:
        with tarfile.open(into / "media.tar") as media:
            media.getmembers()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _damaged(path, f"media.tar: {exc}") from exc
    return manifest


def verify_archive(path: Path | str) -> dict:
    """Check an archive without changing anything; return its manifest or raise ``BackupError``."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="salesdesk-verify-") as work:
        return _extract(path, Path(work))


# --- restore ----------------------------------------------------------------------------------
def _restore_sqlite(alias: str, copy: Path) -> None:
    target = _sqlite_path(alias)
    connections[alias].close()
    if not target.exists():
        # no database left: the verified copy takes its place in one rename
        staged = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(copy, staged)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
        return
    # A live file (the app or the job worker may hold it open in WAL mode): the online backup API
    # writes the copy into it in one transaction, so every connection sees the old or the new
    # database, never a mix, and the -wal/-shm files stay consistent (a rename would not).
    timeout = float((_db(alias).settings_dict.get("OPTIONS") or {}).get("timeout", 20))
    src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=timeout)
    try:
        src.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise BackupError(f"无法写入数据库（是否正被占用？）：{exc} / Could not write the database (is it busy?): {exc}") from exc
    finally:
        dst.close()
        src.close()


def _restore_pg(alias: str, dump: Path) -> None:
    conn = _db(alias)
    sd = conn.settings_dict
    conn.close()
    args, env = _pg_env(sd)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          *args, "-d", sd["NAME"], str(dump)], env, "pg_restore ")


def _restore_media(media_tar: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.restoring-"))
    with tarfile.open(media_tar) as tar:
        tar.extractall(staged, filter="data")
        n = sum(1 for m in tar.getmembers() if m.isfile())
    old = root.with_name(f".{root.name}.old-{os.getpid()}")
    if root.exists():
        os.replace(root, old)
    os.replace(staged, root)
    shutil.rmtree(old, ignore_errors=True)
    return n


def restore_archive(path: Path | str, *, alias: str = "default") -> RestoreResult:
    """Verify ``path``, then replace the configured database and ``MEDIA_ROOT`` with its contents.
    Nothing is changed when the archive does not verify or was made on another database engine."""
    started = time.monotonic()
    path = Path(path)
    scratch = _sqlite_path(alias).parent if _is_sqlite(alias) else None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".restore-") as work_dir:
        work = Path(work_dir)
        manifest = _extract(path, work)
        engine = _db(alias).vendor
        if manifest["engine"] != engine:
            raise BackupError(f"备份来自 {manifest['engine']} 数据库，当前配置的是 {engine}，不能直接恢复 / "
                              f"The archive was made on {manifest['engine']} but {engine} is configured")
        if engine == "sqlite":
            _restore_sqlite(alias, work / manifest["database_part"])
        else:
            _restore_pg(alias, work / manifest["database_part"])
        media_files = _restore_media(work / "media.tar")
    connections[alias].close()
    counts = live_counts(alias)
    expected = manifest.get("row_counts", {})
    mismatches = {k: (expected.get(k), v) for k, v in counts.items() if k in expected and expected[k] != v}
    return RestoreResult(manifest=manifest, counts=counts, mismatches=mismatches, media_files=media_files,
                         seconds=time.monotonic() - started)


# --- retention --------------------------------------------------------------------------------
def archive_time(path: Path) -> datetime | None:
    m = ARCHIVE_RE.match(path.name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def prune(directory: Path | str | None = None, *, daily: int | None = None, monthly: int | None = None) -> list[Path]:
    """Keep the newest archive of each of the last ``daily`` days that have one and of each of the
    last ``monthly`` months; delete the other archives (only files named like ours are touched)."""
    directory = Path(directory) if directory else backup_dir()
    daily = keep_daily() if daily is None else daily
    monthly = keep_monthly() if monthly is None else monthly
    if not directory.is_dir():
        return []
    archives = sorted(((t, p) for p in directory.iterdir() if p.is_file() and (t := archive_time(p))),
                      key=lambda tp: (tp[0], tp[1].name), reverse=True)
    keep: set[Path] = set()
    days: set = set()
    months: set = set()
    for t, p in archives:
        if t.date() not in days and len(days) < daily:
            days.add(t.date())
            keep.add(p)
        if (t.year, t.month) not in months and len(months) < monthly:
            months.add((t.year, t.month))
            keep.add(p)
    deleted = []
    for _, p in archives:
        if p not in keep:
            p.unlink(missing_ok=True)
            deleted.append(p)
    return deleted


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
