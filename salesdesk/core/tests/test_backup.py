"""R8 backups: backup → wipe → restore gives identical counts, balances and media files; a damaged
archive is refused and changes nothing; retention keeps the newest archive per day and per month."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from salesdesk.core import backup
from salesdesk.finance.receivables import customer_balance
from salesdesk.finance.tests.factories import customer, order, payment

transactional = pytest.mark.django_db(transaction=True)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file database only")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="runs in .ci/run's PostgreSQL pass")


def all_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if not m._meta.proxy}


def media_files(root) -> dict[str, bytes]:
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


@pytest.fixture
def business(personas, settings):
    """Three customers with orders and payments (confirmed and not) and two media files."""
    made = []
    for i, owner in enumerate(("sales1", "sales2", "sales3")):
        cust = customer(personas, owner=owner)
        o = order(personas, cust, total=f"{(i + 1) * 1000}.00", owner=owner)
        payment(personas, cust, "700.00", order=o, confirm=True)
        payment(personas, cust, "50.00")
        made.append(cust)
    root = Path(settings.MEDIA_ROOT)
    (root / "attachments" / "2026" / "11").mkdir(parents=True)
    (root / "attachments" / "2026" / "11" / "回单.png").write_bytes(b"\x89PNG slip")
    (root / "contract.pdf").write_bytes(b"%PDF-1.7 contract")
    return made


@pytest.fixture
def backups(tmp_path, settings):
    settings.BACKUP_DIR = str(tmp_path / "backups")
    return tmp_path / "backups"


def snapshot(customers, settings) -> tuple:
    return all_counts(), {c.pk: customer_balance(c.pk) for c in customers}, media_files(settings.MEDIA_ROOT)


@transactional
def test_backup_wipe_restore_gives_identical_counts_balances_and_media(business, backups, settings):
    before = snapshot(business, settings)
    assert any(before[1].values()), "the test needs a non-zero balance to mean something"
    call_command("backup", stdout=io.StringIO())
    (archive,) = backups.glob("salesdesk-*.tar.gz")

    call_command("flush", interactive=False, verbosity=0)
    import shutil

    shutil.rmtree(settings.MEDIA_ROOT)
    assert all_counts()["customers.Customer"] == 0

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)

    assert snapshot(business, settings) == before
    assert "customers.Customer: 3" in out.getvalue()


@sqlite_only
@transactional
def test_restore_replaces_a_dropped_sqlite_file(business, backups, settings):
    before = snapshot(business, settings)
    result = backup.create_backup()
    db_file = Path(connection.settings_dict["NAME"])

    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    backup.restore_archive(result.path)

    assert snapshot(business, settings) == before


@sqlite_only
@transactional
def test_backup_runs_beside_an_open_write_transaction_and_copies_only_committed_rows(business, backups):
    import sqlite3

    writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the app in the middle of a write
        writer.execute("DELETE FROM finance_allocation")
        result = backup.create_backup()
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert result.manifest["row_counts"]["finance.Allocation"] == all_counts()["finance.Allocation"] > 0


def _rewrite(archive: Path, change) -> None:
    """Rebuild ``archive`` with ``change(name, data) -> data`` applied to each member."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members:
            data = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _flip_bytes(archive: Path) -> None:
    raw = bytearray(archive.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 64] = bytes(b ^ 0xFF for b in raw[mid:mid + 64])
    archive.write_bytes(bytes(raw))


def _invert_middle(data: bytes) -> bytes:
    """Every byte of 100 in the middle inverted: always a change (zeroing the end did nothing when the
    last page was already free space, and the test then passed or failed by chance)."""
    mid = len(data) // 2
    return data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 100]) + data[mid + 100:]


def _tamper_database(archive: Path) -> None:
    _rewrite(archive, lambda name, data: _invert_middle(data) if name.startswith("db.") else data)


def _truncate(archive: Path) -> None:
    archive.write_bytes(archive.read_bytes()[:1000])


@transactional
@pytest.mark.parametrize("corrupt", [_flip_bytes, _tamper_database, _truncate], ids=["bit-rot", "tampered-db", "truncated"])
def test_a_corrupted_archive_is_refused_with_a_bilingual_error_and_nothing_changes(personas, business, backups, settings,
                                                                                   corrupt):
    archive = backup.create_backup().path
    corrupt(archive)
    customer(personas)  # a change made after the backup, which a restore would undo
    before = snapshot(business, settings)

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    message = str(refused.value)
    assert "已损坏" in message and "damaged" in message and "未做任何改动" in message and "Nothing was changed" in message
    assert snapshot(business, settings) == before


@transactional
def test_restore_without_yes_only_verifies_and_changes_nothing(personas, business, backups, settings):
    archive = backup.create_backup().path
    customer(personas)
    before = snapshot(business, settings)

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert snapshot(business, settings) == before


