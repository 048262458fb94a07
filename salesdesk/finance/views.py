"""The finance pages: recording a payment (phone-sized, with the bank slip), the payment list and
detail, finance's queue (confirm / reject in place with htmx), one-step re-allocation, gate
exceptions (request, list, approval), the bank-statement import, and the payment tabs finance adds
to the order and customer pages.

Views stay thin: they parse forms, look objects up for the user (404 when not visible), call the
services and show their refusals on the form or as a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from salesdesk.core.access import get_for_user
from salesdesk.core.attachments import attach, can_attach_to
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.core.models import Attachment
from salesdesk.core.registries import figures_for
from salesdesk.customers.models import Customer
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order

from . import importing, services
from . import permissions as perms
from .balances import ZERO, allocated_to_orders
from .choices import ExceptionStatus, PaymentKind, PaymentStatus
from .filters import ExceptionFilterSet, PaymentFilterSet
from .forms import (
    CUSTOMER_PRELOAD,
    PAYABLE_STATUSES,
    AllocationFormSet,
    DecisionForm,
    ExceptionForm,
    PaymentForm,
    RejectForm,
    StatementUploadForm,
    customer_label,
    order_label,
    payable_orders,
    payer_differs,
    reallocation_orders,
)
from .models import Allocation, BankStatementImport, GateException, Payment
from .tables import ExceptionTable, PaymentTable

QUEUE_LIMIT = 100
QUEUE_EXCEPTIONS = 50
STATEMENT_LINES = 200
CUSTOMER_OPTIONS = 20
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _error_text(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or _("您没有权限执行此操作。")


# --- figures shared by the queue, the detail page and the tabs ----------------------------------------


def free_advances(customer_ids) -> dict[int, Decimal]:
    """Each customer's confirmed money not allocated to any order (预收), in two grouped queries —
    ``balances.free_advance`` for many customers at once."""
    ids = list(set(customer_ids))
    if not ids:
        return {}
    money: dict[int, Decimal] = dict.fromkeys(ids, ZERO)
    rows = (Payment.objects.filter(customer_id__in=ids, status=PaymentStatus.CONFIRMED)
            .values("customer_id", "kind").annotate(total=Sum("amount")))
    for r in rows:
        sign = -1 if r["kind"] == PaymentKind.REFUND else 1
        money[r["customer_id"]] += sign * (r["total"] or ZERO)
    for r in Allocation.objects.filter(customer_id__in=ids).values("customer_id").annotate(total=Sum("amount")):
        money[r["customer_id"]] -= r["total"] or ZERO
    return money


def slips_for(payment_ids) -> dict[int, list[Attachment]]:
    """The attachments (bank slips) of each payment, in one query."""
    ids = list(payment_ids)
    out: dict[int, list[Attachment]] = {i: [] for i in ids}
    if not ids:
        return out
    ct = ContentType.objects.get_for_model(Payment)
    for a in Attachment.objects.filter(content_type=ct, object_id__in=ids).order_by("-uploaded_at", "-id"):
        out[a.object_id].append(a)
    return out


@dataclass
class PaymentRow:
    """A payment with what finance needs beside it to decide: the order it answers (total, already
    paid, still needed), the customer's free advance, the slips, the 三流一致 flag."""

    payment: Payment
    advance: Decimal
    order_paid: Decimal = ZERO
    slips: list = field(default_factory=list)
    allocations: list = field(default_factory=list)
    error: str = ""
    reject_form: RejectForm | None = None

    @property
    def order_need(self) -> Decimal:
        order = self.payment.order
        return max(ZERO, order.total - self.order_paid) if order is not None else ZERO

    @property
    def to_order(self) -> Decimal:
        """What confirming would allocate to the named order (as far as it still needs it)."""
        if self.payment.order is None or self.payment.order.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
            return ZERO
        return min(self.order_need, self.payment.amount)

    @property
    def to_advance(self) -> Decimal:
        return self.payment.amount - self.to_order

    @property
    def unallocated(self) -> Decimal:
        """Of a confirmed receipt: what is not on any order (its part of the advance)."""
        return self.payment.amount - sum((a.amount for a in self.allocations), ZERO)

    @property
    def differs(self) -> bool:
        return payer_differs(self.payment.payer_name, self.payment.customer)

    @property
    def images(self) -> list:
        return [a for a in self.slips if a.mimetype in IMAGE_TYPES]


