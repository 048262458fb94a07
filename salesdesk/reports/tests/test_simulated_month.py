"""A simulated month and a bit of the report scheduler (issue 9, "Done when").

Time is frozen and moved on tick by tick from Monday 7 September to Monday 12 October 2026 (Beijing
time). The worker keeps nothing in memory: every tick is a fresh call of the periodic job's body,
``deliveries.run_due``, the way a restarted worker would make it, and the outbox is drained after it.
The weeks hold what breaks schedulers:

- an outage on 10–11 September (no tick at all): only the latest missed daily report (the 11th) goes
  out, once and late, on the restart (Saturday the 12th); the 10th is never sent; the five-day report
  due on the 11th goes out late too;
- make-up working days 补班 (Sunday 20 September, Saturday 10 October) send the daily report;
- Mid-Autumn (25 September) and National Day (1–7 October): the 1st of the month is a holiday, so the
  monthly, quarterly and HR reports of September, and two five-day reports (26–30 September and 1–5
  October), all fall due on Thursday 8 October, the first working day after it;
- a worker killed while sending (16 September, 16:50): the delivery stays ``sending``, becomes
  ``uncertain`` and is never sent again automatically;
- the HR total (核对): drafted on the first working day, held (a reminder a working day) until the clerk
  marks it checked on the second, sent to HR that afternoon;
- the clerk sends one day's drafted daily report herself at 16:30; the contract summaries; the waybill
  notice to the people answering for a day's waybill; each recipient's report under their own
  visibility (a salesperson named on the monthly report sees only their own row).

The expected deliveries are written out by hand below, one line per (schedule, period, recipient).
The calendar rows are made here, so the test does not depend on the seeded calendar."""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db.models import Count
from django.utils import timezone

from salesdesk.core import outbox
from salesdesk.core.lib.workdays import WorkWeek, calendar_for
from salesdesk.core.models import CalendarDay, Notification
from salesdesk.desk.queries import missed_days
from salesdesk.ledger.choices import FactKind
from salesdesk.logistics.services import LineRequest, create_shipment, dispatch
from salesdesk.logistics.tests import factories as shipping
from salesdesk.reports import checks, deliveries
from salesdesk.reports.models import DeliveryStatus, ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import BUILTINS, runs
from salesdesk.reports.tests.factories import CustomerFactory, ProductFactory, fact

BEIJING = ZoneInfo("Asia/Shanghai")
FIRST_DAY, LAST_DAY = date(2026, 9, 7), date(2026, 10, 12)
OUTAGE = {date(2026, 9, 10), date(2026, 9, 11)}  # the server is off: no tick at all
CALENDAR = {  # the 2026 arrangement (国务院办公厅): exceptions to Monday–Friday
    date(2026, 9, 20): (True, "国庆节调休上班"),
    date(2026, 9, 25): (False, "中秋节"),
    **{date(2026, 10, d): (False, "国庆节") for d in range(1, 8)},
    date(2026, 10, 10): (True, "国庆节调休上班"),
}
WORKING_DAY_TICKS = [time(9, 0), time(9, 30), time(15, 0), time(16, 0), time(16, 30), time(16, 50), time(17, 0),
                     time(17, 30), time(23, 0)]
RESTING_DAY_TICKS = [time(9, 0), time(17, 0)]
CRASH_AT = datetime(2026, 9, 16, 16, 50, tzinfo=BEIJING)  # the worker dies while sending gm's daily report
CLERK_SENDS_AT = datetime(2026, 9, 23, 16, 30, tzinfo=BEIJING)  # she checked the draft and sends it herself
CHECKED_AT = datetime(2026, 10, 9, 14, 0, tzinfo=BEIJING)  # she marks September's HR total checked
MISSED_ASKED_AT = datetime(2026, 9, 14, 17, 30, tzinfo=BEIJING)  # the desk lists the skipped days
# What happens at 10:00 of a day: (day, salesperson, booked amount); a waybill dispatched on 9-22
SALES = [(date(2026, 9, 8), "sales1", "1000"), (date(2026, 9, 15), "sales2", "300"), (date(2026, 9, 29), "sales1", "250"),
         (date(2026, 10, 9), "sales2", "700")]
