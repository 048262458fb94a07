"""The order pages (销售订单): list with filters and export, the order form with its line grid,
credit-split rows and paste box (每日签单录入), the detail page with status actions, price approval,
coordination requests and replies, the printable PDF; and the coordination list and detail.

Views stay thin: they parse forms, look objects up for the user (404 when not visible), call
``services`` and show its refusals on the form or as a message."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from salesdesk.catalog.models import Product
from salesdesk.contracts.models import Contract
from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.forms import add_domain_error
from salesdesk.core.lib.amount_words import amount_in_words
from salesdesk.core.listing import ListPage
from salesdesk.core.registries import figures_for
from salesdesk.customers.models import Customer

from . import permissions as perms
from . import printing, queries, services
from .choices import OrderStatus, PriceCheck
from .filters import CoordinationFilterSet, OrderFilterSet, sellers_visible_to
from .forms import (
    EMPTY,
    CoordinationForm,
    LineFormSet,
    OrderForm,
    ReplyForm,
    ShareFormSet,
    customer_label,
    parse_pasted_lines,
    product_label,
    reply_forms,
)
from .models import CoordinationRequest, Order
from .tables import CoordinationTable, OrderTable

CUSTOMER_OPTIONS = 20
HEADER_FIELDS = {"customer_id": "customer", "contract_id": "contract", "salesperson_id": "salesperson"}
FIGURE_LABELS = (("paid_amount", gettext_lazy("已收款")), ("shipped_amount", gettext_lazy("已发货")),
                 ("releasable_amount", gettext_lazy("可发货额度")))


def _done(request: HttpRequest, url: str) -> HttpResponse:
    """After an action: htmx navigates the whole page (messages show there); plain posts redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- list -------------------------------------------------------------------------------------


class OrderList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_ORDER
    model = Order
    table_class = OrderTable
    filterset_class = OrderFilterSet
    template_name = "orders/order_list.html"
    title = gettext_lazy("销售订单")
    export_permission = perms.EXPORT_ORDER
    export_name = "orders.orders"
    new_url_name = "order_create"
    new_permission = perms.ADD_ORDER

    def base_queryset(self):
        return queries.orders_for(self.request.user)

    def get_table_kwargs(self):
        # Warehouse and planners see orders without prices (API.md).
        return {} if self.request.user.has_perm(perms.VIEW_PRICES) else {"exclude": ("total",)}


# --- detail -----------------------------------------------------------------------------------


class OrderDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_ORDER
    model = Order
    template_name = "orders/order_detail.html"

    def get_queryset(self):
        return queries.order_detail()

    def tabs(self, obj: Order) -> list[tuple[str, str]]:
        # The change history shows amounts: roles that see no prices (warehouse, planner) get none.
        tabs = super().tabs(obj)
        return tabs if self.request.user.has_perm(perms.VIEW_PRICES) else [t for t in tabs if t[0] != "history"]

    def overview_context(self, obj: Order) -> dict:
        user = self.request.user
        acts = services.may_act(user, obj)
        draft = obj.status == OrderStatus.DRAFT
        show_prices = user.has_perm(perms.VIEW_PRICES)
        lines = list(obj.lines.all())
        requests = list(obj.coordination_requests.all())
        figures = figures_for(Order, [obj], user).get(obj.pk, {})
        replies = reply_forms(user, requests)
        may_decide = (user.has_perm(perms.APPROVE_PRICE) and draft and obj.price_check == PriceCheck.PENDING)
        can_coordinate = (user.has_perm(perms.ADD_COORDINATION) and acts and obj.status in services.OPEN_FOR_COORDINATION)
        return {
            "show_prices": show_prices,
            "show_customer_link": user.has_perm("customers.view_customer"),
            "show_coordination": user.has_perm(perms.VIEW_COORDINATION),
            "lines": lines,
            "shares": list(obj.credit_shares.all()),
            "total_words": amount_in_words(obj.total) if show_prices else "",
            "figures": [(label, Decimal(str(figures.get(name, "0.00")))) for name, label in FIGURE_LABELS],
            "can_edit": draft and acts and user.has_perm(perms.CHANGE_ORDER),
            "can_submit": draft and acts and user.has_perm(perms.SUBMIT_ORDER)
            and obj.price_check in (PriceCheck.OK, PriceCheck.APPROVED),
            "can_cancel": obj.status in (OrderStatus.DRAFT, OrderStatus.SUBMITTED) and acts
            and user.has_perm(perms.CANCEL_ORDER),
            "can_close": obj.status in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED)
            and user.has_perm(perms.CLOSE_ORDER),
            "can_decide_price": may_decide and user.pk not in services.price_requesters(obj),
            "own_price_request": may_decide and user.pk in services.price_requesters(obj),
            "can_mark_seen": user.has_perm(perms.MARK_SEEN) and not draft and obj.finance_seen_at is None,
            "can_copy": acts and user.has_perm(perms.ADD_ORDER),
            "coordination_rows": [(r, replies.get(r.pk)) for r in requests],
            "coordination_form": CoordinationForm(
                products=Product.objects.filter(pk__in=[line.product_id for line in lines]).order_by("sku"),
                initial={"needed_by": obj.requested_delivery_on}) if can_coordinate else None,
        }


