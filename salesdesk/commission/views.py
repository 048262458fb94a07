"""The commission pages: plans (list, detail with versions and assignments, forms with inline tier,
category and age rows), runs by month (draft a month as a job with its progress, resume a failed
one, lines, adjustments, confirmations, approval), a line with the items that priced it, the Excel
file for HR and finance and each salesperson's PDF statement.

Views stay thin: they check the role (403), look objects up for the user (404 when missing or not
visible; lines through ``services.visible_lines``), call the services and show their refusals as a
form error or a message."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from salesdesk.core.access import MAX_ID
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError
from salesdesk.core.exports import log_export, xlsx_response
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.ledger.periods import current_period, previous_month
from salesdesk.org.models import CompanyProfile

from . import exporting, printing, services
from . import permissions as perms
from .filters import PlanFilterSet, RunFilterSet
from .forms import (
    AdjustmentForm,
    AssignmentForm,
    DisputeForm,
    PlanForms,
    RunStartForm,
    can_edit_plan,
    save_assignment,
    save_plan,
)
from .models import (
    CommissionItem,
    CommissionLine,
    CommissionPlan,
    CommissionRun,
    LineKind,
    LineStatus,
    PerformanceResult,
    PlanAssignment,
    RunStatus,
)
from .tables import PlanTable, RunTable
from .visibility import line_scope

# source_kind of a ledger fact → the page of its document (kinds without a page get no link)
SOURCE_LINKS = {"order": "order_detail", "shipment": "shipment_detail", "return": "return_detail",
                "payment": "payment_detail", "invoice": "invoice_detail", "write_off": "writeoff_detail",
                "writeoff": "writeoff_detail"}
SOURCE_LABELS = {"order": gettext_lazy("订单"), "shipment": gettext_lazy("发货单"), "return": gettext_lazy("退货单"),
                 "payment": gettext_lazy("回款"), "invoice": gettext_lazy("发票"), "write_off": gettext_lazy("坏账核销"),
                 "writeoff": gettext_lazy("坏账核销"), "opening": gettext_lazy("期初余额")}


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404
    return pk


def _refusal(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or _("您没有权限执行此操作。")


def _act(request: HttpRequest, action, done: str) -> bool:
    """Run one service call for a button: its refusal (409/422) or ``done`` as the page's message."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, _refusal(exc))
        return False
    messages.success(request, done)
    return True


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# --- lines for a user ---------------------------------------------------------------------------------


def visible_lines(user, run: CommissionRun):
    return (services.visible_lines(user, run)
            .select_related("salesperson__team", "plan", "team_confirmed_by", "created_by")
            .order_by("salesperson__username", "id"))


@dataclass
class LineRow:
    line: CommissionLine
    performance: PerformanceResult | None = None


def line_rows(lines, run: CommissionRun) -> list[LineRow]:
    """Lines with the salesperson's performance result beside their computed line, in one query."""
    lines = list(lines)
    people = {line.salesperson_id for line in lines}
    results = {}
    if people:
        results = {r.salesperson_id: r for r in PerformanceResult.objects.filter(run=run, salesperson_id__in=people)}
    rows, shown = [], set()
    for line in lines:
        perf = None
        if line.salesperson_id not in shown and (line.kind == LineKind.COMPUTED
                                                 or not any(x.salesperson_id == line.salesperson_id
                                                            and x.kind == LineKind.COMPUTED for x in lines)):
            perf = results.get(line.salesperson_id)
            shown.add(line.salesperson_id)
        rows.append(LineRow(line=line, performance=perf))
    return rows


@dataclass
class ItemRow:
    item: CommissionItem
    document: str = ""
    url: str | None = None


def item_rows(items) -> list[ItemRow]:
    """Items with their source document's number and page (one query per kind of document)."""
    from salesdesk.finance.statements import document_numbers

    items = list(items)
    keys = {(i.source_kind, i.source_id) for i in items if i.source_kind and i.source_id}
    numbers = document_numbers(keys) if keys else {}
    rows = []
    for item in items:
        document, url = "", None
        if item.source_kind and item.source_id:
            number = numbers.get((item.source_kind, item.source_id), "")
            label = SOURCE_LABELS.get(item.source_kind, item.source_kind)
            document = f"{label} {number}".strip()
            name = SOURCE_LINKS.get(item.source_kind)
            if name:
                try:
                    url = reverse(name, kwargs={"pk": item.source_id})
                except NoReverseMatch:
                    url = None
        rows.append(ItemRow(item=item, document=document, url=url))
    return rows


def _get_run(pk) -> CommissionRun:
    run = CommissionRun.objects.filter(pk=_pk(pk)).select_related("computed_by", "approved_by").first()
    if run is None:
        raise Http404
    return run


