"""R6 Jobs (issue 12): the simulated month on a real queue — a huey consumer in its own process on a real
Redis, mail over SMTP to a loopback sink — with the worker killed (SIGKILL) in the middle of a delivery
and Redis restarted without persistence: nothing is lost (the outbox), nothing is sent twice
automatically.

The calendar, the sales, the schedules and the expected deliveries are those of
``salesdesk/reports/tests/test_simulated_month.py``. The test plays huey's scheduler: at each tick it
sets the worker's clock (the worker travels to it before each task) and enqueues the two periodic jobs,
the report schedules (``run_due``) and the outbox sweep, then waits for the worker to finish. Short mode
(``make test``, ``.ci/run``): Monday 14 to Wednesday 16 September; ``R6_LONG=1``: 7 September to 12
October, every event of the simulated month. Two crashes in both modes:

- 15 September 16:50 — the worker is killed while the SMTP server holds gm's daily report (received,
  never answered: it went out, the worker cannot know), with finance's mail still waiting in the outbox
  and its wake-up in Redis; Redis dies too and comes back empty. While Redis is down the clerk's side
  queues a mail (its wake-up call fails). The next sweep sends what waited; gm's mail becomes
  ``uncertain`` in the outbox and is never sent again;
- 16 September 16:50 — the worker is killed while rendering gm's daily report (the delivery is
  ``sending``, nothing handed to the outbox); Redis restarts again. finance's goes at 17:00, gm's
  becomes ``uncertain`` for a person to resend.

``R6_INJECT=no_sweep|retry_stale|bypass_outbox`` plants a bug the test must catch (see
``salesdesk/core/testing/jobqueue.py``). Runs only with ``REDIS_URL`` set (``.ci/run``'s PostgreSQL pass);
it starts its own ``redis-server`` so that it can kill it."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from huey.storage import RedisStorage

from salesdesk.core import tasks as core_tasks
from salesdesk.core.mail import queue_mail
from salesdesk.core.models import CalendarDay, OutboxMessage, OutboxStatus
from salesdesk.core.testing.jobqueue import RedisServer, Worker, database_url, inject, redacted, start_sink, tasks
from salesdesk.reports import checks, deliveries
from salesdesk.reports import schedule_tasks as report_tasks
from salesdesk.reports.models import DeliveryStatus, ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import BUILTINS, create_builtins
from salesdesk.reports.tests import test_simulated_month as sim
from salesdesk.reports.tests.factories import CustomerFactory, ProductFactory

REDIS_URL = os.environ.get("REDIS_URL", "")
LONG = os.environ.get("R6_LONG") == "1"
INJECT = os.environ.get("R6_INJECT", "")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL, reason="R6 needs Redis: set REDIS_URL (.ci/run's PostgreSQL pass does; locally "
                                             "start redis-server --save '' --appendonly no and export REDIS_URL)"),
]

BEIJING = sim.BEIJING
FIRST_DAY, LAST_DAY = (sim.FIRST_DAY, sim.LAST_DAY) if LONG else (date(2026, 9, 14), date(2026, 9, 16))
SMTP_CRASH_AT = datetime(2026, 9, 15, 16, 50, tzinfo=BEIJING)  # killed while the SMTP server holds gm's mail
RENDER_CRASH_AT = sim.CRASH_AT  # 16 September 16:50: killed while rendering gm's daily report
TRAPPED = "gm"
WAIT = 90  # seconds for the worker to finish a tick (a loaded CI machine)


def expected() -> dict:
    """The simulated month's expected deliveries, those of the days simulated here."""
    def in_window(key, value) -> bool:
        status, _late, sent_at = value
        if status == DeliveryStatus.SENT:
            day = date(2026, int(sent_at[:2]), int(sent_at[3:5]))
        else:
            day = date.fromisoformat(key[1])
        return FIRST_DAY <= day <= LAST_DAY

    return {k: v for k, v in sim.EXPECTED.items() if in_window(k, v)}


