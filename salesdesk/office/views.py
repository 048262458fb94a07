"""Pages of the correspondence register and the circulars: thin views over ``services`` and
``queries``; refusals of the services become form errors or messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.customers.models import Customer

from . import permissions as perms
from . import queries, services
from .choices import CorrespondenceStatus
from .filters import CircularFilterSet, CorrespondenceFilterSet
from .forms import AudienceForm, CircularForm, CorrespondenceForm, RouteForm, customer_label
from .models import Correspondence
from .tables import CircularTable, CorrespondenceTable

CUSTOMER_OPTIONS = 20
PREVIEW_ROWS = 20


# --- the register -----------------------------------------------------------------------------


class CorrespondenceList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_CORRESPONDENCE
    model = Correspondence
    table_class = CorrespondenceTable
    filterset_class = CorrespondenceFilterSet
    title = gettext_lazy("收发文登记")
    export_permission = perms.EXPORT_CORRESPONDENCE
    export_name = "office.correspondence"
    new_url_name = "correspondence_create"
    new_permission = perms.ADD_CORRESPONDENCE

    def base_queryset(self):
        return queries.correspondence_for(self.request.user)


class CorrespondenceDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_CORRESPONDENCE
    model = Correspondence
    template_name = "office/correspondence_detail.html"

    def get_queryset(self):
        return queries.correspondence_base()

    def overview_context(self, obj) -> dict:
        user = self.request.user
        can_edit = services.may_edit(user, obj)
        is_open = obj.status == CorrespondenceStatus.OPEN
        return {
            "can_edit": can_edit and obj.status != CorrespondenceStatus.FILED,
            "can_complete": is_open and services.may_complete(user, obj),
            "can_file": can_edit and obj.status == CorrespondenceStatus.DONE,
            "route_form": RouteForm(initial={"routed_to": obj.routed_to_id, "deadline": obj.deadline})
            if can_edit and is_open else None,
            "overdue": is_open and obj.deadline is not None and obj.deadline < timezone.localdate(),
        }


def _form_changes(form: CorrespondenceForm) -> dict:
    data = form.cleaned_data
    changes = {f: data[f] for f in services.EDITABLE_FIELDS if f in data}
    changes["routed_to"] = data.get("routed_to")
    return changes


@login_required
@permission_required(perms.ADD_CORRESPONDENCE, raise_exception=True)
def correspondence_create(request: HttpRequest) -> HttpResponse:
    initial = {"customer": request.GET.get("customer", "")}
    form = CorrespondenceForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.register_correspondence(
                actor=request.user, direction=data["direction"], channel=data["channel"], subject=data["subject"],
                counterpart=data["counterpart"], received_on=data["received_on"], reference=data["reference"],
                customer=data["customer"], summary=data["summary"], routed_to=data["routed_to"],
                deadline=data["deadline"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记：%(number)s") % {"number": item.number})
            return redirect("correspondence_detail", pk=item.pk)
    return render(request, "office/correspondence_form.html", {"form": form, "object": None})


@login_required
@permission_required(perms.CHANGE_CORRESPONDENCE, raise_exception=True)
def correspondence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_for_user(queries.correspondence_base(), pk, request.user)
    if not services.may_edit(request.user, item):
        raise PermissionDenied
    initial = {f: getattr(item, f) for f in services.EDITABLE_FIELDS} | {"routed_to": item.routed_to}
    form = CorrespondenceForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_correspondence(actor=request.user, item=item, changes=_form_changes(form))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("correspondence_detail", pk=item.pk)
    return render(request, "office/correspondence_form.html", {"form": form, "object": item})


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    """Run one action of the detail page; a refusal comes back as a message on the page."""
    item = get_for_user(queries.correspondence_base(), pk, request.user)
    try:
        action(item)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存。"))
    return redirect("correspondence_detail", pk=item.pk)


@login_required
@require_POST
@permission_required(perms.CHANGE_CORRESPONDENCE, raise_exception=True)
def correspondence_route(request: HttpRequest, pk: int) -> HttpResponse:
    def route(item):
        form = RouteForm(request.POST)
        if not form.is_valid():
            raise DomainError(_("请选择承办人并填写有效的期限。"))
        services.route_correspondence(actor=request.user, item=item, routed_to=form.cleaned_data["routed_to"],
                                      deadline=form.cleaned_data["deadline"])

    return _act(request, pk, route)


@login_required
@require_POST
@permission_required(perms.VIEW_CORRESPONDENCE, raise_exception=True)
def correspondence_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda item: services.complete_correspondence(
        actor=request.user, item=item, result=request.POST.get("result", "")))


@login_required
@require_POST
@permission_required(perms.CHANGE_CORRESPONDENCE, raise_exception=True)
def correspondence_file(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda item: services.file_correspondence(
        actor=request.user, item=item, archive_no=request.POST.get("archive_no", "")))


@login_required
@require_safe
@permission_required(perms.ADD_CORRESPONDENCE, raise_exception=True)
def customer_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the customers the user may see that match the picker's search box."""
    term = request.GET.get("customer_q", "").strip()[:100]
    customers = Customer.objects.visible_to(request.user).search(term).order_by("code")[:CUSTOMER_OPTIONS] if term else []
    options = [(c.pk, customer_label(c)) for c in customers]
    return render(request, "office/_customer_options.html", {"options": options, "term": term})


