"""The logistics pages: the shipment list and detail, planning a shipment from an order (through
the payment gate), dispatch / tracking / delivery / returned 送货单 / cancellation, the delivery
note print, the clerk's list of customer calls (打电话通知客户) and the shipments tab on the order.

Views stay thin: they parse forms, look objects up for the user (404 when not visible), call the
services and show their refusals on the form or as a message. Roles without ``orders.view_prices``
(the warehouse) see no money anywhere here."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from salesdesk.core.access import get_for_user
from salesdesk.core.attachments import list_for
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.customers.models import Contact
from salesdesk.finance import permissions as finance_perms
from salesdesk.finance.balances import ZERO
from salesdesk.orders.models import Order, OrderLine

from . import permissions as perms
from . import printing, services
from .choices import ShipmentStatus
from .filters import ShipmentFilterSet
from .forms import CallForm, CancelForm, DeliverForm, DispatchForm, PodForm, ShipmentForm, TrackForm
from .gate import PAYMENT_REQUIRED, releasable_amount
from .models import CallTask, Shipment, ShipmentLine, TrackingEvent
from .tables import ShipmentTable, ShipmentTableWithoutPrices
from .waybills import looks_valid

ORDER_PICKER_LIMIT = 50
CALLS_PER_PAGE = 25
PANEL_SHIPMENTS = 50
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _prices(user) -> bool:
    return user.has_perm(perms.VIEW_PRICES)


def _error_text(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or _("您没有权限执行此操作。")


def shipment_detail_queryset():
    """A shipment with everything its page and its delivery note show, in a fixed number of queries."""
    return Shipment.objects.select_related("order__salesperson", "order__contract", "customer", "created_by").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("product", "order_line").order_by("id")),
        Prefetch("events", queryset=TrackingEvent.objects.select_related("by").order_by("at", "id")),
        Prefetch("calls", queryset=CallTask.objects.select_related("done_by").order_by("created_at", "id")),
    )


# --- list -------------------------------------------------------------------------------------


class ShipmentList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_SHIPMENT
    model = Shipment
    table_class = ShipmentTable
    filterset_class = ShipmentFilterSet
    title = gettext_lazy("发货单")
    export_permission = perms.EXPORT_SHIPMENT
    export_name = "logistics.shipments"
    new_url_name = "shipment_create"
    new_permission = perms.ADD_SHIPMENT

    def get_table_class(self):
        # The warehouse ships without seeing prices (API.md): no value column, on screen or in Excel.
        return ShipmentTable if _prices(self.request.user) else ShipmentTableWithoutPrices

    def base_queryset(self):
        return Shipment.objects.visible_to(self.request.user).select_related("order", "customer")


# --- detail -----------------------------------------------------------------------------------


def _timeline(shipment: Shipment) -> list[dict]:
    """The journey, oldest first: created, then each tracking event (dispatch, notes, delivery, 回单)."""
    steps = [{"status": ShipmentStatus.PLANNED, "label": _("开单"), "at": shipment.created_at,
              "by": shipment.created_by.display_name, "note": shipment.note if shipment.status != "cancelled" else ""}]
    for event in shipment.events.all():
        note = event.note
        if event.status == ShipmentStatus.DELIVERED and shipment.signer:
            note = f"{_('签收人')}：{shipment.signer}" + (f" · {note}" if note else "")
        steps.append({"status": event.status, "label": ShipmentStatus(event.status).label, "at": event.at,
                      "by": event.by.display_name, "note": note})
    return steps


class ShipmentDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_SHIPMENT
    model = Shipment
    template_name = "logistics/shipment_detail.html"

    def get_queryset(self):
        return shipment_detail_queryset()

    def tabs(self, obj: Shipment) -> list[tuple[str, str]]:
        # The change history shows the value: roles that see no prices get none.
        tabs = super().tabs(obj)
        return tabs if _prices(self.request.user) else [t for t in tabs if t[0] != "history"]

    def overview_context(self, obj: Shipment) -> dict:
        user = self.request.user
        status = obj.status
        may_ship = user.has_perm(perms.DISPATCH_SHIPMENT)
        files = list(list_for(obj))
        return {
            "show_prices": _prices(user),
            "lines": list(obj.lines.all()),
            "timeline": _timeline(obj),
            "scans": [a for a in files if a.mimetype in IMAGE_TYPES],
            "files": files,
            "waybill_suspect": not looks_valid(obj.carrier, obj.waybill_no),
            "sizes": printing.SIZES.values(),
            "default_size": printing.default_size(),
            "can_dispatch": may_ship and status == ShipmentStatus.PLANNED,
            "can_cancel": user.has_perm(perms.ADD_SHIPMENT) and status == ShipmentStatus.PLANNED,
            "can_track": may_ship and status in (ShipmentStatus.DISPATCHED, ShipmentStatus.IN_TRANSIT),
            "can_pod": may_ship and status == ShipmentStatus.DELIVERED,
            "call_rows": [(task, call_form(task)) for task in obj.calls.all()],
            "dispatch_form": DispatchForm(initial={"carrier": obj.carrier, "waybill_no": obj.waybill_no}),
            "track_form": TrackForm(),
            "deliver_form": DeliverForm(),
            "pod_form": PodForm(),
            "cancel_form": CancelForm(),
        }


# --- planning a shipment from an order ----------------------------------------------------------


def _order_for_shipping(request: HttpRequest, raw: str) -> Order:
    lines = OrderLine.objects.select_related("product").order_by("line_no")
    qs = Order.objects.select_related("customer").prefetch_related(Prefetch("lines", queryset=lines))
    return get_for_user(qs, raw, request.user)


def _shippable_orders(request: HttpRequest) -> tuple[str, list[Order]]:
    term = request.GET.get("q", "").strip()[:100]
    qs = Order.objects.visible_to(request.user).filter(status__in=services.SHIPPABLE_ORDER_STATES)
    if term:
        qs = qs.filter(Q(number__icontains=term) | Q(customer__name__icontains=term)
                       | Q(customer__search_text__icontains=term.lower()) | Q(customer__code__iexact=term))
    return term, list(qs.select_related("customer").order_by("order_date", "id")[:ORDER_PICKER_LIMIT])


@login_required
@permission_required(perms.ADD_SHIPMENT, raise_exception=True)
def shipment_create(request: HttpRequest) -> HttpResponse:
    """发货单 from an order (``?order=<id>``): each line prefilled with what is left to ship. The
    service checks the quantities (422) and then the payment gate (409, naming the missing
    amount); a refusal comes back on the form with that status. Without an order: pick one."""
    raw = request.GET.get("order") or request.POST.get("order") or ""
    if not raw:
        term, orders = _shippable_orders(request)
        return render(request, "logistics/order_picker.html", {"orders": orders, "q": term,
                                                               "limit": ORDER_PICKER_LIMIT})
    order = _order_for_shipping(request, raw)
    user = request.user
    form = ShipmentForm(request.POST or None, order=order, remaining=services.remaining_by_line(order))
    status, gate_refused = 200, False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shipment = services.create_shipment(
                actor=user, order=order, lines=form.line_requests(), carrier=data["carrier"],
                waybill_no=data["waybill_no"], warehouse=data["warehouse"], freight=data["freight"] or ZERO,
                planned_on=data["planned_on"], note=data["note"],
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
            status = 422
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 409
            gate_refused = exc.code == PAYMENT_REQUIRED
        else:
            messages.success(request, _("已开发货单 %(n)s，待发货。") % {"n": shipment.number})
            return redirect("shipment_detail", pk=shipment.pk)
    elif request.method == "POST":
        status = 422
    show_prices = _prices(user)
    return render(request, "logistics/shipment_form.html", {
        "form": form, "order": order, "show_prices": show_prices,
        "shippable": order.status in services.SHIPPABLE_ORDER_STATES and form.shippable,
        "releasable": releasable_amount(order.customer, order) if show_prices else None,
        "gate_refused": gate_refused,
        "can_record_payment": user.has_perm(finance_perms.ADD_PAYMENT),
        "can_request_exception": user.has_perm(finance_perms.ADD_EXCEPTION),
    }, status=status)


# --- actions on a shipment --------------------------------------------------------------------


def _act(request: HttpRequest, pk: int, form_class, action, success: str) -> HttpResponse:
    """Run ``action(shipment, cleaned_data)`` for a valid form; refusals become an error message."""
    shipment = get_for_user(Shipment, pk, request.user)
    form = form_class(request.POST, request.FILES or None)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors))
    else:
        try:
            action(shipment, form.cleaned_data)
        except (DomainError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, success % {"n": shipment.number})
    return redirect("shipment_detail", pk=shipment.pk)


@login_required
@require_POST
@permission_required(perms.DISPATCH_SHIPMENT, raise_exception=True)
def shipment_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """The goods left: a receivable arises, the customer is to be called. A waybill number that
    does not look like the carrier's is a warning, never a refusal (DOMAIN.md §11)."""
    def dispatch(shipment, data):
        done = services.dispatch(actor=request.user, shipment=shipment, waybill_no=data["waybill_no"] or None,
                                 carrier=data["carrier"] or None)
        if not looks_valid(done.carrier, done.waybill_no):
            messages.warning(request, _("运单号 %(w)s 与%(c)s的常见格式不符，请核对。") % {
                "w": done.waybill_no, "c": done.get_carrier_display()})

    return _act(request, pk, DispatchForm, dispatch, _("发货单 %(n)s 已发货，已生成致电客户任务。"))


