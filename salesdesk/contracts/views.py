"""Contract pages (M4): the list, the form with its line and instalment grids (and lines pasted
from Excel/WPS), the detail with its tabs (overview, fulfilment, attachments, history), the
lifecycle actions, filing, the fulfilment overview as Excel and PDF, the monthly/quarterly
summary and the alerts. Views stay thin: parse, look up for the user, call ``services``."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from salesdesk.catalog.models import Product
from salesdesk.catalog.tables import plain_price, plain_quantity, unit_price_text
from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.exports import log_export, xlsx_response
from salesdesk.core.listing import ListPage
from salesdesk.customers.models import Customer

from . import exporting, printing, queries, services
from . import permissions as perms
from .choices import ContractStatus
from .filters import ContractFilterSet
from .forms import ContractForm, FilingForm, InstalmentFormSet, LineFormSet, ReasonForm
from .models import Contract
from .pasting import parse_pasted
from .tables import ContractTable

# --- list -----------------------------------------------------------------------------------------


class ContractList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_CONTRACT
    model = Contract
    table_class = ContractTable
    filterset_class = ContractFilterSet
    template_name = "contracts/contract_list.html"
    title = gettext_lazy("合同")
    export_permission = perms.EXPORT_CONTRACT
    export_name = "contracts.contracts"
    new_url_name = "contract_create"
    new_permission = perms.ADD_CONTRACT

    def base_queryset(self):
        return queries.contract_list(self.request.user)


# --- the form ---------------------------------------------------------------------------------------

LINE_FIELDS = {"product_id": "sku", "quantity": "quantity", "unit_price": "unit_price"}
FORM_FIELDS = {"customer_id": "customer", "salesperson_id": "salesperson"}


def _rows_of(formset) -> list[dict]:
    """The raw rows of a bound grid that are not removed and not blank (kept when re-rendering)."""
    rows = []
    for form in formset.forms:
        prefix = form.prefix
        if formset.data.get(f"{prefix}-DELETE"):
            continue
        row = {name: formset.data.get(f"{prefix}-{name}", "") for name in form.fields if name != "DELETE"}
        if any(str(v).strip() for v in row.values()):
            rows.append(row)
    return rows


def _grids(request, contract: Contract | None):
    """The line and instalment grids: bound on POST; else the contract's rows (or blank rows)."""
    if request.method == "POST":
        # A row left blank (the new form shows three) is ignored, not "required": every row may be empty.
        blank_ok = {"empty_permitted": True}
        return (LineFormSet(request.POST, prefix="lines", form_kwargs=blank_ok),
                InstalmentFormSet(request.POST, prefix="instalments", form_kwargs=blank_ok))
    if contract is None:
        return LineFormSet(prefix="lines", initial=[{}] * 3), InstalmentFormSet(prefix="instalments", initial=[])
    lines = [{"sku": line.product.sku, "quantity": plain_quantity(line.quantity),
              "unit_price": plain_price(line.unit_price)} for line in queries.contract_lines(contract)]
    instalments = [{"due_on": i.due_on, "amount": i.amount, "note": i.note} for i in contract.instalments.all()]
    return LineFormSet(prefix="lines", initial=lines), InstalmentFormSet(prefix="instalments", initial=instalments)


def _paste_into(request, form: ContractForm, lines) -> tuple:
    """Append the pasted rows to the grid and re-render; nothing is saved."""
    rows = _rows_of(lines) if lines.is_bound else []
    parsed, errors = parse_pasted(request.POST.get("paste", ""))
    rows += [{"sku": p.sku, "quantity": plain_quantity(p.quantity), "unit_price": plain_price(p.unit_price)}
             for p in parsed]
    typed = {name: request.POST.get(name, "") for name in form.fields if name != "paste"}
    form = ContractForm(user=request.user, instance=form.instance, initial=typed)  # unbound: no errors yet
    return form, LineFormSet(prefix="lines", initial=rows or [{}]), errors, len(parsed)


def _products_by_sku(skus: list[str]) -> dict[str, Product]:
    keys = {s.lower() for s in skus if s}
    return {p.sku_key: p for p in Product.objects.annotate(sku_key=Lower("sku")).filter(sku_key__in=keys)}