# --- circulars --------------------------------------------------------------------------------


class CircularList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_CIRCULAR
    table_class = CircularTable
    filterset_class = CircularFilterSet
    title = gettext_lazy("发文/政策通知")
    new_url_name = "circular_create"
    new_permission = perms.SEND_CIRCULAR

    def base_queryset(self):
        return queries.circulars_for(self.request.user)


@login_required
@permission_required(perms.VIEW_CIRCULAR, raise_exception=True)
def circular_detail(request: HttpRequest, pk: int) -> HttpResponse:
    circular = get_for_user(queries.circulars_for(request.user), pk, request.user)
    recipients = list(queries.recipients_for(request.user, circular))
    return render(request, "office/circular_detail.html", {"object": circular, "recipients": recipients})


@login_required
@permission_required(perms.SEND_CIRCULAR, raise_exception=True)
def circular_create(request: HttpRequest) -> HttpResponse:
    form = CircularForm(request.POST or None, user=request.user,
                        initial={"customers": request.GET.getlist("customers")})
    if request.method == "POST" and form.is_valid():
        given = form.given_customers()
        try:
            sent = services.send_circular(
                actor=request.user, kind=form.cleaned_data["kind"], subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"], customers=given or None, filters=None if given else form.filter_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已发文 %(number)s：%(n)s 家客户，邮件 %(m)s 封，需打印邮寄 %(k)s 家。") % {
                "number": sent.circular.number, "n": sent.recipients, "m": sent.emailed, "k": sent.to_post})
            return redirect("circular_detail", pk=sent.circular.pk)
    audience = AudienceForm(request.POST if request.method == "POST" else request.GET, user=request.user)
    return render(request, "office/circular_form.html", {"form": form, **_reach(audience)})


@login_required
@require_safe
@permission_required(perms.VIEW_CIRCULAR, raise_exception=True)
def circular_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The letters to print and post: one page per recipient without an e-mail address."""
    circular = get_for_user(queries.circulars_for(request.user), pk, request.user)
    recipients = queries.recipients_for(request.user, circular).filter(delivered=False)
    letters = [(r, services.letter_text(circular, r.customer.name, r.contact_name)) for r in recipients]
    return render(request, "office/circular_print.html", {"object": circular, "letters": letters})


def _reach(audience: AudienceForm) -> dict:
    """Who a circular would reach now: how many customers, how many by e-mail, the first rows."""
    if not audience.is_valid():
        return {"reach_total": 0, "reach_emailed": 0, "reach_to_post": 0, "preview": [], "given": [],
                "reach_errors": audience.errors}
    qs = audience.target()
    total, emailed = queries.reach(qs)
    rows = list(queries.with_primary_contact(qs).order_by("code")[:PREVIEW_ROWS])
    return {"reach_total": total, "reach_emailed": emailed, "reach_to_post": total - emailed, "preview": rows,
            "given": audience.given_customers()}


@login_required
@require_safe
@permission_required(perms.SEND_CIRCULAR, raise_exception=True)
def circular_preview(request: HttpRequest) -> HttpResponse:
    """The live count and first recipients for the audience being chosen (htmx partial)."""
    return render(request, "office/_circular_preview.html", _reach(AudienceForm(request.GET, user=request.user)))
