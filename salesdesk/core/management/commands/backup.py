"""``python manage.py backup [--dest DIR] [--label L] [--if-exists] [--prune]``: one verified archive of the
database, the media files and a settings snapshot (see salesdesk/core/backup.py, docs/reliability.md R8)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from salesdesk.core import backup


class Command(BaseCommand):
    help = "Back up the database, media files and a settings snapshot into one verified archive. / 备份数据库、附件和设置。"

    def add_arguments(self, parser):
        parser.add_argument("--dest", help="directory for the archive (default: settings.BACKUP_DIR, var/backups)")
        parser.add_argument("--label", default="", help="suffix of the file name, e.g. pre-migrate")
        parser.add_argument("--if-exists", action="store_true",
                            help="do nothing (exit 0) when there is no database yet, e.g. before the first migrate")
        parser.add_argument("--prune", action="store_true",
                            help="afterwards apply retention (BACKUP_KEEP_DAILY / BACKUP_KEEP_MONTHLY) to the directory")

    def handle(self, *args, dest: str | None, label: str, if_exists: bool, prune: bool, **options):
        if if_exists and not backup.database_exists():
            self.stdout.write("还没有数据库，跳过备份。 / No database yet; backup skipped.")
            return
        try:
            result = backup.create_backup(dest, label=label)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        self.stdout.write(self.style.SUCCESS(
            f"备份完成 / Backup written: {result.path} ({backup.human_size(m['archive_bytes'])}, {result.seconds:.1f} s)"))
        self.stdout.write(f"  engine={m['engine']} media_files={m['media_files']} verified=sha256+integrity")
        for label_, count in m["row_counts"].items():
            self.stdout.write(f"  {label_}: {count}")
        if prune:
            deleted = backup.prune(result.path.parent)
            self.stdout.write(f"按保留策略删除 {len(deleted)} 个旧备份 / Retention deleted {len(deleted)} old archive(s)")
