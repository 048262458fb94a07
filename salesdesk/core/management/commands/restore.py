"""``python manage.py restore ARCHIVE --yes``: verify an archive made by ``backup``, then replace the database
and the media files with its contents and print the row counts. Without ``--yes`` it only verifies."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from salesdesk.core import backup


class Command(BaseCommand):
    help = "Restore the database and media files from a backup archive (verified first). / 从备份恢复数据库和附件。"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="path of a salesdesk-*.tar.gz made by `manage.py backup`")
        parser.add_argument("--yes", action="store_true", help="confirm: the current database and media are replaced")

    def handle(self, *args, archive: str, yes: bool, **options):
        try:
            if not yes:
                manifest = backup.verify_archive(archive)
                self.stdout.write(f"备份有效 / Archive verified: created {manifest['created_at']}, engine {manifest['engine']}")
                raise CommandError("恢复会覆盖当前的数据库和附件；确认请加 --yes。未做任何改动。 / "
                                   "Restore replaces the current database and media files; add --yes to confirm. Nothing was changed.")
            result = backup.restore_archive(archive)
        except backup.BackupError as exc:
            raise CommandError(f"{exc}\n未做任何改动。 / Nothing was changed.") from exc
        self.stdout.write(self.style.SUCCESS(
            f"恢复完成 / Restored {archive} (created {result.manifest['created_at']}) in {result.seconds:.1f} s; "
            f"media files: {result.media_files}"))
        for label, count in result.counts.items():
            expected = result.manifest.get("row_counts", {}).get(label)
            mark = "" if label not in result.mismatches else f"  ≠ manifest {expected}"
            self.stdout.write(f"  {label}: {count}{mark}")
        if result.mismatches:
            raise CommandError(f"行数与备份清单不符 / Row counts differ from the manifest: {result.mismatches}")
        self.stdout.write("如果代码比备份新，请接着运行 migrate。 / If the code is newer than the backup, run migrate next.")
