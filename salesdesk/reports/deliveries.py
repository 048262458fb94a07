"""Sending scheduled reports: one :class:`ReportDelivery` per (schedule, period, recipient).

- :func:`plan_deliveries` makes the automatic deliveries of a period — idempotent: the unique
  constraint on (schedule, period, recipient) for automatic rows means a second run adds nothing;
- :func:`send_delivery` claims a pending row with a conditional UPDATE (``pending → sending``; of two
  workers exactly one wins), renders the report under the RECIPIENT's visibility, keeps the rendered
  body and attachment, and hands the mail to the outbox with the delivery's fixed Message-ID in the
  same transaction that marks it ``sent``. A failure goes back to ``pending`` with back-off and ends
  ``failed`` (the clerk is told); a crash while sending leaves ``sending``, which :func:`sweep_stale`
  turns into ``uncertain`` — never resent automatically, only by a person (:func:`resend`, same
  Message-ID);
- :func:`send_now` ("send now", API ``POST /reports/schedules/{id}/send``) sends the current period to
  every recipient again as new manual deliveries;
- :func:`run_due` is the periodic job's body: drafts, due sends and catch-up after an outage.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from salesdesk.core import mail as _mail  # noqa: F401  (registers the outbox "mail" handler)
from salesdesk.core import outbox
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.exports import XLSX_MIME
from salesdesk.core.lib.workdays import calendar_for
from salesdesk.core.notifications import notify
from salesdesk.org.models import CompanyProfile
from salesdesk.org.roles import Role

from . import checks, exporting, renderers
from .models import DeliveryStatus, ReportDelivery, ReportSchedule
from .periods import REPORT_NAMES, ReportPeriod
from .queries import sales_report
from .schedules import current_period, period_from_key, period_key, runs

log = logging.getLogger("salesdesk.reports.deliveries")

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=5)  # doubled after each failure
STALE_SENDING_AFTER = timedelta(minutes=10)
LIVE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


# --- recipients and rendering -----------------------------------------------------------------


def recipients(schedule: ReportSchedule) -> list:
    """Active users named on the schedule or holding one of its roles, by id (one query)."""
    User = get_user_model()
    who = Q(report_schedules=schedule)
    if schedule.recipient_roles:
        who |= Q(groups__name__in=list(schedule.recipient_roles))
    return list(User.objects.filter(who, is_active=True).distinct().order_by("id"))


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "salesdesk.local"
    return make_msgid(idstring="report", domain=domain)


def render_sales(schedule: ReportSchedule, period: ReportPeriod, recipient) -> dict:
    """The report as the recipient may see it: an HTML body and the Excel file of the same figures.
    A daily report also shows each row's month to date, target, completion and rank."""
    report = sales_report(recipient, period.kind, period.start, schedule.group_by, today=period.end)
    month = month_report = None
    if period.kind == "day":
        month_report = sales_report(recipient, "month", period.start, schedule.group_by, today=period.end)
        month = {row.key: row for row in month_report.rows}
    company = CompanyProfile.current().name
    title = f"{period.label}{REPORT_NAMES[period.kind]}"
    context = {"schedule": schedule, "report": report, "month": month, "title": title, "company": company,
               "recipient": recipient, "month_report": month_report, "rows": [(row, (month or {}).get(row.key)) for row in report.rows]}
    out = {"subject": f"{company} {title}", "html": render_to_string("reports/schedules/mail_sales.html", context),
           "text": render_to_string("reports/schedules/mail_sales.txt", context), "attachments": []}
    if schedule.attach_excel:
        content = exporting.workbook(report, company=company, exported_by=recipient.display_name)
        out["attachments"].append((exporting.filename(report, recipient.display_name, "xlsx"), content, XLSX_MIME))
    return out


RENDERERS = {"sales": render_sales, "hr_total": renderers.render_hr_total,  # report kind → renderer
             "contract_summary": renderers.render_contract_summary, "waybill": renderers.render_waybill,
             "overdue": renderers.render_overdue}
# report kind → (schedule, period, users) → the users who get a delivery of that period at all
RECIPIENT_FILTERS = {"waybill": renderers.waybill_recipients, "overdue": renderers.overdue_recipients}


def can_render(schedule: ReportSchedule) -> bool:
    return schedule.report_kind in RENDERERS


# --- planning and sending ---------------------------------------------------------------------


def _covered(schedule: ReportSchedule, key: str) -> set[int]:
    """Recipients the clerk already sent this period to by hand (the automatic send skips them)."""
    return set(ReportDelivery.objects.filter(schedule=schedule, period=key, manual=True, status__in=LIVE)
               .values_list("recipient_id", flat=True))


