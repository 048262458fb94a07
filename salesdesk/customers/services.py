"""Every write of the customer domain: create and edit customer files (with the field rules of
API.md), 撞单, ownership transfer, contacts, products used, interactions and tickets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.core.lib.phones import parse_phone
from salesdesk.core.lib.pinyin import search_key
from salesdesk.core.lib.uscc import normalize_uscc, validate_uscc
from salesdesk.core.numbering import next_number
from salesdesk.org.roles import Role

from . import permissions as perms
from .choices import TICKET_TRANSITIONS, PriceLevel, Settlement, TicketStatus
from .errors import CustomerErrorCode
from .models import Contact, Customer, Interaction, OwnershipTransfer, ProductUsed, Ticket, TicketNote

TERMS_FIELDS = ("settlement", "deposit_rate", "credit_limit", "credit_days", "term_anchor")
BASIC_FIELDS = (
    "name", "short_name", "uscc", "industry", "region", "address", "level", "status", "price_level",
    "invoice_title", "invoice_tax_id", "invoice_address_phone", "invoice_bank_account", "notes", "source",
)
MSG_FORBIDDEN_TERMS = (
    "只有财务、销售经理和总经理可以设置结算方式、信用额度、账期和负责人 / "
    "Only finance and managers may set credit terms or the owner."
)


# --- field rules -----------------------------------------------------------------------------


def may_edit_basics(user, customer: Customer) -> bool:
    if not user.has_perm(perms.CHANGE_CUSTOMER):
        return False
    if user.has_role(Role.CLERK, Role.GENERAL_MANAGER):
        return True
    if user.has_role(Role.SALES_MANAGER) and customer.salesperson_id in user.managed_salesperson_ids():
        return True
    return customer.salesperson_id == user.pk


def may_set_price_level(user) -> bool:
    """Orders take the price level's prices without a manager's approval, so a salesperson may not
    set it for their own customers; the clerk, finance and managers may (R3, issue 12)."""
    return user.has_perm(perms.CHANGE_CREDIT_TERMS) or user.has_role(Role.CLERK)


def _terms_are_default(data: dict) -> bool:
    return (
        data.get("settlement", Settlement.PREPAID) == Settlement.PREPAID
        and Decimal(str(data.get("credit_limit") or 0)) == 0
        and int(data.get("credit_days") or 0) == 0
        and data.get("deposit_rate") in (None, "", 0, Decimal(0))
    )


def _check_terms(data: dict) -> None:
    settlement = data.get("settlement", Settlement.PREPAID)
    errors: dict[str, list[str]] = {}
    rate = data.get("deposit_rate")
    if settlement == Settlement.DEPOSIT:
        if rate is None or not (Decimal(0) < Decimal(str(rate)) < Decimal(1)):
            errors["deposit_rate"] = ["定金比例必须在 0 和 1 之间 / The deposit rate must be between 0 and 1."]
    if Decimal(str(data.get("credit_limit") or 0)) < 0:
        errors["credit_limit"] = ["信用额度不能为负 / The credit limit cannot be negative."]
    if int(data.get("credit_days") or 0) < 0 or int(data.get("credit_days") or 0) > 3650:
        errors["credit_days"] = ["账期天数应在 0 到 3650 之间 / Credit days must be 0–3650."]
    if errors:
        raise InvalidInput(errors, code=CustomerErrorCode.INVALID_TERMS)


@dataclass(frozen=True)
class CleanUscc:
    value: str | None
    override: bool
    entity_type: str
    province: str


def clean_uscc(actor, raw: str | None, *, override: bool = False) -> CleanUscc:
    """Normalise and check a USCC: malformed → 422; bad check digit → 422 unless a manager
    overrides it (real registered codes with bad check digits exist, DOMAIN.md §1)."""
    if raw is None or not str(raw).strip():
        return CleanUscc(None, False, "", "")
    result = validate_uscc(raw)
    if not result.valid_format:
        raise InvalidInput(
            {"uscc": ["统一社会信用代码格式不正确（应为18位） / Malformed USCC (18 characters expected)."]},
            code=CustomerErrorCode.USCC_MALFORMED,
        )
    if not result.checksum_ok:
        if not override:
            raise InvalidInput(
                {"uscc": ["统一社会信用代码校验位不正确；如确为登记代码，请经理批准例外 / The USCC check digit is wrong; "
                          "a manager may override it."]},
                code=CustomerErrorCode.USCC_CHECKSUM,
            )
        if not actor.has_perm(perms.OVERRIDE_USCC):
            raise PermissionDenied("只有销售经理或总经理可以批准校验位例外 / Only managers may override the check digit.")
    return CleanUscc(
        result.normalized, override and not result.checksum_ok,
        result.entity_type_label or "", result.province or "",
    )


def _refuse_duplicate(name_key: str, uscc: str | None, exclude_pk: int | None = None) -> None:
    """撞单: the same company exists (same USCC or same normalised name) — name its owner even when
    the caller may not see the customer, so two salespeople do not chase one company."""
    qs = Customer.objects.select_related("salesperson")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    existing = qs.filter(uscc=uscc).first() if uscc else None
    existing = existing or qs.filter(name_key=name_key).first()
    if existing is not None:
        raise DomainError(
            f"客户已存在：{existing.name}（{existing.code}），负责业务员：{existing.salesperson.display_name} / "
            f"Customer exists, owned by {existing.salesperson.display_name}.",
            code=CustomerErrorCode.CUSTOMER_EXISTS,
        )


def possible_duplicates(name: str = "", uscc: str = "", limit: int = 5) -> list[Customer]:
    """Customers that look like the one being typed (for the form's as-you-type hint)."""
    key = normalize_company_name(name)
    results: list[Customer] = []
    if uscc:
        results += list(Customer.objects.filter(uscc=normalize_uscc(uscc)).select_related("salesperson")[:1])
    if len(key) >= 2:
        results += list(
            Customer.objects.filter(name_key__contains=key[:8]).exclude(pk__in=[c.pk for c in results])
            .select_related("salesperson")[:limit]
        )
    return results[:limit]


def _search_text(customer: Customer) -> str:
    return search_key(f"{customer.name} {customer.short_name}")[:500]


# --- contacts ---------------------------------------------------------------------------------


def _contact_fields(data: dict, index: int | None = None) -> dict[str, Any]:
    prefix = f"contacts.{index}." if index is not None else ""
    out: dict[str, Any] = {
        "name": (data.get("name") or "").strip(), "title": data.get("title") or "",
        "is_primary": bool(data.get("is_primary")), "email": data.get("email") or "",
        "wechat": data.get("wechat") or "", "notes": data.get("notes") or "",
    }
    if data.get("role"):
        out["role"] = data["role"]
    if not out["name"]:
        raise InvalidInput({f"{prefix}name": ["联系人姓名不能为空 / The contact's name is required."]})
    raw = (data.get("phone") or data.get("mobile") or "").strip()
    out.update(mobile="", phone="", extension="", phone_raw="")
    if raw:
        try:
            parsed = parse_phone(raw)
        except ValueError:
            raise InvalidInput(
                {f"{prefix}phone": [f"电话号码无法识别：{raw} / Not a phone number: {raw}"]},
                code=CustomerErrorCode.INVALID_PHONE,
            ) from None
        if parsed.valid and parsed.kind == "mobile":
            out["mobile"] = parsed.e164
        elif parsed.valid:
            out["phone"] = parsed.e164
        else:
            out["phone_raw"] = raw[:50]  # short codes (95588) and numbers we cannot verify
        out["extension"] = parsed.extension or ""
    return out


def _set_primary(customer: Customer, contact: Contact) -> None:
    if contact.is_primary:
        for other in customer.contacts.exclude(pk=contact.pk).filter(is_primary=True):
            other.is_primary = False
            other.save(update_fields=["is_primary"])


@transaction.atomic
def add_contact(*, actor, customer: Customer, data: dict) -> Contact:
    if not may_edit_basics(actor, customer):
        raise PermissionDenied
    contact = Contact(customer=customer, **_contact_fields(data))
    contact._history_user = actor
    contact.save()
    _set_primary(customer, contact)
    return contact


@transaction.atomic
def update_contact(*, actor, contact: Contact, data: dict) -> Contact:
    if not may_edit_basics(actor, contact.customer):
        raise PermissionDenied
    merged = {"name": contact.name, "title": contact.title, "is_primary": contact.is_primary,
              "email": contact.email, "wechat": contact.wechat, "notes": contact.notes, "role": contact.role,
              "phone": contact.phone or contact.mobile or contact.phone_raw, **data}
    for field, value in _contact_fields(merged).items():
        setattr(contact, field, value)
    contact._history_user = actor
    contact.save()
    _set_primary(contact.customer, contact)
    return contact


@transaction.atomic
def anonymise_contact(*, actor, contact: Contact) -> Contact:
    """PIPL erasure: the person's data goes, the business documents that mention the customer stay."""
    if not may_edit_basics(actor, contact.customer):
        raise PermissionDenied
    contact.name = "已匿名"
    contact.title = contact.mobile = contact.phone = contact.extension = contact.phone_raw = ""
    contact.email = contact.wechat = contact.notes = ""
    contact.anonymised_at = timezone.now()
    contact._history_user = actor
    contact.save()
    contact.history.exclude(pk=contact.history.latest().pk).delete()  # old copies hold the personal data
    return contact


# --- customers --------------------------------------------------------------------------------


def check_create_permissions(actor, data: dict) -> None:
    """Role-level rules of creation, checked before the owner id is resolved (403 before 404)."""
    if not actor.has_perm(perms.ADD_CUSTOMER):
        raise PermissionDenied
    owner_id = data.get("salesperson_id")
    terms_default = _terms_are_default(data)
    if actor.has_perm(perms.CHANGE_CREDIT_TERMS):
        return
    if data.get("price_level") not in (None, "", PriceLevel.LIST) and not may_set_price_level(actor):
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)
    if not terms_default:
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)
    # A salesperson files customers for themselves; the clerk files them for any salesperson.
    if not actor.has_role(Role.CLERK) and owner_id != actor.pk:
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)


