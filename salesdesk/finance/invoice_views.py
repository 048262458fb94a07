"""The invoice pages: the invoice list (search, filters, sort, Excel), an invoice's page (lines,
orders, shipments, red invoices, history), recording an issued invoice or a red one, invoice
requests (list, form, page, reject), the uninvoiced-shipment list (已发货未开票), and the invoice tab
finance adds to the order page.

Views stay thin: they parse forms, look objects up for the user (404 when not visible), call
``invoicing`` and show its refusals on the form or as a message."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.core.registries import Panel, register_panel
from salesdesk.customers.models import Customer
from salesdesk.ledger.models import Fact
from salesdesk.orders.models import Order

from . import invoicing
from .choices import InvoiceRequestStatus
from .invoice_filters import InvoiceFilterSet, RequestFilterSet, UninvoicedFilterSet
from .invoice_forms import InvoiceForm, LineFormSet, RejectForm, RequestForm
from .invoice_tables import InvoiceTable, RequestTable, UninvoicedTable
from .models import Invoice, InvoiceRequest
from .permissions import EXPORT_INVOICE, ISSUE_INVOICE, REQUEST_INVOICE, VIEW_INVOICE, VIEW_INVOICE_REQUEST

PICK_LIMIT = 30
SUMMARY_ROWS = 20


class InvoicePermissionMixin(PermissionRequiredMixin):
    """``permission_required`` answered by ``invoicing.may`` (the invoicing grants)."""

    def has_permission(self) -> bool:
        return invoicing.may(self.request.user, self.permission_required)


def invoice_permission(perm: str):
    """Function views (under ``login_required``): the invoicing permission, else 403."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not invoicing.may(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class _InvoiceListPage(InvoicePermissionMixin, ListPage):
    def can_export(self) -> bool:
        return bool(self.export_permission) and invoicing.may(self.request.user, self.export_permission)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.new_url_name and invoicing.may(self.request.user, self.new_permission):
            context["new_url_name"] = self.new_url_name
        return context


def _id_param(request: HttpRequest, name: str) -> str:
    raw = request.POST.get(name) or request.GET.get(name) or ""
    return raw if raw.isdigit() else ""


def _pick_customer(request: HttpRequest, title: str) -> HttpResponse:
    """Step one of a form that needs a customer: search the visible customers, pick one."""
    term = request.GET.get("customer_q", "").strip()[:100]
    customers = Customer.objects.visible_to(request.user).search(term).order_by("name")[:PICK_LIMIT]
    keep = {k: v for k, v in request.GET.items() if k not in {"customer", "customer_q"}}
    return render(request, "finance/invoices/pick_customer.html", {
        "title": title, "term": term, "customers": list(customers), "keep": keep})


def _show_error(form, lines, exc: DomainError) -> None:
    """A refusal of ``invoicing`` on the field it names; line errors on their line's row."""
    if not isinstance(exc, InvalidInput):
        add_domain_error(form, exc)
        return
    rows = [f for f in lines.forms if f.line() is not None]
    names = {"order_ids": "orders", "shipment_ids": "shipments", "customer_id": None, "original_id": None}
    for key, texts in exc.errors.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = rows[int(parts[1])]
            row.add_error(parts[2] if parts[2] in row.fields else None, texts)
            continue
        name = names.get(key, key)
        form.add_error(name if name in form.fields else None, texts)


# --- invoices --------------------------------------------------------------------------------------


class InvoiceList(_InvoiceListPage):
    permission_required = VIEW_INVOICE
    model = Invoice
    table_class = InvoiceTable
    filterset_class = InvoiceFilterSet
    title = gettext_lazy("发票")
    export_permission = EXPORT_INVOICE
    export_name = "finance.invoices"
    new_url_name = "invoice_create"
    new_permission = ISSUE_INVOICE

    def base_queryset(self):
        return invoicing.invoices_for(self.request.user)


