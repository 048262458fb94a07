"""Every write of the correspondence register (收发文, M3): register an item in or out, route it to
the person who handles it, record the result, file it; and send circulars (销售政策传达、业务信函)
to one, several or a filtered set of customers, recording what went to whom.

Item lifecycle: ``open`` (registered, maybe routed) → ``done`` (result recorded) → ``filed``
(archive number given). A filed item is part of the archive and no longer changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.mail import queue_mail
from salesdesk.core.notifications import notify
from salesdesk.core.numbering import next_number
from salesdesk.customers.models import Customer
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from . import queries
from .choices import Channel, CircularKind, CorrespondenceStatus, Direction
from .errors import OfficeErrorCode
from .models import Circular, CircularRecipient, Correspondence

NUMBER_KIND = {Direction.INCOMING: "RW", Direction.OUTGOING: "FW"}  # 收文 / 发文 registration numbers
CIRCULAR_COUNTER = "FWZH"  # the counter behind 发文字号, one sequence per year
EDITABLE_FIELDS = ("channel", "received_on", "counterpart", "reference", "customer", "subject", "summary", "deadline")
TEXT_FIELDS = frozenset({"counterpart", "reference", "subject", "summary"})
NOTE_TO_POST = "无电子邮箱，需打印邮寄"
DEFAULT_MAX_RECIPIENTS = 5000

# Allowed status changes of a register item (choices.py holds the states).
TRANSITIONS: dict[str, frozenset[str]] = {
    CorrespondenceStatus.OPEN: frozenset({CorrespondenceStatus.DONE}),
    CorrespondenceStatus.DONE: frozenset({CorrespondenceStatus.FILED}),
    CorrespondenceStatus.FILED: frozenset(),
}


# --- who may do what --------------------------------------------------------------------------


def _customer_visible(actor, customer: Customer | None) -> bool:
    return customer is None or Customer.objects.visible_to(actor).filter(pk=customer.pk).exists()


def may_edit(actor, item: Correspondence) -> bool:
    """The clerk edits every item; a salesperson those they registered or about their customers."""
    if not actor.has_perm(perms.CHANGE_CORRESPONDENCE):
        return False
    scope = salesperson_scope(actor)
    if scope is None or item.created_by_id == actor.pk:
        return True
    return item.customer is not None and item.customer.salesperson_id in scope


def may_complete(actor, item: Correspondence) -> bool:
    """Whoever may edit the item, and the person it is routed to (承办人)."""
    if item.routed_to_id == actor.pk and actor.has_perm(perms.VIEW_CORRESPONDENCE):
        return True
    return may_edit(actor, item)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _lock(item: Correspondence) -> Correspondence:
    return Correspondence.objects.select_for_update(of=("self",)).select_related("customer").get(pk=item.pk)


def _check_transition(item: Correspondence, to: str) -> None:
    if to not in TRANSITIONS[item.status]:
        raise DomainError(
            f"“{item.get_status_display()}”的登记不能变为“{CorrespondenceStatus(to).label}” / "
            f"Not allowed: {item.status} → {to}.",
            code=OfficeErrorCode.CORRESPONDENCE_STATE,
        )


def _refuse_if_filed(item: Correspondence) -> None:
    if item.status == CorrespondenceStatus.FILED:
        raise DomainError("已归档的登记不能修改 / A filed item cannot be changed.",
                          code=OfficeErrorCode.CORRESPONDENCE_STATE)


def _check_routee(routed_to) -> None:
    if routed_to is not None and not (routed_to.is_active and routed_to.has_perm(perms.VIEW_CORRESPONDENCE)):
        raise InvalidInput(
            {"routed_to_id": ["承办人必须是可以查看收发文登记的在职员工 / The handler must be an active employee "
                              "whose role reads the register."]},
            code=OfficeErrorCode.INVALID_ROUTEE,
        )


def _notify_routee(actor, item: Correspondence) -> None:
    if item.routed_to_id is None or item.routed_to_id == actor.pk:
        return
    deadline = f"，办理期限 {item.deadline:%Y-%m-%d}" if item.deadline else ""
    notify(
        [item.routed_to_id],
        f"收发文待办 {item.number}：{item.subject}",
        f"{item.get_direction_display()} · {item.counterpart}{deadline}（{actor.display_name} 转交）",
        url=reverse("correspondence_detail", args=[item.pk]),
        kind="correspondence",
    )


def _save(actor, item: Correspondence, reason: str | None = None) -> Correspondence:
    item._history_user = actor
    item._change_reason = reason
    item.save()
    return item


# --- the register -----------------------------------------------------------------------------


@transaction.atomic
def register_correspondence(
    *,
    actor,
    direction: str,
    channel: str,
    subject: str,
    counterpart: str = "",
    received_on: date | None = None,
    reference: str = "",
    customer: Customer | None = None,
    summary: str = "",
    routed_to=None,
    deadline: date | None = None,
) -> Correspondence:
    """Register one item in or out (收文/发文登记) under the next ``RW``/``FW`` number of today;
    the person it is routed to is notified. A salesperson registers items about their own
    customers only (others' are not found, as everywhere)."""
    _require(actor.has_perm(perms.ADD_CORRESPONDENCE))
    if not _customer_visible(actor, customer):
        raise Http404
    errors: dict[str, list[str]] = {}
    if direction not in Direction.values:
        errors["direction"] = ["方向无效 / Unknown direction."]
    if channel not in Channel.values:
        errors["channel"] = ["形式无效 / Unknown channel."]
    subject = (subject or "").strip()
    counterpart = (counterpart or "").strip() or (customer.name if customer else "")
    if not subject:
        errors["subject"] = ["标题不能为空 / The subject is required."]
    if not counterpart:
        errors["counterpart"] = ["请填写来文/收文单位或选择客户 / Name the counterpart or pick a customer."]
    if errors:
        raise InvalidInput(errors)
    _check_routee(routed_to)
    item = Correspondence(
        number=next_number(NUMBER_KIND[Direction(direction)]),
        direction=direction, channel=channel, received_on=received_on or timezone.localdate(),
        counterpart=counterpart[:200], reference=(reference or "").strip()[:100], customer=customer,
        subject=subject[:300], summary=(summary or "").strip(), routed_to=routed_to, deadline=deadline,
        created_by=actor,
    )
    _save(actor, item)
    _notify_routee(actor, item)
    return item


@transaction.atomic
def route_correspondence(*, actor, item: Correspondence, routed_to, deadline: date | None = None) -> Correspondence:
    """Pass an open item to the person who handles it (承办人), with a deadline; they are notified.
    ``routed_to=None`` takes the item back."""
    item = _lock(item)
    _require(may_edit(actor, item))
    if item.status != CorrespondenceStatus.OPEN:
        raise DomainError("只有待办理的登记可以转交 / Only open items can be routed.",
                          code=OfficeErrorCode.CORRESPONDENCE_STATE)
    _check_routee(routed_to)
    changed = item.routed_to_id != (routed_to.pk if routed_to else None)
    item.routed_to, item.deadline = routed_to, deadline
    _save(actor, item, "转交" if changed else None)
    if changed:
        _notify_routee(actor, item)
    return item


@transaction.atomic
def edit_correspondence(*, actor, item: Correspondence, changes: Mapping[str, Any]) -> Correspondence:
    """Correct a registered item. ``changes`` holds fields of ``EDITABLE_FIELDS`` and, optionally,
    ``routed_to`` (a change of handler is a routing and notifies them). Filed items are final."""
    item = _lock(item)
    _require(may_edit(actor, item))
    _refuse_if_filed(item)
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"routed_to"}
    if unknown:
        raise InvalidInput({f: ["不能修改此字段 / This field cannot be changed."] for f in sorted(unknown)})
    if "customer" in changes and not _customer_visible(actor, changes["customer"]):
        raise Http404
    errors: dict[str, list[str]] = {}
    for field in ("subject", "counterpart"):
        if field in changes and not (changes[field] or "").strip():
            errors[field] = ["不能为空 / Required."]
    if "received_on" in changes and changes["received_on"] is None:
        errors["received_on"] = ["日期不能为空 / The date is required."]
    if "channel" in changes and changes["channel"] not in Channel.values:
        errors["channel"] = ["形式无效 / Unknown channel."]
    if errors:
        raise InvalidInput(errors)
    for field in EDITABLE_FIELDS:
        if field in changes:
            value = changes[field]
            setattr(item, field, (value or "").strip() if field in TEXT_FIELDS else value)
    new_routee = changes.get("routed_to")
    rerouted = "routed_to" in changes and item.routed_to_id != (new_routee.pk if new_routee else None)
    if rerouted:
        if item.status != CorrespondenceStatus.OPEN:
            raise DomainError("只有待办理的登记可以转交 / Only open items can be routed.",
                              code=OfficeErrorCode.CORRESPONDENCE_STATE)
        _check_routee(new_routee)
        item.routed_to = new_routee
    _save(actor, item, "转交" if rerouted else None)
    if rerouted:
        _notify_routee(actor, item)
    return item


