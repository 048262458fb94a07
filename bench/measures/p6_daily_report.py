"""P6 — the daily report (销售日报, the built-in ``daily_performance`` schedule) for 1,000 salespeople,
rendered and mailed to a local SMTP server (aiosmtpd in a thread, as
``reports/tests/test_schedule_smtp.py`` does): plan the day's deliveries, send them (each rendered under
its recipient's own visibility: the day's report and the month to date, HTML + text + the Excel file),
and drain the outbox into SMTP. Reported: the total time, and per salesperson in the note.

Setup, all in a transaction rolled back afterwards (the bench data stays as it was): salesperson users
are added until there are 1,000 (quick mode: 100); the customers with facts in the report's month are
dealt round-robin to them — the month's facts and month roll-ups follow their customer — so each
salesperson has their own figures; the schedule's recipients become exactly those salespeople.

Goal (informational): ≤ 1 s per salesperson."""

from __future__ import annotations

import socket
import tempfile
import time
from datetime import date, datetime, timedelta

from django.db import connection, transaction

from bench.common import Result

FULL_PEOPLE = 1_000
QUICK_PEOPLE = 100
PER_PERSON_LIMIT_MS = 1_000


class _Collector:
    def __init__(self):
        self.envelopes = 0

    async def handle_DATA(self, server, session, envelope):
        self.envelopes += len(envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report_day() -> date:
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(business_date) FROM ledger_fact")
        return date.fromisoformat(str(cur.fetchone()[0])[:10])


def _salespeople(count: int) -> list:
    from django.contrib.auth.models import Group

    from salesdesk.org.models import User

    group = Group.objects.get(name="salesperson")
    people = list(User.objects.filter(groups=group, is_active=True).order_by("id")[:count])
    missing = count - len(people)
    if missing > 0:
        made = User.objects.bulk_create([
            User(username=f"bench_sp_{i:04d}", name=f"业务员{i:04d}", email=f"bench_sp_{i:04d}@bench.local", is_active=True)
            for i in range(missing)])
        if made and made[0].pk is None:  # backends without RETURNING on bulk insert
            made = list(User.objects.filter(username__startswith="bench_sp_").order_by("id"))
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in made])
        people += made
    User.objects.filter(pk__in=[u.pk for u in people], email="").update(email="nobody@bench.local")
    return people


def _deal_customers(people: list, day: date) -> int:
    """Hand the customers with facts in ``day``'s month round-robin to ``people``; the month's facts
    follow, its roll-ups are rebuilt. Returns how many customers were dealt."""
    from salesdesk.ledger import rollups
    from salesdesk.ledger.models import Fact

    first = day.replace(day=1)
    customers = sorted(set(Fact.objects.filter(business_date__gte=first, business_date__lte=day)
                           .values_list("customer_id", flat=True)))
    facts = Fact._meta.db_table
    with connection.cursor() as cur:  # facts are immutable through the ORM; this is scratch, rolled back
        for i, person in enumerate(people):
            mine = customers[i::len(people)]
            if not mine:
                continue
            marks = ", ".join(["%s"] * len(mine))
            cur.execute(f"UPDATE {facts} SET salesperson_id = %s WHERE business_date >= %s AND business_date <= %s "
                        f"AND customer_id IN ({marks})", [person.pk, first, day, *mine])
    rollups.rebuild(first, day)  # the month's roll-ups from the dealt facts
    return len(customers)


def run(count: int) -> dict:
    from aiosmtpd.controller import Controller
    from django.test import override_settings
    from django.utils import timezone

    from salesdesk.core import outbox
    from salesdesk.core.models import OutboxMessage, OutboxStatus
    from salesdesk.reports import deliveries
    from salesdesk.reports.models import ReportSchedule
    from salesdesk.reports.periods import report_period
    from salesdesk.reports.schedules import period_key

    handler = _Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="p6-") as media, override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=controller.port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_HOST_USER="",
                EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=10, MEDIA_ROOT=media), transaction.atomic():
            day = report_day()
            setup = time.perf_counter()
            people = _salespeople(count)
            dealt = _deal_customers(people, day)
            schedule = ReportSchedule.objects.get(code="daily_performance")
            schedule.recipient_roles = []
            schedule.save(update_fields=["recipient_roles"])
            schedule.recipients.set(people)
            # messages already waiting in the bench data are not ours to send
            OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
                available_at=timezone.now() + timedelta(days=3650))
            key = period_key(report_period("day", day))
            now = timezone.make_aware(datetime.combine(day, schedule.send_at)) if schedule.send_at else timezone.now()
            now = max(now, timezone.now())
            setup_s = time.perf_counter() - setup

            started = time.perf_counter()
            planned = deliveries.plan_deliveries(schedule, key, now=now)
            sent = deliveries.send_pending(schedule, key, now=now)
            rendered = time.perf_counter()
            mailed = 0
            while True:
                n = outbox.drain(limit=500)
                mailed += n
                if not n:
                    break
            total_ms = (time.perf_counter() - started) * 1000
            render_ms = (rendered - started) * 1000
            transaction.set_rollback(True)
    finally:
        controller.stop()
    return {"people": len(people), "planned": len(planned), "sent": sent, "mailed": mailed,
            "received": handler.envelopes, "total_ms": total_ms, "render_ms": render_ms, "setup_s": setup_s,
            "customers": dealt, "day": day}


def measures(target, *, quick: bool = False) -> list[Result]:
    count = QUICK_PEOPLE if quick else FULL_PEOPLE
    out = run(count)
    per = out["total_ms"] / max(out["people"], 1)
    ok = out["people"] == out["planned"] == out["sent"] == out["mailed"] == out["received"] == count
    note = (f"{per:,.0f} ms per salesperson (render+outbox {out['render_ms'] / out['people']:,.0f} ms, "
            f"SMTP {(out['total_ms'] - out['render_ms']) / out['people']:,.0f} ms); day {out['day']}, "
            f"{out['customers']:,} customers of the month dealt to {out['people']:,} salespeople; "
            f"sent {out['sent']}, mailed {out['mailed']}, received {out['received']}; setup {out['setup_s']:.1f} s")
    return [Result(name=f"P6 daily report to {count:,} salespeople", ours_ms=round(out["total_ms"], 1),
                   reference_ms=None, goal=f"≤ {PER_PERSON_LIMIT_MS} ms per salesperson",
                   met=ok and per <= PER_PERSON_LIMIT_MS, rows=out["people"], backend=target.backend, note=note)]
