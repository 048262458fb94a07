"""The correspondence register (收发文) and circulars (发文) in the API: register, list, get, edit,
complete and file items; send circulars to customers and see who received what."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, HistoryOut, ListOut, ObjectId, history_response
from salesdesk.api.types import Timestamp
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.core.errors import InvalidInput
from salesdesk.customers.models import Customer
from salesdesk.org.models import User

from . import permissions as perms
from . import queries, services
from .filters import CorrespondenceFilterSet
from .models import Circular, CircularRecipient, Correspondence

router = Router(tags=["correspondence"])

DirectionCode = Literal["in", "out"]
ChannelCode = Literal["call", "letter", "fax", "email", "document", "maker_mail"]
StatusCode = Literal["open", "done", "filed"]
KindCode = Literal["policy", "letter", "notice"]
CustomerStatusCode = Literal["prospect", "active", "dormant", "lost"]
LevelCode = Literal["A", "B", "C", "D"]
# --- correspondence ---------------------------------------------------------------------------


class CorrespondenceIn(Schema):
    direction: DirectionCode
    channel: ChannelCode
    received_on: date | None = Field(None, description="收文/发文日期，默认今天 / defaults to today")
    counterpart: str | None = Field(None, max_length=200, description="来文/收文单位；默认客户名称 / defaults to the customer")
    reference: str | None = Field(None, max_length=100, description="来文字号")
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    subject: str = Field(..., min_length=1, max_length=300)
    summary: str | None = Field(None, max_length=10000)
    routed_to_id: int | None = Field(None, ge=1, le=MAX_ID, description="承办人 / the user who handles it")
    deadline: date | None = Field(None, description="办理期限")


class CorrespondencePatch(Schema):
    channel: ChannelCode | None = None
    received_on: date | None = None
    counterpart: str | None = Field(None, min_length=1, max_length=200)
    reference: str | None = Field(None, max_length=100)
    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="null 解除客户关联 / null unlinks")
    subject: str | None = Field(None, min_length=1, max_length=300)
    summary: str | None = Field(None, max_length=10000)
    routed_to_id: int | None = Field(None, ge=1, le=MAX_ID, description="改派承办人（通知对方） / re-route (notifies)")
    deadline: date | None = None


class CompleteIn(Schema):
    result: str = Field(..., min_length=1, max_length=10000, description="办理结果")


class FileIn(Schema):
    archive_no: str = Field(..., min_length=1, max_length=50, description="归档号")


class CorrespondenceOut(Schema):
    id: int
    number: str
    direction: str
    channel: str
    received_on: date
    counterpart: str
    reference: str
    customer_id: int | None
    customer: str | None
    subject: str
    summary: str
    routed_to_id: int | None
    routed_to: str | None
    deadline: date | None
    overdue: bool
    status: str
    result: str
    archive_no: str
    created_at: Timestamp
    created_by_id: int
    created_by: str

    @staticmethod
    def resolve_customer(obj: Correspondence) -> str | None:
        return obj.customer.name if obj.customer_id else None

    @staticmethod
    def resolve_routed_to(obj: Correspondence) -> str | None:
        return obj.routed_to.display_name if obj.routed_to_id else None

    @staticmethod
    def resolve_created_by(obj: Correspondence) -> str:
        return obj.created_by.display_name

    @staticmethod
    def resolve_overdue(obj: Correspondence) -> bool:
        return obj.status == "open" and obj.deadline is not None and obj.deadline < timezone.localdate()


class CorrespondenceFilter(Schema):
    direction: DirectionCode | None = None
    channel: ChannelCode | None = None
    status: StatusCode | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    routed_to_id: int | None = Field(None, ge=1, le=MAX_ID)
    date_from: date | None = Field(None, description="日期起 / received on or after")
    date_to: date | None = Field(None, description="日期止 / received on or before")
    overdue: bool | None = Field(None, description="超期未办 / open and past the deadline")
    q: str | None = Field(None, max_length=100, description="登记号、标题、单位、来文字号、客户名称或拼音首字母")


def _one(user, pk: int) -> Correspondence:
    return queries.correspondence_base().visible_to(user).get(pk=pk)


@router.get("/correspondence", response={200: ListOut[CorrespondenceOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_CORRESPONDENCE), summary="收发文登记 / The correspondence register")
def list_correspondence(request, filters: Query[CorrespondenceFilter], page: Query[PageParams]):
    resolve_ids(request.user, customer=(Customer, filters.customer_id), routed_to=(User, filters.routed_to_id))
    data = {
        "direction": filters.direction, "channel": filters.channel, "status": filters.status,
        "customer": filters.customer_id, "routed_to": filters.routed_to_id, "q": filters.q,
        "date_from": filters.date_from, "date_to": filters.date_to, "overdue": filters.overdue,
    }
    filterset = CorrespondenceFilterSet(
        data={k: v for k, v in data.items() if v is not None}, queryset=queries.correspondence_for(request.user),
        request=request, api=True,
    )
    if not filterset.is_valid():
        raise InvalidInput({k: list(v) for k, v in filterset.errors.items()})
    return paginate(filterset.qs, page)


@router.post("/correspondence", response={201: CorrespondenceOut, **WRITE_ERRORS},
             auth=requires(perms.ADD_CORRESPONDENCE), summary="登记收文或发文 / Register an item in or out")
def create_correspondence(request, payload: CorrespondenceIn):
    refs = resolve_ids(request.user, customer=(Customer, payload.customer_id), routed_to=(User, payload.routed_to_id))
    item = services.register_correspondence(
        actor=request.user, direction=payload.direction, channel=payload.channel, subject=payload.subject,
        counterpart=payload.counterpart or "", received_on=payload.received_on, reference=payload.reference or "",
        customer=refs["customer"], summary=payload.summary or "", routed_to=refs["routed_to"], deadline=payload.deadline,
    )
    return Status(201, _one(request.user, item.pk))


@router.get("/correspondence/{item_id}", response={200: CorrespondenceOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CORRESPONDENCE), summary="一条收发文登记 / One register item")
def get_correspondence(request, item_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(queries.correspondence_base(), item_id, request.user)


@router.patch("/correspondence/{item_id}", response={200: CorrespondenceOut, **WRITE_ERRORS},
              auth=requires(perms.CHANGE_CORRESPONDENCE), summary="修改或转交 / Edit or re-route an item")
def patch_correspondence(request, payload: CorrespondencePatch, item_id: int = Path(..., ge=1, le=MAX_ID)):
    item = get_for_user(queries.correspondence_base(), item_id, request.user)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    # an id sent as null clears the link; one not sent leaves it alone
    refs = {"customer": (Customer, "customer_id"), "routed_to": (User, "routed_to_id")}
    for name, (model, key) in refs.items():
        if key in changes:
            changes[name] = resolve_ids(request.user, ref=(model, changes.pop(key)))["ref"]
    services.edit_correspondence(actor=request.user, item=item, changes=changes)
    return _one(request.user, item.pk)


@router.post("/correspondence/{item_id}/complete", response={200: CorrespondenceOut, **WRITE_ERRORS},
             auth=requires(perms.VIEW_CORRESPONDENCE), summary="办结（记录办理结果） / Record the result → done")
def complete_correspondence(request, payload: CompleteIn, item_id: int = Path(..., ge=1, le=MAX_ID)):
    item = get_for_user(queries.correspondence_base(), item_id, request.user)
    services.complete_correspondence(actor=request.user, item=item, result=payload.result)
    return _one(request.user, item.pk)


@router.post("/correspondence/{item_id}/file", response={200: CorrespondenceOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_CORRESPONDENCE), summary="归档 / File under an archive number → filed")
def file_correspondence(request, payload: FileIn, item_id: int = Path(..., ge=1, le=MAX_ID)):
    item = get_for_user(queries.correspondence_base(), item_id, request.user)
    services.file_correspondence(actor=request.user, item=item, archive_no=payload.archive_no)
    return _one(request.user, item.pk)


@router.get("/correspondence/{item_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CORRESPONDENCE), summary="登记变更记录 / Change history of an item")
def correspondence_history(request, page: Query[PageParams], item_id: int = Path(..., ge=1, le=MAX_ID)):
    return history_response(get_for_user(Correspondence, item_id, request.user), page.limit, page.offset)


# --- circulars --------------------------------------------------------------------------------


class CustomerFilters(Schema):
    salesperson_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: CustomerStatusCode | None = None
    region: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=50)
    level: LevelCode | None = None


class CircularIn(Schema):
    kind: KindCode
    subject: str = Field(..., min_length=1, max_length=300)
    body: str = Field(..., min_length=1, max_length=50000)
    customer_ids: list[ObjectId] | None = Field(
        None, min_length=1, max_length=5000, description="指定客户；与 filters 二者择一 / the customers, or filters",
    )
    filters: CustomerFilters | None = Field(
        None, description="按条件选择客户（不填条件 = 可见的全部客户） / choose customers by these fields",
    )


class RecipientOut(Schema):
    customer_id: int
    customer: str
    contact_name: str
    email: str
    delivered: bool = Field(..., description="已通过邮件发送 / e-mailed")
    note: str

    @staticmethod
    def resolve_customer(obj: CircularRecipient) -> str:
        return obj.customer.name


class CircularOut(Schema):
    id: int
    number: str
    kind: str
    subject: str
    body: str
    filters: dict[str, Any]
    sent_at: Timestamp | None
    created_at: Timestamp
    created_by_id: int
    created_by: str
    recipient_count: int
    emailed_count: int
    to_print_count: int = Field(..., description="无邮箱需打印邮寄 / without e-mail: print and post")

    @staticmethod
    def resolve_created_by(obj: Circular) -> str:
        return obj.created_by.display_name


class CircularDetailOut(CircularOut):
    recipients: list[RecipientOut]

    @staticmethod
    def resolve_recipients(obj: Circular) -> list:
        return obj.visible_recipient_rows


class CircularFilter(Schema):
    kind: KindCode | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="发给该客户的 / sent to this customer")
    q: str | None = Field(None, max_length=100, description="发文字号或标题 / number or subject")


def _circular_detail(user, pk: int) -> Circular:
    circular = get_for_user(queries.circulars_for(user), pk, user)
    circular.visible_recipient_rows = list(queries.recipients_for(user, circular))
    return circular


def _resolve_customers(user, ids: list[int]) -> list[int]:
    """Every id through the visibility of customers, in one query: any unseen id → 404."""
    unique = list(dict.fromkeys(ids))
    if Customer.objects.visible_to(user).filter(pk__in=unique).count() != len(unique):
        raise Http404
    return unique


@router.get("/circulars", response={200: ListOut[CircularOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_CIRCULAR), summary="发文 / Circulars sent to customers")
def list_circulars(request, filters: Query[CircularFilter], page: Query[PageParams]):
    qs = queries.circulars_for(request.user).order_by("-created_at", "-id")
    if filters.customer_id:
        customer = get_for_user(Customer, filters.customer_id, request.user)
        qs = qs.filter(pk__in=CircularRecipient.objects.filter(customer=customer).values("circular_id"))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(subject__icontains=term))
    return paginate(qs, page)


@router.post("/circulars", response={201: CircularDetailOut, **WRITE_ERRORS},
             auth=requires(perms.SEND_CIRCULAR), summary="发文（销售政策、业务信函） / Send a circular")
def send_circular(request, payload: CircularIn):
    customers = _resolve_customers(request.user, payload.customer_ids) if payload.customer_ids is not None else None
    filters = payload.filters.dict(exclude_none=True) if payload.filters is not None else None
    if filters and filters.get("salesperson_id"):
        get_for_user(User, filters["salesperson_id"], request.user)
    sent = services.send_circular(
        actor=request.user, kind=payload.kind, subject=payload.subject, body=payload.body,
        customers=customers, filters=filters,
    )
    return Status(201, _circular_detail(request.user, sent.circular.pk))


@router.get("/circulars/{circular_id}", response={200: CircularDetailOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CIRCULAR), summary="发文及发送对象 / A circular and who received it")
def get_circular(request, circular_id: int = Path(..., ge=1, le=MAX_ID)):
    return _circular_detail(request.user, circular_id)