@transaction.atomic
def complete_correspondence(*, actor, item: Correspondence, result: str) -> Correspondence:
    """Record how the item was handled (办理结果): ``open`` → ``done``. The person who registered
    it learns in the app that it is handled."""
    item = _lock(item)
    _require(may_complete(actor, item))
    _check_transition(item, CorrespondenceStatus.DONE)
    result = (result or "").strip()
    if not result:
        raise InvalidInput({"result": ["请填写办理结果 / Describe how it was handled."]})
    item.status, item.result = CorrespondenceStatus.DONE, result
    _save(actor, item)
    if item.created_by_id != actor.pk:
        notify([item.created_by_id], f"已办结 {item.number}：{item.subject}", result[:200],
               url=reverse("correspondence_detail", args=[item.pk]), kind="correspondence", email=False)
    return item


@transaction.atomic
def file_correspondence(*, actor, item: Correspondence, archive_no: str) -> Correspondence:
    """File a handled item under an archive number (归档号): ``done`` → ``filed``."""
    item = _lock(item)
    _require(may_edit(actor, item))
    _check_transition(item, CorrespondenceStatus.FILED)
    archive_no = (archive_no or "").strip()
    if not archive_no:
        raise InvalidInput({"archive_no": ["请填写归档号 / The archive number is required."]})
    item.status, item.archive_no = CorrespondenceStatus.FILED, archive_no[:50]
    return _save(actor, item)


