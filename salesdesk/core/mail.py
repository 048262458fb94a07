"""Outbound e-mail, always through the outbox so that a rolled-back transaction sends nothing."""

from __future__ import annotations

import base64
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from . import outbox
from .models import OutboxMessage


def queue_mail(
    to: list[str],
    subject: str,
    body: str,
    *,
    html: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail in the current transaction. The Message-ID is fixed now, so a resend of
    the same message is recognisable as the same mail by the recipient's client."""
    to = [a for a in to if a]
    if not to:
        return None
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "salesdesk.local"
    payload = {
        "to": to,
        "subject": subject,
        "body": body,
        "html": html,
        "message_id": make_msgid(domain=domain),
        "attachments": [
            {"name": name, "content": base64.b64encode(content).decode(), "mimetype": mimetype}
            for name, content, mimetype in (attachments or [])
        ],
    }
    return outbox.enqueue("mail", payload, dedupe_key=dedupe_key)


@outbox.handler("mail")
def send_mail_message(msg: OutboxMessage) -> None:
    p = msg.payload
    mail = EmailMultiAlternatives(
        subject=p["subject"],
        body=p["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=p["to"],
        headers={"Message-ID": p["message_id"]},
    )
    if p.get("html"):
        mail.attach_alternative(p["html"], "text/html")
    for a in p.get("attachments") or []:
        mail.attach(a["name"], base64.b64decode(a["content"]), a["mimetype"])
    mail.send(fail_silently=False)