def _order_for_action(request: HttpRequest, pk: int) -> Order:
    return get_for_user(queries.order_base(), pk, request.user)


def _act(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    """Run one status action of the detail page; a refusal comes back as a message on the page."""
    order = _order_for_action(request, pk)
    try:
        action(order)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc) or _("您没有权限执行此操作。"))
    else:
        messages.success(request, success)
    return _done(request, reverse("order_detail", args=[order.pk]))


@login_required
@require_POST
@permission_required(perms.SUBMIT_ORDER, raise_exception=True)
def order_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda o: services.submit_order(actor=request.user, order=o),
                _("订单已提交，已通知财务。"))


@login_required
@require_POST
@permission_required(perms.CANCEL_ORDER, raise_exception=True)
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda o: services.cancel_order(actor=request.user, order=o,
                                                             reason=request.POST.get("reason", "")), _("订单已取消。"))


@login_required
@require_POST
@permission_required(perms.CLOSE_ORDER, raise_exception=True)
def order_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda o: services.close_order(actor=request.user, order=o,
                                                            reason=request.POST.get("reason", "")),
                _("订单未发货余量已关闭。"))


@login_required
@require_POST
@permission_required(perms.APPROVE_PRICE, raise_exception=True)
def order_approve_price(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda o: services.approve_price(actor=request.user, order=o), _("价格已批准。"))


@login_required
@require_POST
@permission_required(perms.APPROVE_PRICE, raise_exception=True)
def order_reject_price(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda o: services.reject_price(actor=request.user, order=o,
                                                             reason=request.POST.get("reason", "")), _("价格已驳回。"))


@login_required
@require_POST
@permission_required(perms.MARK_SEEN, raise_exception=True)
def order_seen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda o: services.mark_seen(actor=request.user, order=o), _("已标记为财务已阅。"))


def _copy(request: HttpRequest, source: Order) -> HttpResponse:
    try:
        order = services.copy_order(actor=request.user, source=source)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc) or _("您没有权限执行此操作。"))
        return _done(request, reverse("order_detail", args=[source.pk]))
    messages.success(request, _("已按今日价格复制为新草稿 %(number)s，请核对后提交。") % {"number": order.number})
    return _done(request, reverse("order_edit", args=[order.pk]))


@login_required
@require_POST
@permission_required(perms.ADD_ORDER, raise_exception=True)
def order_copy(request: HttpRequest, pk: int) -> HttpResponse:
    return _copy(request, get_for_user(queries.order_detail(), pk, request.user))


@login_required
@require_POST
@permission_required(perms.ADD_ORDER, raise_exception=True)
def order_copy_last(request: HttpRequest) -> HttpResponse:
    """"Copy last order" for a customer (from the customer's orders tab or the order form)."""
    customer = get_for_user(Customer, request.POST.get("customer"), request.user)
    source = queries.last_order(request.user, customer)
    if source is None:
        messages.info(request, _("该客户还没有订单可复制。"))
        return _done(request, reverse("order_create") + f"?customer={customer.pk}")
    return _copy(request, source)