def _get_line(user, pk) -> CommissionLine:
    """A line the user may see (404 for a missing line and for someone else's alike)."""
    line = CommissionLine.objects.filter(pk=_pk(pk)).select_related("run").first()
    if line is None:
        raise Http404
    found = visible_lines(user, line.run).filter(pk=line.pk).first()
    if found is None:
        raise Http404
    found.run = line.run
    return found


# --- runs -------------------------------------------------------------------------------------------


class RunList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_RUN
    model = CommissionRun
    table_class = RunTable
    filterset_class = RunFilterSet
    template_name = "commission/run_list.html"
    title = gettext_lazy("提成")
    export_permission = perms.EXPORT_RUN
    export_name = "commission.runs"

    def base_queryset(self):
        scope = line_scope(self.request.user, "lines__")
        return CommissionRun.objects.annotate(line_count=Count("lines", filter=scope),
                                              total=Sum("lines__commission_amount", filter=scope))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_compute = self.request.user.has_perm(perms.COMPUTE_RUN)
        last = previous_month(current_period())
        context.update(can_compute=can_compute, last_month=last,
                       start_form=RunStartForm(initial={"period": last}) if can_compute else None)
        return context


@login_required
@permission_required(perms.COMPUTE_RUN, raise_exception=True)
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """Draft a month (a job computes it; its progress shows on the run's page). A draft is
    replaced; an approved month is refused (409 shown as a message)."""
    form = RunStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("commission_run_list")
    try:
        run = services.start_run(actor=request.user, period=form.cleaned_data["period"])
    except DomainError as exc:
        messages.error(request, _refusal(exc))
        return redirect("commission_run_list")
    messages.success(request, _("已开始计算 %(period)s 的提成。") % {"period": run.period})
    return redirect("commission_run_detail", pk=run.pk)


class RunDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_RUN
    model = CommissionRun
    template_name = "commission/run_detail.html"
    with_attachments = False

    def get_object(self):
        return _get_run(self.kwargs["pk"])

    def overview_context(self, run: CommissionRun) -> dict:
        user = self.request.user
        rows = line_rows(visible_lines(user, run), run)
        draft = run.status == RunStatus.DRAFT
        own_team_open = [r for r in rows if r.line.team_confirmed_at is None and r.line.salesperson_id != user.pk]
        total = sum((r.line.commission_amount for r in rows), Decimal("0"))
        pay = sum((r.performance.pay for r in rows if r.performance), Decimal("0"))
        return {
            "rows": rows,
            "total": total,
            "performance_total": pay,
            "has_performance": any(r.performance for r in rows),
            "can_adjust": draft and user.has_perm(perms.ADJUST_LINE),
            "can_confirm_team": draft and user.has_perm(perms.CONFIRM_TEAM) and bool(own_team_open),
            "can_approve": draft and user.has_perm(perms.APPROVE_RUN),
            "can_resume": run.status == RunStatus.FAILED and user.has_perm(perms.COMPUTE_RUN),
            "can_recompute": draft and user.has_perm(perms.COMPUTE_RUN),
            "can_export": user.has_perm(perms.EXPORT_RUN) and run.status in (RunStatus.DRAFT, RunStatus.APPROVED),
            "computing": run.status == RunStatus.COMPUTING,
        }


@login_required
@permission_required(perms.VIEW_RUN, raise_exception=True)
@require_safe
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of a computing run, polled by htmx; once done, the page reloads."""
    run = _get_run(pk)
    if run.status != RunStatus.COMPUTING and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "commission/_progress.html", {"object": run})


@login_required
@permission_required(perms.COMPUTE_RUN, raise_exception=True)
@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run(pk)
    _act(request, lambda: services.resume_run(actor=request.user, run=run),
         _("已重新开始计算。"))
    return redirect("commission_run_detail", pk=run.pk)


@login_required
@permission_required(perms.CONFIRM_TEAM, raise_exception=True)
@require_POST
def run_confirm_team(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run(pk)
    _act(request, lambda: services.confirm_team(actor=request.user, run=run),
         _("已确认本团队的提成。"))
    return redirect("commission_run_detail", pk=run.pk)


@login_required
@permission_required(perms.APPROVE_RUN, raise_exception=True)
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The GM approves (locks) the run; without finance's month lock the service refuses (409),
    and the refusal is shown."""
    run = _get_run(pk)
    _act(request, lambda: services.approve_run(actor=request.user, run=run),
         _("%(period)s 的提成已批准。") % {"period": run.period})
    return redirect("commission_run_detail", pk=run.pk)


