"""The daily waybill notice (每日发货物流单通知相应负责人, M6): every working day at the notice time
(default 17:00 Beijing time), each person responsible for a dispatched shipment gets ONE mail
listing the waybills they answer for:

- the order's salesperson and every credit-share holder (业绩分成);
- the sales manager of each of those salespeople's teams;
- every active warehouse user — all waybills, without prices (who may see prices is the
  ``orders.view_prices`` permission, so a warehouse user never gets them).

A notice covers the waybills dispatched since the previous working day's notice time, up to this
day's notice time: what left on a Saturday, or after 17:00, is in the next working day's mail, so
no waybill is missed and none is listed twice. Mails go through the outbox in one transaction,
each with the dedupe key ``waybill-daily:<day>:<user id>``: a second run on the same day (the
periodic job retried, or "send now" after it) sends nothing new.

Working days come from the editable work calendar (``core.lib.workdays``: Monday–Friday with the
holidays, 调休 days off and make-up working weekends 补班 stored as ``CalendarDay`` rows, seeded
from ``holidays.China`` and kept by the admin).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import quote

import holidays
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from salesdesk.core.mail import queue_mail
from salesdesk.core.models import OutboxMessage
from salesdesk.org.models import CompanyProfile, User
from salesdesk.org.roles import Role

from . import permissions as perms
from .choices import DISPATCHED_STATES
from .models import Shipment

DEDUPE_PREFIX = "waybill-daily"

# Public tracking pages by carrier (DOMAIN.md §11: tracking APIs are online services, out of scope;
# a link the reader opens is enough). kuaidi100's query page takes every carrier we list; a site may
# override or extend this with ``WAYBILL_TRACKING_URLS`` ({carrier: "…{number}…"}).
TRACKING_URLS = {
    "SF": "https://www.kuaidi100.com/chaxun?com=shunfeng&nu={number}",
    "ZTO": "https://www.kuaidi100.com/chaxun?com=zhongtong&nu={number}",
    "YTO": "https://www.kuaidi100.com/chaxun?com=yuantong&nu={number}",
    "YD": "https://www.kuaidi100.com/chaxun?com=yunda&nu={number}",
    "STO": "https://www.kuaidi100.com/chaxun?com=shentong&nu={number}",
    "JD": "https://www.kuaidi100.com/chaxun?com=jd&nu={number}",
    "DBL": "https://www.kuaidi100.com/chaxun?com=debangwuliu&nu={number}",
    "EMS": "https://www.kuaidi100.com/chaxun?com=ems&nu={number}",
    "JT": "https://www.kuaidi100.com/chaxun?com=jtexpress&nu={number}",
}


def tracking_url(carrier: str, waybill_no: str) -> str:
    """The carrier's public tracking page for a waybill, or "" (专线 trucking has none)."""
    templates = {**TRACKING_URLS, **getattr(settings, "WAYBILL_TRACKING_URLS", {})}
    template = templates.get(carrier or "")
    return template.format(number=quote(waybill_no)) if template and waybill_no else ""


# --- working days ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def is_working_day(day: date) -> bool:
    """A working day per the company's calendar table (core.CalendarDay over Monday–Friday)."""
    from salesdesk.core.lib import workdays

    return workdays.is_working_day(day)


def previous_working_day(day: date) -> date:
    d = day - timedelta(days=1)
    for _ in range(60):  # the longest break (春节 with 调休) is nine days
        if is_working_day(d):
            return d
        d -= timedelta(days=1)
    return day - timedelta(days=1)


def notice_time() -> time:
    """When the notice goes out, ``WAYBILL_NOTICE_AT`` ("HH:MM", Beijing time), default 17:00."""
    hour, _, minute = str(getattr(settings, "WAYBILL_NOTICE_AT", "17:00")).partition(":")
    return time(int(hour), int(minute or 0))


def window(day: date) -> tuple[datetime, datetime]:
    """The dispatch times a notice for ``day`` covers: (previous working day's notice, this one's]."""
    at = notice_time()
    end = timezone.make_aware(datetime.combine(day, at))
    start = timezone.make_aware(datetime.combine(previous_working_day(day), at))
    return start, end


# --- the notice -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaybillRow:
    """One line of the mail."""

    number: str
    order_number: str
    customer: str
    carrier: str
    waybill_no: str
    tracking_url: str
    warehouse: str
    planned_on: date | None
    dispatched_at: datetime
    value: Decimal