class Queue:
    """The test's handle on the queue: the clock both processes run on, ticks, crashes."""

    def __init__(self, huey, redis, worker, sink, clock_file, render_trap):
        self.huey, self.redis, self.worker, self.sink = huey, redis, worker, sink
        self.clock_file, self.render_trap = clock_file, render_trap
        self.traveller = None
        self.ticks = 0
        self.tick_seconds: list[float] = []
        self.first_up = 0.0  # when the first worker answered (Django's start-up on a busy machine is slow)
        self.lost = []  # (when, messages queued in Redis, outbox rows waiting) at each Redis restart
        self.while_down = []  # outbox rows queued by the web side while Redis was down

    def move_to(self, when: datetime) -> None:
        self.clock_file.write_text(when.isoformat())
        self.traveller.move_to(when)

    def settle(self, wait: float = WAIT) -> None:
        """Wait until the worker has run everything queued so far (one thread, first in first out; twice,
        for the wake-ups queued by the jobs themselves)."""
        for _ in range(2):
            try:
                tasks().barrier().get(blocking=True, timeout=wait, max_delay=0.02)
            except Exception as exc:
                raise AssertionError(f"the worker did not finish its queue: {exc!r}\n{self.worker.tail()}") from exc

    def enqueue_periodic(self) -> None:
        report_tasks.run_report_schedules_task()
        core_tasks.sweep_outbox_task()

    def tick(self, when: datetime) -> None:
        started = time.monotonic()
        self.move_to(when)
        self.enqueue_periodic()
        self.settle()
        self.ticks += 1
        self.tick_seconds.append(time.monotonic() - started)
        # the sweep leaves nothing due behind: a lost wake-up delays a message by one tick at most
        left = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, available_at__lte=timezone.now())
        assert not left.exists(), f"{when:%m-%d %H:%M}: outbox rows still waiting after the sweep: " \
                                  f"{list(left.values_list('id', 'kind', 'created_at'))}"

    def restart_redis(self, when: datetime, while_down=None) -> None:
        waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()
        self.lost.append((when, self.redis.queued(self.huey.storage.name), waiting))
        self.redis.restart(while_down)

    def crash_in_smtp(self, when: datetime, rcpt: str) -> None:
        """The tick at ``when``; the worker dies while the SMTP server holds the mail to ``rcpt``; Redis
        dies too; the web side queues a mail while it is down; both come back."""
        self.sink.arm(rcpt)
        self.move_to(when)
        self.enqueue_periodic()
        assert self.sink.trapped.wait(WAIT), f"no mail to {rcpt} reached the SMTP server\n{self.worker.tail()}"
        self.worker.kill()
        self.restart_redis(when, while_down=self.queue_mail_while_down)
        self.sink.release()
        self.worker.start()
        self.settle()
        self.ticks += 1

    def crash_in_render(self, when: datetime, username: str) -> None:
        """The tick at ``when``; the worker dies while rendering ``username``'s report; Redis restarts."""
        self.render_trap.write_text(f"armed:{username}")
        self.move_to(when)
        self.enqueue_periodic()
        deadline = time.monotonic() + WAIT
        while self.render_trap.read_text().strip() != "caught":
            assert time.monotonic() < deadline, f"the worker never rendered {username}'s report\n{self.worker.tail()}"
            time.sleep(0.02)
        self.worker.kill()
        self.render_trap.unlink()
        self.restart_redis(when)
        self.worker.start()
        self.settle()
        self.ticks += 1

    def queue_mail_while_down(self) -> None:
        with transaction.atomic():  # the wake-up after commit fails: Redis is down (logged, not raised)
            msg = queue_mail(["clerk@example.com"], f"R6 while Redis is down {timezone.now():%m-%d %H:%M}", "正文")
        self.while_down.append(msg.pk)


@pytest.fixture
def queue(settings, tmp_path, _huey_immediate):
    url = database_url(connection.settings_dict)
    if url is None:
        pytest.skip("R6 needs a database another process can open (a file SQLite or PostgreSQL)")
    redis = RedisServer(tmp_path, REDIS_URL)
    redis.start()
    sink, controller = start_sink()
    name = f"r6{os.getpid()}"
    huey = _huey_immediate
    huey.immediate = False
    default_storage = huey.storage
    huey.storage = RedisStorage(name, url=redis.url)
    clock_file, render_trap = tmp_path / "clock", tmp_path / "render-trap"
    clock_file.write_text(datetime.combine(FIRST_DAY, clock_time(0, 0), tzinfo=BEIJING).isoformat())
    worker = Worker(tmp_path, {
        "DJANGO_SETTINGS_MODULE": "salesdesk.settings", "DATABASE_URL": url, "REDIS_URL": redis.url,
        "HUEY_NAME": name, "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}", "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "R6_CLOCK_FILE": str(clock_file), "R6_RENDER_TRAP": str(render_trap), "R6_INJECT": INJECT,
        "LOG_LEVEL": "WARNING",
    })
    worker.warm_up(4 if LONG else 3)  # a first worker and its replacements start while the world is made
    undo = inject(INJECT)
    print(f"\nR6: database {redacted(url)}; Redis {redis.how}; worker log {worker.log}")
    try:
        yield Queue(huey, redis, worker, sink, clock_file, render_trap)
    finally:
        undo()
        worker.stop()
        sink.release()
        controller.stop()
        huey.storage = default_storage
        redis.kill()


