from __future__ import annotations

from django.core.management.base import BaseCommand

from salesdesk.org.models import User
from salesdesk.org.roles import Role


class Command(BaseCommand):
    help = "Print the URL and the demo logins (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--password", default="salesdesk")

    def handle(self, *args, url: str, password: str, **options):
        labels = dict(Role.choices)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"SalesDesk 销售内勤工作台: {url}"))
        self.stdout.write(f"演示账号 / demo logins (密码 password: {password}):")
        for user in User.objects.filter(is_active=True).prefetch_related("groups").order_by("id")[:20]:
            roles = ", ".join(str(labels.get(r, r)) for r in sorted(user.role_codes))
            self.stdout.write(f"  {user.username:<12} {user.display_name:<8} {roles}")
        self.stdout.write("按 Ctrl-C 停止 / Press Ctrl-C to stop.\n")
