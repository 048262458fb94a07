"""The return pages (退货): the list (search, filters, Excel), one return, recording a return from a
shipment's page (``/logistics/returns/new/?shipment=<id>``), and the returns tab on the shipment
page (through the panel registry). Roles without ``orders.view_prices`` (the warehouse) see
quantities, never amounts.

The list's table, filters and the form live here with the views: returns are one page family."""

from __future__ import annotations

from decimal import Decimal

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.filters import SearchFilterSet
from salesdesk.core.forms import StyledFormMixin, add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.core.navigation import MenuItem, register
from salesdesk.core.registries import Panel, register_panel

from . import navigation, returns
from .models import SalesReturn, Shipment

PANEL_RETURNS = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}


def _prices(user) -> bool:
    return user.has_perm(returns.VIEW_PRICES)


# --- list -------------------------------------------------------------------------------------------


class ReturnFilterSet(SearchFilterSet):
    search_fields = ("number", "shipment__number", "order__number", "customer__name", "customer__code",
                     "customer__search_text", "reason")
    returned_from = django_filters.DateFilter(label=gettext_lazy("退货日期从"), field_name="returned_on",
                                              lookup_expr="gte", widget=DATE)
    returned_to = django_filters.DateFilter(label=gettext_lazy("退货日期至"), field_name="returned_on",
                                            lookup_expr="lte", widget=DATE)

    class Meta:
        model = SalesReturn
        fields = ["q", "returned_from", "returned_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["q"].field.widget.attrs["placeholder"] = _("退货单号、发货单号、订单号、客户、原因")


class ReturnTableWithoutPrices(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("退货单号"), linkify=("return_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    returned_on = tables.DateColumn(verbose_name=gettext_lazy("退货日期"), format="Y-m-d")
    customer = tables.Column(verbose_name=gettext_lazy("客户"), accessor="customer__name",
                             order_by=("customer__name",))
    shipment = tables.Column(verbose_name=gettext_lazy("发货单"), accessor="shipment__number",
                             linkify=("shipment_detail", [tables.A("shipment_id")]))
    order = tables.Column(verbose_name=gettext_lazy("订单"), accessor="order__number", attrs=WIDE_ONLY)
    reason = tables.Column(verbose_name=gettext_lazy("退货原因"), orderable=False, attrs=WIDE_ONLY)
    created_by = tables.Column(verbose_name=gettext_lazy("登记人"), accessor="created_by__name", attrs=WIDE_ONLY)

    class Meta:
        model = SalesReturn
        fields = ("number", "returned_on", "customer", "shipment", "order", "reason", "created_by")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "return-table"}
        order_by = ("-returned_on",)
        empty_text = gettext_lazy("没有符合条件的退货。")

    def render_reason(self, value: str):
        return format_html('<span class="text-wrap d-inline-block" style="max-width:20rem">{}</span>', value)

    def render_created_by(self, record: SalesReturn) -> str:
        return record.created_by.display_name

    def value_created_by(self, record: SalesReturn) -> str:
        return record.created_by.display_name


class ReturnTable(ReturnTableWithoutPrices):
    amount = tables.Column(verbose_name=gettext_lazy("退货金额(含税)"), attrs=MONEY)

    class Meta(ReturnTableWithoutPrices.Meta):
        fields = ("number", "returned_on", "customer", "shipment", "order", "amount", "reason", "created_by")
        sequence = ("number", "returned_on", "customer", "shipment", "order", "amount", "reason", "created_by")

    def render_amount(self, value) -> str:
        return f"{value:,.2f}"

    def value_amount(self, value):
        return value


class ReturnList(PermissionRequiredMixin, ListPage):
    permission_required = returns.VIEW_RETURN
    model = SalesReturn
    table_class = ReturnTable
    filterset_class = ReturnFilterSet
    title = gettext_lazy("退货")
    export_permission = returns.EXPORT_RETURN
    export_name = "logistics.returns"

    def get_table_class(self):
        return ReturnTable if _prices(self.request.user) else ReturnTableWithoutPrices

    def base_queryset(self):
        return returns.returns_for(self.request.user)


# --- detail -----------------------------------------------------------------------------------------


class ReturnDetail(PermissionRequiredMixin, DetailPage):
    permission_required = returns.VIEW_RETURN
    model = SalesReturn
    template_name = "logistics/returns/detail.html"
    with_attachments = False

    def get_queryset(self):
        return returns.return_detail_queryset()

    def tabs(self, obj: SalesReturn) -> list[tuple[str, str]]:
        # The change history shows the amount: roles that see no prices get none.
        tabs = super().tabs(obj)
        return tabs if _prices(self.request.user) else [t for t in tabs if t[0] != "history"]

    def overview_context(self, obj: SalesReturn) -> dict:
        return {"show_prices": _prices(self.request.user), "lines": list(obj.lines.all())}


# --- recording a return from a shipment -------------------------------------------------------------


class ReturnForm(StyledFormMixin, forms.Form):
    """One quantity per shipment line (0 = nothing of it came back), the date and the reason."""

    returned_on = forms.DateField(label=gettext_lazy("退货日期"), widget=DATE)
    reason = forms.CharField(label=gettext_lazy("退货原因"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, returnable: list[returns.Returnable], **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = returnable
        for r in returnable:
            self.fields[self.key(r)] = forms.DecimalField(
                label=r.line.product.name, required=False, min_value=Decimal(0), max_digits=15, decimal_places=3,
                widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
            )
        if not self.is_bound:
            self.initial.setdefault("returned_on", timezone.localdate())
        self.order_fields([*(self.key(r) for r in returnable), "returned_on", "reason"])

    @staticmethod
    def key(r: returns.Returnable) -> str:
        return f"qty_{r.line.pk}"

    def rows(self):
        """(returnable line, its quantity field) for the template's table."""
        return [(r, self[self.key(r)]) for r in self.returnable]

    def line_requests(self) -> list[returns.ReturnLineRequest]:
        return [returns.ReturnLineRequest(r.line.pk, self.cleaned_data.get(self.key(r)) or Decimal(0))
                for r in self.returnable]

    def add_error(self, field, error):
        # The service names lines by position ("lines.2.quantity"): show it on that line's field.
        if isinstance(field, str) and field.startswith("lines.") and field.endswith(".quantity"):
            index = int(field.split(".")[1])
            field = self.key(self.returnable[index]) if index < len(self.returnable) else None
        elif isinstance(field, str) and field not in self.fields:
            field = None
        super().add_error(field, error)


@login_required
@permission_required(returns.ADD_RETURN, raise_exception=True)
def return_create(request: HttpRequest) -> HttpResponse:
    """退货 against a shipment: each line with what was shipped and what is left to return."""
    raw = request.GET.get("shipment") or request.POST.get("shipment") or ""
    if not raw:
        raise Http404
    shipment = get_for_user(Shipment.objects.select_related("order", "customer"), raw, request.user)
    returnable = returns.returnable_lines(shipment)
    form = ReturnForm(request.POST or None, returnable=returnable)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = returns.create_return(actor=request.user, shipment=shipment, lines=form.line_requests(),
                                            returned_on=form.cleaned_data["returned_on"],
                                            reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            add_domain_error(form, exc)
            status = 422
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 409
        else:
            messages.success(request, _("已登记退货 %(n)s。") % {"n": created.number})
            return redirect("return_detail", pk=created.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "logistics/returns/form.html", {
        "form": form, "shipment": shipment, "show_prices": _prices(request.user),
        "returnable": returns.can_return(shipment) and any(r.left > 0 for r in returnable),
    }, status=status)


# --- the returns tab on the shipment page -------------------------------------------------------------


def shipment_returns_panel(request: HttpRequest, shipment: Shipment) -> dict:
    user = request.user
    items = list(SalesReturn.objects.filter(shipment=shipment).select_related("created_by")
                 .order_by("-returned_on", "-id")[:PANEL_RETURNS])
    return {
        "shipment": shipment, "returns": items, "show_prices": _prices(user),
        "can_add": user.has_perm(returns.ADD_RETURN) and returns.can_return(shipment),
        "new_url": f"{reverse('return_create')}?shipment={shipment.pk}",
    }


# The tab on the shipment page and the menu entry are registered when the URLconf loads this module,
# i.e. before any page is served (the logistics AppConfig may import this module in ready() instead).
register_panel(Shipment, Panel("returns", gettext_lazy("退货"), "logistics/returns/_shipment_returns.html",
                               shipment_returns_panel, order=60,
                               visible=lambda user, obj: user.has_perm(returns.VIEW_RETURN)))
register(MenuItem("returns", gettext_lazy("退货"), "return_list", "bi-arrow-return-left", roles=navigation.READERS,
                  order=355, description=gettext_lazy("客户退回的货物：按发货单登记，冲减应收")))