@login_required
@require_safe
@permission_required(perms.VIEW_ORDER, raise_exception=True)
def order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable sales order (WeasyPrint, Chinese font); without prices for roles that see none."""
    order = get_for_user(queries.order_detail(), pk, request.user)
    content = printing.order_pdf(order, show_prices=request.user.has_perm(perms.VIEW_PRICES))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response


# --- the order form ---------------------------------------------------------------------------


class Grid:
    """The order form page: header form, line grid and credit-split rows, built once per request
    with the product and salesperson choices computed once for all rows."""

    def __init__(self, request: HttpRequest, *, data=None, initial=None, lines=None, shares=None):
        user = request.user
        self.products = Product.objects.filter(active=True).order_by("sku")
        product_choices = [EMPTY] + [(p.pk, product_label(p)) for p in self.products]
        sellers = sellers_visible_to(user)
        seller_choices = [EMPTY] + [(u.pk, u.display_name) for u in sellers]
        self.form = OrderForm(data, user=user, initial=initial)
        self.form.fields["salesperson"].widget.choices = seller_choices
        self.lines = LineFormSet(data, prefix="lines", initial=lines,
                                 form_kwargs={"product_choices": product_choices})
        self.shares = ShareFormSet(data, prefix="shares", initial=shares,
                                   form_kwargs={"sellers": sellers, "seller_choices": seller_choices})

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.lines.is_valid(), self.shares.is_valid()])

    @staticmethod
    def _kept(formset):
        """The rows of a validated grid that were filled in and not ticked for deletion."""
        return [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]

    def line_forms(self):
        return self._kept(self.lines)

    def share_forms(self):
        return self._kept(self.shares)

    def order_input(self) -> services.OrderInput:
        c = self.form.cleaned_data
        lines = [services.LineInput(f.cleaned_data["product"], f.cleaned_data["quantity"], f.cleaned_data["unit_price"])
                 for f in self.line_forms()]
        split = [services.ShareInput(f.cleaned_data["salesperson"], (f.cleaned_data["percent"] / 100).quantize(
            Decimal("0.0001"))) for f in self.share_forms()] or None
        return services.OrderInput(
            customer=c["customer"], contract=c["contract"], salesperson=c["salesperson"], order_date=c["order_date"],
            requested_delivery_on=c["requested_delivery_on"], delivery_address=c["delivery_address"],
            delivery_contact=c["delivery_contact"], delivery_phone=c["delivery_phone"], notes=c["notes"],
            lines=lines, credit_split=split,
        )

    def show_refusal(self, exc: Exception) -> None:
        """Put a service's refusal next to the field it names (``lines.2.quantity`` → third row)."""
        if isinstance(exc, PermissionDenied):
            self.form.add_error(None, str(exc) or _("您没有权限执行此操作。"))
            return
        if not isinstance(exc, InvalidInput):
            add_domain_error(self.form, exc)
            return
        line_forms, share_forms = self.line_forms(), self.share_forms()
        for key, msgs in exc.errors.items():
            parts = key.split(".")
            target, name = self.form, None
            if parts[0] == "lines" and len(parts) == 3 and int(parts[1]) < len(line_forms):
                target = line_forms[int(parts[1])]
                name = {"product_id": "product"}.get(parts[2], parts[2])
            elif parts[0] == "credit_split" and len(parts) == 3 and int(parts[1]) < len(share_forms):
                target = share_forms[int(parts[1])]
                name = {"salesperson_id": "salesperson", "share": "percent"}.get(parts[2], parts[2])
            elif key in HEADER_FIELDS or key in self.form.fields:
                name = HEADER_FIELDS.get(key, key)
            target.add_error(name if name in target.fields else None, msgs)

    def context(self, **extra) -> dict:
        return {"form": self.form, "lines": self.lines, "shares": self.shares, **extra}


def _paste(request: HttpRequest, order: Order | None) -> HttpResponse:
    """Add the rows of the paste box to the grid and show the form again (nothing is saved)."""
    data = request.POST.copy()
    rows, problems = parse_pasted_lines(data.get("paste", ""))
    known = {p.sku: p for p in Product.objects.filter(sku__in=[r.sku for r in rows])}
    total = int(data.get("lines-TOTAL_FORMS") or 0)
    lines = [{"product": data.get(f"lines-{i}-product") or None, "quantity": data.get(f"lines-{i}-quantity") or None,
              "unit_price": data.get(f"lines-{i}-unit_price") or None}
             for i in range(total) if not data.get(f"lines-{i}-DELETE") and data.get(f"lines-{i}-product")]
    added = 0
    for row in rows:
        product = known.get(row.sku)
        if product is None:
            problems.append(_("产品编码 %(sku)s 不存在。") % {"sku": row.sku})
            continue
        lines.append({"product": product.pk, "quantity": row.quantity, "unit_price": row.unit_price})
        added += 1
    header = {k: data.get(k) for k in OrderForm.base_fields}
    shares_total = int(data.get("shares-TOTAL_FORMS") or 0)
    shares = [{"salesperson": data.get(f"shares-{i}-salesperson"), "percent": data.get(f"shares-{i}-percent")}
              for i in range(shares_total) if not data.get(f"shares-{i}-DELETE") and data.get(f"shares-{i}-salesperson")]
    grid = Grid(request, initial=header, lines=lines, shares=shares)
    return render(request, "orders/order_form.html", grid.context(
        object=order, paste_added=added, paste_problems=problems, paste_text=data.get("paste", "") if problems else ""))


