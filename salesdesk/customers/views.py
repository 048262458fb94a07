"""The customer file pages (客户档案): list, detail with tabs, create/edit form with the as-you-type
duplicate hint (撞单), ownership transfer, and the contacts and products-used tabs.

Views stay thin: they parse a form, look the customer up for the user (404 when not visible),
call ``services`` and show its refusals on the form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage

from . import permissions as perms
from . import queries, services
from .choices import Settlement
from .filters import CustomerFilterSet
from .forms import MSG_NO_PERMISSION, ContactForm, CustomerForm, ProductUsedForm, TransferForm
from .models import Contact, Customer, ProductUsed
from .tables import CustomerTable, phone_link

# Service error keys → the form fields that show them.
FIELD_MAP = {"salesperson_id": "salesperson", "contacts.0.name": "contact_name", "contacts.0.phone": "contact_phone"}


def _refusal(form, exc: Exception) -> None:
    """Show a service's refusal on the form (in Chinese; the services' messages carry both languages)."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or MSG_NO_PERMISSION)
        return
    if isinstance(exc, InvalidInput):
        exc.errors = {FIELD_MAP.get(key, key): value for key, value in exc.errors.items()}
    add_domain_error(form, exc)


def _money(value) -> str:
    return f"¥{value:,.2f}" if value is not None else "—"


def _unit_price(value) -> str:
    """A unit price with two decimals, or more when the agreed price has them (up to six)."""
    if value is None:
        return ""
    places = max(2, -value.normalize().as_tuple().exponent)
    return f"¥{value:,.{min(places, 6)}f}"


def _quantity(value) -> str:
    return "" if value is None else f"{value.normalize():,f}"


# --- list -------------------------------------------------------------------------------------


class CustomerList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_CUSTOMER
    model = Customer
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    template_name = "customers/customer_list.html"
    title = gettext_lazy("客户档案")
    export_permission = perms.EXPORT_CUSTOMER
    export_name = "customers.customers"
    new_url_name = "customer_create"
    new_permission = perms.ADD_CUSTOMER

    def base_queryset(self):
        return queries.customer_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["filter"].form
        secondary = CustomerFilterSet.secondary
        context["primary_fields"] = [f for f in form if f.name not in secondary]
        context["secondary_fields"] = [f for f in form if f.name in secondary]
        context["secondary_active"] = any(
            self.request.GET.get(key) for key in self.request.GET if key.split("_")[0] in secondary
        )
        return context


# --- detail and its tabs ----------------------------------------------------------------------


class CustomerDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_CUSTOMER
    model = Customer
    template_name = "customers/customer_detail.html"

    def get_queryset(self):
        return queries.customer_detail()

    def overview_context(self, obj: Customer) -> dict:
        user = self.request.user
        rate = obj.deposit_rate
        primary = next((c for c in obj.contacts.all() if not c.anonymised_at), None)
        return {
            "can_edit": services.may_edit_basics(user, obj) or user.has_perm(perms.CHANGE_CREDIT_TERMS),
            "can_transfer": user.has_perm(perms.CHANGE_CREDIT_TERMS),
            "credit_limit": _money(obj.credit_limit),
            "deposit_rate": f"{rate * 100:g}%" if rate is not None else "—",
            "on_credit": obj.settlement != Settlement.PREPAID,
            "primary_contact": primary,
            "primary_links": _links(primary) if primary else [],
        }


def _links(contact: Contact) -> list:
    links = [phone_link(contact.mobile), phone_link(contact.phone, contact.extension),
             phone_link(contact.phone_raw, contact.extension)]
    return [link for link in links if link is not None]


def contacts_panel(request: HttpRequest, customer: Customer, *, form: ContactForm | None = None,
                   edit: tuple[int, ContactForm] | None = None) -> dict:
    """The 联系人 tab: every contact with one-tap call links, the add form, one row being edited."""
    rows = [{"contact": c, "links": _links(c)} for c in customer.contacts.all()]
    return {
        "customer": customer,
        "rows": rows,
        "can_edit": services.may_edit_basics(request.user, customer),
        "form": form or ContactForm(),
        "form_open": form is not None and form.is_bound,
        "edit_pk": edit[0] if edit else None,
        "edit_form": edit[1] if edit else None,
    }


