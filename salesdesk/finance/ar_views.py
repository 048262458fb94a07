"""The receivable pages (应收账款): aging as of a day (by days past due or since shipment, with an
Excel export), the open items, the overdue list per salesperson, the AR ledger of a customer and of
a contract, collection follow-ups (催款记录) and the receivables tabs on the customer and contract
pages. Thin: figures come from ``finance.receivables``; rows are narrowed to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from salesdesk.contracts.models import Contract
from salesdesk.core.access import get_for_user
from salesdesk.core.errors import DomainError
from salesdesk.core.exports import log_export, write_xlsx, xlsx_response
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.customers.models import Customer
from salesdesk.org.models import User

from . import receivables as ar
from .ar_filters import CollectionNoteFilterSet
from .ar_forms import AgingForm, AsOfForm, CollectionNoteForm, OpenItemForm
from .ar_tables import CollectionNoteTable, OpenItemTable, bucket_label
from .models import CollectionNote

AGING_PAGE = 100
ITEMS_PAGE = 50
PANEL_ITEMS = 10
PANEL_NOTES = 5
CUSTOMER_CHOICES = 20
OVERDUE_SHOWN = 50  # per salesperson


def _export(request: HttpRequest, title: str, headers, rows, what: str, filters: dict) -> HttpResponse:
    if not request.user.has_perm(ar.EXPORT_RECEIVABLE):
        raise PermissionDenied
    user = request.user
    content, count = write_xlsx(title, headers, rows, exported_by=user.display_name)
    log_export(user, what, count, filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"{title}-{user.display_name}-{stamp}.xlsx")


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _customers(user, salesperson_id: int | None):
    customers = Customer.objects.visible_to(user)
    return customers if salesperson_id is None else customers.filter(salesperson_id=salesperson_id)


# --- aging ------------------------------------------------------------------------------------------


@login_required
@permission_required(ar.VIEW_RECEIVABLE, raise_exception=True)
@require_safe
def aging(request: HttpRequest) -> HttpResponse:
    """应收账龄分析 as of a day: per customer, the open receivables in buckets of days past due (or,
    switched, days since shipment), what is overdue and the advance; totals on top."""
    form = AgingForm(request.GET or None, user=request.user)
    as_of, basis = form.day, form.basis_value
    report = ar.aging(_customers(request.user, form.salesperson_id), as_of=as_of, basis=basis)
    labels = [bucket_label(b, basis) for b in report.buckets]
    if request.GET.get("export") == "xlsx":
        title = _("应收账龄") + f" {as_of:%Y-%m-%d}"
        headers = [_("客户编号"), _("客户"), _("业务员"), _("未收合计"), _("逾期合计"), *labels, _("预收")]
        rows = ([r.code, r.customer, r.salesperson, r.total, r.overdue, *[r.by_bucket[b] for b in report.buckets],
                 r.advance] for r in report.rows)
        return _export(request, title, headers, rows, "finance.receivables_aging",
                       {"as_of": as_of.isoformat(), "basis": basis, "salesperson": form.salesperson_id})
    page = Paginator(report.rows, AGING_PAGE).get_page(request.GET.get("page"))
    return render(request, "finance/ar/aging.html", {
        "form": form, "report": report, "labels": labels, "page_obj": page,
        "rows": [(r, [r.by_bucket[b] for b in report.buckets]) for r in page.object_list],
        "total_cells": [report.totals.by_bucket[b] for b in report.buckets],
        "can_export": request.user.has_perm(ar.EXPORT_RECEIVABLE),
        "querystring": _query_without(request, "page", "export"),
    })


# --- open items and the overdue list ---------------------------------------------------------------


def _open_items(request: HttpRequest, form: OpenItemForm, *, overdue: bool | None = None) -> list[ar.OpenItem]:
    user = request.user
    customers = None
    term = (form.cleaned_data.get("q") or "").strip() if form.is_valid() else ""
    if term:
        customers = Customer.objects.visible_to(user).search(term).values("pk")
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    if overdue is None and status:
        overdue = status == "overdue"
    return ar.visible_open_items(user, customers=customers, salesperson_id=form.salesperson_id, as_of=form.day,
                                 overdue=overdue)


@login_required
@permission_required(ar.VIEW_RECEIVABLE, raise_exception=True)
@require_safe
def open_items(request: HttpRequest) -> HttpResponse:
    """应收明细: every receivable with something still open, oldest due first per customer."""
    form = OpenItemForm(request.GET or None, user=request.user)
    items = _open_items(request, form)
    table = OpenItemTable(items)
    if request.GET.get("export") == "xlsx":
        ar.hydrate(items)
        values = iter(table.as_values())
        return _export(request, _("应收明细") + f" {form.day:%Y-%m-%d}", next(values), values,
                       "finance.receivables", {k: v for k, v in request.GET.items() if k != "export"})
    RequestConfig(request, paginate={"per_page": ITEMS_PAGE}).configure(table)
    ar.hydrate(list(table.page.object_list.data) if hasattr(table, "page") else [])
    context = {
        "form": form, "table": table, "as_of": form.day,
        "open_total": sum((i.open_amount for i in items), ar.ZERO),
        "overdue_total": sum((i.open_amount for i in items if i.overdue), ar.ZERO),
        "can_export": request.user.has_perm(ar.EXPORT_RECEIVABLE),
        "querystring": _query_without(request, "page", "export"),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "finance/ar/_items_table.html", context)
    return render(request, "finance/ar/items.html", context)


@dataclass
class SalespersonGroup:
    owner_id: int
    name: str = ""
    count: int = 0
    items: list = field(default_factory=list)
    total: Decimal = ar.ZERO
    by_bucket: dict = field(default_factory=dict)

    @property
    def bucket_cells(self) -> list[tuple[str, Decimal]]:
        return [(bucket_label(b), amount) for b, amount in self.by_bucket.items() if amount]


@login_required
@permission_required(ar.VIEW_RECEIVABLE, raise_exception=True)
@require_safe
def overdue(request: HttpRequest) -> HttpResponse:
    """逾期应收 per salesperson (the customers' owners): who has to chase what, oldest first."""
    form = AsOfForm(request.GET or None, user=request.user)
    items = ar.visible_open_items(request.user, salesperson_id=form.salesperson_id, as_of=form.day, overdue=True)
    groups: dict[int, SalespersonGroup] = {}
    for item in items:
        owner_id = item.receivable.owner_id
        group = groups.setdefault(owner_id, SalespersonGroup(owner_id, by_bucket=dict.fromkeys(ar.BUCKETS[1:], ar.ZERO)))
        group.items.append(item)
        group.total += item.open_amount
        group.by_bucket[item.bucket] += item.open_amount
    ordered = sorted(groups.values(), key=lambda g: -g.total)
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=list(groups))}
    for group in ordered:  # the oldest first; the rest is one click away in the open items
        group.name = names.get(group.owner_id, "—")
        group.count = len(group.items)
        group.items = sorted(group.items, key=lambda i: (-(i.days_past_due or 0), i.receivable.pk))[:OVERDUE_SHOWN]
    ar.hydrate([i for g in ordered for i in g.items])
    return render(request, "finance/ar/overdue.html", {
        "form": form, "as_of": form.day, "groups": ordered, "total": sum((g.total for g in ordered), ar.ZERO),
    })