@login_required
@permission_required(perms.ADJUST_LINE, raise_exception=True)
def adjustment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A manual adjustment: a separate line with its amount and reason."""
    run = _get_run(pk)
    initial = {}
    if request.method == "GET" and request.GET.get("salesperson", "").isdigit():
        initial["salesperson"] = request.GET["salesperson"]
    form = AdjustmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_adjustment(actor=request.user, run=run, salesperson=data["salesperson"],
                                       amount=data["amount"], reason=data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已添加调整。"))
            return redirect("commission_run_detail", pk=run.pk)
    return render(request, "commission/adjustment_form.html", {"form": form, "run": run})


@login_required
@permission_required(perms.EXPORT_RUN, raise_exception=True)
@require_safe
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Excel for HR and finance: the lines sheet and the items sheet; logged with the exporter."""
    run = _get_run(pk)
    return _workbook_response(request, run, visible_lines(request.user, run), what="commission.run",
                              name=f"提成-{run.period}")


def _workbook_response(request, run, lines, *, what: str, name: str) -> HttpResponse:
    user = request.user
    rows = line_rows(lines, run)
    items = CommissionItem.objects.filter(line__in=[r.line.pk for r in rows]).order_by("line_id", "id")
    by_line = {r.line.pk: r.line for r in rows}
    triples = [(by_line[i.item.line_id], i.item, i.document) for i in item_rows(items)]
    content = exporting.run_workbook(run, rows, triples, company=CompanyProfile.current().name,
                                     exported_by=user.display_name)
    log_export(user, what, len(rows), {"run": run.period, "lines": len(rows), "items": len(triples)})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"{name}-{user.display_name}-{stamp}.xlsx")


def _statement_lines(request: HttpRequest, pk: int, user_id: int):
    """The run and one salesperson's lines in it that the user may see (404 if none)."""
    run = _get_run(pk)
    lines = list(visible_lines(request.user, run).filter(salesperson_id=_pk(user_id)))
    if not lines:
        raise Http404
    return run, lines


