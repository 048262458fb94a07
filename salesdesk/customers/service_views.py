"""Customer service pages (客户服务, M2): the ticket queue of complaints and feedback (客户抱怨/反馈),
a ticket's page with its handling notes, transitions and the customer's confirmation, the
interaction log (咨询电话记录, visits, 客饭安排, messages) and the forms that file both.

The first part holds what the pages and the API (``service_api.py``) share: the read queries,
one FilterSet per model (STYLE.md item 24), the named ticket actions and ``update_ticket``
(waiting for a move to ``services.py``/``queries.py``/``filters.py``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from salesdesk.core.access import MAX_ID, get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.filters import SearchFilterSet
from salesdesk.core.forms import StyledFormMixin, add_domain_error
from salesdesk.core.lib.phones import parse_phone
from salesdesk.core.listing import ListPage
from salesdesk.core.notifications import notify
from salesdesk.org.models import User

from . import permissions as perms
from . import services
from .choices import TICKET_TRANSITIONS, InteractionKind, Severity, TicketCategory, TicketStatus
from .errors import CustomerErrorCode
from .models import Contact, Customer, Interaction, Ticket, TicketNote

OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
TICKET_CLOSED = "ticket_closed"  # to join CustomerErrorCode: a closed ticket is final

# ============================================================================================
# Shared with the API: queries
# ============================================================================================


def handler_roles() -> list[str]:
    """Roles whose members may handle (be assigned) tickets."""
    return sorted(role for role, granted in perms.GRANTS.items() if perms.CHANGE_TICKET in granted)


def ticket_handlers() -> QuerySet[User]:
    """Active people who may be a ticket's assignee (the assignee dropdowns)."""
    return User.objects.filter(is_active=True, groups__name__in=handler_roles()).distinct().order_by("username")


def interaction_recorders() -> QuerySet[User]:
    granted = sorted(role for role, p in perms.GRANTS.items() if perms.ADD_INTERACTION in p)
    return User.objects.filter(is_active=True, groups__name__in=granted).distinct().order_by("username")