def plan_deliveries(schedule: ReportSchedule, period: str | ReportPeriod, *, now: datetime | None = None) -> list[ReportDelivery]:
    """Make the missing automatic deliveries of ``period`` (one per recipient not already sent to by
    hand); idempotent. Returns the period's automatic deliveries."""
    key = period if isinstance(period, str) else period_key(period)
    covered = period_from_key(key)  # refuses a malformed key
    have = set(ReportDelivery.objects.filter(schedule=schedule, period=key, manual=False)
               .values_list("recipient_id", flat=True))
    skip = have | _covered(schedule, key)
    missing = [u for u in recipients(schedule) if u.pk not in skip]
    keep = RECIPIENT_FILTERS.get(schedule.report_kind)
    if missing and keep is not None:
        missing = keep(schedule, covered, missing)
    if missing:
        try:
            with transaction.atomic():
                ReportDelivery.objects.bulk_create(
                    [ReportDelivery(schedule=schedule, period=key, recipient=u, message_id=_message_id(),
                                    available_at=now or timezone.now()) for u in missing],
                    ignore_conflicts=True)  # a concurrent planner made some: the constraint keeps one
        except IntegrityError:  # pragma: no cover - ignore_conflicts covers it on SQLite and PostgreSQL
            pass
    return list(ReportDelivery.objects.filter(schedule=schedule, period=key, manual=False).order_by("id"))


def send_delivery(delivery: ReportDelivery, *, now: datetime | None = None, late: bool = False) -> bool:
    """Claim, render and hand one pending delivery to the outbox; True when it was sent by this call."""
    now = now or timezone.now()
    extra = {"late": True} if late else {}
    claimed = ReportDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now, **extra)
    if not claimed:
        return False
    d = ReportDelivery.objects.select_related("schedule", "recipient").get(pk=delivery.pk)
    try:
        if not d.recipient.email:
            raise DomainError("收件人没有邮箱地址 / The recipient has no e-mail address.", code="no_email")
        renderer = RENDERERS.get(d.schedule.report_kind)
        if renderer is None:
            raise DomainError("该报表尚不能发送 / This report cannot be sent yet.", code="not_renderable")
        out = renderer(d.schedule, period_from_key(d.period), d.recipient)
        _hand_over(d, out, now)
    except Exception as exc:  # a failure must never leave the row in "sending"
        log.exception("report delivery %s failed", d.pk)
        _failed(d, exc, now)
        return False
    delivery.refresh_from_db()
    return True


def _hand_over(d: ReportDelivery, out: dict, now: datetime) -> None:
    attachments = out["attachments"] if d.schedule.attach_excel else []
    with transaction.atomic():
        if attachments:
            name, content, _ = attachments[0]
            d.attachment.save(f"delivery-{d.pk}-{d.attempts}.xlsx", ContentFile(content), save=False)
            d.attachment_name = name
        payload = {
            "to": [d.recipient.email], "subject": out["subject"], "body": out["text"],
            "html": out["html"] if d.schedule.send_html else None, "message_id": d.message_id,
            "attachments": [{"name": n, "content": _b64(c), "mimetype": m} for n, c, m in attachments],
        }
        outbox.enqueue("mail", payload, dedupe_key=f"report-delivery:{d.pk}:{d.attempts}")
        ReportDelivery.objects.filter(pk=d.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.SENT, sent_at=now, subject=out["subject"][:200], body_html=out["html"],
            attachment=d.attachment.name or "", attachment_name=d.attachment_name, error="")


def _b64(content: bytes) -> str:
    import base64

    return base64.b64encode(content).decode()


def _failed(d: ReportDelivery, exc: Exception, now: datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    give_up = d.attempts >= MAX_ATTEMPTS
    ReportDelivery.objects.filter(pk=d.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING, error=error,
        available_at=now + RETRY_AFTER * 2 ** (d.attempts - 1))
    if give_up:
        clerks = get_user_model().objects.filter(groups__name=Role.CLERK, is_active=True)
        notify(clerks, f"报表发送失败：{d.schedule.name} {d.period}", error, kind="report_delivery",
               dedupe_key=f"report-delivery-failed:{d.pk}:{d.attempts}")


def send_pending(schedule: ReportSchedule, key: str, *, now: datetime | None = None, late: bool = False) -> int:
    """Send the due pending automatic deliveries of one period; the recipients the clerk already sent
    to by hand are dropped from the automatic run (their pending drafts are removed). Returns how many
    were sent."""
    now = now or timezone.now()
    covered = _covered(schedule, key)
    if covered:
        ReportDelivery.objects.filter(schedule=schedule, period=key, manual=False, status=DeliveryStatus.PENDING,
                                      recipient_id__in=covered).delete()
    due = ReportDelivery.objects.filter(schedule=schedule, period=key, manual=False, status=DeliveryStatus.PENDING,
                                        available_at__lte=now).order_by("id")
    return sum(send_delivery(d, now=now, late=late) for d in due)


def sweep_stale(now: datetime | None = None) -> int:
    """Deliveries stuck in ``sending`` (the worker died mid-send) become ``uncertain``: they may or may
    not have gone out, so only a person may send them again."""
    now = now or timezone.now()
    return ReportDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_SENDING_AFTER).update(
        status=DeliveryStatus.UNCERTAIN)


