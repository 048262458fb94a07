from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from salesdesk.core.demo import SCALES, DemoContext, seeders


class Command(BaseCommand):
    help = "Load demo data: --scale users (only the test accounts), demo (what make run loads) or large."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=SCALES, default="demo")
        parser.add_argument("--password", default="salesdesk", help="password of every demo account")
        parser.add_argument("--seed", type=int, default=20261127, help="random seed (same seed, same data)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when users already exist")

    def handle(self, *args, scale: str, password: str, seed: int, if_empty: bool, **options):
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Demo data already loaded; skipped. / 演示数据已存在，跳过。")
            return
        ctx = DemoContext(scale=scale, password=password, seed=seed, out=self.stdout)
        for label, seed_fn in seeders():
            started = time.monotonic()
            with transaction.atomic():
                seed_fn(ctx)
            self.stdout.write(f"  {label}: {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (scale={scale})."))
