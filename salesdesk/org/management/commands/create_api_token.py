from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from salesdesk.org.models import User
from salesdesk.org.services import create_api_token


class Command(BaseCommand):
    help = "Create an API token for a user; the token alone is printed on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=0, help="expire after N days (0 = never)")

    def handle(self, *args, username: str, name: str, days: int, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在 / no such user: {username}")
        if not user.is_active:
            raise CommandError(f"用户已停用 / user is inactive: {username}")
        expires = timezone.now() + timedelta(days=days) if days > 0 else None
        issued = create_api_token(actor=user, user=user, name=name, expires_at=expires)
        self.stdout.write(issued.raw)