def payment_rows(payments: list[Payment], *, with_allocations: bool = False) -> list[PaymentRow]:
    advances = free_advances(p.customer_id for p in payments)
    paid = allocated_to_orders({p.order_id for p in payments if p.order_id})
    slips = slips_for(p.pk for p in payments)
    allocations: dict[int, list] = {p.pk: [] for p in payments}
    if with_allocations:
        for a in Allocation.objects.filter(payment__in=payments).select_related("order").order_by("id"):
            allocations[a.payment_id].append(a)
    return [PaymentRow(payment=p, advance=advances.get(p.customer_id, ZERO), order_paid=paid.get(p.order_id, ZERO),
                       slips=slips[p.pk], allocations=allocations[p.pk]) for p in payments]


def _payments():
    return Payment.objects.select_related("customer", "order", "recorded_by", "confirmed_by")


# --- recording a payment --------------------------------------------------------------------------


def _initial(request: HttpRequest) -> dict:
    initial: dict = {}
    order_raw, customer_raw = request.GET.get("order", ""), request.GET.get("customer", "")
    if order_raw.isdigit():
        order = get_for_user(Order.objects.filter(status__in=PAYABLE_STATUSES), order_raw, request.user)
        initial.update(customer=order.customer, order=order.pk)
        paid = allocated_to_orders([order.pk]).get(order.pk, ZERO)
        if order.total > paid:
            initial["amount"] = order.total - paid
    elif customer_raw.isdigit():
        initial["customer"] = get_for_user(Customer, customer_raw, request.user)
    return initial


