"""The daily waybill notice (每日发货物流单通知相应负责人, M6): every working day each person
responsible for a dispatched shipment gets ONE mail listing the waybills they answer for:

- the order's salesperson and every credit-share holder (业绩分成);
- the sales manager of each of those salespeople's teams;
- every active warehouse user — all waybills, without prices (who may see prices is the
  ``orders.view_prices`` permission, so a warehouse user never gets them).

A notice covers the waybills dispatched since the previous working day's notice time, up to this
day's notice time: what left on a Saturday, or after the notice time, is in the next working day's
mail, so no waybill is missed and none is listed twice.

Sending is not done here: the notice is the built-in report schedule ``waybill_daily`` (reports'
schedule machinery — one delivery per (day, recipient), never sent twice, late catch-up, kept as
rendered), whose renderer asks this module who answers for what (:func:`responsible_ids`,
:func:`notice_rows`) and how the mail reads (:func:`render_notice`). The notice time is the
schedule's send time; ``WAYBILL_NOTICE_AT`` is only the default when none is given.

Working days come from the editable work calendar (``core.lib.workdays``: Monday–Friday with the
holidays, 调休 days off and make-up working weekends 补班 stored as ``CalendarDay`` rows, seeded
from ``holidays.China`` and kept by the admin).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import permissions as perms
from .choices import DISPATCHED_STATES
from .models import Shipment

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


def window(day: date, at: time | None = None) -> tuple[datetime, datetime]:
    """The dispatch times a notice for ``day`` covers: (previous working day's notice, this one's]."""
    at = at or notice_time()
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


def render_notice(day: date, user: User, rows: list[WaybillRow], company: str) -> tuple[str, str, str]:
    """(subject, text, html) of one person's notice; prices only for those who may see them."""
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


def dispatched(day: date, at: time | None = None) -> list[Shipment]:
    """The shipments a notice for ``day`` lists (nothing on a day off), oldest first."""
    if not is_working_day(day):
        return []
    start, end = window(day, at)
    return list(
        Shipment.objects.filter(status__in=DISPATCHED_STATES, dispatched_at__gt=start, dispatched_at__lte=end)
        .select_related("customer", "order__salesperson__team")
        .prefetch_related("order__credit_shares__salesperson__team")
        .order_by("dispatched_at", "id")
    )


def responsible_ids(day: date, at: time | None = None) -> set[int]:
    """Ids of the people with at least one waybill in the notice for ``day``."""
    shipments = dispatched(day, at)
    return set(_responsible(shipments)) if shipments else set()


def notice_rows(day: date, user: User, at: time | None = None) -> list[WaybillRow]:
    """The lines of ``user``'s notice for ``day``: the waybills they answer for, oldest first."""
    shipments = dispatched(day, at)
    if not shipments:
        return []
    mine = _responsible(shipments).get(user.pk, set())
    return [_row(s) for s in shipments if s.pk in mine]