# --- circulars --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentCircular:
    circular: Circular
    recipients: int
    emailed: int
    to_post: int


def circular_number(sequence: int, year: int) -> str:
    """发文字号 (GB/T 9704-2012): issuer abbreviation, year in 六角括号, sequence without leading
    zeros, 号 — e.g. ``华远销〔2026〕5号``."""
    prefix = getattr(settings, "OUTGOING_DOC_PREFIX", "销")
    return f"{prefix}〔{year}〕{sequence}号"


def _next_circular_number() -> str:
    year = timezone.localdate().year

    def formatted(counter_number: str) -> str:  # "FWZH2026-5" → "销〔2026〕5号"
        return circular_number(int(counter_number.rsplit("-", 1)[1]), year)

    taken = next_number(
        CIRCULAR_COUNTER, period_format="%Y", width=1,
        taken=lambda n: Circular.objects.filter(number=formatted(n)).exists(),
    )
    return formatted(taken)


def clean_customer_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(filters) - set(queries.CUSTOMER_FILTERS)
    if unknown:
        raise InvalidInput(
            {f"filters.{k}": ["未知的筛选条件 / Unknown filter."] for k in sorted(unknown)},
            code=OfficeErrorCode.INVALID_FILTERS,
        )
    return {k: v for k, v in filters.items() if v not in (None, "")}