# --- the AR ledger of a customer and of a contract --------------------------------------------------


def _summary(ledger: ar.Ledger, key: int | None = None) -> dict:
    pos = ar.positions(ledger)
    open_amount = sum((p.receivable for p in pos.values()), ar.ZERO)
    overdue_amount = sum((p.overdue for p in pos.values()), ar.ZERO)
    advance = sum((p.advance for p in pos.values()), ar.ZERO)
    by_bucket = {b: sum((p.by_bucket.get(b, ar.ZERO) for p in pos.values()), ar.ZERO) for b in ar.BUCKETS}
    return {
        "amount": sum((i.amount for i in ledger.items), ar.ZERO),
        "written_off": sum((i.written_off for i in ledger.items), ar.ZERO),
        "settled": sum((i.settled for i in ledger.items), ar.ZERO),
        "open": open_amount, "overdue": overdue_amount, "advance": advance, "balance": open_amount - advance,
        "buckets": [(b, bucket_label(b), by_bucket[b]) for b in ar.BUCKETS],
    }


def _as_of_form(request: HttpRequest) -> tuple[AsOfForm, date]:
    form = AsOfForm(request.GET or None, user=request.user, with_salesperson=False)
    return form, form.day


@login_required
@permission_required(ar.VIEW_RECEIVABLE, raise_exception=True)
@require_safe
def customer_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """客户应收明细账: each receivable (shipment or opening balance) with what its write-offs and the
    matched credits took off it, what is open and how late; totals, advance and balance."""
    customer = get_for_user(Customer.objects.select_related("salesperson"), pk, request.user)
    form, as_of = _as_of_form(request)
    ledger = ar.build_ledger([customer.pk], as_of=as_of)
    notes = list(CollectionNote.objects.filter(customer=customer).select_related("by", "receivable")
                 .order_by("-contacted_on", "-id")[:20])
    return render(request, "finance/ar/customer.html", {
        "customer": customer, "form": form, "as_of": as_of, "items": ledger.items, "summary": _summary(ledger),
        "notes": notes, "can_collect": request.user.has_perm(ar.ADD_COLLECTION_NOTE),
    })