@pytest.fixture
def world(personas):
    """The simulated month's world (sim.world), made here: a transactional test may run after another
    one emptied the tables the migrations filled."""
    create_builtins(ReportSchedule)
    CalendarDay.objects.filter(day__year=2026, day__month__in=[8, 9, 10, 11]).delete()
    CalendarDay.objects.bulk_create([CalendarDay(day=d, is_workday=w, name=n) for d, (w, n) in sim.CALENDAR.items()])
    assert set(ReportSchedule.objects.filter(active=True).values_list("code", flat=True)) == set(BUILTINS)
    ReportSchedule.objects.update(created_at=sim.local(FIRST_DAY - timedelta(days=1), clock_time(0, 0)))
    ReportSchedule.objects.get(code="monthly").recipients.add(personas["sales1"])
    customers = {who: CustomerFactory(salesperson=personas[who]) for who in ("sales1", "sales2")}
    return {"personas": personas, "customers": customers, "product": ProductFactory()}


def simulate(world, q: Queue) -> None:
    personas = world["personas"]
    daily = ReportSchedule.objects.get(code="daily_performance")
    hr = ReportSchedule.objects.get(code="hr_monthly_total")
    working = {d for d, (w, _) in sim.CALENDAR.items() if w}
    resting = {d for d, (w, _) in sim.CALENDAR.items() if not w}
    day = FIRST_DAY
    with time_machine.travel(sim.local(FIRST_DAY, clock_time(0, 0)), tick=False) as traveller:
        q.traveller = traveller
        q.worker.start()
        q.settle(wait=4 * WAIT)  # Django's start-up in the worker: 40 s on this 2-core box at load 24
        q.first_up = time.monotonic()
        while day <= LAST_DAY:
            if day in sim.OUTAGE:  # the server is off: worker and Redis down, no tick
                if day == min(sim.OUTAGE):
                    q.worker.kill()
                    q.restart_redis(sim.local(day, clock_time(0, 0)))
                day += timedelta(days=1)
                continue
            if q.worker.proc is None:
                q.worker.start()
            is_working = day in working or (day.weekday() < 5 and day not in resting)
            for t in sim.WORKING_DAY_TICKS if is_working else sim.RESTING_DAY_TICKS:
                now = sim.local(day, t)
                if t == clock_time(15, 0):
                    q.move_to(sim.local(day, clock_time(10, 0)))
                    sim.morning(world, traveller, day)  # people sell and ship (the web side)
                    q.settle()
                if now == sim.CHECKED_AT.replace(hour=15):
                    q.move_to(sim.CHECKED_AT)
                    checks.mark_checked(actor=personas["clerk"], schedule=hr, period="2026-09")
                    q.settle()
                if now == SMTP_CRASH_AT:
                    q.crash_in_smtp(now, f"{TRAPPED}@example.com")
                    continue
                if now == RENDER_CRASH_AT:
                    q.crash_in_render(now, TRAPPED)
                    continue
                if now == sim.CLERK_SENDS_AT:
                    q.move_to(now)
                    deliveries.send_drafts(daily, "2026-09-23", actor=personas["clerk"])
                    q.settle()
                q.tick(now)
            day += timedelta(days=1)
        q.move_to(sim.local(LAST_DAY, clock_time(23, 59)))
        q.tick(sim.local(LAST_DAY, clock_time(23, 59)))  # a last sweep