def queue_order(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The queue's order: open tickets first, the earliest due first (no due date last), then the
    newest."""
    return qs.annotate(
        open_rank=Case(When(status__in=OPEN_STATUSES, then=0), default=1, output_field=IntegerField()),
        open_due=Case(When(status__in=OPEN_STATUSES, then=F("due_on")), default=None),
    ).order_by("open_rank", F("open_due").asc(nulls_last=True), "-created_at", "-id")


def tickets_for(user) -> QuerySet[Ticket]:
    """Ticket rows ``user`` may see, with what the queue and the API show of each, in one query."""
    return Ticket.objects.visible_to(user).select_related("customer", "contact", "assignee", "created_by")


def ticket_with_notes(user) -> QuerySet[Ticket]:
    return tickets_for(user).prefetch_related(
        Prefetch("notes", queryset=TicketNote.objects.select_related("author").order_by("created_at", "id"))
    )


def interactions_for(user) -> QuerySet[Interaction]:
    return Interaction.objects.visible_to(user).select_related("customer", "contact", "user")


def is_overdue(ticket: Ticket, today: dt.date | None = None) -> bool:
    """The one-row form of ``Ticket.objects.overdue(today)``."""
    today = today or timezone.localdate()
    return ticket.status in OPEN_STATUSES and ticket.due_on is not None and ticket.due_on < today


def customer_url(customer_id: int, tab: str = "") -> str:
    """The customer's page (a tab of it), or '' while the customer pages are not installed."""
    try:
        url = reverse("customer_detail", args=[customer_id])
    except NoReverseMatch:
        return ""
    return f"{url}?tab={tab}" if tab else url


# ============================================================================================
# Shared with the API: one FilterSet per model
# ============================================================================================


class IdFilter(django_filters.NumberFilter):
    """An id: whole numbers within a BIGINT (a larger one is invalid input, not a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class OverdueSelect(forms.NullBooleanSelect):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("全部")), ("true", _("仅逾期")), ("false", _("未逾期"))]


class LazyUserChoices(BaseChoiceIterator):
    """Dropdown choices of people, read when a page renders the filter (never for the API) and
    once per form: each form's widget gets a fresh copy."""

    def __init__(self, users):
        self.users = users
        self._choices: list | None = None

    def __iter__(self):
        if self._choices is None:
            self._choices = [("", _("全部")), *((u.pk, u.display_name) for u in self.users())]
        return iter(self._choices)

    def __copy__(self):
        return LazyUserChoices(self.users)

    def __deepcopy__(self, memo):
        return LazyUserChoices(self.users)


class TicketFilterSet(SearchFilterSet):
    search_fields = ("number", "subject", "customer__search_text", "customer__name", "customer__code")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TicketStatus.choices, empty_label=_("全部"))
    category = django_filters.ChoiceFilter(label=_("类别"), choices=TicketCategory.choices, empty_label=_("全部"))
    severity = django_filters.ChoiceFilter(label=_("严重程度"), choices=Severity.choices, empty_label=_("全部"))
    assignee_id = IdFilter(label=_("处理人"), field_name="assignee_id",
                           widget=forms.Select(choices=LazyUserChoices(ticket_handlers)))
    overdue = django_filters.BooleanFilter(label=_("逾期"), method="filter_overdue", widget=OverdueSelect)
    customer_id = IdFilter(label=_("客户"), field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Ticket
        fields = ["q", "status", "category", "severity", "assignee_id", "overdue", "customer_id"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        if value:
            return queryset.overdue(today)
        return queryset.exclude(status__in=OPEN_STATUSES, due_on__lt=today)


class InteractionFilterSet(SearchFilterSet):
    search_fields = ("subject", "content", "outcome", "customer__search_text", "customer__name", "customer__code",
                     "contact__name")
    kind = django_filters.ChoiceFilter(label=_("方式"), choices=InteractionKind.choices, empty_label=_("全部"))
    user_id = IdFilter(label=_("记录人"), field_name="user_id",
                       widget=forms.Select(choices=LazyUserChoices(interaction_recorders)))
    date_from = django_filters.DateFilter(label=_("起始日期"), field_name="occurred_at", lookup_expr="date__gte",
                                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = django_filters.DateFilter(label=_("截止日期"), field_name="occurred_at", lookup_expr="date__lte",
                                        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    customer_id = IdFilter(label=_("客户"), field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Interaction
        fields = ["q", "kind", "user_id", "date_from", "date_to", "customer_id"]


def apply_filters(filterset_class, queryset: QuerySet, data: dict[str, Any]) -> QuerySet:
    """The API's query parameters through the pages' FilterSet; invalid values are a 422."""
    filterset = filterset_class(data={k: v for k, v in data.items() if v is not None}, queryset=queryset)
    if not filterset.is_valid():
        raise InvalidInput({field: [str(m) for m in msgs] for field, msgs in filterset.errors.items()})
    return filterset.qs


# ============================================================================================
# Shared with the API: named ticket actions and the ticket edit (services waiting for services.py)
# ============================================================================================


@dataclass(frozen=True)
class TicketAction:
    """A button / API action: ``to`` is the new status; ``starts_from`` narrows TICKET_TRANSITIONS
    to what the action means (``reopen`` starts from resolved only, ``start`` from open only)."""

    name: str
    label: str
    to: str
    starts_from: frozenset[str]
    confirm: str
    style: str


TICKET_ACTIONS: dict[str, TicketAction] = {
    a.name: a
    for a in (
        TicketAction("start", _("开始处理"), TicketStatus.IN_PROGRESS, frozenset({TicketStatus.OPEN}),
                     _("开始处理这条客诉？"), "primary"),
        TicketAction("resolve", _("标记已解决"), TicketStatus.RESOLVED,
                     frozenset({TicketStatus.OPEN, TicketStatus.IN_PROGRESS}), _("确认已处理完毕？"), "success"),
        TicketAction("close", _("客户确认，关闭"), TicketStatus.CLOSED,
                     frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED}), _("关闭后不能再修改，确认关闭？"),
                     "secondary"),
        TicketAction("reopen", _("重新处理"), TicketStatus.IN_PROGRESS, frozenset({TicketStatus.RESOLVED}),
                     _("客户不满意，重新处理？"), "warning"),
    )
}


def actions_for(ticket: Ticket) -> list[TicketAction]:
    return [a for a in TICKET_ACTIONS.values() if ticket.status in a.starts_from]


def run_ticket_action(*, actor, ticket: Ticket, action: str, resolution: str = "", note: str = "") -> Ticket:
    """Run a named action through ``services.move_ticket``. ``note`` on ``close`` is the customer's
    confirmation (客户确认)."""
    act = TICKET_ACTIONS[action]
    if not actor.has_perm(perms.CHANGE_TICKET):
        raise PermissionDenied
    if ticket.status not in act.starts_from and act.to in TICKET_TRANSITIONS.get(ticket.status, frozenset()):
        raise DomainError(
            f"“{ticket.get_status_display()}”的客诉不能{act.label} / Not allowed from {ticket.status}: {action}.",
            code=CustomerErrorCode.TICKET_TRANSITION,
        )
    return services.move_ticket(actor=actor, ticket=ticket, to=act.to, note=note, resolution=resolution)


TICKET_TEXT_FIELDS = ("subject", "description", "order_ref", "contract_ref")
TICKET_EDIT_FIELDS = (*TICKET_TEXT_FIELDS, "category", "severity", "due_on", "contact", "assignee")


@transaction.atomic
def update_ticket(*, actor, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    """Edit a ticket's particulars (assignee, due date, severity, …); its status moves only through
    the actions. A new assignee other than the editor is notified. Closed tickets are final."""
    if not actor.has_perm(perms.CHANGE_TICKET):
        raise PermissionDenied
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError("客诉已关闭，不能修改 / The ticket is closed.", code=TICKET_CLOSED)
    changes = {k: v for k, v in changes.items() if k in TICKET_EDIT_FIELDS}
    errors: dict[str, list[str]] = {}
    for field in TICKET_TEXT_FIELDS:
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    if "subject" in changes and not changes["subject"]:
        errors["subject"] = ["标题不能为空 / The subject is required."]
    if "category" in changes and changes["category"] not in TicketCategory.values:
        errors["category"] = ["请选择类别 / Choose a category."]
    if "severity" in changes and changes["severity"] not in Severity.values:
        errors["severity"] = ["请选择严重程度 / Choose a severity."]
    contact = changes.get("contact")
    if contact is not None and contact.customer_id != ticket.customer_id:
        errors["contact_id"] = ["联系人不属于该客户 / The contact belongs to another customer."]
    if "assignee" in changes:
        assignee = changes["assignee"]
        if assignee is None or not (assignee.is_active and assignee.has_perm(perms.CHANGE_TICKET)):
            errors["assignee_id"] = ["处理人必须是可以处理客诉的在职员工 / The assignee cannot handle tickets."]
    if errors:
        raise InvalidInput(errors)
    old_assignee_id = ticket.assignee_id
    changed = False
    for field, value in changes.items():
        current = getattr(ticket, f"{field}_id" if field in {"contact", "assignee"} else field)
        new = value.pk if field in {"contact", "assignee"} and value is not None else value
        if current != new:
            setattr(ticket, field, value)
            changed = True
    if not changed:
        return ticket
    ticket._history_user = actor
    ticket.save()
    if ticket.assignee_id != old_assignee_id and ticket.assignee_id != actor.pk:
        notify([ticket.assignee], f"客诉转交给您 {ticket.number}：{ticket.subject}", ticket.customer.name,
               url=reverse("ticket_detail", args=[ticket.pk]), kind="ticket")
    return ticket


# ============================================================================================
# Pages: tables
# ============================================================================================

STATUS_BADGES = {
    TicketStatus.OPEN: "text-bg-warning", TicketStatus.IN_PROGRESS: "text-bg-primary",
    TicketStatus.RESOLVED: "text-bg-success", TicketStatus.CLOSED: "text-bg-secondary",
}
SEVERITY_BADGES = {
    Severity.LOW: "text-bg-light", Severity.NORMAL: "text-bg-secondary", Severity.HIGH: "text-bg-warning",
    Severity.URGENT: "text-bg-danger",
}
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}


def _customer_cell(customer: Customer):
    url = customer_url(customer.pk)
    return format_html('<a href="{}">{}</a>', url, customer.name) if url else customer.name


def _row_class(record: Ticket) -> str:
    return "table-danger" if is_overdue(record) else ""


class TicketTable(tables.Table):
    number = tables.LinkColumn("ticket_detail", args=[tables.A("pk")], verbose_name=_("编号"))
    subject = tables.Column(verbose_name=_("标题"), attrs={"td": {"class": "text-wrap"}})
    customer = tables.Column(verbose_name=_("客户"), order_by=("customer__name",))
    category = tables.Column(verbose_name=_("类别"), attrs=WIDE_ONLY)
    severity = tables.Column(verbose_name=_("严重程度"))
    status = tables.Column(verbose_name=_("状态"))
    assignee = tables.Column(verbose_name=_("处理人"), order_by=("assignee__username",))
    due_on = tables.DateColumn(verbose_name=_("处理期限"), format="Y-m-d")
    created_at = tables.DateTimeColumn(verbose_name=_("登记时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)

    class Meta:
        model = Ticket
        fields = ("number", "subject", "customer", "category", "severity", "status", "assignee", "due_on",
                  "created_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "ticket-table"}
        row_attrs = {"class": _row_class, "data-overdue": lambda record: "1" if is_overdue(record) else "0"}
        empty_text = _("没有符合条件的客诉/反馈。")

    def render_customer(self, record: Ticket):
        return _customer_cell(record.customer)

    def value_customer(self, record: Ticket) -> str:
        return record.customer.name

    def render_severity(self, record: Ticket):
        return format_html('<span class="badge {}">{}</span>', SEVERITY_BADGES.get(record.severity, ""),
                           record.get_severity_display())

    def value_severity(self, record: Ticket) -> str:
        return str(record.get_severity_display())

    def render_status(self, record: Ticket):
        badge = format_html('<span class="badge {}">{}</span>', STATUS_BADGES.get(record.status, ""),
                            record.get_status_display())
        if is_overdue(record):
            badge = format_html('{} <span class="badge text-bg-danger">{}</span>', badge, _("逾期"))
        return badge

    def value_status(self, record: Ticket) -> str:
        return str(record.get_status_display()) + ("（逾期）" if is_overdue(record) else "")

    def render_assignee(self, record: Ticket) -> str:
        return record.assignee.display_name if record.assignee else "—"

    def value_assignee(self, record: Ticket) -> str:
        return record.assignee.display_name if record.assignee else ""


class InteractionTable(tables.Table):
    occurred_at = tables.DateTimeColumn(verbose_name=_("时间"), format="Y-m-d H:i")
    customer = tables.Column(verbose_name=_("客户"), order_by=("customer__name",))
    kind = tables.Column(verbose_name=_("方式"))
    contact = tables.Column(verbose_name=_("联系人"), order_by=("contact__name",), attrs=WIDE_ONLY)
    subject = tables.LinkColumn("interaction_detail", args=[tables.A("pk")], verbose_name=_("主题"),
                                attrs={"td": {"class": "text-wrap"}})
    outcome = tables.Column(verbose_name=_("结果"), attrs={"td": {"class": "text-wrap d-none d-md-table-cell"},
                                                          "th": {"class": "d-none d-md-table-cell"}})
    follow_up_on = tables.DateColumn(verbose_name=_("跟进日期"), format="Y-m-d")
    user = tables.Column(verbose_name=_("记录人"), order_by=("user__username",), attrs=WIDE_ONLY)

    class Meta:
        model = Interaction
        fields = ("occurred_at", "customer", "kind", "contact", "subject", "outcome", "follow_up_on", "user")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "interaction-table"}
        empty_text = _("没有符合条件的沟通记录。")

    def render_customer(self, record: Interaction):
        return _customer_cell(record.customer)

    def value_customer(self, record: Interaction) -> str:
        return record.customer.name

    def render_user(self, record: Interaction) -> str:
        return record.user.display_name

    def value_user(self, record: Interaction) -> str:
        return record.user.display_name


# ============================================================================================
# Pages: the two lists
# ============================================================================================


class ServiceListPage(PermissionRequiredMixin, ListPage):
    """A list page of customer service: signed-in people without the customer view get 403; with
    ``?customer_id=`` it shows that customer and a "new" button for them."""

    permission_required = perms.VIEW_CUSTOMER
    template_name = "customers/tickets/list.html"
    export_permission = perms.EXPORT_CUSTOMER

    def quick_filters(self) -> list[tuple[str, str]]:
        return []

    def filtered_customer(self) -> Customer | None:
        filterset = getattr(self, "filterset", None)
        if filterset is None or not filterset.is_valid() or not filterset.form.cleaned_data.get("customer_id"):
            return None
        customer_id = filterset.form.cleaned_data["customer_id"]
        return Customer.objects.visible_to(self.request.user).filter(pk=customer_id).first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = self.filtered_customer()
        new_url = ""
        if self.request.user.has_perm(self.new_permission):
            new_url = reverse(self.new_url_name) + (f"?customer={customer.pk}" if customer else "")
        context.update(
            filter_customer=customer,
            filter_customer_url=customer_url(customer.pk) if customer else "",
            new_url=new_url,
            new_url_name=None,
            quick_filters=self.quick_filters(),
        )
        return context


class TicketList(ServiceListPage):
    model = Ticket
    table_class = TicketTable
    filterset_class = TicketFilterSet
    title = _("客诉工单")  # no "/": the title names the Excel sheet and file
    export_name = "customers.tickets"
    new_url_name = "ticket_new"
    new_permission = perms.ADD_TICKET

    def base_queryset(self):
        return queue_order(tickets_for(self.request.user))

    def quick_filters(self) -> list[tuple[str, str]]:
        return [
            (_("逾期"), "overdue=true"),
            (_("我处理的"), f"assignee_id={self.request.user.pk}"),
            (_("待处理"), f"status={TicketStatus.OPEN}"),
            (_("处理中"), f"status={TicketStatus.IN_PROGRESS}"),
            (_("待客户确认"), f"status={TicketStatus.RESOLVED}"),
        ]


class InteractionList(ServiceListPage):
    model = Interaction
    table_class = InteractionTable
    filterset_class = InteractionFilterSet
    title = _("沟通记录")
    export_name = "customers.interactions"
    new_url_name = "interaction_new"
    new_permission = perms.ADD_INTERACTION

    def base_queryset(self):
        return interactions_for(self.request.user).order_by("-occurred_at", "-id")

    def quick_filters(self) -> list[tuple[str, str]]:
        today = timezone.localdate().isoformat()
        return [
            (_("今天"), f"date_from={today}&date_to={today}"),
            (_("来电"), f"kind={InteractionKind.CALL_IN}"),
            (_("来访接待/客饭"), f"kind={InteractionKind.RECEPTION}"),
            (_("我记录的"), f"user_id={self.request.user.pk}"),
        ]


# ============================================================================================
# Pages: a ticket, its actions and notes
# ============================================================================================


def contact_phone(contact: Contact | None) -> dict | None:
    """The contact's number as people read it and the ``tel:`` link that dials it."""
    number = contact and (contact.mobile or contact.phone or contact.phone_raw)
    if not number:
        return None
    try:
        parsed = parse_phone(number)
        label, dial = (parsed.national, parsed.e164) if parsed.valid else (number, number)
    except ValueError:
        label, dial = number, number
    if contact.extension:  # a comma pauses, then the phone dials the extension
        return {"label": f"{label} 转{contact.extension}", "href": f"tel:{dial},{contact.extension}"}
    return {"label": label, "href": f"tel:{dial}"}


def ticket_context(request: HttpRequest, ticket: Ticket, error: str = "") -> dict:
    can_change = request.user.has_perm(perms.CHANGE_TICKET)
    return {
        "ticket": ticket,
        "contact_phone": contact_phone(ticket.contact),
        "object": ticket,
        "notes": list(ticket.notes.all()),
        "actions": actions_for(ticket) if can_change else [],
        "can_change": can_change,
        "can_edit": can_change and ticket.status != TicketStatus.CLOSED,
        "overdue": is_overdue(ticket),
        "customer_url": customer_url(ticket.customer_id, "panel-tickets"),
        "error": error,
    }


class TicketDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_CUSTOMER
    model = Ticket
    template_name = "customers/tickets/detail.html"

    def get_queryset(self):
        return ticket_with_notes(self.request.user)

    def overview_context(self, obj) -> dict:
        return ticket_context(self.request, obj)


def _ticket_response(request: HttpRequest, pk: int, error: str = "", done: str = "") -> HttpResponse:
    """After an action or a note: htmx gets the ticket's main block again; a plain form post is
    redirected to the ticket page with the message."""
    if request.htmx:
        ticket = get_for_user(ticket_with_notes(request.user), pk, request.user)
        response = render(request, "customers/tickets/_ticket.html", ticket_context(request, ticket, error))
        if done:
            response["HX-Trigger"] = json.dumps({"toast": {"level": "success", "message": done}})
        return response
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect("ticket_detail", pk=pk)


@login_required
@permission_required(perms.CHANGE_TICKET, raise_exception=True)
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    ticket = get_for_user(tickets_for(request.user), pk, request.user)
    if action not in TICKET_ACTIONS:
        raise Http404
    text = request.POST.get("confirmation", "") if action == "close" else request.POST.get("note", "")
    try:
        run_ticket_action(actor=request.user, ticket=ticket, action=action,
                          resolution=request.POST.get("resolution", "")[:5000], note=text[:5000])
    except DomainError as exc:
        return _ticket_response(request, ticket.pk, error=exc.message)
    return _ticket_response(request, ticket.pk, done=str(_("已保存。")))


@login_required
@permission_required(perms.CHANGE_TICKET, raise_exception=True)
@require_POST
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_for_user(tickets_for(request.user), pk, request.user)
    try:
        services.add_ticket_note(actor=request.user, ticket=ticket, body=request.POST.get("body", "")[:5000])
    except DomainError as exc:
        return _ticket_response(request, ticket.pk, error=exc.message)
    return _ticket_response(request, ticket.pk, done=str(_("已添加处理记录。")))


# ============================================================================================
# Pages: forms (new ticket, edit ticket, log an interaction)
# ============================================================================================


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TicketForm(StyledFormMixin, forms.Form):
    subject = forms.CharField(label=_("标题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=TicketCategory.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.NORMAL)
    contact = forms.ModelChoiceField(label=_("联系人"), queryset=Contact.objects.none(), required=False)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  max_length=5000)
    assignee = forms.ModelChoiceField(label=_("处理人"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("处理期限"), required=False, widget=DateInput)
    order_ref = forms.CharField(label=_("相关订单"), max_length=40, required=False)
    contract_ref = forms.CharField(label=_("相关合同"), max_length=40, required=False)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = customer.contacts.filter(anonymised_at__isnull=True)
        self.fields["assignee"].queryset = ticket_handlers()
        self.fields["assignee"].label_from_instance = lambda u: u.display_name


class InteractionForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=InteractionKind.choices)
    occurred_at = forms.DateTimeField(
        label=_("时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    contact = forms.ModelChoiceField(label=_("联系人"), queryset=Contact.objects.none(), required=False)
    subject = forms.CharField(label=_("主题"), max_length=200)
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              max_length=10000)
    outcome = forms.CharField(label=_("结果"), max_length=300, required=False)
    follow_up_on = forms.DateField(label=_("跟进日期"), required=False, widget=DateInput)
    guests = forms.IntegerField(label=_("来访人数"), min_value=0, max_value=1000, required=False,
                                help_text=_("来访接待/客饭时填写"))

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = customer.contacts.filter(anonymised_at__isnull=True)


def _requested_customer(request: HttpRequest) -> Customer | None:
    """``?customer=<id>``: the customer (404 if not visible), or None when not given."""
    raw = request.GET.get("customer", "").strip()
    if not raw:
        return None
    return get_for_user(Customer.objects.select_related("salesperson"), raw, request.user)


def _pick_customer(request: HttpRequest, title: str, url_name: str) -> HttpResponse:
    """Step one of a new ticket or interaction without ``?customer=``: find the customer."""
    q = request.GET.get("q", "").strip()[:100]
    results = []
    if q:
        results = list(
            Customer.objects.visible_to(request.user).filter(archived=False).search(q).select_related("salesperson")
            .order_by("code")[:20]
        )
    context = {"title": title, "q": q, "results": results, "target": reverse(url_name)}
    if request.htmx:
        return render(request, "customers/tickets/_pick_results.html", context)
    return render(request, "customers/tickets/pick_customer.html", context)


@login_required
@permission_required(perms.ADD_TICKET, raise_exception=True)
def ticket_new(request: HttpRequest) -> HttpResponse:
    customer = _requested_customer(request)
    if customer is None:
        return _pick_customer(request, str(_("新建客诉/反馈")), "ticket_new")
    initial = {"assignee": customer.salesperson_id, "due_on": timezone.localdate() + dt.timedelta(days=3)}
    form = TicketForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.open_ticket(actor=request.user, customer=customer, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记客诉 %(number)s。") % {"number": ticket.number})
            return redirect("ticket_detail", pk=ticket.pk)
    return render(request, "customers/tickets/form.html", {
        "form": form, "customer": customer, "title": _("新建客诉/反馈"),
        "cancel_url": customer_url(customer.pk, "panel-tickets") or reverse("ticket_list"),
    })


@login_required
@permission_required(perms.CHANGE_TICKET, raise_exception=True)
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_for_user(tickets_for(request.user), pk, request.user)
    if ticket.status == TicketStatus.CLOSED:
        messages.error(request, _("客诉已关闭，不能修改。"))
        return redirect("ticket_detail", pk=ticket.pk)
    initial = {f: getattr(ticket, f) for f in TICKET_EDIT_FIELDS}
    form = TicketForm(request.POST or None, customer=ticket.customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_ticket(actor=request.user, ticket=ticket, changes=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("ticket_detail", pk=ticket.pk)
    return render(request, "customers/tickets/form.html", {
        "form": form, "customer": ticket.customer, "ticket": ticket, "title": _("修改客诉/反馈"),
        "cancel_url": reverse("ticket_detail", args=[ticket.pk]),
    })


@login_required
@permission_required(perms.ADD_INTERACTION, raise_exception=True)
def interaction_new(request: HttpRequest) -> HttpResponse:
    customer = _requested_customer(request)
    if customer is None:
        return _pick_customer(request, str(_("记录沟通")), "interaction_new")
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = InteractionForm(request.POST or None, customer=customer, initial={"occurred_at": now})
    if request.method == "POST" and form.is_valid():
        try:
            services.log_interaction(actor=request.user, customer=customer, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已记录。"))
            return redirect(customer_url(customer.pk, "panel-interactions")
                            or f"{reverse('interaction_list')}?customer_id={customer.pk}")
    return render(request, "customers/interactions/form.html", {
        "form": form, "customer": customer, "title": _("记录沟通"),
        "cancel_url": customer_url(customer.pk, "panel-interactions") or reverse("interaction_list"),
    })


@login_required
@permission_required(perms.VIEW_CUSTOMER, raise_exception=True)
def interaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_for_user(interactions_for(request.user), pk, request.user)
    return render(request, "customers/interactions/detail.html", {
        "object": interaction, "customer_url": customer_url(interaction.customer_id, "panel-interactions"),
    })