class InvoiceDetail(InvoicePermissionMixin, DetailPage):
    permission_required = VIEW_INVOICE
    model = Invoice
    template_name = "finance/invoices/invoice_detail.html"
    with_attachments = False

    def get_queryset(self):
        return invoicing.invoices_for(self.request.user)

    def overview_context(self, obj: Invoice) -> dict:
        user = self.request.user
        booked = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for row in (Fact.objects.filter(source_kind=invoicing.SOURCE_KIND, source_id=obj.pk).order_by()
                    .values("order_id").annotate(amount=Sum("amount"), tax=Sum("tax"))):
            booked[row["order_id"]] = [row["amount"], row["tax"]]
        orders = list(Order.objects.filter(invoices=obj).order_by("order_date", "pk"))
        left = invoicing.credit_left(obj) if not obj.original_id else None
        return {
            "lines": list(obj.lines.select_related("product").order_by("pk")),
            "orders": [(o, *booked.get(o.pk, [Decimal(0), Decimal(0)])) for o in orders],
            "unbooked": booked.get(None),
            "shipments": list(invoicing.shipment_model().objects.filter(invoices=obj).select_related("order")
                              .order_by("pk")),
            "credit_notes": list(obj.credit_notes.order_by("issued_on", "pk")),
            "left": left,
            "requests": list(obj.requests.select_related("requested_by")),
            "can_credit": left is not None and left[0] > 0 and invoicing.may(user, ISSUE_INVOICE),
        }


@login_required
@invoice_permission(ISSUE_INVOICE)
def invoice_create(request: HttpRequest) -> HttpResponse:
    """Record an issued invoice: ``?customer=``; ``?order=`` or ``?shipment=`` preselect; ``?request=``
    answers an invoice request; ``?original=`` records a red invoice (红字发票) of that invoice."""
    user = request.user
    original = req = customer = None
    initial: dict = {}
    if raw := _id_param(request, "original"):
        original = get_for_user(invoicing.invoices_for(user).filter(original__isnull=True), raw, user)
        customer = original.customer
        left, tax_left = invoicing.credit_left(original)
        initial.update(amount=left, tax_amount=tax_left)
    elif raw := _id_param(request, "request"):
        req = get_for_user(invoicing.get_requests(user).filter(status=InvoiceRequestStatus.REQUESTED), raw, user)
        customer = req.customer
        initial.update(kind=req.kind, amount=req.amount, orders=[o.pk for o in req.orders.all()], note=req.note)
    elif raw := _id_param(request, "customer"):
        customer = get_for_user(Customer, raw, user)
    elif raw := _id_param(request, "order"):
        customer = get_for_user(Order.objects.select_related("customer"), raw, user).customer
    if customer is None:
        return _pick_customer(request, _("登记发票"))
    if request.method == "GET":
        if raw := _id_param(request, "order"):
            initial["orders"] = [int(raw)]
        if raw := _id_param(request, "shipment"):
            shipment = get_for_user(invoicing.uninvoiced_shipments(user).filter(customer=customer), raw, user)
            initial.update(shipments=[shipment.pk], amount=shipment.value)
    form = InvoiceForm(request.POST or None, user=user, customer=customer, original=original, initial=initial)
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            invoice = invoicing.issue_invoice(actor=user, request=req, data=invoicing.InvoiceInput(
                customer=customer, kind=data["kind"], number=data["number"], code=data["code"],
                issued_on=data["issued_on"], amount=data["amount"], tax_amount=data["tax_amount"],
                orders=list(data.get("orders") or []), shipment_ids=data.get("shipments") or [],
                lines=lines.lines(), original=original, note=data["note"],
            ))
        except DomainError as exc:
            _show_error(form, lines, exc)
        else:
            messages.success(request, (_("已登记红字发票 %(n)s。") if original else _("已登记发票 %(n)s。"))
                             % {"n": invoice.number})
            return redirect("invoice_detail", pk=invoice.pk)
    return render(request, "finance/invoices/invoice_form.html", {
        "form": form, "lines": lines, "customer": customer, "original": original, "req": req,
        "left": invoicing.credit_left(original) if original else None,
    })


# --- invoice requests ---------------------------------------------------------------------------------


class RequestList(_InvoiceListPage):
    permission_required = VIEW_INVOICE_REQUEST
    model = InvoiceRequest
    table_class = RequestTable
    filterset_class = RequestFilterSet
    title = gettext_lazy("开票申请")
    new_url_name = "invoice_request_create"
    new_permission = REQUEST_INVOICE

    def base_queryset(self):
        return invoicing.get_requests(self.request.user)