def _collect(form: ContractForm, lines, instalments):
    """The service's inputs from the valid grids, or ``None`` with errors on the rows."""
    line_forms = [f for f in lines.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    products = _products_by_sku([f.cleaned_data["sku"].strip() for f in line_forms])
    inputs, ok = [], True
    for f in line_forms:
        product = products.get(f.cleaned_data["sku"].strip().lower())
        if product is None:
            f.add_error("sku", _("没有这个产品编码。"))
            ok = False
            continue
        inputs.append(services.LineInput(product, f.cleaned_data["quantity"], f.cleaned_data.get("unit_price")))
    plan_forms = [f for f in instalments.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    plan = [services.InstalmentInput(f.cleaned_data["due_on"], f.cleaned_data["amount"], f.cleaned_data.get("note") or "")
            for f in plan_forms]
    return (inputs if ok else None), plan, line_forms, plan_forms


def _show_refusal(exc: Exception, form: ContractForm, line_forms, plan_forms, grid_errors: dict) -> None:
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("您无权为该客户签订或修改合同。"))
        return
    if not isinstance(exc, InvalidInput):
        form.add_error(None, exc.message)
        return
    for key, messages_ in exc.errors.items():
        parts = key.split(".")
        if parts[0] in ("lines", "instalments") and len(parts) == 3 and parts[1].isdigit():
            forms_ = line_forms if parts[0] == "lines" else plan_forms
            index = int(parts[1])
            field = LINE_FIELDS.get(parts[2], parts[2])
            if index < len(forms_) and field in forms_[index].fields:
                forms_[index].add_error(field, messages_)
                continue
        if parts[0] in ("lines", "instalments"):
            grid_errors.setdefault(parts[0], []).extend(messages_)
            continue
        field = FORM_FIELDS.get(key, key)
        form.add_error(field if field in form.fields else None, messages_)


def _save(request, form: ContractForm, lines, instalments, contract: Contract | None):
    grid_errors: dict[str, list[str]] = {}
    valid = form.is_valid() & lines.is_valid() & instalments.is_valid()
    if not valid:
        return None, grid_errors
    inputs, plan, line_forms, plan_forms = _collect(form, lines, instalments)
    if inputs is None:
        return None, grid_errors
    try:
        if contract is None:
            saved = services.create_contract(
                actor=request.user, customer=form.cleaned_data["customer"], salesperson=form.cleaned_data["salesperson"],
                data=form.data_for_service(), lines=inputs, instalments=plan,
            )
        else:
            saved = services.update_contract(
                actor=request.user, contract=contract, data=form.data_for_service(), lines=inputs, instalments=plan,
                customer=form.cleaned_data["customer"], salesperson=form.cleaned_data["salesperson"],
            )
    except (DomainError, PermissionDenied) as exc:
        _show_refusal(exc, form, line_forms, plan_forms, grid_errors)
        return None, grid_errors
    return saved, grid_errors


def _initial(request) -> dict:
    today = timezone.localdate()
    initial = {"signed_on": today, "starts_on": today, "ends_on": date(today.year + 1, today.month, 1) - timedelta(days=1)}
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit():
        customer = Customer.objects.visible_to(request.user).filter(pk=int(customer_id)).first()
        if customer is not None:
            initial["customer"] = customer.code
            if services.assignable_salespeople(request.user).filter(pk=customer.salesperson_id).exists():
                initial["salesperson"] = customer.salesperson_id
    if "salesperson" not in initial and services.assignable_salespeople(request.user).filter(pk=request.user.pk).exists():
        initial["salesperson"] = request.user.pk
    return initial


def _contract_initial(contract: Contract) -> dict:
    return {
        "number": contract.number, "customer": contract.customer.code, "salesperson": contract.salesperson_id,
        "kind": contract.kind, "signed_on": contract.signed_on, "starts_on": contract.starts_on,
        "ends_on": contract.ends_on, "payment_terms": contract.payment_terms, "deposit_rate": contract.deposit_rate,
        "credit_days": contract.credit_days, "delivery_terms": contract.delivery_terms,
        "archive_no": contract.archive_no, "paper_location": contract.paper_location, "notes": contract.notes,
    }


def _form_page(request, contract: Contract | None) -> HttpResponse:
    form = ContractForm(request.POST or None, user=request.user, instance=contract,
                        initial=_contract_initial(contract) if contract else _initial(request))
    lines, instalments = _grids(request, contract)
    grid_errors: dict[str, list[str]] = {}
    paste_errors: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "paste":
        form, lines, paste_errors, added = _paste_into(request, form, lines)
        instalments = InstalmentFormSet(prefix="instalments", initial=_rows_of(instalments))
        if added:
            messages.info(request, _("已加入 %(n)d 行明细，请核对后保存。") % {"n": added})
    elif request.method == "POST":
        saved, grid_errors = _save(request, form, lines, instalments, contract)
        if saved is not None:
            if contract is None:
                messages.success(request, _("合同已创建：%(number)s（草稿）") % {"number": saved.number})
            else:
                messages.success(request, _("合同已保存。"))
            return redirect(saved)
    return render(request, "contracts/contract_form.html", {
        "form": form, "lines": lines, "instalments": instalments, "object": contract, "grid_errors": grid_errors,
        "paste_errors": paste_errors,
    })


@login_required
@permission_required(perms.ADD_CONTRACT, raise_exception=True)
def contract_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


def _writable(request, pk: int, permission: str = perms.CHANGE_CONTRACT) -> Contract:
    """A contract the user sees (404 otherwise) and may write (403 otherwise)."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    contract = get_for_user(queries.contract_detail(), pk, request.user)
    if not perms.may_write_for(request.user, contract.customer):
        raise PermissionDenied
    return contract


@login_required
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _writable(request, pk)
    if contract.status != ContractStatus.DRAFT:
        messages.warning(request, _("合同已生效，只能修改归档信息。"))
        return redirect(contract)
    return _form_page(request, contract)


@login_required
@require_GET
def customer_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s for the customer field's list: visible customers matching the typing."""
    if not request.user.has_perm(perms.ADD_CONTRACT):
        raise PermissionDenied
    term = request.GET.get("customer", "").strip()[:100]
    rows = list(Customer.objects.visible_to(request.user).search(term).order_by("code")[:20]) if term else []
    return render(request, "contracts/_options.html",
                  {"options": [(c.code, f"{c.name}（{c.code}）") for c in rows]})


@login_required
@require_GET
def product_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s for a line's product code: active products matching the typing."""
    if not request.user.has_perm(perms.ADD_CONTRACT):
        raise PermissionDenied
    from salesdesk.catalog.queries import search

    term = next((v for k, v in request.GET.items() if k.endswith("sku")), "").strip()[:100]
    rows = list(search(Product.objects.filter(active=True), term).order_by("sku")[:20]) if term else []
    return render(request, "contracts/_options.html",
                  {"options": [(p.sku, f"{p.name} {p.specification} ¥{unit_price_text(p.price)}/{p.unit}")
                               for p in rows]})


# --- detail and actions -----------------------------------------------------------------------------


class ContractDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_CONTRACT
    model = Contract
    template_name = "contracts/contract_detail.html"

    def get_queryset(self):
        return queries.contract_detail()

    def overview_context(self, obj: Contract) -> dict:
        user = self.request.user
        writer = user.has_perm(perms.CHANGE_CONTRACT) and perms.may_write_for(user, obj.customer)
        draft = obj.status == ContractStatus.DRAFT
        running = obj.status in (ContractStatus.ACTIVE, ContractStatus.EXPIRED)
        return {
            "lines": list(queries.contract_lines(obj)),
            "instalments": list(obj.instalments.all()),
            "renewals": list(obj.renewals.visible_to(user).order_by("signed_on")),
            "can_edit": writer and draft,
            "can_activate": draft and user.has_perm(perms.ACTIVATE_CONTRACT) and perms.may_write_for(user, obj.customer),
            "can_close": writer and running,
            "can_renew": not draft and user.has_perm(perms.ADD_CONTRACT) and perms.may_write_for(user, obj.customer),
            "can_file": writer,
            "filing_form": FilingForm(initial={"archive_no": obj.archive_no, "paper_location": obj.paper_location}),
            "reason_form": ReasonForm(),
            "total_words": printing.words(obj.total),
        }


def fulfilment_panel(request, contract: Contract) -> dict:
    result = queries.fulfilment(contract)
    return {"fulfilment": result, "contract": contract}


def _act(request, pk: int, permission: str, action) -> HttpResponse:
    contract = _writable(request, pk, permission)
    try:
        result = action(contract)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(contract)
    return result


@login_required
@require_POST
def contract_activate(request: HttpRequest, pk: int) -> HttpResponse:
    def run(contract):
        services.activate_contract(actor=request.user, contract=contract)
        messages.success(request, _("合同已生效。"))
        return redirect(contract)

    return _act(request, pk, perms.ACTIVATE_CONTRACT, run)


@login_required
@require_POST
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    def run(contract):
        services.terminate_contract(actor=request.user, contract=contract, reason=request.POST.get("reason", ""))
        messages.success(request, _("合同已终止。"))
        return redirect(contract)

    return _act(request, pk, perms.CHANGE_CONTRACT, run)


@login_required
@require_POST
def contract_complete(request: HttpRequest, pk: int) -> HttpResponse:
    def run(contract):
        services.complete_contract(actor=request.user, contract=contract, reason=request.POST.get("reason", ""))
        messages.success(request, _("合同已完成。"))
        return redirect(contract)

    return _act(request, pk, perms.CHANGE_CONTRACT, run)


@login_required
@require_POST
def contract_renew(request: HttpRequest, pk: int) -> HttpResponse:
    def run(contract):
        renewal = services.renew_contract(actor=request.user, contract=contract)
        messages.success(request, _("已生成续签合同草稿 %(number)s，请核对后生效。") % {"number": renewal.number})
        return redirect("contract_edit", pk=renewal.pk)

    return _act(request, pk, perms.ADD_CONTRACT, run)


@login_required
@require_POST
def contract_file(request: HttpRequest, pk: int) -> HttpResponse:
    """归档: archive number and where the signed paper original is kept (any status)."""
    form = FilingForm(request.POST)

    def run(contract):
        if not form.is_valid():
            messages.error(request, _("归档信息有误。"))
            return redirect(contract)
        services.file_contract(actor=request.user, contract=contract, **form.cleaned_data)
        messages.success(request, _("归档信息已保存。"))
        return redirect(contract)

    return _act(request, pk, perms.CHANGE_CONTRACT, run)


# --- fulfilment as Excel and PDF ------------------------------------------------------------------------


def _visible(request, pk: int) -> Contract:
    if not request.user.has_perm(perms.VIEW_CONTRACT):
        raise PermissionDenied
    return get_for_user(queries.contract_detail(), pk, request.user)


@login_required
def fulfilment_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _visible(request, pk)
    result = queries.fulfilment(contract)
    user = request.user
    content = exporting.fulfilment_workbook(contract, result, company=printing.CompanyProfile.current().name,
                                            exported_by=user.display_name)
    log_export(user, "contracts.fulfilment", len(result.lines), {"contract": contract.number})
    return xlsx_response(content, f"合同履行一览表-{contract.number}-{user.display_name}.xlsx")


@login_required
def fulfilment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _visible(request, pk)
    result = queries.fulfilment(contract)
    context = {**printing.base_context(request.user), "contract": contract, "f": result,
               "total_words": printing.words(result.total), "received_words": printing.words(result.received_amount),
               "outstanding_words": printing.words(result.outstanding_amount)}
    content = printing.render_pdf("contracts/pdf/fulfilment.html", context)
    return printing.pdf_response(content, f"合同履行一览表-{contract.number}.pdf")


# --- summary ----------------------------------------------------------------------------------------------

GROUPS = [("salesperson", gettext_lazy("业务员")), ("customer", gettext_lazy("客户")), ("product", gettext_lazy("产品"))]
PERIODS = [("month", gettext_lazy("月度")), ("quarter", gettext_lazy("季度"))]


def _summary_params(request) -> tuple[str, date, str]:
    period = request.GET.get("period", "month")
    period = period if period in dict(PERIODS) else "month"
    group_by = request.GET.get("group_by", "salesperson")
    group_by = group_by if group_by in dict(GROUPS) else "salesperson"
    try:
        day = parse_date(request.GET.get("date", "")) or timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    if not date(1990, 1, 1) <= day <= date(2200, 12, 31):
        day = timezone.localdate()
    return period, day, group_by


@login_required
@permission_required(perms.VIEW_CONTRACT, raise_exception=True)
def contract_summary(request: HttpRequest) -> HttpResponse:
    period, day, group_by = _summary_params(request)
    result = queries.summary(request.user, period, day, group_by)
    return render(request, "contracts/summary.html", {
        "result": result, "period": period, "day": day, "group_by": group_by, "groups": GROUPS, "periods": PERIODS,
        "can_export": request.user.has_perm(perms.EXPORT_CONTRACT), "querystring": request.GET.urlencode(),
        "period_label": dict(PERIODS)[period], "group_label": dict(GROUPS)[group_by],
    })


def _summary_export(request):
    if not request.user.has_perm(perms.EXPORT_CONTRACT):
        raise PermissionDenied
    period, day, group_by = _summary_params(request)
    return queries.summary(request.user, period, day, group_by)


@login_required
def contract_summary_xlsx(request: HttpRequest) -> HttpResponse:
    result = _summary_export(request)
    user = request.user
    content = exporting.summary_workbook(result, company=printing.CompanyProfile.current().name,
                                         exported_by=user.display_name)
    log_export(user, "contracts.summary", len(result.rows), dict(request.GET.items()))
    label = exporting.PERIOD_LABELS[result.period_kind]
    return xlsx_response(content, f"{label}合同汇总-{result.start:%Y%m%d}-{user.display_name}.xlsx")


@login_required
def contract_summary_pdf(request: HttpRequest) -> HttpResponse:
    result = _summary_export(request)
    context = {**printing.base_context(request.user), "result": result,
               "period_label": exporting.PERIOD_LABELS[result.period_kind],
               "group_label": exporting.GROUP_LABELS[result.group_by],
               "value_words": printing.words(result.totals.value),
               "received_words": printing.words(result.totals.received_amount or 0)}
    log_export(request.user, "contracts.summary.pdf", len(result.rows), dict(request.GET.items()))
    content = printing.render_pdf("contracts/pdf/summary.html", context)
    return printing.pdf_response(content, f"{context['period_label']}合同汇总-{result.start:%Y%m%d}.pdf")


# --- alerts (合同提醒) ---------------------------------------------------------------------------------------


def _days(request, name: str, default: int) -> int:
    try:
        return max(0, min(3650, int(request.GET.get(name, default))))
    except (TypeError, ValueError):
        return default


@login_required
@permission_required(perms.VIEW_CONTRACT, raise_exception=True)
def contract_alerts(request: HttpRequest) -> HttpResponse:
    """Contracts ending soon, instalments due or overdue, and active contracts without orders —
    the clerk sees all, a salesperson their own, a manager the team's."""
    user, today = request.user, timezone.localdate()
    expiring_days, due_days, idle_days = _days(request, "expiring_days", 30), _days(request, "due_days", 7), \
        max(1, _days(request, "idle_days", 30))
    return render(request, "contracts/alerts.html", {
        "today": today, "expiring_days": expiring_days, "due_days": due_days, "idle_days": idle_days,
        "expiring": list(queries.expiring(user, expiring_days, today)[:200]),
        "due": queries.instalments_due(user, due_days, today)[:200],
        "idle": list(queries.idle(user, idle_days, today)[:200]),
    })


# --- the customer page's contracts tab -----------------------------------------------------------------------


def customer_contracts_panel(request, customer) -> dict:
    rows = queries.contract_list(request.user).filter(customer=customer).order_by("-signed_on", "-id")
    return {
        "contracts": list(rows[:20]), "total": rows.count(), "customer": customer,
        "can_add": request.user.has_perm(perms.ADD_CONTRACT) and perms.may_write_for(request.user, customer),
    }
