"""Customer service in the API: the interaction log (``/interactions``) and complaint/feedback
tickets (``/tickets``) with their actions and handling notes (issue 4, items 6 and 10)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams, paginate
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, HistoryOut, ListOut, history_response
from salesdesk.api.types import Timestamp
from salesdesk.core.access import get_for_user, resolve_ids
from salesdesk.org.models import User

from . import permissions as perms
from . import services
from .models import Contact, Customer, Interaction, Ticket, TicketNote
from .service_views import (
    InteractionFilterSet,
    TicketFilterSet,
    apply_filters,
    interactions_for,
    is_overdue,
    queue_order,
    run_ticket_action,
    ticket_with_notes,
    tickets_for,
    update_ticket,
)

router = Router(tags=["customer service"])

InteractionKindCode = Literal["call_in", "call_out", "visit", "reception", "message", "email", "other"]
TicketCategoryCode = Literal["complaint", "feedback", "quality", "delivery", "billing", "enquiry"]
SeverityCode = Literal["low", "normal", "high", "urgent"]
TicketStatusCode = Literal["open", "in_progress", "resolved", "closed"]


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


# --- interactions ----------------------------------------------------------------------------


class InteractionIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    contact_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: InteractionKindCode = Field(..., description="来电/去电/拜访/来访接待(客饭)/微信短信/邮件/其他")
    occurred_at: Timestamp | None = Field(None, description="默认现在 / defaults to now")
    subject: str = Field(..., min_length=1, max_length=200)
    content: str = Field("", max_length=10000)
    outcome: str = Field("", max_length=300)
    follow_up_on: date | None = None
    guests: int | None = Field(None, ge=0, le=1000, description="来访人数（客饭安排） / guests of a reception")


class InteractionOut(Schema):
    id: int
    customer_id: int
    customer: str
    contact_id: int | None
    contact: str | None
    kind: str
    occurred_at: Timestamp
    subject: str
    content: str
    outcome: str
    follow_up_on: date | None
    guests: int | None
    user_id: int
    user: str
    created_at: Timestamp

    @staticmethod
    def resolve_customer(obj: Interaction) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_contact(obj: Interaction) -> str | None:
        return obj.contact.name if obj.contact else None

    @staticmethod
    def resolve_user(obj: Interaction) -> str:
        return obj.user.display_name


class InteractionFilter(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: InteractionKindCode | None = None
    user_id: int | None = Field(None, ge=1, le=MAX_ID, description="记录人 / who logged it")
    date_from: date | None = Field(None, description="从（含） / from, inclusive")
    date_to: date | None = Field(None, description="到（含） / to, inclusive")
    q: str | None = Field(None, max_length=100, description="主题、内容、客户名称/编号/拼音首字母、联系人")


@router.get("/interactions", response={200: ListOut[InteractionOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="沟通记录 / Interaction log")
def list_interactions(request, filters: Query[InteractionFilter], page: Query[PageParams]):
    qs = interactions_for(request.user).order_by("-occurred_at", "-id")
    return paginate(apply_filters(InteractionFilterSet, qs, filters.dict()), page)


@router.post("/interactions", response={201: InteractionOut, **WRITE_ERRORS}, auth=requires(perms.ADD_INTERACTION),
             summary="记录沟通（来电、拜访、客饭…） / Log an interaction")
def create_interaction(request, payload: InteractionIn):
    refs = resolve_ids(request.user, customer=(Customer, payload.customer_id), contact=(Contact, payload.contact_id))
    data = payload.dict(exclude={"customer_id", "contact_id", "occurred_at"})
    data.update(contact=refs["contact"], occurred_at=payload.occurred_at)  # the datetime, not its JSON text
    interaction = services.log_interaction(actor=request.user, customer=refs["customer"], data=data)
    return Status(201, interactions_for(request.user).get(pk=interaction.pk))


@router.get("/interactions/{interaction_id}", response={200: InteractionOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="一条沟通记录 / One interaction")
def get_interaction(request, interaction_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(interactions_for(request.user), interaction_id, request.user)


# --- tickets ----------------------------------------------------------------------------------


class TicketIn(Schema):
    customer_id: int = Field(..., ge=1, le=MAX_ID)
    contact_id: int | None = Field(None, ge=1, le=MAX_ID)
    category: TicketCategoryCode
    severity: SeverityCode = "normal"
    subject: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    order_ref: str = Field("", max_length=40, description="相关订单号 / order concerned")
    contract_ref: str = Field("", max_length=40, description="相关合同号 / contract concerned")
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="默认客户的业务员 / defaults to the owner")
    due_on: date | None = None


class TicketPatch(Schema):
    contact_id: int | None = Field(None, ge=1, le=MAX_ID)
    category: TicketCategoryCode | None = None
    severity: SeverityCode | None = None
    subject: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    order_ref: str | None = Field(None, max_length=40)
    contract_ref: str | None = Field(None, max_length=40)
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)
    due_on: date | None = None


class ResolveIn(Schema):
    resolution: str = Field(..., min_length=1, max_length=5000, description="处理结果 / how it was handled")


class CloseIn(Schema):
    confirmation: str = Field("", max_length=300, description="客户确认说明 / the customer's confirmation")


class NoteIn(Schema):
    body: str = Field(..., min_length=1, max_length=5000)


class TicketNoteOut(Schema):
    id: int
    author_id: int
    author: str
    body: str
    created_at: Timestamp

    @staticmethod
    def resolve_author(obj: TicketNote) -> str:
        return obj.author.display_name


class TicketOut(Schema):
    id: int
    number: str
    customer_id: int
    customer: str
    contact_id: int | None
    contact: str | None
    category: str
    severity: str
    subject: str
    description: str
    order_ref: str
    contract_ref: str
    assignee_id: int | None
    assignee: str | None
    due_on: date | None
    status: str
    overdue: bool
    resolution: str
    resolved_at: Timestamp | None
    customer_confirmed_at: Timestamp | None
    customer_confirmation: str
    created_at: Timestamp
    created_by_id: int
    created_by: str

    @staticmethod
    def resolve_customer(obj: Ticket) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_contact(obj: Ticket) -> str | None:
        return obj.contact.name if obj.contact else None

    @staticmethod
    def resolve_assignee(obj: Ticket) -> str | None:
        return _name(obj.assignee)

    @staticmethod
    def resolve_created_by(obj: Ticket) -> str:
        return obj.created_by.display_name

    @staticmethod
    def resolve_overdue(obj: Ticket) -> bool:
        return is_overdue(obj)


class TicketDetailOut(TicketOut):
    notes: list[TicketNoteOut]

    @staticmethod
    def resolve_notes(obj: Ticket) -> list:
        return list(obj.notes.all())


class TicketFilter(Schema):
    status: TicketStatusCode | None = None
    category: TicketCategoryCode | None = None
    severity: SeverityCode | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)
    overdue: bool | None = Field(None, description="true: 逾期未结 / open and past due")
    q: str | None = Field(None, max_length=100, description="编号、标题、客户名称/编号/拼音首字母")


def _ticket(request, ticket_id: int) -> Ticket:
    return get_for_user(tickets_for(request.user), ticket_id, request.user)


def _detail(request, ticket_id: int) -> Ticket:
    return ticket_with_notes(request.user).get(pk=ticket_id)


@router.get("/tickets", response={200: ListOut[TicketOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_CUSTOMER),
            summary="客诉/反馈（未结的按期限在前） / Tickets, open ones first by due date")
def list_tickets(request, filters: Query[TicketFilter], page: Query[PageParams]):
    qs = queue_order(tickets_for(request.user))
    return paginate(apply_filters(TicketFilterSet, qs, filters.dict()), page)


@router.post("/tickets", response={201: TicketDetailOut, **WRITE_ERRORS}, auth=requires(perms.ADD_TICKET),
             summary="登记客诉/反馈 / Open a ticket")
def create_ticket(request, payload: TicketIn):
    refs = resolve_ids(
        request.user, customer=(Customer, payload.customer_id), contact=(Contact, payload.contact_id),
        assignee=(User, payload.assignee_id),
    )
    data = payload.dict(exclude={"customer_id", "contact_id", "assignee_id"})
    data.update(contact=refs["contact"], assignee=refs["assignee"])
    ticket = services.open_ticket(actor=request.user, customer=refs["customer"], data=data)
    return Status(201, _detail(request, ticket.pk))


@router.get("/tickets/{ticket_id}", response={200: TicketDetailOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="客诉（含处理记录） / One ticket with its notes")
def get_ticket(request, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_for_user(ticket_with_notes(request.user), ticket_id, request.user)


@router.patch("/tickets/{ticket_id}", response={200: TicketDetailOut, **WRITE_ERRORS},
              auth=requires(perms.CHANGE_TICKET), summary="修改客诉（处理人、期限、严重程度…） / Edit a ticket")
def patch_ticket(request, payload: TicketPatch, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    ticket = _ticket(request, ticket_id)
    changes = payload.dict(exclude_unset=True)
    refs = resolve_ids(request.user, contact=(Contact, changes.pop("contact_id", None)),
                       assignee=(User, changes.pop("assignee_id", None)))
    if "contact_id" in payload.model_fields_set:
        changes["contact"] = refs["contact"]
    if "assignee_id" in payload.model_fields_set:
        changes["assignee"] = refs["assignee"]
    update_ticket(actor=request.user, ticket=ticket, changes=changes)
    return _detail(request, ticket.pk)


def _act(request, ticket_id: int, action: str, **texts: str) -> Ticket:
    ticket = run_ticket_action(actor=request.user, ticket=_ticket(request, ticket_id), action=action, **texts)
    return _detail(request, ticket.pk)


@router.post("/tickets/{ticket_id}/start", response={200: TicketDetailOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_TICKET), summary="开始处理 → in_progress / Start handling")
def start_ticket(request, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    return _act(request, ticket_id, "start")


@router.post("/tickets/{ticket_id}/resolve", response={200: TicketDetailOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_TICKET), summary="已解决 → resolved / Resolve")
def resolve_ticket(request, payload: ResolveIn, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    return _act(request, ticket_id, "resolve", resolution=payload.resolution)


@router.post("/tickets/{ticket_id}/close", response={200: TicketDetailOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_TICKET), summary="客户确认，关闭 → closed / Close with the customer's confirmation")
def close_ticket(request, payload: CloseIn, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    return _act(request, ticket_id, "close", note=payload.confirmation)


@router.post("/tickets/{ticket_id}/reopen", response={200: TicketDetailOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_TICKET), summary="重新处理 → in_progress / Reopen a resolved ticket")
def reopen_ticket(request, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    return _act(request, ticket_id, "reopen")


@router.post("/tickets/{ticket_id}/notes", response={201: TicketNoteOut, **WRITE_ERRORS},
             auth=requires(perms.CHANGE_TICKET), summary="添加处理记录 / Add a handling note")
def add_ticket_note(request, payload: NoteIn, ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    note = services.add_ticket_note(actor=request.user, ticket=_ticket(request, ticket_id), body=payload.body)
    return Status(201, TicketNote.objects.select_related("author").get(pk=note.pk))


@router.get("/tickets/{ticket_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_CUSTOMER), summary="客诉变更记录 / Change history of a ticket")
def ticket_history(request, page: Query[PageParams], ticket_id: int = Path(..., ge=1, le=MAX_ID)):
    return history_response(_ticket(request, ticket_id), page.limit, page.offset)
