"""In-app notifications (written in the business transaction) with e-mail copies via the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from .mail import queue_mail
from .models import Notification


def notify(
    recipients: Iterable,
    title: str,
    body: str = "",
    *,
    url: str = "",
    kind: str = "",
    email: bool = True,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Tell each recipient (users or user ids) now in the app and, after commit, by e-mail.

    ``dedupe_key`` makes the whole notification happen once, e.g. ``order-submitted:17``, so a
    retried request does not notify twice.
    """
    User = get_user_model()
    ids = {r if isinstance(r, int) else r.pk for r in recipients}
    users = list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return []
    rows = Notification.objects.bulk_create(
        [Notification(recipient=u, title=title, body=body, url=url, kind=kind, dedupe_key=dedupe_key or "")
         for u in users]
    )
    if email:
        for u in users:
            queue_mail(
                [u.email], title, f"{body}\n\n{url}".strip(),
                dedupe_key=f"notify:{dedupe_key}:{u.pk}" if dedupe_key else None,
            )
    return rows
