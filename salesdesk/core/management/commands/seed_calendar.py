"""Seed the working-day calendar (工作日历) from ``holidays.China`` for the given years.

Only a year without any rows is filled, so the admin's edits are never overwritten. A year whose
调休 arrangement the package does not know yet is skipped unless ``--statutory-only`` is given."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from salesdesk.core.calendar import seed_year


class Command(BaseCommand):
    help = "Seed the working-day calendar from holidays.China for years that have no rows (never overwrites)."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+", help="years to seed (default: this year and the next)")
        parser.add_argument(
            "--statutory-only", action="store_true",
            help="for a year whose 调休 arrangement is not published yet, seed the statutory holidays alone",
        )

    def handle(self, *args, years: list[int] | None, statutory_only: bool, **options):
        this_year = timezone.localdate().year
        for year in years or [this_year, this_year + 1]:
            result = seed_year(year, statutory_only=statutory_only)
            if result.skipped == "exists":
                self.stdout.write(f"{year}: already has rows; left as is. / 已有记录，未改动。")
            elif result.skipped == "unpublished":
                self.stdout.write(
                    f"{year}: holidays.China has no 调休 arrangement for this year yet; nothing seeded "
                    "(use --statutory-only, or enter the days by hand). / 尚无调休安排，未导入。"
                )
            else:
                self.stdout.write(f"{year}: {result.created} days seeded. / 已导入 {result.created} 天。")