@login_required
@require_POST
@permission_required(perms.DISPATCH_SHIPMENT, raise_exception=True)
def shipment_track(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, TrackForm, lambda s, d: services.track(
        actor=request.user, shipment=s, status=ShipmentStatus.IN_TRANSIT, note=d["note"]), _("已记录 %(n)s 的物流跟踪。"))


@login_required
@require_POST
@permission_required(perms.DISPATCH_SHIPMENT, raise_exception=True)
def shipment_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, DeliverForm, lambda s, d: services.track(
        actor=request.user, shipment=s, status=ShipmentStatus.DELIVERED, note=d["note"], signer=d["signer"]),
        _("发货单 %(n)s 已签收，已生成签收回访任务。"))


@login_required
@require_POST
@permission_required(perms.DISPATCH_SHIPMENT, raise_exception=True)
def shipment_pod(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed 送货单 is back: its scan is stored with the shipment and the status moves on, together."""
    return _act(request, pk, PodForm, lambda s, d: services.return_pod(
        actor=request.user, shipment=s, scan=d["scan"], note=d["note"]), _("发货单 %(n)s 的签收回单已上传。"))


@login_required
@require_POST
@permission_required(perms.ADD_SHIPMENT, raise_exception=True)
def shipment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, CancelForm, lambda s, d: services.cancel_shipment(
        actor=request.user, shipment=s, reason=d["reason"]), _("发货单 %(n)s 已取消，占用的款项额度已释放。"))


@login_required
@require_safe
@permission_required(perms.VIEW_SHIPMENT, raise_exception=True)
def shipment_print(request: HttpRequest, pk: int) -> HttpResponse:
    """送货单 PDF; ``?size=A4|241`` (default: settings.LOGISTICS_DELIVERY_NOTE_SIZE)."""
    contacts = Contact.objects.order_by("-is_primary", "id")
    shipment = get_for_user(shipment_detail_queryset().prefetch_related(Prefetch("customer__contacts", contacts)),
                            pk, request.user)
    return printing.delivery_note_response(shipment, user=request.user, show_prices=_prices(request.user),
                                           size=printing.page_size(request.GET.get("size")))


# --- customer calls (打电话通知客户) ------------------------------------------------------------


CALL_FILTERS = (("open", gettext_lazy("待致电")), ("done", gettext_lazy("已致电")),
                ("unreachable", gettext_lazy("未接通")), ("all", gettext_lazy("全部")))


def call_form(task: CallTask, data=None) -> CallForm:
    """The outcome form of one call (prefixed: a page shows many)."""
    return CallForm(data, prefix=f"call{task.pk}")


def _calls(user):
    return CallTask.objects.filter(shipment__in=Shipment.objects.visible_to(user)).select_related(
        "shipment__customer", "shipment__order", "done_by")


def _call_for(user, pk) -> CallTask:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    task = _calls(user).filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


@login_required
@require_safe
@permission_required(perms.VIEW_SHIPMENT, raise_exception=True)
def call_list(request: HttpRequest) -> HttpResponse:
    """The calls to make after dispatch and delivery, oldest first, each with a ``tel:`` link and
    the outcome form in place (usable on a phone)."""
    chosen = request.GET.get("status", "open")
    if chosen not in {key for key, _label in CALL_FILTERS}:
        chosen = "open"
    qs = _calls(request.user)
    if chosen != "all":
        qs = qs.filter(status=chosen)
    qs = qs.order_by("created_at", "id") if chosen == "open" else qs.order_by("-done_at", "-id")
    page = Paginator(qs, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "logistics/call_list.html", {
        "page_obj": page, "rows": [(task, call_form(task)) for task in page.object_list], "chosen": chosen,
        "filters": CALL_FILTERS,
    })


@login_required
@require_POST
@permission_required(perms.VIEW_SHIPMENT, raise_exception=True)
def call_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log the outcome of a call: htmx swaps the card in place; a plain post goes back where it came from."""
    task = _call_for(request.user, pk)
    form = call_form(task, request.POST)
    error = ""
    if form.is_valid():
        try:
            task = services.log_call(actor=request.user, task=task, status=form.cleaned_data["status"],
                                     outcome=form.cleaned_data["outcome"])
        except DomainError as exc:
            error = exc.message
    else:
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    if request.htmx:
        task = _call_for(request.user, task.pk)
        response = render(request, "logistics/_call_card.html", {"task": task, "form": form if error else None,
                                                                  "error": error})
        if not error:
            trigger_client_event(response, "toast", {"level": "success", "message": _("已记录致电结果。")})
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已记录致电结果。"))
    if request.POST.get("next") == "shipment":
        return redirect("shipment_detail", pk=task.shipment_id)
    return redirect("call_list")


# --- the shipments tab on the order page -------------------------------------------------------


def order_shipments_panel(request: HttpRequest, order: Order) -> dict:
    """The order's shipments, what is left to ship per line, and the button to plan the next one."""
    user = request.user
    show_prices = _prices(user)
    shipments = list(Shipment.objects.visible_to(user).filter(order=order).order_by("-created_at", "-id")
                     [:PANEL_SHIPMENTS])
    lines = list(order.lines.select_related("product").order_by("line_no"))
    remaining = services.remaining_by_line(order)
    left = [(line, remaining.get(line.pk, Decimal(0))) for line in lines]
    shippable = order.status in services.SHIPPABLE_ORDER_STATES and any(q > 0 for _line, q in left)
    return {
        "order": order, "shipments": shipments, "left": left, "show_prices": show_prices,
        "can_create": user.has_perm(perms.ADD_SHIPMENT) and shippable,
        "releasable": releasable_amount(order.customer, order) if show_prices and shippable else None,
        "counting": sum((s.value for s in shipments if s.status != ShipmentStatus.CANCELLED), ZERO),
    }

