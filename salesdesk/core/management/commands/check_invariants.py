"""``manage.py check_invariants``: list where the books disagree with themselves (R5); exit 1 when
any check fails, so cron, CI or a person sees it. ``--notify`` also tells the clerks and admins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from salesdesk.core import invariants


class Command(BaseCommand):
    help = "Check facts = documents, roll-ups = facts, allocations ≤ payments, statement chains, approved commission. / 数据一致性检查。"

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", choices=sorted(invariants.CHECKS),
                            help="run only this check (repeatable)")
        parser.add_argument("--notify", action="store_true", help="notify the clerks and admins on violations")

    def handle(self, *args, only=None, notify=False, **options):
        violations = invariants.check_invariants(only)
        for v in violations:
            self.stdout.write(str(v))
        if notify:
            invariants.alert(violations, timezone.localdate())
        checked = ", ".join(only or invariants.CHECKS)
        if violations:
            raise CommandError(f"{len(violations)} violations / 处不一致 ({checked})")
        self.stdout.write(f"OK: no violations / 无不一致 ({checked})")