@transaction.atomic
def create_customer(*, actor, data: dict, contacts: Iterable[dict] = (), owner) -> Customer:
    """File a new customer. ``owner`` is the resolved salesperson (visibility already checked)."""
    data = {**data, "salesperson_id": owner.pk}
    check_create_permissions(actor, data)
    if not owner.has_role(Role.SALESPERSON, Role.SALES_MANAGER):
        raise InvalidInput({"salesperson_id": ["负责人必须是业务员或销售经理 / The owner must be a salesperson."]})
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput({"name": ["客户名称不能为空 / The name is required."]})
    uscc = clean_uscc(actor, data.get("uscc"), override=bool(data.get("uscc_override")))
    _check_terms(data)
    contact_rows = [_contact_fields(c, i) for i, c in enumerate(contacts)]
    name_key = normalize_company_name(name)
    _refuse_duplicate(name_key, uscc.value)
    customer = Customer(
        code=next_number("KH", period_format="", width=6, taken=lambda n: Customer.objects.filter(code=n).exists()),
        name=name, name_key=name_key, uscc=uscc.value, uscc_override=uscc.override,
        uscc_override_reason=(data.get("uscc_override_reason") or "")[:200] if uscc.override else "",
        entity_type=uscc.entity_type, province=uscc.province, salesperson=owner, created_by=actor,
        **{f: data[f] for f in BASIC_FIELDS if f in data and f not in {"name", "uscc"} and data[f] is not None},
        **{f: data[f] for f in TERMS_FIELDS if f in data and data[f] is not None},
    )
    customer.search_text = _search_text(customer)
    customer._history_user = actor
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:  # a concurrent request filed the same company first
        _refuse_duplicate(name_key, uscc.value)
        raise
    if contact_rows and not any(c["is_primary"] for c in contact_rows):
        contact_rows[0]["is_primary"] = True
    for row in contact_rows:
        contact = Contact(customer=customer, **row)
        contact._history_user = actor
        contact.save()
    return customer