def _target_customers(actor, customers: Iterable[Customer | int] | None, filters: Mapping[str, Any] | None):
    """The customer queryset a circular goes to, and what to record about how it was chosen."""
    if customers is not None and filters:
        raise InvalidInput(
            {"customer_ids": ["请选择客户或填写筛选条件，二者择一 / Give customers or filters, not both."]},
            code=OfficeErrorCode.INVALID_FILTERS,
        )
    if customers is not None:
        ids = list(dict.fromkeys(c if isinstance(c, int) else c.pk for c in customers))
        qs = Customer.objects.visible_to(actor).filter(pk__in=ids)
        if qs.count() != len(ids):
            raise Http404  # a customer the sender may not see is "not found", as everywhere
        return qs, {"customer_ids": ids}
    clean = clean_customer_filters(filters or {})
    return queries.customers_matching(actor, clean), clean


def letter_text(circular: Circular, customer_name: str, contact_name: str = "") -> str:
    """The letter as each customer gets it, by e-mail or printed: salutation, body, signature,
    the date of sending and the 发文字号."""
    greeting = f"尊敬的{customer_name}" + (f"（{contact_name}）" if contact_name else "")
    company = getattr(settings, "COMPANY_NAME", "")
    day = timezone.localtime(circular.sent_at).date() if circular.sent_at else timezone.localdate()
    return (f"{greeting}：\n\n{circular.body.strip()}\n\n{company}\n{day.year}年{day.month}月{day.day}日\n"
            f"发文字号：{circular.number}\n")


@transaction.atomic
def send_circular(
    *,
    actor,
    kind: str,
    subject: str,
    body: str,
    customers: Iterable[Customer | int] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> SentCircular:
    """Number a circular (发文字号) and send it to ``customers`` or to the customers ``filters``
    selects, among those the sender may see: one recipient row per customer with its primary
    contact's e-mail, one e-mail per address through the outbox (nothing leaves if the
    transaction rolls back), and a note for those without an address to print and post."""
    _require(actor.has_perm(perms.SEND_CIRCULAR))
    errors: dict[str, list[str]] = {}
    if kind not in CircularKind.values:
        errors["kind"] = ["类型无效 / Unknown kind."]
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        errors["subject"] = ["标题不能为空 / The subject is required."]
    if not body:
        errors["body"] = ["正文不能为空 / The body is required."]
    if errors:
        raise InvalidInput(errors)
    qs, chosen_by = _target_customers(actor, customers, filters)
    rows = list(queries.with_primary_contact(qs).order_by("code").values("pk", "name", "primary_name", "primary_email"))
    if not rows:
        raise InvalidInput({"customer_ids": ["没有符合条件的客户 / No customer matches."]},
                           code=OfficeErrorCode.NO_RECIPIENTS)
    limit = getattr(settings, "CIRCULAR_MAX_RECIPIENTS", DEFAULT_MAX_RECIPIENTS)
    if len(rows) > limit:
        raise InvalidInput(
            {"customer_ids": [f"一次发文最多 {limit} 家客户，当前 {len(rows)} 家 / At most {limit} customers per circular."]},
            code=OfficeErrorCode.TOO_MANY_RECIPIENTS,
        )
    circular = Circular.objects.create(
        number=_next_circular_number(), kind=kind, subject=subject[:300], body=body,
        filters=chosen_by, sent_at=timezone.now(), created_by=actor,
    )
    recipients = []
    for row in rows:
        email = (row["primary_email"] or "").strip()
        recipients.append(CircularRecipient(
            circular=circular, customer_id=row["pk"], contact_name=(row["primary_name"] or "")[:50], email=email,
            delivered=bool(email), note="" if email else NOTE_TO_POST,
        ))
        if email:
            queue_mail([email], f"{subject}（{circular.number}）", letter_text(circular, row["name"], row["primary_name"] or ""),
                       dedupe_key=f"circular:{circular.pk}:{row['pk']}")
    CircularRecipient.objects.bulk_create(recipients)
    emailed = sum(1 for r in recipients if r.delivered)
    return SentCircular(circular=circular, recipients=len(recipients), emailed=emailed, to_post=len(recipients) - emailed)