def test_killed_worker_and_lost_redis_lose_no_mail_and_send_none_twice(world, queue):
    started = time.monotonic()
    simulate(world, queue)
    elapsed = time.monotonic() - started
    startup = queue.first_up - started

    # 1. the automatic deliveries are exactly the simulated month's (status, late, sent at)
    rows = ReportDelivery.objects.filter(manual=False).select_related("schedule", "recipient")
    got = {(d.schedule.code, d.period, d.recipient.username): (
        d.status, d.late, timezone.localtime(d.sent_at, BEIJING).strftime("%m-%d %H:%M") if d.sent_at else None)
        for d in rows}
    want = expected()
    assert got == want

    # 2. never two automatic deliveries of one (schedule, period, recipient)
    twice = (ReportDelivery.objects.filter(manual=False).values("schedule", "period", "recipient")
             .annotate(n=Count("id")).filter(n__gt=1))
    assert not twice.exists()

    # 3. every outbox row ends sent or uncertain: nothing waits, nothing failed
    outbox_status = Counter(OutboxMessage.objects.values_list("status", flat=True))
    assert set(outbox_status) <= {OutboxStatus.SENT, OutboxStatus.UNCERTAIN}, outbox_status

    # 4. each mail reached the SMTP server at most once; each sent delivery exactly once, unless its outbox
    #    row is uncertain (then at most once); an uncertain delivery never
    received = Counter(m.message_id for m in queue.sink.messages)
    twice_received = [mid for mid, n in received.items() if n > 1]
    assert twice_received == [], f"mails received more than once: {twice_received}"
    by_message = {m.payload["message_id"]: m for m in OutboxMessage.objects.all()}
    lost, uncertain_mails = [], []
    for d in rows:
        if d.status == DeliveryStatus.UNCERTAIN:
            assert received[d.message_id] == 0
            continue
        msg = by_message.get(d.message_id)
        if msg is not None and msg.status == OutboxStatus.UNCERTAIN:
            uncertain_mails.append(d)
            assert received[d.message_id] <= 1
        elif received[d.message_id] != 1:
            lost.append((d.schedule.code, d.period, d.recipient.username, d.status, received[d.message_id]))
    assert lost == [], f"sent deliveries that never reached the SMTP server: {lost}"

    # 5. the crashes end where a person must look: exactly the two mails the worker died on
    uncertain_deliveries = [(d.schedule.code, d.period, d.recipient.username) for d in rows if d.status == DeliveryStatus.UNCERTAIN]
    assert uncertain_deliveries == [("daily_performance", "2026-09-16", TRAPPED)]
    assert [(d.period, d.recipient.username) for d in uncertain_mails] == [("2026-09-15", TRAPPED)]
    assert received[uncertain_mails[0].message_id] == 1  # it did go out: the server had it when the worker died

    # 6. the mail queued by the web side while Redis was down went out once, at the next sweep
    for pk in queue.while_down:
        msg = OutboxMessage.objects.get(pk=pk)
        assert msg.status == OutboxStatus.SENT and received[msg.payload["message_id"]] == 1

    # 7. what makes this a test: Redis held work when it died, and the outbox had rows waiting
    lost_at = {when: (queued, waiting) for when, queued, waiting in queue.lost}
    assert lost_at[SMTP_CRASH_AT][0] > 0 and lost_at[RENDER_CRASH_AT][0] > 0  # wake-ups and periodic jobs lost
    assert lost_at[SMTP_CRASH_AT][1] >= 1  # finance's mail waited in the outbox, its wake-up in Redis

    sent = sum(1 for v in want.values() if v[0] == DeliveryStatus.SENT)
    print(f"\nR6 jobs ({'long' if LONG else 'short'}: {FIRST_DAY:%m-%d}..{LAST_DAY:%m-%d}, {queue.ticks} ticks, "
          f"{queue.worker.kills} worker kills, {queue.redis.restarts} Redis restarts losing "
          f"{sum(q for _, q, _ in queue.lost)} queued messages with {sum(w for _, _, w in queue.lost)} outbox rows waiting)")
    print(f"  automatic deliveries expected {len(want)}: sent {sent} "
          f"({sent - len(uncertain_mails)} received once, {len(uncertain_mails)} received once but uncertain in the outbox), "
          f"uncertain {len(uncertain_deliveries)}; lost 0; duplicates 0")
    print(f"  outbox rows {sum(outbox_status.values())}: sent {outbox_status[OutboxStatus.SENT]}, "
          f"uncertain {outbox_status[OutboxStatus.UNCERTAIN]}; mails at the SMTP server {len(queue.sink.messages)}, "
          f"each once; {elapsed:.1f} s ({startup:.1f} s of it waiting for the first worker to start)")
    print(f"R6 summary: {len(want)} deliveries, {sent - len(uncertain_mails)} delivered once, "
          f"{len(uncertain_deliveries) + len(uncertain_mails)} uncertain for a person, 0 lost, 0 duplicates "
          f"in {elapsed:.1f} s ({queue.ticks} ticks; the first worker up after {startup:.1f} s)")