@dataclass
class WaybillNoticeRun:
    """What one run did (the job's recorded output)."""

    day: date
    skipped: str = ""  # why nothing was looked at: a day off
    waybills: int = 0
    queued: list[int] = field(default_factory=list)  # user ids mailed now
    already: list[int] = field(default_factory=list)  # user ids mailed by an earlier run today

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.day}: skipped ({self.skipped})"
        return (f"{self.day}: {self.waybills} waybills, {len(self.queued)} mails queued, "
                f"{len(self.already)} already sent")


def dedupe_key(day: date, user_id: int) -> str:
    return f"{DEDUPE_PREFIX}:{day.isoformat()}:{user_id}"


def _responsible(shipments: list[Shipment]) -> dict[int, set[int]]:
    """user id → ids of the shipments that user answers for (salespeople, credit shares, their team
    managers, warehouse)."""
    by_user: dict[int, set[int]] = defaultdict(set)
    for s in shipments:
        order = s.order
        sellers = {order.salesperson, *(cs.salesperson for cs in order.credit_shares.all())}
        for seller in sellers:
            by_user[seller.pk].add(s.pk)
            if seller.team is not None and seller.team.manager_id:
                by_user[seller.team.manager_id].add(s.pk)
    everything = {s.pk for s in shipments}
    for user_id in User.objects.with_role(Role.WAREHOUSE).filter(is_active=True).values_list("pk", flat=True):
        by_user[user_id] |= everything
    return by_user


def _row(s: Shipment) -> WaybillRow:
    return WaybillRow(
        number=s.number, order_number=s.order.number, customer=s.customer.name,
        carrier=s.get_carrier_display() if s.carrier else "", waybill_no=s.waybill_no,
        tracking_url=tracking_url(s.carrier, s.waybill_no), warehouse=s.warehouse, planned_on=s.planned_on,
        dispatched_at=timezone.localtime(s.dispatched_at), value=s.value,
    )


def _render(day: date, user: User, rows: list[WaybillRow], company: str) -> tuple[str, str, str]:
    show_prices = user.has_perm(perms.VIEW_PRICES)
    context = {
        "day": day, "recipient": user, "rows": rows, "show_prices": show_prices,
        "total": sum((r.value for r in rows), Decimal(0)) if show_prices else None,
        "company": company,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("logistics/mail/waybill_daily_subject.txt", context).strip()
        body = render_to_string("logistics/mail/waybill_daily.txt", context)
        html = render_to_string("logistics/mail/waybill_daily.html", context)
    return subject, body, html


def send_daily_waybill_notices(day: date | None = None) -> WaybillNoticeRun:
    """Queue the day's waybill mails (one per responsible person) in one transaction; a repeat
    on the same day queues nothing new. Nothing is sent on a day off or when nothing was dispatched."""
    day = day or timezone.localdate()
    run = WaybillNoticeRun(day=day)
    if not is_working_day(day):
        run.skipped = "weekend" if day.weekday() >= 5 else "holiday"
        return run
    start, end = window(day)
    shipments = list(
        Shipment.objects.filter(status__in=DISPATCHED_STATES, dispatched_at__gt=start, dispatched_at__lte=end)
        .select_related("customer", "order__salesperson__team")
        .prefetch_related("order__credit_shares__salesperson__team")
        .order_by("dispatched_at", "id")
    )
    run.waybills = len(shipments)
    if not shipments:
        return run
    by_id = {s.pk: s for s in shipments}
    by_user = _responsible(shipments)
    keys = {uid: dedupe_key(day, uid) for uid in by_user}
    sent_before = set(OutboxMessage.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    users = User.objects.filter(pk__in=by_user, is_active=True).exclude(email="").order_by("pk")
    company = CompanyProfile.current().name
    with transaction.atomic():
        for user in users:
            if keys[user.pk] in sent_before:
                run.already.append(user.pk)
                continue
            rows = [_row(by_id[sid]) for sid in sorted(by_user[user.pk], key=lambda i: (by_id[i].dispatched_at, i))]
            subject, body, html = _render(day, user, rows, company)
            if queue_mail([user.email], subject, body, html=html, dedupe_key=keys[user.pk]) is None:
                run.already.append(user.pk)  # a concurrent run got there first
            else:
                run.queued.append(user.pk)
    return run