WAYBILL_DAY = date(2026, 9, 22)
# Every built-in schedule runs, as migrated; nothing is sent for the annual report (2025 was
# due before the schedules existed) and the contract summaries go out empty (no contracts here).


def at(month: int, day: int, hour: int, minute: int = 0) -> str:
    return f"{month:02d}-{day:02d} {hour:02d}:{minute:02d}"


# --- the expected deliveries, by hand --------------------------------------------------------------
# (schedule code, period key, recipient) → (status, late, sent at "MM-DD HH:MM" Beijing time)

SENT, UNCERTAIN = DeliveryStatus.SENT, DeliveryStatus.UNCERTAIN
GM_FINANCE = ("gm", "finance")
DAILY_ON_TIME = [  # each working day at 16:50, make-up days included; none on weekends and holidays
    (9, 7), (9, 8), (9, 9),
    # 9-10: missed in the outage and NOT sent; 9-11: see below
    (9, 14), (9, 15),
    # 9-16: the crash, see below
    (9, 17), (9, 18),
    (9, 20),  # Sunday 补班
    (9, 21), (9, 22),
    # 9-23: the clerk sends it herself, see below
    (9, 24),
    # 9-25 Mid-Autumn, 10-1…10-7 National Day
    (9, 28), (9, 29), (9, 30),
    (10, 8), (10, 9),
    (10, 10),  # Saturday 补班
    (10, 12),
]
EXPECTED: dict[tuple[str, str, str], tuple[str, bool, str | None]] = {
    **{("daily_performance", f"2026-{m:02d}-{d:02d}", who): (SENT, False, at(m, d, 16, 50))
       for m, d in DAILY_ON_TIME for who in GM_FINANCE},
    # the latest day missed in the outage goes out once, late, at the restart on Saturday morning
    ("daily_performance", "2026-09-11", "gm"): (SENT, True, at(9, 12, 9)),
    ("daily_performance", "2026-09-11", "finance"): (SENT, True, at(9, 12, 9)),
    # killed while sending gm's: uncertain for good; finance's went at the next tick, still on time
    ("daily_performance", "2026-09-16", "gm"): (UNCERTAIN, False, None),
    ("daily_performance", "2026-09-16", "finance"): (SENT, False, at(9, 16, 17)),
    # the clerk checked the 16:00 draft and sent it at 16:30: the automatic run has nothing left to send
    ("daily_performance", "2026-09-23", "gm"): (SENT, False, at(9, 23, 16, 30)),
    ("daily_performance", "2026-09-23", "finance"): (SENT, False, at(9, 23, 16, 30)),
    # five-day reports at 09:00 on the first working day after their period
    **{("five_day", "2026-09-P1", who): (SENT, False, at(9, 7, 9)) for who in GM_FINANCE},
    **{("five_day", "2026-09-P2", who): (SENT, True, at(9, 12, 9)) for who in GM_FINANCE},  # due 9-11: outage
    **{("five_day", "2026-09-P3", who): (SENT, False, at(9, 16, 9)) for who in GM_FINANCE},
    **{("five_day", "2026-09-P4", who): (SENT, False, at(9, 21, 9)) for who in GM_FINANCE},  # 9-20 worked
    **{("five_day", "2026-09-P5", who): (SENT, False, at(9, 28, 9)) for who in GM_FINANCE},  # after Mid-Autumn
    **{("five_day", "2026-09-P6", who): (SENT, False, at(10, 8, 9)) for who in GM_FINANCE},  # after National Day
    **{("five_day", "2026-10-P1", who): (SENT, False, at(10, 8, 9)) for who in GM_FINANCE},  # the same morning
    **{("five_day", "2026-10-P2", who): (SENT, False, at(10, 12, 9)) for who in GM_FINANCE},  # 10-10 worked
    # September and the third quarter: the 1st is a holiday, so on the first working day after it
    **{("monthly", "2026-09", who): (SENT, False, at(10, 8, 9)) for who in (*GM_FINANCE, "sales1")},
    **{("quarterly", "2026-Q3", who): (SENT, False, at(10, 8, 9)) for who in GM_FINANCE},
    **{("contract_summary_monthly", "2026-09", who): (SENT, False, at(10, 8, 9, 30)) for who in GM_FINANCE},
    **{("contract_summary_quarterly", "2026-Q3", who): (SENT, False, at(10, 8, 9, 30)) for who in GM_FINANCE},
    # the HR total: drafted 10-8 09:00, held (reminders) until the clerk checks it on 10-9 at 14:00, sent at
    # 15:00 that afternoon — a day after its due day, so marked late
    ("hr_monthly_total", "2026-09", "hr"): (SENT, True, at(10, 9, 15)),
    # the waybill notice at 17:00 to the people answering for that day's waybill; no waybills, no mail
    **{("waybill_daily", "2026-09-22", who): (SENT, False, at(9, 22, 17)) for who in ("sales1", "manager", "warehouse")},
}
REMINDED_ON = [date(2026, 10, 8), date(2026, 10, 9)]  # the clerk, once each working day until she checks