def products_panel(request: HttpRequest, customer: Customer, *, form: ProductUsedForm | None = None,
                   edit: tuple[int, ProductUsedForm] | None = None) -> dict:
    """The 使用品种 tab: what the customer buys, usual quantity and agreed price."""
    return {
        "customer": customer,
        "rows": [{"p": p, "quantity": _quantity(p.usual_quantity), "price": _unit_price(p.agreed_price)}
                 for p in customer.products_used.all()],
        "can_edit": services.may_edit_basics(request.user, customer),
        "form": form or ProductUsedForm(),
        "form_open": form is not None and form.is_bound,
        "edit_pk": edit[0] if edit else None,
        "edit_form": edit[1] if edit else None,
    }


def _customer_for_edit(request: HttpRequest, pk: int) -> Customer:
    """A customer the user may see (404 otherwise) and whose contacts they may edit (403 otherwise)."""
    customer = get_for_user(queries.customer_detail(), pk, request.user)
    if not services.may_edit_basics(request.user, customer):
        raise PermissionDenied
    return customer


def _panel_response(request, customer: Customer, tab: str, template: str, context: dict, *, saved: str = ""):
    """htmx: the tab's partial (with a toast when saved); otherwise back to the tab."""
    if request.htmx:
        response = render(request, template, {"object": customer, **context})
        if saved:
            trigger_client_event(response, "toast", {"level": "success", "message": saved})
        return response
    if saved:
        messages.success(request, saved)
    return redirect(f"{customer.get_absolute_url()}?tab={tab}")


CONTACTS_TEMPLATE = "customers/_contacts.html"
PRODUCTS_TEMPLATE = "customers/_products.html"