# --- what people do ---------------------------------------------------------------------------


def send_now(schedule: ReportSchedule, *, actor, today=None, period: str | None = None) -> list[ReportDelivery]:
    """Send the current period — or ``period``, a past one of this schedule (a day missed in an outage)
    — to every recipient again, now, as new manual deliveries (a schedule that needs a check only once
    that period is checked)."""
    if not can_render(schedule):
        raise DomainError("该报表尚不能发送 / This report cannot be sent yet.", code="not_renderable")
    today = today or timezone.localdate()
    key = period_key(current_period(schedule, today))
    if period is not None and period != key:
        try:
            wanted = period_from_key(period)
        except ValueError:
            wanted = None
        if wanted is None or wanted.kind != current_period(schedule, today).kind or wanted.end > today:
            raise InvalidInput("期间无效 / Not a past period of this schedule.", code="bad_period")
        key = period
    if schedule.needs_check and not checks.is_checked(schedule, key):
        raise DomainError("请先核对再发送 / Check the figures before sending.", code="not_checked")
    now = timezone.now()
    with transaction.atomic():
        made = ReportDelivery.objects.bulk_create([
            ReportDelivery(schedule=schedule, period=key, recipient=u, manual=True, message_id=_message_id(),
                           available_at=now, created_by=actor) for u in recipients(schedule)])
    for d in made:
        send_delivery(d, now=now)
    return list(ReportDelivery.objects.filter(pk__in=[d.pk for d in made]).order_by("id"))


def send_drafts(schedule: ReportSchedule, key: str, *, actor) -> int:
    """The clerk checked the drafted period and sends it before the automatic time (a schedule that
    needs a check only once the period is marked checked)."""
    if schedule.needs_check and not checks.is_checked(schedule, key):
        raise DomainError("请先核对再发送 / Check the figures before sending.", code="not_checked")
    return send_pending(schedule, key)


def resend(delivery: ReportDelivery, *, actor) -> bool:
    """A person decided an uncertain or failed delivery goes again (same Message-ID)."""
    moved = ReportDelivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.UNCERTAIN, DeliveryStatus.FAILED]).update(
        status=DeliveryStatus.PENDING, available_at=timezone.now(), note=f"由 {actor.display_name} 重发"[:200])
    if not moved:
        raise DomainError("只能重发状态不明或失败的投递 / Only uncertain or failed deliveries can be resent.",
                          code="not_resendable")
    return send_delivery(delivery)


# --- the periodic job -------------------------------------------------------------------------


FILTERED_PLAN_WINDOW = timedelta(minutes=30)


def _should_plan(schedule: ReportSchedule, run, now: datetime) -> bool:
    """Plans are idempotent, but a kind whose recipients are filtered (waybills, overdue receivables)
    reads the whole day's documents to find them: it is planned in the half hour after its due time,
    and later only while the period has no automatic delivery yet (the catch-up after an outage)."""
    if schedule.report_kind not in RECIPIENT_FILTERS or now < run.due + FILTERED_PLAN_WINDOW:
        return True
    return not ReportDelivery.objects.filter(schedule=schedule, period=run.key, manual=False).exists()


def run_due(now: datetime | None = None) -> dict[str, int]:
    """One tick of the scheduler: flag stale sends, draft what is due for drafting, send what is due.
    Safe to run again at any moment: plans are idempotent and sends are claimed."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    counts = {"uncertain": sweep_stale(now), "planned": 0, "sent": 0, "reminded": 0}
    week = calendar_for(today - timedelta(days=400), today + timedelta(days=40))
    for schedule in ReportSchedule.objects.filter(active=True).order_by("id"):
        if not can_render(schedule):
            continue
        for run in runs(schedule, today, week):
            if run.due < schedule.created_at:
                continue  # periods due before the schedule existed are not caught up
            if (now >= run.due or (run.draft is not None and now >= run.draft)) and _should_plan(schedule, run, now):
                counts["planned"] += len(plan_deliveries(schedule, run.key, now=now))
                if schedule.needs_check and not checks.is_checked(schedule, run.key):
                    # drafted, held until the clerk checks it; reminded once a working day from draft time
                    if week.is_working_day(today) and now.time() >= (schedule.draft_at or schedule.send_at):
                        counts["reminded"] += checks.remind(schedule, run.key, now=now)
                    continue
            if now >= run.due:
                # a checked period goes at the send time, or at the first tick after the check: late
                # only when that is after its due day
                late = now.date() > run.due.date() if schedule.needs_check else run.is_late(now)
                counts["sent"] += send_pending(schedule, run.key, now=now, late=late)
    return counts