@transactional
def test_the_archive_holds_manifest_settings_snapshot_database_and_media_with_matching_sha256s(business, backups):
    result = backup.create_backup(label="pre-migrate")

    assert backup.ARCHIVE_RE.match(result.path.name) and result.path.name.endswith("-pre-migrate.tar.gz")
    with tarfile.open(result.path) as tar:
        names = set(tar.getnames())
        snapshot_ = json.loads(tar.extractfile("settings.json").read())
        raw = b"".join(tar.extractfile(n).read() for n in names)
    manifest = backup.verify_archive(result.path)
    db_part = "db.sqlite3" if connection.vendor == "sqlite" else "db.pgdump"
    assert names == {"manifest.json", "settings.json", db_part, "media.tar"}
    assert set(manifest["parts"]) == {db_part, "media.tar", "settings.json"}
    assert manifest["media_files"] == 2
    assert manifest["row_counts"]["customers.Customer"] == 3
    assert snapshot_["database"]["vendor"] == connection.vendor
    assert snapshot_["migrations"]["finance"].startswith("0")
    from django.conf import settings

    assert settings.SECRET_KEY.encode() not in raw
    with tarfile.open(result.path) as tar:
        texts = (tar.extractfile("settings.json").read() + tar.extractfile("manifest.json").read()).decode().lower()
    assert "password" not in texts and "secret" not in texts


@pytest.mark.django_db
def test_an_archive_of_another_engine_is_refused(business, backups):
    archive = backup.create_backup().path
    _rewrite(archive, lambda name, data: data.replace(f'"engine": "{connection.vendor}"'.encode(), b'"engine": "oracle"')
             if name == "manifest.json" else data)

    with pytest.raises(backup.BackupError, match="oracle"):
        backup.restore_archive(archive)


def test_retention_keeps_the_newest_archive_of_each_recent_day_and_month(tmp_path):
    start = datetime(2026, 11, 27, 2, 30)
    names = set()
    for days_ago in range(0, 120):
        for hour in (2, 9):  # the nightly one and a pre-migrate one
            t = (start - timedelta(days=days_ago)).replace(hour=hour)
            name = f"salesdesk-{t:%Y%m%d-%H%M%S}{'-pre-migrate' if hour == 9 else ''}.tar.gz"
            (tmp_path / name).write_bytes(b"x")
            names.add(name)
    (tmp_path / "notes.txt").write_text("not ours")

    deleted = backup.prune(tmp_path, daily=7, monthly=3)

    kept = sorted(p.name for p in tmp_path.glob("salesdesk-*"))
    assert kept == sorted([f"salesdesk-202611{d:02d}-093000-pre-migrate.tar.gz" for d in range(21, 28)]
                          + ["salesdesk-20261031-093000-pre-migrate.tar.gz", "salesdesk-20260930-093000-pre-migrate.tar.gz"])
    assert len(deleted) == len(names) - len(kept)
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.django_db
def test_nightly_job_writes_a_verified_archive_and_applies_retention(business, backups, settings):
    from salesdesk.core.backup_tasks import nightly_backup_task
    from salesdesk.core.models import JobRun

    backups.mkdir(parents=True)
    old = backups / "salesdesk-20200101-023000.tar.gz"
    old.write_bytes(b"x")
    (backups / "salesdesk-20200201-023000.tar.gz").write_bytes(b"x")
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_MONTHLY = 1, 2  # today's; this month's and Feb 2020's

    nightly_backup_task.call_local()

    (archive,) = [p for p in backups.glob("salesdesk-2*.tar.gz") if not p.name.startswith("salesdesk-2020")]
    backup.verify_archive(archive)
    assert not old.exists() and (backups / "salesdesk-20200201-023000.tar.gz").exists()
    assert JobRun.objects.get(name="core.nightly_backup").status == "succeeded"


def test_nightly_backup_is_scheduled_at_0230_beijing_time():
    from django.conf import settings

    from salesdesk.core.backup_tasks import nightly_backup_task

    assert settings.HUEY["utc"] is False
    crontab = nightly_backup_task.task_class().validate_datetime
    assert crontab(datetime(2026, 11, 27, 2, 30)) and not crontab(datetime(2026, 11, 27, 2, 31))


@pytest.mark.django_db
def test_backup_if_exists_skips_quietly_when_there_is_no_database(backups, monkeypatch, tmp_path):
    monkeypatch.setattr(backup, "database_exists", lambda alias="default": False)
    out = io.StringIO()

    call_command("backup", "--if-exists", stdout=out)

    assert "skipped" in out.getvalue()
    assert not backups.exists()


@postgres_only
@transactional
def test_postgresql_pg_dump_and_pg_restore_round_trip(business, backups, settings):
    import subprocess

    before = snapshot(business, settings)
    result = backup.create_backup()
    with tarfile.open(result.path) as tar:
        tar.extract("db.pgdump", backups, filter="data")
    listing = subprocess.run(["pg_restore", "--list", str(backups / "db.pgdump")],
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public customers_customer" in listing

    call_command("flush", interactive=False, verbosity=0)
    restored = backup.restore_archive(result.path)

    assert restored.mismatches == {}
    assert snapshot(business, settings) == before