def check_update_permissions(actor, changes: dict, *, owner_change: bool) -> None:
    """Role-level rules of an edit, before the customer is looked up (403 before 404)."""
    touches_terms = owner_change or any(f in TERMS_FIELDS for f in changes)
    touches_basics = any(f not in TERMS_FIELDS for f in changes)
    if touches_terms and not actor.has_perm(perms.CHANGE_CREDIT_TERMS):
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)
    if "price_level" in changes and not may_set_price_level(actor):
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)
    if touches_basics and not actor.has_perm(perms.CHANGE_CUSTOMER):
        raise PermissionDenied


@transaction.atomic
def update_customer(*, actor, customer: Customer, changes: dict, owner=None, reason: str = "") -> Customer:
    """Edit a customer file. Basics: clerk, owner, manager, GM. Credit terms and owner: finance,
    sales manager, GM. A refused field refuses the whole request (nothing is half-written)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    term_changes = {f: v for f, v in changes.items() if f in TERMS_FIELDS and v != getattr(customer, f)}
    basic_changes = {f: v for f, v in changes.items() if f in BASIC_FIELDS or f in {"uscc_override",
                                                                                   "uscc_override_reason"}}
    owner_change = owner is not None and owner.pk != customer.salesperson_id
    if (term_changes or owner_change) and not actor.has_perm(perms.CHANGE_CREDIT_TERMS):
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)
    if basic_changes.get("price_level", customer.price_level) != customer.price_level and not may_set_price_level(actor):
        raise PermissionDenied(MSG_FORBIDDEN_TERMS)
    if basic_changes and not may_edit_basics(actor, customer):
        raise PermissionDenied
    if actor.has_role(Role.SALES_MANAGER) and not actor.has_role(Role.GENERAL_MANAGER, Role.FINANCE) and (
        term_changes or owner_change
    ) and customer.salesperson_id not in actor.managed_salesperson_ids():
        raise PermissionDenied
    merged_terms = {f: term_changes.get(f, getattr(customer, f)) for f in TERMS_FIELDS}
    _check_terms(merged_terms)
    if "uscc" in basic_changes:
        uscc = clean_uscc(actor, basic_changes.pop("uscc"), override=bool(changes.get("uscc_override")))
        customer.uscc, customer.uscc_override = uscc.value, uscc.override
        customer.entity_type, customer.province = uscc.entity_type, uscc.province
        customer.uscc_override_reason = (changes.get("uscc_override_reason") or "")[:200] if uscc.override else ""
    basic_changes.pop("uscc_override", None)
    basic_changes.pop("uscc_override_reason", None)
    if "name" in basic_changes:
        name = (basic_changes["name"] or "").strip()
        if not name:
            raise InvalidInput({"name": ["客户名称不能为空 / The name is required."]})
        basic_changes["name"] = name
        customer.name_key = normalize_company_name(name)
    for field, value in {**basic_changes, **term_changes}.items():
        setattr(customer, field, "" if value is None and field not in {"deposit_rate"} else value)
    _refuse_duplicate(customer.name_key, customer.uscc, exclude_pk=customer.pk)
    if owner_change:
        OwnershipTransfer.objects.create(
            customer=customer, from_user_id=customer.salesperson_id, to_user=owner,
            reason=reason or "修改负责人", by=actor,
        )
        customer.salesperson = owner
    customer.search_text = _search_text(customer)
    customer._history_user = actor
    customer._change_reason = reason[:100] if reason else None
    customer.save()
    return customer


@transaction.atomic
def transfer_customer(*, actor, customer: Customer, to_user, reason: str) -> Customer:
    if not reason.strip():
        raise InvalidInput({"reason": ["请填写移交原因 / A reason is required."]})
    return update_customer(actor=actor, customer=customer, changes={}, owner=to_user, reason=reason)


@transaction.atomic
def save_product_used(*, actor, customer: Customer, data: dict, instance: ProductUsed | None = None) -> ProductUsed:
    if not may_edit_basics(actor, customer):
        raise PermissionDenied
    row = instance or ProductUsed(customer=customer)
    for field in ("product_id", "product_name", "specification", "unit", "usual_quantity", "period",
                  "agreed_price", "notes"):
        if field in data:
            setattr(row, field, data[field])
    if not (row.product_name or "").strip():
        raise InvalidInput({"product_name": ["品种不能为空 / The product is required."]})
    row._history_user = actor
    row.save()
    return row


# --- customer service -------------------------------------------------------------------------


@transaction.atomic
def log_interaction(*, actor, customer: Customer, data: dict) -> Interaction:
    if not actor.has_perm(perms.ADD_INTERACTION):
        raise PermissionDenied
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise InvalidInput({"contact_id": ["联系人不属于该客户 / The contact belongs to another customer."]})
    if not (data.get("subject") or "").strip():
        raise InvalidInput({"subject": ["主题不能为空 / The subject is required."]})
    occurred_at = data.get("occurred_at") or timezone.now()
    if not 1990 <= timezone.localtime(occurred_at).year <= 2100:  # far dates overflow the UTC conversion
        raise InvalidInput({"occurred_at": ["时间不在合理范围内 / The time is out of range."]})
    return Interaction.objects.create(
        customer=customer, user=actor, occurred_at=occurred_at,
        **{k: v for k, v in data.items() if k in {"kind", "subject", "content", "outcome", "follow_up_on",
                                                  "guests", "contact"}},
    )


@transaction.atomic
def open_ticket(*, actor, customer: Customer, data: dict) -> Ticket:
    if not actor.has_perm(perms.ADD_TICKET):
        raise PermissionDenied
    if not (data.get("subject") or "").strip():
        raise InvalidInput({"subject": ["标题不能为空 / The subject is required."]})
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise InvalidInput({"contact_id": ["联系人不属于该客户 / The contact belongs to another customer."]})
    assignee = data.get("assignee") or customer.salesperson
    if not (assignee.is_active and assignee.has_perm(perms.CHANGE_TICKET)):
        raise InvalidInput({"assignee_id": ["处理人必须是可以处理客诉的在职员工 / The assignee cannot handle tickets."]})
    ticket = Ticket(
        number=next_number("TK"), customer=customer, created_by=actor, assignee=assignee,
        **{k: v for k, v in data.items() if k in {"category", "severity", "subject", "description", "order_ref",
                                                  "contract_ref", "due_on", "contact"}},
    )
    ticket._history_user = actor
    ticket.save()
    from django.urls import reverse

    from salesdesk.core.notifications import notify

    if ticket.assignee_id != actor.pk:
        notify([ticket.assignee], f"新客诉 {ticket.number}：{ticket.subject}", customer.name,
               url=reverse("ticket_detail", args=[ticket.pk]), kind="ticket")
    return ticket


@transaction.atomic
def move_ticket(*, actor, ticket: Ticket, to: str, note: str = "", resolution: str = "") -> Ticket:
    """Move a ticket along open → in progress → resolved → closed (race-safe on the old status)."""
    if not actor.has_perm(perms.CHANGE_TICKET):
        raise PermissionDenied
    resolution, note = resolution.strip(), note.strip()
    if to == TicketStatus.RESOLVED and not (resolution or ticket.resolution).strip():  # 422 comes before 409
        raise InvalidInput({"resolution": ["请填写处理结果 / Describe how it was handled."]})
    if to not in TICKET_TRANSITIONS.get(ticket.status, frozenset()):
        raise DomainError(
            f"不能从“{ticket.get_status_display()}”变为“{TicketStatus(to).label}” / Not allowed: {ticket.status} → {to}.",
            code=CustomerErrorCode.TICKET_TRANSITION,
        )
    now = timezone.now()
    values: dict[str, Any] = {"status": to}
    if to == TicketStatus.RESOLVED:
        values.update(resolution=resolution or ticket.resolution, resolved_at=now)
    if to == TicketStatus.CLOSED and note:
        values.update(customer_confirmed_at=now, customer_confirmation=note[:300])
    changed = Ticket.objects.filter(pk=ticket.pk, status=ticket.status).update(**values)
    if not changed:
        from salesdesk.core.errors import ConcurrentChange

        raise ConcurrentChange()
    ticket.refresh_from_db()
    ticket._history_user = actor
    ticket.save()  # the conditional UPDATE bypassed history: write the history row now
    if note:
        TicketNote.objects.create(ticket=ticket, author=actor, body=note)
    return ticket


@transaction.atomic
def add_ticket_note(*, actor, ticket: Ticket, body: str) -> TicketNote:
    if not actor.has_perm(perms.CHANGE_TICKET):
        raise PermissionDenied
    if not body.strip():
        raise InvalidInput({"body": ["内容不能为空 / The note is empty."]})
    return TicketNote.objects.create(ticket=ticket, author=actor, body=body.strip())