def _save(request: HttpRequest, grid: Grid, order: Order | None) -> HttpResponse | None:
    try:
        data = grid.order_input()
        if order is None:
            order = services.create_order(actor=request.user, data=data)
        else:
            order = services.update_order(actor=request.user, order=order, data=data)
    except (DomainError, PermissionDenied) as exc:
        grid.show_refusal(exc)
        return None
    if request.POST.get("action") == "submit":
        try:
            services.submit_order(actor=request.user, order=order)
        except (DomainError, PermissionDenied) as exc:
            messages.warning(request, _("订单已保存为草稿，但未能提交：%(why)s") % {"why": getattr(exc, "message", str(exc))})
        else:
            messages.success(request, _("订单 %(number)s 已提交，已通知财务。") % {"number": order.number})
            return redirect("order_detail", pk=order.pk)
    else:
        messages.success(request, _("订单已保存：%(number)s") % {"number": order.number})
    return redirect("order_detail", pk=order.pk)


@login_required
@permission_required(perms.ADD_ORDER, raise_exception=True)
def order_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "paste":
            return _paste(request, None)
        grid = Grid(request, data=request.POST)
        if grid.is_valid():
            response = _save(request, grid, None)
            if response is not None:
                return response
        return render(request, "orders/order_form.html", grid.context(object=None))
    initial = {"order_date": timezone.localdate()}
    customer = Customer.objects.visible_to(request.user).filter(pk=request.GET.get("customer") or 0).first() \
        if (request.GET.get("customer") or "").isdigit() else None
    if customer is not None:
        initial.update(customer=customer.pk, delivery_address=customer.address)
    grid = Grid(request, initial=initial, lines=[{}])
    return render(request, "orders/order_form.html", grid.context(object=None))


@login_required
@permission_required(perms.CHANGE_ORDER, raise_exception=True)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_for_user(queries.order_detail(), pk, request.user)
    if not services.may_act(request.user, order):
        raise PermissionDenied
    if order.status != OrderStatus.DRAFT:
        messages.error(request, _("只有草稿订单可以修改。"))
        return redirect("order_detail", pk=order.pk)
    if request.method == "POST":
        if request.POST.get("action") == "paste":
            return _paste(request, order)
        grid = Grid(request, data=request.POST)
        if grid.is_valid():
            response = _save(request, grid, order)
            if response is not None:
                return response
        return render(request, "orders/order_form.html", grid.context(object=order))
    initial = {f: getattr(order, f) for f in ("order_date", "requested_delivery_on", "delivery_address",
                                              "delivery_contact", "delivery_phone", "notes")}
    initial.update(customer=order.customer_id, contract=order.contract_id, salesperson=order.salesperson_id)
    lines = [{"product": line.product_id, "quantity": line.quantity.normalize(),
              "unit_price": line.unit_price.normalize()} for line in order.lines.all()]
    shares = [{"salesperson": cs.salesperson_id, "percent": (cs.share * 100).normalize()}
              for cs in order.credit_shares.all()]
    if len(shares) == 1 and shares[0]["salesperson"] == order.salesperson_id:
        shares = []  # the default split is shown as "100 % to the salesperson"
    grid = Grid(request, initial=initial, lines=lines, shares=shares)
    return render(request, "orders/order_form.html", grid.context(object=order))


@login_required
@require_safe
@permission_required(perms.ADD_ORDER, raise_exception=True)
def customer_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the customers the user may see that match the picker's search box."""
    term = request.GET.get("customer_q", "").strip()[:100]
    customers = Customer.objects.visible_to(request.user).search(term).order_by("code")[:CUSTOMER_OPTIONS] \
        if term else []
    options = [(c.pk, customer_label(c)) for c in customers]
    return render(request, "orders/_options.html", {"options": options, "term": term,
                                                    "empty_text": _("没有找到客户")})