@login_required
@permission_required(perms.ADD_PAYMENT, raise_exception=True)
def payment_create(request: HttpRequest) -> HttpResponse:
    """回款登记, usable on a phone: the slip photo is stored with the payment in one transaction."""
    user = request.user
    form = PaymentForm(request.POST or None, request.FILES or None, user=user,
                       initial=_initial(request) if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                payment = services.record_payment(actor=user, data=services.PaymentInput(
                    customer=data["customer"], amount=data["amount"], received_on=data["received_on"],
                    method=data["method"], payer_name=data["payer_name"], payer_account=data["payer_account"],
                    reference=data["reference"], order=data["order"], bill_maturity=data["bill_maturity"],
                    note=data["note"],
                ))
                if data.get("slip"):
                    attach(actor=user, owner=payment, uploaded_file=data["slip"], description=_("水单"))
        except InvalidInput as exc:
            if exc.field == "file":
                form.add_error("slip", exc.message)
            else:
                add_domain_error(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记回款 %(number)s，等待财务确认到账。") % {"number": payment.number})
            return redirect("payment_detail", pk=payment.pk)
    return render(request, "finance/payment_form.html", {"form": form, "preload": CUSTOMER_PRELOAD})


@login_required
@permission_required(perms.ADD_PAYMENT, raise_exception=True)
@require_safe
def customer_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the visible customers matching the search box (large customer books)."""
    term = request.GET.get("customer_q", "").strip()[:100]
    customers = (Customer.objects.visible_to(request.user).search(term).order_by("code")[:CUSTOMER_OPTIONS]
                 if term else [])
    return render(request, "finance/_options.html", {
        "options": [(c.pk, customer_label(c)) for c in customers], "select_first": True,
        "empty_text": _("没有找到客户") if term else "",
    })


@login_required
@permission_required(perms.ADD_PAYMENT, raise_exception=True)
@require_safe
def order_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the chosen customer's orders that still take money."""
    raw = request.GET.get("customer", "")
    orders = payable_orders(request.user, get_for_user(Customer, raw, request.user)) if raw.isdigit() else []
    return render(request, "finance/_options.html", {"options": [(o.pk, order_label(o, need)) for o, need in orders]})


@login_required
@permission_required(perms.ADD_PAYMENT, raise_exception=True)
@require_safe
def payer_check(request: HttpRequest) -> HttpResponse:
    """The 三流一致 warning under the payer field, as the user types."""
    raw = request.GET.get("customer", "")
    customer = Customer.objects.visible_to(request.user).filter(pk=int(raw)).first() \
        if raw.isdigit() and int(raw) < 2**63 else None
    payer = request.GET.get("payer_name", "")[:200]
    differs = customer is not None and payer_differs(payer, customer)
    return render(request, "finance/_payer_check.html", {"differs": differs, "customer": customer})


# --- list and detail --------------------------------------------------------------------------------


class PaymentList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_PAYMENT
    model = Payment
    table_class = PaymentTable
    filterset_class = PaymentFilterSet
    title = gettext_lazy("回款")
    export_permission = perms.EXPORT_PAYMENT
    export_name = "finance.payments"
    new_url_name = "payment_create"
    new_permission = perms.ADD_PAYMENT

    def base_queryset(self):
        return Payment.objects.visible_to(self.request.user).select_related("customer", "order", "recorded_by")


class PaymentDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_PAYMENT
    model = Payment
    template_name = "finance/payment_detail.html"

    def get_queryset(self):
        return _payments()

    def overview_context(self, obj: Payment) -> dict:
        user = self.request.user
        row = payment_rows([obj], with_allocations=True)[0]
        per_order: dict[int, list] = {}
        for a in row.allocations:
            entry = per_order.setdefault(a.order_id, [a.order, ZERO])
            entry[1] += a.amount
        allocated = sum((a.amount for a in row.allocations), ZERO)
        pending = obj.status == PaymentStatus.PENDING
        return {
            "row": row,
            "net_allocations": [(order, amount) for order, amount in per_order.values() if amount],
            "allocated": allocated,
            "unallocated": obj.amount - allocated if obj.kind == PaymentKind.RECEIPT else ZERO,
            "can_confirm": pending and user.has_perm(perms.CONFIRM_PAYMENT),
            "can_reallocate": obj.status == PaymentStatus.CONFIRMED and obj.kind == PaymentKind.RECEIPT
            and user.has_perm(perms.ALLOCATE_PAYMENT),
            "can_attach": can_attach_to(user, obj),
            "reject_form": RejectForm(prefix=f"p{obj.pk}"),
        }


# --- finance's queue --------------------------------------------------------------------------------


def _queue_row(request: HttpRequest, payment: Payment, *, error: str = "", reject_form=None) -> HttpResponse:
    payment = _payments().get(pk=payment.pk)
    row = payment_rows([payment], with_allocations=True)[0]
    row.error = error
    row.reject_form = reject_form
    return render(request, "finance/_queue_row.html", {"row": row, "can_confirm": True})


@login_required
@permission_required(perms.CONFIRM_PAYMENT, raise_exception=True)
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """Finance's queue: the pending payments, oldest first, each with the order it answers and the
    customer's free advance, to confirm or reject in place; and the gate exceptions pending."""
    pending = Payment.objects.filter(status=PaymentStatus.PENDING)
    payments = list(pending.select_related("customer", "order", "recorded_by").order_by("created_at", "id")[:QUEUE_LIMIT])
    exceptions = list(GateException.objects.filter(status=ExceptionStatus.PENDING)
                      .select_related("order__customer", "requested_by").order_by("requested_at", "id")[:QUEUE_EXCEPTIONS])
    return render(request, "finance/queue.html", {
        "rows": payment_rows(payments),
        "pending_count": pending.count(),
        "limit": QUEUE_LIMIT,
        "exceptions": exceptions,
    })


@login_required
@require_POST
@permission_required(perms.CONFIRM_PAYMENT, raise_exception=True)
def payment_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm from the queue (htmx: the refreshed row) or from the detail page (redirect)."""
    payment = get_for_user(Payment, pk, request.user)
    error = ""
    try:
        services.confirm_payment(actor=request.user, payment=payment)
    except DomainError as exc:
        error = exc.message
    if request.htmx:
        response = _queue_row(request, payment, error=error)
        if not error:
            trigger_client_event(response, "toast", {"level": "success",
                                                     "message": _("回款 %(n)s 已确认到账。") % {"n": payment.number}})
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("回款 %(n)s 已确认到账。") % {"n": payment.number})
    return redirect("payment_detail", pk=payment.pk)


@login_required
@require_POST
@permission_required(perms.CONFIRM_PAYMENT, raise_exception=True)
def payment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_for_user(Payment, pk, request.user)
    form = RejectForm(request.POST, prefix=f"p{payment.pk}")
    error = ""
    if form.is_valid():
        try:
            services.reject_payment(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            error = exc.message
    else:
        error = _("请填写驳回原因。")
    if request.htmx:
        return _queue_row(request, payment, error=error, reject_form=form if error else None)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("回款 %(n)s 已驳回。") % {"n": payment.number})
    return redirect("payment_detail", pk=payment.pk)


# --- re-allocation ----------------------------------------------------------------------------------


@login_required
@permission_required(perms.ALLOCATE_PAYMENT, raise_exception=True)
def payment_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """Finance sets, in one step, how much of a confirmed payment sits on each order; the rest is
    the customer's advance."""
    payment = get_for_user(_payments(), pk, request.user)
    if payment.status != PaymentStatus.CONFIRMED or payment.kind != PaymentKind.RECEIPT:
        messages.error(request, _("只能分配已确认的收款。"))
        return redirect("payment_detail", pk=payment.pk)
    orders, choices = reallocation_orders(payment)
    current: dict[int, Decimal] = {}
    for order_id, amount in payment.allocations.values_list("order_id", "amount"):
        current[order_id] = current.get(order_id, ZERO) + amount
    initial = [{"order": order_id, "amount": amount} for order_id, amount in current.items() if amount]
    formset = AllocationFormSet(request.POST or None, prefix="alloc", orders=orders, choices=choices,
                                initial=None if request.method == "POST" else initial)
    error = ""
    if request.method == "POST" and formset.is_valid():
        try:
            services.reallocate(actor=request.user, payment=payment, allocations=formset.rows())
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("回款 %(n)s 已重新分配。") % {"n": payment.number})
            return redirect("payment_detail", pk=payment.pk)
    return render(request, "finance/allocate.html", {
        "payment": payment, "formset": formset, "error": error,
        "advance": free_advances([payment.customer_id]).get(payment.customer_id, ZERO),
    })


# --- gate exceptions --------------------------------------------------------------------------------


def _exceptions():
    return GateException.objects.select_related("order__customer", "order__salesperson", "requested_by", "decided_by")


def _order_figures(order: Order, user) -> dict:
    figures = figures_for(Order, [order], user).get(order.pk, {})
    return {name: figures.get(name) for name in ("paid_amount", "shipped_amount", "releasable_amount")}


@login_required
@permission_required(perms.ADD_EXCEPTION, raise_exception=True)
def exception_create(request: HttpRequest) -> HttpResponse:
    """Request a gate exception on an order: ``/finance/exceptions/new/?order=<id>``."""
    raw = request.GET.get("order") or request.POST.get("order") or ""
    if not raw.isdigit():
        raise Http404
    order = get_for_user(Order.objects.select_related("customer"), raw, request.user)
    form = ExceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exc = services.request_exception(actor=request.user, order=order, amount=data["amount"],
                                             reason=data["reason"], expires_on=data["expires_on"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("发货例外申请已提交，等待审批。"))
            return redirect("exception_detail", pk=exc.pk)
    return render(request, "finance/exception_form.html", {
        "form": form, "order": order, "figures": _order_figures(order, request.user),
        "limit": services.manager_limit(),
    })


class ExceptionList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_EXCEPTION
    model = GateException
    table_class = ExceptionTable
    filterset_class = ExceptionFilterSet
    title = gettext_lazy("发货例外")

    def base_queryset(self):
        return GateException.objects.visible_to(self.request.user).select_related(
            "order__customer", "requested_by", "decided_by")


class ExceptionDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_EXCEPTION
    model = GateException
    template_name = "finance/exception_detail.html"
    with_attachments = False

    def get_queryset(self):
        return _exceptions()

    def overview_context(self, obj: GateException) -> dict:
        user = self.request.user
        pending = obj.status == ExceptionStatus.PENDING
        may_approve = user.has_perm(perms.APPROVE_EXCEPTION)
        limit = services.manager_limit()
        return {
            "figures": _order_figures(obj.order, user),
            "can_decide": pending and may_approve and obj.requested_by_id != user.pk,
            "own_request": pending and may_approve and obj.requested_by_id == user.pk,
            "needs_gm": obj.amount > limit,
            "limit": limit,
            "decision_form": DecisionForm(),
        }


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    exc = get_for_user(_exceptions(), pk, request.user)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.decide_exception(actor=request.user, exception=exc, approve=approve, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已批准发货例外。") if approve else _("已驳回发货例外。"))
    back = request.POST.get("next", "")
    if back.startswith(reverse("exception_list")) and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("exception_detail", pk=exc.pk)


@login_required
@require_POST
@permission_required(perms.APPROVE_EXCEPTION, raise_exception=True)
def exception_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
@permission_required(perms.APPROVE_EXCEPTION, raise_exception=True)
def exception_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


# --- bank statements --------------------------------------------------------------------------------


@login_required
@permission_required(perms.CONFIRM_PAYMENT, raise_exception=True)
def statement(request: HttpRequest) -> HttpResponse:
    """Upload a bank statement; below, every open incoming line with its proposed match."""
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = importing.import_statement(actor=request.user, data=upload.read(), filename=upload.name or "")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _(
                "读取收入流水 %(rows)d 行：新增 %(new)d 行，%(dup)d 行此前已导入（未重复创建）；支出 %(out)d 行已跳过。"
            ) % {"rows": outcome.rows, "new": outcome.new_lines, "dup": outcome.duplicates, "out": outcome.outgoing})
            for row, message in outcome.errors[:10]:
                messages.warning(request, _("第 %(row)d 行未导入：%(msg)s") % {"row": row, "msg": message})
            return redirect("statement_import")
    lines = list(importing.open_lines()[:STATEMENT_LINES])
    return render(request, "finance/statement.html", {
        "form": form,
        "proposals": importing.propose(lines, request.user),
        "open_count": importing.open_lines().count(),
        "limit": STATEMENT_LINES,
        "imports": list(BankStatementImport.objects.select_related("uploaded_by")[:5]),
    })


def _chosen_customers(request: HttpRequest, line_ids: list[int]) -> dict[int, Customer]:
    """The customer chosen for each selected line: a candidate from its select or a typed code."""
    picked: dict[int, str] = {}
    codes: dict[int, str] = {}
    for line_id in line_ids:
        raw = request.POST.get(f"customer_{line_id}", "")
        code = request.POST.get(f"code_{line_id}", "").strip()
        if raw.isdigit() and int(raw) < 2**63:
            picked[line_id] = raw
        elif code:
            codes[line_id] = code[:20]
    visible = Customer.objects.visible_to(request.user)
    by_pk = {str(c.pk): c for c in visible.filter(pk__in=[int(v) for v in picked.values()])}
    by_code = {c.code.upper(): c for c in visible.filter(
        Q(code__in=set(codes.values())) | Q(code__in={c.upper() for c in codes.values()}))}
    chosen: dict[int, Customer] = {}
    for line_id in line_ids:
        customer = by_pk.get(picked.get(line_id, "")) or by_code.get(codes.get(line_id, "").upper())
        if customer is None:
            raise InvalidInput({"lines": [_("有选中的流水没有指定客户：请选择客户或填写客户编号。")]})
        chosen[line_id] = customer
    return chosen


@login_required
@require_POST
@permission_required(perms.CONFIRM_PAYMENT, raise_exception=True)
def statement_confirm(request: HttpRequest) -> HttpResponse:
    """The bulk action of the statement page: confirm the selected lines as payments, or ignore them."""
    line_ids = sorted({int(v) for v in request.POST.getlist("line") if v.isdigit() and int(v) < 2**63})
    action = request.POST.get("action", "confirm")
    try:
        if action == "ignore":
            n = importing.ignore_lines(actor=request.user, line_ids=line_ids)
            messages.success(request, _("已忽略 %(n)d 行流水。") % {"n": n})
        else:
            chosen = _chosen_customers(request, line_ids) if line_ids else {}
            result = importing.confirm_lines(actor=request.user, choices=[
                importing.LineChoice(line_id=i, customer=c) for i, c in chosen.items()])
            messages.success(request, _(
                "已确认 %(total)d 笔到账：其中确认已登记的回款 %(existing)d 笔，新建并确认 %(created)d 笔。"
            ) % {"total": result.total, "existing": result.confirmed_existing, "created": result.created})
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("statement_import")


# --- tabs on the order and customer pages -----------------------------------------------------------

PANEL_PAYMENTS = 20


def order_payments_panel(request: HttpRequest, order: Order) -> dict:
    """The order's money: what is allocated to it (row by row), the payments naming it and the
    gate exceptions on it; buttons to record a payment or ask for an exception."""
    user = request.user
    allocations = list(Allocation.objects.filter(order=order).select_related("payment").order_by("id"))
    payments = list(Payment.objects.visible_to(user).filter(order=order).select_related("recorded_by")
                    .order_by("-created_at", "-id")[:PANEL_PAYMENTS])
    exceptions = list(GateException.objects.filter(order=order).select_related("requested_by", "decided_by")
                      .order_by("-requested_at", "-id"))
    paid = sum((a.amount for a in allocations), ZERO)
    return {
        "order": order, "allocations": allocations, "payments": payments, "exceptions": exceptions, "paid": paid,
        "need": max(ZERO, order.total - paid),
        "can_record": user.has_perm(perms.ADD_PAYMENT) and order.status in PAYABLE_STATUSES,
        "can_request": user.has_perm(perms.ADD_EXCEPTION) and order.status in PAYABLE_STATUSES,
    }


def customer_payments_panel(request: HttpRequest, customer: Customer) -> dict:
    user = request.user
    payments = list(Payment.objects.visible_to(user).filter(customer=customer).select_related("order")
                    .order_by("-created_at", "-id")[:PANEL_PAYMENTS])
    return {
        "customer": customer, "payments": payments,
        "advance": free_advances([customer.pk]).get(customer.pk, ZERO),
        "pending": Payment.objects.filter(customer=customer, status=PaymentStatus.PENDING).aggregate(
            s=Sum("amount"))["s"] or ZERO,
        "can_record": user.has_perm(perms.ADD_PAYMENT),
        "list_url": f"{reverse('payment_list')}?customer={customer.code}",
    }