@login_required
@permission_required(ar.VIEW_RECEIVABLE, raise_exception=True)
@require_safe
def contract_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """合同应收明细账: the receivables of the contract's orders, matched within each order."""
    contract = get_for_user(Contract.objects.select_related("customer", "salesperson"), pk, request.user)
    form, as_of = _as_of_form(request)
    ledger = ar.build_ledger(contract_ids=[contract.pk], as_of=as_of)
    return render(request, "finance/ar/contract.html", {
        "contract": contract, "form": form, "as_of": as_of, "items": ledger.items, "summary": _summary(ledger),
    })


# --- collection follow-ups ---------------------------------------------------------------------------


class CollectionList(PermissionRequiredMixin, ListPage):
    permission_required = ar.VIEW_RECEIVABLE
    model = CollectionNote
    table_class = CollectionNoteTable
    filterset_class = CollectionNoteFilterSet
    title = gettext_lazy("催款记录")
    export_permission = ar.EXPORT_RECEIVABLE
    export_name = "finance.collection_notes"
    new_url_name = "collection_create"
    new_permission = ar.ADD_COLLECTION_NOTE

    def base_queryset(self):
        return CollectionNote.objects.visible_to(self.request.user).select_related("customer", "receivable", "by")


@login_required
@permission_required(ar.ADD_COLLECTION_NOTE, raise_exception=True)
def collection_create(request: HttpRequest) -> HttpResponse:
    """登记催款记录 for ``?customer=<id>`` (the ledger's button); without one, pick the customer first."""
    raw = request.GET.get("customer") or request.POST.get("customer") or ""
    if not raw.isdigit():
        term = request.GET.get("q", "").strip()[:100]
        found = list(Customer.objects.visible_to(request.user).search(term).order_by("code")[:CUSTOMER_CHOICES]) \
            if term else []
        return render(request, "finance/ar/collection_pick.html", {"q": term, "customers": found})
    customer = get_for_user(Customer, raw, request.user)
    items = ar.open_items([customer.pk])
    initial = {}
    chosen = request.GET.get("receivable", "")
    if chosen.isdigit() and any(i.receivable.pk == int(chosen) for i in items):
        initial["receivable"] = int(chosen)
    form = CollectionNoteForm(request.POST or None, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_pk = {i.receivable.pk: i.receivable for i in items}
        try:
            ar.record_collection_note(
                actor=request.user, customer=customer, receivable=by_pk.get(data["receivable"]),
                contacted_on=data["contacted_on"], channel=data["channel"], contact_name=data["contact_name"],
                promised_on=data["promised_on"], promised_amount=data["promised_amount"], result=data["result"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记催款记录。"))
            return redirect("receivable_customer", pk=customer.pk)
    return render(request, "finance/ar/collection_form.html", {
        "form": form, "customer": customer,
        "open_total": sum((i.open_amount for i in items), ar.ZERO),
        "overdue_total": sum((i.open_amount for i in items if i.overdue), ar.ZERO),
    })


# --- tabs on the customer and contract pages -----------------------------------------------------------


def customer_receivables_panel(request: HttpRequest, customer: Customer) -> dict:
    ledger = ar.build_ledger([customer.pk])
    items = ledger.open_items()
    notes = list(CollectionNote.objects.filter(customer=customer).select_related("by")
                 .order_by("-contacted_on", "-id")[:PANEL_NOTES])
    return {
        "customer": customer, "summary": _summary(ledger), "items": items[:PANEL_ITEMS], "more": len(items) > PANEL_ITEMS,
        "notes": notes, "can_collect": request.user.has_perm(ar.ADD_COLLECTION_NOTE),
        "ledger_url": reverse("receivable_customer", args=[customer.pk]),
    }


def contract_receivables_panel(request: HttpRequest, contract: Contract) -> dict:
    ledger = ar.build_ledger(contract_ids=[contract.pk])
    items = ledger.open_items()
    return {
        "contract": contract, "summary": _summary(ledger), "items": items[:PANEL_ITEMS],
        "more": len(items) > PANEL_ITEMS, "ledger_url": reverse("receivable_contract", args=[contract.pk]),
    }