@login_required
@require_safe
@permission_required(perms.ADD_ORDER, raise_exception=True)
def contract_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the chosen customer's active contracts."""
    raw = request.GET.get("customer", "")
    contracts = Contract.objects.visible_to(request.user).active().filter(customer_id=int(raw)).order_by(
        "-signed_on") if raw.isdigit() and 0 < int(raw) < 2**63 else []
    options = [(c.pk, f"{c.number}（{c.signed_on:%Y-%m-%d}）") for c in contracts]
    return render(request, "orders/_options.html", {"options": options, "keep_empty": True})


@login_required
@require_safe
@permission_required(perms.ADD_ORDER, raise_exception=True)
def order_prices(request: HttpRequest) -> JsonResponse:
    """The reference price of each product for the chosen customer (or contract), for the grid to
    prefill: ``{"prices": {product_id: "12.50"}, "contract_products": [ids] | null}``."""
    customer_raw, contract_raw = request.GET.get("customer", ""), request.GET.get("contract", "")
    if not customer_raw.isdigit():
        raise Http404
    customer = get_for_user(Customer, customer_raw, request.user)
    if contract_raw.isdigit():
        contract = get_for_user(Contract, contract_raw, request.user)
        prices = queries.contract_prices(contract)
        return JsonResponse({"prices": {str(k): format(v.normalize(), "f") for k, v in prices.items()},
                             "contract_products": sorted(prices)})
    prices = queries.customer_prices(customer, Product.objects.filter(active=True).values_list("pk", flat=True))
    return JsonResponse({"prices": {str(k): format(v.normalize(), "f") for k, v in prices.items()},
                         "contract_products": None})


# --- coordination -----------------------------------------------------------------------------


@login_required
@require_POST
@permission_required(perms.ADD_COORDINATION, raise_exception=True)
def coordination_create(request: HttpRequest) -> HttpResponse:
    """A request from an order's page (``order``) or a contract's coordination tab (``contract``)."""
    order = contract = None
    if request.POST.get("order"):
        order = get_for_user(queries.order_base(), request.POST["order"], request.user)
        products = Product.objects.filter(pk__in=order.lines.values("product_id"))
        back = reverse("order_detail", args=[order.pk])
    else:
        contract = get_for_user(Contract.objects.select_related("customer"), request.POST.get("contract"), request.user)
        products = Product.objects.filter(pk__in=contract.lines.values("product_id"))
        back = request.POST.get("next") or reverse("coordination_list")
        if not back.startswith("/") or back.startswith("//"):
            back = reverse("coordination_list")
    form = CoordinationForm(request.POST, products=products)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _done(request, back)
    try:
        req = services.request_coordination(actor=request.user, order=order, contract=contract, **form.cleaned_data)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc) or _("您没有权限执行此操作。"))
    else:
        messages.success(request, _("协调 %(number)s 已提出，已通知计划供应部。") % {"number": req.number})
    return _done(request, back)


class CoordinationList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_COORDINATION
    model = CoordinationRequest
    table_class = CoordinationTable
    filterset_class = CoordinationFilterSet
    title = gettext_lazy("生产/供应协调")
    export_permission = perms.EXPORT_ORDER
    export_name = "orders.coordination"

    def base_queryset(self):
        return queries.coordination_for(self.request.user)


class CoordinationDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_COORDINATION
    model = CoordinationRequest
    template_name = "orders/coordination_detail.html"
    with_attachments = False

    def get_queryset(self):
        return CoordinationRequest.objects.select_related(
            "order", "order__customer", "contract", "contract__customer", "product", "replied_by", "created_by")

    def overview_context(self, obj: CoordinationRequest) -> dict:
        return {"doc": obj.order or obj.contract, "reply_form": reply_forms(self.request.user, [obj]).get(obj.pk)}


@login_required
@require_POST
@permission_required(perms.REPLY_COORDINATION, raise_exception=True)
def coordination_reply(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_for_user(queries.coordination_for(request.user), pk, request.user)
    back = request.POST.get("next") or reverse("coordination_detail", args=[req.pk])
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("coordination_detail", args=[req.pk])
    form = ReplyForm(request.POST, prefix=f"r{req.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _done(request, back)
    try:
        services.reply_coordination(actor=request.user, request=req, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("答复已记录。"))
    return _done(request, back)