# --- the simulation ---------------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """The worker process dies (not an error the sender could catch and record)."""


def local(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=BEIJING)


def tick() -> None:
    """One run of the periodic job by a freshly started worker, then the outbox drain."""
    job = importlib.import_module("salesdesk.reports.deliveries")
    try:
        job.run_due(timezone.now())
    finally:
        outbox.drain()


def crashing_renderer(real):
    def render(schedule, period, recipient):
        if recipient.username == "gm":
            raise WorkerKilled
        return real(schedule, period, recipient)

    return render


def dispatch_waybill(personas, owner: str) -> None:
    """A paid order of ``owner``'s customer shipped and dispatched now (a waybill for the notice)."""
    prod = shipping.product("500.00")
    cust = shipping.customer(personas, owner)
    order = shipping.submitted_order(personas, cust, [(prod, 1, "500.00")], owner=owner)
    shipping.paid(personas, cust, "500.00", order=order)
    shipment = create_shipment(actor=personas["warehouse"], order=order, lines=[LineRequest(prod.pk, 1)],
                               carrier="SF", waybill_no="SF1234567890123", planned_on=timezone.localdate())
    dispatch(actor=personas["warehouse"], shipment=shipment)


@pytest.fixture
def world(db, personas):
    # the calendar of these weeks is made here, whatever the seeded table holds
    CalendarDay.objects.filter(day__year=2026, day__month__in=[8, 9, 10, 11]).delete()
    CalendarDay.objects.bulk_create([CalendarDay(day=d, is_workday=w, name=n) for d, (w, n) in CALENDAR.items()])
    # the built-in schedules as `migrate` made them, existing from the day before: nothing due earlier is
    # caught up
    assert set(ReportSchedule.objects.filter(active=True).values_list("code", flat=True)) == set(BUILTINS)
    ReportSchedule.objects.update(created_at=local(FIRST_DAY - timedelta(days=1), time(0, 0)))
    ReportSchedule.objects.get(code="monthly").recipients.add(personas["sales1"])  # a named user, own visibility
    customers = {who: CustomerFactory(salesperson=personas[who]) for who in ("sales1", "sales2")}
    return {"personas": personas, "customers": customers, "product": ProductFactory()}


def morning(world, clock, day: date) -> None:
    """What people do at 10:00: sell, ship."""
    personas = world["personas"]
    clock.move_to(local(day, time(10, 0)))
    for sold_on, who, amount in SALES:
        if sold_on == day:
            fact(personas["clerk"], FactKind.BOOKED, day, amount, customer=world["customers"][who],
                 product=world["product"])
    if day == WAYBILL_DAY:
        dispatch_waybill(personas, "sales1")


