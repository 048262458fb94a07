from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from salesdesk.ledger import rollups


class Command(BaseCommand):
    help = "Rebuild the roll-ups of a date range from the facts (month roll-ups: the whole months). / 按事实重建汇总表。"

    def add_arguments(self, parser):
        parser.add_argument("start", help="YYYY-MM-DD")
        parser.add_argument("end", nargs="?", help="YYYY-MM-DD (default: start)")
        parser.add_argument("--check", action="store_true", help="only list differences, change nothing")

    def handle(self, *args, start: str, end: str | None, check: bool, **options):
        try:
            lo = date.fromisoformat(start)
            hi = date.fromisoformat(end or start)
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD / Dates are YYYY-MM-DD: {exc}") from exc
        if hi < lo:
            raise CommandError("结束日期早于开始日期 / The end is before the start.")
        if check:
            problems = rollups.differences(lo, hi)
            for p in problems:
                self.stdout.write(p)
            if problems:
                raise CommandError(f"{len(problems)} differences / 处差异")
            self.stdout.write("roll-ups = facts")
            return
        self.stdout.write(f"rebuilt {rollups.rebuild(lo, hi)} roll-up rows")