@login_required
@permission_required(perms.CHANGE_CUSTOMER, raise_exception=True)
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_for_edit(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.add_contact(actor=request.user, customer=customer, data=form.cleaned_data)
        except DomainError as exc:
            _refusal(form, exc)
        else:
            customer = get_for_user(queries.customer_detail(), pk, request.user)
            return _panel_response(request, customer, "panel-contacts", CONTACTS_TEMPLATE,
                                   contacts_panel(request, customer), saved=_("联系人已添加。"))
    return _panel_response(request, customer, "panel-contacts", CONTACTS_TEMPLATE,
                           contacts_panel(request, customer, form=form))


@login_required
@permission_required(perms.CHANGE_CUSTOMER, raise_exception=True)
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _customer_for_edit(request, pk)
    contact = get_for_user(customer.contacts.filter(anonymised_at__isnull=True), contact_pk, request.user)
    if request.method != "POST":
        form = ContactForm.for_contact(contact)
        return _panel_response(request, customer, "panel-contacts", CONTACTS_TEMPLATE,
                               contacts_panel(request, customer, edit=(contact.pk, form)))
    form = ContactForm(request.POST, prefix=f"c{contact.pk}")
    if form.is_valid():
        try:
            services.update_contact(actor=request.user, contact=contact, data=form.cleaned_data)
        except DomainError as exc:
            _refusal(form, exc)
        else:
            customer = get_for_user(queries.customer_detail(), pk, request.user)
            return _panel_response(request, customer, "panel-contacts", CONTACTS_TEMPLATE,
                                   contacts_panel(request, customer), saved=_("联系人已保存。"))
    return _panel_response(request, customer, "panel-contacts", CONTACTS_TEMPLATE,
                           contacts_panel(request, customer, edit=(contact.pk, form)))


@login_required
@permission_required(perms.CHANGE_CUSTOMER, raise_exception=True)
@require_POST
def contact_anonymise(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """PIPL erasure request: the contact's personal data is removed for good (and from the history)."""
    customer = _customer_for_edit(request, pk)
    contact = get_for_user(customer.contacts.filter(anonymised_at__isnull=True), contact_pk, request.user)
    services.anonymise_contact(actor=request.user, contact=contact)
    customer = get_for_user(queries.customer_detail(), pk, request.user)
    return _panel_response(request, customer, "panel-contacts", CONTACTS_TEMPLATE,
                           contacts_panel(request, customer), saved=_("联系人已匿名化。"))


@login_required
@permission_required(perms.CHANGE_CUSTOMER, raise_exception=True)
def product_save(request: HttpRequest, pk: int, row_pk: int | None = None) -> HttpResponse:
    """Add a product used (``row_pk`` None) or edit one; GET of an existing row shows its edit form."""
    customer = _customer_for_edit(request, pk)
    row = _product_row(customer, row_pk) if row_pk is not None else None
    if request.method != "POST":
        if row is None:
            return redirect(f"{customer.get_absolute_url()}?tab=panel-products")
        return _panel_response(request, customer, "panel-products", PRODUCTS_TEMPLATE,
                               products_panel(request, customer, edit=(row.pk, ProductUsedForm.for_row(row))))
    form = ProductUsedForm(request.POST, prefix=f"p{row.pk}" if row else None)
    if form.is_valid():
        try:
            services.save_product_used(actor=request.user, customer=customer, data=form.cleaned_data, instance=row)
        except DomainError as exc:
            _refusal(form, exc)
        else:
            return _panel_response(request, customer, "panel-products", PRODUCTS_TEMPLATE,
                                   products_panel(request, customer), saved=_("使用品种已保存。"))
    context = products_panel(request, customer, edit=(row.pk, form)) if row else products_panel(
        request, customer, form=form)
    return _panel_response(request, customer, "panel-products", PRODUCTS_TEMPLATE, context)


def _product_row(customer: Customer, row_pk: int) -> ProductUsed:
    row = customer.products_used.filter(pk=row_pk).first()
    if row is None:
        raise Http404
    return row


# --- create, edit, transfer -------------------------------------------------------------------


@login_required
@permission_required(perms.ADD_CUSTOMER, raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.create_customer(
                actor=request.user, data=form.customer_data(), contacts=form.contacts(),
                owner=form.cleaned_data["salesperson"],
            )
        except (DomainError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            messages.success(request, _("客户已建档：%(name)s（%(code)s）") % {"name": customer.name,
                                                                          "code": customer.code})
            return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "object": None})


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (user.has_perm(perms.CHANGE_CUSTOMER) or user.has_perm(perms.CHANGE_CREDIT_TERMS)):
        raise PermissionDenied
    customer = get_for_user(queries.customer_detail(), pk, user)
    if not (services.may_edit_basics(user, customer) or user.has_perm(perms.CHANGE_CREDIT_TERMS)):
        raise PermissionDenied
    form = CustomerForm(request.POST or None, user=user, instance=customer)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        owner = form.cleaned_data.get("salesperson")
        if owner is not None and owner.pk == customer.salesperson_id:
            owner = None
        if not changes and owner is None:
            messages.info(request, _("没有需要保存的修改。"))
            return redirect(customer)
        try:
            services.update_customer(actor=user, customer=customer, changes=changes, owner=owner,
                                     reason=form.cleaned_data.get("transfer_reason") or "")
        except (DomainError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            messages.success(request, _("客户档案已保存。"))
            return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "object": customer})


@login_required
@permission_required(perms.CHANGE_CREDIT_TERMS, raise_exception=True)
def customer_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a customer to another salesperson, with the reason (动态管理: kept in the history)."""
    customer = get_for_user(queries.customer_detail(), pk, request.user)
    form = TransferForm(request.POST or None, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_customer(actor=request.user, customer=customer, to_user=form.cleaned_data["to_user"],
                                       reason=form.cleaned_data["reason"])
        except (DomainError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            messages.success(request, _("客户已移交给 %(name)s。") % {"name": form.cleaned_data["to_user"].display_name})
            return redirect(customer)
    return render(request, "customers/customer_transfer.html", {"form": form, "object": customer})


@login_required
@require_GET
def customer_duplicates(request: HttpRequest) -> HttpResponse:
    """撞单 hint while typing: customers that look like the one being filed, with their owner's name
    (also for customers the user may not see — the name, code and owner, nothing else)."""
    user = request.user
    if not (user.has_perm(perms.ADD_CUSTOMER) or user.has_perm(perms.CHANGE_CUSTOMER)):
        raise PermissionDenied
    name = request.GET.get("name", "").strip()[:200]
    uscc = request.GET.get("uscc", "").strip()[:40]
    found = services.possible_duplicates(name=name, uscc=uscc)
    exclude = request.GET.get("exclude", "")
    if exclude.isdigit():
        found = [c for c in found if c.pk != int(exclude)]
    visible = set(
        Customer.objects.visible_to(user).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True)
    ) if found else set()
    rows = [
        {"name": c.name, "code": c.code, "owner": c.salesperson.display_name,
         "url": reverse("customer_detail", args=[c.pk]) if c.pk in visible else ""}
        for c in found
    ]
    return render(request, "customers/_duplicates.html", {"rows": rows})
