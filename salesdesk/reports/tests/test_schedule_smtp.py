"""The daily report end to end over real SMTP: "send now" through the API, the outbox drained into a
loopback aiosmtpd server, and each recipient's mail carrying its delivery's Message-ID and an Excel
file with the same per-salesperson figures as ``GET /reports/sales`` answers that recipient."""

from __future__ import annotations

import email
import io
import socket
from decimal import Decimal
from email import policy

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from salesdesk.core import outbox
from salesdesk.ledger.choices import FactKind
from salesdesk.reports.exporting import HEADER_ROW
from salesdesk.reports.models import ReportDelivery, ReportSchedule

from .factories import CustomerFactory, ProductFactory, fact

pytestmark = pytest.mark.django_db

FIGURES = {"ordered_amount": "下单金额(含税)", "shipped_amount": "发货金额(含税)", "received_amount": "回款金额(已确认)"}


class _Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    handler = _Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()


def _money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _excel_rows(message) -> list[dict]:
    [part] = [p for p in message.iter_attachments() if (p.get_filename() or "").endswith(".xlsx")]
    sheet = openpyxl.load_workbook(io.BytesIO(part.get_payload(decode=True)), data_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[HEADER_ROW])
    label_col = 1
    col = {field: header.index(title) for field, title in FIGURES.items()}
    out = []
    for values in rows[HEADER_ROW + 1:]:
        if not values or values[label_col] in (None, ""):
            break
        out.append({"label": values[label_col], **{f: _money(values[c]) for f, c in col.items()}})
    return out


def test_send_now_mails_each_recipient_its_own_excel_over_smtp(smtp, api, personas):
    daily = ReportSchedule.objects.get(code="daily_performance")
    today = timezone.localdate()
    clerk, product = personas["clerk"], ProductFactory()
    one, two = CustomerFactory(salesperson=personas["sales1"]), CustomerFactory(salesperson=personas["sales2"])
    fact(clerk, FactKind.BOOKED, today, "1000", customer=one, product=product)
    fact(clerk, FactKind.SHIPPED, today, "600", customer=one, product=product)
    fact(clerk, FactKind.RECEIVED, today, "250", customer=one)
    fact(clerk, FactKind.BOOKED, today, "300", customer=two, product=product)
    fact(clerk, FactKind.RECEIVED, today, "120.50", customer=two)

    response = api("clerk").post(f"/api/v1/reports/schedules/{daily.pk}/send")
    assert response.status_code == 200, response.content
    assert outbox.drain() == 2

    by_rcpt = {}
    for envelope in smtp.envelopes:
        for rcpt in envelope.rcpt_tos:
            by_rcpt.setdefault(rcpt, []).append(email.message_from_bytes(envelope.content, policy=policy.default))
    gm, finance = personas["gm"], personas["finance"]
    assert sorted(by_rcpt) == sorted([gm.email, finance.email])
    assert all(len(msgs) == 1 for msgs in by_rcpt.values())

    for user in (gm, finance):
        [message] = by_rcpt[user.email]
        delivery = ReportDelivery.objects.get(schedule=daily, recipient=user, manual=True)
        assert message["Message-ID"] == delivery.message_id

        body = api(user.username).get(
            f"/api/v1/reports/sales?period=day&date={today.isoformat()}&group_by=salesperson").json()
        expected = [{"label": r["label"], **{f: _money(r[f]) for f in FIGURES}} for r in body["rows"]]
        got = _excel_rows(message)[:len(expected)]
        assert got == expected
        sales1 = next(r for r in expected if r["label"] == personas["sales1"].display_name)
        assert (sales1["ordered_amount"], sales1["shipped_amount"], sales1["received_amount"]) == (
            Decimal("1000.00"), Decimal("600.00"), Decimal("250.00"))