@login_required
@permission_required(perms.VIEW_RUN, raise_exception=True)
@require_safe
def statement_xlsx(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    run, lines = _statement_lines(request, pk, user_id)
    person = lines[0].salesperson
    return _workbook_response(request, run, lines, what="commission.statement",
                              name=f"提成确认单-{run.period}-{person.display_name}")


@login_required
@permission_required(perms.VIEW_RUN, raise_exception=True)
@require_safe
def statement_pdf(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """One salesperson's statement: visible to them and those above them (their manager, the
    clerk, GM, finance and HR); anyone else gets 404."""
    run, lines = _statement_lines(request, pk, user_id)
    person = lines[0].salesperson
    rows = line_rows(lines, run)
    items = CommissionItem.objects.filter(line__in=[line.pk for line in lines]).order_by("line_id", "id")
    performance = next((r.performance for r in rows if r.performance), None)
    content = printing.statement_pdf(user=request.user, run=run, salesperson=person, rows=rows,
                                     items=item_rows(items), performance=performance)
    log_export(request.user, "commission.statement.pdf", len(lines), {"run": run.period, "salesperson": person.pk})
    return printing.pdf_response(content, f"提成确认单-{run.period}-{person.display_name}.pdf")


# --- lines ------------------------------------------------------------------------------------------


@login_required
@permission_required(perms.VIEW_RUN, raise_exception=True)
@require_safe
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    line = _get_line(user, pk)
    run = line.run
    items = item_rows(line.items.order_by("id"))
    performance = None
    if line.kind == LineKind.COMPUTED:
        performance = PerformanceResult.objects.filter(run=run, salesperson_id=line.salesperson_id).first()
    draft = run.status == RunStatus.DRAFT
    own = line.salesperson_id == user.pk
    return render(request, "commission/line_detail.html", {
        "line": line, "run": run, "items": items, "performance": performance,
        "can_confirm": draft and own and user.has_perm(perms.CONFIRM_OWN) and line.status != LineStatus.CONFIRMED,
        "can_dispute": draft and own and user.has_perm(perms.CONFIRM_OWN) and line.status == LineStatus.OPEN,
        "dispute_form": DisputeForm(),
        "item_total": sum((i.item.amount for i in items), Decimal("0")),
    })


@login_required
@permission_required(perms.CONFIRM_OWN, raise_exception=True)
@require_POST
def line_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    line = _get_line(request.user, pk)
    _act(request, lambda: services.confirm_line(actor=request.user, line=line),
         _("已确认提成。"))
    return _back(request, reverse("commission_line_detail", args=[line.pk]))


@login_required
@permission_required(perms.CONFIRM_OWN, raise_exception=True)
@require_POST
def line_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    line = _get_line(request.user, pk)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请说明异议。"))
        return redirect("commission_line_detail", pk=line.pk)
    _act(request, lambda: services.dispute_line(actor=request.user, line=line, reason=form.cleaned_data["reason"]),
         _("已提出异议，内勤会核对后处理。"))
    return redirect("commission_line_detail", pk=line.pk)


# --- plans ------------------------------------------------------------------------------------------


class PlanList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_PLAN
    model = CommissionPlan
    table_class = PlanTable
    filterset_class = PlanFilterSet
    title = gettext_lazy("提成方案")
    export_permission = perms.VIEW_PLAN
    export_name = "commission.plans"
    new_url_name = "commission_plan_create"
    new_permission = perms.MANAGE_PLAN

    def base_queryset(self):
        return CommissionPlan.objects.all()


def _get_plan(pk) -> CommissionPlan:
    plan = CommissionPlan.objects.filter(pk=_pk(pk)).first()
    if plan is None:
        raise Http404
    return plan


class PlanDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_PLAN
    model = CommissionPlan
    template_name = "commission/plan_detail.html"
    with_attachments = False

    def get_object(self):
        return _get_plan(self.kwargs["pk"])

    def overview_context(self, plan: CommissionPlan) -> dict:
        can_manage = self.request.user.has_perm(perms.MANAGE_PLAN)
        return {
            "tiers": list(plan.tiers.all()),
            "category_rates": list(plan.category_rates.select_related("category")),
            "age_rules": list(plan.age_rules.all()),
            "versions": list(CommissionPlan.objects.filter(code=plan.code).order_by("-valid_from")),
            "assignments": list(PlanAssignment.objects.filter(plan_code=plan.code)
                                .select_related("salesperson", "team").order_by("-valid_from", "id")),
            "can_manage": can_manage,
            "can_edit": can_manage and can_edit_plan(plan),
        }


def _plan_form_page(request, forms_, *, title, plan=None, previous=None, save_kwargs=None) -> HttpResponse:
    if request.method == "POST" and forms_.is_valid():
        try:
            saved = save_plan(actor=request.user, forms_=forms_, **(save_kwargs or {}))
        except DomainError as exc:
            add_domain_error(forms_.plan, exc)
        else:
            messages.success(request, _("提成方案已保存。"))
            return redirect("commission_plan_detail", pk=saved.pk)
    return render(request, "commission/plan_form.html", {"forms": forms_, "title": title, "object": plan,
                                                         "previous": previous})


@login_required
@permission_required(perms.MANAGE_PLAN, raise_exception=True)
def plan_create(request: HttpRequest) -> HttpResponse:
    forms_ = PlanForms.build(request.POST if request.method == "POST" else None)
    return _plan_form_page(request, forms_, title=_("新建提成方案"))


@login_required
@permission_required(perms.MANAGE_PLAN, raise_exception=True)
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan(pk)
    if not can_edit_plan(plan):
        messages.error(request, _("该版本已用于已批准的提成，不能修改，请新建版本。"))
        return redirect("commission_plan_detail", pk=plan.pk)
    forms_ = PlanForms.build(request.POST if request.method == "POST" else None, instance=plan, fixed_code=plan.code)
    return _plan_form_page(request, forms_, title=_("修改提成方案"), plan=plan, save_kwargs={"instance": plan})


@login_required
@permission_required(perms.MANAGE_PLAN, raise_exception=True)
def plan_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version of a plan from a later date: the form starts as a copy of this version."""
    previous = _get_plan(pk)
    forms_ = PlanForms.build(request.POST if request.method == "POST" else None, source=previous,
                             fixed_code=previous.code, previous=previous)
    return _plan_form_page(request, forms_, title=_("新建方案版本"), plan=previous, previous=previous,
                           save_kwargs={"previous": previous})


def _assignment_page(request, form, plan, assignment=None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save_assignment(actor=request.user, form=form, plan_code=plan.code)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("适用范围已保存。"))
            return redirect("commission_plan_detail", pk=plan.pk)
    return render(request, "commission/assignment_form.html", {"form": form, "plan": plan, "object": assignment})


@login_required
@permission_required(perms.MANAGE_PLAN, raise_exception=True)
def assignment_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan(pk)
    form = AssignmentForm(request.POST or None, initial={"valid_from": plan.valid_from})
    return _assignment_page(request, form, plan)


@login_required
@permission_required(perms.MANAGE_PLAN, raise_exception=True)
def assignment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = PlanAssignment.objects.filter(pk=_pk(pk)).first()
    if assignment is None:
        raise Http404
    plan = CommissionPlan.objects.filter(code=assignment.plan_code).order_by("-valid_from").first()
    if plan is None:
        raise Http404
    form = AssignmentForm(request.POST or None, instance=assignment)
    return _assignment_page(request, form, plan, assignment)