def simulate(world) -> dict:
    """Run the days tick by tick; returns what was seen along the way."""
    personas = world["personas"]
    daily = ReportSchedule.objects.get(code="daily_performance")
    hr = ReportSchedule.objects.get(code="hr_monthly_total")
    working = {d for d, (w, _) in CALENDAR.items() if w}
    resting = {d for d, (w, _) in CALENDAR.items() if not w}
    seen: dict = {"uncertain_from": None, "hr_held": []}
    day = FIRST_DAY
    with time_machine.travel(local(FIRST_DAY, time(0, 0)), tick=False) as clock:
        while day <= LAST_DAY:
            if day in OUTAGE:
                day += timedelta(days=1)
                continue
            is_working = day in working or (day.weekday() < 5 and day not in resting)
            for t in WORKING_DAY_TICKS if is_working else RESTING_DAY_TICKS:
                now = local(day, t)
                if t == time(15, 0):
                    morning(world, clock, day)
                if now == CHECKED_AT.replace(hour=15):
                    clock.move_to(CHECKED_AT)
                    seen["hr_held"] = list(ReportDelivery.objects.filter(schedule=hr).values_list("status", flat=True))
                    checks.mark_checked(actor=personas["clerk"], schedule=hr, period="2026-09")
                clock.move_to(now)
                if now == CRASH_AT:
                    real = deliveries.RENDERERS["sales"]
                    with mock.patch.dict(deliveries.RENDERERS, {"sales": crashing_renderer(real)}):
                        with pytest.raises(WorkerKilled):
                            tick()
                    continue
                if now == CLERK_SENDS_AT:
                    deliveries.send_drafts(daily, "2026-09-23", actor=personas["clerk"])
                    outbox.drain()
                tick()
                if seen["uncertain_from"] is None and ReportDelivery.objects.filter(status=UNCERTAIN).exists():
                    seen["uncertain_from"] = now
                if now == MISSED_ASKED_AT:
                    seen["missed"] = missed_days(daily, day, calendar_for(day - timedelta(days=40), day))
            day += timedelta(days=1)
    return seen