@login_required
@invoice_permission(REQUEST_INVOICE)
def request_create(request: HttpRequest) -> HttpResponse:
    """开票申请: ``?customer=`` or ``?order=`` (which preselects the order)."""
    user = request.user
    customer, initial = None, {}
    if raw := _id_param(request, "customer"):
        customer = get_for_user(Customer, raw, user)
    elif raw := _id_param(request, "order"):
        order = get_for_user(Order.objects.select_related("customer"), raw, user)
        customer = order.customer
        initial = {"orders": [order.pk], "amount": order.total}
    if customer is None:
        return _pick_customer(request, _("申请开票"))
    form = RequestForm(request.POST or None, user=user, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = invoicing.request_invoice(actor=user, data=invoicing.RequestInput(
                customer=customer, kind=data["kind"], amount=data["amount"], orders=list(data["orders"]),
                note=data["note"]))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("开票申请 %(n)s 已提交，财务开票后会通知您。") % {"n": req.number})
            return redirect("invoice_request_detail", pk=req.pk)
    return render(request, "finance/invoices/request_form.html", {"form": form, "customer": customer})


class RequestDetail(InvoicePermissionMixin, DetailPage):
    permission_required = VIEW_INVOICE_REQUEST
    model = InvoiceRequest
    template_name = "finance/invoices/request_detail.html"
    with_attachments = False

    def get_queryset(self):
        return invoicing.get_requests(self.request.user)

    def overview_context(self, obj: InvoiceRequest) -> dict:
        pending = obj.status == InvoiceRequestStatus.REQUESTED
        return {"can_handle": pending and invoicing.may(self.request.user, ISSUE_INVOICE), "reject_form": RejectForm()}


@login_required
@require_POST
@invoice_permission(ISSUE_INVOICE)
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_for_user(invoicing.get_requests(request.user), pk, request.user)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写驳回原因。"))
    else:
        try:
            invoicing.reject_request(actor=request.user, request=req, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("开票申请 %(n)s 已驳回。") % {"n": req.number})
    return redirect("invoice_request_detail", pk=req.pk)


# --- uninvoiced shipments (已发货未开票) ----------------------------------------------------------------


class UninvoicedList(_InvoiceListPage):
    permission_required = VIEW_INVOICE
    table_class = UninvoicedTable
    filterset_class = UninvoicedFilterSet
    title = gettext_lazy("已发货未开票")
    template_name = "finance/invoices/uninvoiced.html"
    table_template_name = "finance/invoices/_uninvoiced_table.html"
    export_permission = EXPORT_INVOICE
    export_name = "finance.uninvoiced_shipments"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.model = invoicing.shipment_model()

    def base_queryset(self):
        return invoicing.uninvoiced_shipments(self.request.user)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table.can_issue = invoicing.may(self.request.user, ISSUE_INVOICE)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = invoicing.uninvoiced_by_customer(self.object_list)  # the filtered rows
        context.update(summary=summary[:SUMMARY_ROWS], more_customers=max(0, len(summary) - SUMMARY_ROWS),
                       total_value=sum((c.value for c in summary), Decimal(0)),
                       total_count=sum(c.shipments for c in summary))
        return context


# --- the invoice tab on the order page --------------------------------------------------------------


def order_invoices_panel(request: HttpRequest, order: Order) -> dict:
    user = request.user
    data = invoicing.order_invoicing(user, order)
    return {
        "order": order, "invoices": data.invoices, "invoiced": data.invoiced, "requests": data.requests,
        "uninvoiced": order.total - data.invoiced,
        "can_issue": invoicing.may(user, ISSUE_INVOICE) and order.status in invoicing.INVOICEABLE_STATUSES,
        "can_request": invoicing.may(user, REQUEST_INVOICE) and order.status in invoicing.INVOICEABLE_STATUSES,
    }


register_panel(Order, Panel("invoices", gettext_lazy("发票"), "finance/invoices/_order_invoices.html",
                            order_invoices_panel, order=45, visible=lambda user, obj: invoicing.may(user, VIEW_INVOICE)))
