"""Customers in the API (API.md, "Customers"): create with 撞单 and USCC rules, list, get, patch,
history; contacts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.db.models import Prefetch
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, HistoryOut, ListOut, history_response
from salesdesk.api.types import PositiveMoney, Rate
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.org.models import User

from . import permissions as perms
from . import services
from .models import Contact, Customer

router = Router(tags=["customers"])

SettlementCode = Literal["prepaid", "deposit", "credit", "monthly"]
TermAnchorCode = Literal["shipment", "delivery", "invoice", "month_end"]
StatusCode = Literal["prospect", "active", "dormant", "lost"]
LevelCode = Literal["A", "B", "C", "D"]
PriceLevelCode = Literal["list", "dealer", "key_account", "special"]
ContactRoleCode = Literal["decision", "purchasing", "finance", "technical", "logistics", "other"]


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    phone: str | None = Field(None, max_length=50, description="手机或座机（可带分机） / mobile or landline")
    title: str | None = Field(None, max_length=50)
    role: ContactRoleCode | None = None
    email: str | None = Field(None, max_length=254)
    wechat: str | None = Field(None, max_length=50)
    is_primary: bool = False


class ContactPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    phone: str | None = Field(None, max_length=50)
    title: str | None = Field(None, max_length=50)
    role: ContactRoleCode | None = None
    email: str | None = Field(None, max_length=254)
    wechat: str | None = Field(None, max_length=50)
    is_primary: bool | None = None


class ContactOut(Schema):
    id: int
    name: str
    title: str
    role: str
    phone: str
    mobile: str
    extension: str
    email: str
    is_primary: bool

    @staticmethod
    def resolve_phone(obj: Contact) -> str:
        return obj.mobile or obj.phone or obj.phone_raw


class CustomerIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    uscc: str | None = Field(None, max_length=40)
    uscc_override: bool = False
    uscc_override_reason: str | None = Field(None, max_length=200)
    short_name: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=300)
    level: LevelCode | None = None
    status: StatusCode | None = None
    price_level: PriceLevelCode | None = None
    salesperson_id: int = Field(..., ge=1, le=MAX_ID)
    settlement: SettlementCode = "prepaid"
    deposit_rate: Rate | None = None
    credit_limit: PositiveMoney = Field(default=Decimal("0.00"))
    credit_days: int = Field(0, ge=0, le=3650)
    term_anchor: TermAnchorCode = "shipment"
    invoice_title: str | None = Field(None, max_length=200)
    invoice_tax_id: str | None = Field(None, max_length=20)
    invoice_address_phone: str | None = Field(None, max_length=300)
    invoice_bank_account: str | None = Field(None, max_length=300)
    notes: str | None = Field(None, max_length=5000)
    source: str | None = Field(None, max_length=50)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    uscc: str | None = Field(None, max_length=40)
    uscc_override: bool | None = None
    uscc_override_reason: str | None = Field(None, max_length=200)
    short_name: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=300)
    level: LevelCode | None = None
    status: StatusCode | None = None
    price_level: PriceLevelCode | None = None
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    transfer_reason: str | None = Field(None, max_length=300)
    settlement: SettlementCode | None = None
    deposit_rate: Rate | None = None
    credit_limit: PositiveMoney | None = None
    credit_days: int | None = Field(None, ge=0, le=3650)
    term_anchor: TermAnchorCode | None = None
    invoice_title: str | None = Field(None, max_length=200)
    invoice_tax_id: str | None = Field(None, max_length=20)
    invoice_address_phone: str | None = Field(None, max_length=300)
    invoice_bank_account: str | None = Field(None, max_length=300)
    notes: str | None = Field(None, max_length=5000)
    source: str | None = Field(None, max_length=50)


class CustomerOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    uscc: str | None
    uscc_override: bool
    uscc_override_reason: str
    entity_type: str
    province: str
    industry: str
    region: str
    address: str
    level: str
    status: str
    price_level: str
    salesperson_id: int
    salesperson: str
    settlement: str
    deposit_rate: Rate | None
    credit_limit: PositiveMoney
    credit_days: int
    term_anchor: str
    invoice_title: str
    invoice_tax_id: str
    invoice_address_phone: str
    invoice_bank_account: str
    notes: str
    source: str
    first_order_on: date | None
    archived: bool
    created_at: datetime
    updated_at: datetime
    contacts: list[ContactOut]

    @staticmethod
    def resolve_salesperson(obj: Customer) -> str:
        return obj.salesperson.display_name

    @staticmethod
    def resolve_contacts(obj: Customer) -> list:
        return list(obj.contacts.all())


class CustomerFilter(Schema):
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=100, description="名称、编号、信用代码、电话、拼音首字母")
    status: StatusCode | None = None
    region: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=50)
    level: LevelCode | None = None


def with_contacts(qs):
    return qs.select_related("salesperson").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "id"))
    )


def customers_for(user):
    return with_contacts(Customer.objects.visible_to(user))


@router.post("/customers", response={201: CustomerOut, **WRITE_ERRORS}, auth=requires(perms.ADD_CUSTOMER),
             summary="新建客户 / Create a customer")
def create_customer(request, payload: CustomerIn):
    data = payload.dict(exclude={"contacts"})
    services.check_create_permissions(request.user, data)
    owner = resolve_ids(request.user, owner=(User, payload.salesperson_id))["owner"]
    customer = services.create_customer(
        actor=request.user, data=data, contacts=[c.dict() for c in payload.contacts], owner=owner
    )
    # The creator gets the file back even when they gave it to someone outside their view (a manager
    # filing for another team); afterwards it is visible only by the usual rules.
    return Status(201, with_contacts(Customer.objects).get(pk=customer.pk))


@router.get("/customers", response={200: ListOut[CustomerOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="客户列表 / Customers")
def list_customers(request, filters: Query[CustomerFilter], page: Query[PageParams]):
    qs = customers_for(request.user).order_by("code")
    if filters.salesperson_id:
        qs = qs.filter(salesperson_id=filters.salesperson_id)
    for field in ("status", "region", "industry", "level"):
        if getattr(filters, field):
            qs = qs.filter(**{field: getattr(filters, field)})
    if filters.q:
        qs = qs.search(filters.q)
    return paginate(qs, page)


@router.get("/customers/{customer_id}", response={200: CustomerOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="客户 / One customer")
def get_customer(request, customer_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(customers_for(request.user), customer_id, request.user)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **WRITE_ERRORS},
              auth=requires(perms.CHANGE_CUSTOMER, perms.CHANGE_CREDIT_TERMS, any_of=True),
              summary="修改客户 / Edit a customer")
def patch_customer(request, payload: CustomerPatch, customer_id: int = Path(..., ge=1, le=MAX_ID)):
    changes = payload.dict(exclude_unset=True)
    owner_id = changes.pop("salesperson_id", None)
    reason = changes.pop("transfer_reason", None) or ""
    services.check_update_permissions(request.user, changes, owner_change=owner_id is not None)
    customer = get_for_user(Customer, customer_id, request.user)
    owner = resolve_ids(request.user, owner=(User, owner_id))["owner"]
    services.update_customer(actor=request.user, customer=customer, changes=changes, owner=owner, reason=reason)
    return with_contacts(Customer.objects).get(pk=customer.pk)  # a transfer may take it out of view


@router.get("/customers/{customer_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="客户变更记录 / Change history")
def customer_history(request, page: Query[PageParams], customer_id: int = Path(..., ge=1, le=MAX_ID)):
    return history_response(get_for_user(Customer, customer_id, request.user), page.limit, page.offset)


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_CUSTOMER), summary="添加联系人 / Add a contact")
def add_contact(request, payload: ContactIn, customer_id: int = Path(..., ge=1, le=MAX_ID)):
    customer = get_for_user(Customer, customer_id, request.user)
    return Status(201, services.add_contact(actor=request.user, customer=customer, data=payload.dict()))


@router.patch("/customers/{customer_id}/contacts/{contact_id}", response={200: ContactOut, **WRITE_ERRORS},
              auth=requires(perms.CHANGE_CUSTOMER), summary="修改联系人 / Edit a contact")
def patch_contact(request, payload: ContactPatch, customer_id: int = Path(..., ge=1, le=MAX_ID),
                  contact_id: int = Path(..., ge=1, le=MAX_ID)):
    customer = get_for_user(Customer, customer_id, request.user)
    contact = get_for_user(customer.contacts.all(), contact_id, request.user)
    return services.update_contact(actor=request.user, contact=contact, data=payload.dict(exclude_unset=True))


@router.post("/customers/{customer_id}/contacts/{contact_id}/anonymise", response={200: ContactOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_CUSTOMER), summary="联系人匿名化（个人信息删除请求） / Anonymise a contact (PIPL)")
def anonymise_contact(request, customer_id: int = Path(..., ge=1, le=MAX_ID),
                      contact_id: int = Path(..., ge=1, le=MAX_ID)):
    customer = get_for_user(Customer, customer_id, request.user)
    contact = get_for_user(customer.contacts.all(), contact_id, request.user)
    return services.anonymise_contact(actor=request.user, contact=contact)