def test_a_simulated_month_sends_exactly_the_expected_deliveries(world):
    personas = world["personas"]
    seen = simulate(world)

    rows = ReportDelivery.objects.filter(manual=False).select_related("schedule", "recipient")
    got = {
        (d.schedule.code, d.period, d.recipient.username): (
            d.status, d.late, timezone.localtime(d.sent_at, BEIJING).strftime("%m-%d %H:%M") if d.sent_at else None)
        for d in rows
    }
    assert got == EXPECTED

    # never two automatic deliveries of one (schedule, period, recipient)
    twice = (ReportDelivery.objects.filter(manual=False).values("schedule", "period", "recipient")
             .annotate(n=Count("id")).filter(n__gt=1))
    assert not twice.exists()
    assert not ReportDelivery.objects.filter(manual=True).exists()

    # the crashed send: uncertain from the first tick after it went stale, claimed once, never mailed
    crashed = ReportDelivery.objects.get(schedule__code="daily_performance", period="2026-09-16", recipient=personas["gm"])
    assert seen["uncertain_from"] == local(date(2026, 9, 16), time(17, 30))
    assert crashed.attempts == 1 and not crashed.subject

    # every sent delivery is exactly one mail, to its recipient, with its Message-ID; nothing else went
    sent = {d.message_id: d for d in rows if d.status == SENT}
    report_mails = [m for m in mail.outbox if m.extra_headers.get("Message-ID") in sent]
    assert len(report_mails) == len(sent) == len([v for v in EXPECTED.values() if v[0] == SENT])
    assert {m.extra_headers["Message-ID"] for m in report_mails} == set(sent)
    for m in report_mails:
        assert m.to == [sent[m.extra_headers["Message-ID"]].recipient.email]
    assert crashed.message_id not in {m.extra_headers.get("Message-ID") for m in mail.outbox}
    others = [m for m in mail.outbox if m.extra_headers.get("Message-ID") not in sent]
    assert not [m for m in others if "report" in m.extra_headers.get("Message-ID", "")]  # no stray report mail
    reminder_mails = [(m.to, m.subject) for m in others if m.subject.startswith("请核对")]
    assert reminder_mails == [([personas["clerk"].email], "请核对：上月业绩汇总（交人事） 2026-09")] * len(REMINDED_ON)

    # the outage: the skipped day is listed on the desk, not sent
    assert seen["missed"] == [date(2026, 9, 10)]

    # the HR total waited, drafted, until the clerk checked it; she was reminded once a working day before
    assert seen["hr_held"] == [DeliveryStatus.PENDING]
    reminders = Notification.objects.filter(kind="report_check", recipient=personas["clerk"])
    assert sorted(timezone.localtime(n.created_at, BEIJING).date() for n in reminders) == REMINDED_ON

    # the reports are not empty, each under its recipient's visibility (one simulation for all of it: it
    # is the slow part)
    sales1, sales2 = personas["sales1"].display_name, personas["sales2"].display_name

    gm_daily = ReportDelivery.objects.get(schedule__code="daily_performance", period="2026-09-08", recipient=personas["gm"])
    assert sales1 in gm_daily.body_html and "1000.00" in gm_daily.body_html and gm_daily.attachment

    own = ReportDelivery.objects.get(schedule__code="monthly", period="2026-09", recipient=personas["sales1"])
    everyone = ReportDelivery.objects.get(schedule__code="monthly", period="2026-09", recipient=personas["gm"])
    assert sales1 in own.body_html and sales2 not in own.body_html
    assert sales1 in everyone.body_html and sales2 in everyone.body_html
    hr_total = ReportDelivery.objects.get(schedule__code="hr_monthly_total", period="2026-09")
    assert sales1 in hr_total.body_html and sales2 in hr_total.body_html  # HR: every salesperson
    assert personas["clerk"].display_name in hr_total.body_html  # who checked it


# --- the due-day rule on its own (no database) -----------------------------------------------------------

NATIONAL_DAY = WorkWeek({d: w for d, (w, _) in CALENDAR.items()})


@pytest.mark.parametrize(("today", "keys"), [
    (date(2026, 10, 8), ["2026-09-P6", "2026-10-P1"]),  # both fall due on the first day after the holiday
    (date(2026, 10, 9), ["2026-09-P6", "2026-10-P1"]),  # still the latest due: an outage on the 8th is caught up
    (date(2026, 10, 4), ["2026-09-P4", "2026-09-P5"]),  # in the holiday: 26–30 Sep not due yet; the week before kept
    (date(2026, 10, 12), ["2026-09-P6", "2026-10-P1", "2026-10-P2"]),  # due on the 8th, within the catch-up week
])
def test_five_day_periods_falling_due_on_the_same_day_are_all_run(today, keys):
    five_day = SimpleNamespace(period_rule="five_day", send_at=time(9, 0), draft_at=None)
    assert [r.key for r in runs(five_day, today, NATIONAL_DAY)] == keys


def test_a_long_holiday_right_after_a_period_end_still_finds_the_latest_due_period():
    spring = WorkWeek({date(2027, 2, 6) + timedelta(days=i): False for i in range(9)})  # Sat 6 … Sun 14 Feb off
    five_day = SimpleNamespace(period_rule="five_day", send_at=time(9, 0), draft_at=None)
    # on the 12th the periods 1–5 and 6–10 are both due on the 15th; the latest one due is January's last
    # (with 21–25 Jan, due within the catch-up week before it)
    assert [r.key for r in runs(five_day, date(2027, 2, 12), spring)] == ["2027-01-P5", "2027-01-P6"]
    assert [r.key for r in runs(five_day, date(2027, 2, 15), spring)] == ["2027-02-P1", "2027-02-P2"]
